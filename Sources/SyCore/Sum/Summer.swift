import Glibc

/// The generator: merge-joins the source entry stream with a walk of the destination and
/// writes a plan for every entry that needs work, with block signatures for updates.
///
/// Both sides come in stream order, so memory is one directory listing per level plus the
/// hard-link table (only entries with more than one link).
public final class Summer {
    let options: SumOptions
    let input: StreamReader
    let out: StreamWriter
    var status = ExitStatus.ok
    var counts = SourceCounts()

    struct LinkKey: Hashable { var dev: UInt64; var ino: UInt64 }
    struct Leader {
        var path: PathBytes
        var destIno: UInt64?
        /// --link-dest: the reference file the leader was linked from.
        var refInode: LinkKey?
        /// The leader's data is sent (not in place or taken from a reference dir at its turn):
        /// rsync links the other members when it is done, as new links.
        var sent = false
        /// Left as it was by --append though it differs: the group's other members are judged alone.
        var skipped = false
    }
    var leaders: [LinkKey: Leader] = [:]
    /// New members of hard-link groups that have no member in place yet, in stream order per
    /// group (see `HardLinkOrder.swift`).
    var heldMembers: [LinkKey: [HeldMember]] = [:]
    /// Each hold, in stream order (from `heldQueueStart` on).
    var heldQueue: [(key: LinkKey, position: Int)] = []
    var heldQueueStart = 0
    /// Source entries merged so far (the stream position rsync's lookahead counts in).
    var sourcePosition = 0
    /// Members of groups with no member in place that -u or --ignore-existing skipped.
    var skippedMembers: [LinkKey: Int] = [:]
    /// Source directories seen, innermost last, and whether deleting below them is allowed.
    var srcDirs: [(path: PathBytes, deletable: Bool)] = []
    /// A source subtree being skipped (e.g. `--existing` for a new directory).
    var skipPrefix: PathBytes?
    /// A source directory --ignore-existing left out where a non-directory stands: its own
    /// entries still come (and fail there, as rsync's do), what lies below them does not.
    var blockedDir: PathBytes?
    /// Progress totals for sy-apply, when asked for.
    public var totals: TotalsChannel?
    /// Opens destination entries by path (the walk's own descriptors belong to its thread).
    var basisOpener: PrefetchWalker?
    var destination: PathBytes = []
    /// `--mkpath` and no destination yet: the directory sy-apply will make (see `newDirectoryStat`).
    var freshRoot: FileStat?
    /// The --link-dest/--compare-dest directories, opened on first use.
    var references: [Reference]?
    /// Sender ids mapped by name (created when the stream carries ID-NAME records).
    var idNames: IdNames?
    static let walkStatus = NSLockLite()
    nonisolated(unsafe) static var walkWorst = ExitStatus.ok

    /// The sender reported an IO error: deletions stop (unless --ignore-errors), noted once.
    var ioError = false
    /// No more deletions: the sender could not list everything (rsync's io_error).
    var deletionsStopped: Bool { ioError && !options.ignoreErrors }
    var ioErrorNoted = false
    /// The scan's notes went on before the merge (a spooled stream): they are not passed on again.
    var notesForwarded = false
    /// rsync's generator, deleting, looked into a directory (it says there that an IO error
    /// stops deletions, and never without one: see `reachedContentDir`); into the one reached
    /// last; into one since the sender's IO error came.
    var lookedInto = false, lookedIntoLast = false, lookedSinceIOError = false
    /// The file decision just made skipped a file that differs (-u, --append): not "unchanged".
    var skippedNotSame = false
    /// KEEP plans of the directories enclosing the current entry, sent only when a plan below needs them.
    var pendingKeeps: [(plan: Plan, sent: Bool)] = []
    /// -y: the current destination directory's candidate basis files.
    var fuzzy = FuzzyBasis()
    /// Per-directory merge files the sender sent (`--delete-after`): the
    /// rules the destination will hold after the transfer, used instead of its current files.
    var sentFilterFiles: [PathBytes: [UInt8]] = [:]
    /// Destination directories being merged, outermost first (see `DestLevel`).
    var levels: [DestLevel] = []
    /// Destination entries dealt with before their turn, not yet passed by the walk.
    var outOfTurn = 0
    /// Source entries read ahead (a directory's non-directories, to learn its names).
    var sourceAhead: [Entry] = []
    var sourceAheadIndex = 0
    /// Stream items read further ahead, not yet dealt with (see `memberInSight`), from
    /// `inSightStart` on, and how many are entries; with -H, how many files of each hard-link
    /// group were read and not yet passed by the merge.
    var inSight: [SourceItem] = []
    var inSightStart = 0
    var inSightEntries = 0
    var inSightKeys: [LinkKey: Int] = [:]
    /// The stream's top-level names, when it says them (named sources): the destination walk
    /// looks at these only.
    var topNames: [PathBytes]?
    var sawEntry = false
    /// The last DIR-NAMES record: the subdirectories the sender lists in `dir`.
    var dirNames: (dir: PathBytes, names: [PathBytes])?
    /// The receiver's view of the filter rules, with the destination's per-directory files.
    var filters: FilterList
    var filtersStarted = false
    /// Which part of the work this merge does (`--delete-before` runs two, see `DeleteBefore.swift`).
    var pass = Pass.whole
    /// -K: directories deleted in this run (a link to one is no directory any more).
    var deletedDirs: Set<LinkKey> = []
    /// Directories the deletion pass deleted in (their times changed).
    var changedDirs: Set<PathBytes> = []
    /// -K: directories deleted in part (they keep something) that a link may still lead to.
    var changedLinkedDirs: Set<LinkKey> = []
    /// Destination files with other names whose attributes a plan changes: a later name is
    /// compared with them as they will be, as rsync's generator finds them when it gets there.
    var retouchedLinks: [LinkKey: FileStat] = [:]

    public init(options: SumOptions, input: StreamReader, output: StreamWriter) {
        self.options = options; self.input = input; self.out = output
        filters = options.filters
    }

    /// Per-directory filter files matter on this side only for what --delete may remove.
    var readsFilterFiles: Bool { options.delete && filters.hasDirMerge }

    /// Before the first entry: filter files above the destination root (`dir-merge /NAME`).
    func startFilters(first: Entry) {
        filtersStarted = true
        guard readsFilterFiles else { return }
        filters.scanParents(of: FilterList.absolutePath(destination), includingRoot: first.path != [0x2E]) { dir, name in
            FilterFiles.read(Sys.atFDCWD, PathOps.join(dir, name))
        }
    }

    /// A directory present on both sides: its filter files in the destination protect from
    /// deletion. sy-apply, which deletes, gets them as read now (FILTER-FILE records).
    func enterFilters(_ dir: PathBytes) throws(SyError) {
        guard readsFilterFiles, let opener = basisOpener else { return }
        var read: [(PathBytes, [UInt8])] = []
        filters.enter(directory: dir) { name in
            var bytes = sentFilterFiles.removeValue(forKey: PathOps.join(dir, name))
            if bytes == nil, let fd = try? opener.openRelative(PathOps.join(dir, name)) {
                bytes = try? Sys.readAll(fd, limit: 16 << 20)
                Sys.close(fd)
            }
            if let bytes { read.append((name, bytes)) }
            return bytes
        }
        for (name, bytes) in read { try out.write(.filterFile(dir: dir, name: name, content: bytes)) }
    }

    func report(_ e: SyError) {
        warn(e.message)
        status = status.merged(with: e.status)
    }

    /// Runs the merge; returns 0, 23 or 24.
    public func run(destination: PathBytes) throws(SyError) -> ExitStatus {
        try merge(destination: destination)
        return try finish()
    }

