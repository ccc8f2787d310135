/// One include/exclude rule with rsync's pattern meaning.
///
/// A leading `/` anchors the pattern at the transfer root; a trailing `/` matches directories
/// only; a pattern with another `/` is matched against the whole path (unanchored: any tail of
/// it starting at a component), otherwise against the last component. `*` matches within a
/// component, `**` across components, `?` one non-`/` byte, `[...]` a class.
public struct FilterRule: Sendable, Equatable {
    public var include: Bool
    public var pattern: [UInt8]
    public var anchored: Bool
    public var directoryOnly: Bool
    /// The pattern names a path (it has an inner `/` or is anchored), not just a name.
    public var wholePath: Bool

    /// Parses rsync's short and long rule forms: `- PAT`, `+ PAT`, `exclude PAT`, `include PAT`.
    public init?(rule: String) {
        let words = rule.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard words.count == 2 else { return nil }
        switch words[0] {
        case "-", "exclude": self.init(include: false, pattern: String(words[1]))
        case "+", "include": self.init(include: true, pattern: String(words[1]))
        default: return nil
        }
    }

    public init(include: Bool, pattern: String) {
        self.include = include
        var p = Array(pattern.utf8)
        directoryOnly = p.count > 1 && p.last == 0x2F
        if directoryOnly { p.removeLast() }
        anchored = p.first == 0x2F
        if anchored { p.removeFirst() }
        wholePath = anchored || p.contains(0x2F) || zip(p, p.dropFirst()).contains { $0 == 0x2A && $1 == 0x2A }
        self.pattern = p
    }

    /// The rule in `--filter` syntax.
    public var text: String {
        (include ? "+ " : "- ") + (anchored ? "/" : "") + String(decoding: pattern, as: UTF8.self) + (directoryOnly ? "/" : "")
    }

    /// Whether the rule matches `path` (relative to the root, `/`-separated).
    public func matches(_ path: PathBytes, isDirectory: Bool) -> Bool {
        if directoryOnly && !isDirectory { return false }
        if !wholePath {
            return Wildcard.match(pattern[...], PathOps.base(path)[...])
        }
        if anchored { return Wildcard.match(pattern[...], path[...]) }
        // Unanchored with a slash: the pattern may match any tail starting at a component.
        if Wildcard.match(pattern[...], path[...]) { return true }
        var i = 0
        while i < path.count {
            if path[i] == 0x2F && Wildcard.match(pattern[...], path[(i + 1)...]) { return true }
            i += 1
        }
        return false
    }
}

/// rsync-style wildcard matching on bytes.
enum Wildcard {
    static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        var pi = p.startIndex, si = s.startIndex
        while pi < p.endIndex {
            let c = p[pi]
            if c == 0x2A { // *
                let double = pi + 1 < p.endIndex && p[pi + 1] == 0x2A
                let rest = p[(pi + (double ? 2 : 1))...]
                var k = si
                while true {
                    if match(rest, s[k...]) { return true }
                    if k == s.endIndex { return false }
                    if !double && s[k] == 0x2F { return false }
                    k += 1
                }
            }
            guard si < s.endIndex else { return false }
            if c == 0x3F { // ?
                if s[si] == 0x2F { return false }
                pi += 1; si += 1
                continue
            }
            if c == 0x5B, let (ok, next) = matchClass(p, pi, s[si]) { // [
                if !ok { return false }
                pi = next; si += 1
                continue
            }
            if c == 0x5C && pi + 1 < p.endIndex { // backslash escape
                if p[pi + 1] != s[si] { return false }
                pi += 2; si += 1
                continue
            }
            if c != s[si] { return false }
            pi += 1; si += 1
        }
        return si == s.endIndex
    }

    /// Matches `[...]` at `start`; returns whether `ch` is in the class and the index after it,
    /// or nil when the bracket is not a class (then it matches literally).
    static func matchClass(_ p: ArraySlice<UInt8>, _ start: Int, _ ch: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < p.endIndex && (p[i] == 0x21 || p[i] == 0x5E) { negate = true; i += 1 }
        var found = false
        var first = true
        while i < p.endIndex && (p[i] != 0x5D || first) {
            first = false
            var lo = p[i]
            if lo == 0x5C && i + 1 < p.endIndex { i += 1; lo = p[i] }
            if i + 2 < p.endIndex && p[i + 1] == 0x2D && p[i + 2] != 0x5D {
                let hi = p[i + 2]
                if ch >= lo && ch <= hi { found = true }
                i += 3
            } else {
                if ch == lo { found = true }
                i += 1
            }
        }
        guard i < p.endIndex else { return nil }
        return (found != negate, i + 1)
    }
}

/// An ordered rule list: the first rule that matches decides; no match means included.
public struct FilterList: Sendable, Equatable {
    public var rules: [FilterRule] = []
    public init(_ rules: [FilterRule] = []) { self.rules = rules }

    public var isEmpty: Bool { rules.isEmpty }

    /// Whether `path` is excluded. The root `.` never is.
    public func excludes(_ path: PathBytes, isDirectory: Bool) -> Bool {
        if path == [0x2E] { return false }
        for r in rules where r.matches(path, isDirectory: isDirectory) { return !r.include }
        return false
    }
}
