import Dispatch
import Glibc

/// Writes filled buffers to files on a thread of its own, in the order they were queued, so
/// that reading and hashing the next piece of a large basis copy overlaps writing the last
/// (1 GiB rebuilt from its basis here: pread + hash 0.2 s, pwrite 0.4 s; one after the other
/// 0.77 s). A small ring of buffers bounds the memory; the producer waits for a free one.
///
/// Use: `acquire()` a buffer, fill it, `submit` it (or `cancel()` to give it back unused);
/// `drain()` before anything else touches the file, and before closing it.
final class WriteQueue: @unchecked Sendable {
    /// One queued write.
    private struct Job {
        var buffer: UnsafeMutableRawPointer
        var count: Int
        var fd: Int32
        var offset: Int64
    }

    let bufferSize: Int
    private let depth: Int
    private let buffers: [UnsafeMutableRawPointer]
    private let free: DispatchSemaphore
    private let queued = DispatchSemaphore(value: 0)
    private let lock = NSLockLite()
    private var jobs: [Job] = []
    private var next = 0
    private var started = false
    /// The first write's errno since the last drain (0: none); later writes are skipped.
    private var failure: Int32 = 0
    private var writtenEnd: Int64 = 0

    init(depth: Int = 4, bufferSize: Int = 1 << 20) {
        self.depth = depth
        self.bufferSize = bufferSize
        buffers = (0..<depth).map { _ in UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 4096) }
        free = DispatchSemaphore(value: depth)
    }

    deinit { for b in buffers { b.deallocate() } }

    /// Where the last write done ended (the producer starts writeback up to there: the writer
    /// thread is the busier one).
    var written: Int64 { lock.withLock { writtenEnd } }

    /// A buffer to fill, once one is free (the writes queue in order, so buffers come round in turn).
    func acquire() -> UnsafeMutableRawPointer {
        free.wait()
        return buffers[next % depth]
    }

    /// Gives back the buffer `acquire` returned, unused.
    func cancel() { free.signal() }

    /// Queues the acquired buffer's first `count` bytes for writing at `offset` of `fd`.
    func submit(count: Int, fd: Int32, offset: Int64) {
        let job = Job(buffer: buffers[next % depth], count: count, fd: fd, offset: offset)
        next &+= 1
        let start: Bool = lock.withLock {
            jobs.append(job)
            defer { started = true }
            return !started
        }
        if start { Thread.detach { [self] in run() } }
        queued.signal()
    }

    /// Waits until every queued write is done; the first one's error since the last drain, if any.
    func drain() -> Errno? {
        for _ in 0..<depth { free.wait() }
        for _ in 0..<depth { free.signal() }
        return lock.withLock {
            defer { failure = 0; writtenEnd = 0 }
            return failure == 0 ? nil : Errno(failure)
        }
    }

    private func run() {
        while true {
            queued.wait()
            let (job, skip): (Job, Bool) = lock.withLock { (jobs.removeFirst(), failure != 0) }
            if !skip {
                do throws(Errno) { try Sys.pwriteAll(job.fd, job.buffer, job.count, job.offset) } catch {
                    lock.withLock { failure = error.code }
                }
            }
            lock.withLock { writtenEnd = job.offset + Int64(job.count) }
            free.signal()
        }
    }
}
