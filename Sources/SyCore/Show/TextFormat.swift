import Glibc

/// Human-readable one-line forms of records, for `sy show`.
public enum TextFormat {
    /// Escapes a raw name: `\\`, `\n`, `\t` and `\xNN` for control bytes and invalid UTF-8.
    public static func escape(_ b: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == 0x5C { out += "\\\\"; i += 1; continue }
            if c == 0x0A { out += "\\n"; i += 1; continue }
            if c == 0x09 { out += "\\t"; i += 1; continue }
            if c < 0x20 || c == 0x7F { out += hexEscape(c); i += 1; continue }
            if c < 0x80 { out.unicodeScalars.append(Unicode.Scalar(c)); i += 1; continue }
            let len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
            if len > 1, i + len <= b.count, let s = String(validating: b[i..<(i + len)], as: UTF8.self) {
                out += s; i += len
            } else {
                out += hexEscape(c); i += 1
            }
        }
        return out
    }

    static func hexEscape(_ c: UInt8) -> String {
        let h = String(c, radix: 16)
        return "\\x" + (h.count == 1 ? "0" : "") + h
    }

    /// `2026-11-28 16:40:00.123456789`, UTC.
    public static func time(_ sec: Int64, _ nsec: Int64) -> String {
        var t = time_t(sec)
        var tm = tm()
        gmtime_r(&t, &tm)
        func p(_ v: Int32, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        let ns = String(nsec)
        return "\(p(tm.tm_year + 1900, 4))-\(p(tm.tm_mon + 1, 2))-\(p(tm.tm_mday, 2)) \(p(tm.tm_hour, 2)):\(p(tm.tm_min, 2)):\(p(tm.tm_sec, 2)).\(String(repeating: "0", count: 9 - ns.count))\(ns)"
    }

    static func entry(_ e: Entry) -> String {
        var s = "\(e.kind.name) \(RecordJSON.octal(e.perms)) \(e.uid):\(e.gid) \(e.size) \(time(e.mtimeSec, e.mtimeNsec)) \(escape(e.path))"
        if !e.target.isEmpty { s += " -> \(escape(e.target))" }
        if e.nlink > 1 { s += " [links \(e.nlink) ino \(e.ino)]" }
        if e.kind.isDevice { s += " [rdev \(e.rdev)]" }
        if let c = e.checksum { s += " [xxh128 \(c)]" }
        if e.unreadable { s += " [unreadable]" }
        if e.noContents { s += " [no contents]" }
        if e.missing { s += " [missing]" }
        if let a = e.atimeSec { s += " [atime \(time(a, 0))]" }
        if let xs = e.xattrs, !xs.isEmpty { s += " [xattrs " + xs.map { escape($0.name) }.joined(separator: ",") + "]" }
        return s
    }

    /// One line for a record.
    public static func line(_ record: Record) -> String {
        switch record {
        case .entry(let e): return "entry \(entry(e))"
        case .plan(let p):
            var s = "plan \(p.action.name)"
            if !p.flags.isEmpty { s += " (\(p.flags.names.joined(separator: ",")))" }
            s += " \(entry(p.entry))"
            if !p.linkTo.isEmpty { s += " => \(escape(p.linkTo))" }
            if let g = p.signature { s += " [signature: \(g.blockCount) blocks of \(g.blockSize), strong \(g.strongLength) bytes, basis \(g.basisSize)]" }
            return s
        case .blocks(let sl, let weak, _): return "blocks \(weak.count) (strong \(sl) bytes)"
        case .summary(let items): return "summary " + items.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        case .idName(let g, let id, let name): return "id-name \(g ? "group" : "user") \(id) = \(escape(name))"
        case .filterFile(let dir, let name, let content): return "filter-file \(escape(PathOps.join(dir, name))) (\(content.count) bytes)"
        case .dirNames(let dir, let names): return "dir-names \(escape(dir)): " + names.map { escape($0) }.joined(separator: " ")
        case .literal(let d): return "literal \(d.count) bytes"
        case .literalZstd(let n, let c): return "literal-zstd \(n) bytes (\(c.count) compressed)"
        case .copy(let o, let l): return "copy basis offset \(o) length \(l)"
        case .sourceRange(let o, let l): return "source-range offset \(o) length \(l)"
        case .fileEnd(let size, let h): return "file-end size \(size)" + (h.map { " xxh128 \($0)" } ?? "")
        case .fileAbort(let e, let m): return "file-abort errno \(e): \(m)"
        case .message(let l, let t): return "message level \(l): \(t)"
        }
    }
}
