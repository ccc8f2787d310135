/// rsync-style wildcard matching on bytes: `*` within a component, `**` across components,
/// `?` one non-`/` byte, `[...]` a class, `\` an escape.
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
            if p[i] == 0x5B && i + 1 < p.endIndex && p[i + 1] == 0x3A, // [:class:]
               let end = classEnd(p, i + 2) {
                if namedClass(p[(i + 2)..<end], ch) { found = true }
                i = end + 2
                continue
            }
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

    private static func classEnd(_ p: ArraySlice<UInt8>, _ from: Int) -> Int? {
        var j = from
        while j + 1 < p.endIndex {
            if p[j] == 0x3A && p[j + 1] == 0x5D { return j }
            j += 1
        }
        return nil
    }

    private static func namedClass(_ name: ArraySlice<UInt8>, _ c: UInt8) -> Bool {
        let digit = c >= 0x30 && c <= 0x39, upper = c >= 0x41 && c <= 0x5A, lower = c >= 0x61 && c <= 0x7A
        switch String(decoding: name, as: UTF8.self) {
        case "alpha": return upper || lower
        case "digit": return digit
        case "alnum": return upper || lower || digit
        case "upper": return upper
        case "lower": return lower
        case "space": return c == 0x20 || (c >= 0x09 && c <= 0x0D)
        case "blank": return c == 0x20 || c == 0x09
        case "punct": return c > 0x20 && c < 0x7F && !(upper || lower || digit)
        case "xdigit": return digit || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
        case "print": return c >= 0x20 && c < 0x7F
        case "graph": return c > 0x20 && c < 0x7F
        case "cntrl": return c < 0x20 || c == 0x7F
        default: return false
        }
    }
}
