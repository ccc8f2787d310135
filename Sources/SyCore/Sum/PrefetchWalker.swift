import Dispatch
import Glibc

/// A destination walk that runs ahead on its own thread, so the kernel's stat work overlaps
/// the merge. Items arrive in stream order through a bounded queue of batches; a directory
/// the walk goes into carries its entries' names (`WalkItem.listing`).
///
/// `skipChildren()` cannot stop a walk that already happened: the items below a skipped
/// directory are dropped as they arrive. Item `dirfd`s are not valid on the consumer side
/// (the walker thread closes them); open entries by path with `openRelative`.
public final class PrefetchWalker: @unchecked Sendable {
    private let lock = NSLockLite()
    private let notEmpty = DispatchSemaphore(value: 0)
    private let notFull: DispatchSemaphore
    private var queue: [[WalkItem]] = []
    /// Batches the consumer is through with, freed on the walker's thread: its memory goes back
    /// to the malloc arena it came from without the two threads contending for that arena's lock.
    private var used: [[WalkItem]] = []
    private var done = false
    private var current: [WalkItem] = []
    private var index = 0
    private var skipping: PathBytes?
    let rootFd: Int32
    private let dirs: DirStack

    /// Starts walking below `rootFd` (which stays open for the consumer). `followDirLinks`
    /// (`-K`): a symlink to a directory is walked as the directory (the item says `followed`).
    /// `only`: the names at the top to walk (`.` itself is listed with them alone), nil for all.
    public init(rootFd: Int32, only: [PathBytes]? = nil, followDirLinks: Bool = false, onProblem: @escaping @Sendable (SyError) -> Void) {
        self.rootFd = rootFd
        // Created at 0 and raised to 64: libdispatch traps when a semaphore is freed below its
        // initial value, which happens when the consumer stops early (a bad stream).
        notFull = DispatchSemaphore(value: 0)
        for _ in 0..<64 { notFull.signal() }
        dirs = DirStack(rootFd: rootFd, followLinks: followDirLinks)
        let walkFd = dup(rootFd)
        Thread.detach { [self] in
            let mode: SymlinkMode = followDirLinks ? .followDirs : .keep
            let walker: TreeWalker
            if let only {
                walker = TreeWalker(rootDir: walkFd, roots: only.map { WalkRoot(dirfd: walkFd, fsName: $0, streamName: $0) })
                walker.symlinks = mode
                walker.loopsStayLinks = true
            } else {
                walker = TreeWalker(directory: walkFd, symlinks: mode, loopsStayLinks: true)
            }
            walker.onProblem = onProblem
            var batch: [WalkItem] = []
            batch.reserveCapacity(512)
            while let item = walker.next() {
                // A directory carries its listing: the merge looks names up in it.
                if item.kind == .directory && walker.willDescend { item.listing = walker.childListing() }
                batch.append(item)
                if batch.count == 512 { push(batch); batch.removeAll(keepingCapacity: true) }
            }
            push(batch)
            lock.withLock { done = true }
            notEmpty.signal()
            Sys.close(walkFd)
        }
    }

    deinit { dirs.closeAll() }

    private func push(_ batch: [WalkItem]) {
        guard !batch.isEmpty else { return }
        notFull.wait()
        var old: [[WalkItem]] = []
        lock.withLock {
            queue.append(batch)
            swap(&old, &used)
        }
        notEmpty.signal()
        old.removeAll()
    }

    private func nextRaw() -> WalkItem? {
        while index >= current.count {
            notEmpty.wait()
            let got: [WalkItem]? = lock.withLock {
                if !queue.isEmpty { return queue.removeFirst() }
                return nil
            }
            if let b = got {
                notFull.signal()
                var old = b
                swap(&old, &current)
                index = 0
                if !old.isEmpty { lock.withLock { used.append(old) } }
            } else if lock.withLock({ done }) {
                notEmpty.signal() // stay signalled for later calls
                return nil
            }
        }
        defer { index += 1 }
        return current[index]
    }

    /// The next item in stream order, or nil at the end.
    public func next() -> WalkItem? {
        while let item = nextRaw() {
            if let s = skipping {
                if PathOps.isInside(item.path, s) { continue }
                skipping = nil
            }
            return item
        }
        return nil
    }

    /// Drops the children of the directory just returned by `next()`.
    public func skipChildren(of path: PathBytes) {
        skipping = path
    }

    /// The directory `path` itself (opened through the consumer's own descriptors).
    public func directoryFd(_ path: PathBytes) throws(Errno) -> Int32 {
        try dirs.fd(for: path)
    }

    /// The directory holding `path` (the root itself for `.`), for calls by name.
    public func parentFd(_ path: PathBytes) throws(Errno) -> Int32 {
        path == [0x2E] ? rootFd : try dirs.fd(for: PathOps.parent(path))
    }

    /// Opens `path` (a walked entry) for reading, relative to the root, without following symlinks.
    public func openRelative(_ path: PathBytes) throws(Errno) -> Int32 {
        let dir = try dirs.fd(for: PathOps.parent(path))
        return try Sys.openat(dir, PathOps.base(path), O_RDONLY | O_NOFOLLOW)
    }
}

/// A minimal mutex (pthread) for the queue.
final class NSLockLite: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return body()
    }
}

/// A detached pthread running a closure.
enum Thread {
    static func detach(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable { let f: @Sendable () -> Void; init(_ f: @escaping @Sendable () -> Void) { self.f = f } }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        pthread_create(&tid, nil, { arg in
            let b = Unmanaged<AnyObject>.fromOpaque(arg!).takeRetainedValue() as! Box
            b.f()
            return nil
        }, box)
        pthread_detach(tid)
    }
}
