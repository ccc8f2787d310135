import ArgumentParser
import SyCore

/// `sy [OPTIONS] SRC... DST`: rsync's command line, run as a pipeline of the four sy tools.
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sy",
        abstract: "A file-tree synchronizer with rsync's options, built from four small tools.",
        usage: """
            sy [OPTIONS] SRC... DST
            sy [OPTIONS] SRC... [USER@]HOST:DST
            sy [OPTIONS] [USER@]HOST:SRC... DST
            sy show [--json | --encode] [FILE]
            """,
        discussion: """
            sy SRC/ DST makes DST hold the contents of SRC; sy SRC DST makes DST/SRC; sy SRC \
            alone lists SRC. The work is done by sy-scan | sy-sum | sy-delta | sy-apply \
            running at the same time; see sy(1) and sy-stream(5). Exit codes are rsync's.

            Filter rules, applied in command-line order: --exclude=PATTERN, --include=PATTERN, \
            --filter=RULE or -f RULE (rsync's rules: '- PAT', '+ PAT', 'P PAT', 'H PAT', \
            'merge FILE', ': .rules', '!', with modifiers), -F (same as \
            --filter=': /.rsync-filter'; -FF also excludes those files), --exclude-from=FILE, \
            --include-from=FILE. rsync's --no-OPTION forms undo an option (-a --no-o). rsync options \
            sy does not implement (-X, -A, --super, daemon options, ...) fail with the reason.
            """,
        version: versionString("sy"),
        helpNames: [.long])

    @OptionGroup(title: "What to copy and preserve") var pres: PreservationOptions
    @OptionGroup(title: "Deletion and backups") var del: DeletionOptions
    @OptionGroup(title: "Which files to transfer") var sel: SelectionOptions
    @OptionGroup(title: "How files are written") var xfer: TransferOptions
    @OptionGroup(title: "Remote shell and network") var net: RemoteOptions
    @OptionGroup(title: "Output") var out: OutputFlags
    @OptionGroup(title: "Accepted for rsync scripts") var compat: AcceptedOptions

    @Argument(help: "Sources, then the destination.")
    var paths: [String] = []

    func validate() throws {
        // rsync's tables of --info and --debug (sy prints for two debug categories: see InfoLevels).
        if InfoLevels.asksForHelp(out.info) { throw CleanExit.message(InfoLevels.helpText) }
        if InfoLevels.asksForHelp(compat.debug) { throw CleanExit.message(InfoLevels.debugHelpText) }
        if paths.isEmpty { throw ValidationError(xfer.readBatch != nil ? "--read-batch needs a destination" : "a source and a destination are required") }
        if xfer.readBatch != nil && (xfer.writeBatch != nil || xfer.onlyWriteBatch != nil) {
            throw ValidationError("--write-batch and --read-batch can not be used together")
        }
        if let m = xfer.stopAfter, m <= 0 { throw ValidationError("--stop-after=\(m) must be a positive number of minutes") }
        if let a = xfer.stopAt, StopTime.parse(a) == nil { throw ValidationError("--stop-at=\(a): not a future time of the form y-m-dTh:m") }
        if let j = xfer.jobs, !(1...64).contains(j) { throw ValidationError("--jobs=\(j) is out of range 1...64") }
        if pres.chown != nil && (pres.usermap != nil || pres.groupmap != nil) {
            throw ValidationError("--chown cannot be combined with --usermap or --groupmap")
        }
        // rsync's names are accepted (scripts carry them); the choice changes no result: sy
        // checksums with XXH3 and compresses with zstd whatever is named.
        let sums = ["auto", "xxh128", "xxh3", "xxh64", "xxhash", "md5", "md4", "sha1", "none"]
        if let c = compat.checksumChoice, c.split(separator: ",", omittingEmptySubsequences: false).contains(where: { !sums.contains(String($0)) }) {
            throw ValidationError("--checksum-choice=\(c): unknown checksum name (rsync's are \(sums.joined(separator: ", ")))")
        }
        let zips = ["auto", "zstd", "lz4", "zlibx", "zlib", "none"]
        if let c = compat.compressChoice, !zips.contains(c) {
            throw ValidationError("--compress-choice=\(c): unknown compression name (rsync's are \(zips.joined(separator: ", ")))")
        }
        if let o = compat.outbuf, !["N", "L", "B", "n", "l", "b"].contains(String(o.prefix(1))) { throw ValidationError("--outbuf=\(o): use N, L or B") }
        if let m = compat.stderrMode, !["e", "a", "c"].contains(String(m.prefix(1))) { throw ValidationError("--stderr=\(m): use errors, all or client") }
        if pres.relative && sel.filesFrom == nil {
            for s in paths.dropLast() where RelativeSources.clean(RelativeSources.split(s.pathBytes).1) == nil {
                throw ValidationError("found \"..\" dir in relative path: \(s)")
            }
        }
        if sel.filesFrom != nil && paths.count != 2 {
            throw ValidationError("--files-from takes exactly one source directory and a destination")
        }
        if let b = xfer.blockSize, b < 1 || b > SignatureLimits.maxBlock {
            throw ValidationError("--block-size=\(b) is out of range \(SignatureLimits.minBlock)...\(SignatureLimits.maxBlock)")
        }
        let deletes = [del.deleteBefore, del.deleteDuring, del.deleteDelay, del.deleteAfter].filter { $0 }.count
        if deletes > 1 { throw ValidationError("you may not combine multiple --delete-WHEN options") }
        // rsync's refusals, in its words (those of negatable options: `refusals(negated:)`).
        if !xfer.linkDest.isEmpty && !xfer.compareDest.isEmpty {
            throw ValidationError("ERROR: the --compare-dest option conflicts with the --link-dest option")
        }
        let deleting = del.delete || del.deleteBefore || del.deleteDuring || del.deleteDelay || del.deleteAfter || del.deleteExcluded
        // (A listing lists a directory's own entries, as -d does: rsync lets it through.)
        if deleting && !(pres.recursive || pres.archive || pres.dirs) && sel.filesFrom == nil && !(out.listOnly || paths.count == 1) {
            throw ValidationError("--delete does not work without --recursive (-r) or --dirs (-d).")
        }
        for c in pres.chmod where ChmodSpec(c) == nil { throw ValidationError("--chmod=\(c): invalid permission change") }
        for v in [sel.minSize, sel.maxSize].compactMap({ $0 }) where SizeArg.parse(v) == nil {
            throw ValidationError("--min-size/--max-size: invalid size '\(v)'")
        }
        if !xfer.copyDest.isEmpty && !(xfer.linkDest.isEmpty && xfer.compareDest.isEmpty) {
            throw ValidationError("you may not mix --copy-dest with --compare-dest or --link-dest")
        }
        if xfer.linkDest.count + xfer.compareDest.count + xfer.copyDest.count > 20 { throw ValidationError("too many --link-dest/--compare-dest args (at most 20)") }
        if let d = xfer.partialDir, let problem = ApplyOptions.partialDirProblem(d) { throw ValidationError(problem) }
        if let b = net.bwlimit, RateLimiter.parse(b) == nil { throw ValidationError("--bwlimit=\(b): invalid rate") }
        for i in out.info.flatMap({ $0.split(separator: ",") }) where InfoLevels.parse(String(i)) == nil && i.lowercased() != "help" {
            throw ValidationError("Unknown --info item: \"\(i)\"")
        }
    }

    /// rsync's refusals of --append with --whole-file, and of --inplace and --append with
    /// --delay-updates or --partial-dir, checked after --no-OPTION as rsync reads them
    /// (`--inplace --no-inplace --partial-dir=D` is fine; so is `--append -W --no-W`).
    func refusals(negated: Set<String>) throws(SyError) {
        for o in net.remoteOptions where SuperMode(option: o) == nil {
            throw SyError("-M \(o): sy sends only --fake-super, --super and --no-super to the remote side", status: .syntax)
        }
        let append = (xfer.append || xfer.appendVerify) && !negated.contains("append")
        if append && xfer.wholeFile && !negated.contains("whole-file") && !negated.contains("W") {
            throw SyError("--append cannot be used with --whole-file", status: .syntax)
        }
        let inplace = append || xfer.inplace && !negated.contains("inplace")
        guard inplace else { return }
        let name = append ? "--append" : "--inplace"
        if xfer.delayUpdates && !negated.contains("delay-updates") {
            throw SyError("\(name) cannot be used with --delay-updates", status: .syntax)
        }
        if xfer.partialDir != nil { throw SyError("\(name) cannot be used with --partial-dir", status: .syntax) }
    }

    /// The request, after `--no-OPTION` negations (applied last, as rsync does).
    func request(negated: Set<String>) -> SyncRequest {
        var r = SyncRequest()
        r.sources = paths.count == 1 ? paths : Array(paths.dropLast())
        r.destination = paths.count == 1 ? "" : paths.last!
        func on(_ flag: Bool, _ names: String...) -> Bool { flag && !names.contains(where: negated.contains) }
        r.recursive = on(pres.recursive || pres.archive, "recursive", "r")
        r.links = on(pres.links || pres.archive, "links", "l")
        r.perms = on(pres.perms || pres.archive, "perms", "p")
        r.times = on(pres.times || pres.archive, "times", "t")
        r.group = on(pres.group || pres.archive, "group", "g")
        r.owner = on(pres.owner || pres.archive, "owner", "o")
        r.devices = on(pres.devices || pres.devicesAndSpecials || pres.archive, "devices", "D")
        r.specials = on(pres.specials || pres.devicesAndSpecials || pres.archive, "specials", "D")
        r.hardLinks = on(pres.hardLinks, "hard-links", "H")
        r.oneFileSystem = on(pres.oneFileSystem, "one-file-system", "x")
        r.numericIds = pres.numericIds
        r.superMode = negated.contains("super") ? .none : pres.fakeSuper ? .fake : .asIs
        r.remoteSuperMode = net.remoteOptions.last.flatMap(SuperMode.init(option:))
        r.symlinks = pres.copyLinks ? .follow : pres.copyUnsafeLinks ? .followUnsafe
            : pres.copyDirlinks ? (pres.safeLinks ? .followDirsSkipUnsafe : .followDirs) : pres.safeLinks ? .skipUnsafe : .keep
        // --files-from implies -R and -d, and -a no longer implies -r.
        r.relative = on(pres.relative || sel.filesFrom != nil, "relative", "R")
        r.impliedDirs = !pres.noImpliedDirs && !negated.contains("implied-dirs") && !negated.contains("i-d")
        if sel.filesFrom != nil {
            r.recursive = on(pres.recursive, "recursive", "r")
            r.dirs = true
        }
        r.delete = on(del.delete || del.deleteBefore || del.deleteDuring || del.deleteDelay || del.deleteAfter, "delete")
        if del.deleteBefore { r.deleteMode = .before } else if del.deleteAfter { r.deleteMode = .after } else if del.deleteDelay { r.deleteMode = .delay }
        r.force = on(del.force, "force")
        r.deleteExcluded = del.deleteExcluded
        // rsync: a negative --max-delete allows no deletions.
        r.maxDelete = del.maxDelete.map { max(0, $0) }
        r.minSize = sel.minSize
        r.modifyWindow = sel.modifyWindow ?? 0
        r.chmod = pres.chmod
        r.timeout = negated.contains("timeout") ? 0 : xfer.timeout ?? 0
        r.omitDirTimes = on(pres.omitDirTimes, "omit-dir-times", "O")
        r.keepDirlinks = on(pres.keepDirlinks, "keep-dirlinks", "K")
        r.ignoreErrors = on(del.ignoreErrors, "ignore-errors")
        r.dirs = pres.dirs || sel.filesFrom != nil
        r.maxSize = sel.maxSize
        // (--backup-dir makes backups whatever --no-backup says, wherever it stands: rsync's way.)
        if on(del.backup, "backup", "b") || del.backupDir != nil {
            r.backupSuffix = del.suffix ?? (del.backupDir == nil ? "~" : "")
            // rsync: backups beside their files imply -O (directory times are left alone).
            if del.backupDir == nil { r.omitDirTimes = true }
            r.backupDir = del.backupDir
        }
        if del.deleteExcluded { r.delete = true }
        r.checksum = on(sel.checksum, "checksum", "c")
        r.ignoreTimes = on(sel.ignoreTimes, "ignore-times", "I")
        r.sizeOnly = sel.sizeOnly
        r.update = on(sel.update, "update", "u")
        r.ignoreExisting = sel.ignoreExisting
        r.existing = sel.existing
        if xfer.wholeFile { r.wholeFile = true }
        if negated.contains("whole-file") || negated.contains("W") { r.wholeFile = false }
        r.inplace = on(xfer.inplace, "inplace")
        r.linkDests = xfer.linkDest + xfer.copyDest
        r.copyDest = !xfer.copyDest.isEmpty
        r.compareDests = xfer.compareDest
        if (xfer.partial || xfer.partialProgress || xfer.partialDir != nil) && !negated.contains("partial") {
            r.partialDir = xfer.partialDir ?? ".sy-partial"
        }
        r.tempDir = xfer.tempDir
        // rsync takes any block size; below sy's smallest, the smallest (the result is the same file).
        r.blockSize = xfer.blockSize.map { max($0, SignatureLimits.minBlock) }
        r.mkpath = on(xfer.mkpath, "mkpath")
        r.insecureLinks = xfer.insecureLinks
        r.mungeLinks = xfer.mungeLinks
        r.dryRun = xfer.dryRun
        r.compress = on(net.compress || net.compressLevel != nil || compat.oldCompress, "compress", "z")
        // zstd's levels are 1-22; rsync takes any number (0: the default).
        r.compressLevel = r.compress ? net.compressLevel.flatMap { $0 == 0 ? nil : min(max($0, 1), 22) } : nil
        r.rsh = net.rsh
        if net.ipv4 || net.ipv4Long || net.ipv6 || net.ipv6Long {
            r.sshOptions = [net.ipv6 || net.ipv6Long ? "-6" : "-4"]
        }
        r.executability = on(pres.executability, "executability", "E")
        r.xattrs = on(pres.xattrs, "xattrs", "X")
        r.acls = on(pres.acls, "acls", "A")
        if r.acls { r.perms = true }
        r.omitLinkTimes = on(pres.omitLinkTimes, "omit-link-times", "J")
        r.atimes = on(pres.atimes, "atimes", "U")
        r.openNoAtime = on(pres.openNoAtime, "open-noatime")
        r.fsync = xfer.fsync
        // (--qsort turns incremental recursion off in rsync.)
        r.noIncRecursive = negated.contains("inc-recursive") || negated.contains("i-r") || on(compat.qsort, "qsort")
        r.jobs = xfer.jobs
        r.fuzzy = on(xfer.fuzzy, "fuzzy", "y")
        if let m = xfer.stopAfter { r.stopAt = wallNanos() + UInt64(m * 60e9) }
        if let a = xfer.stopAt { r.stopAt = StopTime.parse(a) }
        r.removeSourceFiles = del.removeSourceFiles
        if let b = xfer.onlyWriteBatch ?? xfer.writeBatch { r.writeBatch = b; r.batchOnly = xfer.onlyWriteBatch != nil }
        if let b = xfer.readBatch {
            // (rsync takes the last path as the destination and the others for nothing.)
            r.readBatch = b
            r.sources = []
            r.destination = paths.last ?? ""
        }
        r.appendVerify = xfer.appendVerify && !negated.contains("append")
        r.append = (xfer.append || xfer.appendVerify) && !negated.contains("append")
        // --delay-updates holds files in the partial dir (rsync's default name .~tmp~).
        r.delayUpdates = on(xfer.delayUpdates, "delay-updates") && !r.inplace
        if r.delayUpdates && r.partialDir == nil { r.partialDir = ".~tmp~" }
        r.sparse = on(xfer.sparse, "sparse", "S")
        r.preallocate = xfer.preallocate
        r.outFormat = out.outFormat
        // rsync writes the log where it runs: sy gives it an absolute path for the receiver.
        r.logFile = out.logFile.map { $0.hasPrefix("/") ? $0 : currentDirectory() + "/" + $0 }
        r.logFileFormat = out.logFileFormat
        r.usermap = pres.usermap
        r.groupmap = pres.groupmap
        if let c = pres.chown {
            // --chown=USER:GROUP is --usermap=*:USER --groupmap=*:GROUP.
            let parts = c.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if !parts[0].isEmpty { r.usermap = "*:" + parts[0] }
            if parts.count > 1 && !parts[1].isEmpty { r.groupmap = "*:" + parts[1] }
        }
        // As rsync, --usermap implies -o and --groupmap -g (unless a later --no-o, --no-g).
        if r.usermap != nil && on(true, "owner", "o") { r.owner = true }
        if r.groupmap != nil && on(true, "group", "g") { r.group = true }
        r.pruneEmptyDirs = on(sel.pruneEmptyDirs, "prune-empty-dirs", "m")
        r.ignoreMissingArgs = del.ignoreMissingArgs
        r.deleteMissingArgs = del.deleteMissingArgs
        if compat.compressChoice == "none" { r.compress = false }
        let program = net.rsyncPath.map(RemoteProgram.init)
        r.remoteSy = net.remoteSy ?? program?.dir
        r.remotePrefix = program?.prefix ?? ""
        r.bwlimit = negated.contains("bwlimit") ? 0 : net.bwlimit.flatMap(RateLimiter.parse) ?? 0
        r.verbose = negated.contains("verbose") || negated.contains("v") ? 0 : out.verbose
        r.quiet = out.quiet
        r.itemize = on(out.itemize > 0, "itemize-changes", "i")
        // rsync lists unchanged entries too when the format has %i and -i is given twice or -v is.
        let hasI = out.outFormat.map { $0.contains("%i") } ?? r.itemize
        r.itemizeUnchanged = hasI && ((r.itemize && out.itemize > 1) || r.verbose > 1)
        r.stats = on(out.stats, "stats")
        r.info = out.info
        r.debug = compat.debug
        let levels = InfoLevels(verbose: 0, progress: out.progress || xfer.partialProgress, items: out.info)
        r.progress = on(levels.progress == 1, "progress")
        r.progress2 = levels.progress >= 2
        r.humanReadable = on(out.humanReadable, "human-readable", "h")
        r.json = out.json
        r.nameEscape = NameEscape.fromLocale(eightBit: on(out.eightBit, "8-bit-output", "8"))
        return r
    }
}

