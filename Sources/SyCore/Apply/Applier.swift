import Glibc
import CSyLinux

/// The receiver: applies a delta stream to the destination tree.
///
/// Every path is opened relative to a directory fd with `O_NOFOLLOW`; new content goes to a
/// temporary file renamed over the final name only after its size and hash check out; a
/// directory's attributes are set after its contents.
public final class Applier {
    struct PendingDir {
        var path: PathBytes
        var plan: Plan
        var isNew: Bool
        var touched = false
        /// -K: the directory was reached through the destination's symlink, which lives in this
        /// directory (a dup'ed fd): as rsync, its time and owner go to the link.
        var linkParent: Int32 = -1
    }

    let options: ApplyOptions
    let input: StreamReader
    let reporter: Reporter
    private(set) var destination: PathBytes
    /// Whether the first plan was looked at for `--dest-may-be-file`.
    var targetChecked = false
    var rootFd: Int32 = -1
    var rootMissing = false
    var dirs: DirStack?
    /// -K: the symlinks this run made (never followed as directories).
    var madeLinks: Set<PathBytes> = []
    var linkDirs: DirStack?
    /// Directories of out-of-turn plans, opened beside the walk's own (see `handleOutOfTurn`).
    var outOfTurnDirs: DirStack?
    var pending: [PendingDir] = []
    var rootPending: PendingDir?
    public internal(set) var stats = ApplyStats()
    var status = ExitStatus.ok
    /// Files whose content failed verification; a second, whole-file pass redoes them.
    public internal(set) var redo: [PathBytes] = []
    var namer = TempNamer()
    let umask: mode_t
    /// The effective user id (new files' owner).
    let euid = UInt32(geteuid())
    /// (Under --fake-super any owner may be recorded.)
    var canChown: Bool { euid == 0 && !options.noSuper || FakeStat.enabled }
    /// The groups a file may be given without root.
    let ownGroups = Sys.processGroups()
    /// New files are written unnamed (O_TMPFILE) and linked in; off where the filesystem cannot.
    var unnamedFiles = true
    /// Closes replaced files' descriptors off the main thread.
    let closer = Closer()
    let unnamedSupply = UnnamedSupply()
    var sources: SourceSet?
    let receiver: FileReceiver
    var referenceStacks: [Int: DirStack] = [:]
    /// Entries --max-delete kept.
    var deletionsSkipped = 0
    var xattrsUnsupportedNoted = false
    /// Notes came from the sender (a skipped directory): the transfer did have sources.
    var sawNotes = false
    /// `--delay-updates`: files waiting in their directory's holding dir, and the times of
    /// those directories (set again after the files move in).
    var delayed: [(dir: PathBytes, name: PathBytes)] = []
    var delayedDirs: Set<PathBytes> = []
    /// Paths of the files held back by --delay-updates (a hard link to one is made to the held file).
    var delayedPaths: Set<PathBytes> = []
    /// Where --delay-updates holds a directory's files until the end.
    var holdingDir: PathBytes { options.partialDir ?? Array(".~tmp~".utf8) }
    /// `--delete-after`: the deletions, in stream order.
    var deferredDeletes: [Plan] = []
    /// A dry run's directory that keeps something, in the way of the next plan's entry.
    var dryRunBlocked: PathBytes?
    /// Dry run: the path a deletion just cleared for what replaces it.
    var dryRunCleared: PathBytes?
    /// The receiver's rules where it deletes (per-directory merge files included).
    lazy var deletionRules = DeletionRules(options.filters)
    /// Whether the stream's first plan was for `.`.
    var firstPlanPath: PathBytes?
    /// Directories that change again after they were finished (held updates move in, held
    /// deletions happen), and the times they were given then, given again at the very end.
    var lateDirs: Set<PathBytes> = []
    var lateDirTimes: [PathBytes: (Int64, Int64)] = [:]
    /// The last directory a deletion kept (and said so), for `clearWay` not to say it again.
    var lastKeptDir: PathBytes?
    /// The last directory a file was created in, and the group such files get there.
    var createdGroup: (dir: PathBytes, gid: UInt32)?
    /// `-T`: the directory temp files are made in (-1: beside their final names).
    var tempDirFd: Int32 = -1
    /// The -T directory is reached through another user's symlink: no temp file goes there.
    var tempDirRefused = false
    /// The --backup-dir is reached through another user's symlink (looked at on first use).
    lazy var backupDirRefused: Bool = options.backup?.dir.map { !options.insecureLinks && TrustedPath.untrustedLink(in: $0) != nil } ?? false
    /// A backup was refused there: the run ends after the current entry (rsync's exit 11).
    var backupAborts = false
    lazy var limiter: RateLimiter? = options.bwlimit.flatMap { $0 > 0 ? RateLimiter(bytesPerSecond: $0) : nil }

    public init(destination: PathBytes, options: ApplyOptions, input: StreamReader, reporter: Reporter) {
        self.destination = destination; self.options = options; self.input = input; self.reporter = reporter
        // With reference dirs rsync lists a sent file's links in their own order.
        reporter.links.lastFirst = options.linkDests.isEmpty
        if let top = options.topName, let shown = options.shownName { reporter.shownName = (top, shown) }
        let m = Glibc.umask(0o022)
        _ = Glibc.umask(m)
        umask = m
        receiver = FileReceiver()
        if let args = options.copyFrom {
            // A source that cannot be opened is sy-scan's to report; a file copied from it fails when opened.
            sources = SourceSet(args: args, topName: options.topName, relative: options.relative, ignoreMissing: true) { _ in }
            sources?.followLinks = options.followLinks
        }
    }

    deinit {
        // Directories reopened after the end (a late backup) are only closed here: their
        // finishing hook refers to this object, which is going away.
        dirs?.onPop = nil
        dirs?.closeAll()
        linkDirs?.closeAll()
        if rootFd >= 0 { Sys.close(rootFd) }
        if tempDirFd >= 0 { Sys.close(tempDirFd) }
    }

    /// Whether every per-file failure so far was a verification mismatch.
    public internal(set) var onlyRedoFailures = true

    /// Whether sy will run a second pass for the files that failed verification (`--redo-exit`).
    public var willBeRedone: Bool { options.redoFollows && !redo.isEmpty && status == .partial && onlyRedoFailures }

    func report(_ e: SyError, redo: Bool = false, prefixed: Bool = true) {
        if !redo { onlyRedoFailures = false }
        if !e.message.isEmpty { warn(e.message, prefixed: prefixed) }
        reporter.error(e)
        status = status.merged(with: e.status)
    }

