/// Which end of a transfer rsync's client would be, which its listings show: a file it sends
/// to a remote receiver is `<f` (`%o` "send"), one it receives `>f` ("recv"); locally `>f` ("send").
public enum ClientRole: String, Sendable, CaseIterable {
    case local, push, pull
}

/// rsync's `%i` item string (`YXcstpoguax`) for a plan.
public enum Itemizer {
    /// The type letter: f, d, L, D, S.
    static func kindLetter(_ k: EntryKind) -> Character {
        switch k {
        case .file: return "f"
        case .directory: return "d"
        case .symlink: return "L"
        case .charDevice, .blockDevice: return "D"
        case .fifo, .socket: return "S"
        }
    }

    /// The 11-character item string for a plan (deletions use `*deleting  `).
    public static func code(_ plan: Plan, role: ClientRole = .local) -> String {
        let e = plan.entry
        if plan.action == .delete { return "*deleting  " }
        var y: Character
        switch plan.action {
        case .create, .update: y = e.kind == .file ? (role == .push ? "<" : ">") : "c"
        case .hardlink: y = "h"
        default: y = "."
        }
        // Against a reference dir's copy (rsync's ITEM_LOCAL_CHANGE): a file the same in content is copied there.
        if plan.flags.contains(.referenced) && e.kind == .file && plan.flags.isDisjoint(with: [.size, .time]) { y = "c" }
        let isNew = (plan.action == .create && !plan.flags.contains(.value) && !plan.flags.contains(.referenced))
            || (plan.action == .hardlink && !plan.flags.contains(.replace))
        if isNew { return String(y) + String(kindLetter(e.kind)) + "+++++++++" }
        let f = plan.flags
        // rsync: an item identical but for being linked shows spaces, not dots.
        if plan.action == .hardlink && f.isDisjoint(with: [.checksum, .value, .size, .time, .timeNow, .perms, .owner, .group, .atime, .acl, .xattrs]) {
            return String(y) + String(kindLetter(e.kind)) + String(repeating: " ", count: 9)
        }
        var s = String(y) + String(kindLetter(e.kind))
        s.append(f.contains(.checksum) || f.contains(.value) ? "c" : ".")
        s.append(f.contains(.size) ? "s" : ".")
        s.append(f.contains(.time) ? "t" : (f.contains(.timeNow) ? "T" : "."))
        s.append(f.contains(.perms) ? "p" : ".")
        s.append(f.contains(.owner) ? "o" : ".")
        s.append(f.contains(.group) ? "g" : ".")
        s.append(f.contains(.atime) ? "u" : ".")
        s.append(f.contains(.acl) ? "a" : ".")
        s.append(f.contains(.xattrs) ? "x" : ".")
        return s
    }

    /// The name as rsync prints it: directories end in `/`, the root is `./`.
    public static func name(_ plan: Plan) -> String {
        var n = TextFormat.escapeForLog(plan.entry.path)
        if plan.entry.kind == .directory { n += "/" }
        return n
    }

    /// `%n%L`: the name plus ` -> target` for symlinks or ` => link` for hard links.
    public static func nameWithLink(_ plan: Plan) -> String {
        var n = name(plan)
        if plan.action == .delete { return n }
        if plan.entry.kind == .symlink { n += " -> " + TextFormat.escapeForLog(plan.entry.target) }
        if plan.action == .hardlink { n += " => " + TextFormat.escapeForLog(plan.linkTo) }
        return n
    }
}

extension TextFormat {
    /// rsync's escaping of names in log lines: non-printable bytes become `\#ooo`.
    public static func escapeForLog(_ b: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            let c = b[i]
            // rsync's filtered_fwrite: a tab stays; a backslash that would read as an escape
            // (`\#` and three digits) is escaped itself.
            let looksEscaped = c == 0x5C && i + 4 < b.count && b[i + 1] == 0x23 && b[(i + 2)...(i + 4)].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            if (c < 0x20 && c != 0x09) || looksEscaped {
                out += Array("\\#".utf8) + octal3(c)
                i += 1
                continue
            }
            if c >= 0x80 {
                let len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
                if len > 1, i + len <= b.count, String(validating: b[i..<(i + len)], as: UTF8.self) != nil {
                    out += b[i..<(i + len)]; i += len; continue
                }
                out += Array("\\#".utf8) + octal3(c)
                i += 1
                continue
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func octal3(_ c: UInt8) -> [UInt8] {
        [0x30 + (c >> 6), 0x30 + ((c >> 3) & 7), 0x30 + (c & 7)]
    }
}
