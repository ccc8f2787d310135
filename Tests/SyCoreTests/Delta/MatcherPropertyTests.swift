import Glibc
import SyTestSupport
import Testing
@testable import SyCore

/// Signature + matcher + reconstruction give back the target byte for byte, for every kind of edit.
struct MatcherPropertyTests {
    /// Runs signature, delta and an independent reconstruction; returns (rebuilt, literal bytes, matched bytes).
    static func roundTrip(basis: [UInt8], target: [UInt8], blockSize: Int? = nil) throws -> ([UInt8], Int64, Int64) {
        let t = TempDir("matcher")
        writeFile(t.sub("basis"), basis)
        writeFile(t.sub("target"), target)
        let bs = blockSize ?? BlockSigner.blockSize(for: Int64(basis.count))
        let info = SignatureInfo(blockSize: bs, strongLength: BlockSigner.strongLength(basisSize: Int64(basis.count), sourceSize: Int64(target.count), blockSize: bs),
                                 basisSize: Int64(basis.count))
        // Signature stream.
        let sfd = open(t.sub("sig"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let bfd = open(t.sub("basis"), O_RDONLY)
        let sw = try StreamWriter(fd: sfd, kind: .plans, producer: "t")
        try BlockSigner.emitBlocks(fd: bfd, info: info, out: sw)
        try sw.finish()
        close(sfd); close(bfd)
        var weak: [UInt32] = [], strong: [UInt8] = []
        let rfd = open(t.sub("sig"), O_RDONLY)
        let sr = try StreamReader(fd: rfd)
        while let rec = try sr.nextRecord() { if case .blocks(_, let w, let s) = rec { weak += w; strong += s } }
        close(rfd)
        #expect(weak.count == info.blockCount)
        // Delta stream.
        // Half of the runs go through the streaming feed (matching while the signature arrives).
        var feed: SignatureFeed?
        if !basis.isEmpty && (target.count + basis.count) % 2 == 0 {
            let rfd2 = open(t.sub("sig"), O_RDONLY)
            let reader = try StreamReader(fd: rfd2)
            feed = SignatureFeed(info: info, next: { () throws(SyError) -> Record? in try reader.nextRecord() }, offset: { reader.offset })
        }
        let index = basis.isEmpty || feed != nil ? nil : BlockIndex(info: info, weak: weak, strong: strong)
        let dfd = open(t.sub("delta"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let dw = try StreamWriter(fd: dfd, kind: .delta, producer: "t")
        let sink = DeltaSink(out: dw, compressor: ZstdCompressor(level: 1))
        let tfd = open(t.sub("target"), O_RDONLY)
        let hasher = FileHasher()
        let n = try Matcher.run(fd: tfd, feed: feed, index: index, sink: sink, hasher: hasher)
        #expect(n == Int64(target.count))
        try dw.write(.fileEnd(size: n, hash: hasher.digest))
        try dw.finish()
        close(tfd); close(dfd)
        // Reconstruct.
        var out: [UInt8] = []
        let xfd = open(t.sub("delta"), O_RDONLY)
        defer { close(xfd) }
        let dr = try StreamReader(fd: xfd)
        while let rec = try dr.nextRecord() {
            switch rec {
            case .literal(let d): out += d
            case .literalZstd(let raw, let c):
                var buf = [UInt8](repeating: 0, count: raw)
                try c.withUnsafeBytes { cb in try buf.withUnsafeMutableBytes { try ZstdDecoder.decompress(cb, rawLength: raw, into: $0.baseAddress!) } }
                out += buf
            case .copy(let o, let l): out += basis[Int(o)..<Int(o + l)]
            case .fileEnd(_, let h): #expect(h == QuickHash.xxh128(target, target.count))
            default: Issue.record("unexpected \(rec)")
            }
        }
        return (out, sink.literalBytes, sink.matchedBytes)
    }

    static func bytes(_ rng: inout SeededRandom, _ n: Int) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: n)
        for i in 0..<n { b[i] = UInt8(truncatingIfNeeded: rng.next()) }
        return b
    }

    @Test(arguments: 0..<40)
    func randomEditsReconstruct(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &* 7919)
        let size = [0, 1, 699, 700, 701, 1400, 5000, 100_000, 700_000][seed % 9]
        let basis = Self.bytes(&rng, size)
        var target = basis
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !target.isEmpty: target[Int.random(in: 0..<target.count, using: &rng)] ^= 0xFF
            case 1: target.insert(contentsOf: Self.bytes(&rng, Int.random(in: 1...3000, using: &rng)), at: Int.random(in: 0...target.count, using: &rng))
            case 2 where target.count > 10:
                let a = Int.random(in: 0..<target.count, using: &rng)
                target.removeSubrange(a..<min(target.count, a + Int.random(in: 1...2000, using: &rng)))
            case 3: target += Self.bytes(&rng, Int.random(in: 1...5000, using: &rng))
            case 4: target = Array(target.prefix(Int.random(in: 0...target.count, using: &rng)))
            case 5 where target.count > 4000: // swap two ranges (block moves)
                let a = Array(target[0..<1500]), b = Array(target[target.count - 1500..<target.count])
                target.replaceSubrange(target.count - 1500..<target.count, with: a)
                target.replaceSubrange(0..<1500, with: b)
            default: break
            }
        }
        let (out, _, _) = try Self.roundTrip(basis: basis, target: target)
        #expect(out == target)
    }

    @Test func exactBlockMultiplesAndEmptySides() throws {
        var rng = SeededRandom(seed: 3)
        for n in [0, 700 * 4 - 1, 700 * 4, 700 * 4 + 1] {
            let basis = Self.bytes(&rng, n)
            #expect(try Self.roundTrip(basis: basis, target: basis).0 == basis)
            #expect(try Self.roundTrip(basis: basis, target: []).0 == [])
            #expect(try Self.roundTrip(basis: [], target: basis).0 == basis)
        }
    }

    @Test func unchangedFileIsAllMatches() throws {
        var rng = SeededRandom(seed: 4)
        let basis = Self.bytes(&rng, 300_000)
        let (out, literal, matched) = try Self.roundTrip(basis: basis, target: basis)
        #expect(out == basis)
        #expect(literal == 0)
        #expect(matched == 300_000)
    }

    @Test func allEqualBlocksAndWeakCollisions() throws {
        // Every block the same: one weak sum shared by all blocks.
        let basis = [UInt8](repeating: 7, count: 700 * 50)
        var target = basis
        target.insert(contentsOf: [1, 2, 3], at: 10_000)
        #expect(try Self.roundTrip(basis: basis, target: target).0 == target)
        // Blocks built to collide on the weak sum but differ: +1, -2, +1 at three consecutive
        // positions keeps both s1 and s2 of rsync's checksum.
        let collide = [UInt8](repeating: 100, count: 700 * 8)
        var t2 = collide
        for blk in stride(from: 0, to: t2.count, by: 700) { t2[blk + 5] += 1; t2[blk + 6] -= 2; t2[blk + 7] += 1 }
        let w1 = collide.withUnsafeBufferPointer { RollingChecksum($0.baseAddress!, count: 700).value }
        let w2 = t2.withUnsafeBufferPointer { RollingChecksum($0.baseAddress!, count: 700).value }
        #expect(w1 == w2, "the constructed blocks must collide on the weak sum")
        let (out, _, matched) = try Self.roundTrip(basis: collide, target: t2, blockSize: 700)
        #expect(out == t2)
        #expect(matched == 0, "weak collisions must be rejected by the strong sum")
    }

    @Test func shortLastBlockMatchesAtTheEndAfterAPrefix() throws {
        var rng = SeededRandom(seed: 12)
        let basis = Self.bytes(&rng, 500)              // one short block
        let target = Self.bytes(&rng, 100) + basis      // something new, then the old file
        let (out, literal, matched) = try Self.roundTrip(basis: basis, target: target)
        #expect(out == target)
        #expect(matched == 500 && literal == 100)
        let big = Self.bytes(&rng, 700 * 3 + 123)       // three blocks and a short one
        let (out2, _, matched2) = try Self.roundTrip(basis: big, target: Self.bytes(&rng, 50) + big)
        #expect(out2.count == big.count + 50 && matched2 == Int64(big.count))
    }

    @Test func rollingMatchesRecompute() {
        var rng = SeededRandom(seed: 9)
        let data = Self.bytes(&rng, 5000)
        data.withUnsafeBufferPointer { p in
            var rc = RollingChecksum(p.baseAddress!, count: 700)
            for i in 1..<(5000 - 700) {
                rc.roll(out: p[i - 1], in: p[i + 699])
                #expect(rc.value == RollingChecksum(p.baseAddress! + i, count: 700).value)
            }
        }
    }

    /// The vectorized sum equals rsync's definition, byte by byte, for every length and alignment
    /// around the 32- and 64-byte steps, and with all-0xFF bytes (the largest lane sums).
    @Test func weakSumMatchesDefinition() {
        var rng = SeededRandom(seed: 11)
        let data = Self.bytes(&rng, 70_000) + [UInt8](repeating: 0xFF, count: 70_000)
        data.withUnsafeBufferPointer { p in
            for (start, n) in (0..<300).map({ ($0 % 37, $0) }) + [(3, 65_537), (70_000, 65_536), (70_001, 69_999)] {
                var s1: UInt32 = 0, s2: UInt32 = 0
                for i in start..<(start + n) { s1 &+= UInt32(p[i]); s2 &+= s1 }
                let rc = RollingChecksum(p.baseAddress! + start, count: n)
                #expect(rc.s1 == s1 && rc.s2 == s2, "length \(n) at \(start)")
            }
        }
    }
}
