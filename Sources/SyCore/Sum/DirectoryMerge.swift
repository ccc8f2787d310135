import Glibc

/// The directory side of the merge: a directory present on both sides brings its
/// destination listing into the merge, so names can be looked up out of stream order.
extension Summer {
    /// A directory on both sides: its destination entries join the merge, and with --delete
    /// the ones the source lacks go first, last name first, as rsync's delete_in_dir does.
    func enterDirectory(_ dir: PathBytes, _ d: WalkItem) throws(SyError) {
        guard let kids = d.listing else { return }
        levels.append(DestLevel(path: dir, children: kids))
        guard options.delete, pass != .transfers, kids.count > 0, deletable(inside: dir) else { return }
        let names = try sourceNames(of: dir)
        // (After reading ahead, as the sender's notes on this directory come first.)
        if options.filterNotes && (deletesAsItGoes || pass == .deletions) && !deletionsStopped { try noteReceiverFilters(dir) }
        guard let (files, dirs) = names else { return }
        // After reading ahead: the sender may have failed to list something of this very directory.
        if deletionsStopped { return }
        let off = dir == [0x2E] ? 0 : dir.count + 1
        // Both sides are in walk order: one pass over each kind, a lookup for a kind change.
        var extras: [Int] = []
        var fi = 0, di = 0
        for j in 0..<kids.count {
            let name = kids.names[j]
            var found: Bool
            if !kids.isDir[j] {
                while fi < files && Summer.nameCompare(sourceAhead[fi].path, off, name) < 0 { fi += 1 }
                found = fi < files && Summer.nameCompare(sourceAhead[fi].path, off, name) == 0
                if !found { found = Summer.search(dirs.count, name) { PathOps.compare(dirs[$0], isDir: true, name, isDir: true) } }
            } else {
                while di < dirs.count && PathOps.compare(dirs[di], isDir: true, name, isDir: true) < 0 { di += 1 }
                found = di < dirs.count && dirs[di] == name
                if !found { found = Summer.search(files, name) { Summer.nameCompare(sourceAhead[$0].path, off, name) } }
            }
            if !found { extras.append(j) }
        }
        let li = levels.count - 1
        levels[li].namesKnown = true
        for j in extras.reversed() {
            markOutOfTurn(li, j)
            try deleteExtra(levels[li].item(j))
        }
    }

    /// -vv: the filter rules' notes on the destination's entries in `dir`, in the directory's
    /// own order, as rsync's generator reads it before deleting there.
    func noteReceiverFilters(_ dir: PathBytes) throws(SyError) {
        guard !filters.isEmpty, let opener = basisOpener,
              let fd = try? (dir == [0x2E] ? opener.parentFd(dir) : opener.directoryFd(dir)) else { return }
        for e in DirReader.readOrder(fd, of: dir) {
            if let note = filters.note(e.path, isDirectory: e.isDirectory, side: .receiver) { try out.write(.message(level: 0, text: note)) }
        }
    }

    /// What the source lists in `dir`, read ahead: how many of the entries read ahead are the
    /// directory's non-directories (they follow its entry), and its DIR-NAMES record's names.
    /// Nil if the stream does not say (no DIR-NAMES record: a hand-made stream, `-R`, `-m`)
    /// or says it out of order.
    func sourceNames(of dir: PathBytes) throws(SyError) -> (files: Int, dirs: [PathBytes])? {
        guard sourceAheadIndex >= sourceAhead.count else { return nil }
        dirNames = nil
        var files = 0
        while let e = try readSource() {
            sourceAhead.append(e)
            guard e.kind != .directory, PathOps.isChild(e.path, of: dir) else { break }
            files += 1
            // Memory stays bounded: a directory this large deletes as the merge meets its extras.
            if files >= Summer.readAheadLimit { return nil }
        }
        guard let dn = dirNames, dn.dir == dir else { return nil }
        dirNames = nil
        for i in dn.names.indices.dropFirst() where PathOps.compare(dn.names[i - 1], isDir: true, dn.names[i], isDir: true) >= 0 {
            return nil
        }
        return (files, dn.names)
    }

    /// How many of a directory's entries sy-sum reads ahead to learn its names.
    static let readAheadLimit = 50_000

    /// Bytewise comparison of `path` from byte `offset` (an entry's name) with `name`.
    static func nameCompare(_ path: PathBytes, _ offset: Int, _ name: PathBytes) -> Int {
        path.withUnsafeBufferPointer { p in
            name.withUnsafeBufferPointer { q in
                let a = p.count - offset, b = q.count, n = min(a, b)
                let c = n == 0 ? 0 : memcmp(p.baseAddress! + offset, q.baseAddress!, n)
                if c != 0 { return c < 0 ? -1 : 1 }
                return a == b ? 0 : (a < b ? -1 : 1)
            }
        }
    }

