/// One filter rule with rsync's syntax and meaning (see "FILTER RULES" in rsync(1)).
///
/// A pattern rule includes or excludes: a leading `/` anchors it at the transfer root (or at
/// its merge file's directory); a trailing `/` matches directories only; a pattern with another
/// `/` is matched against the path's last components, one with `**` against the whole path,
/// otherwise against the last component; a trailing `/***` matches a directory and everything
/// in it. A pattern without `*`, `?` or `[` is compared as it is (a `\` in it is no escape), as
/// rsync's. The `/` modifier matches against the absolute path. Rules apply to the sender (what
/// is listed), the receiver (what `--delete` may remove) or both. `clear`, `merge` and
/// `dir-merge` rules shape the list itself.
public struct FilterRule: Sendable, Equatable {
    public enum Action: Sendable, Equatable { case exclude, include, clear, merge, dirMerge }

    public var action: Action
    public private(set) var pattern: [UInt8] = []
    public private(set) var anchored = false
    public private(set) var directoryOnly = false
    /// `/`: matched against the absolute path (the transfer root's, then the entry's).
    public var absolutePath = false
    /// The pattern's shape, as rsync's rule flags: it has `*`, `?` or `[` (else it is compared
    /// literally); it has `**`; it starts with `**`; it ends with `***`; its number of `/`
    /// (the anchoring one included).
    private(set) var wild = false, wild2 = false, wild2Prefix = false, wild3Suffix = false
    private(set) var slashCount = 0
    /// Backslashes escape even in a pattern without wildcards (git's syntax, `--gitignore`).
    var escapes = false { didSet { classify() } }
    public var sender = true
    public var receiver = true
    /// The rule named its side (`s`, `r`, hide/show/protect/risk): `--delete-excluded` leaves it.
    public var sideGiven = false
    /// `!`: the rule applies when the pattern does not match.
    public var negate = false
    /// `p`: ignored inside directories that are being deleted.
    public var perishable = false
    /// `x`: an xattr-name rule (sy copies no xattrs; such rules match no file).
    public var xattr = false
    /// Merge-file reading: `n` (not inherited), `w` (word split), `e` (exclude the file itself),
    /// `C` (CVS style), and `+`/`-` (every line is an include/exclude pattern).
    public var noInherit = false
    public var wordSplit = false
    public var excludeSelf = false
    public var cvs = false
    public var linesAre: Action?
    /// `g` (sy's own modifier): the file has git's ignore syntax and precedence (`--gitignore`).
    public var gitStyle = false
    /// Where the rule came from, for -vv's filter notes (rsync names a rule read from a file
    /// only as such, and marks -C's built-in patterns). In `text`, sy's modifiers `F` and `V`.
    public var origin = Origin.given
    public enum Origin: Sendable, Equatable { case given, file, cvs }

    /// Rule `text` as a rule given on the command line (no longer marked as read from a file).
    public static func sentAsGiven(_ text: String) -> String {
        guard var r = try? parse(text), r.origin == .file else { return text }
        r.origin = .given
        return r.text
    }

    /// The pattern as rsync's -vv notes show it ("because of pattern X").
    public var notePattern: String {
        let body = origin == .file ? "<rule from a file read earlier>" : (anchored ? "/" : "") + String(decoding: pattern, as: UTF8.self)
        return body + (directoryOnly && origin != .file ? "/" : "") + (origin == .cvs ? " [global CVS]" : "")
    }

    /// A pattern rule.
    public init(include: Bool, pattern: String) {
        action = include ? .include : .exclude
        setPattern(pattern.pathBytes)
    }

    init(action: Action) { self.action = action }

    mutating func setPattern(_ bytes: [UInt8]) {
        var p = bytes
        directoryOnly = p.count > 1 && p.last == 0x2F
        if directoryOnly { p.removeLast() }
        anchored = p.first == 0x2F
        if anchored { p.removeFirst() }
        pattern = p
        classify()
    }

    /// An anchored rule of a merge file in directory `dir` (a transfer path and `/`), which
    /// rsync anchors there by putting the directory in front, as it is (no escaping).
    mutating func anchor(below dir: [UInt8]) {
        pattern = dir + pattern
        classify()
    }

    /// Strips `prefix` from an anchored pattern (a merge file above the transfer root).
    mutating func dropAnchorPrefix(_ count: Int) {
        pattern.removeFirst(count)
        classify()
    }