    /// Applies the whole stream; returns 0, 23 or 24 (per-file problems), or throws on a fatal one.
    public func run() throws(SyError) -> ExitStatus {
        let start = wallNanos()
        if !options.dryRun { sy_install_temp_cleanup() }
        try openTempDir()
        let began = options.output.startNanos > 0 ? options.output.startNanos : start
        while let rec = try input.nextRecord() {
            // rsync's "File list generation time": until the first plan, here.
            if stats.listNanos == 0 { stats.listNanos = max(1, wallNanos() &- began) }
            switch rec {
            case .plan(let p):
                if firstPlanPath == nil { firstPlanPath = p.entry.path }
                try handle(p)
                if backupAborts { throw SyError("", status: .fileIO) }
            case .filterFile(let dir, let name, let content):
                deletionRules.learn(dir: dir, name: name, content: content)
            case .summary(let items):
                stats.absorb(items)
                // --delete-after: the sender's IO error (rsync's io_error) cancels the deletion pass.
                if !options.keepDeletesOnIOError && items.contains(where: { $0.key == "io_error" && $0.value != 0 }) { deferredDeletes = [] }
            case .message(let level, let text):
                sawNotes = true
                // Level 0 is rsync's informational output (stdout), higher levels are warnings.
                // (An empty note only says the sources gave nothing: see the destination below.)
                // The generator's note comes after the receiver made the destination, as in rsync.
                if level == 0 && text == Summer.deletionsSkippedNote { _ = try? ensureRoot() }
                if level == Summer.senderNoteLevel {
                    // The sender's notes come before what the receiver's generator says first
                    // (-vv's delta note): rsync's generator starts once the list has come.
                    if !text.isEmpty { reporter.aheadOfFirstLine { reporter.info(text) } }
                } else if level == 0 { if !text.isEmpty { reporter.info(text) } } else { warn(text) }
            default:
                throw SyError.stream("\(rec.type.name) record outside a file", offset: input.payloadOffset)
            }
        }
        // rsync makes a destination given as `dir/` even when the sources send nothing into it
        // (skipped directories); without the slash, or with no source at all, nothing is made.
        // When they send entries that are all skipped (--existing, size limits), its receiver
        // has made the destination first all the same, unless one file is named after it.
        // (A pull's receiver is rsync's client, which does nothing at all for an empty list.)
        let madeByReceiver = sawNotes && destination.last == 0x2F && options.output.role != .pull
            || stats.files > 0 && !options.destMayBeFile
        if rootFd < 0 && !rootMissing && madeByReceiver { _ = try ensureRoot() }
        reporter.releaseLinks()
        finishAll()
        if !delayed.isEmpty { finishDelayed() }
        if !deferredDeletes.isEmpty { finishDeletes() }
        if !lateDirTimes.isEmpty && !options.dryRun { retouchLateDirs() }
        if deletionsSkipped > 0 {
            warn("Deletions stopped due to --max-delete limit (\(deletionsSkipped) skipped)", prefixed: false)
            status = status.merged(with: .deleteLimit)
        }
        unnamedSupply.finish()
        closer.finish()
        stats.deltaBytes = input.wireBytes
        // A second, whole-file pass follows (sy redoes what failed verification): it gives
        // the closing figures, once, as rsync's single run does.
        if willBeRedone { return status }
        reporter.finish(stats, elapsed: Double(wallNanos() &- began) / 1e9)
        return status
    }

    /// Closes every directory (setting its attributes) and the root.
    func finishAll() {
        dirs?.closeAll()
        if let r = rootPending, rootFd >= 0 { finalizeDir(r, fd: rootFd) }
        rootPending = nil
    }

    // MARK: Directories

    /// Opens (creating if needed) the destination root.
    func ensureRoot() throws(SyError) -> Int32? {
        if rootFd >= 0 { return rootFd }
        if rootMissing && options.dryRun { return nil }
        do {
            rootFd = try Sys.openat(Sys.atFDCWD, destination, O_RDONLY | O_DIRECTORY)
        } catch {
            guard error.code == ENOENT else { throw SyError.sys("cannot open destination", destination, error.code) }
            rootMissing = true
            if options.dryRun {
                // rsync's dry run says what --mkpath would make, and then that it makes the
                // destination (a tree's, not one file's directory).
                if options.mkpath { announceMadePath(missingComponents()) }
                if !(options.mkpath && (options.destMayBeFile || options.topName != nil)) { announceCreatedDestination() }
                return nil
            }
            try makeDestination()
            // (rsync makes it, through the link, and refuses to enter it then.)
            if !options.insecureLinks, let refused = TrustedPath.refusal(entering: destination, step: 2) { throw refused }
            do { rootFd = try Sys.openat(Sys.atFDCWD, destination, O_RDONLY | O_DIRECTORY) } catch {
                throw SyError.sys("cannot open destination", destination, error.code)
            }
        }
        // (Entered through a symlink of another user: refused, as rsync 3.5 does.)
        if !rootMissing, !options.insecureLinks, let refused = TrustedPath.refusal(entering: destination, step: 1) {
            Sys.close(rootFd); rootFd = -1
            throw refused
        }
        try openTempDir()
        closer.defers = Applier.hasRoomToSpare(rootFd)
        let d = destinationStack()
        d.onPop = { [unowned self] path, fd in
            if let last = self.pending.last, last.path == path {
                self.pending.removeLast()
                self.finalizeDir(last, fd: fd)
            }
        }
        dirs = d
        linkDirs = destinationStack()
        outOfTurnDirs = destinationStack()
        return rootFd
    }

    /// Whether the destination's filesystem has room enough (1 GiB and a tenth of it free) that
    /// the blocks of replaced and deleted files may be freed a little later, on the closer thread.
    static func hasRoomToSpare(_ fd: Int32) -> Bool {
        var fs = statvfs()
        guard fstatvfs(fd, &fs) == 0 else { return false }
        let unit = UInt64(fs.f_frsize)
        let free = UInt64(fs.f_bavail) * unit, total = UInt64(fs.f_blocks) * unit
        return free >= 1 << 30 && free >= total / 10
    }

    /// `-T`: opens the temp directory, relative to the destination as rsync's (its receiver
    /// works in the destination); checked before anything else, once the destination is there.
    func openTempDir() throws(SyError) {
        guard let td = options.tempDir, !options.dryRun, tempDirFd < 0 else { return }
        let base: Int32
        if td.first == 0x2F { base = Sys.atFDCWD } else if rootFd >= 0 { base = rootFd } else {
            guard let fd = try? Sys.openat(Sys.atFDCWD, destination, O_RDONLY | O_DIRECTORY) else { return }
            base = fd
        }
        defer { if base != rootFd && base != Sys.atFDCWD { Sys.close(base) } }
        do { tempDirFd = try Sys.openat(base, td, O_RDONLY | O_DIRECTORY) } catch {
            throw SyError("The temp-dir does not exist: \(td.displayName)", status: .syntax)
        }
        // No temp file is made there when the way passes another user's symlink: each file
        // fails, as rsync 3.5's mkstemp does. (rsync 3.5 also fails every file for a `..` in
        // DIR, with EINVAL; sy allows that, see sy(1).)
        if !options.insecureLinks, TrustedPath.untrustedLink(in: td.first == 0x2F ? td : PathOps.join(destination, td)) != nil {
            Sys.close(tempDirFd)
            tempDirFd = -1
            tempDirRefused = true
        }
    }