    /// The merge of the whole stream with the destination's walk: writes the plans.
    func merge(destination: PathBytes) throws(SyError) {
        self.destination = destination
        var walker: PrefetchWalker?
        var rootFd: Int32 = -1
        // The first entry first: a stream of named sources says their names before it.
        var src = try nextSource()
        var fileTarget = false
        if options.destMayBeFile, let s = src, let target = PathOps.fileTarget(destination, for: s, topNames: topNames) {
            fileTarget = true
            // One file sent to a path that is no directory: that path names it (rsync's rule),
            // in a directory that must exist (rsync makes a destination's last directory only).
            if !options.mkpath, let problem = PathOps.fileDirectoryProblem(target.dir, dest: destination) { throw problem }
            self.destination = target.dir
            src!.path = target.name
            topNames = [target.name]
        }
        let destination = self.destination
        // (Entered through a symlink of another user: refused, as rsync 3.5 does. A missing
        // destination is made first, and refused then, by sy-apply.)
        if !options.insecureLinks, (try? Sys.fstatat(Sys.atFDCWD, destination, follow: true)) != nil,
           let refused = TrustedPath.refusal(entering: destination, step: fileTarget ? 3 : 1) {
            throw refused
        }
        do {
            rootFd = try Sys.openat(Sys.atFDCWD, destination, O_RDONLY | O_DIRECTORY)
            walker = PrefetchWalker(rootFd: rootFd, only: topNames, followDirLinks: options.keepDirlinks) { e in
                // Problems in the destination walk are reported from the walker thread. An
                // entry gone before its stat (removed by hand, or by sy-apply's deletion pass
                // under --delete-before) is no problem of the transfer: rsync says nothing.
                if e.errno == ENOENT { return }
                warn(e.message)
                Summer.walkStatus.withLock { Summer.walkWorst = Summer.walkWorst.merged(with: e.status) }
            }
            basisOpener = walker
        } catch {
            if error.code == ENOTDIR {
                // (One file would have been written as the destination: see `PathOps.fileTarget`.)
                throw SyError("ERROR: destination must be a directory when copying more than 1 file", status: .fileSelect)
            }
            if error.code != ENOENT {
                throw SyError.sys("cannot open destination", destination, error.code, status: .fileIO)
            }
            if options.mkpath && !options.dryRun { freshRoot = Summer.newDirectoryStat(below: destination) }
        }
        defer { if rootFd >= 0 { Sys.close(rootFd) } }

        var dst = walker?.next()
        while src != nil || dst != nil {
            if let d = dst, outOfTurn > 0, takeOutOfTurn(d) {
                // Deleted or replaced already: it and what is below it are done.
                if d.kind == .directory { walker!.skipChildren(of: d.path) }
                dst = walker!.next()
                continue
            }
            let c: Int
            if let s = src, let d = dst {
                c = PathOps.compare(s.path, isDir: s.kind == .directory, d.path, isDir: d.kind == .directory)
            } else { c = src == nil ? 1 : -1 }
            if c <= 0 {
                if let s = src, s.kind == .directory, !s.noContents, !s.missing { try reachedContentDir(s.path, existing: c == 0) }
                sourcePosition += 1
                if !heldQueue.isEmpty { try placeGroupsOutOfSight() }
            }
            if c < 0 {
                let s = src!
                try leaveLevels(for: s.path)
                if let d = takeOtherKind(of: s) {
                    // The same name as a directory and a non-directory: the source's kind replaces it.
                    try both(s, d, walker!)
                } else {
                    try sourceOnly(s)
                }
                src = try nextSource()
            } else if c > 0 {
                let d = dst!
                try leaveLevels(for: d.path)
                if let s = src, d.kind == .directory, PathOps.isInside(s.path, d.path) {
                    // A directory the stream does not list but has entries below (-R --no-implied-dirs,
                    // or the top when the sources are named): its names can still be looked up.
                    if let kids = d.listing { levels.append(DestLevel(path: d.path, children: kids)) }
                    dst = walker!.next()
                    continue
                }
                if !deferForOtherKind(d) { try destOnly(d, walker!) }
                dst = walker!.next()
            } else {
                try leaveLevels(for: src!.path)
                try both(src!, dst!, walker!)
                src = try nextSource()
                dst = walker!.next()
            }
        }
        try leaveLevels(for: nil)
        try placeUnplacedGroups()
    }

    /// After the (last) merge: the IO-error note, the SUMMARY, the end of the stream.
    func finish() throws(SyError) -> ExitStatus {
        // (--delete-after looks at the end; deleting as it goes, the note comes here if no
        // directory it looked into came after the error.)
        if deletionsStopped && options.delete && (deletesAsItGoes ? lookedSinceIOError : lookedInto) { try noteDeletionsSkipped() }
        var summary = counts.items(entryBytes: input.wireBytes)
        // The sender could not list everything: a receiver that deletes at the end deletes nothing.
        if deletionsStopped { summary.append(SummaryItem(key: "io_error", value: 1)) }
        try out.write(.summary(summary))
        totals?.send(final: true)
        try out.finish()
        return Summer.walkStatus.withLock { status.merged(with: Summer.walkWorst) }
    }

    func nextSource() throws(SyError) -> Entry? {
        let next: Entry?
        if sourceAheadIndex < sourceAhead.count {
            next = sourceAhead[sourceAheadIndex]
            sourceAheadIndex += 1
            if sourceAheadIndex == sourceAhead.count { sourceAhead.removeAll(keepingCapacity: true); sourceAheadIndex = 0 }
        } else {
            next = try readSource()
        }
        if let next { passed(next) }
        return next
    }

    /// The next entry from the stream (records between entries are dealt with on the way).
    func readSource() throws(SyError) -> Entry? {
        while let item = try nextItem() {
            switch item {
            case .entry(var e):
                sawEntry = true
                if !e.missing {
                    // (In rsync's list, and its counts, whether or not anything is done with it.)
                    counts.add(e)
                    totals?.listed(counts)
                }
                if let p = skipPrefix, PathOps.isInside(e.path, p) { passed(e); continue }
                if let b = blockedDir {
                    if PathOps.isInside(e.path, b) {
                        if options.dryRun {
                            // rsync's dry run makes nothing and so tries everything below; only a
                            // file's own stat fails there.
                            if e.kind == .file && PathOps.parent(e.path) == b {
                                report(SyError.sys("cannot stat", e.path, ENOTDIR, status: .partial))
                                passed(e); continue
                            }
                        } else if PathOps.parent(e.path) != b { passed(e); continue }
                    } else {
                        blockedDir = nil
                    }
                }
                if options.mungeLinks && e.kind == .symlink && !e.missing { e.target = MungedLink.munged(e.target) }
                let (uid, gid) = (e.uid, e.gid)
                idNames?.map(&e)
                if options.userMap != nil || options.groupMap != nil { applyIdMaps(&e, uid: uid, gid: gid) }
                skipPrefix = nil
                if !filtersStarted { startFilters(first: e) }
                return e
            case .record(let type, var r):
                try other(type, &r)
            }
        }
        return nil
    }