/// What to copy and preserve (a group of `sy --help`).
struct PreservationOptions: ParsableArguments {
    @Flag(name: [.customShort("a"), .customLong("archive")], help: "Archive mode: -rlptgoD.")
    var archive = false
    @Flag(name: [.customShort("r"), .customLong("recursive")], help: "Recurse into directories.")
    var recursive = false
    @Flag(name: [.customShort("l"), .customLong("links")], help: "Copy symlinks as symlinks.")
    var links = false
    @Flag(name: [.customShort("p"), .customLong("perms")], help: "Preserve permissions.")
    var perms = false
    @Flag(name: [.customShort("t"), .customLong("times")], help: "Preserve modification times (ns).")
    var times = false
    @Flag(name: [.customShort("g"), .customLong("group")], help: "Preserve group.")
    var group = false
    @Flag(name: [.customShort("o"), .customLong("owner")], help: "Preserve owner (super-user only).")
    var owner = false
    @Flag(name: .customShort("D"), help: "Same as --devices --specials.")
    var devicesAndSpecials = false
    @Flag(name: .customLong("devices"), help: "Preserve device files (super-user only).")
    var devices = false
    @Flag(name: .customLong("specials"), help: "Preserve special files.")
    var specials = false
    @Flag(name: [.customShort("H"), .customLong("hard-links")], help: "Preserve hard links.")
    var hardLinks = false
    @Flag(name: [.customShort("x"), .customLong("one-file-system")], help: "Don't cross filesystem boundaries.")
    var oneFileSystem = false
    @Flag(name: .customLong("numeric-ids"), help: "Don't map uid/gid values by user/group name.")
    var numericIds = false
    @Flag(name: .customLong("fake-super"), help: "Store/recover privileged attributes using xattrs (this side; the other with -M--fake-super).")
    var fakeSuper = false
    @Option(name: .customLong("usermap"), help: "Custom username mapping.")
    var usermap: String?
    @Option(name: .customLong("groupmap"), help: "Custom groupname mapping.")
    var groupmap: String?
    @Option(name: .customLong("chown"), help: "Simple username/groupname mapping.")
    var chown: String?
    @Flag(name: [.customShort("A"), .customLong("acls")], help: "Preserve ACLs (implies --perms).")
    var acls = false
    @Flag(name: [.customShort("X"), .customLong("xattrs")], help: "Preserve extended attributes.")
    var xattrs = false
    @Flag(name: [.customShort("E"), .customLong("executability")], help: "Preserve executability.")
    var executability = false
    @Flag(name: [.customShort("J"), .customLong("omit-link-times")], help: "Omit symlinks from --times.")
    var omitLinkTimes = false
    @Flag(name: [.customShort("U"), .customLong("atimes")], help: "Preserve access (use) times.")
    var atimes = false
    @Flag(name: .customLong("open-noatime"), help: "Avoid changing the atime on opened files.")
    var openNoAtime = false
    @Flag(name: [.customShort("O"), .customLong("omit-dir-times")], help: "Omit directories from --times.")
    var omitDirTimes = false
    @Flag(name: [.customShort("K"), .customLong("keep-dirlinks")], help: "Treat symlinked dir on receiver as dir.")
    var keepDirlinks = false
    @Option(name: .customLong("chmod"), help: "Affect file and/or directory permissions (rsync's syntax).")
    var chmod: [String] = []
    @Flag(name: [.customShort("L"), .customLong("copy-links")], help: "Transform symlink into referent file/dir.")
    var copyLinks = false
    @Flag(name: .customLong("copy-unsafe-links"), help: "Only \"unsafe\" symlinks are transformed.")
    var copyUnsafeLinks = false
    @Flag(name: .customLong("safe-links"), help: "Ignore symlinks that point outside the tree.")
    var safeLinks = false
    @Flag(name: [.customShort("k"), .customLong("copy-dirlinks")], help: "Transform symlink to dir into referent dir.")
    var copyDirlinks = false
    @Flag(name: [.customShort("R"), .customLong("relative")], help: "Use relative path names.")
    var relative = false
    @Flag(name: .customLong("no-implied-dirs"), help: "Don't send implied dirs with --relative.")
    var noImpliedDirs = false
    @Flag(name: [.customShort("d"), .customLong("dirs")], help: "Transfer directories without recursing.")
    var dirs = false
}

