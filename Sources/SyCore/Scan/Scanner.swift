import Glibc

/// Options of the scan stage.
public struct ScanOptions: Sendable {
    public var oneFileSystem = false
    public var checksum = false
    /// `-U`: each non-directory carries its access time.
    public var atimes = false
    public var recursive = true
    /// Without recursion, list directories themselves (rsync's -d, and listing mode).
    public var dirs = false
    public var topName: PathBytes?
    /// Include/exclude rules: excluded entries are not listed and excluded directories not walked.
    public var filters = FilterList()
    /// `--munge-links` on the sending side: the munged prefix comes off symlink targets.
    public var unmungeLinks = false
    /// `--chmod`: permission changes applied to what is listed.
    public var chmod: [ChmodSpec] = []
    /// Send user and group names (ID-NAME records) for mapping on the receiver.
    public var sendNames = false
    /// `-R`: sources named by their paths; `impliedDirs`: send their parent directories too.
    public var relative = false
    public var impliedDirs = true
    /// Symlinks followed or left out (-L, -k, --copy-unsafe-links, --safe-links).
    public var symlinks = SymlinkMode.keep
    /// A note for each unsafe symlink followed (`--copy-unsafe-links` with rsync's -v).
    public var noteUnsafeLinks = false
    /// A note for each entry a filter rule hides or shows (rsync's -vv, "[sender] hiding ...").
    public var filterNotes = false
    /// `--ignore-missing-args`, and `--delete-missing-args` (missing names are sent as such).
    public var ignoreMissing = false
    public var deleteMissing = false
    /// `-X`/`-A`: extended attributes listed with each entry.
    public var xattrSelection = XattrSelection()
    /// Send the per-directory merge files read (FILTER-FILE records), for a receiver that
    /// deletes after the transfer with the new rules.
    public var sendFilterFiles = false
    /// `-m`: directories with nothing but (empty) directories below them are left out.
    public var pruneEmptyDirs = false
    /// With `pruneEmptyDirs`: where the receiver's `/`-modifier rules are anchored (rsync's
    /// receiver prunes in its starting directory); nil: the transfer root, as the sender's.
    public var receiverCwd: PathBytes?
    /// `--files-from`: names below the one source directory (implies `relative`).
    public var filesFrom: [PathBytes]?
    /// Number the entries as rsync's file list does (for the receiver's `--progress`).
    public var listIndex: ListIndexMode?
    public init() {}
}

/// The scan stage: walks the sources and writes an entry stream.
public enum Scanner {
    /// The directory rsync's sender lists `source` from (its current directory there): the
    /// source itself for `dir/`, else its parent; with -R, what comes before `/./` (else `/`
    /// for an absolute source, `.` for a relative one).
    public static func listingDirectory(of source: PathBytes, relative: Bool) -> PathBytes {
        if relative {
            if let i = RelativeSources.dotSlash(in: source) { return i == 0 ? [0x2F] : Array(source[..<i]) }
            // An absolute source without `/./` is sent from the root.
            return source.first == 0x2F ? [0x2F] : [0x2E]
        }
        if source.last == 0x2F || source == [0x2E] { return source }
        var trimmed = source
        while trimmed.count > 1 && trimmed.last == 0x2F { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: 0x2F) else { return [0x2E] }
        return slash == 0 ? [0x2F] : Array(trimmed[..<slash])
    }

