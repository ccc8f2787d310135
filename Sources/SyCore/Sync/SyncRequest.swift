/// What a side does with what needs root to set: owners, devices, set-ID bits.
public enum SuperMode: Sendable, Equatable {
    /// What its user may (all of it as root).
    case asIs
    /// `--fake-super`: kept in xattrs (`FakeStat`).
    case fake
    /// `--no-super`: as a user who is not root, even when run as root.
    case none

    /// The mode an -M option names (`--super`, `--fake-super`, `--no-super`).
    public init?(option: String) {
        switch option {
        case "--super": self = .asIs
        case "--fake-super": self = .fake
        case "--no-super": self = .none
        default: return nil
        }
    }
}

/// Everything `sy SRC... DST` was asked to do, independent of how the options were spelled.
public struct SyncRequest: Sendable {
    public var sources: [String] = []
    public var destination: String = ""

    // Preservation (rsync's -rlptgoDH).
    public var recursive = false
    public var links = false
    public var perms = false
    public var times = false
    public var group = false
    public var owner = false
    public var devices = false
    public var specials = false
    public var hardLinks = false
    public var oneFileSystem = false
    public var numericIds = false
    /// `--fake-super` or `--no-super`: how this side treats what needs root (both sides of a
    /// local copy).
    public var superMode = SuperMode.asIs
    /// `-M--fake-super`, `-M--super` or `-M--no-super`: the remote side's (a local copy's
    /// receiver's); nil when -M named none.
    public var remoteSuperMode: SuperMode?

    // What to compare and change.
    public var delete = false
    public var deleteMode: DeleteMode = .during
    public var force = false
    /// Include/exclude rules in `--filter` form, in command-line order.
    public var filters: [String] = []
    public var deleteExcluded = false
    public var maxDelete: Int?
    /// `--min-size` / `--max-size` as given (rsync's SIZE syntax).
    public var minSize: String?
    public var modifyWindow: Int64 = 0
    /// `--chmod` values, applied by the sender.
    public var chmod: [String] = []
    /// `--timeout` seconds (0: none).
    public var timeout = 0
    public var omitDirTimes = false
    /// `-K`: a symlink to a directory in the destination stands for the directory the source sends.
    public var keepDirlinks = false
    public var ignoreErrors = false
    /// `-d`: without -r, directories themselves are sent (not skipped).
    public var dirs = false
    public var maxSize: String?
    /// `--backup`: the suffix (nil: no backups) and `--backup-dir`.
    public var backupSuffix: String?
    public var backupDir: String?
    public var checksum = false
    public var ignoreTimes = false
    public var sizeOnly = false
    public var update = false
    public var ignoreExisting = false
    public var existing = false
    /// nil: sy's default (whole files locally, delta remotely).
    public var wholeFile: Bool?
    public var inplace = false
    /// `--partial`: where interrupted files' data is kept (a name inside each directory).
    public var partialDir: String?
    /// `-T`: the receiver's directory for temporary files.
    public var tempDir: String?
    /// `--link-dest` and `--compare-dest` directories (relative to the destination).
    public var linkDests: [String] = []
    public var compareDests: [String] = []
    /// `--copy-dest`: the `linkDests` are copied from, not linked to.
    public var copyDest = false
    public var blockSize: Int?
    public var mkpath = false
    /// rsync's --insecure-links: symlinks of other users on the way to the destination are
    /// followed (on this machine only; a remote receiver keeps refusing them).
    public var insecureLinks = false
    /// rsync's --munge-links: the sending side here takes the munged prefix off symlink
    /// targets; a receiving side here (a pull) puts it on.
    public var mungeLinks = false
    public var dryRun = false
    public var executability = false
    /// `-X` / `-A`.
    public var xattrs = false
    public var acls = false
    public var sparse = false
    /// `-y`: similar destination files as the basis of new ones.
    public var fuzzy = false
    /// `--stop-after` / `--stop-at`: when to stop (ns since the epoch).
    public var stopAt: UInt64?
    /// `-j`: threads sy-sum uses to sign a file.
    public var jobs: Int?
    /// `--append` / `--append-verify`.
    public var append = false
    public var appendVerify = false
    public var delayUpdates = false
    public var preallocate = false
    /// `--remove-source-files`.
    public var removeSourceFiles = false
    /// `--out-format`, `--log-file`, `--log-file-format`.
    public var outFormat: String?
    public var logFile: String?
    public var logFileFormat: String?
    /// `--usermap` / `--groupmap` specs (`--chown` becomes `*:USER` / `*:GROUP`).
    public var usermap: String?
    public var groupmap: String?
    public var pruneEmptyDirs = false
    /// `--ignore-missing-args` / `--delete-missing-args`.
    public var ignoreMissingArgs = false
    public var deleteMissingArgs = false
    public var omitLinkTimes = false
    /// `-U`: access times preserved; `--open-noatime`: files read without changing theirs.
    public var atimes = false
    public var openNoAtime = false
    public var fsync = false
    /// `-R`: sources sent under their paths; `impliedDirs`: with their parent directories.
    public var relative = false
    public var impliedDirs = true
    /// Symlinks the sender follows or leaves out (-L, -k, --copy-unsafe-links, --safe-links).
    public var symlinks = SymlinkMode.keep
    /// `--files-from` list (names below the one source directory), already read.
    public var filesFrom: [UInt8]?

