import Glibc

/// The source arguments of a transfer and how stream paths map onto them, with rsync's
/// trailing-slash rule: `dir/` sends the contents of dir (it becomes `.`), `dir` sends dir itself.
public final class SourceSet {
    struct Source {
        var arg: PathBytes
        var contents: Bool
        var dirfd: Int32
        var fsName: PathBytes
        var streamName: PathBytes
    }

    private var sources: [Source] = []
    /// Descriptors this set opened and closes.
    private var owned: [Int32] = []
    /// First contents-mode source directory: the stream's `.`.
    public private(set) var rootDir: Int32?
    private var stacks: [Int32: DirStack] = [:]
    /// The first source's transfer root as an absolute path, and whether the walk lists it as
    /// `.` (a source given with a trailing slash); for per-directory filter files above it.
    public private(set) var transferRoot: (path: PathBytes, walked: Bool)?

    /// `--ignore-missing-args`: a missing source is no error; its stream name is kept in `missing`.
    public let ignoreMissing: Bool
    public private(set) var missing: [PathBytes] = []
    /// Open source files and directories through symlinks (the scan followed them: -L, -k, --copy-unsafe-links).
    public var followLinks = false { didSet { relative?.followLinks = followLinks } }
    /// A one-file transfer whose receiver named the file after the destination (`--dest-name`):
    /// that name stands for the one source too.
    public var alias: PathBytes?
    /// `-R`: the sources are named by their paths (see `RelativeSources`).
    public private(set) var relative: RelativeSources?

    /// Opens the sources. A missing source is reported through `onProblem` and left out.
    /// `relative`: rsync's `-R`, with `list` the `--files-from` names below `args[0]`.
    public init(args: [PathBytes], topName: PathBytes? = nil, relative: Bool = false, list: [PathBytes]? = nil,
                impliedDirs: Bool = true, ignoreMissing: Bool = false, skipDirectories: Bool = false,
                listsContents: Bool = false,
                excluded: (PathBytes) -> Bool = { _ in false },
                onNote: (String) -> Void = { _ in }, onProblem: (SyError) -> Void) {
        self.ignoreMissing = ignoreMissing
        if relative {
            let r = RelativeSources(args: args, list: list, impliedDirs: impliedDirs, ignoreMissing: ignoreMissing,
                                    skipDirectories: skipDirectories, listsContents: listsContents, excluded: excluded,
                                    onNote: onNote, onProblem: onProblem)
            self.relative = r
            if let p = r.firstBasePath { transferRoot = (p, false) }
            return
        }
        for arg in args {
            let contents = arg.last == 0x2F || arg == [0x2E] || arg.suffix(2) == [0x2F, 0x2E]
            if contents {
                do {
                    let fd = try Sys.openat(Sys.atFDCWD, arg, O_RDONLY | O_DIRECTORY)
                    owned.append(fd)
                    if rootDir == nil { rootDir = fd }
                    if transferRoot == nil { transferRoot = (FilterList.absolutePath(arg), true) }
                    sources.append(Source(arg: arg, contents: true, dirfd: fd, fsName: [], streamName: []))
                } catch {
                    onProblem(SyError.sys("change_dir failed for", arg, error.code, status: .partial))
                }
                continue
            }
            var trimmed = arg
            while trimmed.count > 1 && trimmed.last == 0x2F { trimmed.removeLast() }
            let parent = trimmed.lastIndex(of: 0x2F).map { $0 == 0 ? [0x2F] : Array(trimmed[..<$0]) } ?? [0x2E]
            let name = PathOps.base(trimmed)
            do {
                let pfd = try Sys.openat(Sys.atFDCWD, parent, O_RDONLY | O_DIRECTORY)
                owned.append(pfd)
                _ = try Sys.fstatat(pfd, name)
                if transferRoot == nil { transferRoot = (FilterList.absolutePath(parent), false) }
                sources.append(Source(arg: arg, contents: false, dirfd: pfd, fsName: name,
                                      streamName: topName ?? name))
            } catch {
                if error.code == ENOENT && ignoreMissing {
                    missing.append(topName ?? name)
                } else {
                    onProblem(SyError.sourceStat(arg, error.code))
                }
            }
        }
        missing.sort { PathOps.compare($0, isDir: false, $1, isDir: false) < 0 }
    }

    deinit {
        stacks.values.forEach { $0.closeAll() }
        owned.forEach { Sys.close($0) }
    }

    /// The stream's top-level names when every source is named (no `dir/` contents and no
    /// `-R`): the stream has no `.`, and the receiver need look at nothing else at the top.
    public var topNames: [PathBytes]? {
        guard relative == nil, rootDir == nil, !sources.contains(where: \.contents) else { return nil }
        var names = Set(sources.map(\.streamName))
        names.formUnion(missing)
        return names.sorted(by: bytesLess)
    }

    /// How many sources send a directory's contents (`dir/`).
    public var contentsSources: Int { sources.filter(\.contents).count }

    /// The positions among the arguments of the sources that send `path` (a stream name at the
    /// top: `.` for the `dir/` sources); empty under -R or where none does.
    public func argumentPositions(of path: PathBytes) -> [Int] {
        guard relative == nil else { return [] }
        return sources.indices.filter { path == [0x2E] ? sources[$0].contents : (!sources[$0].contents && sources[$0].streamName == path) }
    }

