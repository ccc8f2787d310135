import Glibc
import Testing
import SyTestSupport
@testable import SyCore

/// The write queue writes every buffer where it was asked to, in order, and reports a failed
/// write at the next drain (and skips the writes after it).
struct WriteQueueTests {
    @Test func piecesLandWhereTheyWereQueued() throws {
        let t = TempDir()
        let fd = open(t.sub("f"), O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        let q = WriteQueue(depth: 3, bufferSize: 4096)
        var expected: [UInt8] = []
        var rng = SeededRandom(seed: 7)
        // More pieces than buffers, of odd sizes, so buffers come round several times.
        for _ in 0..<25 {
            let n = Int(rng.next() % 4096) + 1
            let buf = q.acquire()
            for i in 0..<n { buf.storeBytes(of: UInt8(truncatingIfNeeded: rng.next()), toByteOffset: i, as: UInt8.self) }
            expected += UnsafeRawBufferPointer(start: buf, count: n)
            q.submit(count: n, fd: fd, offset: Int64(expected.count - n))
        }
        #expect(q.drain() == nil)
        #expect(q.written == 0) // reset by the drain
        #expect(readFile(t.sub("f")) == expected)
        // An acquired buffer given back unused writes nothing, and the queue goes on.
        _ = q.acquire()
        q.cancel()
        let buf = q.acquire()
        buf.storeBytes(of: 0x41, as: UInt8.self)
        q.submit(count: 1, fd: fd, offset: Int64(expected.count))
        #expect(q.drain() == nil)
        #expect(readFile(t.sub("f")) == expected + [0x41])
    }

    @Test func aFailedWriteIsReportedAtTheDrain() throws {
        let t = TempDir()
        writeFile(t.sub("ro"), [1, 2, 3])
        let ro = open(t.sub("ro"), O_RDONLY)
        defer { close(ro) }
        let q = WriteQueue(depth: 2, bufferSize: 64)
        for i in 0..<5 {
            _ = q.acquire()
            q.submit(count: 8, fd: ro, offset: Int64(i * 8))
        }
        #expect(q.drain()?.code == EBADF)
        #expect(readFile(t.sub("ro")) == [1, 2, 3])
        // The error is reported once; the next file's writes start clean.
        #expect(q.drain() == nil)
    }
}