    func makeDestination() throws(SyError) {
        var prefixes: [PathBytes] = [destination]
        if options.mkpath {
            var p = destination
            while let i = p.lastIndex(of: 0x2F), i > 0 {
                p = Array(p[..<i])
                prefixes.insert(p, at: 0)
            }
        }
        var made = 0
        for p in prefixes {
            do { try Sys.mkdirat(Sys.atFDCWD, p, 0o777) } catch {
                if error.code == EEXIST { continue }
                throw SyError.sys("mkdir failed for", p, error.code, status: .fileIO)
            }
            made += 1
            if p == destination && !options.mkpath { announceCreatedDestination() }
        }
        if options.mkpath { announceMadePath(made) }
    }

    /// How many directories of the destination's path are missing.
    func missingComponents() -> Int {
        var p = destination, n = 0
        while true {
            while p.count > 1 && p.last == 0x2F { p.removeLast() }
            if p.isEmpty || (try? Sys.fstatat(Sys.atFDCWD, p)) != nil { return n }
            n += 1
            guard let i = p.lastIndex(of: 0x2F), i > 0 else { return n }
            p = Array(p[..<i])
        }
    }

    /// rsync's note for --mkpath: "created 2 directories for a/b" (with -v or -i).
    func announceMadePath(_ made: Int) {
        guard made > 0, options.output.names || options.output.itemize || options.output.outFormat.map(OutFormat.itemizes) == true,
              !options.output.quiet, !options.output.json else { return }
        announce("created \(made) director\(made == 1 ? "y" : "ies") for ")
    }

    /// `text` and the destination's name (no trailing slash), on stdout and in the log file;
    /// before the first line (rsync's receiver makes the destination before its generator
    /// says anything).
    func announce(_ text: String) {
        var shown = destination
        while shown.count > 1 && shown.last == 0x2F { shown.removeLast() }
        reporter.aheadOfFirstLine {
            reporter.message(text + NameEscape.terminal.apply(shown), logged: text + NameEscape.logFile.apply(shown))
        }
    }

    /// rsync's note when it creates the destination (also in a dry run). (A remote receiver
    /// is not told of --progress: there it takes -v, -i or --out-format.)
    func announceCreatedDestination() {
        let names = options.output.role == .push ? options.output.namesWithoutProgress : options.output.names || options.output.progress
        // (--out-format says it only where it itemizes, with %i.)
        if (names || options.output.itemize || options.output.outFormat.map(OutFormat.itemizes) == true)
            && !options.output.quiet && !options.output.json {
            announce("created directory ")
        }
    }

    /// The fd of the parent directory of `path`, or nil (reported) if it cannot be opened.
    func parentFd(_ path: PathBytes) throws(SyError) -> Int32? {
        guard try ensureRoot() != nil, let dirs else { return nil }
        let parent = PathOps.parent(path)
        do { return try directoryFd(parent, in: dirs) } catch {
            report(SyError.sys("cannot open the directory of", path, error.code, status: .partial))
            return nil
        }
    }

    /// The fd of directory `dir` from `stack`; with -R --no-implied-dirs a missing one is made,
    /// with the directories above it.
    func directoryFd(_ dir: PathBytes, in stack: DirStack) throws(Errno) -> Int32 {
        do { return try stack.fd(for: dir) } catch {
            if error.code == ENOENT && options.createParents && !options.dryRun, let fd = makeParents(dir, stack) { return fd }
            throw error
        }
    }

    /// `--no-implied-dirs`: creates the missing directories above an entry (default mode).
    func makeParents(_ dir: PathBytes, _ dirs: DirStack) -> Int32? {
        var end = 0
        while end <= dir.count {
            if end == dir.count || dir[end] == 0x2F {
                let prefix = Array(dir[..<end])
                if (try? dirs.fd(for: prefix)) == nil {
                    guard let up = try? dirs.fd(for: PathOps.parent(prefix)) else { return nil }
                    do { try Sys.mkdirat(up, PathOps.base(prefix), 0o777) } catch {
                        if error.code != EEXIST { return nil }
                    }
                }
            }
            end += 1
        }
        return try? dirs.fd(for: dir)
    }

    func touch(_ dir: PathBytes) {
        if dir == [0x2E] { rootPending?.touched = true; return }
        if let i = pending.lastIndex(where: { $0.path == dir }) { pending[i].touched = true }
    }

    /// A directory's mode and owner as it is reached, before what goes into it (as rsync's
    /// generator sets them): a set-group-ID bit, or its removal, and the new group then apply to
    /// the entries made inside. Without root, u+rwx stay on meanwhile; `finalizeDir` sets all
    /// again, times included, once the contents are done.
    func earlyDirAttributes(_ d: PendingDir, fd: Int32) {
        let e = d.plan.entry
        if d.isNew || d.plan.flags.contains(.perms), let mode = options.perms ? e.perms : (d.isNew ? newDirMode(e, fd: fd) : nil) {
            try? chmodEntry(.fd(fd), euid == 0 ? mode : mode | 0o700, e)
        }
        // (Quietly: finalizeDir reports a failure.)
        if d.isNew || d.plan.flags.contains(.owner) || d.plan.flags.contains(.group), !FakeStat.enabled, let (uid, gid) = ownerIds(e) {
            try? Sys.fchown(fd, uid, gid)
        }
    }

    /// A new directory's mode without -p, as rsync's dest_mode: the source's permission bits
    /// less the umask, no set-user-ID, set-group-ID or sticky bit of its own; a set-group-ID
    /// bit it took from its parent when made stays.
    func newDirMode(_ e: Entry, fd: Int32) -> UInt32 {
        let inherited = ((try? Sys.fstat(fd))?.perms ?? 0) & 0o2000
        return defaultPerms(e) | inherited
    }

    /// rsync's dest_mode for a new entry without -p: the source's permission bits less the
    /// umask, and none of its set-user-ID, set-group-ID or sticky bits.
    func defaultPerms(_ e: Entry) -> UInt32 { e.perms & 0o777 & ~UInt32(umask) }

    func finalizeDir(_ d: PendingDir, fd: Int32) {
        let e = d.plan.entry
        if d.linkParent >= 0 {
            finalizeLinkedDir(d, fd: fd)
            return
        }
        if d.isNew || d.plan.flags.contains(.perms) {
            let mode = options.perms ? e.perms : (d.isNew ? newDirMode(e, fd: fd) : nil)
            if let mode { do { try chmodEntry(.fd(fd), mode, e) } catch { report(SyError.sys("chmod failed for", e.path, error.code, status: .partial)) } }
        }
        if d.isNew || d.plan.flags.contains(.owner) || d.plan.flags.contains(.group) { chown(fd: fd, e) }
        settleFake(e, .fd(fd))
        if d.isNew || !d.plan.flags.isDisjoint(with: [.xattrs, .acl]) { applyXattrs(e, .fd(fd)) }
        if options.setsDirTimes {
            if d.isNew || d.touched || d.plan.flags.contains(.time) {
                do { try Sys.futimens(fd, e.mtimeSec, e.mtimeNsec) } catch { report(SyError.sys("failed to set times on", e.path, error.code, status: .partial)) }
            }
            // Changed again later (deletions held for the end, delayed updates): its time is set
            // once more then, even where nothing else in it changed now.
            if lateDirs.contains(e.path) { lateDirTimes[e.path] = (e.mtimeSec, e.mtimeNsec) }
        }
    }

