import Glibc

/// Starts stages locally (the tools next to `sy`) or on a host through the remote shell.
///
/// The stages a sync runs on one host share one remote-shell session: `sy --mux-server` there
/// starts them and carries their streams over the session's standard input and output (see
/// `MuxConnection`). So a host costs one connection and one remote shell start-up, as rsync's
/// single ssh does, with no control socket to set up or leave behind.
public final class RemoteShell {
    let request: SyncRequest
    let toolDir: String
    /// The remote shell command split into words (`-e 'ssh -p 2222'`).
    let rshWords: [String]
    var connections: [MuxConnection] = []
    /// ssh may be asked to prefer AES-GCM (see `cipherWords(for:)`).
    let mayPreferAES: Bool
    private var cipherChoice: [String: [String]] = [:]

    public init(_ request: SyncRequest) {
        self.request = request
        toolDir = executableDirectory()
        // -e, else SY_RSH, else rsync's RSYNC_RSH (set for rsync, meant for this too).
        func env(_ name: String) -> String? { getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }
        let given = request.rsh ?? env("SY_RSH") ?? env("RSYNC_RSH")
        let words = splitShellWords(given ?? "ssh")
        let program = words.first.map { PathOps.base(Array($0.utf8)) } ?? []
        rshWords = words + (program.starts(with: Array("ssh".utf8)) ? request.sshOptions : [])
        let isSSH = program == Array("ssh".utf8)
        mayPreferAES = isSSH && RemoteShell.cpuHasAES && !rshWords.dropFirst().contains { w in
            w.hasPrefix("-c") || w.lowercased().contains("ciphers") || w == "-G"
        }
    }

    /// `-c LIST` when ssh, left to its configuration, would put chacha20-poly1305 first for
    /// `host`: the same ciphers with AES-GCM first. With AES instructions, OpenSSH's AES-GCM
    /// costs about a third less CPU per byte than its chacha20 (a 662 MB push over loopback
    /// took 3.1 s instead of 4.3 s). A cipher list set in the ssh configuration or on the
    /// command line is left alone; `ssh -G` (no connection) tells what the configuration says.
    func cipherWords(for host: String) -> [String] {
        guard mayPreferAES else { return [] }
        if let known = cipherChoice[host] { return known }
        var words: [String] = []
        if let out = RemoteShell.capture([findExecutable(rshWords[0])] + rshWords.dropFirst() + ["-G", host]) {
            let line = out.split(separator: "\n").first { $0.hasPrefix("ciphers ") }
            let list = line.map { $0.dropFirst(8).split(separator: ",").map(String.init) } ?? []
            let gcm = list.filter { $0.hasPrefix("aes") && $0.hasSuffix("-gcm@openssh.com") }
            if list.first == "chacha20-poly1305@openssh.com" && !gcm.isEmpty {
                words = ["-c", (gcm + list.filter { !gcm.contains($0) }).joined(separator: ",")]
            }
        }
        cipherChoice[host] = words
        return words
    }

