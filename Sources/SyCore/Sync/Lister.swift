import Glibc

/// `sy SRC` with no destination: list the source as rsync does (`drwxr-xr-x  4,096 date name`).
public enum Lister {
    /// Reads an entry stream from `fd` and prints one line per entry to stdout (none when
    /// `quiet`, as rsync's -q). Returns the counts rsync's --stats gives for a listing: files
    /// by kind, their total size (symlinks count their target's length), the list's bytes.
    /// `human`: sizes as -h prints them (4.10K). `atimes` (-U): a column of access times after
    /// the modification times, blank for directories, as rsync's.
    public static func list(fd: Int32, showTargets: Bool, quiet: Bool = false, human: Bool = false,
                            atimes: Bool = false) throws(SyError) -> ApplyStats {
        let reader = try StreamReader(fd: fd, expecting: [.entries])
        let out = TextOutput(fd: 1)
        var counts = SourceCounts()
        while let rec = try reader.nextRecord() {
            if case .summary(let items) = rec { counts.addUnsent(items) }
            guard case .entry(let e) = rec else { continue }
            counts.add(e)
            if quiet { continue }
            if e.missing {
                // --delete-missing-args: rsync's "*missing" in place of the mode, size and times.
                let width = 10 + 1 + 14 + 20 + (atimes ? 20 : 0)
                try out.line("*missing" + String(repeating: " ", count: width - 8) + " " + NameEscape.terminal.apply(e.path))
                continue
            }
            let bytes = UInt64(e.kind == .directory ? 4096 : max(0, e.size))
            let size = human ? Human.size(bytes) : Human.commas(bytes)
            var line = modeString(e) + " " + String(repeating: " ", count: max(0, 14 - size.count)) + size + " " + date(e.mtimeSec)
            if atimes { line += e.kind == .directory ? String(repeating: " ", count: 20) : " " + date(e.atimeSec ?? e.mtimeSec) }
            line += " " + NameEscape.terminal.apply(e.path)
            if e.kind == .symlink && showTargets { line += " -> " + NameEscape.terminal.apply(e.target) }
            try out.line(line)
        }
        try out.flush()
        var st = ApplyStats()
        st.absorb(counts.items(entryBytes: reader.wireBytes))
        return st
    }

    /// The entries of the stream on `fd`.
    static func count(_ fd: Int32) throws(SyError) -> Int {
        let reader = try StreamReader(fd: fd, expecting: [.entries])
        var n = 0
        while let t = try reader.next() { if t == .entry { n += 1 } }
        return n
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
    /// Lists the sources (local, or on one remote host) instead of syncing, with rsync's -v
    /// header and closing lines (--stats: its counts; no transfer, so nothing created or sent).
    public func list() throws(SyError) -> ExitStatus {
        for arg in request.sources { if let problem = Endpoint.daemonProblem(arg) { throw problem } }
        let (host, paths) = try sourceEndpoints()
        let src = Endpoint(host: host, path: paths[0])
        var argv = ["sy-scan"]
        if !request.recursive { argv += ["--no-recursive", "--dirs"] }
        argv += StageCommands.listShape(request)
        // (The lister is the sender: --fake-super here, -M's on a remote one.)
        if (src.host == nil ? request.superMode : request.remoteSuperMode ?? .asIs) == .fake { argv.append("--fake-super") }
        for f in request.filters { argv.append("--filter=" + f) }
        argv += ["--"] + paths
        // rsync lists a directory's own entries without -r: a whole list, as -d makes.
        var shown = request
        if !shown.recursive { shown.dirs = true }
        let levels = shown.infoLevels
        printOpening(shown, pull: src.host != nil, whole: shown.wholeFile ?? (src.host == nil))
        let start = wallNanos()
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
        var st = ApplyStats()
        do throws(SyError) {
            var input = pipe.read
            if shown.countsWholeList && !request.quiet {
                // --progress with a whole list: rsync counts it before listing ("N files to
                // consider", on the header's line where the list is received).
                input = try Summer.spoolStream(from: pipe.read)
                try Summer.rewind(input)
                let n = try Lister.count(input)
                try Summer.rewind(input)
                printLine(Summer.listCountNote(n, steps: src.host == nil))
            }
            defer { if input != pipe.read { close(input) } }
            st = try Lister.list(fd: input, showTargets: request.links, quiet: request.quiet, human: request.humanReadable,
                                atimes: request.atimes)
        } catch { listError = error }
        close(pipe.read)
        let code = child.wait()
        if code == 255, let h = src.host { throw SyError("cannot connect to \(h), or the connection was lost", status: .unexplained) }
        if let missing = ExitStatus.remoteCommand(code), let h = src.host { throw SyError(RemoteShell.notFound("sy-scan", on: h), status: missing) }
        if let e = listError, code == 0 { throw e }
        if listError == nil && !request.quiet && !request.json {
            st.listNanos = wallNanos() - start
            let elapsed = Double(st.listNanos) / 1e9
            // The list comes to this side: received, as rsync's client counts a listing.
            for l in SummaryText(human: request.humanReadable).lines(st, sent: 0, received: st.entryBytes, elapsed: elapsed,
                                                                      stats: levels.fullStats, summary: levels.summary,
                                                                      deltaTotals: shown.senderLevels(src.host != nil ? .pull : .local).deltaTotals, listReceived: src.host != nil) {
                printLine(l)
            }
        }
        return code == 0 ? .ok : (ExitStatus(rawValue: code) ?? .partial)
    }
}
