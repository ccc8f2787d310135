import Glibc
import CSyLinux

/// A child process started with posix_spawn, stdin/stdout wired to given fds.
public struct Child {
    public let pid: pid_t
    public let name: String

    /// Starts `argv[0]` (a path) with `stdin`/`stdout` dup'ed from the given fds; stderr is inherited.
    /// `extraFds` maps more of the parent's descriptors onto the child's (from, to).
    public static func spawn(_ argv: [String], name: String, stdin: Int32, stdout: Int32,
                             extraFds: [(from: Int32, to: Int32)] = []) throws(SyError) -> Child {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin != 0 { posix_spawn_file_actions_adddup2(&actions, stdin, 0) }
        if stdout != 1 { posix_spawn_file_actions_adddup2(&actions, stdout, 1) }
        for (from, to) in extraFds { posix_spawn_file_actions_adddup2(&actions, from, to) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Children start with default dispositions and an empty mask, whatever the parent
        // (a test runner, a shell with ignored signals) has set: SIG_IGN and masks survive exec.
        var sigs = sigset_t()
        sigemptyset(&sigs)
        for s in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&sigs, s) }
        posix_spawnattr_setsigdefault(&attr, &sigs)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { a in
            // (The argument's bytes, not its Swift text: see RawArguments.)
            let b = RawArguments.bytes(a)
            let p = malloc(b.count + 1)!.assumingMemoryBound(to: CChar.self)
            b.withUnsafeBytes { _ = memcpy(p, $0.baseAddress!, b.count) }
            p[b.count] = 0
            return p
        }
        cargs.append(nil)
        defer { cargs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, cargs[0]!, &actions, &attr, cargs, environ)
        if rc != 0 { throw SyError("cannot start \(argv[0]): \(errnoText(rc))", status: .startClient, errno: rc) }
        return Child(pid: pid, name: name)
    }

    /// The exit code if the child has ended (reaping it), else nil.
    public func poll() -> Int32? {
        var st: Int32 = 0
        let r = waitpid(pid, &st, WNOHANG)
        if r == 0 { return nil }
        if r < 0 { return 255 }
        if st & 0x7F == 0 { return (st >> 8) & 0xFF }
        return 128 + (st & 0x7F)
    }

    /// Waits for the child; returns its exit code, or 128+signal.
    public func wait() -> Int32 {
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 {
            if errno != EINTR { return 255 }
        }
        if st & 0x7F == 0 { return (st >> 8) & 0xFF }
        return 128 + (st & 0x7F)
    }
}

/// A pipe whose ends close on exec (the spawn dup's them onto 0/1).
public func makePipe() throws(SyError) -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard sy_pipe_cloexec(&fds) == 0 else { throw SyError("pipe failed: \(errnoText(errno))", status: .ipc) }
    Sys.growPipe(fds[1])
    return (fds[0], fds[1])
}

/// The directory holding the running executable (where the sy tools live).
public func executableDirectory() -> String {
    if let d = getenv("SY_TOOL_DIR") { return String(cString: d) }
    if let p = try? Sys.readlinkat(Sys.atFDCWD, Array("/proc/self/exe".utf8)) {
        return PathOps.parent(p).displayName
    }
    return "."
}

/// The current working directory.
public func currentDirectory() -> String {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buf, buf.count) != nil else { return "." }
    return String(cString: buf)
}
