import ArgumentParser
import SyCore

/// `sy-apply DST`: apply a delta stream (stdin) to the destination tree.
struct SyApply: ParsableCommand {
    func validate() throws {
        if let d = partialDir, let problem = ApplyOptions.partialDirProblem(d) { throw ValidationError(problem) }
    }

    static let configuration = CommandConfiguration(
        commandName: "sy-apply",
        abstract: "Apply a delta stream to a destination tree.",
        discussion: """
            Reads a delta stream (sy-delta) on stdin and makes DST match: directories, files
            (written to .NAME.XXXXXX and renamed once their size and hash check), symlinks,
            hard links, devices, deletions, then attributes, directories' after their contents.
            Reports changes on stdout (-i, -v, --stats, --json).
            Exit status: 0; 11 for a fatal I/O error; 12 for a bad stream; 23/24 for per-file failures.
            """,
        version: versionString("sy-apply"))

    @OptionGroup var preserve: PreserveOptions

    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Report what would change; change nothing.")
    var dryRun = false
    @Flag(name: .customLong("inplace"), help: "Update files in place instead of through a temporary file.")
    var inplace = false
    @Flag(name: .customLong("insecure-links"), help: "Enter the destination through symlinks of any owner (by default only root's and the running user's are followed, as rsync 3.5 does).")
    var insecureLinks = false
    @Flag(name: .customLong("mkpath"), help: "Create missing parents of DST.")
    var mkpath = false
    @Option(name: .customLong("copy-from"), help: "A local source argument that source-range records copy from (repeatable).")
    var copyFrom: [String] = []
    @Option(name: .customLong("top-name"), help: "A single source was sent under this name.")
    var topName: String?
    @Flag(name: .customLong("dest-may-be-file"), help: "A first plan for one file named as the destination is written as the destination (sy-sum --dest-may-be-file).")
    var destMayBeFile = false
    @Option(name: .customLong("show-name"), help: "List the one file written under --top-name (or named after the destination) by this name, as rsync does.")
    var showName: String?
    @Flag(name: [.customShort("R"), .customLong("relative")], help: "The --copy-from sources are named by their paths (sy-scan -R).")
    var relative = false
    @Option(name: .customLong("first-line"), help: "A line printed before any other on stdout (after 'created directory' for a destination made), as rsync's generator prints -vv's delta note.")
    var firstLine: String?
    @Option(name: .customLong("out-format"), help: "One line per change in this format (rsync's %-escapes).")
    var outFormat: String?
    @Option(name: .customLong("name-escape"), help: "How names are escaped on stdout: utf8, ascii, 8bit or log (default: as rsync in this locale).")
    var nameEscape: NameEscape?
    @Option(name: .customLong("slash-top"), help: "List what is sent below this top-level name with a leading '/', as rsync's sender does for an absolute -R source (repeatable; '/' for the root).")
    var slashTops: [String] = []
    @Option(name: .customLong("sender-prefix"), help: "What %f puts before each name: the source's directory, as rsync's sender shows it.")
    var senderPrefix: String?
    @Option(name: .customLong("log-file"), help: "Append a line per change to FILE.")
    var logFile: String?
    @Option(name: .customLong("log-file-format"), help: "The format of --log-file lines (default '%i %n%L').")
    var logFileFormat: String?
    @Flag(name: .customLong("log-relay"), help: "Write the log lines to stderr after a marker, for the sy that started this one to keep (a push).")
    var logRelay = false
    @Flag(name: .customLong("delay-updates"), help: "Hold finished files in the partial directory and move them all into place at the end.")
    var delayUpdates = false
    @Flag(name: .customLong("copy-references"), help: "Copy --link-dest files instead of linking them (sy --copy-dest).")
    var copyReferences = false
    @Flag(name: [.customShort("S"), .customLong("sparse")], help: "Leave holes where whole blocks are zero.")
    var sparse = false
    @Flag(name: .customLong("preallocate"), help: "Allocate each file's space before writing it.")
    var preallocate = false
    @Flag(name: .customLong("report-done"), help: "Write a DONE line per non-directory put in place (for sy --remove-source-files).")
    var reportDone = false
    @Flag(name: .customLong("fsync"), help: "Fsync every written file before it is put in place.")
    var fsync = false
    @Flag(name: .customLong("follow-links"), help: "Open --copy-from sources through symlinks (the scan followed them).")
    var followLinks = false
    @Flag(name: .customLong("no-implied-dirs"), help: "Create missing parent directories of entries (the stream has no implied directories).")
    var noImpliedDirs = false
    @Flag(name: [.customShort("i"), .customLong("itemize-changes")], help: "Itemize changes (rsync's YXcstpoguax).")
    var itemize = false
    @Flag(name: .customLong("itemize-unchanged"), help: "Itemize unchanged entries too (rsync's -ii), as the plans sy-sum --report-unchanged writes.")
    var itemizeUnchanged = false
    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "List changed names; the closing summary.")
    var verbose: Int
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print errors only.")
    var quiet = false
    @Flag(name: .customLong("stats"), help: "Print transfer statistics.")
    var stats = false
    @Flag(name: [.customShort("h"), .customLong("human-readable")], help: "Sizes with units.")
    var humanReadable = false
    @Flag(name: .customLong("json"), help: "JSON Lines events on stdout.")
    var json = false
    @Flag(name: .customLong("progress"), help: "Show progress per file.")
    var progress = false
    @Option(name: .customLong("info"), help: "rsync's --info items (name, del, stats, flist), after -v's defaults.")
    var info: [String] = []
    @Option(name: .customLong("debug"), help: "rsync's --debug items (deltasum: the matcher's totals), after -vv's defaults.")
    var debug: [String] = []
    @Flag(name: .customLong("progress2"), help: "Show progress for the whole transfer (rsync's --info=progress2).")
    var progress2 = false
    @Option(name: .customLong("bwlimit"), help: "Limit local source-range copying (KiB/s, or with a B/K/M/G suffix).")
    var bwlimit: String?
    @Option(name: .customLong("totals-fd"), help: "Read sy-sum's progress totals from this descriptor.")
    var totalsFd: Int32?
    @Option(name: .customLong("start-ns"), help: "Start of the sync (ns since the epoch), for the rate.")
    var startNs: UInt64 = 0
    @Flag(name: .customLong("redo-exit"), help: "Exit 100 when the only failures were verification mismatches (sy redoes them).")
    var redoExit = false
    @Flag(name: .customLong("backup-note"), help: "With --backup-dir, first say \"backup_dir is DIR\" (\"(new) ...\" where it is not there yet), as rsync -vv.")
    var backupNote = false

    @Option(name: [.customShort("f"), .customLong("filter")], help: "An include/exclude rule, in order: excluded entries inside deleted directories are kept.")
    var filter: [String] = []
    @Flag(name: .customLong("delete-excluded"), help: "Delete excluded entries too.")
    var deleteExcluded = false
    @Option(name: .customLong("partial-dir"), help: "Keep the data of an interrupted file in this directory.")
    var partialDir: String?
    @Option(name: .customLong("role"), help: "Where sy's command line is, for listings as rsync's client shows them: local, push ('<f', the receiver is remote) or pull (%o 'recv').")
    var role: ClientRole = .local
    @Flag(name: .customLong("open-noatime"), help: "Read --copy-from sources without changing their access times.")
    var openNoAtime = false
    @Option(name: [.customShort("T"), .customLong("temp-dir")], help: "Write received files in DIR (relative to DST) before moving them into place.")
    var tempDir: String?
    @Flag(name: [.customShort("b"), .customLong("backup")], help: "Keep replaced and deleted files (NAME~ or under --backup-dir).")
    var backup = false
    @Option(name: .customLong("backup-dir"), help: "Keep backups under this directory (relative to DST), same relative paths.")
    var backupDir: String?
    @Option(name: .customLong("suffix"), help: "Backup suffix (default ~, or none with --backup-dir).")
    var suffix: String?
    @Option(name: .customLong("protect"), help: "Never delete destination entries matching this pattern (repeatable).")
    var protect: [String] = []
    @Flag(name: [.customShort("O"), .customLong("omit-dir-times")], help: "Leave directory times alone.")
    var omitDirTimes = false
    @Flag(name: [.customShort("K"), .customLong("keep-dirlinks")], help: "Follow a symlink to a directory on the way (not one this run made).")
    var keepDirlinks = false
    @Option(name: .customLong("max-delete"), help: "Delete no more than this many entries (exit 25 past it).")
    var maxDelete: Int?
    @Flag(name: .customLong("delete-after"), help: "Carry out deletions after everything else, none if the sender reported an IO error.")
    var deleteAfter = false
    @Flag(name: .customLong("delete-delay"), help: "Carry out deletions after everything else.")
    var deleteDelay = false
    @Flag(name: .customLong("delete-before"), help: "Deletions came before the transfers (rooms made for other types then see no merge files).")
    var deleteBefore = false
    @Flag(name: .customLong("from-batch"), help: "The stream is a batch being read (sy --read-batch): a file that fails verification 'may try again'.")
    var fromBatch = false
    @Flag(name: .customLong("batch-only"), help: "Close the summary with \"(BATCH ONLY)\" (sy --only-write-batch, whose sy-apply runs with -n).")
    var batchOnly = false
    @Flag(name: .customLong("skip-deletions"), help: "Leave the stream's deletions undone, except those that make way for another type (sy --read-batch without --delete).")
    var skipDeletions = false
    @Flag(name: .customLong("skip-dir-replacements"), help: "Leave undone the stream's deletions of directories in the way of another type too, unless empty (sy --read-batch without --delete or --force).")
    var skipDirReplacements = false
    @Option(name: .customLong("link-dest"), help: "A --link-dest directory, in sy-sum's order (relative to DST).")
    var linkDest: [String] = []

    @Argument(help: "The destination directory.")
    var destination: String
}

