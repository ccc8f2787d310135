/// rsync's `--info` levels for what sy prints: the defaults `-v` (and `--progress`, `--stats`)
/// give, then each `--info` item in order, which takes precedence over those defaults
/// whatever its place on the command line; `-q` silences them all.
public struct InfoLevels: Sendable, Equatable {
    public var name = 0, del = 0, stats = 0, flist = 0, misc = 0, symsafe = 0, backup = 0, skip = 0, remove = 0
    /// 1: a line per file (`--progress`), 2: one line for the whole transfer.
    public var progress = 0
    /// rsync's `--debug` levels sy prints something for: FLIST (whether deltas are sent),
    /// DELTASUM (the matcher's totals) and FILTER (the sender's "hiding file" notes); -vv sets
    /// them to 1, --info does not touch them.
    public var debugFlist = 0, debugDeltasum = 0, debugFilter = 0

    /// rsync's --debug categories: sy acts on flist, deltasum and filter and accepts the rest.
    public static let debugCategories: Set<String> = ["acl", "backup", "bind", "chdir", "connect", "cmd", "del", "deltasum", "dup",
                                                      "exit", "filter", "flist", "fuzzy", "genr", "hash", "hlink", "iconv", "io",
                                                      "nstr", "own", "proto", "recv", "send", "time", "all", "none"]

    /// rsync's categories; sy acts on name, del, stats, flist (and progress, elsewhere) and accepts the rest.
    public static let categories: Set<String> = ["backup", "copy", "del", "flist", "misc", "mount", "name", "nonreg", "progress",
                                                 "remove", "skip", "stats", "symsafe", "all", "none"]

    /// What `--info=help` prints: rsync's table (sy reads every category; the ones that
    /// change its output are backup, name, del, remove, skip, stats, flist, progress and misc).
    public static let helpText = """
        Use OPT or OPT1 for level 1 output, OPT2 for level 2, etc.; OPT0 silences.

        BACKUP     Mention files backed up
        COPY       Mention files copied locally on the receiving side
        DEL        Mention deletions on the receiving side
        FLIST      Mention file-list receiving/sending (levels 1-2)
        MISC       Mention miscellaneous information (levels 1-2)
        MOUNT      Mention mounts that were found or skipped
        NAME       Mention 1) updated file/dir names, 2) unchanged names
        NONREG     Mention skipped non-regular files (default 1, 0 disables)
        PROGRESS   Mention 1) per-file progress or 2) total transfer progress
        REMOVE     Mention files removed on the sending side
        SKIP       Mention files skipped due to transfer overrides (levels 1-2)
        STATS      Mention statistics at end of run (levels 1-3)
        SYMSAFE    Mention symlinks that are unsafe

        ALL        Set all --info options (e.g. all4)
        NONE       Silence all --info options (same as all0)
        HELP       Output this help message

        Options added at each level of verbosity:
        0) NONREG
        1) COPY,DEL,FLIST,MISC,NAME,STATS,SYMSAFE
        2) BACKUP,MISC2,MOUNT,NAME2,REMOVE,SKIP
        """

    /// What `--debug=help` prints: the categories sy acts on (the others are accepted).
    public static let debugHelpText = """
        Use OPT or OPT1 for level 1 output, OPT2 for level 2, etc.; OPT0 silences.

        DELTASUM   Debug delta-transfer checksumming (sy: the matcher's totals at the end)
        FILTER     Debug filter actions (sy: the sender's hiding and showing notes)
        FLIST      Debug file-list operations (sy: whether delta transmission is on)

        ALL        Set all --debug options (e.g. all4)
        NONE       Silence all --debug options (same as all0)
        HELP       Output this help message

        sy accepts rsync's other categories (ACL, BACKUP, BIND, CHDIR, CMD, CONNECT, DEL, DUP,
        EXIT, FUZZY, GENR, HASH, HLINK, ICONV, IO, NSTR, OWN, PROTO, RECV, SEND, TIME)
        and prints nothing more for them.

        Options added at each level of verbosity:
        2) DELTASUM,FILTER,FLIST
        3) DELTASUM2,FILTER2,FLIST2
        """