    /// Binary search over `count` sorted items: whether one compares equal (`cmp` against the target).
    static func search(_ count: Int, _ name: PathBytes, _ cmp: (Int) -> Int) -> Bool {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            let c = cmp(mid)
            if c == 0 { return true }
            if c < 0 { lo = mid + 1 } else { hi = mid }
        }
        return false
    }

    /// The level holding `path` directly, if its directory is being merged.
    func levelIndex(parentOf path: PathBytes) -> Int? {
        var i = levels.count - 1
        while i >= 0 {
            if PathOps.isChild(path, of: levels[i].path) { return i }
            i -= 1
        }
        return nil
    }

    /// Leaves the directories that do not hold `path` (all of them for nil). A destination
    /// entry left for a source entry of the other kind that never came is deleted now.
    func leaveLevels(for path: PathBytes?) throws(SyError) {
        // The top level is looked at in place: a copy would retain and release its arrays per entry.
        while !levels.isEmpty {
            let t = levels.count - 1
            if let p = path, levels[t].path == p || PathOps.isInside(p, levels[t].path) { return }
            let last = levels.removeLast()
            for j in last.waiting where !last.isDone(j) { try deleteExtra(last.item(j)) }
            outOfTurn -= last.marks
        }
    }

    /// Entry `j` of level `li` is dealt with before its turn: the walk skips it when it comes.
    func markOutOfTurn(_ li: Int, _ j: Int) {
        if levels[li].markDone(j) { outOfTurn += 1 }
    }

    /// Whether the walk's `d` was dealt with before its turn (it and its contents are skipped).
    func takeOutOfTurn(_ d: WalkItem) -> Bool {
        guard let li = levelIndex(parentOf: d.path), levels[li].marks > 0,
              let j = levels[li].index(of: d.name) else { return false }
        return levels[li].isDone(j)
    }

    /// The destination entry of the same name as `s` but of the other kind (directory or
    /// not), which the order puts elsewhere; it is taken out of the walk.
    func takeOtherKind(of s: Entry) -> WalkItem? {
        guard let li = levelIndex(parentOf: s.path), levels[li].children.count > 0,
              let j = levels[li].index(of: PathOps.base(s.path)), !levels[li].isDone(j),
              levels[li].children.isDir[j] != (s.kind == .directory) else { return nil }
        markOutOfTurn(li, j)
        // What it is now (the listing knows only its name and whether it is a directory).
        return current(levels[li].item(j))
    }

    /// What the destination entry `listed` is now, by lstat (a `-K` walk took a symlink to a
    /// directory for the directory; the listing knows only names and directory or not).
    func current(_ listed: WalkItem) -> WalkItem {
        guard let opener = basisOpener, let dir = try? opener.parentFd(listed.path),
              let st = try? Sys.fstatat(dir, listed.name), let kind = st.kind else { return listed }
        let d = WalkItem(path: listed.path, stat: st, kind: kind, target: [], dirfd: -1, name: listed.name)
        if kind == .symlink { d.target = (try? FakeStat.linkTarget(dir, listed.name)) ?? [] }
        return d
    }

    /// A destination entry the source lacks at its turn: when the directory's names are known,
    /// the source has it as the other kind, later (see `takeOtherKind`); it waits for that.
    func deferForOtherKind(_ d: WalkItem) -> Bool {
        guard let li = levelIndex(parentOf: d.path), levels[li].namesKnown,
              let j = levels[li].index(of: d.name) else { return false }
        levels[li].waiting.append(j)
        return true
    }
}

/// A destination directory in the merge: its entries as the walk listed them, and which of
/// them were dealt with before their turn in the stream order (deleted at the directory's
/// start, or replaced by a source entry of the other kind, which the order puts elsewhere).
struct DestLevel {
    let path: PathBytes
    let children: DirListing
    /// Indices of `children` by name, built on the first lookup.
    private var byName: [Int32] = []
    private var done: [Bool] = []
    private(set) var marks = 0
    /// Every name the source lists here is known: what it lacks was deleted at the start.
    var namesKnown = false
    /// Entries kept for a source entry of the same name and the other kind.
    var waiting: [Int] = []

    init(path: PathBytes, children: DirListing) { self.path = path; self.children = children }

    mutating func index(of name: PathBytes) -> Int? {
        let names = children.names
        if byName.count != names.count {
            byName = names.indices.map { Int32($0) }
            byName.sort { bytesLess(names[Int($0)], names[Int($1)]) }
        }
        var lo = 0, hi = byName.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if bytesLess(names[Int(byName[mid])], name) { lo = mid + 1 } else { hi = mid }
        }
        guard lo < byName.count, names[Int(byName[lo])] == name else { return nil }
        return Int(byName[lo])
    }

    /// Entry `j` as far as the listing knows it: its path, and directory or not (a
    /// deletion needs no more; the receiver looks at what is there).
    func item(_ j: Int) -> WalkItem {
        let name = children.names[j]
        var st = FileStat.none
        st.kind = children.isDir[j] ? .directory : .file
        return WalkItem(path: PathOps.join(path, name), stat: st, kind: children.isDir[j] ? .directory : .file,
                        target: [], dirfd: -1, name: name)
    }

    /// Marks entry `i` done; false if it already was.
    mutating func markDone(_ i: Int) -> Bool {
        if done.isEmpty { done = Array(repeating: false, count: children.count) }
        if done[i] { return false }
        done[i] = true
        marks += 1
        return true
    }

    func isDone(_ i: Int) -> Bool { !done.isEmpty && done[i] }
}
