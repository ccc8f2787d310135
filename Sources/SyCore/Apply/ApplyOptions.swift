/// What the receiver preserves and reports.
public struct ApplyOptions: Sendable {
    public var perms = false
    public var times = false
    public var owner = false
    /// `--no-super`: as a user who is not root (no owners, only the process's groups).
    public var noSuper = false
    public var group = false
    public var dryRun = false
    public var inplace = false
    /// Open the `copyFrom` sources through symlinks (the scan followed them).
    public var followLinks = false
    /// `--delay-updates`: finished files wait in the partial directory (`.~tmp~` by default)
    /// and all move into place at the end.
    public var delayUpdates = false
    /// `-X`/`-A`: extended attributes set from the entries.
    public var xattrSelection = XattrSelection()
    /// `--copy-dest`: the `linkDests` references are copied, not linked.
    public var copyReferences = false
    /// `-S`: leave holes for zero blocks; `--preallocate`: reserve each file's space first.
    public var sparse = false
    public var preallocate = false
    /// `--fsync`: every written file reaches the disk before it is renamed into place.
    public var fsync = false
    /// Create missing parent directories of the destination (`--mkpath`).
    public var mkpath = false
    /// Follow symlinks of other users on the way to the destination (rsync's --insecure-links).
    public var insecureLinks = false
    /// Local sources that SOURCE-RANGE records copy from (same arguments as sy-scan).
    public var copyFrom: [PathBytes]?
    public var topName: PathBytes?
    /// One file may have been named after the destination by sy-sum (`PathOps.fileTarget`).
    public var destMayBeFile = false
    /// The source's own name for that one file, in listings (`--show-name`).
    public var shownName: PathBytes?
    /// `-R`: the `copyFrom` sources are named by their paths.
    public var relative = false
    /// Create missing parent directories of entries (`-R --no-implied-dirs`).
    public var createParents = false
    /// Rules protecting excluded entries inside deleted directories (unless `deleteExcluded`).
    public var filters = FilterList()
    public var deleteExcluded = false
    /// `--partial`: an interrupted file's data is kept in this directory (relative to the
    /// file's directory) and used as the basis next time.
    public var partialDir: PathBytes?

    /// Why `dir` cannot be a --partial-dir: sy keeps partial data in a directory of that name
    /// beside each file, or in one absolute directory (rsync also takes a relative path).
    public static func partialDirProblem(_ dir: String) -> String? {
        if dir.hasPrefix("/") {
            return dir.split(separator: "/").contains("..") ? "--partial-dir=\(dir): no '..' in an absolute directory" : nil
        }
        if dir.isEmpty || dir.contains("/") || dir == "." || dir == ".." {
            return "--partial-dir=\(dir): sy takes a plain directory name (kept beside each file) or an absolute directory"
        }
        return nil
    }
    /// `-T`: received files are written in this directory (relative to the destination) and
    /// moved into place from there (copied, when it is on another filesystem).
    public var tempDir: PathBytes?
    /// `-O`: leave directory times alone.
    public var omitDirTimes = false
    /// Directory times are set after their contents (-t without -O).
    public var setsDirTimes: Bool { times && !omitDirTimes }
    /// `-K`: a symlink to a directory on the way is followed, unless this run made it.
    public var keepDirlinks = false
    /// `-J`: symlink times are left alone.
    public var omitLinkTimes = false
    /// `-U`: access times of non-directories are set from the stream (whole seconds).
    public var atimes = false
    /// `--redo-exit`: a second pass redoes the files that fail verification (and reports).
    public var redoFollows = false
    /// `--from-batch`: the stream is a batch being read, whose redo pass may not be there
    /// ("may try again", as rsync's read says).
    public var fromBatch = false
    /// `-E`: without -p, files follow the source's executable bit.
    public var executability = false
    /// `--chown`: owner and group to give every entry (nil: keep the source's).
    public var chownUser: UInt32?
    public var chownGroup: UInt32?
    /// Receiver-side protect rules: matching entries are never deleted.
    public var protects = FilterList()
    /// `--backup`: keep replaced and deleted files.
    public var backup: BackupPolicy?
    /// `--max-delete`: delete no more than this many entries (exit 25 past it).
    public var maxDelete: Int?
    /// `--delete-after`/`--delete-delay`: deletions wait until every file is in place.
    /// `--delete-delay`: the held deletions see no directory's merge files but their own
    /// (rsync's end-of-run deletion has left every directory's rules behind).
    public var deleteDelay = false
    /// `--read-batch` without --delete: the batch's deletions are not carried out (rsync's
    /// receiver deletes only when asked); those that make way for another type still are.
    public var skipDeletions = false
    /// ... nor, without --force either, those of directories in the way of another type,
    /// unless empty.
    public var skipDirReplacements = false
    public var deleteAfter = false
    /// `--delete-before`/`--delete-after`: what makes room for another type during the
    /// transfers sees the global rules only (rsync reads no destination merge files then).
    public var makesRoomUnmerged = false
    /// `--delete-delay`: what was found to delete is deleted even after a sender's IO error
    /// (rsync's --delete-after makes its whole pass only without one).
    public var keepDeletesOnIOError = false
    /// `--link-dest` directories that `.linkDest` hard-link plans point into.
    public var linkDests: [PathBytes] = []
    /// `--bwlimit` for local copies (bytes per second).
    public var bwlimit: Int?
    /// Report format and verbosity.
    public var output = OutputOptions()
    public init() {}
}