    /// Whether `--info` (or `--debug`) items ask for the help table.
    public static func asksForHelp(_ items: [String]) -> Bool {
        items.contains { $0.split(separator: ",").contains { $0.lowercased() == "help" } }
    }

    /// Splits an item (`name2`, `-stats`, `ALL0`) into its category and level; nil if unknown.
    public static func parse(_ item: String, in known: Set<String> = categories) -> (String, Int)? {
        let lower = item.lowercased().drop(while: { $0 == "-" })
        let name = String(lower.prefix(while: { $0.isLetter }))
        let digits = lower.dropFirst(name.count)
        guard known.contains(name), digits.count <= 1, digits.allSatisfy(\.isNumber) else { return nil }
        return (name, name == "none" ? 0 : Int(String(digits)) ?? 1)
    }

    public init(verbose: Int, progress: Bool = false, stats: Bool = false, quiet: Bool = false, items: [String] = [],
                debug: [String] = []) {
        if verbose >= 2 { debugFlist = verbose >= 3 ? 2 : 1; debugDeltasum = verbose >= 3 ? 2 : 1; debugFilter = verbose >= 3 ? 2 : 1 }
        for item in debug.flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard let (category, level) = InfoLevels.parse(item, in: InfoLevels.debugCategories) else { continue }
            switch category {
            case "flist": debugFlist = level
            case "deltasum": debugDeltasum = level
            case "filter": debugFilter = level
            case "all", "none": debugFlist = level; debugDeltasum = level; debugFilter = level
            default: break
            }
        }
        if verbose >= 1 { name = verbose >= 2 ? 2 : 1; del = 1; self.stats = 1; flist = 1; misc = verbose >= 2 ? 2 : 1; symsafe = 1 }
        if verbose >= 2 { backup = 1; skip = 1; remove = 1 }
        if progress { name = max(name, 1); flist = max(flist, 2); self.progress = 1 }
        if stats { self.stats = max(self.stats, 2) }
        for item in items.flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard let (category, level) = InfoLevels.parse(item) else { continue }
            switch category {
            case "name": name = level
            case "del": del = level
            case "stats": self.stats = level
            case "flist": flist = level
            case "progress": self.progress = level
            case "misc": misc = level
            case "symsafe": symsafe = level
            case "backup": backup = level
            case "skip": skip = level
            case "remove": remove = level
            case "all", "none": name = level; del = level; self.stats = level; flist = level; self.progress = level; misc = level; symsafe = level; backup = level; skip = level; remove = level
            default: break
            }
        }
        if quiet { self = InfoLevels(verbose: 0) }
    }

    /// Names of what changes are listed (`-v`).
    public var listsNames: Bool { name >= 1 }
    /// Deletions are listed ("deleting x"): rsync's del or name level.
    public var listsDeletions: Bool { del >= 1 || name >= 1 }
    /// The closing "sent ... total size" lines, and the full statistics before them.
    public var summary: Bool { stats >= 1 }
    public var fullStats: Bool { stats >= 2 }
    /// rsync's "sending incremental file list" line.
    public var header: Bool { flist >= 1 }
    /// `-vv`: "X is uptodate", names of entries whose attributes change.
    public var listsUnchanged: Bool { name >= 2 }
    /// `-v`: "copying unsafe symlink" for each one --copy-unsafe-links follows.
    public var notesUnsafeLinks: Bool { symsafe >= 1 }
    /// `-vv`: the backup directory, and each file backed up.
    public var notesBackups: Bool { backup >= 1 }
    /// `-vv` (rsync's --debug=flist): whether delta transfer is on ("delta-transmission ...").
    public var deltaNote: Bool { debugFlist >= 1 }
    /// `-vv` (rsync's --debug=deltasum): the matcher's totals ("total: matches=...").
    public var deltaTotals: Bool { debugDeltasum >= 1 }
    /// `-vv` (rsync's --debug=filter): "[sender] hiding file x because of pattern *.o".
    public var filterNotes: Bool { debugFilter >= 1 }
}
