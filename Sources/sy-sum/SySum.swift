import ArgumentParser
import Glibc
import SyCore

/// `sy-sum DST`: compare a source entry stream (stdin) with DST and write plans and signatures.
struct SySum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sy-sum",
        abstract: "Compare a source entry stream with a destination tree; write plans and block signatures.",
        discussion: """
            Reads an entry stream (sy-scan) on stdin, walks DST in the same order, and writes a
            plan stream: for each entry that needs work, create, update, attrs, delete or
            hardlink, and for an updated file the block signatures of DST's copy (unless -W).
            Exit status: 0; 12 for a bad input stream; 23/24 if some entries could not be read.
            """,
        version: versionString("sy-sum"))

    @OptionGroup var preserve: PreserveOptions

    @Flag(name: .customLong("delete"), help: "Plan deletion of entries not in the source.")
    var delete = false

    @Flag(name: .customLong("dest-may-be-file"), help: "If the stream is one file and the destination no directory, write the file as the destination (rsync's rule for one file).")
    var destMayBeFile = false

    @Flag(name: .customLong("munge-links"), help: "Put rsync's munged prefix (/rsyncd-munged/) before every symlink target received (sy --munge-links in a pull).")
    var mungeLinks = false

    @Flag(name: .customLong("insecure-links"), help: "Enter the destination through symlinks of any owner (by default only root's and the running user's are followed, as rsync 3.5 does).")
    var insecureLinks = false

    @Flag(name: .customLong("mkpath"), help: "The destination's path may be missing: sy-apply makes it before anything else, so '.' is compared with a new directory (and with --dest-may-be-file the file's directory may be missing).")
    var mkpath = false

    @Flag(name: .customLong("delete-after"), help: "With --delete: the receiver deletes at the end (so -y may take an extra as its basis).")
    var deleteAfter = false

    @Flag(name: .customLong("delete-delay"), help: "With --delete: deletions are found during the merge and carried out by the receiver at the end.")
    var deleteDelay = false

    @Flag(name: .customLong("delete-before"), help: "With --delete: plan every deletion before the first transfer (spools the entry stream to $TMPDIR).")
    var deleteBefore = false

    @Option(name: .customLong("list-count"), help: "With --whole-list (or --delete-before): first a note of how many entries the list has, as rsync's --progress says it: 'steps' (' 0 files...', '4 files to consider', as its sender) or 'total' ('4 files to consider', as its receiver).")
    var listCount: SumOptions.ListCountStyle?

    @Flag(name: .customLong("whole-list"), help: "With --delete: the sender's whole list comes before any deletion (rsync without incremental recursion: -m, --delay-updates, --no-inc-recursive), so an IO error anywhere in it stops every deletion (spools the entry stream to $TMPDIR).")
    var wholeList = false
    @Flag(name: .customLong("force"), help: "Replace a non-empty directory by a non-directory.")
    var force = false
    @Flag(name: [.customShort("c"), .customLong("checksum")], help: "Compare contents by XXH3-128 (the scan must use -c).")
    var checksum = false
    @Flag(name: [.customShort("I"), .customLong("ignore-times")], help: "Update every file.")
    var ignoreTimes = false
    @Flag(name: .customLong("size-only"), help: "Compare sizes only.")
    var sizeOnly = false
    @Flag(name: [.customShort("u"), .customLong("update")], help: "Skip files newer on the destination.")
    var update = false
    @Flag(name: .customLong("ignore-existing"), help: "Skip files that exist on the destination.")
    var ignoreExisting = false
    @Option(name: .customLong("skip-notes"), help: "rsync's --info=skip level: 1 says why a file is left alone (exists, is newer, over max-size, not creating new), 2 adds what differs.")
    var skipNotes = 0
    @Flag(name: .customLong("existing"), help: "Skip creating new entries.")
    var existing = false
    @Flag(name: [.customShort("W"), .customLong("whole-file")], help: "No block signatures: files are sent whole.")
    var wholeFile = false
    @Option(name: [.customShort("B"), .customLong("block-size")], help: "Signature block size in bytes.")
    var blockSize: Int?
    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Plan only; no signatures.")
    var dryRun = false
    @Flag(name: [.customShort("z"), .customLong("compress")], help: "Compress the output stream with zstd (level 3).")
    var compress = false
    @Option(name: .customLong("compress-level"), help: "zstd level 1-22 (implies -z).")
    var compressLevel: Int?
    @Option(name: .customLong("totals-fd"), help: "Write progress totals for sy-apply to this descriptor.")
    var totalsFd: Int32?

    @Option(name: [.customShort("f"), .customLong("filter")], help: "An include/exclude rule, in order: excluded entries are not deleted.")
    var filter: [String] = []
    @Flag(name: .customLong("delete-excluded"), help: "Delete excluded entries too.")
    var deleteExcluded = false
    @Option(name: .customLong("partial-dir"), help: "Resume from data kept in this directory by an interrupted run.")
    var partialDir: String?
    @Option(name: .customLong("modify-window"), help: "Mtimes this many seconds apart count as equal (0: whole seconds; negative: nanoseconds too).")
    var modifyWindow: Int64 = 0
    @Flag(name: [.customShort("O"), .customLong("omit-dir-times")], help: "Do not compare directory times.")
    var omitDirTimes = false
    @Flag(name: [.customShort("K"), .customLong("keep-dirlinks")], help: "Walk a destination symlink to a directory as that directory.")
    var keepDirlinks = false
    @Flag(name: .customLong("ignore-errors"), help: "Delete even below unreadable source directories.")
    var ignoreErrors = false
    @Option(name: .customLong("min-size"), help: "Don't transfer files smaller than SIZE.")
    var minSize: String?
    @Option(name: .customLong("max-size"), help: "Don't transfer files larger than SIZE.")
    var maxSize: String?
    @Option(name: .customLong("protect"), help: "Never delete destination entries matching this pattern (repeatable).")
    var protect: [String] = []
    @Flag(name: .customLong("backup-beside"), help: "Deleted files are backed up beside themselves (-b without --backup-dir): a deleted directory holding any file stays.")
    var backupBeside = false
    @Option(name: .customLong("link-dest"), help: "Hard-link files unchanged in this directory (repeatable; relative to DST).")
    var linkDest: [String] = []
    @Flag(name: .customLong("copy-references"), help: "The --link-dest directories are --copy-dest ones (a destination file is never replaced by a reference).")
    var copyReferences = false
    @Option(name: .customLong("compare-dest"), help: "Skip files unchanged in this directory (repeatable; relative to DST).")
    var compareDest: [String] = []

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Threads that sign one file at once (default 2).")
    var jobs: Int?
    @Flag(name: .customLong("safe-links"), help: "Ignore symlinks that point outside the tree (neither made nor deleted).")
    var safeLinks = false
    @Flag(name: .customLong("note-unsafe-links"), help: "With --safe-links, say each unsafe symlink ignored (rsync's -v).")
    var noteUnsafeLinks = false
    @Flag(name: .customLong("filter-notes"), help: "With --delete, note each destination entry a filter rule protects or risks (rsync's -vv).")
    var filterNotes = false
    @Flag(name: [.customShort("y"), .customLong("fuzzy")], help: "Find a similar file in the destination directory as the basis of a new file.")
    var fuzzy = false
    @Flag(name: .customLong("append"), help: "Send only the data past the destination's end (files that grew).")
    var append = false
    @Flag(name: .customLong("append-verify"), help: "Like --append, and check the whole file (redone whole if it differs).")
    var appendVerify = false
    @Flag(name: .customLong("second-pass"), help: "sy's second pass (redoing files that failed verification): the notes on skipped entries are not said again.")
    var secondPass = false
    @Flag(name: .customLong("append-second-pass"), help: "With --append: files as long as the source that sy-apply marked as failing verification are sent whole.")
    var appendSecondPass = false
    @Flag(name: .customLong("report-unchanged"), help: "Also plan up-to-date files (as UNCHANGED), for --remove-source-files.")
    var reportUnchanged = false
    @Flag(name: .customLong("make-parents"), help: "-R --no-implied-dirs: make the missing parent directories of skipped entries too (a KEEP plan each).")
    var makeParents = false
    @Option(name: .customLong("usermap"), help: "Map sender users to receiver users: FROM:TO,... (rsync's syntax).")
    var usermap: String?
    @Option(name: .customLong("groupmap"), help: "Map sender groups to receiver groups: FROM:TO,...")
    var groupmap: String?

    @Argument(help: "The destination directory.")
    var destination: String

    func validate() throws {
        for v in [minSize, maxSize].compactMap({ $0 }) where SizeArg.parse(v) == nil { throw ValidationError("invalid size '\(v)'") }
        for f in filter where FilterRule(rule: f) == nil { throw ValidationError("invalid filter rule '\(f)'") }
        if let d = partialDir, let problem = ApplyOptions.partialDirProblem(d) { throw ValidationError(problem) }
        if let b = blockSize, b < SignatureLimits.minBlock || b > SignatureLimits.maxBlock {
            throw ValidationError("--block-size must be between \(SignatureLimits.minBlock) and \(SignatureLimits.maxBlock)")
        }
    }
}