    private mutating func classify() {
        let p = pattern
        wild = escapes || p.contains { $0 == 0x2A || $0 == 0x3F || $0 == 0x5B }
        wild2 = wild && zip(p, p.dropFirst()).contains { $0 == 0x2A && $1 == 0x2A }
        wild2Prefix = wild2 && !anchored && p.starts(with: [0x2A, 0x2A])
        wild3Suffix = wild2 && p.count >= 3 && p.suffix(3).allSatisfy { $0 == 0x2A }
        slashCount = p.reduce(anchored ? 1 : 0) { $0 + ($1 == 0x2F ? 1 : 0) }
    }

    /// Parses one rule in rsync's short or long form (`- *.o`, `-p *.o`, `exclude,s foo`,
    /// `P /keep`, `: .rules`, `.`-merges, `!`). Returns nil for a malformed rule.
    public init?(rule: String) {
        guard let r = try? FilterRule.parse(rule) else { return nil }
        self = r
    }

    /// Parses one rule; `template` gives the defaults of a merge file's rules.
    public static func parse(_ text: String, template: FilterRule? = nil) throws(SyError) -> FilterRule {
        let bytes = text.pathBytes
        let longNames: [(String, Character)] = [("exclude", "-"), ("include", "+"), ("merge", "."), ("dir-merge", ":"),
                                                ("hide", "H"), ("show", "S"), ("protect", "P"), ("risk", "R"), ("clear", "!")]
        var i = 0
        var code: Character
        if let (name, c) = longNames.first(where: { bytes.starts(with: Array($0.0.utf8)) &&
            (bytes.count == $0.0.utf8.count || [0x20, 0x5F, 0x2C].contains(bytes[$0.0.utf8.count])) }) {
            code = c
            i = name.utf8.count
            if i < bytes.count && bytes[i] == 0x2C { i += 1 }
        } else {
            guard let f = bytes.first else { throw bad(text, "empty rule") }
            code = Character(UnicodeScalar(f))
            i = 1
            if i < bytes.count && bytes[i] == 0x2C { i += 1 }
        }
        var r: FilterRule
        switch code {
        case "-": r = FilterRule(action: .exclude)
        case "+": r = FilterRule(action: .include)
        case ".": r = FilterRule(action: .merge)
        case ":": r = FilterRule(action: .dirMerge)
        case "H": r = FilterRule(action: .exclude); r.receiver = false; r.sideGiven = true
        case "S": r = FilterRule(action: .include); r.receiver = false; r.sideGiven = true
        case "P": r = FilterRule(action: .exclude); r.sender = false; r.sideGiven = true
        case "R": r = FilterRule(action: .include); r.sender = false; r.sideGiven = true
        case "!": r = FilterRule(action: .clear)
        default: throw bad(text, "unknown rule prefix")
        }
        if let t = template, !r.sideGiven, t.sideGiven { r.sender = t.sender; r.receiver = t.receiver; r.sideGiven = true }
        if let t = template { r.perishable = t.perishable }
        // Modifiers, up to a space or an underscore.
        while i < bytes.count && bytes[i] != 0x20 && bytes[i] != 0x5F {
            let m = bytes[i]
            i += 1
            let isMerge = r.action == .merge || r.action == .dirMerge
            switch m {
            case 0x21 where !isMerge: r.negate = true                         // !
            case 0x70: r.perishable = true                                      // p
            case 0x73: r.sender = true; r.receiver = r.sideGiven && r.receiver ? true : false; r.sideGiven = true // s
            case 0x72: r.receiver = true; r.sender = r.sideGiven && r.sender ? true : false; r.sideGiven = true   // r
            case 0x78: r.xattr = true                                           // x
            case 0x43: r.cvs = true                                             // C
            case 0x2F: r.absolutePath = true                                    // /
            case 0x6E where isMerge: r.noInherit = true                         // n
            case 0x77 where isMerge: r.wordSplit = true                         // w
            case 0x65 where isMerge: r.excludeSelf = true                       // e
            case 0x67 where isMerge: r.gitStyle = true                          // g
            case 0x2B where isMerge: r.linesAre = .include                      // +
            case 0x2D where isMerge: r.linesAre = .exclude                      // -
            case 0x46 where !isMerge: r.origin = .file                          // F (sy's: read from a file)
            case 0x56 where !isMerge: r.origin = .cvs                           // V (sy's: -C's own list)
            default: throw bad(text, "invalid modifier '\(Character(UnicodeScalar(m)))'")
            }
        }
        if r.sideGiven && !r.sender && !r.receiver { r.sender = true; r.receiver = true }
        let arg: [UInt8] = i < bytes.count ? Array(bytes[(i + 1)...]) : []
        switch r.action {
        case .clear:
            if !arg.isEmpty { throw bad(text, "'!' takes no argument") }
        case .merge, .dirMerge:
            if r.cvs {
                r.noInherit = true; r.wordSplit = true
                if r.linesAre == nil { r.linesAre = .exclude }
            }
            let name = arg.isEmpty && r.cvs ? Array(".cvsignore".utf8) : arg
            if name.isEmpty { throw bad(text, "a merge rule needs a file name") }
            r.pattern = name
        case .exclude, .include:
            if r.cvs {
                guard arg.isEmpty, r.action == .exclude else { throw bad(text, "'C' takes no pattern") }
                return r
            }
            if arg.isEmpty { throw bad(text, "missing pattern") }
            r.setPattern(arg)
        }
        return r
    }

