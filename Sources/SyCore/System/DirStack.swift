import Glibc

/// Open directory fds along the current path below a root, reused while a sorted stream
/// stays in the same directory. Every component is opened with `O_NOFOLLOW`, so a symlink
/// inside the tree never leads out of it.
public final class DirStack {
    public let rootFd: Int32
    /// Paths and fds of open directories below the root, outermost first.
    public private(set) var paths: [PathBytes] = []
    public private(set) var fds: [Int32] = []
    /// Called just before a directory is closed (apply finalizes metadata here).
    public var onPop: ((PathBytes, Int32) -> Void)?

    /// Follow symlinks to directories (only for reading a sender's tree with `-L` and friends).
    public var followLinks = false
    /// `-K`: whether the symlink at this path may be followed to a directory (nil: never).
    public var followsDirLink: ((PathBytes) -> Bool)?

    public init(rootFd: Int32, followLinks: Bool = false) { self.rootFd = rootFd; self.followLinks = followLinks }

    deinit { closeAll() }

    /// Closes every open directory (innermost first).
    public func closeAll() {
        while !paths.isEmpty { pop() }
    }

    private func pop() {
        let p = paths.removeLast(), fd = fds.removeLast()
        onPop?(p, fd)
        Sys.close(fd)
    }

    /// Closes open directories that are not `dir` or its ancestors.
    public func unwind(to dir: PathBytes) {
        while let last = paths.last, !(last == dir || PathOps.isInside(dir, last)) { pop() }
    }

    /// The fd of directory `dir` (a clean relative path or `.`), opening what is missing.
    public func fd(for dir: PathBytes) throws(Errno) -> Int32 {
        unwind(to: dir)
        if dir == [0x2E] { return rootFd }
        if paths.last == dir { return fds.last! }
        var start = paths.last.map { $0.count + 1 } ?? 0
        var cur = fds.last ?? rootFd
        while start < dir.count {
            var end = start
            while end < dir.count && dir[end] != 0x2F { end += 1 }
            let name = Array(dir[start..<end])
            let fd = followLinks ? try Sys.openat(cur, name, O_RDONLY | O_DIRECTORY)
                                 : try DirStack.openDir(cur, name, path: Array(dir[0..<end]), followsDirLink).fd
            paths.append(Array(dir[0..<end])); fds.append(fd)
            cur = fd
            start = end + 1
        }
        return cur
    }

    /// Opens directory `name` under `dir` without following a symlink, unless `follows` allows
    /// following the one at `path` (`-K`); `followed` says whether it went through a link.
    public static func openDir(_ dir: Int32, _ name: PathBytes, path: PathBytes,
                               _ follows: ((PathBytes) -> Bool)?) throws(Errno) -> (fd: Int32, followed: Bool) {
        do { return (try Sys.openDir(dir, name), false) } catch {
            guard error.code == ELOOP || error.code == ENOTDIR, let follows, follows(path) else { throw error }
            return (try Sys.openat(dir, name, O_RDONLY | O_DIRECTORY), true)
        }
    }

    /// Records an fd the caller already opened for `dir` (a child of the current top).
    public func push(_ dir: PathBytes, fd: Int32) {
        unwind(to: PathOps.parent(dir))
        paths.append(dir); fds.append(fd)
    }
}