toolMain(SySum.self, name: "sy-sum") { cmd in
    var o = SumOptions()
    o.delete = cmd.delete; o.force = cmd.force; o.checksum = cmd.checksum; o.ignoreTimes = cmd.ignoreTimes
    o.sizeOnly = cmd.sizeOnly; o.update = cmd.update; o.ignoreExisting = cmd.ignoreExisting; o.existing = cmd.existing
    o.skipNotes = cmd.skipNotes
    o.perms = cmd.preserve.p; o.times = cmd.preserve.t; o.owner = cmd.preserve.o; o.group = cmd.preserve.g
    o.links = cmd.preserve.l; o.devices = cmd.preserve.dev; o.specials = cmd.preserve.spec; o.hardLinks = cmd.preserve.hardLinks
    o.wholeFile = cmd.wholeFile; o.blockSize = cmd.blockSize; o.dryRun = cmd.dryRun
    // (--fake-super: owners are recorded, not set, so any of them may be kept.)
    FakeStat.enabled = cmd.preserve.fakeSuper
    FakeStat.receiving = true
    o.canChown = geteuid() == 0 && !cmd.preserve.noSuper || cmd.preserve.fakeSuper
    // (Devices are made by root only: rsync's receiver skips them otherwise, "skipping
    // non-regular file", and --fake-super makes them as files.)
    o.devices = o.devices && o.canChown
    o.filters = try FilterList(parsing: cmd.filter, deleteExcluded: cmd.deleteExcluded)
    o.filters.absoluteRoot = FilterList.absolutePath(cmd.destination.pathBytes)
    o.deleteExcluded = cmd.deleteExcluded
    o.partialDir = cmd.partialDir?.pathBytes
    o.linkDests = cmd.linkDest.map(\.pathBytes)
    o.minSize = cmd.minSize.flatMap(SizeArg.parse)
    o.modifyWindow = cmd.modifyWindow
    o.omitDirTimes = cmd.omitDirTimes
    o.keepDirlinks = cmd.keepDirlinks
    o.deleteLater = cmd.deleteAfter || cmd.deleteDelay
    o.deleteDelay = cmd.deleteDelay && !cmd.deleteAfter
    o.destMayBeFile = cmd.destMayBeFile
    o.mkpath = cmd.mkpath
    o.insecureLinks = cmd.insecureLinks
    o.mungeLinks = cmd.mungeLinks
    o.numericIds = cmd.preserve.numericIds
    o.reportUnchanged = cmd.reportUnchanged
    o.makesParents = cmd.makeParents
    if let j = cmd.jobs { BlockSigner.maxLanes = max(1, min(64, j)) }
    o.append = cmd.append
    o.fuzzy = cmd.fuzzy
    o.safeLinks = cmd.safeLinks
    o.noteUnsafeLinks = cmd.noteUnsafeLinks
    o.filterNotes = cmd.filterNotes
    o.appendVerify = cmd.appendVerify
    o.appendSecondPass = cmd.appendSecondPass
    o.secondPass = cmd.secondPass
    o.userMap = try cmd.usermap.map { spec throws(SyError) in try IdMap(spec, group: false) }
    o.groupMap = try cmd.groupmap.map { spec throws(SyError) in try IdMap(spec, group: true) }
    o.omitLinkTimes = cmd.preserve.omitLinkTimes
    o.atimes = cmd.preserve.atimes
    o.xattrSelection = cmd.preserve.xattrSelection
    o.executability = cmd.preserve.executability
    o.ignoreErrors = cmd.ignoreErrors
    o.maxSize = cmd.maxSize.flatMap(SizeArg.parse)
    o.protects = FilterList(cmd.protect.map { FilterRule(include: false, pattern: $0) })
    o.backupBeside = cmd.backupBeside
    o.compareDests = cmd.compareDest.map(\.pathBytes)
    o.copyReferences = cmd.copyReferences
    let out = try StreamWriter(fd: 1, kind: .plans, producer: versionString("sy-sum"),
                               compressLevel: cmd.compressLevel ?? (cmd.compress ? 3 : nil))
    o.listCount = cmd.listCount
    o.compressedLiterals = cmd.compress || cmd.compressLevel != nil
    if cmd.deleteBefore && cmd.delete {
        return try Summer.runDeletingFirst(options: o, inputFd: 0, output: out, totals: cmd.totalsFd.map(TotalsChannel.init),
                                           destination: cmd.destination.pathBytes)
    }
    if cmd.wholeList && (cmd.delete && !cmd.deleteAfter || cmd.listCount != nil) {
        return try Summer.runAfterWholeList(options: o, inputFd: 0, output: out, totals: cmd.totalsFd.map(TotalsChannel.init),
                                            destination: cmd.destination.pathBytes)
    }
    let input = try StreamReader(fd: 0, expecting: [.entries])
    let summer = Summer(options: o, input: input, output: out)
    summer.totals = cmd.totalsFd.map(TotalsChannel.init)
    return try summer.run(destination: cmd.destination.pathBytes)
}

extension SumOptions.ListCountStyle: ExpressibleByArgument {}
