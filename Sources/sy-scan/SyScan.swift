import ArgumentParser
import SyCore

/// `sy-scan SRC...`: walk source trees and write an entry stream to stdout.
struct SyScan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sy-scan",
        abstract: "Walk a tree and write an sy entry stream to stdout.",
        discussion: """
            A trailing slash sends a directory's contents (it becomes '.'); without one the
            directory itself is sent under its name, as with rsync. Entries come in stream
            order: depth first, names compared bytewise (see sy-stream(5)).
            Exit status: 0, 23 if some entries could not be read, 24 if some vanished.
            """,
        version: versionString("sy-scan"))

    @Flag(name: [.customShort("x"), .customLong("one-file-system")], help: "Do not cross filesystem boundaries.")
    var oneFileSystem = false

    @Flag(name: [.customShort("c"), .long], help: "Add a whole-file XXH3-128 to each regular file.")
    var checksum = false

    @Flag(name: [.customShort("U"), .customLong("atimes")], help: "Send each non-directory's access time (whole seconds).")
    var atimes = false
    @Flag(name: .customLong("open-noatime"), help: "Read files (-c) without changing their access times.")
    var openNoAtime = false

    @Flag(name: .customLong("no-recursive"), help: "List the top level only; skip directories.")
    var noRecursive = false
    @Flag(name: [.customShort("d"), .customLong("dirs")], help: "With --no-recursive, list directories without their contents.")
    var dirs = false

    @Flag(name: [.customShort("R"), .customLong("relative")], help: "Send each source under its path (a/b/f as a/b/f, with a and a/b); '/./' ends the part left out.")
    var relative = false
    @Flag(name: .customLong("no-implied-dirs"), help: "With -R, do not send the parent directories of the sources.")
    var noImpliedDirs = false
    @Option(name: .customLong("files-from"), help: "Send the names listed in FILE ('-': stdin), below the one source directory (implies -R).")
    var filesFrom: String?
    @Flag(name: [.customShort("0"), .customLong("from0")], help: "Names in --files-from end with NUL, not newline.")
    var from0 = false

    @Flag(name: [.customShort("L"), .customLong("copy-links")], help: "Follow symlinks: send what they point to.")
    var copyLinks = false
    @Flag(name: [.customShort("k"), .customLong("copy-dirlinks")], help: "Follow symlinks to directories.")
    var copyDirlinks = false
    @Flag(name: .customLong("copy-unsafe-links"), help: "Follow symlinks that point outside the tree.")
    var copyUnsafeLinks = false
    @Flag(name: .customLong("note-unsafe-links"), help: "With --copy-unsafe-links: a note (rsync's -v line 'copying unsafe symlink \"L\" -> \"T\"') for each one followed.")
    var noteUnsafeLinks = false
    @Flag(name: .customLong("filter-notes"), help: "A note for each entry a filter rule hides or shows (rsync -vv's '[sender] hiding file x because of pattern *.o').")
    var filterNotes = false
    @Flag(name: .customLong("safe-links"), help: "Leave out symlinks that point outside the tree.")
    var safeLinks = false

    @Flag(name: [.customShort("X"), .customLong("xattrs")], help: "List extended attributes (user.*; as root also trusted.* and security.*).")
    var xattrs = false
    @Flag(name: [.customShort("A"), .customLong("acls")], help: "List POSIX ACLs.")
    var acls = false
    @Flag(name: [.customShort("m"), .customLong("prune-empty-dirs")], help: "Leave out directories with no files below them.")
    var pruneEmptyDirs = false
    @Flag(name: .customLong("delete-excluded"), help: "The receiver deletes excluded entries: rules that name no side are the sender's only (with -m, for the directories the receiver's rules keep).")
    var deleteExcluded = false
    @Option(name: .customLong("receiver-cwd"), help: ArgumentHelp("With -m: the receiver's working directory, for rules with the / modifier.", valueName: "dir"))
    var receiverCwd: String?
    @Flag(name: .customLong("send-filter-files"), help: "Send the per-directory merge files read (for a receiver deleting after the transfer).")
    var sendFilterFiles = false
    @Flag(name: .customLong("ignore-missing-args"), help: "A source that does not exist is no error.")
    var ignoreMissingArgs = false
    @Flag(name: .customLong("delete-missing-args"), help: "Send a missing source as a deletion request for its path.")
    var deleteMissingArgs = false

    @Option(name: .customLong("list-index"), help: "Number the entries as rsync's file list (incremental or whole), for --progress.")
    var listIndex: ListIndexMode?
    @Option(name: .customLong("top-name"), help: "Send a single source under this name.")
    var topName: String?
    @Flag(name: .customLong("unmunge-links"), help: "Take rsync's munged prefix (/rsyncd-munged/) off symlink targets (sy --munge-links on the sending side).")
    var unmungeLinks = false
    @Option(name: .customLong("chmod"), help: "Change the listed permissions (rsync's --chmod syntax; repeatable).")
    var chmod: [String] = []
    @Flag(name: .customLong("fake-super"), help: "Read owners, modes, devices and symlinks kept by --fake-super (the xattr user.rsync.%stat) in place of the files' own.")
    var fakeSuper = false
    @Flag(name: .customLong("names"), help: "Send user and group names so the receiver maps ids by name.")
    var names = false
    @Flag(name: [.customShort("z"), .customLong("compress")], help: "Compress the stream with zstd (level 3).")
    var compress = false
    @Option(name: .customLong("compress-level"), help: "zstd level 1-22 (implies -z).")
    var compressLevel: Int?

    @Option(name: [.customShort("f"), .customLong("filter")], help: "An include/exclude rule ('- PATTERN' or '+ PATTERN'), in order.")
    var filter: [String] = []

    @Argument(help: "Source files or directories.")
    var sources: [String]

    func validate() throws {
        if sources.isEmpty { throw ValidationError("no source given") }
        if filesFrom != nil && sources.count != 1 { throw ValidationError("--files-from takes exactly one source directory") }
        for f in filter where FilterRule(rule: f) == nil { throw ValidationError("invalid filter rule '\(f)'") }
        for c in chmod where ChmodSpec(c) == nil { throw ValidationError("invalid --chmod '\(c)'") }
    }
}