    /// -K: a directory reached through a symlink keeps its mode: rsync 3.5's receiver will not
    /// follow the link to change it (ELOOP), says so and exits 23; the time and owner go to
    /// the link, as rsync sets them without following.
    func finalizeLinkedDir(_ d: PendingDir, fd: Int32) {
        defer { Sys.close(d.linkParent) }
        let e = d.plan.entry, name = PathOps.base(e.path)
        if d.plan.flags.contains(.perms) && options.perms {
            report(SyError.sys("failed to set permissions on", e.path, ELOOP, status: .partial))
        }
        if d.plan.flags.contains(.owner) || d.plan.flags.contains(.group) { lchown(dir: d.linkParent, name: name, e) }
        // rsync looks at the link's own time when it touches directories up at the end.
        if options.setsDirTimes { try? Sys.lutimensat(d.linkParent, name, e.mtimeSec, e.mtimeNsec) }
    }

    /// Gives the directories changed after they were finished their times again (rsync
    /// touches them up after its deletion pass and its delayed updates).
    func retouchLateDirs() {
        guard rootFd >= 0 else { return }
        let stack = destinationStack()
        defer { stack.closeAll() }
        for (path, (sec, nsec)) in lateDirTimes {
            guard let fd = try? stack.fd(for: path) else { continue }
            try? Sys.futimens(fd, sec, nsec)
        }
    }

    /// `--delete-after`: carries out the deletions held back.
    func finishDeletes() {
        // (The root is not open yet where the deletions are all the stream had for it.)
        if rootFd < 0 { _ = try? ensureRoot() }
        guard rootFd >= 0 else {
            // A dry run into a destination that does not exist: only the report.
            for p in deferredDeletes { try? dryRun(p) }
            return
        }
        let stack = destinationStack()
        defer { stack.closeAll() }
        for p in deferredDeletes {
            guard let dir = try? stack.fd(for: PathOps.parent(p.entry.path)) else { continue }
            // (Every directory is finished by now: removeEntry keeps the time each one has.)
            removeEntry(dir: dir, path: p.entry.path, atTheEnd: true)
        }
    }

    /// `--delay-updates`: puts a finished temp file into the holding directory for now.
    func hold(tdir: Int32, tmp: PathBytes, dir: Int32, name: PathBytes, path: PathBytes) throws(Errno) {
        let hd = holdingDir
        do { try Sys.mkdirat(dir, hd, 0o700) } catch { if error.code != EEXIST { throw error } }
        let hfd = try Sys.openDir(dir, hd)
        defer { Sys.close(hfd) }
        try Sys.renameat(tdir, tmp, hfd, name)
        delayed.append((PathOps.parent(path), name))
        delayedPaths.insert(path)
        delayedDirs.insert(PathOps.parent(path))
        lateDirs.insert(PathOps.parent(path))
    }

    /// `--delay-updates`: moves every held file into place and removes the holding directories.
    func finishDelayed() {
        guard rootFd >= 0 else { return }
        let hd = holdingDir
        let stack = destinationStack()
        defer { stack.closeAll() }
        for (dirPath, name) in delayed {
            let path = PathOps.join(dirPath, name)
            do throws(Errno) {
                let dfd = try stack.fd(for: dirPath)
                let hfd = try Sys.openDir(dfd, hd)
                defer { Sys.close(hfd) }
                guard backup(dir: dfd, name: name, path: path, move: false) else { continue }
                try Sys.renameat(hfd, name, dfd, name)
            } catch {
                report(SyError.sys("rename failed for", path, error.code, status: .partial))
            }
        }
        for dirPath in delayedDirs {
            guard let dfd = try? stack.fd(for: dirPath) else { continue }
            try? Sys.unlinkat(dfd, hd, isDir: true)
        }
    }

    /// -X/-A: gives the entry exactly the source's selected extended attributes. A filesystem
    /// without them is noted once, not failed on.
    func applyXattrs(_ e: Entry, _ target: XattrIO.Target) {
        guard !options.xattrSelection.isEmpty, !options.dryRun, let xs = e.xattrs else { return }
        do { try XattrIO.write(xs, to: target, options.xattrSelection) } catch {
            if error.code == ENOTSUP || error.code == EOPNOTSUPP {
                if !xattrsUnsupportedNoted {
                    xattrsUnsupportedNoted = true
                    warn("extended attributes are not supported on the destination filesystem: not copied")
                }
                return
            }
            report(SyError.sys("cannot set extended attributes of", e.path, error.code, status: .partial))
        }
    }

    /// The owner and group to give `e` (UInt32.max: left as is), nil if neither is preserved.
    func ownerIds(_ e: Entry) -> (UInt32, UInt32)? {
        let uid: UInt32 = options.owner && canChown ? e.uid : UInt32.max
        let gid: UInt32 = options.group && (canChown || ownGroups.contains(e.gid)) ? e.gid : UInt32.max
        return uid != UInt32.max || gid != UInt32.max ? (uid, gid) : nil
    }

    func chown(fd: Int32, _ e: Entry, has owner: (uid: UInt32, gid: UInt32)? = nil) {
        guard !FakeStat.enabled, let (uid, gid) = ownerIds(e) else { return }
        if let o = owner, uid == UInt32.max || uid == o.uid, gid == UInt32.max || gid == o.gid { return }
        do { try Sys.fchown(fd, uid, gid) } catch {
            if !(error.code == EPERM && !canChown) { report(SyError.sys("chown failed for", e.path, error.code, status: .partial)) }
        }
    }

    func lchown(dir: Int32, name: PathBytes, _ e: Entry) {
        guard !FakeStat.enabled, let (uid, gid) = ownerIds(e) else { return }
        do { try Sys.lchownat(dir, name, uid, gid) } catch {
            if !(error.code == EPERM && !canChown) { report(SyError.sys("chown failed for", e.path, error.code, status: .partial)) }
        }
    }

    // MARK: Plans

