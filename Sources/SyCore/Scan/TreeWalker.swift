import Glibc

/// One item of a walk: its stream path and what `lstat` said. A class: items pass through
/// queues and the merge, where copying a struct of several arrays cost a retain per array
/// and a memcpy at each step (8% of a nothing-changed run's user time, measured).
public final class WalkItem: @unchecked Sendable {
    public var path: PathBytes
    public var stat: FileStat
    public var kind: EntryKind
    /// Symlink target (empty otherwise).
    public var target: PathBytes
    /// The directory fd it was found in and its name there (for opening it).
    public var dirfd: Int32
    public var name: PathBytes
    /// A directory whose listing could not be read.
    public var unreadable: Bool = false
    /// A directory listed without its contents (see `Entry.noContents`).
    public var noContents: Bool = false
    /// A destination walk's directory: its entries, in walk order (see `PrefetchWalker`).
    public var listing: DirListing? = nil
    /// A symlink the walk followed (`-L` and friends): `stat` describes its referent.
    public var followed: Bool = false
    /// A source argument itself: a link without referent is an error whatever the filters say.
    public var isArgument: Bool = false
    /// An implied parent directory of `-R`: sent only if something below it is.
    public var implied: Bool = false
    /// A directory named for its contents (`-R dir/` without -r): listed one level deep.
    public var contentDir: Bool = false
    /// A symlink that was to be followed but points nowhere (an error if the filters keep it).
    public var noReferent: Bool = false
    /// An unsafe symlink `--copy-unsafe-links` follows: its target (rsync notes it with -v).
    public var unsafeTarget: PathBytes?
    /// A later source's entry of a name an earlier one sends (see `MergedWalk`): reported, not sent.
    public var duplicate = false
    /// Later sources' entries of this name that the merge left out or merged into this one:
    /// rsync's file list holds them all, and its counts (--stats, "total size") include them.
    public var mergedAway: [MergedEntry] = []

    public init(path: PathBytes, stat: FileStat, kind: EntryKind, target: PathBytes, dirfd: Int32, name: PathBytes) {
        self.path = path; self.stat = stat; self.kind = kind; self.target = target; self.dirfd = dirfd; self.name = name
    }
}

/// A directory's entries in walk order: their names and which are directories.
public struct DirListing: Sendable {
    public var names: [PathBytes]
    public var isDir: [Bool]
    /// For a merge of several sources' listings: how many more sources list each name (rsync's
    /// list holds every copy until it removes the duplicates); empty for one source.
    public var copies: [Int] = []
    public init(names: [PathBytes], isDir: [Bool], copies: [Int] = []) { self.names = names; self.isDir = isDir; self.copies = copies }
    public var count: Int { names.count }
}

/// What the sending walk does with symlinks (rsync's -l default, -L, -k, --copy-unsafe-links, --safe-links).
public enum SymlinkMode: Sendable {
    case keep, follow, followDirs, followUnsafe, skipUnsafe
    /// `-k --safe-links`: links to directories followed, other unsafe links left out.
    case followDirsSkipUnsafe

    /// rsync's test: a target is unsafe if it is absolute or climbs with `..` above the
    /// transfer root from `path` (the link's own transfer path).
    public static func isUnsafe(_ target: PathBytes, at path: PathBytes) -> Bool {
        if target.first == 0x2F || target.isEmpty { return true }
        var depth = path.split(separator: 0x2F).count - 1
        for c in target.split(separator: 0x2F, omittingEmptySubsequences: true) {
            if c.elementsEqual([0x2E, 0x2E]) {
                depth -= 1
                if depth < 0 { return true }
            } else if !c.elementsEqual([0x2E]) {
                depth += 1
            }
        }
        return false
    }
}

/// A walk of the sources in stream order: `TreeWalker`, or `RelativeWalker` for `-R`.
public protocol SourceWalk: AnyObject {
    func next() -> WalkItem?
    /// Do not descend into the directory just returned.
    func skipChildren()
    /// Whether the children of the directory just returned come next.
    var willDescend: Bool { get }
    /// The entries of the directory just returned, in walk order, if the walk goes into it
    /// (nil when it does not or cannot tell).
    func childListing() -> DirListing?
    /// Device to stay on (`--one-file-system`).
    var oneFileSystemDev: UInt64? { get set }
}

/// A top-level item of a walk: a name under a directory fd, shown in the stream as `streamName`.
public struct WalkRoot {
    public var dirfd: Int32
    public var fsName: PathBytes
    public var streamName: PathBytes
    /// A source argument itself (not an entry of a `dir/` source).
    public var isArgument: Bool
    public init(dirfd: Int32, fsName: PathBytes, streamName: PathBytes, isArgument: Bool = false) {
        self.dirfd = dirfd; self.fsName = fsName; self.streamName = streamName; self.isArgument = isArgument
    }
}

