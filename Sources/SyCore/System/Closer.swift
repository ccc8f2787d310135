import Glibc

/// Closes descriptors on a thread of its own. The last close of a file that a rename just
/// replaced frees the file's blocks (and, on ext4 mounted with `discard`, waits for the device
/// to discard them, a disk round trip even for a small file): done here, that overlaps the next
/// file's work instead of holding it up. Small files are closed in batches, so that the thread
/// is woken once per `batch` of them rather than once per file. At most `limit` descriptors
/// wait; beyond that (or where `defers` is off) `close` closes at once.
public final class Closer: @unchecked Sendable {
    private let thread = HelperThread()
    private var queue: [Int32] = []
    private var queuedBytes: Int64 = 0
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

    /// Under the lock: whether a batch is ready (or the thread is to stop and close the rest).
    private var batchReady: Bool { thread.stopping || queue.count >= batch || queuedBytes >= batchBytes }

    /// Closes `fd`, the last descriptor of a file of `size` bytes, later or (when too many
    /// wait) now.
    public func close(_ fd: Int32, size: Int64) {
        let (queued, wake): (Bool, Bool) = thread.lock.withLock {
            guard defers, !thread.stopping, queue.count < limit else { return (false, false) }
            queue.append(fd)
            queuedBytes += size
            return (true, batchReady && thread.needsWaking())
        }
        guard queued else { Sys.close(fd); return }
        thread.start { [self] in loop() }
        if wake { thread.wake() }
    }

    /// Waits until every descriptor handed over is closed.
    public func finish() { thread.finish() }

    private func loop() {
        while true {
            let (fds, stop): ([Int32], Bool) = thread.lock.withLock {
                guard batchReady else { thread.willSleep(); return ([], false) }
                defer { queue.removeAll(keepingCapacity: true); queuedBytes = 0 }
                return (queue, thread.stopping)
            }
            if fds.isEmpty && !stop { thread.sleep(); continue }
            for fd in fds { Sys.close(fd) }
            if stop && thread.lock.withLock({ queue.isEmpty }) { break }
        }
        thread.exited()
    }
}