    func handle(_ p: Plan) throws(SyError) {
        let e = p.entry
        if options.destMayBeFile && !targetChecked {
            targetChecked = true
            // sy-sum named the one file after the destination: write it as that path.
            if let t = PathOps.fileTarget(destination, for: e, topNames: [e.path]), t.name == e.path {
                destination = t.dir
                if let shown = options.shownName { reporter.shownName = (t.name, shown) }
            }
        }
        if p.action == .delete {
            // (--read-batch without --delete or --force: see `ApplyOptions.skipDeletions`.)
            let makesWay = p.flags.contains(.replace) || p.flags.contains(.linkDest)
            if !makesWay && options.skipDeletions { return }
            if makesWay && options.skipDirReplacements && e.kind == .directory {
                // Only an empty one goes, as rsync's receiver removes one in the way without --force.
                guard let dir = try parentFd(e.path), !holdsSomething(dir, PathOps.base(e.path)) else { return }
            }
        }
        if p.action == .delete && options.deleteAfter && !p.flags.contains(.replace) {
            deferredDeletes.append(p)
            lateDirs.insert(PathOps.parent(e.path))
            return
        }
        if options.dryRun {
            try dryRun(p)
            return
        }
        if p.flags.contains(.outOfTurn) {
            try handleOutOfTurn(p)
            return
        }
        if e.path == [0x2E] {
            guard e.kind == .directory else { throw SyError.stream("the transfer root must be a directory", offset: input.payloadOffset) }
            guard try ensureRoot() != nil else { return }
            dirs?.unwind(to: [0x2E])
            rootPending = PendingDir(path: e.path, plan: p, isNew: rootMissing)
            if let r = rootPending, rootFd >= 0 { earlyDirAttributes(r, fd: rootFd) }
            if rootMissing { stats.created.add(.directory) }
            if p.action != .keep { reporter.change(p) } else { reporter.upToDate(p) }
            return
        }
        if p.action == .delete {
            guard let dir = try parentFd(e.path) else { return }
            removeEntry(dir: dir, path: e.path, quiet: p.flags.contains(.replace), backUp: !p.flags.contains(.linkDest))
            return
        }
        let carries = p.action.carriesData && e.kind == .file
        guard let dir = try parentFd(e.path) else {
            if carries { try receiver.discard(input) }
            // rsync's generator lists a new directory before it tries to make it.
            if e.kind == .directory && p.action == .create { reporter.change(p) }
            return
        }
        let name = PathOps.base(e.path)
        switch p.action {
        case .create, .update:
            if carries {
                try receiveFile(p, dir: dir, name: name)
            } else {
                try createNonFile(p, dir: dir, name: name)
            }
        case .hardlink:
            try hardlink(p, dir: dir, name: name)
        case .attrs, .keep, .unchanged:
            if e.kind == .directory {
                openDir(p, dir: dir, name: name, isNew: false)
            } else if p.action == .attrs {
                setAttrs(p, dir: dir, name: name)
            } else if p.action == .unchanged {
                if !p.flags.contains(.referenced) { reporter.done(e) }
                reporter.upToDate(p)
            }
        case .delete:
            break
        }
    }

    /// A hard-link group member placed after a later member (rsync's order): its directory is
    /// opened beside the walk's, which stays where it is; one already finished keeps its time
    /// (set again with the other late directories, see `retouchLateDirs`).
    func handleOutOfTurn(_ p: Plan) throws(SyError) {
        let e = p.entry
        let carries = p.action == .create && e.kind == .file
        guard e.kind == .file, p.action == .hardlink || carries, e.path != [0x2E] else {
            throw SyError.stream("an out-of-turn plan must place a regular file", offset: input.payloadOffset)
        }
        let parent = PathOps.parent(e.path)
        guard try ensureRoot() != nil, let stack = outOfTurnDirs else {
            if carries { try receiver.discard(input) }
            return
        }
        let dir: Int32
        do { dir = try directoryFd(parent, in: stack) } catch {
            report(SyError.sys("cannot open directory", parent, error.code, status: .partial))
            if carries { try receiver.discard(input) }
            return
        }
        // A directory already finished gets the time it has now again at the very end.
        let finished = parent == [0x2E] ? rootPending == nil : !pending.contains { $0.path == parent }
        if finished && options.setsDirTimes && lateDirTimes[parent] == nil, let st = try? Sys.fstat(dir) {
            lateDirTimes[parent] = (st.mtimeSec, st.mtimeNsec)
        }
        if carries { try receiveFile(p, dir: dir, name: PathOps.base(e.path)) } else { try hardlink(p, dir: dir, name: PathOps.base(e.path)) }
    }

    /// `backUp`: with --backup the removed files are kept (not for a --compare-dest copy's
    /// stand-in: rsync unlinks the destination's file then).
    /// `atTheEnd`: a deletion held back for the end (--delete-after, --delete-delay).
    /// Returns whether it went (false: something in it was kept, or it failed).
    @discardableResult
    func removeEntry(dir: Int32, path: PathBytes, quiet: Bool = false, backUp: Bool = true, atTheEnd: Bool = false) -> Bool {
        var remover = Remover(dryRun: options.dryRun, onRemoved: { [unowned self] e in
            self.stats.deleted.add(e.kind)
            self.reporter.change(Plan(action: .delete, entry: e))
        }, onError: { [unowned self] err in self.report(err) })
        if options.backup != nil && backUp {
            remover.keepFile = { [unowned self] dir, name, path in self.backup(dir: dir, name: name, path: path, move: true) }
        }
        remover.onNote = { [unowned self] text in self.reporter.info(text) }
        remover.closer = closer
        remover.onKept = { [unowned self] p in self.lastKeptDir = p }
        let protects = options.protects
        // (--delete-delay's held deletions, and rooms made during the transfers with
        // --delete-before or --delete-after, see no merge file of the destination, as rsync's.)
        let unmerged = atTheEnd && options.deleteDelay || quiet && !atTheEnd && options.makesRoomUnmerged
        remover.rules = unmerged ? options.filters
            : deletionRules.rules(in: PathOps.parent(path), destination: destination, rootWalked: firstPlanPath == [0x2E])
        remover.protects = { p, isDir, rules in
            // Perishable rules do not keep anything inside a directory being deleted.
            rules.excludes(p, isDirectory: isDir, side: .receiver, deleting: p != path) || protects.excludes(p, isDirectory: isDir)
        }
        if let limit = options.maxDelete {
            // --max-delete: keep the rest, count it, exit 25 at the end.
            remover.atLimit = { [unowned self] in self.stats.deleted.total >= UInt64(limit) }
            remover.onSkipped = { [unowned self] in self.deletionsSkipped += 1 }
        }
        // A directory not yet reached (rsync deletes in a directory before it lists it: its
        // plan, if any, comes next) keeps its time: that time is final unless the plan says.
        let parent = PathOps.parent(path)
        let reached = parent == [0x2E] ? rootPending != nil : pending.contains { $0.path == parent }
        let kept = options.setsDirTimes && !options.dryRun && !reached ? try? Sys.fstat(dir) : nil
        let gone = remover.remove(dir: dir, name: PathOps.base(path), path: path, quiet: quiet)
        touch(parent)
        if let kept { try? Sys.futimens(dir, kept.mtimeSec, kept.mtimeNsec) }
        return gone
    }

    /// What `clearWay` leaves at a name: nothing, or an entry the new one replaces.
    enum Way { case free, taken }

    /// Makes way for a new entry of another type; nil (reported) if it cannot.
    func clearWay(_ p: Plan, dir: Int32, name: PathBytes) -> Way? {
        guard let st = try? Sys.fstatat(dir, name) else { return .free }
        if st.kind == .directory {
            if p.entry.kind == .directory { return .taken }
            do { try Sys.unlinkat(dir, name, isDir: true) } catch {
                // rsync's two lines: why the directory stays (stdout, unless the deletion just
                // said it), then what could not be made (stderr, bare).
                if error.code == ENOTEMPTY || error.code == EEXIST {
                    if lastKeptDir != p.entry.path { reporter.info("cannot delete non-empty directory: \(p.entry.path.displayName)") }
                } else {
                    warn("delete_file: rmdir(\(p.entry.path.displayName)) failed: \(errnoText(error.code)) (\(error.code))")
                }
                couldNotMakeWay(p, errno: error.code)
                return nil
            }
            touch(PathOps.parent(p.entry.path))
        } else if p.entry.kind == .directory {
            // A file making way for a directory is backed up like a deleted one.
            if options.backup != nil { return backup(dir: dir, name: name, path: p.entry.path, move: true) ? .free : nil }
            do { try Sys.unlinkat(dir, name, isDir: false) } catch {
                report(SyError.sys("cannot remove", p.entry.path, error.code, status: .partial))
                return nil
            }
        } else {
            return .taken
        }
        return .free
    }

