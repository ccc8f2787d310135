import Glibc

/// rsync's `--out-format` / `--log-file-format` escapes: `%n` name, `%L` link, `%N` name and
/// link, `%i` item string, `%o` operation, `%l` length, `%b` bytes moved, `%f` file name, `%B`
/// permission string, `%U`/`%G` ids, `%M` mtime, `%t` time, `%p` pid, `%%`. A width (`%-10n`)
/// and `'` (digit grouping) are honoured.
public enum OutFormat {
    /// Whether lines are written for every change (the format has `%i`) or only for transfers.
    public static func itemizes(_ format: String) -> Bool { has(format, ["i"]) }

    /// Whether the format shows a file's byte counts (%b, %c): rsync then logs the line after
    /// the transfer; otherwise before it (with --progress, above the progress line).
    public static func countsBytes(_ format: String) -> Bool { has(format, ["b", "c", "C"]) }

    /// Whether `format` has one of the escapes in `codes` (`%i`, `%-10n`, ...).
    public static func has(_ format: String, _ codes: Set<Character>) -> Bool {
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            guard c == "%" else { continue }
            while let f = chars.first, f == "-" || f == "'" || f.isNumber { chars.removeFirst() }
            if let k = chars.popFirst(), codes.contains(k) { return true }
        }
        return false
    }

    /// `prefix`: what `%f` puts before the name (see `OutputOptions.senderPrefix`).
    public static func render(_ format: String, _ plan: Plan, literal: Int64, matched: Int64, dryRun: Bool, role: ClientRole = .local,
                              prefix: String = "", escape: NameEscape = NameEscape.terminal, slash: Bool = false,
                              ids: (owner: Bool, group: Bool) = (true, true)) -> String {
        var e = plan.entry
        if plan.action == .delete {
            // rsync knows nothing of a deleted file but its name.
            e = Entry(path: e.path, kind: e.kind, perms: 0, size: 0)
        }
        var out = ""
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            guard c == "%", !chars.isEmpty else { out.append(c); continue }
            var left = false, group = false, width = ""
            while let f = chars.first, f == "-" || f == "'" || f.isNumber {
                if f == "-" { left = true } else if f == "'" { group = true } else { width.append(f) }
                chars.removeFirst()
            }
            guard let code = chars.popFirst() else { out.append("%"); break }
            let number: (Int64) -> String = { v in group ? Human.commas(UInt64(max(0, v))) : String(v) }
            var text: String
            switch code {
            case "n": text = Itemizer.name(plan, escape: escape, slash: slash)
            case "L": text = linkPart(plan, escape)
            case "N": text = Itemizer.name(plan, escape: escape, slash: slash) + linkPart(plan, escape)
            case "i": text = Itemizer.code(plan, role: role)
            case "o": text = plan.action == .delete ? "del." : (role == .pull ? "recv" : "send")
            case "l": text = number(plan.action == .delete ? 0 : e.kind == .file ? e.size : e.kind == .symlink ? Int64(e.target.count) : e.kind == .directory ? 4096 : 0)
            case "b", "c": text = number(plan.action == .delete || dryRun ? 0 : literal)
            // (A deletion is the receiver's: its name has no source directory before it.)
            case "f": text = escape.apply(prefix.isEmpty || plan.action == .delete ? e.path : prefix.pathBytes + [0x2F] + e.path)
            case "B": text = permString(e.perms)
            case "U": text = ids.owner ? String(e.uid) : "0"
            case "G": text = ids.group ? String(e.gid) : "DEFAULT"
            case "M": text = timeString(e.mtimeSec, separator: "-")
            case "t": text = timeString(Int64(time(nil)), separator: " ")
            case "p": text = String(getpid())
            case "%": text = "%"
            case "h", "a", "m", "P", "u": text = ""
            default: text = "%" + String(code)
            }
            if let w = Int(width), text.count < w {
                let pad = String(repeating: " ", count: w - text.count)
                text = left ? text + pad : pad + text
            }
            out += text
        }
        return out
    }

    static func linkPart(_ plan: Plan, _ escape: NameEscape) -> String {
        if plan.action == .delete { return "" }
        if plan.entry.kind == .symlink { return " -> " + escape.apply(plan.entry.target) }
        if plan.action == .hardlink && !plan.flags.contains(.linkDest) { return " => " + escape.apply(plan.linkTo) }
        return ""
    }

    /// `rwxr-xr-x` (with s/S/t/T for the special bits).
    static func permString(_ p: UInt32) -> String {
        var s = ""
        for (shift, special, sch) in [(6, UInt32(0o4000), "s"), (3, UInt32(0o2000), "s"), (0, UInt32(0o1000), "t")] {
            let bits = (p >> UInt32(shift)) & 7
            s += bits & 4 != 0 ? "r" : "-"
            s += bits & 2 != 0 ? "w" : "-"
            if p & special != 0 { s += bits & 1 != 0 ? sch : sch.uppercased() } else { s += bits & 1 != 0 ? "x" : "-" }
        }
        return s
    }

    /// `2026/11/28-18:48:24` in local time.
    public static func timeString(_ sec: Int64, separator: String) -> String {
        var t = time_t(sec)
        var tmv = tm()
        localtime_r(&t, &tmv)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tmv.tm_year + 1900)/\(two(tmv.tm_mon + 1))/\(two(tmv.tm_mday))\(separator)\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec))"
    }
}

extension OutFormat {
    /// rsync's sender shows `%f` under the source's directory: `src` for `src/` (so `.` is
    /// `src/.`), the parent for a named source, without `.` components or a leading `/`.
    public static func senderPrefix(forSource arg: String) -> String {
        let contents = arg.hasSuffix("/") || arg == "." || arg.hasSuffix("/.")
        var dir = Substring(arg)
        if !contents {
            while dir.count > 1 && dir.hasSuffix("/") { dir = dir.dropLast() }
            dir = dir.lastIndex(of: "/").map { dir[..<$0] } ?? ""
        }
        return dir.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}

/// `--log-file`: lines prefixed with the time and pid, appended to a file.
public final class LogFile {
    let fd: Int32
    let format: String
    let marker: String

    public init(path: String, format: String?) throws(SyError) {
        do { fd = try TrustedPath.open(path.pathBytes, O_WRONLY | O_CREAT | O_APPEND, 0o644) } catch {
            throw SyError.sys("failed to open log-file", path, error.code, status: .fileIO)
        }
        self.format = format ?? "%i %n%L"
        marker = ""
    }

    /// Log lines written to stderr, each after `relayMarker`, for the local sy to put in its log
    /// file (a push: rsync writes --log-file where its command line runs, see `StderrRelay`).
    public init(relayFormat format: String?) {
        fd = 2
        self.format = format ?? "%i %n%L"
        marker = LogFile.relayMarker
    }

    /// rsync's words for a log file that cannot be opened (the sync goes on without it).
    public static func ignore(_ error: SyError) {
        warn(error.message)
        warn("Ignoring \"log file\" setting.", prefixed: false)
    }

    /// What starts a relayed log line on stderr.
    public static let relayMarker = "\u{1}sy-log\u{1}"

    deinit { if fd != 2 { Sys.close(fd) } }

    public func line(_ text: String) {
        let s = marker + OutFormat.timeString(Int64(time(nil)), separator: " ") + " [\(getpid())] " + text + "\n"
        var bytes: [UInt8] = []
        TextFormat.outputBytes(s, into: &bytes)
        bytes.withUnsafeBytes { b in try? Sys.writeAll(fd, b.baseAddress!, b.count) }
    }
}