extension ListIndexMode: ExpressibleByArgument {}

toolMain(SyScan.self, name: "sy-scan") { cmd in
    var options = ScanOptions()
    FakeStat.enabled = cmd.fakeSuper
    options.oneFileSystem = cmd.oneFileSystem
    options.checksum = cmd.checksum
    options.atimes = cmd.atimes
    Sys.openNoAtime = cmd.openNoAtime
    options.recursive = !cmd.noRecursive
    options.dirs = cmd.dirs
    options.topName = cmd.topName?.pathBytes
    options.sendNames = cmd.names
    options.relative = cmd.relative
    options.ignoreMissing = cmd.ignoreMissingArgs
    options.pruneEmptyDirs = cmd.pruneEmptyDirs
    options.receiverCwd = cmd.receiverCwd.map { FilterList.absolutePath($0.pathBytes) }
    options.listIndex = cmd.listIndex
    options.sendFilterFiles = cmd.sendFilterFiles
    options.xattrSelection = XattrSelection(xattrs: cmd.xattrs, acls: cmd.acls, sending: true)
    options.deleteMissing = cmd.deleteMissingArgs
    options.symlinks = cmd.copyLinks ? .follow : cmd.copyUnsafeLinks ? .followUnsafe
        : cmd.copyDirlinks ? (cmd.safeLinks ? .followDirsSkipUnsafe : .followDirs)
        : cmd.safeLinks ? .skipUnsafe : .keep
    options.impliedDirs = !cmd.noImpliedDirs
    options.noteUnsafeLinks = cmd.noteUnsafeLinks
    options.filterNotes = cmd.filterNotes
    if let f = cmd.filesFrom {
        options.filesFrom = try FilesFrom.read(f, nulSeparated: cmd.from0)
        options.dirs = true
    }
    options.chmod = cmd.chmod.compactMap(ChmodSpec.init)
    options.unmungeLinks = cmd.unmungeLinks
    options.filters = try FilterList(parsing: cmd.filter, deleteExcluded: cmd.deleteExcluded)
    options.filters.absoluteRoot = FilterList.absolutePath(Scanner.listingDirectory(of: cmd.sources.first?.pathBytes ?? [0x2E],
                                                                                     relative: cmd.relative))
    let level = cmd.compressLevel ?? (cmd.compress ? 3 : nil)
    let out = try StreamWriter(fd: 1, kind: .entries, producer: versionString("sy-scan"), compressLevel: level)
    // With -c each entry costs a read of its file: sy-sum hashes the other side meanwhile.
    if cmd.checksum { out.flushAt = 16 << 10 }
    return try Scanner.run(sources: cmd.sources.map(\.pathBytes), options: options, out: out)
}