    /// rsync's error for an entry whose place a directory keeps.
    func couldNotMakeWay(_ p: Plan, errno: Int32) {
        let noun: String
        switch p.entry.kind {
        case .file: noun = "regular file"
        case .directory: noun = "directory"
        case .symlink: noun = "symlink"
        case .charDevice, .blockDevice: noun = "device file"
        case .fifo, .socket: noun = "special file"
        }
        report(SyError("could not make way for new \(noun): \(p.entry.path.displayName)", status: .partial, errno: errno), prefixed: false)
    }

    /// A stack of directories below the destination root; with -K it follows a symlink to a
    /// directory on the way, unless this run made the symlink (a sender cannot lead the
    /// receiver out through a link it just sent).
    func destinationStack() -> DirStack {
        let d = DirStack(rootFd: rootFd)
        if options.keepDirlinks { d.followsDirLink = { [unowned self] path in !self.madeLinks.contains(path) } }
        return d
    }

    func openDir(_ p: Plan, dir: Int32, name: PathBytes, isNew: Bool) {
        let fd: Int32, viaLink: Bool
        do { (fd, viaLink) = try DirStack.openDir(dir, name, path: p.entry.path, isNew ? nil : dirs?.followsDirLink) } catch {
            if options.keepDirlinks && !isNew, (try? Sys.fstatat(dir, name))?.kind == .symlink {
                // -K: the link's directory is gone (deleted by this run): rsync makes the directory.
                do { try Sys.unlinkat(dir, name, isDir: false); try Sys.mkdirat(dir, name, 0o700) } catch {
                    report(SyError.sys("mkdir failed for", p.entry.path, error.code, status: .partial))
                    return
                }
                var made = p
                made.action = .create
                made.flags = []
                openDir(made, dir: dir, name: name, isNew: true)
                return
            }
            report(SyError.sys("cannot open directory", p.entry.path, error.code, status: .partial))
            return
        }
        dirs?.push(p.entry.path, fd: fd)
        var d = PendingDir(path: p.entry.path, plan: p, isNew: isNew)
        if viaLink { d.linkParent = dup(dir) } else { earlyDirAttributes(d, fd: fd) }
        pending.append(d)
        if isNew && !p.flags.contains(.referenced) { stats.created.add(.directory) }
        if isNew || p.action == .attrs && !p.flags.contains(.retouch) { reporter.change(p) } else { reporter.upToDate(p) }
    }

    func createNonFile(_ p: Plan, dir: Int32, name: PathBytes) throws(SyError) {
        let e = p.entry
        // (--fake-super without -p: a symlink made again keeps the old one's mode, as rsync's.)
        let oldLinkPerms = FakeStat.enabled && !options.perms && e.kind == .symlink
            ? (try? Sys.fstatat(dir, name)).flatMap { $0.kind == .symlink ? $0.perms : nil } : nil
        guard let way = clearWay(p, dir: dir, name: name) else { return }
        if e.kind == .directory {
            var isNew = true
            do { try Sys.mkdirat(dir, name, 0o700) } catch {
                if error.code != EEXIST {
                    reporter.change(p)
                    report(SyError.sys("mkdir failed for", e.path, error.code, status: .partial))
                    return
                }
                isNew = false
            }
            touch(PathOps.parent(e.path))
            openDir(p, dir: dir, name: name, isNew: isNew)
            return
        }
        if e.kind == .symlink && options.keepDirlinks { madeLinks.insert(e.path) }
        func make(_ at: PathBytes) throws(Errno) {
            if FakeStat.enabled { return try makeFakeNonFile(e, dir: dir, name: at) }
            switch e.kind {
            case .symlink: try Sys.symlinkat(e.target, dir, at)
            default: try Sys.mknodat(dir, at, mode_t(e.kind.typeBits | defaultPerms(e)), e.rdev)
            }
        }
        // Where the name is free it is made there, as rsync does; else beside it, renamed over it.
        var tmp = name
        do throws(Errno) {
            if way == .free {
                do { try make(name) } catch { guard error.code == EEXIST else { throw error }; tmp = namer.make(name); try make(tmp) }
            } else {
                tmp = namer.make(name)
                try make(tmp)
            }
        } catch {
            report(SyError.sys("cannot create \(e.kind.name)", e.path, error.code, status: .partial))
            return
        }
        lchown(dir: dir, name: tmp, e)
        if e.kind != .symlink { applyXattrs(e, .at(dir, tmp)) }
        if FakeStat.enabled { try? chmodEntry(.at(dir, tmp), options.perms ? e.perms : oldLinkPerms ?? defaultPerms(e), e) }
        else if e.kind != .symlink && options.perms { try? Sys.fchmodat(dir, tmp, mode_t(e.perms)) }
        try? setTimes(e, dir, tmp, mtime: options.times && !(options.omitLinkTimes && e.kind == .symlink && !FakeStat.enabled))
        if tmp != name {
            if !backup(dir: dir, name: name, path: e.path, move: false) {
                try? Sys.unlinkat(dir, tmp, isDir: false)
                return
            }
            do { try Sys.renameat(dir, tmp, dir, name) } catch {
                try? Sys.unlinkat(dir, tmp, isDir: false)
                report(SyError.sys("rename failed for", e.path, error.code, status: .partial))
                return
            }
        }
        touch(PathOps.parent(e.path))
        if !p.flags.contains(.referenced) { stats.created.add(e.kind) }
        reporter.change(p)
    }

    /// `--copy-dest`: a local copy of the reference file (same content and times as the source's).
    func copyReference(_ p: Plan, from ldir: Int32, dir: Int32, name: PathBytes) -> Bool {
        let e = p.entry
        do throws(Errno) {
            try copyIntoPlace(from: ldir, PathOps.base(p.linkTo), size: e.size, to: dir, name) { out, copied throws(Errno) in
                guard copied == e.size else { throw Errno(EIO) }
                chown(fd: out, e) // (first: a chown clears the set-user-ID and set-group-ID bits)
                try chmodEntry(.fd(out), options.perms ? e.perms : defaultPerms(e), e)
                applyXattrs(e, .fd(out))
                try setTimes(e, fd: out, mtime: options.times)
            }
            return true
        } catch {
            report(SyError.sys("copy from --copy-dest failed for", e.path, error.code, status: .partial))
            return false
        }
    }