/// What is printed while applying (rsync's `-i`, `-v`, `--stats`, `-q`).
public struct OutputOptions: Sendable {
    public var itemize = false
    /// rsync's -ii: entries found up to date are itemized too (`.f          name`).
    public var itemizeUnchanged = false
    public var verbose = 0
    /// Names of changed entries, and deletions, are listed (rsync's --info=name1, del1; -v).
    public var names = false
    public var deletions = false
    /// `-vv`: "X is uptodate" and names with only new attributes; the matcher's totals.
    public var unchanged = false
    public var deltaTotals = false
    public var stats = false
    public var quiet = false
    /// Print rsync's closing "sent ... received ..." lines (`-v` or `--stats`).
    public var summary = false
    public var humanReadable = false
    /// `--progress`: a line per transferred file.
    public var progress = false
    /// `--info=progress2`: one line for the whole transfer.
    public var progress2 = false
    /// JSON Lines events instead of text.
    public var json = false
    /// Wall-clock start of the whole sync, for rates (ns since the epoch; 0 = apply's own start).
    public var startNanos: UInt64 = 0
    /// `--out-format`: one line per change in this format instead of -v/-i's.
    public var outFormat: String?
    /// The side sy's command line is on, as rsync's client (`<f` for a push).
    public var role = ClientRole.local
    /// `--only-write-batch`: the summary says "(BATCH ONLY)" where a dry run says "(DRY RUN)".
    public var batchOnly = false
    /// Names listed by -v or --info=name alone, not as --progress implies them (what a
    /// receiver across ssh goes by: rsync does not pass --progress on).
    public var namesWithoutProgress = false
    /// `%f` on the sending side: the source's directory before each name (`src/d/f` for `src/`).
    public var senderPrefix = ""
    /// rsync's --info=backup (-vv): "backup_dir is DIR" first, then "backed up X to Y".
    public var backups = false
    /// Owners and groups are kept (-o, -g): `%U` and `%G` show them, else rsync's `0` and `DEFAULT`.
    public var listsOwner = false, listsGroup = false
    /// The top-level names of absolute -R sources (empty: the root itself): rsync's sender
    /// lists what they send with a leading '/' (itemized, -v and %n names; not deletions,
    /// hard-link targets or "is uptodate").
    public var slashTops: Set<PathBytes> = []

    /// Whether `path` is listed with a leading '/' (see `slashTops`).
    public func listsWithSlash(_ path: PathBytes) -> Bool {
        guard !slashTops.isEmpty else { return false }
        return slashTops.contains([]) || slashTops.contains(Array(path.prefix { $0 != 0x2F }))
    }
    public init() {}
}