    // Transport.
    public var compress = false
    public var compressLevel: Int?
    public var rsh: String?
    /// Extra options for the remote shell (`-4`, `-6`).
    public var sshOptions: [String] = []
    public var remoteSy: String?
    /// Shell text the remote command starts with (from --rsync-path: `sudo`, `cd d &&`).
    public var remotePrefix = ""
    /// `--bwlimit` in bytes per second (0: none).
    public var bwlimit = 0

    // Output.
    public var itemize = false
    /// `-ii` (or -i with -vv): unchanged entries are itemized too (`.f          name`).
    public var itemizeUnchanged = false
    public var verbose = 0
    /// `--info` items, in order (see `InfoLevels`).
    public var info: [String] = []
    /// rsync's `--debug` items (sy prints for flist, deltasum and filter; see `InfoLevels`).
    public var debug: [String] = []
    /// What the output shows, from -v, -q, --progress, --stats and --info.
    public var infoLevels: InfoLevels {
        InfoLevels(verbose: verbose, progress: progress, stats: stats, quiet: quiet, items: info, debug: debug)
    }
    /// The levels of rsync's sender and generator where `role` puts them: the far end of an
    /// ssh transfer (the sender in a pull, the generator in a push) gets -v's count but not the
    /// --debug items, so its debug lines follow -vv alone.
    public func senderLevels(_ role: ClientRole) -> InfoLevels { role == .pull ? farEndLevels : infoLevels }
    public func generatorLevels(_ role: ClientRole) -> InfoLevels { role == .push ? farEndLevels : infoLevels }
    private var farEndLevels: InfoLevels { InfoLevels(verbose: verbose, progress: progress, stats: stats, quiet: quiet, items: info) }
    public var quiet = false
    public var stats = false
    public var progress = false
    public var progress2 = false
    public var humanReadable = false
    public var json = false
    /// How names are escaped on stdout (rsync's rule for this locale, or -8).
    public var nameEscape = NameEscape.utf8

    // Batch mode (see `BatchFile`).
    /// `--write-batch` / `--only-write-batch`: the batch file's path; `batchOnly`: the
    /// destination is left alone.
    public var writeBatch: String?
    public var batchOnly = false
    /// `--read-batch`: the batch to apply to the destination (`-`: standard input).
    public var readBatch: String?
    /// What `NAME.sh` holds (see `BatchFile.script`).
    public var batchScript = ""

    /// `--no-inc-recursive`: rsync then builds the whole list first (only its -v header differs).
    public var noIncRecursive = false

    public init() {}

    /// rsync's -vv note on whether deltas are sent (`whole`: whole files).
    public static func deltaNote(whole: Bool) -> String {
        whole ? "delta-transmission disabled for local transfer or --whole-file" : "delta-transmission enabled"
    }

    /// rsync's first -v line: incremental recursion unless an option turns it off; a whole
    /// list without -r for -d or --files-from; nothing for plain file arguments. A pull
    /// (`pull`) receives the list instead of building or sending it. With --progress and a
    /// whole list the line stops before "done": the count ends it.
    public func fileListHeader(pull: Bool = false) -> String? {
        let built = (pull ? "receiving file list ... " : "building file list ... ") + (countsWholeList ? "" : "done")
        if !recursive { return dirs || filesFrom != nil ? built : nil }
        return buildsWholeList ? built : (pull ? "receiving incremental file list" : "sending incremental file list")
    }

    /// --progress with a whole list: rsync's header ends its line at once ("building file list
    /// ... "), and the count comes when the list is complete ("4 files to consider").
    public var countsWholeList: Bool { (recursive || dirs || filesFrom != nil) && buildsWholeList && infoLevels.progress == 1 && infoLevels.header && !json }

    /// Whether rsync would build the whole file list before the transfer (no incremental
    /// recursion): then the sender's IO error anywhere is known before the first deletion.
    public var buildsWholeList: Bool {
        !recursive || noIncRecursive || pruneEmptyDirs || delayUpdates || (delete && (deleteMode == .before || deleteMode == .after))
    }

    /// When deletions happen: before every transfer (a pass of its own), while walking, or
    /// after everything else is in place (all end in the same tree, as rsync's).
    public enum DeleteMode: String, Sendable { case before, during, after, delay }
}