/// Deletion and backups (a group of `sy --help`).
struct DeletionOptions: ParsableArguments {
    @Flag(name: .customLong("delete"), help: "Delete extraneous files from destination dirs.")
    var delete = false
    @Flag(name: .customLong("delete-before"), help: "Receiver deletes before transfer.")
    var deleteBefore = false
    @Flag(name: [.customLong("delete-during"), .customLong("del")], help: "Receiver deletes during the transfer (--del).")
    var deleteDuring = false
    @Flag(name: .customLong("delete-delay"), help: "Find deletions during, delete after.")
    var deleteDelay = false
    @Flag(name: .customLong("delete-after"), help: "Receiver deletes after transfer.")
    var deleteAfter = false
    @Flag(name: .customLong("delete-excluded"), help: "Also delete excluded files from destination dirs.")
    var deleteExcluded = false
    @Flag(name: .customLong("force"), help: "Force deletion of directories even if not empty.")
    var force = false
    @Option(name: .customLong("max-delete"), help: "Don't delete more than NUM files (exit 25 past it).")
    var maxDelete: Int?
    @Flag(name: .customLong("ignore-errors"), help: "Delete even if there are I/O errors.")
    var ignoreErrors = false
    @Flag(name: .customLong("ignore-missing-args"), help: "Ignore missing source args without error.")
    var ignoreMissingArgs = false
    @Flag(name: .customLong("delete-missing-args"), help: "Delete missing source args from destination.")
    var deleteMissingArgs = false
    @Flag(name: [.customLong("remove-source-files"), .customLong("remove-sent-files")], help: "Sender removes synchronized files (non-dir).")
    var removeSourceFiles = false
    @Flag(name: [.customShort("b"), .customLong("backup")], help: "Make backups (see --suffix & --backup-dir).")
    var backup = false
    @Option(name: .customLong("backup-dir"), help: "Make backups into hierarchy based in DIR.")
    var backupDir: String?
    @Option(name: .customLong("suffix"), help: "Backup suffix (default ~ w/o --backup-dir).")
    var suffix: String?
}