    /// The entries of rsync's first file list: one per source found that `excluded` (a stream
    /// name, whether it is a directory) leaves in, duplicates included; and how many distinct
    /// names they have (the stream sends a duplicate once).
    public func topEntries(excluded: (PathBytes, Bool) -> Bool) -> (all: Int, distinct: Int) {
        let kept = sources.filter { src in
            src.contents || !excluded(src.streamName, (try? Sys.fstatat(src.dirfd, src.fsName, follow: followLinks))?.kind == .directory)
        }
        return (kept.count, Set(kept.map(\.streamName)).count)
    }

    /// Whether any source was found.
    public var isEmpty: Bool { relative.map { $0.bases.isEmpty } ?? sources.isEmpty }

    /// The walk over every source in stream order.
    /// `contents`: list what a `dir/` source holds (without -r and -d rsync skips it whole).
    public func walker(recursive: Bool, contents: Bool = true, symlinks: SymlinkMode = .keep,
                       onProblem: @escaping (SyError) -> Void) -> any SourceWalk {
        if let r = relative { return r.walker(recursive: recursive, contents: contents, symlinks: symlinks, onProblem: onProblem) }
        func make(_ rootDir: Int32?, _ roots: [WalkRoot]) -> TreeWalker {
            let w = TreeWalker(rootDir: rootDir, roots: roots)
            w.onProblem = onProblem
            w.symlinks = symlinks
            return w
        }
        guard sources.count > 1 else {
            return make(rootDir, sources.flatMap { walkRoots($0, contents: contents, onProblem: onProblem) })
        }
        // Several sources: one walk each, merged as rsync merges them (see `MergedWalk`).
        return MergedWalk(sources.map { s in
            make(s.contents && s.dirfd == rootDir ? rootDir : nil, walkRoots(s, contents: contents, onProblem: onProblem))
        })
    }

    /// The top-level roots of the walk of one source.
    private func walkRoots(_ s: Source, contents: Bool, onProblem: (SyError) -> Void) -> [WalkRoot] {
        guard s.contents else { return [WalkRoot(dirfd: s.dirfd, fsName: s.fsName, streamName: s.streamName, isArgument: true)] }
        guard contents else { return [] }
        do {
            return try DirReader.sortedNames(s.dirfd).map { WalkRoot(dirfd: s.dirfd, fsName: $0, streamName: $0) }
        } catch {
            onProblem(SyError.sys("cannot read directory", s.arg, error.code, status: .partial))
            return []
        }
    }

    /// Opens the source file for stream path `path` without following any symlink.
    public func open(_ path: PathBytes, flags: Int32 = O_RDONLY) throws(Errno) -> Int32 {
        let (dirfd, name) = try locate(path)
        let extra = flags & ~O_ACCMODE
        if flags & O_ACCMODE == O_RDONLY { return try Sys.openForReading(dirfd, name, followLinks ? extra : extra | O_NOFOLLOW) }
        return try Sys.openat(dirfd, name, followLinks ? flags : flags | O_NOFOLLOW)
    }

    /// The directory fd and name under which `path` (a non-directory) lives in the sources.
    public func locate(_ path: PathBytes) throws(Errno) -> (Int32, PathBytes) {
        if let r = relative { return try r.locate(path) }
        if path == [0x2E] {
            guard let r = rootDir else { throw Errno(ENOENT) }
            return (r, [0x2E])
        }
        if let a = alias, path == a, sources.count == 1, !sources[0].contents { return (sources[0].dirfd, sources[0].fsName) }
        let top: PathBytes = path.firstIndex(of: 0x2F).map { Array(path[..<$0]) } ?? path
        let rest: PathBytes? = path.firstIndex(of: 0x2F).map { Array(path[($0 + 1)...]) }
        var failure = Errno(ENOENT)
        for s in sources {
            let found: (Int32, PathBytes)
            if s.contents {
                do { found = try below(s.dirfd, path) } catch { failure = error; continue }
            } else if s.streamName == top {
                guard let rest else { return (s.dirfd, s.fsName) }
                let stack = stacks[s.dirfd] ?? DirStack(rootFd: s.dirfd, followLinks: followLinks)
                stacks[s.dirfd] = stack
                do { found = try below(stack, s.fsName + [0x2F] + rest) } catch { failure = error; continue }
            } else {
                continue
            }
            // Several sources: the path is in the first one that has it (`MergedWalk`'s rule) as
            // a non-directory (what is located is a file's data or a source to remove; a later
            // source's file is sent where an earlier one's directory of the name is filtered out).
            if sources.count == 1 { return found }
            if let st = try? Sys.fstatat(found.0, found.1, follow: followLinks), st.kind != .directory { return found }
        }
        throw failure
    }

    private func below(_ dirfd: Int32, _ path: PathBytes) throws(Errno) -> (Int32, PathBytes) {
        let stack = stacks[dirfd] ?? DirStack(rootFd: dirfd, followLinks: followLinks)
        stacks[dirfd] = stack
        return try below(stack, path)
    }

    private func below(_ stack: DirStack, _ path: PathBytes) throws(Errno) -> (Int32, PathBytes) {
        let fd = try stack.fd(for: PathOps.parent(path))
        return (fd, PathOps.base(path))
    }
}
