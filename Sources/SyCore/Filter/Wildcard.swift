/// rsync's wildcard matching (its lib/wildmatch.c) on bytes: `*` within a component, `**` (or
/// more stars) across components, `?` one non-`/` byte, `[...]` a class (`!` or `^` negates,
/// ranges, `[:alpha:]` names; never `/`), `\` an escape. A class left open or with an unknown
/// `[:name:]` matches nothing, as rsync's.
enum Wildcard {
    enum Outcome { case noMatch, match, abortAll, abortToStarStar }

    /// Whether `p` matches all of `s`.
    static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        run(p, p.startIndex, s, s.startIndex) == .match
    }

    /// rsync's wildmatch_array on one string. `from`: 0 matches from the start; n > 0 only the
    /// last n `/`-separated components; -1 at the start or after any `/`.
    static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>, from: Int) -> Bool {
        var text = s
        if from > 0 {
            guard let tail = trailing(s, from) else { return false }
            text = tail
        }
        var r = run(p, p.startIndex, text, text.startIndex)
        if r != .match && from < 0 && r != .abortAll {
            var i = text.startIndex
            while i < text.endIndex {
                let c = text[i]
                i += 1
                guard c == 0x2F else { continue }
                r = run(p, p.startIndex, text, i)
                if r != .noMatch && r != .abortToStarStar { break }
            }
        }
        return r == .match
    }

    /// rsync's litmatch_array: `lit` equals all of `s` (or its last `from` components).
    static func literal(_ lit: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>, from: Int) -> Bool {
        if from > 0 {
            guard let tail = trailing(s, from) else { return false }
            return tail.elementsEqual(lit)
        }
        return s.elementsEqual(lit)
    }

    /// The last `count` components of `s`, or nil when it has fewer.
    static func trailing(_ s: ArraySlice<UInt8>, _ count: Int) -> ArraySlice<UInt8>? {
        var left = count
        var i = s.endIndex
        while i > s.startIndex {
            i -= 1
            if s[i] == 0x2F {
                left -= 1
                if left == 0 { return s[(i + 1)...] }
            }
        }
        return left == 1 ? s : nil
    }

    /// rsync's dowild: matches `p` from `pi` against `t` from `ti`.
    static func run(_ p: ArraySlice<UInt8>, _ pStart: Int, _ t: ArraySlice<UInt8>, _ tStart: Int) -> Outcome {
        var pi = pStart, ti = tStart
        /// The pattern byte at `i`, 0 past its end (C's terminating NUL).
        func at(_ i: Int) -> UInt8 { i < p.endIndex ? p[i] : 0 }
        while pi < p.endIndex {
            var pc = p[pi]
            if ti == t.endIndex && pc != 0x2A { return .abortAll }
            let tc: UInt8 = ti < t.endIndex ? t[ti] : 0
            switch pc {
            case 0x5C: // \x: x itself
                pi += 1
                if tc != at(pi) { return .noMatch }
            case 0x3F: // ?
                if tc == 0x2F { return .noMatch }
            case 0x2A: // *, ** (any run of stars)
                pi += 1
                var special = false
                if at(pi) == 0x2A {
                    while at(pi) == 0x2A { pi += 1 }
                    special = true
                }
                if pi == p.endIndex {
                    // A trailing * matches only where no `/` is left; ** matches everything.
                    return special || !t[ti...].contains(0x2F) ? .match : .noMatch
                }
                var k = ti
                while k < t.endIndex {
                    let m = run(p, pi, t, k)
                    if m != .noMatch {
                        if !special || m != .abortToStarStar { return m }
                    } else if !special && t[k] == 0x2F {
                        return .abortToStarStar
                    }
                    k += 1
                }
                return .abortAll
            case 0x5B: // [class]
                pi += 1
                pc = at(pi)
                if pc == 0x5E { pc = 0x21 }
                let negated = pc == 0x21
                if negated { pi += 1; pc = at(pi) }
                var prev: UInt8 = 0
                var matched = false
                while true {
                    if pc == 0 { return .abortAll }
                    if pc == 0x5C {
                        pi += 1
                        pc = at(pi)
                        if pc == 0 { return .abortAll }
                        if tc == pc { matched = true }
                    } else if pc == 0x2D && prev != 0 && at(pi + 1) != 0 && at(pi + 1) != 0x5D {
                        pi += 1
                        pc = at(pi)
                        if pc == 0x5C {
                            pi += 1
                            pc = at(pi)
                            if pc == 0 { return .abortAll }
                        }
                        if tc <= pc && tc >= prev { matched = true }
                        pc = 0
                    } else if pc == 0x5B && at(pi + 1) == 0x3A {
                        pi += 2
                        let s = pi
                        while at(pi) != 0 && at(pi) != 0x5D { pi += 1 }
                        pc = at(pi)
                        if pc == 0 { return .abortAll }
                        if pi - s - 1 < 0 || p[pi - 1] != 0x3A {
                            // No ":]": the "[" is an ordinary member.
                            pi = s - 2
                            pc = 0x5B
                            if tc == pc { matched = true }
                        } else {
                            guard let inClass = namedClass(p[s..<(pi - 1)], tc) else { return .abortAll }
                            if inClass { matched = true }
                            pc = 0
                        }
                    } else if tc == pc {
                        matched = true
                    }
                    prev = pc
                    pi += 1
                    pc = at(pi)
                    if pc == 0x5D { break }
                }
                if matched == negated || tc == 0x2F { return .noMatch }
            default:
                if tc != pc { return .noMatch }
            }
            pi += 1
            ti += 1
        }
        return ti == t.endIndex ? .match : .noMatch
    }

    /// Whether `c` is in the `[:name:]` class (ASCII, as in the C locale); nil for an unknown name.
    private static func namedClass(_ name: ArraySlice<UInt8>, _ c: UInt8) -> Bool? {
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
        default: return nil
        }
    }
}
