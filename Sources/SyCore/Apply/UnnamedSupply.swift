import Glibc
import CSyLinux

/// Makes unnamed files (O_TMPFILE) ahead of need, on a thread of its own, in the directory the
/// applier writes into.
///
/// Making an inode can cost more than writing a small file: ext4 without a journal steps over
/// every recently freed inode of the block group on each allocation (`recently_deleted`), so
/// once a run has replaced or deleted files (or a tree was just removed) each new file costs
/// more. Made here, that work overlaps the applier's writing. A file is only ever handed out
/// for the directory it was made in, so it has that directory's group (set-group-ID) and
/// default ACL as if the applier had made it. What is not taken when the applier moves on is
/// closed, which frees it: no name was ever made, so nothing is left behind.
///
/// It starts only once the applier's own files take long to make (`observe`): where an inode
/// costs a few microseconds (tmpfs, a healthy ext4), waking the thread for each file would
/// cost more than it saves.
final class UnnamedSupply: @unchecked Sendable {
    /// From this average time to make a file on (nanoseconds), files are made ahead.
    static let slowMake: Int64 = 40_000
    /// The applier's recent average time to make a file (updated by `observe`).
    private var averageMake: Int64 = 0
    private var engaged = false
    private let thread = HelperThread()
    /// The directory being supplied: its identity, our descriptor for it, a count of changes.
    private var dev: UInt64 = 0, ino: UInt64 = 0
    private var dirFd: Int32 = -1
    private var generation = 0
    /// The directory in which a file could not be made (no more are tried there).
    private var failedGeneration = -1
    private var ready: [Int32] = []
    /// Descriptors to close on the thread: files not taken, directories left.
    private var stale: [Int32] = []
    /// Files taken in this directory.
    private var taken = 0
    private var off = false

    /// How many files to keep ready: one until a directory has shown it holds several.
    private var wanted: Int { dirFd < 0 ? 0 : taken < 4 ? 1 : 2 }

    /// Whether `code`, from making an unnamed file, says the filesystem has none.
    static func unsupported(_ code: Int32) -> Bool { [EOPNOTSUPP, EISDIR, EINVAL, ENOENT].contains(code) }

    /// The time the caller took to make a file itself: once that is slow on average, the
    /// supply starts.
    func observe(nanos: Int64) {
        averageMake += (nanos - averageMake) / 8
        if averageMake >= UnnamedSupply.slowMake { engaged = true }
    }

    /// A file made in `dir` if one is ready (else nil: the caller makes it), and more are
    /// made for the next files in the same directory.
    func take(dir: Int32) -> Int32? {
        guard engaged, let st = try? Sys.fstat(dir) else { return nil }
        let (fd, wake): (Int32?, Bool) = thread.lock.withLock {
            guard !off, !thread.stopping else { return (nil, false) }
            if dirFd < 0 || st.dev != dev || st.ino != ino {
                stale += ready
                ready.removeAll(keepingCapacity: true)
                if dirFd >= 0 { stale.append(dirFd) }
                dirFd = fcntl(dir, F_DUPFD_CLOEXEC, 0)
                dev = st.dev; ino = st.ino
                generation += 1
                taken = 0
            }
            taken += 1
            let fd = ready.isEmpty ? nil : ready.removeFirst()
            return (fd, (ready.count < wanted || !stale.isEmpty) && thread.needsWaking())
        }
        thread.start { [self] in loop() }
        if wake { thread.wake() }
        return fd
    }

    /// Stops making files and closes every descriptor held; waits for the thread.
    func finish() { thread.finish() }

    private enum Job { case make(dir: Int32, generation: Int), close([Int32]), wait, stop([Int32]) }

    private func loop() {
        while true {
            let job: Job = thread.lock.withLock {
                if thread.stopping {
                    let all = stale + ready + (dirFd >= 0 ? [dirFd] : [])
                    stale = []; ready = []; dirFd = -1
                    return .stop(all)
                }
                if !stale.isEmpty {
                    defer { stale.removeAll(keepingCapacity: true) }
                    return .close(stale)
                }
                if !off, dirFd >= 0, generation != failedGeneration, ready.count < wanted { return .make(dir: dirFd, generation: generation) }
                thread.willSleep()
                return .wait
            }
            switch job {
            case .stop(let fds):
                for fd in fds { Sys.close(fd) }
                thread.exited()
                return
            case .close(let fds):
                for fd in fds { Sys.close(fd) }
            case .wait:
                thread.sleep()
            case .make(let dir, let gen):
                // (`dir` stays open until this thread closes it, after this make.)
                let fd = sy_open_unnamed(dir)
                let failure = errno
                thread.lock.withLock {
                    if fd < 0 {
                        // Not supported here: never again; no room or no right: not in this
                        // directory. The applier makes its own (and reports what fails).
                        if UnnamedSupply.unsupported(failure) { off = true }
                        failedGeneration = gen
                    } else if gen == generation && !thread.stopping {
                        ready.append(fd)
                    } else {
                        stale.append(fd)
                    }
                }
            }
        }
    }
}