/// A lazy depth-first walk in stream order (see `PathOps.compare(_:isDir:_:isDir:)`),
/// never following symlinks unless asked to.
///
/// `next()` yields items one at a time; after a directory, its children come next unless
/// `skipChildren()` is called first. A directory's entries are placed by the types its
/// listing reports (non-directories first) and stat'ed one by one as their turn comes; only
/// a listing with an unknown type, or symlinks that may be followed, is stat'ed whole first.
/// Memory is one listing per open level.
public final class TreeWalker: SourceWalk {
    private struct Frame {
        var fd: Int32
        var path: PathBytes
        var listing: DirListing
        /// Entries already stat'ed (the roots, or a directory whose kinds had to be checked
        /// to place them); otherwise each is stat'ed when its turn comes.
        var items: [WalkItem]?
        var index = 0
        /// The top level: its items carry their own directory fds.
        var isRoots = false
    }

    private var frames: [Frame] = []
    private var pending: (fd: Int32, path: PathBytes, dev: UInt64)?
    /// The pending directory's listing, when `childListing()` read it early.
    private var pendingFrame: Frame?
    private var rootItem: WalkItem?
    private var roots: [WalkRoot] = []
    /// Whether the top level (the roots, or the directory's entries) is in `frames` yet.
    private var topListed = false
    private var rootDirFd: Int32?
    private let prefix: PathBytes
    /// Device of the root, for `--one-file-system`.
    public var oneFileSystemDev: UInt64?
    /// Read symlink targets (the scan does; a destination walk only needs them for symlinks).
    public var readTargets = true
    /// Called for problems that do not stop the walk: unreadable directories (23) and vanished entries (24).
    public var onProblem: (SyError) -> Void = { warn($0.message) }
    /// Descend into directories at all (`-r`); without it only the roots are listed.
    public var recursive = true
    /// Which symlinks to follow or leave out.
    public var symlinks = SymlinkMode.keep

    /// A walk of `roots` (the top level, in any order), preceded by `rootDir` as `.` if given.
    /// `prefix`: the stream path the roots are listed under (`.`, the top, by default).
    public init(rootDir: Int32?, roots: [WalkRoot], prefix: PathBytes = [0x2E]) {
        var sorted = roots
        sorted.sort { bytesLess($0.streamName, $1.streamName) }
        var dedup: [WalkRoot] = []
        for r in sorted where dedup.last?.streamName != r.streamName { dedup.append(r) }
        self.roots = dedup
        self.prefix = prefix
        if let fd = rootDir, let st = try? Sys.fstat(fd) {
            rootItem = WalkItem(path: [0x2E], stat: st, kind: .directory, target: [], dirfd: fd, name: [0x2E])
        }
    }

    /// A walk of everything below the directory `fd`, starting with `.` itself.
    public convenience init(directory fd: Int32, symlinks: SymlinkMode = .keep, loopsStayLinks: Bool = false) {
        self.init(rootDir: fd, roots: [])
        self.symlinks = symlinks
        self.loopsStayLinks = loopsStayLinks
        rootDirFd = fd
        topListed = true
        frames.append(list(fd: fd, path: [0x2E], dev: rootItem?.stat.dev))
    }

    deinit {
        for f in frames where !f.isRoots && f.fd >= 0 && f.path != [0x2E] { Sys.close(f.fd) }
        if let p = pending { Sys.close(p.fd) }
    }

    /// Whether the walk goes into the directory just returned (its children come next).
    public var willDescend: Bool { pending != nil || returnedRoot }
    private var returnedRoot = false

    /// Do not descend into the directory just returned.
    public func skipChildren() {
        returnedRoot = false
        if let p = pending { Sys.close(p.fd) }
        pending = nil
        pendingFrame = nil
    }

    /// Whether a directory being walked lists `path` as a directory (one still to come, or
    /// being walked): what `MergedWalk` asks before it sends another source's file of that name.
    func listsDirectory(_ path: PathBytes) -> Bool {
        let parent = PathOps.parent(path), name = PathOps.base(path)
        for t in frames.indices.reversed() where frames[t].path == parent {
            // A listing is in walk order: binary search for the name as a directory.
            let names = frames[t].listing.names, isDir = frames[t].listing.isDir
            var lo = 0, hi = names.count
            while lo < hi {
                let m = (lo + hi) / 2
                if PathOps.compare(names[m], isDir: isDir[m], name, isDir: true) < 0 { lo = m + 1 } else { hi = m }
            }
            return lo < names.count && isDir[lo] && names[lo] == name
        }
        return false
    }

