import Glibc

/// Sources named with their path (rsync's `-R/--relative` and `--files-from`): `dir/sub/file`
/// is sent as `dir/sub/file`, with `dir` and `dir/sub` as implied directories. A `/./` in an
/// argument ends the part that is left out (`/base/./sub/file` sends `sub/file`); an absolute
/// path without one is sent from `/`.
public final class RelativeSources {
    struct Base {
        var fd: Int32
        var stack: DirStack
    }
    struct Item {
        var path: PathBytes
        var base: Int
        var explicit: Bool
        /// Named as `dir/`, `dir/.` or `.`: without -r the directory is listed with what it
        /// holds, one level (rsync's content directory).
        var contents = false
        /// In a content directory's listing (not named itself).
        var listed = false
        /// Whether it is (or leads to) a directory, as the ordering found.
        var isDir = false
        /// `.` sent for a name starting with `./`: not held back as an implied directory is.
        var dotDir = false
    }

    /// One source as rsync's -R reads it: the directory it is named from (`base/./rel`; `/`
    /// for an absolute path), its stream path, whether its contents are meant, and whether it
    /// starts with `./` (then `.` itself is sent too, as an implied directory).
    struct Named {
        var base: PathBytes
        var rel: PathBytes
        var contents: Bool
        var dotPrefix: Bool
    }

    private(set) var bases: [Base] = []
    /// Open through symlinked directories on the way (the scan followed them: -L, -k).
    var followLinks = false { didSet { for b in bases { b.stack.followLinks = followLinks } } }
    /// Every item to send, implied directories included, in stream order.
    private(set) var items: [Item] = []
    /// Paths named for their contents (`dir/`) and the directories above named items: followed
    /// when they are symlinks, as rsync's sender does.
    private var contentNames = Set<PathBytes>()
    private var impliedNames = Set<PathBytes>()
    /// Absolute path of the first base (for `dir-merge /NAME` files above the transfer).
    private(set) var firstBasePath: PathBytes?

    /// `args`: the sources; `list`: the `--files-from` names, all below the one source `args[0]`.
    /// `--ignore-missing-args`: named items that do not exist are left out without an error.
    let ignoreMissing: Bool
    /// The names come from a --files-from list.
    let fromList: Bool

