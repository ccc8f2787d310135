import Glibc
import CSyLinux
import Testing
@testable import SyCore

/// The closer thread closes every descriptor handed to it by `finish()`, those over its limit
/// at once, small ones in batches: each pipe's write end, once closed, gives its read end
/// end-of-file.
struct CloserTests {
    /// Whether a read of `fd` (non-blocking) says end of file now.
    static func atEOF(_ fd: Int32) -> Bool {
        var b: UInt8 = 0
        return read(fd, &b, 1) == 0
    }

    static func pipes(_ n: Int) -> [(r: Int32, w: Int32)] {
        (0..<n).map { _ in
            // Close-on-exec from the start: a process that another test spawns meanwhile must
            // not inherit a write end and hold its pipe open.
            var p: [Int32] = [0, 0]
            _ = sy_pipe_cloexec(&p)
            _ = fcntl(p[0], F_SETFL, O_NONBLOCK)
            return (p[0], p[1])
        }
    }

    @Test func everyDescriptorIsClosedByFinish() {
        let closer = Closer(limit: 8)
        let ps = CloserTests.pipes(40)
        for p in ps { closer.close(p.w, size: 1 << 20) }
        closer.finish()
        // (Closed means end-of-file at once, but for a child another test is spawning at that
        // moment: until it execs, it holds a copy of every descriptor. Hence `eventually`.)
        #expect(CloserTests.eventually { ps.allSatisfy { CloserTests.atEOF($0.r) } })
        // After finish, descriptors are closed at once.
        let late = CloserTests.pipes(1)[0]
        closer.close(late.w, size: 0)
        #expect(CloserTests.eventually { CloserTests.atEOF(late.r) })
        for p in ps + [late] { Glibc.close(p.r) }
    }

    /// Small files wait for a batch (the thread is not woken for each); a batch's worth of
    /// bytes, or of descriptors, has them all closed without `finish`.
    @Test func smallFilesAreClosedInBatches() {
        let closer = Closer(limit: 64, batch: 4, batchBytes: 1000)
        let ps = CloserTests.pipes(6)
        for p in ps.prefix(3) { closer.close(p.w, size: 10) }
        usleep(50_000)
        #expect(ps.prefix(3).allSatisfy { !CloserTests.atEOF($0.r) })
        closer.close(ps[3].w, size: 10)
        #expect(CloserTests.eventually { ps.prefix(4).allSatisfy { CloserTests.atEOF($0.r) } })
        closer.close(ps[4].w, size: 10)
        closer.close(ps[5].w, size: 5000)
        #expect(CloserTests.eventually { ps.allSatisfy { CloserTests.atEOF($0.r) } })
        closer.finish()
        for p in ps { Glibc.close(p.r) }
    }

    /// Whether `check` holds within two seconds.
    static func eventually(_ check: () -> Bool) -> Bool {
        for _ in 0..<200 {
            if check() { return true }
            usleep(10_000)
        }
        return check()
    }

    @Test func unusedCloserFinishesAtOnce() {
        Closer().finish()
    }
}