    /// A record between entries, dealt with as it is met.
    private func other(_ type: RecordType, _ r: inout PayloadReader) throws(SyError) {
        let rec = try Record.decode(type, &r)
        switch rec {
        case .idName(let group, let id, let name):
            if idNames == nil { idNames = IdNames() }
            idNames!.learn(group: group, id: id, name: name)
        case .summary(let items):
            // The size of rsync's file list, where it is more than the entries sent.
            if let n = items.first(where: { $0.key == "list_entries" })?.value { totals?.raise(entries: n) }
            counts.addUnsent(items)
        case .filterFile(let dir, let name, let content):
            sentFilterFiles[PathOps.join(dir, name)] = content
        case .dirNames(let dir, let names):
            // Before any entry, for `.`: the stream's top-level names (named sources, no `.`).
            if dir == [0x2E] && !sawEntry { topNames = names } else { dirNames = (dir, names) }
        case .message(let level, _) where level >= 2:
            // The sender could not list something: rsync then deletes nothing more. Its
            // generator says so in the directory it is in, if it looks into that one.
            let first = !ioError
            ioError = true
            if first && lookedIntoLast {
                lookedSinceIOError = true
                if deletesAsItGoes && deletionsStopped { try noteDeletionsSkipped() }
            }
        case .message(let level, let text):
            // The scan's notes reach sy-apply, which prints them (the spooling pass of
            // --delete-before passed them on already), as the sender's (level 3).
            if pass == .whole && !notesForwarded { try out.write(Summer.forwarded(level, text)) }
        default:
            throw SyError.stream("unexpected \(rec.type.name) record in an entry stream", offset: r.baseOffset)
        }
    }

    /// --usermap/--groupmap/--chown: the sender's ids (and names) decide the receiver's.
    func applyIdMaps(_ e: inout Entry, uid: UInt32, gid: UInt32) {
        // Without ID-NAME records the sender is this machine (or --numeric-ids: no names at all).
        let names = idNames
        let local = names == nil && !options.numericIds
        if let m = options.userMap, let to = m.map(uid, name: { names?.senderName(group: false, id: uid) ?? (local ? IdNames.userName(uid) : nil) }) {
            e.uid = to
        }
        if let m = options.groupMap, let to = m.map(gid, name: { names?.senderName(group: true, id: gid) ?? (local ? IdNames.groupName(gid) : nil) }) {
            e.gid = to
        }
    }

    /// Whether --min-size/--max-size leave this file out.
    func sizeExcluded(_ e: Entry) -> Bool {
        guard e.kind == .file else { return false }
        if let m = options.minSize, e.size < m { return true }
        if let m = options.maxSize, e.size > m { return true }
        return false
    }

    func emit(_ plan: Plan) throws(SyError) {
        // A directory's KEEP only frames the plans below it: it waits until one comes (a
        // run with nothing to do then sends no plans at all), unless up-to-date entries are
        // reported (-ii lists every directory). (Another entry's KEEP goes at once: see
        // `makeParents(of:)`.)
        while let last = pendingKeeps.last, !PathOps.isInside(plan.entry.path, last.plan.entry.path) { pendingKeeps.removeLast() }
        if plan.action == .keep && plan.entry.kind == .directory && !options.reportUnchanged {
            pendingKeeps.append((plan, false))
            return
        }
        try sendPendingKeeps()
        if plan.action.carriesData && plan.entry.kind == .file { totals?.planned(bytes: plan.entry.size) }
        plan.encode(into: &out.payload)
        try out.emit(.plan)
    }

    /// Sends the KEEP plans of the directories around the next plan (or of a directory whose
    /// own plan must go out though it changes nothing that is itemized).
    func sendPendingKeeps() throws(SyError) {
        for i in pendingKeeps.indices where !pendingKeeps[i].sent {
            pendingKeeps[i].plan.encode(into: &out.payload)
            try out.emit(.plan)
            pendingKeeps[i].sent = true
        }
    }

    /// -K: whether the destination's link that stands for directory `s` has another time than
    /// `s` (rsync touches it up at the end: it sets the time on the link itself).
    func linkTimeDiffers(_ s: Entry, _ d: WalkItem) -> Bool {
        guard d.followed && options.times && !options.omitDirTimes else { return false }
        let link = current(d)
        return link.kind == .symlink && !sameTime(s, link.stat)
    }

    /// Whether a kind is part of this transfer (`-l`, `-D`, `--specials`).
    func wanted(_ e: Entry) -> Bool {
        switch e.kind {
        case .file, .directory: return true
        case .symlink: return options.links
        case .charDevice, .blockDevice: return options.devices
        case .fifo, .socket: return options.specials
        }
    }

    func noteSourceDir(_ e: Entry) {
        while let last = srcDirs.last, !PathOps.isInside(e.path, last.path) { srcDirs.removeLast() }
        srcDirs.append((e.path, !e.noContents && (!e.unreadable || options.ignoreErrors)))
    }

    // MARK: The three cases of the merge

    func sourceOnly(_ s: Entry) throws(SyError) {
        if pass == .deletions { return } // nothing of the destination lies below it
        if s.missing { return }
        if ignoredLink(s) {
            try makeParents(of: s)
            // rsync's generator says so where --existing has not skipped the name already.
            if !options.existing { try noteIgnoredLink(s) }
            return
        }
        guard wanted(s) else { try makeParents(of: s); try skipUnwanted(s); return }
        if sizeExcluded(s) {
            try makeParents(of: s)
            if options.existing { try noteNotCreating(s) } else { try noteSizeExcluded(s) }
            return
        }
        // (Not the top directory: rsync's receiver makes a missing destination before its
        // generator looks at `.`, which it then finds created, --existing or not; a dry run
        // makes nothing, and its generator skips `.` as missing.)
        if options.existing && (s.path != [0x2E] || options.dryRun) {
            if s.kind == .directory { skipPrefix = s.path }
            if s.path != [0x2E] { try noteNotCreating(s) }
            return
        }
        if s.kind == .directory { noteSourceDir(s) }
        if let fresh = freshRoot, s.kind == .directory, s.path == [0x2E] {
            // --mkpath: sy-apply makes the destination's path first, as rsync does, so "." is
            // compared with that new directory rather than created.
            let attrs = attrFlags(s, fresh)
            try emit(Plan(action: attrs.isEmpty ? .keep : .attrs, flags: attrs, entry: s))
            return
        }
        if options.hardLinks && s.isLinkCandidate, let plan = linkFollower(s, dest: nil) {
            try emit(plan)
            return
        }
        let match = referenceMatch(s)
        if try holdMember(s, referenced: match != nil) { return }
        if options.hardLinks && s.isLinkCandidate { leaders[LinkKey(dev: s.dev, ino: s.ino)] = Leader(path: s.path, destIno: nil) }
        if let plan = referencePlan(s, match) {
            let key = LinkKey(dev: s.dev, ino: s.ino)
            if let plan {
                if leaders[key] != nil && plan.action == .hardlink && plan.flags.isDisjoint(with: .localCopy) {
                    leaders[key]!.refInode = referenceInode(of: plan)
                }
                try emit(plan)
                try placeHeldMembers(of: s)
                return
            }
            // A --compare-dest copy stands for it: up to date, as far as the sender is concerned
            // (rsync leaves the source of a symlink or special file it stands for). Nothing is
            // made, so the group's next member stands alone, as with rsync.
            leaders[key] = nil
            if options.reportUnchanged {
                try emit(Plan(action: .unchanged, flags: s.kind == .file ? [] : [.referenced], entry: s))
            }
            return
        }
        var plan = Plan(action: .create, flags: options.times ? [] : [.timeNow], entry: s)
        // rsync's --append takes a reference dir's file as the file itself: one as long or
        // longer, and the new file is left out (as with a fuzzy basis).
        if s.kind == .file, let m = match, appendTakesBasis(s, basisSize: m.st.size) { return }
        markReferenced(&plan, match)
        if s.kind == .file && options.hardLinks && s.isLinkCandidate { leaders[LinkKey(dev: s.dev, ino: s.ino)]?.sent = true }
        try emitNew(plan, match)
        try placeHeldMembers(of: s)
    }

    /// The second pass after a failed --append-verify: a file that failed (as long as the
    /// source, with sy-apply's mark on it) is sent whole; every other one is judged as in the
    /// first pass, as rsync's second pass looks at the failed files only.
    func redoesWhole(_ s: Entry, _ d: FileStat) -> Bool {
        options.appendSecondPass && d.size == s.size && FailedMark.isMarked(d)
    }

