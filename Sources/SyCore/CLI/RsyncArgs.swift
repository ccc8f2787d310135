import Glibc

/// rsync command-line habits that a generic parser does not keep.
public enum RsyncArgs {
    /// Options that take `--no-NAME` (long names and their one-letter forms): rsync's own
    /// list, so that `--no-delete`, `--no-update`, `--no-I`, `--no-stats`, `--no-b`, `--no-K`
    /// and `--no-E`, which rsync refuses as unknown options, are refused here too.
    static let negatable: Set<String> = [
        "recursive", "r", "links", "l", "perms", "p", "times", "t", "group", "g", "owner", "o", "devices", "specials", "D",
        "hard-links", "H", "one-file-system", "x", "whole-file", "W", "inplace", "force", "checksum", "c",
        "mkpath", "compress", "z", "verbose", "v", "itemize-changes", "i",
        "progress", "atimes", "U", "open-noatime", "human-readable", "h", "inc-recursive", "i-r", "implied-dirs", "relative", "R", "prune-empty-dirs", "m", "sparse", "S", "delay-updates", "append", "xattrs", "X", "acls", "A", "fuzzy", "y", "numeric-ids", "partial", "backup", "omit-dir-times", "O", "dirs", "d",
        "omit-link-times", "J", "8-bit-output", "8", "blocking-io", "secluded-args", "protect-args", "s", "old-args", "from0",
        "timeout", "contimeout", "bwlimit", "ignore-errors", "i-d", "crtimes", "N", "super", "write-devices", "munge-links", "motd",
    ]

    /// rsync options sy knows but does not implement, and why; they fail with exit 1 rather
    /// than being accepted without effect.
    static let unsupported: [(names: [String], why: String)] = [
        (["-N", "--crtimes"], "creation times are not preserved"),
        (["--super", "--copy-as"], "privileged attributes are copied only when running as root (there --super is accepted: it changes nothing; --fake-super keeps them in xattrs), and as the user sy runs as (--copy-as naming that user is accepted)"),
        (["--copy-devices", "--write-devices"], "device contents are not copied"),
        (["--confine-root"], "not implemented"),
        (["--iconv"], "file names are copied as bytes"),
        (["--compress-threads"], "sy has its own stream format"),
        (["--daemon", "--password-file", "--contimeout", "--config", "--dparam"], "sy has no daemon mode; use ssh"),
    ]

    /// A usage error for an rsync option sy does not implement, if `args` has one.
    public static func unsupportedOption(_ args: [String]) -> SyError? {
        for a in args {
            if a == "--" { break }
            var names: [String] = []
            if a.hasPrefix("--") { names = [String(a.split(separator: "=", maxSplits: 1)[0])] }
            else if a.hasPrefix("-") && a.count >= 2 {
                // A cluster of one-letter flags (-avX), or a one-letter option with its value (-T/tmp).
                names = a.dropFirst().allSatisfy(shortFlags.contains) ? a.dropFirst().map { "-" + String($0) } : [String(a.prefix(2))]
            }
            for n in names {
                if let u = unsupported.first(where: { $0.names.contains(n) }) {
                    return SyError("\(n): unknown option (not supported by sy: \(u.why))", status: .syntax)
                }
            }
        }
        return nil
    }