    /// The standard output of a short command (its input and errors go to /dev/null), or nil
    /// if it cannot start or fails.
    static func capture(_ argv: [String]) -> String? {
        guard let pipe = try? makePipe() else { return nil }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if null >= 0 { Glibc.close(null) } }
        let child = try? Child.spawn(argv, name: argv[0], stdin: null >= 0 ? null : 0, stdout: pipe.write,
                                     extraFds: null >= 0 ? [(null, Int32(2))] : [])
        Glibc.close(pipe.write)
        defer { Glibc.close(pipe.read) }
        guard let child else { return nil }
        var out: [UInt8] = []
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 16384, alignment: 8)
        defer { buf.deallocate() }
        while let n = try? Sys.read(pipe.read, buf, 16384), n > 0, out.count < 1 << 20 {
            out.append(contentsOf: UnsafeRawBufferPointer(start: buf, count: n))
        }
        guard child.wait() == 0 else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether the CPU has AES instructions (x86 "aes" flag).
    public static let cpuHasAES: Bool = {
        guard let text = try? readSmallFile("/proc/cpuinfo") else { return false }
        return text.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("aes") }
    }()

    deinit { close() }

    var remoteToolDir: String? {
        request.remoteSy ?? getenv("SY_REMOTE_SY").map { String(cString: $0) }
    }

    /// A tool's name as the remote side runs it: in --remote-sy DIR, else found on its PATH.
    func remoteTool(_ tool: String) -> String {
        (remoteToolDir.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "") + tool
    }

    /// The pipeline's stages: local ones run here; those on a host go through one session per
    /// host, opened now (throws naming the host if it cannot be reached or has no sy).
    public func stages(_ list: [(argv: [String], host: String?)]) throws(SyError) -> [Pipeline.Stage] {
        var hosts: [String] = []
        for case let h? in list.map(\.host) where !hosts.contains(h) { hosts.append(h) }
        var byHost: [String: MuxConnection] = [:]
        for host in hosts {
            let mine = list.filter { $0.host == host }
            var words = [remoteTool("sy"), "--mux-server"]
            for s in mine { words += [String(s.argv.count), remoteTool(s.argv[0])] + s.argv.dropFirst() }
            var relay: StderrRelay?
            if let (h, path) = logRelay, h == host { relay = try StderrRelay(logPath: path); relays.append(relay!) }
            let conn = try MuxConnection(host: host, argv: remoteShell(host, words), channels: mine.count, stderr: relay?.writeEnd)
            relay?.started()
            connections.append(conn)
            byHost[host] = conn
        }
        var next: [String: Int] = [:]
        return list.map { s in
            guard let host = s.host else { return Pipeline.Stage(name: s.argv[0], argv: [toolDir + "/" + s.argv[0]] + s.argv.dropFirst()) }
            var stage = Pipeline.Stage(name: "\(s.argv[0]) on \(host)", argv: [])
            stage.host = host
            stage.mux = byHost[host]
            stage.channel = next[host, default: 0]
            next[host, default: 0] += 1
            return stage
        }
    }

    /// Ends sessions still open (after a failure); their remote stages see their input end.
    public func close() {
        for c in connections { c.terminate() }
        connections = []
        for r in relays { r.finish() }
        relays = []
    }

    /// A push's `--log-file`: the host whose sy-apply relays its log lines, and the local file.
    public var logRelay: (host: String, path: String)?
    private var relays: [StderrRelay] = []

    /// One command alone on `host` (nil: here), in a session of its own.
    public func stage(_ argv: [String], host: String?) -> Pipeline.Stage {
        let tool = argv[0]
        guard let host else {
            return Pipeline.Stage(name: tool, argv: [toolDir + "/" + tool] + argv.dropFirst())
        }
        var stage = Pipeline.Stage(name: "\(tool) on \(host)", argv: remoteShell(host, [remoteTool(tool)] + argv.dropFirst()))
        stage.host = host
        return stage
    }

    /// The remote shell's argv running `words` on `host` (quoted; with --timeout for the tools too).
    func remoteShell(_ host: String, _ words: [String]) -> [String] {
        var command = words.map(remoteWordQuote).joined(separator: " ")
        if !request.remotePrefix.isEmpty { command = request.remotePrefix + " " + command }
        if request.timeout > 0 { command = "SY_TIMEOUT=\(request.timeout) " + command }
        // posix_spawn needs a path.
        return [findExecutable(rshWords[0])] + cipherWords(for: host) + rshWords.dropFirst() + [host, command]
    }

    /// The message for a tool (or sy itself) missing on `host`.
    static func notFound(_ tool: String, on host: String) -> String {
        "\(host): \(tool) not found (use --remote-sy DIR to say where the sy tools are)"
    }
}

/// `name` as an executable path: as given if it has a slash, else the first executable
/// `DIR/name` in `dirs` and then on PATH (unchanged if none).
func findExecutable(_ name: String, firstIn dirs: [String] = []) -> String {
    guard !name.contains("/") else { return name }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    return (dirs + path.split(separator: ":").map(String.init)).map { $0 + "/" + name }.first { access($0, X_OK) == 0 } ?? name
}

/// The first 64 KiB of a small text file.
func readSmallFile(_ path: String) throws(Errno) -> String {
    let fd = try Sys.openat(Sys.atFDCWD, path.pathBytes, O_RDONLY)
    defer { Sys.close(fd) }
    let buf = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 8)
    defer { buf.deallocate() }
    var n = 0
    while n < 65536 {
        let r = try Sys.read(fd, buf + n, 65536 - n)
        if r == 0 { break }
        n += r
    }
    return String(decoding: UnsafeRawBufferPointer(start: buf, count: n), as: UTF8.self)
}

/// Splits a command line into words as a POSIX shell would for quotes and backslashes.
public func splitShellWords(_ s: String) -> [String] {
    var words: [String] = []
    var cur = ""
    var inWord = false
    var quote: Character?
    var escape = false
    for ch in s {
        if escape { cur.append(ch); escape = false; inWord = true; continue }
        if let q = quote {
            if ch == q { quote = nil } else if ch == "\\" && q == "\"" { escape = true } else { cur.append(ch) }
            continue
        }
        switch ch {
        case "\\": escape = true; inWord = true
        case "'", "\"": quote = ch; inWord = true
        case " ", "\t", "\n":
            if inWord { words.append(cur); cur = ""; inWord = false }
        default: cur.append(ch); inWord = true
        }
    }
    if inWord { words.append(cur) }
    return words
}

/// Quotes a word for the remote shell, leaving a leading `~` or `~user` (before a `/` or the
/// end) unquoted so that the remote shell expands it, as rsync leaves it: `host:~/dir`.
func remoteWordQuote(_ s: String) -> String {
    guard s.first == "~" else { return shellQuote(s) }
    let user = s.dropFirst().prefix { $0.isLetter || $0.isNumber || "._-".contains($0) }
    let rest = s.dropFirst(1 + user.count)
    guard rest.isEmpty || rest.first == "/" else { return shellQuote(s) }
    // The slash stays unquoted too: a quoted one would make the whole prefix a user name.
    let tail = rest.dropFirst()
    return "~" + user + (rest.isEmpty ? "" : "/") + (tail.isEmpty ? "" : shellQuote(String(tail)))
}

/// Quotes a word for a POSIX shell.
public func shellQuote(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:@,+%".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

extension String {
    public func replacingOccurrences(of target: String, with replacement: String) -> String {
        var out = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}