    /// --append or --append-verify, in the pass that appends (not the second, whole one).
    var appendingFirstPass: Bool { (options.append || options.appendVerify) && !options.appendSecondPass }

    /// rsync's --append takes a basis (a reference dir's file, a fuzzy one) as long as `s` or
    /// longer for the file itself: true then, and nothing is made, so a hard-link group's next
    /// member stands alone. (In the second pass too: rsync's looks only at the files that
    /// failed verification, which exist; a new file is judged as in the first.)
    func appendTakesBasis(_ s: Entry, basisSize: Int64) -> Bool {
        guard (options.append || options.appendVerify) && basisSize >= s.size else { return false }
        leaders[LinkKey(dev: s.dev, ino: s.ino)] = nil
        return true
    }

    /// -y: a new file sent as a delta against a similar file in its destination directory.
    func emitFuzzy(_ plan: Plan) throws(SyError) -> Bool {
        guard !options.dryRun || appendingFirstPass, let opener = basisOpener,
              let (name, st) = fuzzy.find(for: plan.entry, opener: opener) else { return false }
        if appendTakesBasis(plan.entry, basisSize: st.size) { return true }
        if options.dryRun { return false }
        if options.wholeFile {
            // No delta, but rsync still takes the basis's permissions for the new file.
            var p = plan
            p.flags.insert(.fuzzyBasis)
            p.linkTo = name
            try emit(p)
            return true
        }
        let basisPath = PathOps.join(PathOps.parent(plan.entry.path), name)
        let fd: Int32
        do { fd = try opener.openRelative(basisPath) } catch { return false }
        defer { Sys.close(fd) }
        var p = plan
        p.flags.insert(.fuzzyBasis)
        p.linkTo = name
        try emitSigned(p, basisFd: fd, basisSize: st.size)
        return true
    }

    /// The signature layout for a basis of `basisSize` bytes (`-B`, or grown with the file).
    func signatureInfo(basisSize: Int64, sourceSize: Int64) -> SignatureInfo {
        let bs = options.blockSize ?? BlockSigner.blockSize(for: basisSize, compressedLiterals: options.compressedLiterals)
        return SignatureInfo(blockSize: bs, strongLength: BlockSigner.strongLength(basisSize: basisSize, sourceSize: sourceSize, blockSize: bs),
                             basisSize: basisSize)
    }

    /// Emits `plan` with the signature of the open basis `fd`: the plan, then its BLOCKS.
    func emitSigned(_ plan: Plan, basisFd fd: Int32, basisSize: Int64) throws(SyError) {
        var p = plan
        let sig = signatureInfo(basisSize: basisSize, sourceSize: plan.entry.size)
        p.signature = sig
        try emit(p)
        try BlockSigner.emitBlocks(fd: fd, info: sig, out: out)
    }

    /// Emits the plan of an entry the destination lacks with its basis, as rsync's generator
    /// picks one: kept partial data, else a reference dir's file, else a similar file (-y).
    func emitNew(_ plan: Plan, _ match: ReferenceMatch?) throws(SyError) {
        if plan.entry.kind != .file { try emit(plan); return }
        if try emitFromPartial(plan) { return }
        if try emitAgainstReference(plan, match) { return }
        if options.fuzzy, try emitFuzzy(plan) { return }
        try emit(plan)
    }

    /// With --partial: when an interrupted run kept data for this file, emits the plan with
    /// that data as the basis of the delta (whole, if it is empty or with -W: rsync still takes
    /// its permissions for the file) and returns true.
    func emitFromPartial(_ plan: Plan) throws(SyError) -> Bool {
        guard let pd = options.partialDir, plan.entry.kind == .file, !options.dryRun,
              let opener = basisOpener else { return false }
        let fd: Int32
        if pd.first == 0x2F {
            // One absolute directory holds them all, by name (as rsync keeps them there).
            guard let f = try? Sys.openat(Sys.atFDCWD, PathOps.join(pd, PathOps.base(plan.entry.path)), O_RDONLY | O_NOFOLLOW) else { return false }
            fd = f
        } else {
            let partialPath = PathOps.join(PathOps.join(PathOps.parent(plan.entry.path), pd), PathOps.base(plan.entry.path))
            guard let f = try? opener.openRelative(partialPath) else { return false }
            fd = f
        }
        defer { Sys.close(fd) }
        var p = plan
        p.signature = nil
        guard let st = try? Sys.fstat(fd), st.kind == .file else { try emit(p); return true }
        p.flags.insert(.partialBasis)
        if options.wholeFile || st.size == 0 { try emit(p) } else { try emitSigned(p, basisFd: fd, basisSize: st.size) }
        return true
    }

    /// rsync's basis from the reference dirs: a new file whose best match there is a file
    /// failing the quick check is built against it (its signature sent, unless -W) and, without
    /// -p, takes its permissions. Returns false (nothing emitted) for any other match.
    func emitAgainstReference(_ plan: Plan, _ match: ReferenceMatch?) throws(SyError) -> Bool {
        guard plan.entry.kind == .file, let m = match, m.level == 1, m.st.kind == .file else { return false }
        var p = plan
        p.flags.formUnion([.referenceBasis, .reference(m.ref.index)])
        // (referenceMatch found the file there: only its directory is wanted again.)
        guard !options.wholeFile, !options.dryRun, let dir = try? m.ref.stack.fd(for: PathOps.parent(p.entry.path)),
              let fd = try? Sys.openat(dir, PathOps.base(p.entry.path), O_RDONLY | O_NOFOLLOW) else {
            try emit(p)
            return true
        }
        defer { Sys.close(fd) }
        try emitSigned(p, basisFd: fd, basisSize: m.st.size)
        return true
    }

    /// -R --no-implied-dirs: a skipped entry whose parent directory the destination lacks gets
    /// a KEEP plan, on which sy-apply makes the missing directories and nothing else.
    func makeParents(of s: Entry) throws(SyError) {
        guard options.makesParents, !options.dryRun, PathOps.parent(s.path) != [0x2E] else { return }
        if let opener = basisOpener, (try? opener.parentFd(s.path)) != nil { return }
        try emit(Plan(action: .keep, flags: [], entry: s))
    }

    func skipUnwanted(_ s: Entry) throws(SyError) {
        if s.path == [0x2E] || options.secondPass { return }
        try out.write(.message(level: 0, text: "skipping non-regular file \"\(s.path.displayName)\""))
    }

    func destOnly(_ d: WalkItem, _ walker: PrefetchWalker) throws(SyError) {
        if d.path == [0x2E] { return }
        if d.kind == .directory { walker.skipChildren(of: d.path) }
        try deleteExtra(d)
    }