    /// `skipDirectories`: without -r and -d a named directory is skipped (with its implied
    /// parents), as rsync does; `onNote` gets rsync's "skipping directory" line, unless
    /// `excluded` (the filters) leaves the directory out anyway.
    public init(args: [PathBytes], list: [PathBytes]?, impliedDirs: Bool, ignoreMissing: Bool = false,
                skipDirectories: Bool = false, listsContents: Bool = false, excluded: (PathBytes) -> Bool = { _ in false },
                onNote: (String) -> Void = { _ in }, onProblem: (SyError) -> Void) {
        self.ignoreMissing = ignoreMissing
        fromList = list != nil
        var named: [(Named?, PathBytes)] = []
        if let list, let base = args.first {
            // A "/./" in a listed name names it from the directory before it, below the source
            // (rsync: `a/./b/f` is sent as `b/f`); the other stages are given such names as
            // sources of their own (`StageCommands.listedBases`), so they find the file too.
            for l in list {
                var n = RelativeSources.parse(l)
                if n != nil {
                    let prefix = RelativeSources.dotSlash(in: l).map { Array(l[..<$0]) } ?? []
                    n!.base = prefix.isEmpty ? base : PathOps.join(base, prefix)
                }
                named.append((n, l))
            }
        } else {
            named = args.map { (RelativeSources.parse($0), $0) }
        }
        var baseIndex: [PathBytes: Int] = [:]
        var raw: [Item] = []
        var dotSent = Set<Int>()
        for (parsed, given) in named {
            guard let n = parsed else {
                onProblem(SyError("found \"..\" dir in relative path: \(RelativeSources.split(given).1.displayName)", status: .syntax))
                continue
            }
            var bi = baseIndex[n.base]
            if bi == nil {
                do {
                    let fd = try Sys.openat(Sys.atFDCWD, n.base, O_RDONLY | O_DIRECTORY)
                    let stack = DirStack(rootFd: fd)
                    // (A directory named for its contents is entered through a symlink, as rsync does.)
                    stack.followsDirLink = { [unowned self] path in self.contentNames.contains(path) || self.impliedNames.contains(path) }
                    bases.append(Base(fd: fd, stack: stack))
                    bi = bases.count - 1
                    baseIndex[n.base] = bi
                    if firstBasePath == nil { firstBasePath = FilterList.absolutePath(n.base) }
                } catch {
                    // The --files-from directory: rsync stops there (exit 3).
                    onProblem(SyError.sys("change_dir failed for", n.base, error.code, status: list != nil ? .fileSelect : .partial))
                    if list != nil { break }
                    continue
                }
            }
            let rel = n.rel
            if n.dotPrefix && impliedDirs && !dotSent.contains(bi!) {
                // (Sent whatever comes of the name, as rsync's sender does; without -r and -d
                // it is skipped, said in its place among the arguments.)
                dotSent.insert(bi!)
                if skipDirectories {
                    if !excluded([0x2E]) { onNote("skipping directory .") }
                } else {
                    raw.append(Item(path: [0x2E], base: bi!, explicit: false, dotDir: true))
                }
            }
            if skipDirectories, (try? Sys.fstatat(bases[bi!].fd, rel))?.kind == .directory {
                // (An absolute source without `/./` is named from the root, as rsync's list names it.)
                let fromRoot = list == nil && RelativeSources.namedFromRoot(given)
                if !excluded(rel) { onNote("skipping directory \(fromRoot ? "/" : "")\(rel.displayName)") }
                continue
            }
            if rel != [0x2E] {
                var i = 0
                while i < rel.count {
                    if rel[i] == 0x2F {
                        if impliedDirs { raw.append(Item(path: Array(rel[..<i]), base: bi!, explicit: false)) }
                        impliedNames.insert(Array(rel[..<i]))
                    }
                    i += 1
                }
            }
            raw.append(Item(path: rel, base: bi!, explicit: true, contents: n.contents))
            if n.contents { contentNames.insert(rel) }
            if n.contents && listsContents {
                // -d without -r: a directory named for its contents is listed one level deep.
                if let fd = try? Sys.openat(bases[bi!].fd, rel, O_RDONLY | O_DIRECTORY) {
                    for name in (try? DirReader.sortedNames(fd)) ?? [] {
                        raw.append(Item(path: PathOps.join(rel, name), base: bi!, explicit: true, listed: true))
                    }
                    Sys.close(fd)
                }
            }
        }
        self.raw = raw
        order(symlinks: .keep)
    }

    /// Every item as given, implied directories included (`items` is them in stream order).
    private var raw: [Item] = []

    /// Puts the items in stream order; for one path the first argument wins, and an explicit
    /// name beats an implied one. Implied directories are directories; a named item's kind
    /// decides its place too: a link the walk will follow to a directory is one.
    private func order(symlinks: SymlinkMode) {
        let isDir = raw.map { it -> Bool in
            guard it.explicit else { return true }
            if it.path == [0x2E] { return true }
            let b = bases[it.base]
            let name = PathOps.base(it.path)
            guard let dir = try? b.stack.fd(for: PathOps.parent(it.path)), let st = try? Sys.fstatat(dir, name) else { return false }
            guard st.kind == .symlink && symlinks != .keep, let target = try? Sys.readlinkat(dir, name) else { return st.kind == .directory }
            var item = WalkItem(path: it.path, stat: st, kind: .symlink, target: target, dirfd: dir, name: name)
            return TreeWalker.resolve(&item, symlinks, isAncestor: { _ in false }, onProblem: { _ in }) && item.kind == .directory
        }
        let order = raw.indices.sorted { a, b in
            let c = PathOps.compare(raw[a].path, isDir: isDir[a], raw[b].path, isDir: isDir[b])
            if c != 0 { return c < 0 }
            if raw[a].explicit != raw[b].explicit { return raw[a].explicit }
            return a < b
        }
        items = []
        var lastIsDir = false
        for i in order {
            if let last = items.last, last.path == raw[i].path {
                // A directory named again from another base is kept: the two are walked merged.
                // A directory beats a non-directory of the same name (rsync keeps the one that may
                // have contents: an implied directory reached through a symlink named too).
                if isDir[i] && !lastIsDir {
                    items[items.count - 1] = raw[i]
                    items[items.count - 1].isDir = true
                    lastIsDir = true
                    continue
                }
                guard isDir[i] && lastIsDir && last.explicit && raw[i].explicit && last.base != raw[i].base else {
                    // (Named for its contents either way, or named at all: rsync merges those flags.)
                    if raw[i].contents { items[items.count - 1].contents = true }
                    if raw[i].explicit && !raw[i].listed { items[items.count - 1].listed = false }
                    continue
                }
            }
            var item = raw[i]
            item.isDir = isDir[i]
            items.append(item)
            lastIsDir = isDir[i]
        }
    }