    /// Copies up to `size` bytes of `srcName` (in `srcDir`, never through a symlink) into a new
    /// temp file beside `name` in `dir`, lets `finish` set its attributes (given the bytes
    /// copied), and renames it over `name`. The temp file is removed on any failure.
    func copyIntoPlace(from srcDir: Int32, _ srcName: PathBytes, size: Int64, to dir: Int32, _ name: PathBytes,
                       finish: (Int32, Int64) throws(Errno) -> Void) throws(Errno) {
        let src = try Sys.openat(srcDir, srcName, O_RDONLY | O_NOFOLLOW)
        defer { Sys.close(src) }
        let (out, tmp) = try namer.create(in: dir, for: name)
        defer { Sys.close(out) }
        do throws(Errno) {
            var off: Int64 = 0
            while off < size {
                let n = try copyRange(src: src, at: off, dst: out, at: off, count: size - off)
                if n == 0 { break }
                off += n
            }
            try finish(out, off)
            try Sys.renameat(dir, tmp, dir, name)
        } catch {
            try? Sys.unlinkat(dir, tmp, isDir: false)
            throw error
        }
    }

    /// DirStacks over the --link-dest directories, opened on first use.
    func referenceStack(_ i: Int) -> DirStack? {
        if let s = referenceStacks[i] { return s }
        guard i < options.linkDests.count,
              let fd = try? Sys.openat(Sys.atFDCWD, ReferenceDirs.resolve(options.linkDests[i], destination: destination), O_RDONLY | O_DIRECTORY) else { return nil }
        let s = DirStack(rootFd: fd, followLinks: true) // as sy-sum looked there (see Summer.openReferences)
        referenceStacks[i] = s
        return s
    }

    func hardlink(_ p: Plan, dir: Int32, name: PathBytes) throws(SyError) {
        if p.entry.kind == .symlink && options.keepDirlinks { madeLinks.insert(p.entry.path) }
        guard let linkDirs else { return }
        let external = p.flags.contains(.linkDest)
        if external && p.linkTo != p.entry.path {
            throw SyError.stream("a link-dest plan must name its own path", offset: input.payloadOffset)
        }
        guard let stack = external ? referenceStack(p.flags.referenceIndex) : linkDirs else {
            report(SyError("no --link-dest directory \(p.flags.referenceIndex) for \(p.entry.path.displayName)", status: .partial))
            return
        }
        guard let way = clearWay(p, dir: dir, name: name) else { return }
        let ldir: Int32
        do { ldir = try stack.fd(for: PathOps.parent(p.linkTo)) } catch {
            report(SyError.sys("cannot link to", p.linkTo, error.code, status: .partial))
            return
        }
        if external && (options.copyReferences || p.flags.contains(.localCopy)) {
            guard copyReference(p, from: ldir, dir: dir, name: name) else { return }
            touch(PathOps.parent(p.entry.path))
            countLinkCreated(p)
            listReferenced(p, done: true)
            return
        }
        // A file held back by --delay-updates is linked where it waits (its inode goes into place).
        let heldDir = !external && delayedPaths.contains(p.linkTo) ? ((try? Sys.openDir(ldir, holdingDir)) ?? -1) : -1
        defer { if heldDir >= 0 { Sys.close(heldDir) } }
        let from = heldDir >= 0 ? heldDir : ldir, fromName = PathOps.base(p.linkTo)
        // Where the name is free the link is made there, as rsync does; else beside it, renamed over it.
        var linked = false
        if way == .free {
            do { try Sys.linkat(from, fromName, dir, name); linked = true } catch {
                if error.code != EEXIST {
                    report(SyError.sys("link failed for", p.entry.path, error.code, status: .partial))
                    return
                }
            }
        }
        if !linked, let here = try? Sys.fstatat(dir, name), let there = try? Sys.fstatat(from, fromName),
           here.dev == there.dev && here.ino == there.ino {
            // Linked already (the name's other link was written in place): nothing to do, as
            // rsync finds it (a rename between two links of one file would leave the temp name).
            reporter.upToDate(p)
            return
        }
        if !linked {
            let tmp = namer.make(name)
            do {
                try Sys.linkat(from, fromName, dir, tmp)
                // (A reference's copy replacing the destination's: rsync unlinks that without a backup.)
                if !(external && p.flags.contains(.replace)) && !backup(dir: dir, name: name, path: p.entry.path, move: false) {
                    try? Sys.unlinkat(dir, tmp, isDir: false)
                    return
                }
                try Sys.renameat(dir, tmp, dir, name)
                // (Should the name have become a link of the same file meanwhile, the rename did
                // nothing and the temp name is still there.)
                try? Sys.unlinkat(dir, tmp, isDir: false)
            } catch {
                try? Sys.unlinkat(dir, tmp, isDir: false)
                report(SyError.sys("link failed for", p.entry.path, error.code, status: .partial))
                return
            }
        }
        touch(PathOps.parent(p.entry.path))
        countLinkCreated(p)
        reportLink(p)
    }

    /// A link made new, as rsync counts created files (not one replacing a file, nor one
    /// taken from a reference dir).
    func countLinkCreated(_ p: Plan) {
        if p.flags.isDisjoint(with: [.replace, .linkDest, .referenced]) { stats.created.add(p.entry.kind) }
    }

    /// Lists a hard link made (also in a dry run): a --link-dest link only where what is up to
    /// date is listed, and its source is done if it is a file (rsync's try_dests_non leaves a
    /// symlink's); a link whose reference copy is its leader's the same way.
    func reportLink(_ p: Plan) {
        if p.flags.contains(.referencedLink) {
            reporter.done(p.entry)
            reporter.upToDate(p)
        } else if !p.flags.contains(.linkDest) {
            reporter.change(p)
        } else {
            listReferenced(p, done: p.entry.kind == .file)
        }
    }

    /// -ii: an entry a reference dir's copy stands for, as rsync itemizes it (`hf          name`
    /// for a --link-dest link, `cf          name` for a --copy-dest copy).
    /// `done`: the source's part is done (--remove-source-files), as for rsync's copy.
    func listReferenced(_ p: Plan, done: Bool = false) {
        if p.flags.contains(.localCopy) && !p.flags.isDisjoint(with: ItemFlags.itemized) {
            reporter.change(p) // copied from a reference that differs in attributes: rsync's `cf...p.....`
            return
        }
        if done { reporter.done(p.entry) }
        var q = p
        if options.copyReferences { q.flags.insert(.localCopy) }
        reporter.upToDate(q)
    }

    /// `-U`: the access time to give `e` (never a directory's), or nil to leave it.
    func atime(_ e: Entry) -> Int64? { options.atimes && e.kind != .directory ? e.atimeSec : nil }

    /// Gives `fd` (or `name` in `dir`, not following a symlink) `e`'s modification time if
    /// `mtime`, and with -U its access time if `atime`; nothing when neither applies.
    func setTimes(_ e: Entry, fd: Int32 = -1, _ dir: Int32 = -1, _ name: PathBytes? = nil, mtime: Bool, atime withAtime: Bool = true) throws(Errno) {
        let m = mtime ? (e.mtimeSec, e.mtimeNsec) : nil, a = withAtime ? atime(e) : nil
        guard m != nil || a != nil else { return }
        try Sys.setTimes(fd: fd, dir, name, mtime: m, atime: a)
    }

