import Dispatch
import Glibc

/// Closes descriptors on a thread of its own. The last close of a file that a rename just
/// replaced frees the file's blocks (and, on ext4 mounted with `discard`, waits for the device
/// to discard them, a disk round trip even for a small file): done here, that overlaps the next
/// file's work instead of holding it up. Small files are closed in batches, so that the thread
/// is woken once per `batch` of them rather than once per file. At most `limit` descriptors
/// wait; beyond that (or where `defers` is off) `close` closes at once.
public final class Closer: @unchecked Sendable {
    private let lock = NSLockLite()
    private let work = DispatchSemaphore(value: 0)
    private let idle = DispatchSemaphore(value: 0)
    private var queue: [Int32] = []
    private var queuedBytes: Int64 = 0
    private var waiting = false
    private var started = false
    private var stopping = false
    private let limit: Int
    private let batch: Int
    private let batchBytes: Int64

    /// Whether closes may wait at all. Off where the disk is nearly full: blocks freed late could
    /// make a file written meanwhile fail for want of room. Set before the first `close`.
    public var defers = true

    public init(limit: Int = 64, batch: Int = 16, batchBytes: Int64 = 256 << 10) {
        self.limit = limit
        self.batch = batch
        self.batchBytes = batchBytes
    }

    /// Closes `fd`, the last descriptor of a file of `size` bytes, later or (when too many
    /// wait) now.
    public func close(_ fd: Int32, size: Int64) {
        let (queued, wake): (Bool, Bool) = lock.withLock {
            guard defers, !stopping, queue.count < limit else { return (false, false) }
            queue.append(fd)
            queuedBytes += size
            guard waiting, queue.count >= batch || queuedBytes >= batchBytes else { return (true, false) }
            waiting = false
            return (true, true)
        }
        guard queued else { Sys.close(fd); return }
        if !started {
            started = true
            Thread.detach { [self] in loop() }
        }
        if wake { work.signal() }
    }

    /// Waits until every descriptor handed over is closed.
    public func finish() {
        let (running, wake): (Bool, Bool) = lock.withLock {
            stopping = true
            defer { waiting = false }
            return (started, waiting)
        }
        guard running else { return }
        if wake { work.signal() }
        idle.wait()
    }

    private func loop() {
        while true {
            let (fds, stop): ([Int32], Bool) = lock.withLock {
                let ready = stopping || queue.count >= batch || queuedBytes >= batchBytes
                guard ready else { waiting = true; return ([], false) }
                defer { queue.removeAll(keepingCapacity: true); queuedBytes = 0 }
                return (queue, stopping)
            }
            if fds.isEmpty && !stop { work.wait(); continue }
            for fd in fds { Sys.close(fd) }
            if stop && lock.withLock({ queue.isEmpty }) { break }
        }
        idle.signal()
    }
}