/// Which files to transfer (a group of `sy --help`).
struct SelectionOptions: ParsableArguments {
    @Flag(name: .customLong("gitignore"), help: "Leave out what .gitignore files (and .git/info/exclude) ignore, with git's rules.")
    var gitignore = false
    @Flag(name: .customLong("syignore"), help: "Leave out what each directory's .syignore lists (gitignore syntax).")
    var syignore = false
    @Flag(name: [.customShort("c"), .customLong("checksum")], help: "Skip based on checksum, not mod-time & size.")
    var checksum = false
    @Flag(name: [.customShort("I"), .customLong("ignore-times")], help: "Don't skip files that match size and time.")
    var ignoreTimes = false
    @Flag(name: .customLong("size-only"), help: "Skip files that match in size.")
    var sizeOnly = false
    @Option(name: [.customLong("modify-window"), .customShort("@")], help: "Set the accuracy for mod-time comparisons (seconds).")
    var modifyWindow: Int64?
    @Flag(name: [.customShort("u"), .customLong("update")], help: "Skip files that are newer on the receiver.")
    var update = false
    @Flag(name: .customLong("ignore-existing"), help: "Skip updating files that exist on receiver.")
    var ignoreExisting = false
    @Flag(name: [.customLong("existing"), .customLong("ignore-non-existing")], help: "Skip creating new files on receiver.")
    var existing = false
    @Option(name: .customLong("min-size"), help: "Don't transfer any file smaller than SIZE.")
    var minSize: String?
    @Option(name: .customLong("max-size"), help: "Don't transfer any file larger than SIZE.")
    var maxSize: String?
    @Option(name: .customLong("files-from"), help: "Read list of source-file names from FILE ('-': stdin).")
    var filesFrom: String?
    @Flag(name: [.customShort("0"), .customLong("from0")], help: "All *-from/filter files are delimited by 0s.")
    var from0 = false
    @Flag(name: [.customShort("C"), .customLong("cvs-exclude")], help: "Auto-ignore files in the same way CVS does.")
    var cvsExclude = false
    @Flag(name: [.customShort("m"), .customLong("prune-empty-dirs")], help: "Prune empty directory chains from file-list.")
    var pruneEmptyDirs = false
}