    /// Deletes a destination entry the source does not have, if --delete and the filters allow.
    func deleteExtra(_ walked: WalkItem) throws(SyError) {
        if pass == .transfers || !options.delete { return } // (the deletion pass saw to it)
        // -K: a symlink walked as its directory goes as the symlink it is (rsync's delete looks with lstat).
        let d = options.keepDirlinks && walked.kind == .directory ? current(walked) : walked
        if let pd = options.partialDir, d.kind == .directory, PathOps.base(d.path) == pd { return }
        guard deletable(d.path) else { return }
        if deletionsStopped {
            // With --delete-after rsync says so where it would delete, after the transfers (`finish`).
            if !deletesAtTheEnd { try noteDeletionsSkipped() }
            return
        }
        if filters.excludes(d.path, isDirectory: d.kind == .directory, side: .receiver) { return }
        if options.protects.excludes(d.path, isDirectory: d.kind == .directory) { return }
        try emit(Plan(action: .delete, entry: Entry(path: d.path, stat: d.stat, kind: d.kind, target: d.target)))
        // (-K: a link to it is a link again once it goes: not before the end with --delete-after/-delay.)
        let left = d.kind == .directory && ((options.keepDirlinks && !options.deleteLater) || pass == .deletions)
            ? deletionLeaves(d) : (stays: false, changed: true)
        if options.keepDirlinks && d.kind == .directory && !options.deleteLater {
            let key = LinkKey(dev: d.stat.dev, ino: d.stat.ino)
            if !left.stays { deletedDirs.insert(key) } else if left.changed { changedLinkedDirs.insert(key) }
        }
        if options.fuzzy && !options.deleteLater { fuzzy.forget(d.path) }
        // (A directory that stays for what it keeps leaves its parent as it was.)
        if pass == .deletions && !options.dryRun && !left.stays { changedDirs.insert(PathOps.parent(d.path)) }
    }

    /// What deleting a directory leaves of it (its parent, and with -K a link to it, see that
    /// as rsync finds them): whether it stays for what it keeps (an entry the receiver's rules protect, or
    /// any file when its backup stays beside it: -b without --backup-dir), and whether its own
    /// entries change (then so does its time). Both hold before and after the deletion,
    /// whenever sy-apply gets to it.
    func deletionLeaves(_ d: WalkItem) -> (stays: Bool, changed: Bool) {
        if filters.isEmpty && options.protects.isEmpty && !options.backupBeside { return (false, true) }
        guard let opener = basisOpener, let parent = try? opener.parentFd(d.path),
              let fd = try? Sys.openDir(parent, PathOps.base(d.path)) else { return (false, true) }
        return deletionLeaves(fd, d.path, filters)
    }

    /// `outer`: the rules in the directory's parent (its own merge files are read here, as
    /// rsync's deletion reads them).
    private func deletionLeaves(_ fd: Int32, _ path: PathBytes, _ outer: FilterList) -> (stays: Bool, changed: Bool) {
        defer { Sys.close(fd) }
        guard let names = try? DirReader.sortedNames(fd) else { return (false, true) }
        var filters = outer
        filters.enter(directory: path, fd: fd)
        var stays = false, changed = false
        for name in names {
            let p = PathOps.join(path, name)
            guard let st = try? Sys.fstatat(fd, name) else { continue }
            let isDir = st.kind == .directory
            if filters.excludes(p, isDirectory: isDir, side: .receiver, deleting: true) || options.protects.excludes(p, isDirectory: isDir) {
                stays = true
            } else if !isDir {
                changed = true
                if options.backupBeside { stays = true }
            } else if let sub = try? Sys.openDir(fd, name), deletionLeaves(sub, p, filters).stays {
                stays = true
            } else {
                changed = true
            }
            if stays && changed { break } // (nothing more to learn)
        }
        return (stays, changed)
    }

    /// A source directory with contents comes up (`existing`: the destination has it). rsync's
    /// generator, deleting, looks into it unless a dry run would have to make it: as it goes
    /// (--delete-during, --delete-delay), saying there (once) that a known IO error stops
    /// deletions, or at the end (--delete-after, see `finish`); --delete-before looks into the
    /// ones there before any transfer (the top one, made first, too).
    func reachedContentDir(_ path: PathBytes, existing: Bool) throws(SyError) {
        let looks: Bool
        switch pass {
        // (--existing makes no new directory but the destination: nothing is looked into there.)
        case .whole: looks = options.delete && (existing || !options.dryRun && (!options.existing || path == [0x2E]))
        case .deletions: looks = existing || (path == [0x2E] && !options.dryRun)
        case .transfers: looks = false
        }
        lookedIntoLast = looks
        guard looks else { return }
        lookedInto = true
        if ioError { lookedSinceIOError = true }
        if deletesAsItGoes && deletionsStopped { try noteDeletionsSkipped() }
    }

    /// --delete-during or --delete-delay in one merge: rsync's generator deletes (or finds
    /// what to delete) in each directory as it goes.
    var deletesAsItGoes: Bool { options.delete && pass == .whole && !deletesAtTheEnd }

    /// --delete-after: the receiver looks for what to delete once everything is sent.
    var deletesAtTheEnd: Bool { options.deleteLater && !options.deleteDelay }

    /// rsync's note, once, that the sender's IO error stops deletions.
    func noteDeletionsSkipped() throws(SyError) {
        guard !ioErrorNoted else { return }
        ioErrorNoted = true
        try out.write(.message(level: 0, text: Summer.deletionsSkippedNote))
    }

    /// rsync's generator's words when the sender's IO error stops deletions.
    public static let deletionsSkippedNote = "IO error encountered -- skipping file deletion"
    /// The MESSAGE level of the scan's notes in a plan stream: stdout as level 0, but the
    /// sender's, printed before the receiver's first -vv note.
    public static let senderNoteLevel: UInt8 = 3

    /// A scan's MESSAGE as sy-sum passes it on: its notes as the sender's.
    static func forwarded(_ level: UInt8, _ text: String) -> Record {
        .message(level: level == 0 ? senderNoteLevel : level, text: text)
    }

    func deletable(_ path: PathBytes) -> Bool { deletable(inside: PathOps.parent(path)) }

    /// Whether --delete may remove entries directly in source directory `parent`.
    func deletable(inside parent: PathBytes) -> Bool {
        while let last = srcDirs.last, !(last.path == parent || PathOps.isInside(parent, last.path)) { srcDirs.removeLast() }
        guard let last = srcDirs.last, last.path == parent else { return false }
        return last.deletable
    }

    /// rsync's note (-v) for a symlink `--safe-links` ignores.
    func noteIgnoredLink(_ s: Entry) throws(SyError) {
        guard options.noteUnsafeLinks && !options.secondPass else { return }
        try out.write(.message(level: 0, text: "ignoring unsafe symlink \"\(s.path.displayName)\" -> \"\(s.target.displayName)\""))
    }

    /// `--safe-links`: an unsafe symlink from the sender is neither made nor lets its path be deleted.
    func ignoredLink(_ s: Entry) -> Bool {
        // Without -l a symlink is a "non-regular file" whatever it points to, as in rsync.
        options.safeLinks && options.links && s.kind == .symlink && SymlinkMode.isUnsafe(s.target, at: s.path)
    }