    /// The top level of a walk of roots, once it is listed (the first item after `.`).
    var topListing: DirListing? {
        frames.first.flatMap { $0.isRoots ? $0.listing : nil }
    }

    /// The entries of the directory just returned, in walk order, if the walk goes into it.
    public func childListing() -> DirListing? {
        if let p = pending {
            if pendingFrame == nil { pendingFrame = list(fd: p.fd, path: p.path, dev: p.dev) }
            return pendingFrame!.listing
        }
        if returnedRoot {
            listTop()
            return frames.last?.listing
        }
        return nil
    }

    /// Applies `symlinks` to a symlink item; false if it is left out.
    private func resolve(_ item: inout WalkItem) -> Bool {
        TreeWalker.resolve(&item, symlinks, isAncestor: isAncestor, onProblem: onProblem, loopsStayLinks: loopsStayLinks)
    }

    /// A link back to a directory being walked stays a link, quietly (the destination walk of
    /// `-K`, which follows links only in case the source sends a directory there).
    public var loopsStayLinks = false

    /// Applies `symlinks` to the symlink `item` (its target read): follows it where the mode
    /// says so (`isAncestor` tells a directory being walked, a loop); false if it is left out.
    static func resolve(_ item: inout WalkItem, _ symlinks: SymlinkMode, isAncestor: (FileStat) -> Bool,
                        onProblem: (SyError) -> Void, loopsStayLinks: Bool = false) -> Bool {
        let unsafe = SymlinkMode.isUnsafe(item.target, at: item.path)
        switch symlinks {
        case .keep: return true
        case .skipUnsafe:
            return true // the receiver ignores unsafe links (rsync's --safe-links), so they stay listed
        case .followUnsafe where !unsafe: return true
        case .followUnsafe: item.unsafeTarget = item.target
        default: break
        }
        let st: FileStat
        do { st = try Sys.fstatat(item.dirfd, item.name, follow: true) } catch {
            if symlinks == .followDirsSkipUnsafe { return true }
            if symlinks != .followDirs { item.noReferent = true }
            return true
        }
        guard let kind = st.kind else { return false }
        if symlinks == .followDirs && kind != .directory { return true }
        if symlinks == .followDirsSkipUnsafe && kind != .directory { return true }
        if kind == .directory && isAncestor(st) {
            if loopsStayLinks { return true }
            onProblem(SyError("symlink loop: \"\(item.path.displayName)\" leads back to a directory above it", status: .partial))
            return false
        }
        item.stat = st
        item.kind = kind
        item.target = []
        item.followed = true
        return true
    }

    /// Whether `st` is one of the directories being walked (a followed link back up).
    private func isAncestor(_ st: FileStat) -> Bool {
        var fds = frames.map(\.fd)
        if let p = pending { fds.append(p.fd) }
        if let r = rootDirFd { fds.append(r) }
        for fd in fds where fd >= 0 {
            if let s = try? Sys.fstat(fd), s.dev == st.dev, s.ino == st.ino { return true }
        }
        return false
    }

    /// One entry found under `dirfd` as `fsName`, listed as `path`; nil if it is left out.
    private func makeItem(dirfd: Int32, fsName: PathBytes, path: PathBytes) -> WalkItem? {
        let st: FileStat
        do { st = try Sys.fstatat(dirfd, fsName) } catch {
            onProblem(.unreadable("cannot stat", path, error.code))
            return nil
        }
        guard let kind = st.kind else { return nil }
        var item = WalkItem(path: path, stat: st, kind: kind, target: [], dirfd: dirfd, name: fsName)
        if kind == .symlink && readTargets {
            do { item.target = try FakeStat.linkTarget(dirfd, fsName) } catch {
                onProblem(.unreadable("cannot read symlink", path, error.code))
                return nil
            }
            if symlinks != .keep {
                guard resolve(&item) else { return nil }
            }
        }
        return item
    }

    /// Walk order by each item's kind: non-directories, then directories.
    private static func ordered(_ items: [WalkItem]) -> [WalkItem] {
        items.sorted { PathOps.compare($0.name, isDir: $0.kind == .directory, $1.name, isDir: $1.kind == .directory) < 0 }
    }