    /// `args` without the options that concern only a connection to an rsync daemon, which
    /// rsync takes and ignores on other transfers: --address, --sockopts, --early-input (and
    /// their values). sy makes no daemon connections.
    public static func droppingDaemonSocketOptions(_ args: [String]) -> [String] {
        let names: Set<String> = ["--address", "--sockopts", "--early-input"]
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { out += args[i...]; break }
            if names.contains(a) { i += 2; continue }
            if let eq = a.firstIndex(of: "="), names.contains(String(a[..<eq])) { i += 1; continue }
            out.append(a)
            i += 1
        }
        return out
    }

    /// `args` without `--copy-as=USER[:GROUP]` where USER (and GROUP) are who sy runs as
    /// already: the copy is done as that user, and there is nothing to change.
    public static func droppingCopyAsSelf(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { out += args[i...]; break }
            var spec: String?
            var width = 1
            if a == "--copy-as", i + 1 < args.count { spec = args[i + 1]; width = 2 }
            else if a.hasPrefix("--copy-as=") { spec = String(a.dropFirst(10)) }
            if let spec, copyAsIsSelf(spec) { i += width; continue }
            out.append(a)
            i += 1
        }
        return out
    }

    static func copyAsIsSelf(_ spec: String) -> Bool {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        func uid(_ n: String) -> uid_t? { getpwnam(n).map { $0.pointee.pw_uid } ?? UInt32(n) }
        func gid(_ n: String) -> gid_t? { getgrnam(n).map { $0.pointee.gr_gid } ?? UInt32(n) }
        guard let u = uid(parts[0]), u == geteuid() else { return false }
        if parts.count == 2 { return gid(parts[1]) == getegid() }
        return true
    }

    /// `args` without the option `name` (before a `--`).
    public static func removing(_ name: String, from args: [String]) -> [String] {
        let end = args.firstIndex(of: "--") ?? args.count
        return args.enumerated().filter { i, a in i >= end || a != name }.map(\.element)
    }

    /// `args` with each `-M OPTION` and `--remote-option OPTION` written as one argument,
    /// `--remote-option=OPTION`, so that the remote side's option is not read as this side's.
    public static func joiningRemoteOptions(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { out += args[i...]; break }
            if (a == "-M" || a == "--remote-option") && i + 1 < args.count {
                out.append("--remote-option=" + args[i + 1])
                i += 2
                continue
            }
            out.append(a)
            i += 1
        }
        return out
    }

    /// rsync's --del/--delete-during and --delete-delay set one variable: the last one given
    /// wins, and together they are no "multiple --delete-WHEN options". The others are dropped.
    public static func lastDeleteDuringWins(_ args: [String]) -> [String] {
        let names: Set<String> = ["--del", "--delete-during", "--delete-delay"]
        let end = args.firstIndex(of: "--") ?? args.count
        guard let last = args[..<end].lastIndex(where: names.contains) else { return args }
        return args.enumerated().filter { i, a in i >= end || i == last || !names.contains(a) }.map(\.element)
    }

    /// Removes `--no-NAME` arguments (before a `--`), returning the rest and the negated names
    /// (those no later option turns on again); writes `-@ N` as `--modify-window=N`.
    public static func splitNegations(_ args: [String]) -> ([String], Set<String>) {
        var out: [String] = []
        var negated: Set<String> = []
        var done = false
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            if !done && a == "--" { done = true }
            // --modify-window's value may be negative (-@ -1, -@-1), which a generic parser takes for an option.
            if !done && (a == "-@" || a == "--modify-window") && i < args.count {
                out.append("--modify-window=" + args[i]); i += 1; continue
            }
            if !done && a.hasPrefix("-@") && a.count > 2 { out.append("--modify-window=" + a.dropFirst(2)); continue }
            if !done && a.hasPrefix("--no-") {
                let name = String(a.dropFirst(5))
                if negatable.contains(name) {
                    // rsync reads options in order: a later -W undoes a --no-W before it.
                    if !enabledLater(name, in: args[i...]) { negated.insert(name) }
                    continue
                }
            }
            out.append(a)
        }
        return (out, negated)
    }

    /// Long and short names of one option, for `enabledLater`.
    static let aliases: [[String]] = [
        ["recursive", "r"], ["links", "l"], ["perms", "p"], ["times", "t"], ["group", "g"], ["owner", "o"],
        ["hard-links", "H"], ["one-file-system", "x"], ["whole-file", "W"], ["checksum", "c"], ["ignore-times", "I"],
        ["update", "u"], ["compress", "z"], ["verbose", "v"], ["itemize-changes", "i"], ["atimes", "U"],
        ["human-readable", "h"], ["relative", "R"], ["prune-empty-dirs", "m"], ["sparse", "S"], ["xattrs", "X"],
        ["acls", "A"], ["fuzzy", "y"], ["backup", "b"], ["omit-dir-times", "O"], ["dirs", "d"], ["keep-dirlinks", "K"],
        ["omit-link-times", "J"], ["append", "append-verify"], ["8-bit-output", "8"], ["secluded-args", "protect-args", "s"], ["executability", "E"],
    ]
    /// What `-a` turns on (and `-D`).
    static let archive: Set<String> = ["r", "l", "p", "t", "g", "o", "D", "devices", "specials"]
    /// Short options that take a value: the rest of a cluster after one is that value.
    static let shortWithValue: Set<Character> = ["e", "f", "B", "T", "M", "@"]

    /// Whether an option given after a `--no-NAME` turns NAME on again (`rest`: the arguments
    /// after it, up to `--`).
    static func enabledLater(_ name: String, in rest: ArraySlice<String>) -> Bool {
        let names = aliases.first { $0.contains(name) } ?? [name]
        var i = rest.startIndex
        while i < rest.endIndex {
            let a = rest[i]
            i += 1
            if a == "--" { break }
            if a.hasPrefix("--") {
                let parts = a.dropFirst(2).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let long = parts.first.map(String.init) ?? ""
                if names.contains(long) || (long == "archive" && names.contains(where: archive.contains)) { return true }
                // --usermap turns -o on, --groupmap -g, and --chown=USER:GROUP each it names (as rsync).
                if long == "usermap" && names.contains("o") || long == "groupmap" && names.contains("g") { return true }
                if long == "chown" {
                    let value = parts.count > 1 ? String(parts[1]) : i < rest.endIndex ? rest[i] : ""
                    let spec = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    if names.contains("o") && !(spec.first ?? "").isEmpty { return true }
                    if names.contains("g") && spec.count > 1 && !spec[1].isEmpty { return true }
                }
            } else if a.hasPrefix("-") && a.count > 1 {
                for c in a.dropFirst() {
                    if names.contains(String(c)) || (c == "a" && names.contains(where: archive.contains))
                        || (c == "D" && (names.contains("devices") || names.contains("specials"))) { return true }
                    if shortWithValue.contains(c) { break }
                }
            }
        }
        return false
    }
}

