import Glibc
import SyTestSupport
import Testing
@testable import SyCore

/// Writer and reader agree on every record; every truncation and corruption is a clean error.
struct StreamRoundTripTests {
    func randomBytes(_ rng: inout SeededRandom, _ n: Int) -> [UInt8] {
        (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    func randomPath(_ rng: inout SeededRandom) -> PathBytes {
        var p: PathBytes = []
        for i in 0..<Int.random(in: 1...4, using: &rng) {
            if i > 0 { p.append(0x2F) }
            var comp = randomBytes(&rng, Int.random(in: 1...20, using: &rng)).map { $0 == 0 || $0 == 0x2F ? 0x61 : $0 }
            if comp == [0x2E] || comp == [0x2E, 0x2E] { comp = [0x62] }
            p += comp
        }
        return p
    }

    func randomRecord(_ rng: inout SeededRandom) -> Record {
        let kinds = EntryKind.allCases
        var e = Entry(path: randomPath(&rng), kind: kinds.randomElement(using: &rng)!, perms: UInt32.random(in: 0...0o7777, using: &rng),
                      uid: UInt32.random(in: 0...UInt32.max, using: &rng), gid: UInt32.random(in: 0...70000, using: &rng),
                      size: Int64.random(in: 0...Int64.max, using: &rng), mtimeSec: Int64.random(in: Int64.min / 2...Int64.max / 2, using: &rng),
                      mtimeNsec: Int64.random(in: 0...999_999_999, using: &rng), nlink: UInt64.random(in: 1...5, using: &rng),
                      dev: rng.next(), ino: rng.next(), rdev: rng.next())
        if e.kind == .symlink { e.target = randomBytes(&rng, Int.random(in: 1...40, using: &rng)).map { $0 == 0 ? 1 : $0 } }
        if Bool.random(using: &rng) { e.checksum = Hash128(low: rng.next(), high: rng.next()) }
        if e.kind != .directory && Bool.random(using: &rng) { e.atimeSec = Int64.random(in: Int64.min / 2...Int64.max / 2, using: &rng) }
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return .entry(e)
        case 1:
            let sig = Bool.random(using: &rng) ? SignatureInfo(blockSize: 700, strongLength: 8, basisSize: 5000) : nil
            return .plan(Plan(action: .update, flags: [.size, .time], entry: e, signature: sig))
        case 2:
            let n = Int.random(in: 0...50, using: &rng)
            return .blocks(strongLength: 8, weak: (0..<n).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }, strong: randomBytes(&rng, n * 8))
        case 3: return .summary([SummaryItem(key: "files", value: rng.next()), SummaryItem(key: "x", value: 1)])
        case 4: return .literal(randomBytes(&rng, Int.random(in: 0...70000, using: &rng)))
        case 5: return .copy(offset: Int64.random(in: 0...1 << 40, using: &rng), length: Int64.random(in: 0...1 << 30, using: &rng))
        case 6: return .fileEnd(size: Int64.random(in: 0...1 << 40, using: &rng), hash: Bool.random(using: &rng) ? Hash128(low: 1, high: 2) : nil)
        case 7: return .fileAbort(errno: 2, message: "gone")
        case 8:
            // Names without "/" or NUL, one of them not UTF-8.
            let names = (0..<Int.random(in: 0...6, using: &rng)).map { i in
                i == 1 ? [0xFF, 0x41] : randomBytes(&rng, Int.random(in: 1...12, using: &rng)).map { $0 == 0 || $0 == 0x2F ? 0x61 : $0 }
            }
            return .dirNames(dir: randomPath(&rng), names: names.filter { !PathOps.isBadName($0) })
        default: return .message(level: 1, text: "hello")
        }
    }

    /// Writes records to a temp file and returns its path.
    func writeStream(_ t: TempDir, _ records: [Record], kind: StreamKind = .delta, compressLevel: Int? = nil) throws -> String {
        let path = t.sub("stream")
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let w = try StreamWriter(fd: fd, kind: kind, producer: "test 1", compressLevel: compressLevel)
        for r in records { try w.write(r) }
        try w.finish()
        return path
    }

    func readStream(_ path: String) throws -> [Record] {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let r = try StreamReader(fd: fd)
        var out: [Record] = []
        while let rec = try r.nextRecord() { out.append(rec) }
        return out
    }

    @Test func varintsRoundTrip() throws {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<10_000 {
            let u = rng.next() >> UInt64.random(in: 0...63, using: &rng)
            let s = Int64(bitPattern: rng.next()) >> Int64.random(in: 0...63, using: &rng)
            var b: [UInt8] = []
            b.appendVarint(u); b.appendSigned(s)
            var r = PayloadReader(b)
            #expect(try r.varint() == u)
            #expect(try r.signed() == s)
            #expect(r.isAtEnd)
        }
    }