    func both(_ s: Entry, _ walked: WalkItem, _ walker: PrefetchWalker) throws(SyError) {
        var d = walked
        if d.followed && deletedDirs.contains(LinkKey(dev: d.stat.dev, ino: d.stat.ino)) {
            // -K: the link's directory goes in this run: the link is a link again (rsync finds it dangling).
            walker.skipChildren(of: d.path)
            d = current(d)
        }
        if pass == .deletions { try deletionsBelow(s, d, walker); return }
        if ignoredLink(s) {
            if d.kind == .directory { walker.skipChildren(of: d.path) }
            // (--ignore-existing skips the name before rsync's generator looks at the link.)
            if !options.ignoreExisting { try noteIgnoredLink(s) }
            return
        }
        if s.missing {
            // --delete-missing-args: the destination's entry goes (a directory only with --force or --delete).
            if d.kind == .directory { walker.skipChildren(of: d.path) }
            if d.kind == .directory && !(options.force || options.delete) {
                warn("cannot delete non-empty directory: \(d.path.displayName)") // rsync: a note, not a failure
                return
            }
            try emit(Plan(action: .delete, entry: Entry(path: d.path, stat: d.stat, kind: d.kind, target: d.target)))
            return
        }
        guard wanted(s) else {
            if d.kind == .directory { walker.skipChildren(of: d.path) }
            // rsync's generator looks at --ignore-existing first: something is there, so only that is said.
            if options.ignoreExisting { try noteExists(s, d) } else { try skipUnwanted(s) }
            return
        }
        if s.kind != d.kind {
            // --min-size/--max-size skip a file before anything else, even one replacing another type.
            if sizeExcluded(s) {
                if d.kind == .directory { walker.skipChildren(of: d.path) }
                if options.ignoreExisting { try noteExists(s, d) } else { try noteSizeExcluded(s) }
                return
            }
            try replace(s, d, walker)
            return
        }
        if s.kind == .directory {
            noteSourceDir(s)
            try enterFilters(s.path)
        }
        let key = LinkKey(dev: s.dev, ino: s.ino)
        // --append leaves a destination file as long as the source alone, unless it is a hard
        // link to a member of its group that is in place (then it is linked, as rsync does).
        // (--min-size/--max-size skip a member first: then no member is in place.)
        let linksToLeader = options.hardLinks && s.isLinkCandidate && leaderInPlace(key) != nil
        if (options.append || options.appendVerify) && options.hardLinks && s.isLinkCandidate && d.kind == .file
            && d.stat.size >= s.size && !redoesWhole(s, d.stat) && !linksToLeader && !sizeExcluded(s)
            && existingReferencePlan(s, d) == nil { // (a reference copy that stands for it comes first, as rsync's)
            defer { skippedNotSame = false } // (said of this file only)
            let upToDate = sameTime(s, d.stat) && d.stat.size == s.size
            // (The first member in place leads, after any that were left as they were.)
            if leaders[key].map({ $0.skipped && upToDate }) ?? true {
                leaders[key] = Leader(path: s.path, destIno: d.stat.ino, skipped: !upToDate)
            }
            if let p = try fileDecision(s, d, attrFlags(s, d.stat)) { try emitWithSignature(p, basis: d) }
            // In place and up to date: the members waiting for one are linked to it.
            if leaderInPlace(key) != nil {
                try placeHeldMembers(of: s)
            } else if heldMembers[key] != nil, try !memberInSight(key) {
                // The group's last member, left as it was: its held members get the data now,
                // as rsync's generator turns to them when it skips the last one.
                try placeGroupAtItsLastHeld(key)
            }
            return
        }
        // (--ignore-existing first, as rsync's generator: a member of a hard-linked group that
        // exists stays as it is, even where its leader came from a --link-dest directory.)
        if options.ignoreExisting && s.kind != .directory {
            try noteExists(s, d)
            noteSkippedMember(s)
            return
        }
        if options.hardLinks && s.isLinkCandidate {
            if let plan = linkFollower(s, dest: d) {
                if plan.action != .unchanged || options.reportUnchanged { try emit(plan) }
                return
            }
        }
        if sizeExcluded(s) { try noteSizeExcluded(s); return }
        let destKey = LinkKey(dev: d.stat.dev, ino: d.stat.ino)
        if d.stat.nlink > 1, d.kind != .directory, let now = retouchedLinks[destKey] { d.stat = now }
        var attrs = attrFlags(s, d.stat)
        if s.kind == .directory && options.times && !options.omitDirTimes
            && (changedDirs.contains(s.path) || (d.followed && changedLinkedDirs.contains(LinkKey(dev: d.stat.dev, ino: d.stat.ino)))) {
            // The deletion pass changed it: rsync's generator then finds its time differs.
            attrs.insert(.time)
        }
        if !options.xattrSelection.isEmpty {
            attrs.formUnion(xattrFlags(s, d))
            // An ACL's mask is the mode's group bits: rsync reports that change as `a` only.
            if attrs.contains(.acl) && attrs.contains(.perms) && (s.perms ^ d.stat.perms) & ~0o070 == 0 { attrs.remove(.perms) }
        }
        var plan: Plan?
        var referenceStandIn: Plan? // (see existingReferencePlan)
        switch s.kind {
        case .directory:
            plan = Plan(action: attrs.isEmpty ? .keep : .attrs, flags: attrs, entry: s)
        case .file:
            if let ref = existingReferencePlan(s, d) {
                plan = ref
                referenceStandIn = ref
                // The reference stands for it: done, as far as the sender is concerned (--remove-source-files).
                if ref.action == .delete && options.reportUnchanged {
                    try emit(ref)
                    plan = Plan(action: .unchanged, entry: s)
                }
            } else { plan = try fileDecision(s, d, attrs) }
        case .symlink:
            if s.target != d.target {
                plan = Plan(action: .create, flags: attrs.union([.value, .replace]), entry: s)
            } else if !attrs.isEmpty {
                plan = Plan(action: .attrs, flags: attrs.subtracting(.perms), entry: s)
            }
        case .charDevice, .blockDevice:
            if s.rdev != d.stat.rdev {
                plan = Plan(action: .create, flags: attrs.union([.value, .replace]), entry: s)
            } else if !attrs.isEmpty {
                plan = Plan(action: .attrs, flags: attrs, entry: s)
            }
        case .fifo, .socket:
            if !attrs.isEmpty { plan = Plan(action: .attrs, flags: attrs, entry: s) }
        }
        if d.stat.nlink > 1, d.kind != .directory, !options.dryRun, let p = plan, p.action == .attrs { noteRetouched(destKey, d.stat, p) }
        // --fake-super: an entry looked at is left in its recorded form, changed or not, as
        // rsync's receiver sets the attributes of each one it finds up to date.
        if d.stat.fakeUnsettled && !skippedNotSame && (plan == nil || plan!.action == .keep) {
            plan = Plan(action: .attrs, flags: [.retouch], entry: s)
        }
        if options.hardLinks && s.isLinkCandidate {
            if skippedNotSame && options.update && holdsLinkMembers {
                noteSkippedMember(s) // newer here: left alone, not a member in place
            } else {
                let unchanged = plan == nil || plan!.action == .attrs
                leaders[key] = Leader(path: s.path, destIno: unchanged ? d.stat.ino : nil)
                leaders[key]!.sent = plan?.action.carriesData ?? false
                // A --compare-dest copy stands for it (the destination's goes): it leads nothing,
                // as rsync's; one linked from --link-dest leads from there.
                if referenceStandIn?.action == .delete {
                    leaders[key] = nil
                } else if let ref = referenceStandIn {
                    leaders[key]!.refInode = referenceInode(of: ref)
                }
            }
        }
        defer { skippedNotSame = false }
        if options.reportUnchanged && !skippedNotSame && s.kind != .directory
            && (plan == nil || plan!.action == .attrs && plan!.flags.subtracting([.timeNow, .checksum, .retouch]).isEmpty) {
            if let p = plan, p.flags.contains(.retouch) { try emit(p) }
            try emit(Plan(action: .unchanged, entry: s))
            try placeHeldMembers(of: s)
            return
        }
        // A directory's extras go before its own line, as rsync's generator deletes in a
        // directory before it lists it.
        if s.kind == .directory { try enterDirectory(s.path, d) }
        if var p = plan, !(p.action == .attrs && p.flags.subtracting([.timeNow, .checksum]).isEmpty) {
            if p.action == .attrs && !options.times { p.flags.remove(.timeNow) }
            try emitWithSignature(p, basis: d)
        }
        if options.hardLinks && s.isLinkCandidate { try placeHeldMembers(of: s) }
        if s.kind == .directory && linkTimeDiffers(s, d) { try sendPendingKeeps() }
    }

    /// Keeps what an attributes plan makes of a destination file with other names.
    func noteRetouched(_ key: LinkKey, _ old: FileStat, _ p: Plan) {
        var now = old
        let s = p.entry
        if p.flags.contains(.perms) && options.perms { now.perms = s.perms }
        if p.flags.contains(.owner) { now.uid = s.uid }
        if p.flags.contains(.group) { now.gid = s.gid }
        if p.flags.contains(.time) { now.mtimeSec = s.mtimeSec; now.mtimeNsec = s.mtimeNsec }
        retouchedLinks[key] = now
    }

