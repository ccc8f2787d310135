import Glibc

/// `sy SRC` with no destination: list the source as rsync does (`drwxr-xr-x  4,096 date name`).
public enum Lister {
    /// Reads an entry stream from `fd` and prints one line per entry to stdout.
    public static func list(fd: Int32, showTargets: Bool) throws(SyError) {
        let reader = try StreamReader(fd: fd, expecting: [.entries])
        let out = TextOutput(fd: 1)
        while let rec = try reader.nextRecord() {
            guard case .entry(let e) = rec else { continue }
            let size = Human.commas(UInt64(e.kind == .directory ? 4096 : max(0, e.size)))
            var line = modeString(e) + " " + String(repeating: " ", count: max(0, 14 - size.count)) + size + " " + date(e.mtimeSec)
            line += " " + NameEscape.terminal.apply(e.path)
            if e.kind == .symlink && showTargets { line += " -> " + NameEscape.terminal.apply(e.target) }
            try out.line(line)
        }
        try out.flush()
    }

    static func modeString(_ e: Entry) -> String {
        let type: Character
        switch e.kind {
        case .file: type = "-"
        case .directory: type = "d"
        case .symlink: type = "l"
        case .charDevice: type = "c"
        case .blockDevice: type = "b"
        case .fifo: type = "p"
        case .socket: type = "s"
        }
        var s = String(type)
        let bits: [(UInt32, Character)] = [(0o400, "r"), (0o200, "w"), (0o100, "x"), (0o040, "r"), (0o020, "w"), (0o010, "x"),
                                           (0o004, "r"), (0o002, "w"), (0o001, "x")]
        for (i, (bit, ch)) in bits.enumerated() {
            var c: Character = e.perms & bit != 0 ? ch : "-"
            if i == 2 && e.perms & 0o4000 != 0 { c = c == "x" ? "s" : "S" }
            if i == 5 && e.perms & 0o2000 != 0 { c = c == "x" ? "s" : "S" }
            if i == 8 && e.perms & 0o1000 != 0 { c = c == "x" ? "t" : "T" }
            s.append(c)
        }
        return s
    }

    static func date(_ sec: Int64) -> String {
        var t = time_t(sec)
        var tm = tm()
        localtime_r(&t, &tm)
        func p(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)/\(p(tm.tm_mon + 1))/\(p(tm.tm_mday)) \(p(tm.tm_hour)):\(p(tm.tm_min)):\(p(tm.tm_sec))"
    }
}

extension Transfer {
    /// Lists one source (local or remote) instead of syncing.
    public func list() throws(SyError) -> ExitStatus {
        if let problem = Endpoint.daemonProblem(request.sources[0]) { throw problem }
        let src = Endpoint(request.sources[0])
        var argv = ["sy-scan"]
        if !request.recursive { argv += ["--no-recursive", "--dirs"] }
        for f in request.filters { argv.append("--filter=" + f) }
        argv += ["--", src.path]
        let remote = RemoteShell(request)
        defer { remote.close() }
        let stage = remote.stage(argv, host: src.host)
        let pipe = try makePipe()
        let child: Child
        do { child = try Child.spawn(stage.argv, name: stage.name, stdin: 0, stdout: pipe.write) } catch {
            close(pipe.read); close(pipe.write); throw error
        }
        close(pipe.write)
        var listError: SyError?
        do { try Lister.list(fd: pipe.read, showTargets: request.links) } catch { listError = error }
        close(pipe.read)
        let code = child.wait()
        if code == 255, let h = src.host { throw SyError("cannot connect to \(h), or the connection was lost", status: .unexplained) }
        if code == 127, let h = src.host { throw SyError(RemoteShell.notFound("sy-scan", on: h), status: .startClient) }
        if let e = listError, code == 0 { throw e }
        return code == 0 ? .ok : (ExitStatus(rawValue: code) ?? .partial)
    }
}