    func setAttrs(_ given: Plan, dir: Int32, name: PathBytes) {
        var p = given
        let e = p.entry
        // (Looked at once: for a hard-linked file, and for -E's mode.)
        let st = e.kind == .file || (p.flags.contains(.perms) && !options.perms) ? try? Sys.fstatat(dir, name) : nil
        if e.kind == .file, let st, st.nlink > 1 {
            // A hard link whose other name was brought up to date already (sy-sum looked at both
            // before): only what is still to do, as rsync's generator finds it name by name.
            if st.mtimeSec == e.mtimeSec && st.mtimeNsec == e.mtimeNsec { p.flags.remove(.time) }
            if st.perms == e.perms { p.flags.remove(.perms) }
            if let (uid, gid) = ownerIds(e) {
                if uid == UInt32.max || st.uid == uid { p.flags.remove(.owner) }
                if gid == UInt32.max || st.gid == gid { p.flags.remove(.group) }
            }
            if p.flags.isDisjoint(with: ItemFlags.itemized) {
                // Nothing left: up to date as rsync's generator finds it (-ii lists it, and
                // --remove-source-files takes the source).
                settleFake(e, .at(dir, name))
                // (--fake-super's touch-up of an unchanged file: its line, if any, comes with
                // the UNCHANGED plan after it.)
                if p.flags.contains(.retouch) { return }
                reporter.done(e)
                reporter.upToDate(p)
                return
            }
        }
        // The owner first, as rsync: a chown clears a file's set-user-ID and set-group-ID bits,
        // which the mode then sets again.
        let chowned = p.flags.contains(.owner) || p.flags.contains(.group)
        if chowned { lchown(dir: dir, name: name, e) }
        func chmod(_ mode: UInt32) {
            do { try chmodEntry(.at(dir, name), mode, e) } catch { report(SyError.sys("chmod failed for", e.path, error.code, status: .partial)) }
        }
        var setIDChowned = false
        if chowned, e.kind == .file, let st, st.perms & 0o6000 != 0 {
            setIDChowned = true
            // rsync reads a set-ID file's mode again after its chown (which may have cleared
            // those bits): the owner then agrees and is not itemized, and the mode is set again,
            // the source's with -p (itemized where the chown left another), else the file's own.
            p.flags.subtract([.owner, .group])
            let now = (try? Sys.fstatat(dir, name))?.perms ?? st.perms
            let mode = options.perms ? e.perms : options.executability ? PermissionRules.executability(st.perms, source: e.perms) : st.perms
            if options.perms { if now != e.perms { p.flags.insert(.perms) } else { p.flags.remove(.perms) } }
            if now != mode { chmod(mode) }
        } else if p.flags.contains(.perms) && e.kind != .symlink && (options.perms || options.executability) {
            // (A set-ID source over a file without those bits differs in mode: .perms is set.)
            var mode = e.perms
            if !options.perms, let st { mode = PermissionRules.executability(st.perms, source: e.perms) }
            chmod(mode)
        }
        if !p.flags.isDisjoint(with: [.xattrs, .acl]) && e.kind != .symlink { applyXattrs(e, .at(dir, name)) }
        settleFake(e, .at(dir, name))
        do { try setTimes(e, dir, name, mtime: p.flags.contains(.time) && options.times, atime: p.flags.contains(.atime)) } catch {
            report(SyError.sys("failed to set times on", e.path, error.code, status: .partial))
        }
        let out = options.output
        if setIDChowned && p.flags.isDisjoint(with: ItemFlags.itemized) && !out.itemizeUnchanged && !out.unchanged
            && (out.itemize || out.outFormat.map(OutFormat.itemizes) == true) {
            reporter.done(e) // (nothing left to itemize: no line, as rsync's)
        } else if !p.flags.contains(.retouch) { reporter.change(p) }
    }

    // MARK: Dry run

    /// Whether `name` in `dir` is a directory that holds something (or cannot be read).
    func holdsSomething(_ dir: Int32, _ name: PathBytes) -> Bool {
        guard let fd = try? Sys.openDir(dir, name) else { return false }
        defer { Sys.close(fd) }
        return !DirReader.isEmpty(fd)
    }

    func dryRun(_ p: Plan) throws(SyError) {
        let e = p.entry
        if rootFd < 0 && !rootMissing { _ = try? ensureRoot() }
        if p.action.carriesData && e.kind == .file {
            try receiver.discard(input)
        }
        if let blocked = dryRunBlocked, p.action != .delete {
            dryRunBlocked = nil
            if blocked == e.path && e.kind != .directory {
                couldNotMakeWay(p, errno: ENOTEMPTY)
                return
            }
        }
        let cleared = dryRunCleared == e.path
        if p.action != .delete { dryRunCleared = nil }
        if p.action == .create && e.kind != .directory && p.flags.contains(.replace) && !cleared, let dirs,
           let dir = try? dirs.fd(for: PathOps.parent(e.path)), holdsSomething(dir, PathOps.base(e.path)) {
            // A directory that holds something, with no deletion before it (no --delete or
            // --force): the real run cannot make way, and says so; so does the dry run.
            reporter.info("cannot delete non-empty directory: \(e.path.displayName)")
            couldNotMakeWay(p, errno: ENOTEMPTY)
            return
        }
        switch p.action {
        case .delete:
            // The root was opened (if it exists) when the dry run began.
            if let dirs, let dir = try? dirs.fd(for: PathOps.parent(e.path)) {
                let gone = removeEntry(dir: dir, path: e.path, quiet: p.flags.contains(.replace), backUp: !p.flags.contains(.linkDest))
                // A directory that keeps something stays in the way of what replaces it.
                if !gone && p.flags.contains(.replace) && e.kind == .directory { dryRunBlocked = e.path }
                if gone && p.flags.contains(.replace) { dryRunCleared = e.path }
                return
            }
            if p.flags.contains(.replace) { return }
            stats.deleted.add(e.kind)
            reporter.change(p)
        case .keep:
            reporter.upToDate(p)
        case .unchanged:
            reporter.upToDate(p)
        case .create:
            if !p.flags.contains(.value) && !p.flags.contains(.referenced) { stats.created.add(e.kind) }
            if e.kind == .file { stats.transferred += 1; stats.transferredSize += UInt64(e.size) }
            reporter.change(p)
        case .update:
            stats.transferred += 1; stats.transferredSize += UInt64(e.size)
            reporter.change(p)
        case .hardlink:
            // Into a destination that is not there, rsync's dry-run generator never enters it
            // and looks the names up where it runs: where the two names are one file there
            // (the source itself, named from its parent), the link is "in place", listed
            // without changes (`hf          `) and not counted as created.
            var q = p
            if rootMissing && !p.flags.contains(.linkDest), let a = try? Sys.fstatat(Sys.atFDCWD, e.path),
               let b = try? Sys.fstatat(Sys.atFDCWD, p.linkTo), a.dev == b.dev && a.ino == b.ino {
                q.flags.insert(.replace)
            }
            countLinkCreated(q)
            reportLink(q)
        case .attrs:
            reporter.change(p)
        }
    }
}