    deinit {
        for b in bases { b.stack.closeAll(); Sys.close(b.fd) }
    }

    /// rsync's reading of a -R source: split at the first `/./` (when `splitsBase`), a
    /// leading `/` taken as the base `/`, then cleaned (empty and `.` components dropped, a
    /// trailing `/` or `/.` meaning the contents); nil for a `..` component.
    static func parse(_ arg: PathBytes, splitsBase: Bool = true) -> Named? {
        var base: PathBytes = [0x2E]
        var fn = arg[...]
        if splitsBase, let i = dotSlash(in: arg) {
            base = i == 0 ? [0x2F] : Array(arg[..<i])
            fn = arg[(i + 3)...]
        }
        if base == [0x2E] && fn.first == 0x2F { base = [0x2F] }
        while fn.first == 0x2F { fn = fn.dropFirst() }
        let dotPrefix = fn.starts(with: [0x2E, 0x2F])
        let comps = fn.split(separator: 0x2F, omittingEmptySubsequences: true)
        if comps.contains(where: { $0.elementsEqual([0x2E, 0x2E]) }) { return nil }
        let parts = comps.filter { !$0.elementsEqual([0x2E]) }
        let contents = parts.isEmpty || fn.last == 0x2F || comps.last.map { $0.elementsEqual([0x2E]) } == true
        let rel = parts.isEmpty ? [0x2E] : Array(parts.joined(separator: [0x2F]))
        return Named(base: base, rel: rel, contents: contents, dotPrefix: dotPrefix)
    }

    /// Where the first `/./` in a -R source is: what comes before it is the directory the
    /// source is named from.
    public static func dotSlash(in arg: PathBytes) -> Int? {
        var i = 0
        while i + 2 < arg.count {
            if arg[i] == 0x2F && arg[i + 1] == 0x2E && arg[i + 2] == 0x2F { return i }
            i += 1
        }
        return nil
    }

    /// An absolute source without `/./`: rsync's list names what it sends from the root (`/etc/x`).
    static func namedFromRoot(_ arg: PathBytes) -> Bool {
        arg.first == 0x2F && dotSlash(in: arg) == nil
    }

    /// `base/./rel` → (base, rel); `/abs/path` → (`/`, `abs/path`); `rel` → (`.`, `rel`).
    public static func split(_ arg: PathBytes) -> (PathBytes, PathBytes) {
        if let i = dotSlash(in: arg) { return (i == 0 ? [0x2F] : Array(arg[..<i]), Array(arg[(i + 3)...])) }
        if arg.suffix(2) == [0x2F, 0x2E] { return (Array(arg.dropLast(2)), [0x2E]) }
        if arg.first == 0x2F { return ([0x2F], Array(arg.drop(while: { $0 == 0x2F }))) }
        return ([0x2E], arg)
    }

    /// A clean stream path: no empty or `.` components, no leading or trailing `/`; nil for `..`.
    public static func clean(_ rel: PathBytes) -> PathBytes? {
        var parts: [ArraySlice<UInt8>] = []
        for c in rel.split(separator: 0x2F, omittingEmptySubsequences: true) {
            if c.elementsEqual([0x2E]) { continue }
            if c.elementsEqual([0x2E, 0x2E]) { return nil }
            parts.append(c)
        }
        if parts.isEmpty { return [0x2E] }
        return Array(parts.joined(separator: [0x2F]))
    }