/// How files are written (a group of `sy --help`).
struct TransferOptions: ParsableArguments {
    @Flag(name: [.customShort("y"), .customLong("fuzzy")], help: "Find similar file for basis if no dest file.")
    var fuzzy = false
    @Option(name: [.customLong("stop-after"), .customLong("time-limit")], help: "Stop after MINS minutes have elapsed (exit 30; fractions allowed).")
    var stopAfter: Double?
    @Option(name: .customLong("stop-at"), help: "Stop at the specified point in time (y-m-dTh:m, local time).")
    var stopAt: String?
    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Threads sy-sum uses to sign one file (default 2).")
    var jobs: Int?
    @Flag(name: [.customShort("W"), .customLong("whole-file")], help: "Copy files whole (the default when local).")
    var wholeFile = false
    @Flag(name: .customLong("inplace"), help: "Update destination files in-place.")
    var inplace = false
    @Flag(name: .customLong("append"), help: "Append data onto shorter files.")
    var append = false
    @Flag(name: .customLong("append-verify"), help: "--append w/old data in file checksum.")
    var appendVerify = false
    @Flag(name: .customLong("partial"), help: "Keep partially transferred files (in .sy-partial) and resume from them.")
    var partial = false
    @Option(name: .customLong("partial-dir"), help: "Put a partially transferred file into DIR (a plain name: beside each file; or an absolute directory).")
    var partialDir: String?
    @Option(name: [.customShort("T"), .customLong("temp-dir")], help: "Create temporary files in directory DIR.")
    var tempDir: String?
    @Flag(name: .customShort("P"), help: "Same as --partial --progress.")
    var partialProgress = false
    @Flag(name: .customLong("delay-updates"), help: "Put all updated files into place at end.")
    var delayUpdates = false
    @Option(name: .customLong("link-dest"), help: "Hardlink to files in DIR when unchanged (up to 20).")
    var linkDest: [String] = []
    @Option(name: .customLong("compare-dest"), help: "Also compare destination files relative to DIR.")
    var compareDest: [String] = []
    @Option(name: .customLong("copy-dest"), help: "... and include copies of unchanged files.")
    var copyDest: [String] = []
    @Option(name: [.customShort("B"), .customLong("block-size")], help: "Force a fixed checksum block-size.")
    var blockSize: Int?
    @Flag(name: [.customShort("S"), .customLong("sparse")], help: "Turn sequences of nulls into sparse blocks.")
    var sparse = false
    @Flag(name: .customLong("preallocate"), help: "Allocate dest files before writing them.")
    var preallocate = false
    @Flag(name: .customLong("fsync"), help: "Fsync every written file.")
    var fsync = false
    @Flag(name: .customLong("mkpath"), help: "Create the destination's path component.")
    var mkpath = false
    @Flag(name: .customLong("munge-links"), help: "Munge symlinks to make them safe & unusable (on this side only, as rsync).")
    var mungeLinks = false
    @Flag(name: .customLong("insecure-links"), help: "Follow symlinks of other users on the way to the destination (local side only).")
    var insecureLinks = false
    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Perform a trial run with no changes made.")
    var dryRun = false
    @Option(name: .customLong("write-batch"), help: "Write a batched update to FILE (and FILE.sh, which repeats it with --read-batch).")
    var writeBatch: String?
    @Option(name: .customLong("only-write-batch"), help: "Like --write-batch but w/o updating dest.")
    var onlyWriteBatch: String?
    @Option(name: .customLong("read-batch"), help: "Read a batched update from FILE (- for stdin) and apply it to DEST.")
    var readBatch: String?
    @Option(name: .customLong("timeout"), help: "Set I/O timeout in seconds (exit 30 when nothing arrives for that long).")
    var timeout: Int?
}

