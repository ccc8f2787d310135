/// What the generator compares and preserves (rsync's meaning for each flag).
public struct SumOptions: Sendable {
    public var delete = false
    public var force = false
    public var checksum = false
    public var ignoreTimes = false
    public var sizeOnly = false
    public var update = false
    public var ignoreExisting = false
    public var existing = false
    /// rsync's --info=skip level (-vv): 1 says why a file is left alone ("X exists", "X is
    /// newer", "X is over max-size", "not creating new file"), 2 adds what differs.
    public var skipNotes = 0
    public var perms = false
    public var times = false
    public var owner = false
    public var group = false
    public var links = false
    public var devices = false
    public var specials = false
    public var hardLinks = false
    /// Send whole files: no block signatures.
    public var wholeFile = true
    public var blockSize: Int?
    /// The literal data is compressed on its way (`-z`): signatures take rsync's larger blocks.
    public var compressedLiterals = false
    public var dryRun = false
    /// Whether the process may change owners (rsync: only as root).
    public var canChown = false
    /// The groups a file may be given when `canChown` is false: the process's own (rsync's
    /// receiver leaves others alone, unlisted as changes).
    public var ownGroups: Set<UInt32> = Sys.processGroups()

    /// Whether a file may be given group `gid`.
    public func canSetGroup(_ gid: UInt32) -> Bool { canChown || ownGroups.contains(gid) }
    /// The transfer's include/exclude rules: excluded destination entries are kept by
    /// `--delete` unless `deleteExcluded`.
    public var filters = FilterList()
    public var deleteExcluded = false
    /// `--partial`: data of interrupted files is kept in this directory (in each directory)
    /// and is the basis of the next delta.
    public var partialDir: PathBytes?
    /// `--link-dest` (hard-link unchanged files from these) and `--compare-dest` (skip files
    /// unchanged there) directories; relative ones are relative to the destination.
    public var linkDests: [PathBytes] = []
    /// `--modify-window`: mtimes this many seconds apart count as equal (0: whole seconds,
    /// negative: nanoseconds too), as rsync.
    public var modifyWindow: Int64 = 0
    /// `-O`: directory times are not preserved.
    public var omitDirTimes = false
    /// `-K`: the destination walk takes a symlink to a directory for the directory.
    public var keepDirlinks = false
    /// One file may be sent to a destination path that names it (see `PathOps.fileTarget`).
    public var destMayBeFile = false
    /// `--mkpath`: the directory such a file goes in need not exist yet.
    public var mkpath = false
    /// `--munge-links` on the receiving side: symlink targets get the munged prefix.
    public var mungeLinks = false
    /// Follow symlinks of other users on the way to the destination (rsync's --insecure-links).
    public var insecureLinks = false
    /// --delete-after/--delete-delay: extras stay until the end (a -y basis may be one).
    public var deleteLater = false
    /// `--delete-delay`: deletions are found as the merge goes (rsync's generator then says a
    /// known IO error at each directory, as with --delete-during), and carried out at the end.
    public var deleteDelay = false
    /// The stream is spooled first (--whole-list, --delete-before): a note says how many entries
    /// it has, as rsync's --progress counts a whole list (`steps`: every hundred first, as its sender).
    public var listCount: ListCountStyle?
    public enum ListCountStyle: String, Sendable { case steps, total }
    /// `--safe-links`: symlinks pointing outside the tree are ignored (neither made nor deleted).
    public var safeLinks = false
    /// With `safeLinks`: a note for each unsafe symlink ignored ("ignoring unsafe symlink", rsync's -v).
    public var noteUnsafeLinks = false
    /// -vv (rsync's --debug=filter): a note for each destination entry a filter rule decides
    /// where deletions look ("[generator] protecting file x.o because of pattern *.o").
    public var filterNotes = false
    /// `-y`: new files may use a similar file in their destination directory as the basis.
    public var fuzzy = false
    /// `-X`/`-A`: extended attributes compared.
    public var xattrSelection = XattrSelection()
    /// `--usermap` / `--groupmap` (also `--chown`).
    public var userMap: IdMap?
    public var groupMap: IdMap?
    /// `--append` (send only what is past the destination's end), `--append-verify` (and check the whole).
    public var append = false
    public var appendVerify = false
    /// The second pass after a failed --append-verify: a file as long as the source that
    /// failed (`FailedMark`) is sent whole; the rest are judged as in the first pass.
    public var appendSecondPass = false
    /// sy's second pass: what the first said about skipped entries is not said again.
    public var secondPass = false
    /// Emit UNCHANGED plans for up-to-date non-directories (so they can be removed at the source).
    public var reportUnchanged = false
    /// -R --no-implied-dirs: an entry skipped before it is placed (not a wanted kind, outside
    /// --min-size/--max-size, an ignored link; not one --existing skips) still has its missing
    /// parent directories made, as rsync's generator makes them before its skip checks.
    public var makesParents = false
    /// `--numeric-ids`: the sender sent no names.
    public var numericIds = false
    /// `-J`: symlink times are left alone.
    public var omitLinkTimes = false
    /// `-U`: a file's access time (whole seconds) is compared too (rsync's `u`).
    public var atimes = false
    /// `-E`: without -p, files follow the source's executable bit.
    public var executability = false
    /// `--ignore-errors`: delete even below directories the source could not read.
    public var ignoreErrors = false
    /// `--min-size` / `--max-size`: regular files outside these bounds are not transferred
    /// (they stay in the list, so --delete keeps them).
    public var minSize: Int64?
    public var maxSize: Int64?
    /// Receiver-side protect rules (rsync's `P`): matching destination entries are never deleted.
    public var protects = FilterList()
    /// -b without --backup-dir: a deleted file's backup stays beside it, and with it its directory.
    public var backupBeside = false
    public var compareDests: [PathBytes] = []
    /// `--copy-dest`: the `linkDests` are copied from, and never replace a destination file.
    public var copyReferences = false
    public init() {}
}
