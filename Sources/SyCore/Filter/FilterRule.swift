/// One filter rule with rsync's syntax and meaning (see "FILTER RULES" in rsync(1)).
///
/// A pattern rule includes or excludes: a leading `/` anchors it at the transfer root (or at
/// its merge file's directory); a trailing `/` matches directories only; a pattern with another
/// `/` or a `**` is matched against the whole path (any tail starting at a component), otherwise
/// against the last component; a trailing `/***` matches a directory and everything in it.
/// Rules apply to the sender (what is listed), the receiver (what `--delete` may remove) or
/// both. `clear`, `merge` and `dir-merge` rules shape the list itself.
public struct FilterRule: Sendable, Equatable {
    public enum Action: Sendable, Equatable { case exclude, include, clear, merge, dirMerge }

    public var action: Action
    public var pattern: [UInt8] = []
    public var anchored = false
    public var directoryOnly = false
    /// The pattern names a path (it has an inner `/`, a `**`, or is anchored), not just a name.
    public var wholePath = false
    /// Trailing `/***`: the directory itself and all below it.
    public var withContents = false
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

    /// A pattern rule.
    public init(include: Bool, pattern: String) {
        action = include ? .include : .exclude
        setPattern(Array(pattern.utf8))
    }

    init(action: Action) { self.action = action }

    mutating func setPattern(_ bytes: [UInt8]) {
        var p = bytes
        withContents = p.count > 4 && p.suffix(4) == Array("/***".utf8)
        if withContents { p.removeLast(4) }
        directoryOnly = p.count > 1 && p.last == 0x2F
        if directoryOnly { p.removeLast() }
        anchored = p.first == 0x2F
        if anchored { p.removeFirst() }
        wholePath = anchored || withContents || p.contains(0x2F) || zip(p, p.dropFirst()).contains { $0 == 0x2A && $1 == 0x2A }
        pattern = p
    }

    /// Parses one rule in rsync's short or long form (`- *.o`, `-p *.o`, `exclude,s foo`,
    /// `P /keep`, `: .rules`, `.`-merges, `!`). Returns nil for a malformed rule.
    public init?(rule: String) {
        guard let r = try? FilterRule.parse(rule) else { return nil }
        self = r
    }

    /// Parses one rule; `template` gives the defaults of a merge file's rules.
    public static func parse(_ text: String, template: FilterRule? = nil) throws(SyError) -> FilterRule {
        let bytes = Array(text.utf8)
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
            case 0x2F: throw bad(text, "the '/' (absolute path) modifier is not supported")
            case 0x6E where isMerge: r.noInherit = true                         // n
            case 0x77 where isMerge: r.wordSplit = true                         // w
            case 0x65 where isMerge: r.excludeSelf = true                       // e
            case 0x67 where isMerge: r.gitStyle = true                          // g
            case 0x2B where isMerge: r.linesAre = .include                      // +
            case 0x2D where isMerge: r.linesAre = .exclude                      // -
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

    /// Whether this exclude/include rule matches `path` (relative to the transfer root, `/`-separated).
    public func matches(_ path: PathBytes, isDirectory: Bool) -> Bool {
        if xattr { return false }
        return rawMatch(path, isDirectory: isDirectory) != negate
    }

    private func rawMatch(_ path: PathBytes, isDirectory: Bool) -> Bool {
        if withContents {
            return anyTail(path) { tail in
                if isDirectory && Wildcard.match(pattern[...], tail) { return true }
                var k = tail.startIndex
                while k < tail.endIndex {
                    if tail[k] == 0x2F && Wildcard.match(pattern[...], tail[..<k]) { return true }
                    k += 1
                }
                return false
            }
        }
        if directoryOnly && !isDirectory { return false }
        if !wholePath { return Wildcard.match(pattern[...], PathOps.base(path)[...]) }
        return anyTail(path) { Wildcard.match(pattern[...], $0) }
    }

    /// Anchored patterns see the whole path; others any tail that starts at a component.
    private func anyTail(_ path: PathBytes, _ test: (ArraySlice<UInt8>) -> Bool) -> Bool {
        if test(path[...]) { return true }
        if anchored { return false }
        var i = 0
        while i < path.count {
            if path[i] == 0x2F && test(path[(i + 1)...]) { return true }
            i += 1
        }
        return false
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
        if cvs && (action == .exclude) { return "-" + mods }
        var body = pattern
        if action == .exclude || action == .include {
            if directoryOnly { body.append(0x2F) }
            if withContents { body += Array("/***".utf8) }
            if anchored { body.insert(0x2F, at: 0) }
        }
        return prefix + (mods.isEmpty ? "" : "," + mods) + " " + String(decoding: body, as: UTF8.self)
    }
}
