import Dispatch
import Glibc

/// Closes descriptors on a thread of its own. The last close of a file that a rename just
/// replaced frees the file's blocks (and, on ext4 mounted with `discard` and no journal, waits
/// for the device to discard them): done here, that overlaps the next file's work instead of
/// holding it up. At most `limit` descriptors wait; beyond that `close` closes at once.
public final class Closer: @unchecked Sendable {
    private let lock = NSLockLite()
    private let work = DispatchSemaphore(value: 0)
    private let idle = DispatchSemaphore(value: 0)
    private var queue: [Int32] = []
    private var started = false
    private var stopping = false
    private let limit: Int

    public init(limit: Int = 64) { self.limit = limit }

    /// Closes `fd`, later or (when too many wait) now.
    public func close(_ fd: Int32) {
        let queued: Bool = lock.withLock {
            guard !stopping, queue.count < limit else { return false }
            queue.append(fd)
            return true
        }
        guard queued else { Sys.close(fd); return }
        if !started {
            started = true
            Thread.detach { [self] in loop() }
        }
        work.signal()
    }

    /// Waits until every descriptor handed over is closed.
    public func finish() {
        let running: Bool = lock.withLock { stopping = true; return started }
        guard running else { return }
        work.signal()
        idle.wait()
    }

    private func loop() {
        while true {
            work.wait()
            let (fds, stop): ([Int32], Bool) = lock.withLock {
                defer { queue.removeAll(keepingCapacity: true) }
                return (queue, stopping)
            }
            for fd in fds { Sys.close(fd) }
            if stop && lock.withLock({ queue.isEmpty }) { break }
        }
        idle.signal()
    }
}
