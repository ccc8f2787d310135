import ArgumentParser
import Glibc

/// The version of every sy program.
public let syVersion = "0.1.0"

/// `sy-scan 0.1.0 (stream format 3)`.
public func versionString(_ tool: String) -> String {
    "\(tool) \(syVersion) (stream format \(Wire.version))"
}

/// Parses arguments for `Command`, runs `body`, and maps failures to rsync's exit codes:
/// a usage error exits 1, a `SyError` exits with its status after one line on stderr.
public func toolMain<Command: ParsableCommand>(_ type: Command.Type, name: String, arguments: [String]? = nil,
                                               _ body: (Command) throws -> ExitStatus) -> Never {
    ProgramName.current = name
    signal(SIGPIPE, SIG_IGN)
    // `--timeout` reaches every stage through the environment sy sets (SY_TIMEOUT).
    if let v = getenv("SY_TIMEOUT"), let t = Int(String(cString: v)), t > 0 { StreamReader.timeoutSeconds = t }
    let command: Command
    do {
        command = try Command.parse(arguments ?? Array(RawArguments.all.dropFirst()))
    } catch {
        let code = Command.exitCode(for: error)
        if code == .success {
            print(Command.fullMessage(for: error))
            exit(0)
        }
        var line = Command.fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "syntax error"
        if line.hasPrefix("Error: ") { line.removeFirst(7) }
        // rsync's wording: "--foo: unknown option".
        if line.hasPrefix("Unknown option '"), let end = line.dropFirst(16).firstIndex(of: "'") {
            line = "\(line[line.index(line.startIndex, offsetBy: 16)..<end]): unknown option"
        }
        warn(line)
        warn("try '\(name) --help' for more information")
        exit(ExitStatus.syntax.rawValue)
    }
    do {
        let status = try body(command)
        exit(status.rawValue)
    } catch let e as SyError {
        // The next stage closed its end: exit as a writer killed by SIGPIPE would, so the
        // pipeline can tell a follower from the stage that failed first.
        if e.errno == EPIPE { exit(128 + SIGPIPE) }
        // A stage of sy's own pipeline whose input is empty: the stage before it failed and said why.
        if e.errno == ENODATA && getenv(ToolEnvironment.stage) != nil { exit(e.status.rawValue) }
        if !e.message.isEmpty { warn(e.message) }
        exit(e.status.rawValue)
    } catch {
        warn("\(error)")
        exit(ExitStatus.fileIO.rawValue)
    }
}

/// Environment variables sy sets for the tools it runs.
public enum ToolEnvironment {
    /// Set for the stages of a sync (`sy` and `sy --mux-server` set it): a stage whose input
    /// stream is empty exits without a message, the stage before it having reported why.
    public static let stage = "SY_STAGE"
}
