import Glibc

/// Runs four stage command lines as one pipeline (`scan | sum | delta | apply`), all at once,
/// and works out the result from their exit codes.
public struct Pipeline {
    /// A stage: its name for messages and its full argv (a local tool path, or `ssh ... host cmd`).
    public struct Stage {
        public var name: String
        public var argv: [String]
        /// Parent descriptors given to the child as (from, to), e.g. the totals side channel.
        public var extraFds: [(from: Int32, to: Int32)] = []
        /// The host a remote stage runs on.
        public var host: String?
        /// A remote stage: the session that carries it, and its channel there.
        public var mux: MuxConnection?
        public var channel = 0
        public init(name: String, argv: [String]) { self.name = name; self.argv = argv }
    }

    public var stages: [Stage]
    /// The first stage's standard input and the last one's standard output.
    public var input: Int32 = 0
    public var output: Int32 = 1
    /// `--stop-after`/`--stop-at`: wall-clock time (ns since the epoch) at which the stages
    /// are stopped with SIGTERM (they remove their temp files or keep partial data).
    public var deadline: UInt64?
    public init(stages: [Stage]) { self.stages = stages }

    /// The exit code of every stage, in order.
    public func run() throws(SyError) -> [Int32] {
        var children: [Child?] = []
        var input = self.input
        for (i, stage) in stages.enumerated() {
            let last = i == stages.count - 1
            var pipe: (read: Int32, write: Int32) = (-1, output)
            if !last { pipe = try makePipe() }
            /// A stage could not start: everything started so far is stopped.
            func abandon(_ error: SyError) -> SyError {
                if input != self.input { Glibc.close(input) }
                if !last { Glibc.close(pipe.read); Glibc.close(pipe.write) }
                for c in children.compactMap({ $0 }) { kill(c.pid, SIGTERM); _ = c.wait() }
                for s in stages { s.mux?.terminate() }
                return error
            }
            if let mux = stage.mux {
                // Local stages before the first remote one are already running (a push's scan
                // overlaps the connection's set-up); the rest wait for the host.
                do { try mux.ready() } catch { throw abandon(error) }
                // The session takes both ends (copies of the pipeline's own input and output).
                // A remote first stage reads nothing from sy's own standard input.
                let given = input != self.input ? input : (input == 0 ? open("/dev/null", O_RDONLY | O_CLOEXEC) : dup(input))
                mux.attach(stage.channel, input: given, output: last ? dup(pipe.write) : pipe.write, ownPipe: !last)
                children.append(nil)
                input = pipe.read
                continue
            }
            do {
                children.append(try Child.spawn(stage.argv, name: stage.name, stdin: input, stdout: pipe.write, extraFds: stage.extraFds))
            } catch {
                throw abandon(error)
            }
            if input != 0 && input != self.input { Glibc.close(input) }
            if !last { Glibc.close(pipe.write) }
            input = pipe.read
        }
        var started: Set<ObjectIdentifier> = []
        for s in stages { if let m = s.mux, started.insert(ObjectIdentifier(m)).inserted { m.start() } }
        let stoppers: [@Sendable () -> Void] = zip(stages, children).map { stage, child in
            if let m = stage.mux { return { m.terminate() } }
            let pid = child!.pid
            return { kill(pid, SIGTERM) }
        }
        let running = RunningSet(stoppers)
        if let deadline {
            Thread.detach {
                while wallNanos() < deadline && !running.isEmpty {
                    let left = deadline - wallNanos()
                    var ts = timespec(tv_sec: 0, tv_nsec: Int(min(left, 200_000_000)))
                    nanosleep(&ts, nil)
                }
                running.stopAll()
            }
        }
        // Local stages first: if one fails (a timeout, a bad stream), the sessions are ended so
        // that waiting for a remote stage cannot hang. One that only saw its input end gives the
        // remote stage that ended it 3 s to report why (e.g. a tool missing there) first.
        var codes = [Int32](repeating: 0, count: stages.count)
        let muxes = stages.compactMap(\.mux)
        for i in stages.indices where stages[i].mux == nil {
            codes[i] = children[i]!.wait()
            running.remove(i)
            if !Pipeline.softCodes.contains(codes[i]) {
                if codes[i] == ExitStatus.streamIO.rawValue || codes[i] == 128 + SIGPIPE {
                    Thread.detach {
                        var ts = timespec(tv_sec: 3, tv_nsec: 0)
                        nanosleep(&ts, nil)
                        if !running.isEmpty { for m in muxes { m.terminate() } }
                    }
                } else {
                    for m in muxes { m.terminate() }
                }
            }
        }
        for i in stages.indices where stages[i].mux != nil {
            codes[i] = stages[i].mux!.wait(stages[i].channel)
            running.remove(i)
        }
        return codes
    }

