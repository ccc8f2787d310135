import Glibc

/// Starts stages locally (the tools next to `sy`) or on a host through the remote shell.
///
/// With ssh, one master connection per host is opened first (`ssh -M -S SOCKET -N`), and every
/// remote stage runs as a session over it (`ssh -S SOCKET`): one TCP connection and one
/// authentication per host, while each stage keeps its own flow-controlled channel. The control
/// socket lives in a private temporary directory that `close()` removes.
public final class RemoteShell {
    let request: SyncRequest
    let toolDir: String
    /// The remote shell command split into words (`-e 'ssh -p 2222'`).
    let rshWords: [String]
    var masters: [String: (child: Child, socket: String)] = [:]
    var socketDir: String?

    public init(_ request: SyncRequest) {
        self.request = request
        toolDir = executableDirectory()
        let given = request.rsh ?? getenv("SY_RSH").map { String(cString: $0) }
        var words = splitShellWords(given ?? "ssh")
        if given == nil && RemoteShell.cpuHasAES {
            // With AES instructions, AES-GCM moves about a third more data per core than
            // chacha20 (measured on loopback); the list still ends in what every server has.
            words += ["-c", "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr"]
        }
        rshWords = words + (words.first.map { PathOps.base(Array($0.utf8)).starts(with: Array("ssh".utf8)) } == true ? request.sshOptions : [])
    }

    /// Whether the CPU has AES instructions (x86 "aes" flag).
    static let cpuHasAES: Bool = {
        guard let text = try? readSmallFile("/proc/cpuinfo") else { return false }
        return text.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("aes") }
    }()

    deinit { close() }

    var isSSH: Bool { rshWords.first.map { PathOps.base(Array($0.utf8)).starts(with: Array("ssh".utf8)) } ?? false }

    var remoteToolDir: String? {
        request.remoteSy ?? getenv("SY_REMOTE_SY").map { String(cString: $0) }
    }

    /// Opens one master connection per host (ssh only); throws naming the host that failed.
    public func connect(_ hosts: [String]) throws(SyError) {
        guard isSSH, !hosts.isEmpty else { return }
        var template = Array("/tmp/sy-ssh.XXXXXX".utf8CString)
        guard let d = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SyError("cannot create a directory for the ssh control socket: \(errnoText(errno))", status: .ipc)
        }
        socketDir = String(cString: d)
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { Glibc.close(devnull) }
        for (i, host) in hosts.enumerated() where masters[host] == nil {
            let socket = socketDir! + "/\(i)"
            let argv = rshWords + ["-M", "-S", socket, "-N", "-o", "ControlPersist=no", host]
            let child = try Child.spawn(resolve(argv), name: "ssh \(host)", stdin: devnull, stdout: devnull)
            masters[host] = (child, socket)
        }
        // Wait until every master's socket exists, or its ssh has exited.
        for (host, m) in masters {
            while true {
                if let st = try? Sys.fstatat(Sys.atFDCWD, Array(m.socket.utf8)), st.kind == .socket { break }
                if let code = m.child.poll() {
                    masters[host] = nil
                    throw SyError("cannot connect to \(host): \(rshWords[0]) exited with \(code)", status: .socketIO)
                }
                usleep(2000)
            }
        }
    }

    /// Ends the master connections and removes the control sockets.
    public func close() {
        for (_, m) in masters {
            kill(m.child.pid, SIGTERM)
            var waited = 0
            while m.child.poll() == nil {
                if waited > 2000 { kill(m.child.pid, SIGKILL); _ = m.child.wait(); break }
                usleep(1000)
                waited += 1
            }
            unlink(m.socket)
        }
        masters = [:]
        if let d = socketDir { rmdir(d); socketDir = nil }
    }

    /// The stage for `argv` (whose first word is the tool name) on `host` (nil: here).
    public func stage(_ argv: [String], host: String?) -> Pipeline.Stage {
        let tool = argv[0]
        guard let host else {
            return Pipeline.Stage(name: tool, argv: [toolDir + "/" + tool] + argv.dropFirst())
        }
        let remoteTool = (remoteToolDir.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "") + tool
        var command = ([remoteTool] + argv.dropFirst()).map(shellQuote).joined(separator: " ")
        if request.timeout > 0 { command = "SY_TIMEOUT=\(request.timeout) " + command }
        var words = rshWords
        if let m = masters[host] { words += ["-S", m.socket, "-o", "ControlMaster=no"] }
        var stage = Pipeline.Stage(name: "\(tool) on \(host)", argv: resolve(words + [host, command]))
        stage.host = host
        return stage
    }

    /// posix_spawn needs a path: look the program up on PATH.
    func resolve(_ argv: [String]) -> [String] {
        guard let prog = argv.first, !prog.contains("/") else { return argv }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = String(dir) + "/" + prog
            if access(candidate, X_OK) == 0 { return [candidate] + argv.dropFirst() }
        }
        return argv
    }
}

/// The first 64 KiB of a small text file.
func readSmallFile(_ path: String) throws(Errno) -> String {
    let fd = try Sys.openat(Sys.atFDCWD, Array(path.utf8), O_RDONLY)
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
