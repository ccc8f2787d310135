import Glibc

/// `sy --mux-server COUNT ARGV... COUNT ARGV...`: the remote end of a multiplexed session. Starts
/// the stages (sy tools next to this executable), connects channel k to the k-th stage's
/// standard input and output, and reports each stage's exit code. Standard error is shared.
public enum MuxServer {
    /// Splits `COUNT ARGV...` groups.
    static func parse(_ args: [String]) -> [[String]]? {
        var out: [[String]] = []
        var i = 0
        while i < args.count {
            guard let n = Int(args[i]), n > 0, i + 1 + n <= args.count else { return nil }
            out.append(Array(args[(i + 1)...(i + n)]))
            i += 1 + n
        }
        return out.isEmpty || out.count > 8 ? nil : out
    }

    /// Runs the session on stdin/stdout; returns the process exit code.
    public static func run(_ args: [String]) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        ProgramName.current = "sy --mux-server"
        setenv(ToolEnvironment.stage, "1", 1)
        guard let stages = parse(args) else {
            warn("--mux-server: expected COUNT ARGV... groups")
            return ExitStatus.syntax.rawValue
        }
        let out = FrameWriter(fd: 1)
        guard out.sendGreeting() else { return ExitStatus.socketIO.rawValue }
        let dir = executableDirectory()
        let sinks = stages.map { _ in ChannelSink() }
        let credits = stages.map { _ in Credit(Mux.window) }
        var children: [Child?] = []
        var pumps: [Latch] = []
        // `--totals-fd 3` on two stages (sy-sum, then sy-apply): progress totals pass from the
        // first to the second beside the streams, as they do when sy runs both locally.
        let totalsStages = stages.indices.filter { k in stages[k].prefix { $0 != "--" }.contains("--totals-fd") }
        let totals = totalsStages.count == 2 ? try? makePipe() : nil
        defer { if let totals { Glibc.close(totals.read); Glibc.close(totals.write) } }
        for (k, argv) in stages.enumerated() {
            // A path as given (--remote-sy), else the tool next to this sy, else on PATH.
            let tool = findExecutable(argv[0], firstIn: [dir])
            guard let input = try? makePipe(), let output = try? makePipe() else { return ExitStatus.ipc.rawValue }
            let child = access(tool, X_OK) == 0
                ? try? Child.spawn([tool] + argv.dropFirst(), name: argv[0], stdin: input.read, stdout: output.write,
                                   extraFds: totals.map { t in [(k == totalsStages[0] ? t.write : t.read, Int32(3))] } ?? [])
                : nil
            // A missing tool exits 127, which the client names with the host.
            Glibc.close(input.read); Glibc.close(output.write)
            children.append(child)
            let channel = UInt8(k)
            sinks[k].start(fd: input.write, direct: true) { n in _ = out.send(.window, channel, u32: UInt32(n)) }
            let done = Latch()
            pumps.append(done)
            let credit = credits[k]
            let readFd = output.read
            Thread.detach {
                pumpChannel(fd: readFd, channel: channel, credit: credit, writer: out)
                done.open()
            }
        }
        // Input from the client: stage data, end marks and room for the output; when the client
        // is gone (or done), every input ends and nothing waits for room any more.
        Thread.detach { demuxFrames(fd: 0, sinks: sinks, credits: credits) }
        for (k, child) in children.enumerated() {
            let code = child?.wait() ?? 127
            pumps[k].wait() // the output's last frame goes before the exit code
            _ = out.send(.exit, UInt8(k), u32: UInt32(bitPattern: code))
        }
        return 0
    }
}