/// Remote shell and network (a group of `sy --help`).
struct RemoteOptions: ParsableArguments {
    @Flag(name: [.customShort("z"), .customLong("compress")], help: "Compress file data during the transfer (zstd).")
    var compress = false
    @Option(name: [.customLong("compress-level"), .customLong("zl")], help: "Explicitly set compression level (1-22).")
    var compressLevel: Int?
    @Option(name: [.customShort("e"), .customLong("rsh")], help: "Specify the remote shell to use.")
    var rsh: String?
    @Option(name: .customLong("remote-sy"), help: "Where the sy tools are on the remote machine.")
    var remoteSy: String?
    @Option(name: [.customShort("M"), .customLong("remote-option")], parsing: .unconditionalSingleValue,
            help: "Send OPTION to the remote side only: --fake-super, --super or --no-super.")
    var remoteOptions: [String] = []
    @Option(name: .customLong("rsync-path"), help: "What the remote shell runs instead of rsync: `sudo rsync`, `/opt/bin/sy`, or a directory.")
    var rsyncPath: String?
    @Option(name: .customLong("bwlimit"), help: "Limit the transfer rate (KiB/s, or with a B/K/M/G suffix).")
    var bwlimit: String?
    @Flag(name: .customShort("4"), help: "Prefer IPv4 (passed to ssh).")
    var ipv4 = false
    @Flag(name: .customShort("6"), help: "Prefer IPv6 (passed to ssh).")
    var ipv6 = false
    @Flag(name: .customLong("ipv4"), help: "Same as -4.")
    var ipv4Long = false
    @Flag(name: .customLong("ipv6"), help: "Same as -6.")
    var ipv6Long = false
}

