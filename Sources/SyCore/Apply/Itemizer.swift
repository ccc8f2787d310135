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
        case .unchanged where !plan.linkTo.isEmpty: y = "h" // a hard link in place already
        default: y = "."
        }
        // Copied from a reference dir's file that passes the quick check (rsync's ITEM_LOCAL_CHANGE).
        if plan.flags.contains(.localCopy) { y = "c" }
        let isNew = (plan.action == .create && !plan.flags.contains(.value) && !plan.flags.contains(.referenced))
            || (plan.action == .hardlink && plan.flags.isDisjoint(with: [.replace, .referenced]))
        if isNew && !plan.flags.contains(.linkDest) { return String(y) + String(kindLetter(e.kind)) + "+++++++++" }
        let f = plan.flags
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
        // rsync: an item with nothing to report (linked, copied, or up to date with -ii) shows
        // spaces, not dots.
        if "hc.".contains(y) && s.dropFirst(2).allSatisfy({ $0 == "." }) { return String(s.prefix(2)) + String(repeating: " ", count: 9) }
        return s
    }

    /// The name as rsync prints it: directories end in `/`, the root is `./`.
    /// `slash`: as rsync's sender names what an absolute -R source sends (`/etc/ssh/`); a
    /// deletion keeps the receiver's name.
    public static func name(_ plan: Plan, escape: NameEscape = NameEscape.terminal, slash: Bool = false) -> String {
        var n = escape.apply(plan.entry.path)
        if plan.entry.kind == .directory { n += "/" }
        return slash && plan.action != .delete ? "/" + n : n
    }

    /// `%n%L`: the name plus ` -> target` for symlinks or ` => link` for hard links.
    public static func nameWithLink(_ plan: Plan, escape: NameEscape = NameEscape.terminal, slash: Bool = false) -> String {
        name(plan, escape: escape, slash: slash) + OutFormat.linkPart(plan, escape)
    }
}
