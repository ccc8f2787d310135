import Glibc
import SyCore
import SyTestSupport
import Testing

/// sy's tools as an rdiff replacement: same pairs, byte-identical results, deltas no larger.
@Suite(.serialized)
struct RdiffCrossCheckTests {
    @Test func deltasRebuildLikeRdiffAndStayWithinItsSize() throws {
        guard system(script: "command -v rdiff >/dev/null") == 0 else { Issue.record("rdiff is not installed (scripts/deps installs it)"); return }
        let t = TempDir("rdiff")
        var rng = SeededRandom(seed: 77)
        var syTotal = 0, rdiffTotal = 0
        let q = shellQuote
        for i in 0..<12 {
            let size = [50_000, 300_000, 1_000_000, 2_500_000][i % 4]
            let basis = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var target = basis
            for _ in 0..<(1 + i % 5) {
                let at = Int.random(in: 0..<target.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: target.insert(contentsOf: (0..<Int.random(in: 1...500, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
                case 1: target.removeSubrange(at..<min(target.count, at + Int.random(in: 1...500, using: &rng)))
                default: for k in at..<min(target.count, at + 64) { target[k] ^= 0xA5 }
                }
            }
            let dir = t.sub("p\(i)")
            mkdir(dir, 0o755); mkdir(dir + "/old", 0o755); mkdir(dir + "/new", 0o755)
            writeFile(dir + "/old/f", basis)
            writeFile(dir + "/new/f", target)
            writeFile(dir + "/basis", basis)
            // sy: signature of old/f, delta of new/f, patch old/f.
            let s = sh("cd \(q(dir)) && sy-scan new/ | sy-sum -I old > plan && sy-delta new/ < plan > delta && sy-apply old < delta")
            #expect(s.code == 0, "\(s)")
            #expect(readFile(dir + "/old/f") == target, "sy did not rebuild pair \(i)")
            // rdiff on the same pair.
            let r = sh("cd \(q(dir)) && rdiff signature basis sig && rdiff delta sig new/f rdelta && rdiff patch basis rdelta out")
            #expect(r.code == 0, "\(r)")
            #expect(readFile(dir + "/out") == target)
            let mine = try dataBytes(dir + "/delta"), theirs = readFile(dir + "/rdelta")?.count ?? 0
            syTotal += mine
            rdiffTotal += theirs
        }
        // Both rebuild every pair exactly. Sizes: sy's block matcher (rsync's algorithm) sends
        // about 10% more than librsync's rdiff on these pairs (see the issue note); the bound
        // here keeps that gap from growing.
        #expect(Double(syTotal) <= Double(rdiffTotal) * 1.25, "sy deltas \(syTotal) bytes, rdiff \(rdiffTotal)")
    }

    /// The bytes of a delta stream that describe file content (literal, copy and file-end
    /// records with their framing): what rdiff's delta file holds. Plans carry names and
    /// attributes, which rdiff does not send at all.
    func dataBytes(_ path: String) throws -> Int {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let reader = try StreamReader(fd: fd)
        var total = 0
        while let rec = try reader.nextRecord() {
            switch rec {
            case .literal, .literalZstd, .copy, .fileEnd:
                var payload: [UInt8] = []
                rec.encode(into: &payload)
                var frame: [UInt8] = []
                frame.appendVarintForTest(UInt64(payload.count))
                total += 1 + frame.count + payload.count
            default: continue
            }
        }
        return total
    }
}

extension Array where Element == UInt8 {
    mutating func appendVarintForTest(_ v: UInt64) {
        var x = v
        while x >= 0x80 { append(UInt8(truncatingIfNeeded: x) | 0x80); x >>= 7 }
        append(UInt8(x))
    }
}
