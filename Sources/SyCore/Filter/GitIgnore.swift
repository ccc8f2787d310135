/// `--gitignore` and `--syignore`: per-directory files with git's ignore semantics, turned
/// into sy's rules. In git the last matching line wins, so a file's lines are reversed; a
/// pattern with a `/` before its end is anchored at the file's directory, others match at any
/// depth below it; `!` re-includes; a leading `**/` matches in every directory.
enum GitIgnore {
    static func rules(in bytes: [UInt8], template: FilterRule) -> [FilterRule] {
        var out: [FilterRule] = []
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            var line = Array(raw)
            if line.last == 0x0D { line.removeLast() }
            if line.first == 0x23 { continue } // # comment
            // Trailing spaces are dropped unless escaped.
            while line.last == 0x20 && !(line.count >= 2 && line[line.count - 2] == 0x5C) { line.removeLast() }
            if line.isEmpty { continue }
            var include = false
            if line.first == 0x21 { include = true; line.removeFirst() } // !
            else if line.starts(with: [0x5C, 0x21]) || line.starts(with: [0x5C, 0x23]) { line.removeFirst() } // \! \#
            if line.isEmpty { continue }
            var dirOnly = false
            if line.last == 0x2F { dirOnly = true; line.removeLast() }
            var anywhere = false
            while line.starts(with: [0x2A, 0x2A, 0x2F]) { line.removeFirst(3); anywhere = true } // **/x: x at any depth
            var anchored = !anywhere && line.contains(0x2F)
            if line.first == 0x2F { line.removeFirst() }
            if line.isEmpty { continue }
            if line.starts(with: [0x2A, 0x2A]) && !line.contains(0x2F) { anchored = false }
            // git's "a/**/b" also matches "a/b": one rule per way of dropping each "/**/".
            for variant in zeroDirVariants(line) {
                var pattern = (anchored ? [0x2F] : []) + variant
                if dirOnly { pattern.append(0x2F) }
                var r = FilterRule(include: include, pattern: RawArguments.decode(pattern))
                r.sender = template.sender; r.receiver = template.receiver; r.sideGiven = template.sideGiven
                r.perishable = template.perishable
                r.escapes = true
                out.append(r)
            }
        }
        return out.reversed()
    }

    static func zeroDirVariants(_ p: [UInt8]) -> [[UInt8]] {
        let mid: [UInt8] = [0x2F, 0x2A, 0x2A, 0x2F]
        var i = 0
        while i + 4 <= p.count {
            if Array(p[i..<(i + 4)]) == mid {
                let tails = zeroDirVariants(Array(p[(i + 4)...]))
                let head = Array(p[..<i])
                return tails.map { head + mid + $0 } + tails.map { head + [0x2F] + $0 }
            }
            i += 1
        }
        return [p]
    }
}
