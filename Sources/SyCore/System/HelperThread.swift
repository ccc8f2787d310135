import Dispatch

/// A helper thread that sleeps while it has nothing to do, as `Closer` and `UnnamedSupply`
/// run one: started on first use, woken by its owner only while it sleeps (so a busy thread
/// costs no wake-ups), and waited for at the end.
///
/// Its flags live under `lock`, which the owner takes for its own state too: the owner asks
/// `needsWaking()` under the lock and calls `wake()` after it; the thread calls `willSleep()`
/// under the lock when it finds nothing to do and `sleep()` after it, and `exited()` last.
final class HelperThread: @unchecked Sendable {
    let lock = NSLockLite()
    private let work = DispatchSemaphore(value: 0)
    private let idle = DispatchSemaphore(value: 0)
    private var asleep = false
    private var started = false
    /// Set by `finish`: the thread is to do what is left and return (read under `lock`).
    private(set) var stopping = false

    /// Under `lock`: whether the thread sleeps and must be woken; it counts as awake from now.
    func needsWaking() -> Bool {
        guard asleep else { return false }
        asleep = false
        return true
    }

    /// Starts the thread with `body` unless it runs already (owner's thread only).
    func start(_ body: @escaping @Sendable () -> Void) {
        guard !lock.withLock({ defer { started = true }; return started }) else { return }
        Thread.detach(body)
    }

    /// Wakes the thread (after `needsWaking()` said so, outside the lock).
    func wake() { work.signal() }

    /// In the thread, under `lock`: it found nothing to do and goes to sleep.
    func willSleep() { asleep = true }

    /// In the thread, after `willSleep()` and outside the lock: sleeps until woken.
    func sleep() { work.wait() }

    /// In the thread, as it returns: lets `finish` return.
    func exited() { idle.signal() }

    /// Tells the thread to stop, wakes it if it sleeps, and waits until it has returned.
    func finish() {
        let (running, wake): (Bool, Bool) = lock.withLock {
            stopping = true
            return (started, needsWaking())
        }
        guard running else { return }
        if wake { work.signal() }
        idle.wait()
    }
}