    /// Emits a plan; for one with a signature, the basis's BLOCKS records follow.
    func emitWithSignature(_ plan: Plan, basis d: WalkItem) throws(SyError) {
        // A file updated by a delta is no -y basis for later files (rsync's FLAG_FILE_SENT).
        if plan.action == .update && options.fuzzy && !options.wholeFile && !options.dryRun { fuzzy.updating(plan.entry.path) }
        if plan.action == .update, try emitFromPartial(plan) { return }
        guard let sig = plan.signature else { try emit(plan); return }
        let fd: Int32
        do { fd = try basisOpener!.openRelative(d.path) } catch {
            report(SyError.sys("cannot open basis", d.path, error.code, status: .partial))
            var whole = plan
            whole.signature = nil
            try emit(whole)
            return
        }
        defer { Sys.close(fd) }
        try emit(plan)
        try BlockSigner.emitBlocks(fd: fd, info: sig, out: out)
    }

    /// A type change: the destination entry goes, the source entry is created in its place.
    func replace(_ s: Entry, _ d: WalkItem, _ walker: PrefetchWalker) throws(SyError) {
        if d.kind == .directory {
            walker.skipChildren(of: d.path)
            // (--ignore-existing leaves it, as rsync's generator, which skips what exists first.)
            if (options.delete || options.force) && !options.ignoreExisting {
                // rsync lists what was in the directory, not the directory itself.
                try emit(Plan(action: .delete, flags: [.replace], entry: Entry(path: d.path, stat: d.stat, kind: d.kind)))
            }
        }
        if options.ignoreExisting {
            try noteExists(s, d)
            // Something is there: nothing is made. Below a directory a file stands for, rsync's
            // generator tries each entry all the same (each fails: "Not a directory") and goes
            // no deeper. Through a symlink to a directory rsync writes on; sy never does, and
            // leaves it all out.
            if s.kind == .directory {
                let linkedDir = d.kind == .symlink && (try? Sys.fstatat(walker.rootFd, d.path, follow: true))?.kind == .directory
                if linkedDir { skipPrefix = s.path } else { blockedDir = s.path }
                // Deleting as it goes, rsync's generator then fails to list it (an IO error:
                // no more deletions), or says once that deletions have stopped.
                if !linkedDir && deletesAsItGoes {
                    if deletionsStopped {
                        try noteDeletionsSkipped()
                    } else {
                        report(SyError.sys("opendir failed for", s.path, ENOTDIR, status: .partial))
                        ioError = true
                    }
                }
            }
            if s.kind == .directory && options.times && !options.omitDirTimes && !options.dryRun && !sameTime(s, d.stat) {
                // rsync touches its directories up at the end, whatever stands at their paths.
                var e = Entry(path: d.path, stat: d.stat, kind: d.kind, target: d.target)
                e.mtimeSec = s.mtimeSec; e.mtimeNsec = s.mtimeNsec
                try emit(Plan(action: .attrs, flags: [.time, .retouch], entry: e))
            }
            noteSkippedMember(s)
            return
        }
        if s.kind == .directory { noteSourceDir(s) }
        // A file another type replaces is gone before the files after it come: no -y basis
        // (sy-apply would not find it), as rsync's generator has removed it by then.
        if options.fuzzy && d.kind == .file { fuzzy.forget(d.path) }
        if options.hardLinks && s.isLinkCandidate, var plan = linkFollower(s, dest: nil) {
            plan.flags.insert(.replace)
            // rsync itemizes the link against what was in the way (its generator's stat of it).
            if plan.action == .hardlink { plan.flags.formUnion(changeFlags(s, d.stat, attrs: attrFlags(s, d.stat))) }
            try emit(plan)
            return
        }
        let match = referenceMatch(s)
        if try holdMember(s, inTheWay: d, referenced: match != nil) { return }
        if options.hardLinks && s.isLinkCandidate { leaders[LinkKey(dev: s.dev, ino: s.ino)] = Leader(path: s.path, destIno: nil) }
        // What is in the way goes first, then what the reference dirs have (rsync's order).
        if s.kind == .file || s.kind == .symlink, let ref = referencePlan(s, match) {
            if var plan = ref {
                plan.flags.insert(.replace)
                try emit(plan)
            } else {
                try clearWay(d, for: s)
                // A --compare-dest copy stands for it (as where nothing was in the way).
                if options.hardLinks && s.isLinkCandidate { leaders[LinkKey(dev: s.dev, ino: s.ino)] = nil }
                if options.reportUnchanged { try emit(Plan(action: .unchanged, flags: s.kind == .file ? [] : [.referenced], entry: s)) }
            }
            try placeHeldMembers(of: s)
            return
        }
        if s.kind == .file, let m = match, appendTakesBasis(s, basisSize: m.st.size) {
            // --append takes the reference's file as the file (see `appendTakesBasis`).
            try clearWay(d, for: s)
            return
        }
        var plan = Plan(action: .create, flags: [.replace], entry: s)
        markReferenced(&plan, match)
        try emitNew(plan, match)
        try placeHeldMembers(of: s)
    }

    /// What is in the way of `s` where nothing is made for it (a --compare-dest copy stands for
    /// it, --append takes a reference's file): it goes all the same, as rsync's generator
    /// clears the way first. A directory only if empty (or by the deletion `replace` made
    /// already); one that holds something stays, and `s`'s plan says it could not make way.
    func clearWay(_ d: WalkItem, for s: Entry) throws(SyError) {
        if d.kind == .directory {
            guard !(options.delete || options.force) else { return }
            guard destDirectoryIsEmpty(d) else {
                if s.kind != .directory { try emit(Plan(action: .create, flags: [.replace], entry: s)) }
                return
            }
        }
        try emit(Plan(action: .delete, flags: [.replace], entry: Entry(path: d.path, stat: d.stat, kind: d.kind, target: d.target)))
    }

    /// For a later path of a hard-linked group: a hardlink plan, or nil if this is the group's first path.
    func linkFollower(_ s: Entry, dest: WalkItem?) -> Plan? {
        let key = LinkKey(dev: s.dev, ino: s.ino)
        guard let leader = leaderInPlace(key) else { return nil }
        if let d = dest, let ino = leader.destIno, d.stat.ino == ino, d.kind == s.kind {
            // Linked already (listed by -ii as rsync's `hf          name`).
            return Plan(action: .unchanged, entry: s, linkTo: leader.path)
        }
        var flags: ItemFlags = []
        if dest == nil && hasReferences && !leader.sent {
            // rsync's hard_link_check: a new link is itemized against a reference dir's file at
            // its path: with --link-dest the one its leader was linked from (then only listed as
            // up to date), else one that passes the quick check.
            for ref in referenceDirs {
                guard let (dir, st) = referenceEntry(ref, s.path), st.kind == s.kind else { continue }
                if ref.link && !options.copyReferences {
                    guard let li = leader.refInode, li.dev == st.dev && li.ino == st.ino else { continue }
                    return Plan(action: .hardlink, flags: [.referenced, .referencedLink], entry: s, linkTo: leader.path)
                }
                guard referenceQuickCheck(s, dir, st) else { continue }
                flags = referenceFlags(s, st).union(.referenced)
                if attrFlags(s, st).isEmpty { break }
            }
        }
        if let d = dest {
            flags.insert(.replace)
            if d.kind == .directory { flags.insert(.value) }
            // rsync itemizes the link against the file it replaces.
            if d.kind == s.kind {
                if d.stat.size != s.size { flags.insert(.size) }
                flags.formUnion(attrFlags(s, d.stat))
                if !options.times { flags.insert(.timeNow) } // rsync's T: a link made, times not kept
            }
        }
        return Plan(action: .hardlink, flags: flags, entry: s, linkTo: leader.path)
    }