    /// The base directory and name under which stream path `path` lives.
    func locate(_ path: PathBytes) throws(Errno) -> (Int32, PathBytes) {
        guard bases.count > 1 else { return try locate(path, in: 0) }
        // The first base, in argument order, of an item naming the path or a directory above it,
        // that has it (names below a merged directory may be in either base).
        var tried: [Int] = []
        for it in items where it.path == path || PathOps.isInside(path, it.path) || PathOps.isInside(it.path, path) || it.path == [0x2E] {
            guard !tried.contains(it.base) else { continue }
            tried.append(it.base)
        }
        tried.sort()
        var failure = Errno(ENOENT)
        for bi in tried {
            do {
                let found = try locate(path, in: bi)
                if tried.count == 1 || path == [0x2E] { return found }
                _ = try Sys.fstatat(found.0, found.1, follow: followLinks)
                return found
            } catch { failure = error }
        }
        throw failure
    }

    func locate(_ path: PathBytes, in bi: Int) throws(Errno) -> (Int32, PathBytes) {
        guard bi < bases.count else { throw Errno(ENOENT) }
        if path == [0x2E] { return (bases[bi].fd, [0x2E]) }
        return (try bases[bi].stack.fd(for: PathOps.parent(path)), PathOps.base(path))
    }

    /// A walk over the items in stream order; `recursive` descends into named directories;
    /// `contents` (-d) lists a directory named for its contents, one level.
    public func walker(recursive: Bool, contents: Bool = false, symlinks: SymlinkMode = .keep,
                       onProblem: @escaping (SyError) -> Void) -> RelativeWalker {
        if symlinks != .keep { order(symlinks: symlinks) }
        return RelativeWalker(self, recursive: recursive, contents: contents, symlinks: symlinks, onProblem: onProblem)
    }
}

/// Walks `RelativeSources`: each implied directory alone, each named item with (when
/// recursive) everything below it, all in stream order.
public final class RelativeWalker: SourceWalk {
    private let src: RelativeSources
    private let recursive: Bool
    private let listsContents: Bool
    /// The content directory just returned (its listing is the items after it).
    private var contentDir: PathBytes?
    /// The walk of a followed `link/`'s contents, started after its own item; its descriptor.
    private var queued: TreeWalker?
    private var queuedFd: Int32 = -1
    /// What the walk does with symlinks (-L, -k, --copy-unsafe-links) below and at the named items.
    private let symlinks: SymlinkMode
    private let onProblem: (SyError) -> Void
    private var index = 0
    private var sub: (any SourceWalk)?
    private var fromSub = false
    /// A named directory being walked whole: later items inside it are already covered.
    private var covered: PathBytes?
    private var lastDir: PathBytes?
    private var skipPrefix: PathBytes?
    public var oneFileSystemDev: UInt64? { didSet { sub?.oneFileSystemDev = oneFileSystemDev } }

    init(_ src: RelativeSources, recursive: Bool, contents: Bool, symlinks: SymlinkMode, onProblem: @escaping (SyError) -> Void) {
        self.src = src; self.recursive = recursive; self.listsContents = contents && !recursive
        self.symlinks = symlinks; self.onProblem = onProblem
    }

    deinit { if queuedFd >= 0 { Sys.close(queuedFd) } }

    /// A walk of a named directory (or a link the mode may follow to one) and what it holds;
    /// several (the same directory named from other bases) are walked merged.
    private func startSub(_ ws: [TreeWalker], covering path: PathBytes) -> WalkItem? {
        covered = path
        for w in ws {
            w.onProblem = onProblem
            w.oneFileSystemDev = oneFileSystemDev
            w.symlinks = symlinks
        }
        sub = ws.count == 1 ? ws[0] : MergedWalk(ws)
        return next()
    }

    public var willDescend: Bool { fromSub ? sub?.willDescend ?? false : lastDir != nil || queued != nil }