    /// Walks `sources` and writes one ENTRY per item to `out`. Returns 0, 23 or 24.
    public static func run(sources args: [PathBytes], options: ScanOptions, out: StreamWriter) throws(SyError) -> ExitStatus {
        var status = ExitStatus.ok
        // A failure to list (not a vanished file) is rsync's "IO error": the receiver then
        // deletes nothing more; an IO-ERROR message (level 2) tells it, in stream order.
        var ioErrors = 0, ioErrorsSent = 0
        let report: (SyError) -> Void = { e in
            warn(e.message)
            status = status.merged(with: e.status)
            if e.status == .partial && !e.missingSource { ioErrors += 1 }
        }
        func sendIOErrors() throws(SyError) {
            guard ioErrors > ioErrorsSent else { return }
            ioErrorsSent = ioErrors
            try out.write(.message(level: 2, text: "IO error in the sender's file list"))
        }
        var notes: [String] = []
        let set = SourceSet(args: args, topName: options.topName, relative: options.relative || options.filesFrom != nil,
                            list: options.filesFrom, impliedDirs: options.impliedDirs,
                            ignoreMissing: options.ignoreMissing || options.deleteMissing,
                            skipDirectories: !options.recursive && !options.dirs,
                            listsContents: options.dirs && !options.recursive,
                            excluded: { !options.filters.isEmpty && options.filters.excludes($0, isDirectory: true) },
                            onNote: { notes.append($0) }, onProblem: report)
        for n in notes { try out.write(.message(level: 0, text: n)) }
        try sendIOErrors()
        // Without recursion rsync lists the named sources whole, one argument after another, and
        // its notes come out as it goes, before anything is sent: the entries wait for the end
        // of the scan, and the notes go first, in the order of the arguments. (Not for a
        // --files-from list, which may be of any length: memory stays bounded.)
        let wholeFirst = !options.recursive && !options.dirs && options.filesFrom == nil
        var heldNotes: [(position: Int, text: String)] = []
        /// `nth`: which of the sources that send `path` the note is for (`.` comes from each `dir/`).
        func note(_ text: String, for path: PathBytes, nth: Int = 0) throws(SyError) {
            guard wholeFirst else { try out.write(.message(level: 0, text: text)); return }
            let positions = set.argumentPositions(of: path)
            heldNotes.append((nth < positions.count ? positions[nth] : Int.max, text))
        }
        let sender = EntrySender(out: out, names: options.sendNames ? IdNames() : nil, prune: options.pruneEmptyDirs,
                                 missing: options.deleteMissing ? set.missing : [], holdAll: wholeFirst)
        if options.pruneEmptyDirs && !options.filters.isEmpty {
            // (The receiver's global rules only: rsync's receiver prunes before it reads any
            // directory's merge file.)
            var global = options.filters
            if let cwd = options.receiverCwd { global.absoluteRoot = cwd }
            sender.receiverExcludes = { global.excludes($0, isDirectory: true, side: .receiver) }
        }
        // Named sources only: the receiver looks at those names in the destination, not at all of it.
        if let top = set.topNames { try sender.sendDirNames([0x2E], top) }
        let walker = set.walker(recursive: options.recursive, contents: options.recursive || options.dirs,
                                symlinks: options.symlinks, onProblem: report)
        var indexer = options.listIndex.map { mode in
            ListIndexer(mode: mode, topEntries: set.topEntries { options.filters.excludes($0, isDirectory: $1) }.all,
                        dotCopies: set.contentsSources - 1)
        }
        if options.oneFileSystem, let fd = set.rootDir, let st = try? Sys.fstat(fd) {
            walker.oneFileSystemDev = st.dev
        }
        let hasher = options.checksum ? FileHasher() : nil
        var rootDev: UInt64? = walker.oneFileSystemDev
        // Entries rsync's list holds that the stream does not send: later sources' entries of a
        // name an earlier one sends (merged or left out), and -m's pruned directories.
        var unsent = SourceCounts()
        var filters = options.filters
        if filters.hasDirMerge, let root = set.transferRoot {
            filters.scanParents(of: root.path, includingRoot: !root.walked) { dir, name in
                FilterFiles.read(Sys.atFDCWD, PathOps.join(dir, name))
            }
        }
        if let merged = walker as? MergedWalk, !filters.isEmpty {
            merged.excludesDirectory = { filters.excludes($0, isDirectory: true) }
        }
        // -vv: the directories whose entries' filter notes are said (the walk's current branch).
        var notedDirs: [PathBytes] = []
        while let item = walker.next() {
            if options.oneFileSystem && rootDev == nil && item.kind == .directory {
                rootDev = item.stat.dev
                walker.oneFileSystemDev = rootDev
            }
            if options.noteUnsafeLinks, let t = item.unsafeTarget {
                // rsync's sender says it as it lists the link, before filters or the referent.
                try note("copying unsafe symlink \"\(item.path.displayName)\" -> \"\(t.displayName)\"", for: item.path)
            }
            if item.noReferent && item.isArgument {
                // rsync follows a source argument before filtering it.
                var e = SyError("link_stat \"\(item.path.displayName)\" failed: \(errnoText(ENOENT))", status: .partial, errno: ENOENT)
                e.missingSource = true
                report(e)
                continue
            }
            if options.filterNotes && !filters.isEmpty {
                if item.isArgument || wholeFirst || item.path == [0x2E] {
                    if let n = filters.note(item.path, isDirectory: item.kind == .directory) { try note(n, for: item.path) }
                } else {
                    // A directory's notes all at once, when its first entry comes, in its own
                    // order: rsync's sender notes each name as it reads the directory.
                    let parent = PathOps.parent(item.path)
                    while let top = notedDirs.last, !(top == parent || top == [0x2E] || PathOps.isInside(parent, top)) { notedDirs.removeLast() }
                    if notedDirs.last != parent {
                        notedDirs.append(parent)
                        for e in DirReader.readOrder(item.dirfd, of: parent, follow: options.symlinks != .keep) {
                            if let n = filters.note(e.path, isDirectory: e.isDirectory) { try out.write(.message(level: 0, text: n)) }
                        }
                    }
                }
            }
            if !filters.isEmpty && filters.excludes(item.path, isDirectory: item.kind == .directory) {
                if item.kind == .directory { walker.skipChildren() }
                continue
            }
            if item.noReferent {
                report(SyError("symlink has no referent: \"\(item.path.displayName)\"", status: .partial))
                continue
            }
            if item.duplicate { continue }
            if item.kind == .directory && item.path == [0x2E] && !options.recursive && !options.dirs {
                // Said once for each `dir/` source, as rsync does.
                for i in 0..<max(1, set.contentsSources) { try note("skipping directory .", for: item.path, nth: i) }
                continue
            }
            var withoutContents = item.noContents
            if item.kind == .directory && !options.recursive && item.path != [0x2E] && !item.noContents && !item.contentDir {
                walker.skipChildren()
                if !options.dirs {
                    // rsync's note goes to stdout: the receiver prints it.
                    try note("skipping directory \(item.path.displayName)", for: item.path)
                    continue
                }
                withoutContents = true // -d: the directory without what is in it
            }
            var readFiles: [(PathBytes, [UInt8])] = []
            if item.kind == .directory && filters.hasDirMerge && walker.willDescend {
                filters.enter(directory: item.path) { name in
                    let bytes = FilterFiles.read(item.dirfd, PathOps.join(item.name, name))
                    if let bytes, options.sendFilterFiles { readFiles.append((name, bytes)) }
                    return bytes
                }
            }
            var entry = Entry(path: item.path, stat: item.stat, kind: item.kind, target: item.target)
            if options.unmungeLinks && item.kind == .symlink { entry.target = MungedLink.unmunged(entry.target) }
            if item.kind != .symlink {
                let original = entry.perms
                for spec in options.chmod { entry.perms = spec.apply(entry.perms, isDirectory: item.kind == .directory, original: original) }
            }
            if !options.xattrSelection.isEmpty {
                do { entry.xattrs = try XattrIO.read(.at(item.dirfd, item.name), options.xattrSelection) } catch {
                    report(.unreadable("cannot read extended attributes of", item.path, error.code))
                    entry.xattrs = []
                }
            }
            entry.unreadable = item.unreadable
            if options.atimes && item.kind != .directory { entry.atimeSec = item.stat.atimeSec }
            entry.noContents = withoutContents
            if let hasher, item.kind == .file {
                do { entry.checksum = try hashFile(item.dirfd, item.name, hasher, follow: item.followed) } catch {
                    report(.unreadable("cannot read", item.path, error.code))
                    continue
                }
            }
            try sendIOErrors()
            for (name, bytes) in readFiles where !filters.excludes(PathOps.join(item.path, name), isDirectory: false) {
                // The file goes across too, so the receiver will hold these rules after the
                // transfer; it learns them before the directory's entry.
                try out.write(.filterFile(dir: item.path, name: name, content: bytes))
            }
            if indexer != nil { entry.listIndex = indexer!.index(of: entry.path) }
            var copies = 0
            for m in item.mergedAway where filters.isEmpty || !filters.excludes(item.path, isDirectory: m.kind == .directory) {
                unsent.add(m.kind, size: m.size)
                copies += 1
            }
            // (The copies of `.` are numbered first, see ListIndexer.init.)
            if indexer != nil && item.path != [0x2E] { indexer!.skip(copies) }
            if item.path == [0x2E] && item.kind == .directory {
                // Each `dir/` source lists its own `.`; the walk sends the first.
                let others = set.contentsSources - 1 - item.mergedAway.count { $0.kind == .directory }
                for _ in 0..<max(0, others) { unsent.add(.directory, size: 0) }
            }
            try sender.send(entry, implied: item.implied)
            if item.kind == .directory && walker.willDescend, let kids = walker.childListing() {
                let listed = { (i: Int) in
                    filters.isEmpty || !filters.excludes(PathOps.join(item.path, kids.names[i]), isDirectory: kids.isDir[i])
                }
                if indexer != nil {
                    // (With several sources, every source's copy of a name has its number.)
                    let n = kids.names.indices.reduce(0) { $0 + (listed($1) ? 1 + (kids.copies.isEmpty ? 0 : kids.copies[$1]) : 0) }
                    indexer!.expand(item.path, count: n)
                }
                // The names of the subdirectories that will be listed, so the receiver can
                // delete what is gone before it sees them (rsync deletes at a directory's start).
                try sendIOErrors()
                if !item.unreadable {
                    var names: [PathBytes] = []
                    for i in kids.names.indices where kids.isDir[i] && listed(i) {
                        names.append(kids.names[i])
                    }
                    try sender.sendDirNames(item.path, names)
                }
            }
        }
        try sendIOErrors()
        for n in heldNotes.enumerated().sorted(by: { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }) {
            try out.write(.message(level: 0, text: n.element.text))
        }
        try sender.finish()
        for _ in 0..<sender.prunedDirs { unsent.add(.directory, size: 0) }
        if var n = indexer?.count {
            // Entries numbered but not sent (-m's pruned directories) are in rsync's count; a
            // whole list holds every source's entries, those merged away included.
            if indexer!.mode == .whole { n = max(n, UInt64(sender.written) + unsent.files) }
            if n > UInt64(sender.written) { try out.write(.summary([SummaryItem(key: "list_entries", value: n)])) }
        }
        if unsent.files > 0 { try out.write(.summary(unsent.unsentItems)) }
        if sender.written == 0 && notes.isEmpty && status != .fileSelect {
            // The sources were read and everything in them left out (filters), or they are
            // missing or failed: an empty note tells sy-apply that rsync makes a `dir/`
            // destination all the same. (Not where rsync's sender dies: a --files-from base
            // that is no directory.)
            try out.write(.message(level: 0, text: ""))
        }
        try out.finish()
        return status
    }

    /// XXH3-128 of a file's contents.
    public static func hashFile(_ dirfd: Int32, _ name: PathBytes, _ hasher: FileHasher, follow: Bool = false) throws(Errno) -> Hash128 {
        let fd = try Sys.openForReading(dirfd, name, follow ? 0 : O_NOFOLLOW)
        defer { Sys.close(fd) }
        return try hashFD(fd, hasher)
    }

    public static func hashFD(_ fd: Int32, _ hasher: FileHasher) throws(Errno) -> Hash128 {
        hasher.reset()
        let size = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buf.deallocate() }
        while true {
            let n = try Sys.read(fd, buf, size)
            if n == 0 { break }
            hasher.update(buf, n)
        }
        return hasher.digest
    }
}

