import Glibc

/// Compresses a `-z` stream's body on a thread of its own, one buffer behind the producer: while
/// it compresses and sends one buffer, the producer (matching, reading files) fills the next.
/// On the release update over ssh, zstd was half of sy-delta's time, on the same core as the
/// matching. Holds one buffer besides the producer's; a failure (the reader went away) is
/// raised at the next hand-off.
final class CompressWorker: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// The buffer being compressed; touched by the producer only while `busy` is false.
    private var pending: [UInt8] = []
    private var busy = false
    private var started = false
    private var failure: SyError?
    private let work: (UnsafeRawBufferPointer) throws(SyError) -> Void

    /// `work` compresses and writes one buffer; it runs on the worker thread only.
    init(_ work: @escaping (UnsafeRawBufferPointer) throws(SyError) -> Void) {
        self.work = work
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    /// Hands `buffer` over (it comes back empty, with the capacity of the last one handed over),
    /// after the previous one is done.
    func submit(_ buffer: inout [UInt8]) throws(SyError) {
        pthread_mutex_lock(mutex)
        while busy { pthread_cond_wait(cond, mutex) }
        if let f = failure { pthread_mutex_unlock(mutex); throw f }
        swap(&pending, &buffer)
        busy = true
        let start = !started
        started = true
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
        if start { Thread.detach { [self] in loop() } }
    }

    /// Waits until everything handed over is written; raises a failure on the way.
    func drain() throws(SyError) {
        pthread_mutex_lock(mutex)
        while busy { pthread_cond_wait(cond, mutex) }
        let f = failure
        pthread_mutex_unlock(mutex)
        if let f { throw f }
    }

    private func loop() {
        while true {
            pthread_mutex_lock(mutex)
            while !busy { pthread_cond_wait(cond, mutex) }
            pthread_mutex_unlock(mutex)
            var err: SyError?
            if failure == nil {
                err = pending.withUnsafeBytes { b in
                    do throws(SyError) { try work(b) } catch { return error }
                    return nil
                }
            }
            pthread_mutex_lock(mutex)
            pending.removeAll(keepingCapacity: true)
            if let err { failure = err }
            busy = false
            pthread_cond_broadcast(cond)
            pthread_mutex_unlock(mutex)
        }
    }
}