    public func childListing() -> DirListing? {
        if fromSub { return sub?.childListing() }
        guard let dir = contentDir else { return nil }
        // A content directory listed one level: its children are the items that follow.
        var names: [PathBytes] = [], isDir: [Bool] = []
        var i = index
        while i < src.items.count, src.items[i].path == dir || PathOps.isInside(src.items[i].path, dir) {
            let it = src.items[i]
            if PathOps.isChild(it.path, of: dir) && names.last != PathOps.base(it.path) {
                names.append(PathOps.base(it.path))
                isDir.append(it.isDir)
            }
            i += 1
        }
        return DirListing(names: names, isDir: isDir)
    }

    public func skipChildren() {
        if fromSub { sub?.skipChildren(); return }
        if queued != nil { queued = nil; covered = nil }
        if let d = lastDir { skipPrefix = d; lastDir = nil }
    }

    /// Walks of the items right after `it` that name the same directory in other bases
    /// (taken from the list: they are walked with it).
    private func sameDirectoryElsewhere(_ it: RelativeSources.Item) -> [TreeWalker] {
        var walks: [TreeWalker] = []
        while index < src.items.count, src.items[index].path == it.path {
            let other = src.items[index]
            index += 1
            let base = src.bases[other.base]
            if it.path == [0x2E] { walks.append(TreeWalker(directory: base.fd)); continue }
            guard let dirfd = try? base.stack.fd(for: PathOps.parent(other.path)) else { continue }
            walks.append(RelativeWalker.walk(other.path, dirfd: dirfd, name: PathOps.base(other.path)))
        }
        return walks
    }

    /// A walk of the named item `path`, found as `name` in `dirfd`, and of what it holds.
    private static func walk(_ path: PathBytes, dirfd: Int32, name: PathBytes) -> TreeWalker {
        let root = WalkRoot(dirfd: dirfd, fsName: name, streamName: name, isArgument: true)
        return TreeWalker(rootDir: nil, roots: [root], prefix: PathOps.parent(path))
    }

    public func next() -> WalkItem? {
        if let w = queued { sub = w; queued = nil }
        if let w = sub {
            if let it = w.next() { fromSub = true; return it }
            sub = nil
            if queuedFd >= 0 { Sys.close(queuedFd); queuedFd = -1 }
        }
        fromSub = false
        lastDir = nil
        contentDir = nil
        while index < src.items.count {
            let it = src.items[index]
            index += 1
            if let p = skipPrefix, PathOps.isInside(it.path, p) { checkNamed(it); continue }
            if let c = covered, c == [0x2E] || PathOps.isInside(it.path, c) { checkNamed(it); continue }
            let base = src.bases[it.base]
            if it.path == [0x2E] && it.explicit && recursive {
                return startSub([TreeWalker(directory: base.fd)] + sameDirectoryElsewhere(it), covering: it.path)
            }
            let dirfd: Int32, name: PathBytes
            do {
                if it.path == [0x2E] { (dirfd, name) = (base.fd, [0x2E]) } else {
                    (dirfd, name) = (try base.stack.fd(for: PathOps.parent(it.path)), PathOps.base(it.path))
                }
            } catch {
                onProblem(.unreadable("link_stat failed for", it.path, error.code))
                continue
            }
            let st: FileStat
            do { st = try Sys.fstatat(dirfd, name) } catch {
                if error.code == ENOENT && src.ignoreMissing && it.explicit { continue }
                onProblem(it.explicit ? .sourceStat(it.path, error.code) : .sys("link_stat failed for", it.path, error.code, status: .partial))
                continue
            }
            guard let kind = st.kind else { continue }
            // rsync follows a symlink named for its contents (`link/`) to a directory, whatever
            // -l says (a link to anything else is sent as the link).
            if kind == .symlink && it.explicit && it.contents {
                // Named so in a --files-from list, a link that leads round in a loop is an error,
                // as rsync's link_stat of `link/.` says (named so as an argument, or with -k or
                // --copy-unsafe-links, whose lookups keep what lstat found, it is sent).
                if src.fromList, ![.followDirs, .followDirsSkipUnsafe, .followUnsafe].contains(symlinks), case .failure(let e) = Result(catching: { () throws(Errno) in try Sys.fstatat(dirfd, name, follow: true) }),
                   e.code == ELOOP {
                    onProblem(.sourceStat(it.path, ELOOP))
                    continue
                }
                if let item = followedContents(it, dirfd: dirfd, name: name) { return item }
            }
            if kind == .symlink && !it.explicit, let t = try? Sys.fstatat(dirfd, name, follow: true), t.kind == .directory {
                // An implied directory that is a symlink here: rsync sends the directory it leads to.
                let item = WalkItem(path: it.path, stat: t, kind: .directory, target: [], dirfd: dirfd, name: name)
                item.followed = true
                item.noContents = true
                item.implied = true
                lastDir = it.path
                return item
            }
            let follows = kind == .symlink && it.explicit && symlinks != .keep && symlinks != .skipUnsafe
            if (kind == .directory || follows) && it.explicit && recursive {
                // The sub-walk follows a named link as the mode says, into a directory too.
                return startSub([RelativeWalker.walk(it.path, dirfd: dirfd, name: name)] + sameDirectoryElsewhere(it), covering: it.path)
            }
            var item = WalkItem(path: it.path, stat: st, kind: kind, target: [], dirfd: dirfd, name: name)
            item.isArgument = it.explicit && !it.listed
            if kind == .symlink {
                do { item.target = try FakeStat.linkTarget(dirfd, name) } catch {
                    onProblem(.unreadable("cannot read symlink", it.path, error.code))
                    continue
                }
                if follows { guard TreeWalker.resolve(&item, symlinks, isAncestor: { _ in false }, onProblem: onProblem) else { continue } }
            }
            if item.kind == .directory && it.explicit && it.contents && listsContents {
                // rsync's content directory without -r: what it holds follows, as items of
                // their own (see `RelativeSources.init`).
                item.contentDir = true
                lastDir = it.path
                contentDir = it.path
                return item
            }
            if item.kind == .directory {
                item.noContents = true
                item.implied = !it.explicit && !it.dotDir
                lastDir = it.path
            }
            return item
        }
        return nil
    }