    /// Exit codes of a stage that finished its part: success, some files failed or vanished,
    /// deletions stopped at --max-delete, files to redo.
    static let softCodes: Set<Int32> = [0, 23, 24, 25, ExitStatus.redo.rawValue]

    /// Combines stage exit codes: the stage that really failed (not one that only saw its
    /// neighbour's stream break), else 23/24. Returns the status and the failing stage's name.
    public func outcome(_ codes: [Int32]) -> (ExitStatus, String?) {
        let soft = Pipeline.softCodes
        // Followers only saw a neighbour go away: a stream error, SIGPIPE, or ssh's 255 (which
        // it also returns when the remote command died of a signal, e.g. SIGPIPE).
        func follower(_ i: Int, _ c: Int32) -> Bool {
            c == ExitStatus.streamIO.rawValue || c == 128 + SIGPIPE || (c == 255 && stages[i].host != nil)
        }
        // The most specific failure wins: a real error, then a bad stream, then a lost remote
        // stage or connection (ssh 255), then a broken pipe.
        var firstHard: Int?, firstStream: Int?, firstLost: Int?, firstPipe: Int?
        for (i, c) in codes.enumerated() where !soft.contains(c) {
            if !follower(i, c) { firstHard = firstHard ?? i }
            else if c == ExitStatus.streamIO.rawValue { firstStream = firstStream ?? i }
            else if c == 255 { firstLost = firstLost ?? i }
            else { firstPipe = firstPipe ?? i }
        }
        if let i = firstHard {
            let c = codes[i]
            return (c > 128 ? .signal : (ExitStatus(rawValue: c) ?? .ipc), stages[i].name)
        }
        if let i = firstStream { return (.streamIO, stages[i].name) }
        if let i = firstLost { return (.unexplained, stages[i].name) }
        if let i = firstPipe { return (.streamIO, stages[i].name) }
        var s = ExitStatus.ok
        for c in codes {
            if let soft = ExitStatus(rawValue: c), [.partial, .vanished, .deleteLimit].contains(soft) { s = s.merged(with: soft) }
        }
        // Files that failed verification are redone in a second pass, which reports the rest again.
        if codes.contains(ExitStatus.redo.rawValue) { return (.redo, nil) }
        return (s, nil)
    }
}

/// The stages not reaped yet and how to stop each (only those may be signalled: a reaped pid can be reused).
final class RunningSet: @unchecked Sendable {
    private var stoppers: [(@Sendable () -> Void)?]
    private let lock = NSLockLite()
    init(_ stoppers: [@Sendable () -> Void]) { self.stoppers = stoppers }
    var isEmpty: Bool { lock.withLock { stoppers.allSatisfy { $0 == nil } } }
    func remove(_ i: Int) { lock.withLock { stoppers[i] = nil } }
    func stopAll() { lock.withLock { for s in stoppers.compactMap({ $0 }) { s() } } }
}

extension ExitStatus {
    /// rsync's wording for each code.
    public var explanation: String {
        switch self {
        case .ok: return "success"
        case .syntax: return "syntax or usage error"
        case .protocolIncompatible: return "protocol incompatibility"
        case .fileSelect: return "errors selecting input/output files, dirs"
        case .unsupported: return "requested action not supported"
        case .startClient: return "error starting client-server protocol"
        case .socketIO: return "error in socket IO"
        case .fileIO: return "error in file IO"
        case .streamIO: return "error in sy protocol data stream"
        case .messageIO: return "errors with program diagnostics"
        case .ipc: return "error in IPC code"
        case .signal: return "received SIGUSR1 or SIGINT"
        case .waitChild: return "some error returned by waitpid()"
        case .malloc: return "error allocating core memory buffers"
        case .partial: return "some files/attrs were not transferred (see previous errors)"
        case .vanished: return "some files vanished before they could be transferred"
        case .deleteLimit: return "the --max-delete limit stopped deletions"
        case .timeout: return "timeout in data send/receive"
        case .connectTimeout: return "timeout waiting for daemon connection"
        case .commandNotRunnable: return "remote command could not be run"
        case .commandNotFound: return "remote command not found"
        case .unexplained: return "unexplained error"
        case .redo: return "files failed verification"
        }
    }
}