/// Output (a group of `sy --help`).
struct OutputFlags: ParsableArguments {
    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Increase verbosity.")
    var verbose: Int
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Suppress non-error messages.")
    var quiet = false
    @Flag(name: [.customShort("i"), .customLong("itemize-changes")], help: "Output a change-summary for all updates (-ii: for every entry).")
    var itemize: Int
    @Flag(name: .customLong("stats"), help: "Give some file-transfer stats.")
    var stats = false
    @Flag(name: .customLong("progress"), help: "Show progress during transfer.")
    var progress = false
    @Option(name: .customLong("info"), help: "Fine-grained informational verbosity (name, del, stats, flist, progress).")
    var info: [String] = []
    @Flag(name: [.customShort("h"), .customLong("human-readable")], help: "Output numbers in a human-readable format.")
    var humanReadable = false
    @Option(name: [.customLong("out-format"), .customLong("log-format")], help: "Output updates using the specified FORMAT.")
    var outFormat: String?
    @Option(name: .customLong("log-file"), help: "Log what we're doing to the specified FILE.")
    var logFile: String?
    @Option(name: .customLong("log-file-format"), help: "Log updates using the specified FMT.")
    var logFileFormat: String?
    @Flag(name: .customLong("list-only"), help: "List the files instead of copying them.")
    var listOnly = false
    @Flag(name: .customLong("json"), help: "JSON Lines events on stdout, then a summary.")
    var json = false
    @Flag(name: [.customShort("8"), .customLong("8-bit-output")], help: "Leave high-bit chars unescaped in output.")
    var eightBit = false
}