    static func bad(_ text: String, _ why: String) -> SyError {
        SyError("invalid filter rule '\(text)': \(why)", status: .syntax)
    }

    /// Whether this exclude/include rule matches `path` (relative to the transfer root,
    /// `/`-separated), as rsync's rule_matches. `root`: the transfer root's absolute path, for
    /// the `/` modifier.
    public func matches(_ path: PathBytes, isDirectory: Bool, root: PathBytes = []) -> Bool {
        if xattr || path.isEmpty { return false }
        if !isDirectory && directoryOnly { return negate }
        var name = path[...]
        var prefix: [UInt8] = []
        if slashCount == 0 && !wild2 {
            name = PathOps.base(path)[...]
        } else if absolutePath && root.count > 1 {
            prefix = Array(root.dropFirst()) + [0x2F]
        } else if wild2Prefix {
            prefix = [0x2F]
        }
        // A directory also matches a trailing "/***" (or "***") as itself plus "/".
        let slashAfter = isDirectory && wild3Suffix
        let whole = prefix.isEmpty && !slashAfter ? name : (prefix + name + (slashAfter ? [0x2F] : []))[...]
        let from = !anchored && slashCount > 0 && !wild2 ? slashCount + 1 : !anchored && !wild2Prefix && wild2 ? -1 : 0
        let hit: Bool
        if wild {
            hit = Wildcard.match(pattern[...], whole, from: from)
        } else if !prefix.isEmpty || slashAfter {
            hit = Wildcard.literal(pattern[...], whole, from: from)
        } else if anchored {
            hit = name.elementsEqual(pattern)
        } else {
            // The pattern's components end the path.
            hit = name.count >= pattern.count && name.suffix(pattern.count).elementsEqual(pattern)
                && (name.count == pattern.count || name[name.endIndex - pattern.count - 1] == 0x2F)
        }
        return hit != negate
    }

    /// The rule in `--filter` syntax (modifiers included), for handing to another stage.
    public var text: String {
        var prefix: String
        switch action {
        case .exclude: prefix = "-"
        case .include: prefix = "+"
        case .clear: return "!"
        case .merge: prefix = "."
        case .dirMerge: prefix = ":"
        }
        var mods = ""
        if negate { mods += "!" }
        if absolutePath { mods += "/" }
        if perishable { mods += "p" }
        if sideGiven && sender && !receiver { mods += "s" }
        if sideGiven && receiver && !sender { mods += "r" }
        if xattr { mods += "x" }
        if noInherit && !cvs { mods += "n" }
        if wordSplit && !cvs { mods += "w" }
        if excludeSelf { mods += "e" }
        if cvs { mods += "C" }
        if gitStyle { mods += "g" }
        if let l = linesAre, !cvs { mods += l == .include ? "+" : "-" }
        if action == .exclude || action == .include {
            if origin == .file { mods += "F" } else if origin == .cvs { mods += "V" }
        }
        if cvs && (action == .exclude) { return "-" + mods }
        var body = pattern
        if action == .exclude || action == .include {
            if directoryOnly { body.append(0x2F) }
            if anchored { body.insert(0x2F, at: 0) }
        }
        return prefix + (mods.isEmpty ? "" : "," + mods) + " " + RawArguments.decode(body)
    }
}