    /// A frame of stat'ed items.
    private static func frame(fd: Int32, path: PathBytes, items: [WalkItem], isRoots: Bool = false) -> Frame {
        let listing = DirListing(names: items.map(\.name), isDir: items.map { $0.kind == .directory })
        return Frame(fd: fd, path: path, listing: listing, items: items, isRoots: isRoots)
    }

    /// The entries of the directory `fd` (stream path `path`), in walk order. Placed by the
    /// types the directory reports; an entry of unknown type, or a symlink that may be
    /// followed, is stat'ed now to be placed by what it is.
    private func list(fd: Int32, path: PathBytes, dev: UInt64?) -> Frame {
        let names: [PathBytes], types: [UInt8]
        do { (names, types) = try DirReader.walkOrder(fd, dev: dev) } catch {
            onProblem(SyError.sys("cannot read directory", path, error.code, status: .partial))
            if path == [0x2E] { rootItem?.unreadable = true }
            return Frame(fd: fd, path: path, listing: DirListing(names: [], isDir: []), items: nil)
        }
        let unknown = types.contains(UInt8(DT_UNKNOWN)) || (symlinks != .keep && types.contains(UInt8(DT_LNK)))
        guard unknown else {
            return Frame(fd: fd, path: path, listing: DirListing(names: names, isDir: types.map { $0 == UInt8(DT_DIR) }), items: nil)
        }
        var items: [WalkItem] = []
        items.reserveCapacity(names.count)
        for n in names {
            if let it = makeItem(dirfd: fd, fsName: n, path: PathOps.join(path, n)) { items.append(it) }
        }
        return TreeWalker.frame(fd: fd, path: path, items: TreeWalker.ordered(items))
    }

    /// Puts the top level into `frames` (once).
    private func listTop() {
        guard !topListed else { return }
        topListed = true
        frames.append(TreeWalker.frame(fd: -1, path: prefix, items: listRoots(), isRoots: true))
    }

    private func listRoots() -> [WalkItem] {
        var items: [WalkItem] = []
        for r in roots {
            guard let it = makeItem(dirfd: r.dirfd, fsName: r.fsName, path: PathOps.join(prefix, r.streamName)) else { continue }
            it.isArgument = r.isArgument
            items.append(it)
        }
        roots = []
        return TreeWalker.ordered(items)
    }

    /// The next item, or nil when the walk is done.
    public func next() -> WalkItem? {
        returnedRoot = false
        if let r = rootItem {
            rootItem = nil
            returnedRoot = true
            return r
        }
        if let p = pending {
            pending = nil
            frames.append(pendingFrame ?? list(fd: p.fd, path: p.path, dev: p.dev))
            pendingFrame = nil
        } else {
            listTop()
        }
        while !frames.isEmpty {
            // Fields are read in place: copying the frame would retain and release its arrays per item.
            let t = frames.count - 1
            let i = frames[t].index
            if i >= frames[t].listing.count {
                let f = frames.removeLast()
                if !f.isRoots && f.path != [0x2E] { Sys.close(f.fd) }
                continue
            }
            frames[t].index += 1
            var item: WalkItem
            if frames[t].items != nil {
                item = frames[t].items![i]
            } else {
                // Built here, in place (as makeItem does, without the symlink following this
                // walk does not need: a directory that may hold followed links is listed stat'ed).
                let dirfd = frames[t].fd, name = frames[t].listing.names[i]
                let path = PathOps.join(frames[t].path, name)
                let st: FileStat
                do { st = try Sys.fstatat(dirfd, name) } catch {
                    onProblem(.unreadable("cannot stat", path, error.code))
                    continue
                }
                guard let kind = st.kind else { continue }
                item = WalkItem(path: path, stat: st, kind: kind, target: [], dirfd: dirfd, name: name)
                if kind == .symlink && readTargets {
                    do { item.target = try FakeStat.linkTarget(dirfd, name) } catch {
                        onProblem(.unreadable("cannot read symlink", path, error.code))
                        continue
                    }
                }
            }
            if item.kind == .directory && recursive && (oneFileSystemDev == nil || oneFileSystemDev == item.stat.dev) {
                do {
                    let fd = item.followed ? try Sys.openat(item.dirfd, item.name, O_RDONLY | O_DIRECTORY) : try Sys.openDir(item.dirfd, item.name)
                    pending = (fd, item.path, item.stat.dev)
                } catch {
                    onProblem(.unreadable("cannot open directory", item.path, error.code))
                    if error.code == ENOENT { continue }
                    item.unreadable = true
                }
            } else if item.kind == .directory && recursive {
                // Another filesystem (-x): listed, not walked, and nothing below it is deleted (rsync).
                item.noContents = true
            }
            return item
        }
        return nil
    }
}