/// Accepted for rsync scripts (a group of `sy --help`).
struct AcceptedOptions: ParsableArguments {
    @Flag(name: [.customLong("inc-recursive"), .customLong("i-r")], help: "Accepted: sy always streams the file list.")
    var incRecursive = false
    @Flag(name: .customLong("blocking-io"), help: "Accepted: sy's pipes to ssh always block.")
    var blockingIO = false
    @Flag(name: [.customShort("s"), .customLong("secluded-args"), .customLong("protect-args")], help: "Accepted: sy always quotes remote arguments.")
    var secludedArgs = false
    @Flag(name: .customLong("old-args"), help: "Accepted: sy always quotes remote arguments.")
    var oldArgs = false
    @Flag(name: .customLong("trust-sender"), help: "Accepted: sy always checks the sender's paths.")
    var trustSender = false
    @Option(name: [.customLong("checksum-choice"), .customLong("cc")], help: "Accepted with rsync's names: sy checksums with XXH3.")
    var checksumChoice: String?
    @Option(name: [.customLong("compress-choice"), .customLong("zc")], help: "Accepted with rsync's names: sy compresses with zstd (none: no compression).")
    var compressChoice: String?
    @Option(name: .customLong("checksum-seed"), help: "Accepted: XXH3 sums take no seed.")
    var checksumSeed: Int?
    @Flag(name: [.customLong("new-compress"), .customLong("old-compress")], help: "Same as -z (rsync's zlib variants; sy uses zstd).")
    var oldCompress = false
    @Flag(name: [.customLong("implied-dirs"), .customLong("i-d")], help: "Accepted: the default (see --no-implied-dirs).")
    var impliedDirs = false
    @Flag(name: [.customLong("no-motd"), .customLong("motd")], help: "Accepted: only a daemon has a message of the day.")
    var noMotd = false
    @Flag(name: .customLong("no-iconv"), help: "Accepted: sy copies names as bytes.")
    var noIconv = false
    @Flag(name: [.customLong("msgs2stderr"), .customLong("no-msgs2stderr")], help: "Accepted: sy's errors go to stderr, its listing to stdout.")
    var msgs2stderr = false
    @Option(name: .customLong("skip-compress"), help: "Accepted: zstd stores incompressible blocks raw.")
    var skipCompress: String?
    @Option(name: .customLong("max-alloc"), help: "Accepted: sy's memory use is bounded by design.")
    var maxAlloc: String?
    @Option(name: .customLong("outbuf"), help: "Output buffering: N, L or B (sy writes whole lines).")
    var outbuf: String?
    @Option(name: .customLong("debug"), help: "rsync's debug items: flist, deltasum and filter print their -vv lines; the rest are accepted.")
    var debug: [String] = []
    @Flag(name: .customLong("qsort"), help: "Accepted: sy sorts names its own way; as in rsync, it turns incremental recursion off.")
    var qsort = false
    @Option(name: .customLong("port"), help: "Accepted: the port of an rsync daemon, which sy does not use (ssh's port: -e 'ssh -p N').")
    var port: Int?
    @Option(name: .customLong("protocol"), help: "Accepted: sy's tools speak their own versioned stream format.")
    var proto: Int?
    @Option(name: .customLong("stderr"), help: "Where messages go: errors, all or client (sy: errors to stderr).")
    var stderrMode: String?
}
