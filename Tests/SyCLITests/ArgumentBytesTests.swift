import Glibc
import SyCore
import SyTestSupport
import Testing

/// Arguments that are not UTF-8 (a source named `bad\xff`, a pattern, a --files-from list)
/// name what their bytes name, locally and over ssh, and messages show such names as rsync's
/// do (`\#377`, `\#012`). Swift's own argument list had turned those bytes into U+FFFD.
@Suite(.serialized)
struct ArgumentBytesTests {
    /// An argument made of raw bytes.
    func arg(_ bytes: [UInt8]) -> String { RawArguments.decode(bytes) }
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// A source with a name that is no UTF-8, a directory of another, one with a private-use
    /// character (the escape sy uses inside) and a plain one.
    func sourceTree(_ t: TempDir) {
        mkdir(t.sub("src"), 0o755)
        let src = bytes(t.sub("src")) + [0x2F]
        writeFile(src + bytes("bad") + [0xFF], [1, 2, 3])
        _ = try? Sys.mkdirat(Sys.atFDCWD, src + [0x64, 0xFE], 0o755)
        writeFile(src + [0x64, 0xFE, 0x2F] + bytes("in"), [4])
        writeFile(src + bytes("pua") + [0xEF, 0x9E, 0x80], [5])
        writeFile(src + bytes("caf") + [0xC3, 0xA9], [6])
        _ = system(script: "touch -d 2024-01-01 \(shellQuote(t.sub("src")))/* && touch -d 2024-01-02 \(shellQuote(t.sub("src")))")
    }

    @Test func sourcesAndPatternsAreBytesAsRsync() throws {
        let t = TempDir("argbytes")
        sourceTree(t)
        writeFile(t.sub("list"), bytes("bad") + [0xFF, 0x0A, 0x64, 0xFE] + bytes("/in\n"))
        let sources = [arg(bytes("../src/bad") + [0xFF]), arg(bytes("../src/d") + [0xFE]), arg(bytes("../src/pua") + [0xEF, 0x9E, 0x80])]
        for (k, args) in [["-ai"] + sources,
                          ["-ai", "--exclude=" + arg(bytes("bad") + [0xFF]), "--exclude=" + arg([0x2A, 0x80]), "../src/"],
                          ["-ai", "--files-from=../list", "../src/"]].enumerated() {
            // (Each tool in a directory of its own, so that "created directory out" reads the same.)
            mkdir(t.sub("r\(k)"), 0o755); mkdir(t.sub("s\(k)"), 0o755)
            let r = run(["rsync"] + args + ["out/"], cwd: t.sub("r\(k)"))
            let s = run(["sy"] + args + ["out/"], cwd: t.sub("s\(k)"))
            #expect(r.code == 0 && s.code == 0, "\(args): \(r)\n\(s)")
            #expect(s.stdout == r.stdout, "\(args): \(r.out) vs \(s.out)")
            let d = TreeSnapshot(t.sub("r\(k)/out")).diff(TreeSnapshot(t.sub("s\(k)/out")), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(args): \(d.prefix(5))")
        }
        // (The first case copies what rsync does: two files and a directory with its file, and the top.)
        #expect(exists(arg(bytes(t.sub("s0/out/d")) + [0xFE] + bytes("/in"))) && TreeSnapshot(t.sub("s0/out")).nodes.count == 5)
    }

    /// A missing source whose name holds a newline and a byte that is no UTF-8: named in the
    /// error as rsync names it, exit 23.
    @Test func messagesEscapeNamesAsRsync() throws {
        let t = TempDir("argbytes")
        sourceTree(t)
        let missing = arg(bytes("src/no\npe") + [0xFF])
        let r = run(["rsync", "-a", missing, "r/"], cwd: t.path)
        let s = run(["sy", "-a", missing, "s/"], cwd: t.path)
        #expect(r.code == 23 && s.code == 23)
        #expect(r.err.contains("src/no\\#012pe\\#377\""), "\(r)")
        #expect(s.err.contains("'src/no\\#012pe\\#377'"), "\(s)")
        // A note that names a file: skipping a fifo named with a newline, on stdout.
        _ = mkfifo(t.sub("src/f\nnl"), 0o644)
        let rn = run(["rsync", "-r", "src/", "rn/"], cwd: t.path)
        let sn = run(["sy", "-r", "src/", "sn/"], cwd: t.path)
        #expect(rn.code == 0 && sn.code == 0)
        #expect(rn.out.contains("skipping non-regular file \"f\\#012nl\""), "\(rn)")
        #expect(sn.out == rn.out, "\(sn)")
    }

    @Test func sourcesAreBytesOverSSH() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("argbytes")
        sourceTree(t)
        let bad = arg(bytes(t.sub("src/bad")) + [0xFF]), dir = arg(bytes(t.sub("src/d")) + [0xFE])
        let ssh = ["-e", server.rsh]
        let r = run(["rsync", "-ai"] + ssh + [bad, dir, "\(server.host):\(t.sub("r"))/"])
        let push = run(["sy", "-ai", "--remote-sy", Tools.dir] + ssh + [bad, dir, "\(server.host):\(t.sub("push"))/"])
        let pull = run(["sy", "-ai", "--remote-sy", Tools.dir] + ssh + ["\(server.host):" + bad, "\(server.host):" + dir, t.sub("pull") + "/"])
        #expect(r.code == 0 && push.code == 0 && pull.code == 0, "\(r)\n\(push)\n\(pull)")
        // (Their "created directory" lines name their own destinations.)
        func itemized(_ o: RunResult) -> [String] { o.out.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("created") } }
        #expect(itemized(push) == itemized(r), "\(push)")
        let expected = TreeSnapshot(t.sub("r"))
        #expect(expected.nodes.count == 4)
        for side in ["push", "pull"] {
            let d = expected.diff(TreeSnapshot(t.sub(side)), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(side): \(d.prefix(5))")
        }
    }
}