    /// A symlink named for its contents (`link/`, `link/.`): rsync follows it whatever -l
    /// says. Its directory's item, with what it holds walked next (with -r) or listed as items
    /// of their own (-d); nil if it leads to no directory.
    private func followedContents(_ it: RelativeSources.Item, dirfd: Int32, name: PathBytes) -> WalkItem? {
        guard let st = try? Sys.fstatat(dirfd, name, follow: true), st.kind == .directory else { return nil }
        let item = WalkItem(path: it.path, stat: st, kind: .directory, target: [], dirfd: dirfd, name: name)
        item.followed = true
        item.isArgument = true
        if recursive {
            let fd: Int32, names: [PathBytes]
            do throws(Errno) {
                fd = try Sys.openat(dirfd, name, O_RDONLY | O_DIRECTORY)
                do { names = try DirReader.sortedNames(fd) } catch { Sys.close(fd); throw error }
            } catch {
                onProblem(.unreadable("cannot open directory", it.path, error.code))
                item.unreadable = true
                return item
            }
            if queuedFd >= 0 { Sys.close(queuedFd) }
            queuedFd = fd
            let w = TreeWalker(rootDir: nil, roots: names.map { WalkRoot(dirfd: fd, fsName: $0, streamName: $0) }, prefix: it.path)
            w.onProblem = onProblem
            w.symlinks = symlinks
            w.oneFileSystemDev = oneFileSystemDev
            queued = w
            covered = it.path
        } else if listsContents {
            item.contentDir = true
            lastDir = it.path
            contentDir = it.path
        } else {
            item.noContents = true
            lastDir = it.path
        }
        return item
    }

    /// A named item the walk of a directory above it covers (or an excluded one leaves out):
    /// rsync still looks it up, and one that is not there is an error.
    private func checkNamed(_ it: RelativeSources.Item) {
        guard it.explicit && !it.listed else { return }
        do {
            let (dir, name) = try src.locate(it.path, in: it.base)
            _ = try Sys.fstatat(dir, name)
        } catch {
            if error.code == ENOENT && src.ignoreMissing { return }
            onProblem(.sourceStat(it.path, error.code))
        }
    }
}