extension RsyncArgs {
    /// rsync's `-C` list.
    public static let cvsExcludes = ["RCS", "SCCS", "CVS", "CVS.adm", "RCSLOG", "cvslog.*", "tags", "TAGS", ".make.state",
                                     ".nse_depinfo", "*~", "#*", ".#*", ",*", "_$*", "*$", "*.old", "*.bak", "*.BAK", "*.orig",
                                     "*.rej", ".del-*", "*.a", "*.olb", "*.o", "*.obj", "*.so", "*.exe", "*.Z", "*.elc", "*.ln",
                                     "core", ".svn/", ".git/", ".hg/", ".bzr/"]

    /// Takes the filter options out of `args` in the order given (rsync applies them in command-line
    /// order across `--exclude`, `--include`, `--filter`/`-f`, `-F`, `--exclude-from`,
    /// `--include-from`), and returns the remaining arguments and the rules in `--filter` form,
    /// `merge` files read and expanded.
    public static func extractFilters(_ args: [String]) throws(SyError) -> ([String], [String]) {
        var rest: [String] = []
        var rules: [String] = []
        var i = 0
        var fCount = 0
        var oldDirs = false
        // -0: list files given after it end their lines with NUL (rsync reads them as it parses).
        var from0 = false
        func value(_ name: String) throws(SyError) -> String {
            let a = args[i]
            if a.hasPrefix(name + "=") { return String(a.dropFirst(name.count + 1)) }
            if a.hasPrefix("-f") && name == "-f" && a.count > 2 { return String(a.dropFirst(2)) }
            i += 1
            guard i < args.count else { throw SyError("option \(name) requires an argument", status: .syntax) }
            return args[i]
        }
        /// `--exclude`/`--include` values and list-file lines take rsync's old `- `/`+ `/`!` prefixes.
        func oldStyle(_ pattern: String, include: Bool) -> String {
            if pattern.hasPrefix("- ") || pattern.hasPrefix("+ ") || pattern == "!" { return pattern }
            return (include ? "+ " : "- ") + pattern
        }
        func readList(_ file: String, include: Bool) throws(SyError) {
            let bytes: [UInt8]
            do throws(Errno) {
                let fd = file == "-" ? 0 : try TrustedPath.open(file.pathBytes, O_RDONLY)
                defer { if fd != 0 { Sys.close(fd) } }
                bytes = try Sys.readAll(fd)
            } catch {
                throw SyError.sys("failed to open \(include ? "include" : "exclude") file", file, error.code, status: .fileIO)
            }
            for line in bytes.split(separator: from0 ? 0 : 0x0A) {
                var l = RawArguments.decode(line)
                if l.hasSuffix("\r") { l.removeLast() }
                if l.isEmpty || l.hasPrefix(";") || l.hasPrefix("#") { continue }
                // (Marked as read from a file: rsync's -vv notes name such a rule only so.)
                let rule = oldStyle(l, include: include)
                rules.append(rule == "!" ? rule : String(rule.prefix(1)) + ",F" + rule.dropFirst(1))
            }
        }
        func addF() {
            fCount += 1
            rules.append(fCount == 1 ? ": /.rsync-filter" : "- .rsync-filter")
        }
        while i < args.count {
            let a = args[i]
            if a == "--" { rest += args[i...]; break }
            if a == "--from0" || (a.hasPrefix("-") && !a.hasPrefix("--") && a.contains("0") && a.dropFirst().allSatisfy(shortFlags.contains)) {
                from0 = true
            }
            if a == "--exclude" || a.hasPrefix("--exclude=") {
                rules.append(oldStyle(try value("--exclude"), include: false))
            } else if a == "--include" || a.hasPrefix("--include=") {
                rules.append(oldStyle(try value("--include"), include: true))
            } else if a == "--filter" || a.hasPrefix("--filter=") {
                rules.append(try value("--filter"))
            } else if a == "-f" || (a.hasPrefix("-f") && !a.hasPrefix("--") && a.count > 2) {
                rules.append(try value("-f"))
            } else if a == "--exclude-from" || a.hasPrefix("--exclude-from=") {
                try readList(try value("--exclude-from"), include: false)
            } else if a == "--include-from" || a.hasPrefix("--include-from=") {
                try readList(try value("--include-from"), include: true)
            } else if a == "--old-dirs" || a == "--old-d" {
                // rsync's --old-dirs is -r with a last rule that stops below the top level.
                oldDirs = true
            } else if a.hasPrefix("-") && !a.hasPrefix("--") && a.contains("F") && a.dropFirst().allSatisfy(shortFlags.contains) {
                // -F, also inside a cluster such as -avF: each F adds its rule here.
                for _ in a.filter({ $0 == "F" }) { addF() }
                let others = a.filter { $0 != "F" }
                if others.count > 1 { rest.append(others) }
            } else {
                rest.append(a)
            }
            i += 1
        }
        if oldDirs {
            rules.append("- /*/*")
            rest.insert("-r", at: 0)
        }
        let list = try FilterList(parsing: rules)
        return (rest, list.texts)
    }

    /// One-letter options that take a value, which may be written onto them (`-B700`).
    static let valueShorts = Set("eBTfj@M")

    /// Splits a value written onto its one-letter option, also at the end of a cluster, into
    /// its own argument (`-avB700` is `-av -B 700`), as rsync's option parser allows.
    public static func splitAttachedValues(_ args: [String]) -> [String] {
        var out: [String] = []
        for (i, a) in args.enumerated() {
            if a == "--" { out += args[i...]; break }
            guard a.hasPrefix("-"), !a.hasPrefix("--"), a.count > 2 else { out.append(a); continue }
            let letters = Array(a.dropFirst())
            guard let k = letters.firstIndex(where: { !shortFlags.contains($0) }), valueShorts.contains(letters[k]),
                  k > 0 || letters.count > 1 else { out.append(a); continue }
            if k > 0 { out.append("-" + String(letters[..<k])) }
            out.append("-" + String(letters[k]))
            if k + 1 < letters.count { out.append(String(letters[(k + 1)...])) }
        }
        return out
    }

    /// One-letter options that take no value, which may be clustered with -F.
    static let shortFlags = Set("avrlptgoDHxnzcIuWbdOqihCFPSLkKRmyXAEUJN80")
}