toolMain(SyApply.self, name: "sy-apply") { cmd in
    var o = ApplyOptions()
    FakeStat.enabled = cmd.preserve.fakeSuper
    FakeStat.receiving = true
    o.noSuper = cmd.preserve.noSuper
    o.perms = cmd.preserve.p; o.times = cmd.preserve.t; o.owner = cmd.preserve.o; o.group = cmd.preserve.g
    o.dryRun = cmd.dryRun; o.inplace = cmd.inplace; o.mkpath = cmd.mkpath; o.insecureLinks = cmd.insecureLinks
    TrustedPath.followAnyLinks = cmd.insecureLinks
    o.copyFrom = cmd.copyFrom.isEmpty ? nil : cmd.copyFrom.map(\.pathBytes)
    o.topName = cmd.topName?.pathBytes
    o.destMayBeFile = cmd.destMayBeFile
    o.shownName = cmd.showName?.pathBytes
    o.relative = cmd.relative
    o.createParents = cmd.noImpliedDirs
    o.followLinks = cmd.followLinks
    o.fsync = cmd.fsync
    o.output.outFormat = cmd.outFormat
    o.output.listsOwner = cmd.preserve.o; o.output.listsGroup = cmd.preserve.g
    o.output.senderPrefix = cmd.senderPrefix ?? ""
    o.output.slashTops = Set(cmd.slashTops.map { $0 == "/" ? [] : $0.pathBytes })
    NameEscape.terminal = cmd.nameEscape ?? NameEscape.fromLocale(eightBit: false)
    o.output.role = cmd.role
    o.output.batchOnly = cmd.batchOnly
    o.skipDeletions = cmd.skipDeletions
    o.skipDirReplacements = cmd.skipDirReplacements
    o.output.itemize = cmd.itemize; o.output.itemizeUnchanged = cmd.itemizeUnchanged; o.output.verbose = cmd.verbose; o.output.quiet = cmd.quiet
    let levels = InfoLevels(verbose: cmd.verbose, progress: cmd.progress, stats: cmd.stats, quiet: cmd.quiet, items: cmd.info,
                            debug: cmd.debug)
    o.output.stats = levels.fullStats; o.output.summary = levels.summary; o.output.humanReadable = cmd.humanReadable
    o.output.names = levels.listsNames; o.output.deletions = levels.listsDeletions
    o.output.namesWithoutProgress = InfoLevels(verbose: cmd.verbose, stats: cmd.stats, quiet: cmd.quiet, items: cmd.info).listsNames
    o.output.unchanged = levels.listsUnchanged; o.output.deltaTotals = levels.deltaTotals
    o.output.json = cmd.json; o.output.startNanos = cmd.startNs
    o.output.progress = cmd.progress; o.output.progress2 = cmd.progress2
    o.bwlimit = cmd.bwlimit.flatMap(RateLimiter.parse)
    o.filters = try FilterList(parsing: cmd.filter, deleteExcluded: cmd.deleteExcluded)
    o.filters.absoluteRoot = FilterList.absolutePath(cmd.destination.pathBytes)
    o.deleteExcluded = cmd.deleteExcluded
    o.partialDir = cmd.partialDir?.pathBytes
    o.tempDir = cmd.tempDir?.pathBytes
    o.linkDests = cmd.linkDest.map(\.pathBytes)
    o.maxDelete = cmd.maxDelete
    o.deleteAfter = cmd.deleteAfter || cmd.deleteDelay
    o.keepDeletesOnIOError = cmd.deleteDelay && !cmd.deleteAfter
    o.deleteDelay = cmd.deleteDelay && !cmd.deleteAfter
    o.makesRoomUnmerged = cmd.deleteBefore || cmd.deleteAfter
    o.omitDirTimes = cmd.omitDirTimes
    o.keepDirlinks = cmd.keepDirlinks
    o.omitLinkTimes = cmd.preserve.omitLinkTimes
    o.atimes = cmd.preserve.atimes
    o.redoFollows = cmd.redoExit
    o.fromBatch = cmd.fromBatch
    Sys.openNoAtime = cmd.openNoAtime
    o.xattrSelection = cmd.preserve.xattrSelection
    o.executability = cmd.preserve.executability
    if cmd.backup || cmd.backupDir != nil {
        o.backup = BackupPolicy(suffix: (cmd.suffix ?? (cmd.backupDir == nil ? "~" : "")).pathBytes,
                                dir: cmd.backupDir.map { ReferenceDirs.resolve($0.pathBytes, destination: cmd.destination.pathBytes) },
                                shownDir: cmd.backupDir?.pathBytes)
    }
    o.output.backups = levels.notesBackups
    o.protects = FilterList(cmd.protect.map { FilterRule(include: false, pattern: $0) })
    let input = try StreamReader(fd: 0, expecting: [.delta])
    let reporter = Reporter(options: o.output, dryRun: o.dryRun, totals: cmd.totalsFd.map(TotalsChannel.init))
    input.idle = reporter
    reporter.reportDone = cmd.reportDone
    reporter.firstLine = cmd.firstLine
    if cmd.backupNote, let note = o.backup?.note {
        // (Before -vv's delta note, after "created directory", as rsync's receiver says it.)
        reporter.firstLine = [note, cmd.firstLine].compactMap { $0 }.joined(separator: "\n")
    }
    defer { reporter.closeOutput() }
    o.sparse = cmd.sparse
    o.copyReferences = cmd.copyReferences
    o.delayUpdates = cmd.delayUpdates
    o.preallocate = cmd.preallocate
    if let path = cmd.logFile {
        // As rsync: a log file that cannot be opened is said and done without.
        do throws(SyError) { reporter.log = try LogFile(path: path, format: cmd.logFileFormat) } catch { LogFile.ignore(error) }
    } else if cmd.logRelay {
        reporter.log = LogFile(relayFormat: cmd.logFileFormat)
    }
    reporter.log?.line(cmd.role == .pull ? "receiving file list" : "building file list")
    let applier = Applier(destination: cmd.destination.pathBytes, options: o, input: input, reporter: reporter)
    let status = try applier.run()
    if applier.willBeRedone { return .redo }
    return status
}
extension ClientRole: ExpressibleByArgument {}
extension NameEscape: ExpressibleByArgument {}