    /// rsync's cmp_time(): -1, 0 or 1 as the source's mtime is older, equal or newer than the
    /// destination's. Whole seconds by default (rsync's --modify-window=0), within the window
    /// when it is positive, and with nanoseconds when it is negative. Without -t rsync sends no
    /// nanoseconds, so the source's count as 0.
    func compareTime(_ s: Entry, _ d: FileStat) -> Int {
        let w = options.modifyWindow
        if s.mtimeSec != d.mtimeSec {
            if w > 0 && abs(s.mtimeSec - d.mtimeSec) <= w { return 0 }
            return s.mtimeSec < d.mtimeSec ? -1 : 1
        }
        guard w < 0 else { return 0 }
        let sn = options.times ? s.mtimeNsec : 0
        return sn == d.mtimeNsec ? 0 : (sn < d.mtimeNsec ? -1 : 1)
    }

    /// rsync's same_time().
    func sameTime(_ s: Entry, _ d: FileStat) -> Bool { compareTime(s, d) == 0 }

    /// -X/-A: which of the destination's selected extended attributes differ from the source's.
    func xattrFlags(_ s: Entry, _ d: WalkItem) -> ItemFlags {
        guard let want = s.xattrs, let opener = basisOpener else { return [] }
        let have: [Xattr]
        do {
            let dir = try opener.parentFd(d.path)
            have = try XattrIO.read(.at(dir, d.path == [0x2E] ? [0x2E] : PathOps.base(d.path)), options.xattrSelection)
        } catch {
            report(SyError.sys("cannot read extended attributes of", d.path, error.code, status: .partial))
            return []
        }
        if have == want { return [] }
        var f: ItemFlags = []
        if have.filter({ XattrSelection.isACL($0.name) }) != want.filter({ XattrSelection.isACL($0.name) }) { f.insert(.acl) }
        if have.filter({ !XattrSelection.isACL($0.name) }) != want.filter({ !XattrSelection.isACL($0.name) }) { f.insert(.xattrs) }
        return f
    }

    func attrFlags(_ s: Entry, _ d: FileStat) -> ItemFlags {
        var f: ItemFlags = []
        // (-J spares no real symlink --fake-super makes a file of: rsync gives the file a time,
        // and lists it, the same or not.)
        if options.times && !(options.omitDirTimes && s.kind == .directory) && !(options.omitLinkTimes && s.kind == .symlink && !d.fakeUnsettled) {
            if !sameTime(s, d) || options.omitLinkTimes && s.kind == .symlink { f.insert(.time) }
        }
        if options.perms && s.kind != .symlink && s.perms != d.perms { f.insert(.perms) }
        if !options.perms && options.executability && s.kind == .file && (s.perms & 0o111 == 0) != (d.perms & 0o111 == 0) {
            f.insert(.perms)
        }
        if options.owner && options.canChown && s.uid != d.uid { f.insert(.owner) }
        if options.group && s.gid != d.gid && options.canSetGroup(s.gid) { f.insert(.group) }
        // rsync's same_time() on whole seconds; it looks at files and the like, not directories or symlinks.
        if options.atimes, s.kind != .directory && s.kind != .symlink, let a = s.atimeSec, a != d.atimeSec,
           !(options.modifyWindow > 0 && abs(a - d.atimeSec) <= options.modifyWindow) {
            f.insert(.atime)
        }
        return f
    }

    /// What rsync itemizes for `s` over `d` beside `attrs`: the size (of a regular file) where
    /// it differs, and `T` where times are not kept.
    func changeFlags(_ s: Entry, _ d: FileStat, attrs: ItemFlags) -> ItemFlags {
        var f = attrs
        if s.kind == .file && s.size != d.size { f.insert(.size) }
        if !options.times { f.insert(.timeNow) }
        return f
    }

    /// rsync's quick check (or `-c`, `-I`, `--size-only`, `-u`) for a regular file present on both sides.
    func fileDecision(_ s: Entry, _ d: WalkItem, _ attrs: ItemFlags) throws(SyError) -> Plan? {
        let sameTime = self.sameTime(s, d.stat)
        // rsync: skip when `file->modtime - st_mtime < modify_window`, whole seconds.
        if options.update && s.mtimeSec - d.stat.mtimeSec < options.modifyWindow {
            skippedNotSame = true
            try noteSkip("\(s.path.displayName) is newer")
            return nil
        }
        var flags = changeFlags(s, d.stat, attrs: attrs)
        var same: Bool
        if options.checksum {
            // -c decides, even with -I, as in rsync.
            same = s.size == d.stat.size
            if !same { flags.insert(.checksum) } // rsync reports c whenever -c finds the content differs
            if same {
                let sum = try destChecksum(d)
                if let a = s.checksum, let b = sum, a != b { same = false; flags.insert(.checksum) }
                if s.checksum == nil || sum == nil { same = false }
            }
        } else if options.sizeOnly {
            // rsync's quick_check_ok(): --size-only decides before -I is looked at.
            same = s.size == d.stat.size
        } else if options.ignoreTimes {
            same = false
        } else {
            same = s.size == d.stat.size && sameTime
        }
        if same {
            return attrs.isEmpty ? nil : Plan(action: .attrs, flags: attrs, entry: s)
        }
        if (options.append || options.appendVerify) && !redoesWhole(s, d.stat) {
            // rsync leaves a destination as long or longer alone, attributes included.
            if d.stat.size >= s.size { skippedNotSame = true; return nil }
            var p = Plan(action: .update, flags: flags.union(options.appendVerify ? [.append, .appendVerify] : [.append]), entry: s)
            p.appendFrom = d.stat.size
            return p
        }
        var plan = Plan(action: .update, flags: flags, entry: s)
        if !options.wholeFile && d.stat.size > 0 && !options.dryRun {
            plan.signature = signatureInfo(basisSize: d.stat.size, sourceSize: s.size)
        }
        return plan
    }

    func destChecksum(_ d: WalkItem) throws(SyError) -> Hash128? {
        do {
            let fd = try basisOpener!.openRelative(d.path)
            defer { Sys.close(fd) }
            return try Scanner.hashFD(fd, hasher)
        } catch {
            report(SyError.sys("cannot read", d.path, error.code, status: .partial))
            return nil
        }
    }

    lazy var hasher = FileHasher()
}

extension Summer {
    /// What a directory made now at `path` will be: mode 0777 less the umask, our owner, now;
    /// the group and set-group-ID bit of the nearest existing directory above if it has that bit.
    static func newDirectoryStat(below path: PathBytes) -> FileStat {
        let mask = umask(0)
        umask(mask)
        var perms = 0o777 & ~UInt32(mask)
        var gid = getegid()
        var p = path
        while true {
            while p.count > 1 && p.last == 0x2F { p.removeLast() }
            p = PathOps.parent(p)
            if p.isEmpty { p = [0x2F] } // the parent of /name
            if let st = try? Sys.fstatat(Sys.atFDCWD, p), st.kind == .directory {
                if st.perms & 0o2000 != 0 { gid = st.gid; perms |= 0o2000 }
                break
            }
            if p == [0x2E] || p == [0x2F] { break }
        }
        let now = wallNanos()
        return FileStat(kind: .directory, perms: perms, uid: geteuid(), gid: gid, size: 4096, mtimeSec: Int64(now / 1_000_000_000),
                        mtimeNsec: Int64(now % 1_000_000_000), dev: 0, ino: 0, nlink: 2, rdev: 0)
    }
}
