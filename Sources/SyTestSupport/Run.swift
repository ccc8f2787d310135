import Glibc
import SyCore

/// The output of a finished command.
public struct RunResult: CustomStringConvertible {
    public var code: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var out: String { String(decoding: stdout, as: UTF8.self) }
    public var err: String { String(decoding: stderr, as: UTF8.self) }
    public var description: String { "exit \(code)\nstdout: \(out)\nstderr: \(err)" }
}

/// The `(xfr#N, to-chk=L/T)` parts of --progress output, in order: each file's finished
/// line's; for --info=progress2 (whose updates come with the clock) only the last one.
public func progressCounts(_ r: RunResult) -> [String] {
    let pieces = r.out.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
    let counts = pieces.compactMap { p in p.firstRange(of: "(xfr#").map { String(p[$0.lowerBound...]) } }
    // Per-file lines end with a newline; progress2's updates share one line.
    let perFile = r.out.split(separator: "\n").filter { $0.contains("(xfr#") }.count == counts.count
    return perFile ? counts : Array(counts.suffix(1))
}

/// Where the built sy programs are (the test bundle's own directory).
public enum Tools {
    public static let dir: String = {
        if let d = getenv("SY_TOOL_DIR") { return String(cString: d) }
        let exe = (try? Sys.readlinkat(Sys.atFDCWD, Array("/proc/self/exe".utf8))) ?? []
        var p = PathOps.parent(exe)
        // .build/<triple>/debug/syPackageTests.xctest -> .build/<triple>/debug
        while !p.isEmpty, access(PathOps.join(p, Array("sy-scan".utf8)).displayName, X_OK) != 0, p.count > 1 {
            p = PathOps.parent(p)
        }
        return p.displayName
    }()

    public static func path(_ tool: String) -> String { dir + "/" + tool }
}

/// Runs a command (argv[0] is looked up on PATH with the tools dir first), feeding `stdin`.
public func run(_ argv: [String], stdin: [UInt8] = [], cwd: String? = nil) -> RunResult {
    let tmp = TempDir()
    let outPath = tmp.path + "/out", errPath = tmp.path + "/err", inPath = tmp.path + "/in"
    writeFile(inPath, stdin)
    var script = "cd \(shellQuote(cwd ?? ".")) && exec"
    for a in argv { script += " " + shellQuote(a) }
    script += " <\(shellQuote(inPath)) >\(shellQuote(outPath)) 2>\(shellQuote(errPath))"
    let code = system(script: script)
    return RunResult(code: code, stdout: readFile(outPath) ?? [], stderr: readFile(errPath) ?? [])
}

/// Runs a shell script with the tools on PATH; stdout and stderr captured.
public func sh(_ script: String) -> RunResult {
    run(["/bin/sh", "-c", script])
}

/// Runs `/bin/sh -c script` with PATH extended by the tools dir; returns the exit code.
@discardableResult
public func system(script: String) -> Int32 {
    let path = Tools.dir + ":" + (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin")
    let argv = ["/usr/bin/env", "PATH=" + path, "/bin/sh", "-c", script]
    guard let child = try? Child.spawn(argv, name: "sh", stdin: 0, stdout: 1) else { return 127 }
    return child.wait()
}

/// A shell command that signals the processes whose command line matches `pattern` (pkill -f)
/// as soon as there is one: tried every 0.1 s for up to 6 s, so a slow machine that starts the
/// stage late still sees it stopped mid-way rather than let through.
public func pkillWhenRunning(_ signal: String, _ pattern: String) -> String {
    "for i in $(seq 60); do pkill -\(signal) -f \(shellQuote(pattern)) && break; sleep 0.1; done"
}