    @Test func overlongVarintIsRejected() {
        var r = PayloadReader([UInt8](repeating: 0xFF, count: 10) + [0x01])
        #expect(throws: SyError.self) { try r.varint() }
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomRecordsRoundTrip(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let records = (0..<200).map { _ in randomRecord(&rng) }
        let t = TempDir()
        let path = try writeStream(t, records)
        #expect(try readStream(path) == records)
    }

    /// A compressed stream of many buffers (compressed on the writer's worker thread, one
    /// buffer behind) reads back record for record.
    @Test(arguments: [1, 3, 19])
    func compressedStreamsRoundTrip(level: Int) throws {
        var rng = SeededRandom(seed: UInt64(level))
        let records = (0..<600).map { _ in randomRecord(&rng) } // about 4 MB: 15 buffers
        let t = TempDir()
        let path = try writeStream(t, records, compressLevel: level)
        #expect(try readStream(path) == records)
    }

    /// A compressed stream whose reader went away fails with an error at the next hand-off or at
    /// the end, instead of hanging or going on.
    @Test func compressedStreamToAClosedPipeFails() throws {
        // Close-on-exec: a child spawned meanwhile by a test running in parallel (sshd) must not
        // hold the read end open, or the writes would find a reader.
        let (readEnd, writeEnd) = try makePipe()
        signal(SIGPIPE, SIG_IGN)
        defer { close(writeEnd) }
        var rng = SeededRandom(seed: 9)
        // Incompressible and all different: about 10 MB must reach the pipe, far beyond its buffer.
        let chunks = (0..<100).map { _ in
            (0..<12_500).flatMap { _ in withUnsafeBytes(of: rng.next()) { Array($0) } }
        }
        var failed = false
        do {
            let w = try StreamWriter(fd: writeEnd, kind: .delta, producer: "test 1", compressLevel: 3)
            close(readEnd) // the header went in; everything after it finds no reader
            for chunk in chunks { try w.write(.literal(chunk)) }
            try w.finish()
        } catch {
            failed = true
        }
        #expect(failed)
    }

    @Test func everyTruncationIsACleanError() throws {
        var rng = SeededRandom(seed: 99)
        let records = (0..<30).map { _ in randomRecord(&rng) }.filter { if case .literal = $0 { return false }; return true }
        let t = TempDir()
        let path = try writeStream(t, records)
        let full = readFile(path)!
        for n in 0..<full.count {
            writeFile(t.sub("cut"), Array(full.prefix(n)))
            do {
                _ = try readStream(t.sub("cut"))
                Issue.record("truncation at \(n) of \(full.count) was not detected")
            } catch let e as SyError {
                #expect(e.status == .streamIO || e.status == .protocolIncompatible)
                #expect(!e.message.contains("\n"))
            }
        }
    }

    @Test func bitFlipsAreDetected() throws {
        var rng = SeededRandom(seed: 5)
        let records = (0..<40).map { _ in randomRecord(&rng) }
        let t = TempDir()
        let full = readFile(try writeStream(t, records))!
        for _ in 0..<300 {
            var b = full
            let i = Int.random(in: 0..<b.count, using: &rng)
            b[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            writeFile(t.sub("flip"), b)
            #expect(throws: SyError.self, "flip at byte \(i)") { try readStream(t.sub("flip")) }
        }
    }

    @Test func badHeadersNameTheProblem() throws {
        let t = TempDir()
        let cases: [([UInt8], String)] = [
            (Array("hello world".utf8), "bad magic"),
            ([0x73, 0x79, 0x0D, 0x0A, 9, 1, 0], "version 9"),
            ([0x73, 0x79, 0x0D, 0x0A, Wire.version, 77, 0], "unknown stream kind"),
            ([0x73, 0x79, 0x0D, 0x0A, Wire.version, 3, 0, 0x55, 0], "unknown record type 0x55"),
            ([0x73, 0x79, 0x0D, 0x0A, Wire.version, 3, 0, 0x10, 0xFF, 0xFF, 0xFF, 0x7F], "exceeds the maximum"),
        ]
        for (bytes, expected) in cases {
            writeFile(t.sub("s"), bytes)
            do { _ = try readStream(t.sub("s")); Issue.record("accepted \(bytes)") } catch let e as SyError {
                #expect(e.message.contains(expected), "\(e.message)")
            }
        }
    }

    @Test func unsafePathsAreRejected() throws {
        let bad: [PathBytes] = [Array("/etc/passwd".utf8), Array("a/../b".utf8), Array("..".utf8), Array("a//b".utf8),
                                Array("a/./b".utf8), [0x61, 0x00, 0x62], Array("a/".utf8), []]
        for p in bad {
            #expect(PathCheck.problem(p) != nil, "\(p.displayName)")
            var payload: [UInt8] = []
            Entry(path: p, kind: .file).encode(into: &payload)
            var r = PayloadReader(payload)
            #expect(throws: SyError.self) { try Record.decode(.entry, &r) }
        }
        #expect(PathCheck.problem([0x2E]) == nil)
        #expect(PathCheck.problem(Array("a b/\u{0A}c/\u{FF}".utf8)) == nil)
    }
}
