import Glibc

/// The local end of a multiplexed session: one remote-shell process running `sy --mux-server`
/// for the stages a sync runs on one host. Each stage is a channel: its input is read from an
/// fd here and sent, its output arrives and is written to an fd here.
public final class MuxConnection: @unchecked Sendable {
    public let host: String
    let ssh: Child
    private let fromRemote: Int32
    private let writer: FrameWriter
    private let channels: Int
    private var sinks: [ChannelSink] = []
    private var credits: [Credit] = []
    private var exits: [Int32?]
    private let lock = NSLockLite()
    private let ended = Latch()
    private var sshCode: Int32?
    private var reaped = false
    private var writerHolders = 0

    private let argv0: String
    private var greeted = false

    /// Starts `argv` (the remote shell running the server); `ready()` waits for the server.
    /// `stderr`: where the remote shell's stderr goes (nil: ours).
    public init(host: String, argv: [String], channels: Int, stderr: Int32? = nil) throws(SyError) {
        self.host = host
        self.channels = channels
        argv0 = argv[0]
        exits = Array(repeating: nil, count: channels)
        let up = try makePipe(), down = try makePipe()
        do { ssh = try Child.spawn(argv, name: "ssh \(host)", stdin: up.read, stdout: down.write, extraFds: stderr.map { [($0, Int32(2))] } ?? []) } catch {
            for fd in [up.read, up.write, down.read, down.write] { Glibc.close(fd) }
            throw error
        }
        Glibc.close(up.read); Glibc.close(down.write)
        fromRemote = down.read
        writer = FrameWriter(fd: up.write)
        for _ in 0..<channels { sinks.append(ChannelSink()); credits.append(Credit(Mux.window)) }
        // The writer closes when every channel's input has been sent and the server has finished
        // (until then the sinks still grant it room for their output).
        writerHolders = channels + 1
    }

    /// Waits for the server's greeting (the connection is up and the remote sy runs); throws
    /// naming the host when the connection or the remote sy fails first.
    public func ready() throws(SyError) {
        if greeted { return }
        guard let other = FrameReader(fd: fromRemote).expectGreeting() else { greeted = true; return }
        if !other.isEmpty {
            // Something else speaks first: a remote shell whose start-up files print, or another program.
            kill(ssh.pid, SIGTERM)
            writer.close(); Glibc.close(fromRemote)
            _ = ssh.wait()
            lock.withLock { reaped = true }
            let shown = String(decoding: other.map { $0 >= 0x20 && $0 < 0x7F ? $0 : 0x3F }, as: UTF8.self)
            throw SyError("\(host): unexpected output \"\(shown)\" before sy started (is the remote shell clean? its start-up files must not print)",
                          status: .protocolIncompatible)
        }
        writer.close(); Glibc.close(fromRemote)
        let code = ssh.wait()
        lock.withLock { reaped = true }
        if let missing = ExitStatus.remoteCommand(code) {
            throw SyError(RemoteShell.notFound("sy", on: host), status: missing)
        }
        if code == 255 || code == 0 {
            throw SyError("cannot connect to \(host): \(PathOps.base(Array(argv0.utf8)).displayName) exited with \(code)",
                          status: code == 255 ? .unexplained : .socketIO)
        }
        throw SyError("\(host): the remote sy failed to start (exit \(code)); is it the same version as this one?", status: .startClient)
    }

    /// Connects channel `k`: its stage reads what arrives on `input`, its output goes to `output`
    /// (`ownPipe`: a pipe of the pipeline's, which may be made non-blocking). Both fds now
    /// belong to the connection.
    public func attach(_ k: Int, input: Int32, output: Int32, ownPipe: Bool) {
        let channel = UInt8(k), w = writer
        sinks[k].start(fd: output, direct: ownPipe) { n in _ = w.send(.window, channel, u32: UInt32(n)) }
        let credit = credits[k]
        Thread.detach { [self] in
            pumpChannel(fd: input, channel: channel, credit: credit, writer: w)
            release()
        }
    }

    /// One holder of the writer is done; the last closes it, and the server sees its input end.
    private func release() {
        if lock.withLock({ writerHolders -= 1; return writerHolders == 0 }) { writer.close() }
    }

    /// Starts reading the server's frames (after every channel is attached).
    public func start() {
        Thread.detach { [self] in
            demuxFrames(fd: fromRemote, sinks: sinks, credits: credits) { k, code in
                lock.withLock { exits[k] = code; return exits.allSatisfy { $0 != nil } }
            }
            release()
            let code = ssh.wait()
            lock.withLock { sshCode = code; reaped = true }
            Glibc.close(fromRemote)
            ended.open()
        }
    }

    /// The exit code of channel `k`'s stage: its own, or the remote shell's (255 for a lost
    /// connection) when the session ended without one.
    public func wait(_ k: Int) -> Int32 {
        ended.wait()
        sinks[k].waitFinished()
        return lock.withLock {
            // A remote stage killed by a signal reads as a lost connection, as through ssh itself.
            if let e = exits[k] { return e > 128 ? 255 : e }
            let c = sshCode ?? 255
            return c == 0 ? 255 : c
        }
    }

    /// Ends the session early (--stop-at, a failure elsewhere): the remote stages see their input end.
    public func terminate() {
        lock.withLock { if !reaped { kill(ssh.pid, SIGTERM) } }
    }
}
