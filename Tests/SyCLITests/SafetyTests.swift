import Glibc
@testable import SyCore
import SyTestSupport
import Testing

/// Crashes, hostile streams and symlink tricks never damage or escape the destination.
@Suite(.serialized)
struct SafetyTests {
    /// Every regular file under `dst` is byte-equal to the old or the new version of its path.
    func checkNoPartialFiles(_ dst: String, old: TreeSnapshot, new: TreeSnapshot) {
        let now = TreeSnapshot(dst)
        for (p, n) in now.nodes where n.kind == .file {
            let name = PathOps.base(p)
            if name.first == 0x2E && name.count > 8 && old.nodes[p] == nil && new.nodes[p] == nil { continue } // a temp file
            let ok = old.nodes[p]?.content == n.content || new.nodes[p]?.content == n.content
            #expect(ok, "\(p.displayName) holds neither the old nor the new content")
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func applyKilledAtRandomPointsLeavesNoPartialFile(seed: UInt64) throws {
        let t = TempDir("crash")
        mkdir(t.sub("src"), 0o755)
        var rng = SeededRandom(seed: seed)
        // A few big files and many small ones so the kill lands mid-file.
        for i in 0..<6 { writeFile(t.sub("src/big\(i)"), [UInt8](repeating: UInt8(i), count: 4_000_000 + i)) }
        for i in 0..<200 { writeFile(t.sub("src/small\(i)"), Array("v1 \(i)".utf8)) }
        #expect(run(["sy", "-a", t.sub("src") + "/", t.sub("dst")]).code == 0)
        let old = TreeSnapshot(t.sub("dst"))
        for i in 0..<6 { writeFile(t.sub("src/big\(i)"), [UInt8](repeating: UInt8(100 + i), count: 5_000_000 + i)) }
        for i in 0..<200 { writeFile(t.sub("src/small\(i)"), Array("version two \(i)".utf8)) }
        let new = TreeSnapshot(t.sub("src"))
        // Run the pipeline by hand with data through the stream, and SIGKILL sy-apply.
        let delay = Double.random(in: 0.005...0.25, using: &rng)
        let q = shellQuote
        let script = """
            sy-scan \(q(t.sub("src")))/ | sy-sum -a \(q(t.sub("dst"))) | sy-delta \(q(t.sub("src")))/ | sy-apply -a \(q(t.sub("dst"))) &
            sleep \(delay); pkill -KILL -f '^[^ ]*sy-apply .*\(t.sub("dst"))'; wait; true
            """
        _ = sh(script)
        checkNoPartialFiles(t.sub("dst"), old: old, new: new)
        // A rerun converges (leftover temp files go with --delete).
        let r = run(["sy", "-a", "--delete", t.sub("src") + "/", t.sub("dst")])
        #expect(r.code == 0, "\(r)")
        #expect(new.diff(TreeSnapshot(t.sub("dst")), ignoringDirTimes: false).isEmpty)
    }

    /// Builds a delta stream from JSON lines and feeds it to sy-apply.
    func applyJSON(_ lines: [String], dst: String, flags: String = "-a") -> RunResult {
        let header = #"{"type":"header","stream":"delta","version":\#(Wire.version),"producer":"hostile"}"#
        let text = ([header] + lines).joined(separator: "\n") + "\n"
        let t = TempDir()
        writeFile(t.sub("in.jsonl"), Array(text.utf8))
        return sh("sy show --encode \(shellQuote(t.sub("in.jsonl"))) | sy-apply \(flags) \(shellQuote(dst))")
    }

    func planJSON(_ path: String, kind: String = "file", action: String = "create", size: Int = 3, extra: String = "") -> String {
        #"{"type":"plan","action":"\#(action)","flags":[],"path":"\#(path)","kind":"\#(kind)","perms":"0644","uid":0,"gid":0,"size":\#(size),"mtime_sec":1,"mtime_nsec":0,"nlink":1,"dev":0,"ino":0,"rdev":0\#(extra)}"#
    }

    @Test func pathsWithDotDotOrAbsoluteAreRefused() throws {
        let t = TempDir()
        mkdir(t.sub("dst"), 0o755)
        for bad in ["../escape", "/tmp/abs-escape-\(getpid())", "a/../../escape", "a//b"] {
            let r = applyJSON([planJSON(bad), #"{"type":"literal","data_b64":"YWJj"}"#, #"{"type":"file-end","size":3,"hash":null}"#], dst: t.sub("dst"))
            #expect(r.code != 0, "\(bad) accepted")
            #expect(r.err.contains("unsafe path") || r.err.contains("invalid"), "\(r.err)")
        }
        #expect(!exists(t.sub("escape")))
        #expect(!exists("/tmp/abs-escape-\(getpid())"))
    }

    @Test func binaryStreamWithDotDotIsRefusedByApply() throws {
        // Craft the bytes directly (sy show --encode refuses too), to test sy-apply's own check.
        let t = TempDir()
        mkdir(t.sub("dst"), 0o755)
        let fd = open(t.sub("evil"), O_WRONLY | O_CREAT, 0o644)
        let w = try StreamWriter(fd: fd, kind: .delta, producer: "evil")
        // Writers do not check paths; readers do.
        try w.write(.plan(Plan(action: .create, entry: Entry(path: Array("../evil".utf8), kind: .file))))
        try w.finish()
        close(fd)
        let r = sh("sy-apply -a \(shellQuote(t.sub("dst"))) < \(shellQuote(t.sub("evil")))")
        #expect(r.code == 12, "\(r)")
        #expect(r.err.contains("unsafe path '../evil'") && r.err.contains("byte"), "\(r.err)")
        #expect(!exists(t.sub("evil-out")))
    }

    @Test func symlinkInDestinationIsNotFollowed() throws {
        let t = TempDir()
        mkdir(t.sub("dst"), 0o755); mkdir(t.sub("outside"), 0o755)
        try Sys.symlinkat(t.sub("outside").pathBytes, Sys.atFDCWD, t.sub("dst/link").pathBytes)
        let r = applyJSON([planJSON("link/pwned"), #"{"type":"literal","data_b64":"YWJj"}"#, #"{"type":"file-end","size":3,"hash":null}"#], dst: t.sub("dst"))
        #expect(r.code == 23, "\(r)")
        #expect(!exists(t.sub("outside/pwned")))
        // A hard link plan pointing through the symlink is refused the same way.
        writeFile(t.sub("outside/secret"), [1])
        let h = applyJSON([planJSON("stolen", action: "hardlink", extra: #","link_to":"link/secret""#)], dst: t.sub("dst"))
        #expect(h.code == 23, "\(h)")
        #expect(!exists(t.sub("dst/stolen")))
    }

    /// rsync 3.5's defence of operator paths: a symlink owned by another user on the way to the
    /// destination, a list file, a reference or backup directory is not followed (exit 3 for the
    /// destination, 11 for a filter file or at the first backup, 1 for --files-from, 23 for a -T
    /// directory; a reference dir is not looked in), unless --insecure-links. Every case against real rsync: exit code, tree, refusals.
    @Test(.enabled(if: geteuid() == 0, "needs root to give a symlink another owner"))
    func untrustedSymlinksInOperatorPathsAsRsync() throws {
        let t = TempDir("untrusted")
        for f in ["src/a", "src/b"] { makeFile(t.sub(f), Array(f.utf8)) }
        for f in ["real/exist/a", "real/ex"] { makeFile(t.sub(f), Array("a\n".utf8)) }
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        try Sys.symlinkat(Array("real".utf8), Sys.atFDCWD, t.sub("link").pathBytes)
        try Sys.symlinkat(Array("link".utf8), Sys.atFDCWD, t.sub("mine").pathBytes) // root's link to the untrusted one
        #expect(lchown(t.sub("link"), 65534, 65534) == 0)
        let cases: [(args: [String], dest: String, code: Int32)] = [
            (["-a"], "link/exist/", 3),
            (["-a"], "mine/exist/", 3),
            (["-a"], "link/new", 3),                       // made through the link, then refused
            (["-a", "--exclude-from=link/ex"], "plain", 11),
            (["-a", "--files-from=link/ex"], "plain", 1),
            (["-a", "--link-dest=../link/exist"], "plain", 0),
            (["-a", "-T", t.sub("link/exist")], "plain", 23),      // each file's temp file refused
            (["-a", "--insecure-links"], "link/exist/", 0),
            (["-a", "--backup-dir=" + t.sub("link/bk")], "plain", 11), // the first backup ends the run, nothing replaced
            (["-a", "-b", "--backup-dir=" + t.sub("mine/bk")], "plain", 11),
        ]
        for (i, c) in cases.enumerated() {
            for tool in ["rsync", "sy"] {
                let dest = c.dest.replacingOccurrences(of: "new", with: "new-\(tool)-\(i)")
                    .replacingOccurrences(of: "plain", with: "plain-\(tool)-\(i)")
                if c.args.contains(where: { $0.hasPrefix("--backup-dir") }) {
                    // Files to replace, so that a backup is wanted.
                    for f in ["a", "b"] { makeFile(t.sub(dest + "/" + f), Array("old".utf8)) }
                    touchTree(t.sub(dest), "2020-01-01 00:00:00")
                }
                let r = run([tool] + c.args + ["src/", dest], cwd: t.path)
                #expect(r.code == c.code, "\(tool) \(c.args) \(dest): \(r)")
                let refusals = r.err.split(separator: "\n").filter { $0.hasPrefix("refusing to follow a symlink owned by an untrusted user") }.count
                #expect(c.args.contains("--insecure-links") ? refusals == 0 : refusals >= 1, "\(tool) \(c.args): \(r.err)")
            }
            if c.dest.hasPrefix("plain") || c.dest.contains("new") {
                let key = c.dest.hasPrefix("plain") ? "plain" : "link/new"
                let r = TreeSnapshot(t.sub(key + "-rsync-\(i)"), rootTimes: false), s = TreeSnapshot(t.sub(key + "-sy-\(i)"), rootTimes: false)
                #expect(r.diff(s).isEmpty, "\(c.args): \(r.diff(s).prefix(4))")
            }
        }
        // Nothing went below the link but what --insecure-links allowed: the same for both.
        #expect(readFile(t.sub("real/exist/b")) == Array("src/b".utf8))
    }

    /// -K follows the destination's own links to directories, never one the stream just made:
    /// a sender cannot send `x -> /outside` and then `x/pwned`.
    @Test func keepDirlinksNeverFollowsALinkTheStreamMade() throws {
        let t = TempDir()
        mkdir(t.sub("dst"), 0o755); mkdir(t.sub("outside"), 0o755); mkdir(t.sub("mine"), 0o755)
        let made = #","target":"\#(t.sub("outside"))""#
        let r = applyJSON([planJSON("x", kind: "symlink", extra: made), planJSON("x/pwned"), #"{"type":"literal","data_b64":"YWJj"}"#,
                           #"{"type":"file-end","size":3,"hash":null}"#], dst: t.sub("dst"), flags: "-aK")
        #expect(r.code == 23, "\(r)")
        #expect(!exists(t.sub("outside/pwned")))
        #expect((try? Sys.fstatat(Sys.atFDCWD, t.sub("dst/x").pathBytes))?.kind == .symlink)
        // A link that was there before is the user's: -K goes through it.
        try Sys.symlinkat(t.sub("mine").pathBytes, Sys.atFDCWD, t.sub("dst/y").pathBytes)
        let ok = applyJSON([planJSON("y/f"), #"{"type":"literal","data_b64":"YWJj"}"#, #"{"type":"file-end","size":3,"hash":null}"#],
                           dst: t.sub("dst"), flags: "-aK")
        #expect(ok.code == 0, "\(ok)")
        #expect(readFile(t.sub("mine/f")) == Array("abc".utf8))
    }

    /// A basis removed after sy-sum signed it (the tools composed by hand, the file deleted in
    /// between): the file fails verification, as with rsync's receiver, and is left out; no
    /// temp file stays and the other files arrive.
    @Test func basisRemovedAfterItsSignatureFailsVerification() throws {
        let t = TempDir()
        var rng = SeededRandom(seed: 5)
        let data = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        makeFile(t.sub("src/f"), data); makeFile(t.sub("src/g"), [1, 2, 3])
        makeFile(t.sub("dst/f"), Array(data.prefix(200_000)))
        touchTree(t.sub("dst"), "2020-01-01 00:00:00")
        let plans = sh("cd \(shellQuote(t.path)) && sy-scan src/ | sy-sum -t dst/ > plans && rm dst/f && sy-delta src/ < plans | sy-apply -t dst/")
        #expect(plans.code == 23, "\(plans)")
        #expect(plans.err.contains("f failed verification"), "\(plans.err)")
        #expect(!exists(t.sub("dst/f")) && readFile(t.sub("dst/g")) == [1, 2, 3])
        #expect(TreeSnapshot(t.sub("dst")).nodes.count == 2, "no temp file: \(TreeSnapshot(t.sub("dst")).nodes.keys.map(\.displayName))")
    }

    @Test func truncatedOrCorruptStreamsLeaveTheDestinationAlone() throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), [UInt8](repeating: 9, count: 300_000))
        mkdir(t.sub("dst"), 0o755)
        writeFile(t.sub("dst/f"), [1, 2, 3])
        let q = shellQuote
        #expect(sh("sy-scan \(q(t.sub("src")))/ | sy-sum -aI \(q(t.sub("dst"))) | sy-delta \(q(t.sub("src")))/ > \(q(t.sub("delta")))").code == 0)
        let full = readFile(t.sub("delta"))!
        // Cut inside the file's data: the old file stays and no temp file is left.
        for cut in [full.count / 2, 20, 200_000] {
            writeFile(t.sub("cut"), Array(full.prefix(cut)))
            let r = sh("sy-apply -a \(q(t.sub("dst"))) < \(q(t.sub("cut")))")
            #expect(r.code == 12, "\(r)")
            #expect(readFile(t.sub("dst/f")) == [1, 2, 3], "old file must stay")
            #expect(r.err.split(separator: "\n").count == 1, "one line: \(r.err)")
            #expect(TreeSnapshot(t.sub("dst")).nodes.count == 2, "a temporary file was left behind")
        }
        var flipped = full
        flipped[full.count / 2] ^= 0x40
        writeFile(t.sub("flip"), flipped)
        let r = sh("sy-apply -a \(q(t.sub("dst"))) < \(q(t.sub("flip")))")
        #expect(r.code == 12 || r.code == 23, "\(r)")
        #expect(readFile(t.sub("dst/f")) == [1, 2, 3])
        // Cut after the file's end: the file is complete and verified, so it may land; the
        // missing end record is still an error.
        writeFile(t.sub("cut"), Array(full.prefix(full.count - 1)))
        let late = sh("sy-apply -a \(q(t.sub("dst"))) < \(q(t.sub("cut")))")
        #expect(late.code == 12, "\(late)")
        let f = readFile(t.sub("dst/f"))
        #expect(f == [1, 2, 3] || f == [UInt8](repeating: 9, count: 300_000))
    }

    @Test func sourceChangingDuringCopyIsNotStoredSilently() throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), [UInt8](repeating: 1, count: 1000))
        mkdir(t.sub("dst"), 0o755)
        writeFile(t.sub("dst/f"), [7])
        let q = shellQuote
        // Take the delta stream, then change the source before applying (local copy mode reads it late).
        #expect(sh("sy-scan \(q(t.sub("src")))/ | sy-sum -aW \(q(t.sub("dst"))) | sy-delta --local \(q(t.sub("src")))/ > \(q(t.sub("delta")))").code == 0)
        writeFile(t.sub("src/f"), [UInt8](repeating: 2, count: 500))
        let r = sh("sy-apply -a --copy-from \(q(t.sub("src")))/ \(q(t.sub("dst"))) < \(q(t.sub("delta")))")
        #expect(r.code == 24 || r.code == 23, "\(r)")
        #expect(readFile(t.sub("dst/f")) == [7], "the old file stays when the source changed")
        // With data in the stream, a wrong whole-file hash is caught the same way.
        #expect(sh("sy-scan \(q(t.sub("src")))/ | sy-sum -a \(q(t.sub("dst"))) | sy-delta \(q(t.sub("src")))/ | sy show --json > \(q(t.sub("d.jsonl")))").code == 0)
        let lines = String(decoding: readFile(t.sub("d.jsonl"))!, as: UTF8.self).split(separator: "\n").map { line -> String in
            guard line.contains(#""type":"file-end""#), let r = line.range(of: #""hash":""#) else { return String(line) }
            let start = r.upperBound
            let end = line.index(start, offsetBy: 32)
            return String(line[..<start]) + String(repeating: "0", count: 32) + String(line[end...])
        }
        writeFile(t.sub("bad.jsonl"), Array((lines.joined(separator: "\n") + "\n").utf8))
        let m = sh("sy show --encode \(q(t.sub("bad.jsonl"))) | sy-apply -a \(q(t.sub("dst")))")
        #expect(m.code == 23, "\(m)")
        #expect(m.err.contains("failed verification"), "\(m.err)")
        #expect(readFile(t.sub("dst/f")) == [7])
    }

    /// A large file rebuilt from its basis (runs of MiBs, written by sy-apply's writer thread)
    /// comes out whole; a basis cut short after its signature was taken is caught, and the
    /// file stays as it was with no temp file left.
    @Test func largeBasisCopiesAreVerified() throws {
        let t = TempDir()
        var rng = SeededRandom(seed: 41)
        let size = 6 << 20
        let data = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var old = data
        for at in [1_000_000, 3_500_000, 5_000_000] { old[at] ^= 0xFF }
        for d in ["src", "a", "b"] { mkdir(t.sub(d), 0o755) }
        writeFile(t.sub("src/f"), data)
        writeFile(t.sub("a/f"), old)
        writeFile(t.sub("b/f"), old)
        let q = shellQuote
        // Older than the source (same size: the quick check looks at the time).
        #expect(sh("touch -d @1600000000 \(q(t.sub("a/f"))) \(q(t.sub("b/f")))").code == 0)
        #expect(sh("sy-scan \(q(t.sub("src")))/ | sy-sum -a \(q(t.sub("a"))) | sy-delta \(q(t.sub("src")))/ > \(q(t.sub("delta")))").code == 0)
        let ok = sh("sy-apply -a --stats \(q(t.sub("a"))) < \(q(t.sub("delta")))")
        #expect(ok.code == 0, "\(ok)")
        #expect(ok.out.contains("Matched data: 6,"), "\(ok.out)")
        let rebuilt = readFile(t.sub("a/f")) == data
        #expect(rebuilt)
        // Cut the basis short after its signature was taken.
        #expect(truncate(t.sub("b/f"), 2 << 20) == 0)
        let cut = sh("sy-apply -a \(q(t.sub("b"))) < \(q(t.sub("delta")))")
        #expect(cut.code == 23, "\(cut)")
        let kept = readFile(t.sub("b/f")) == Array(old.prefix(2 << 20))
        #expect(kept)
        #expect(TreeSnapshot(t.sub("b")).nodes.keys.filter { $0 != [0x2E] }.map(\.displayName) == ["f"])
    }

    /// SIGTERM: sy-apply removes its temp file and sy exits 20. SIGKILL, which no handler sees:
    /// a new file is written unnamed (O_TMPFILE) and linked in only when complete, so nothing
    /// is left behind either. A rerun converges.
    @Test(arguments: ["TERM", "KILL"])
    func interruptedApplyLeavesNoTrace(signal: String) throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/big"), [UInt8](repeating: 3, count: 50_000_000))
        let q = shellQuote
        let r = sh("sy -a --bwlimit=20M \(q(t.sub("src")))/ \(q(t.sub("dst"))) & sleep 0.7; \(pkillWhenRunning(signal, "^[^ ]*sy-apply .*" + t.sub("dst"))); wait $!; echo exit=$?")
        #expect(r.out.contains(signal == "TERM" ? "exit=20" : "exit="), "\(r)")
        #expect(!r.out.contains("exit=0"), "\(r)")
        let left = TreeSnapshot(t.sub("dst")).nodes.keys.filter { $0 != [0x2E] }
        #expect(left.isEmpty, "left behind: \(left.map(\.displayName))")
        #expect(run(["sy", "-a", t.sub("src") + "/", t.sub("dst")]).code == 0)
        #expect(TreeSnapshot(t.sub("dst")).diff(TreeSnapshot(t.sub("src"))).isEmpty)
    }

    @Test func aNameTakenAfterThePlanIsReplacedAsRsyncWould() throws {
        // sy-sum planned new files; before sy-apply links them in, the names are taken (a file,
        // a read-only file): the received files replace them, with the source's modes.
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/a"), Array("new a".utf8))
        writeFile(t.sub("src/ro"), Array("new ro".utf8))
        chmod(t.sub("src/ro"), 0o444)
        writeFile(t.sub("src/c"), Array("new c".utf8))
        chmod(t.sub("src/c"), 0o600)
        mkdir(t.sub("dst"), 0o755)
        let q = shellQuote
        for local in [true, false] {
            _ = sh("rm -rf \(q(t.sub("dst")))/* \(q(t.sub("delta")))")
            let delta = local ? "sy-delta --local" : "sy-delta"
            #expect(sh("sy-scan \(q(t.sub("src")))/ | sy-sum -a \(q(t.sub("dst"))) | \(delta) \(q(t.sub("src")))/ > \(q(t.sub("delta")))").code == 0)
            writeFile(t.sub("dst/a"), Array("taken".utf8))
            writeFile(t.sub("dst/ro"), Array("taken".utf8))
            chmod(t.sub("dst/ro"), 0o400)
            let r = sh("sy-apply -a --copy-from \(q(t.sub("src")))/ \(q(t.sub("dst"))) < \(q(t.sub("delta")))")
            #expect(r.code == 0, "\(r)")
            #expect(TreeSnapshot(t.sub("dst")).diff(TreeSnapshot(t.sub("src"))).isEmpty, "local: \(local)")
        }
    }

    /// --partial (data kept beside the file) and --partial-dir with an absolute directory (kept
    /// there by name, as rsync keeps it): interrupted, no partial file under the final name; the
    /// rerun resumes from the kept data.
    @Test(arguments: [false, true])
    func partialKeepsInterruptedDataAndResumesFromIt(absolute: Bool) throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        var rng = SeededRandom(seed: 8)
        let data = (0..<30_000_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        writeFile(t.sub("src/big"), data)
        let q = shellQuote
        let partial = absolute ? ["--partial-dir=" + t.sub("kept")] : ["--partial"]
        let keptPath = absolute ? t.sub("kept/big") : t.sub("dst/.sy-partial/big")
        // Data through the stream (--no-W), slowly, then SIGTERM to the receiver.
        let r = sh("sy -a -P \(partial.map(q).joined(separator: " ")) --no-W --bwlimit=15M \(q(t.sub("src")))/ \(q(t.sub("dst"))) >/dev/null & sleep 1; \(pkillWhenRunning("TERM", "^[^ ]*sy-apply .*" + t.sub("dst"))); wait $!; echo exit=$?")
        #expect(r.out.contains("exit=20"), "\(r)")
        #expect(!exists(t.sub("dst/big")), "no partial file under the final name")
        let kept = readFile(keptPath) ?? []
        #expect(kept.count > 1_000_000 && kept.count < data.count, "kept \(kept.count) bytes")
        #expect(Array(data.prefix(kept.count)) == kept, "the kept data is a prefix of the file")
        // The rerun resumes: the kept part is matched, not sent again.
        let again = run(["sy", "-a"] + partial + ["--no-W", "--stats", t.sub("src") + "/", t.sub("dst")])
        #expect(again.code == 0, "\(again)")
        #expect(readFile(t.sub("dst/big")) == data)
        #expect(!exists(t.sub("dst/.sy-partial")) && !exists(keptPath))
        let matched = again.out.split(separator: "\n").first { $0.hasPrefix("Matched data:") } ?? ""
        #expect(!matched.hasPrefix("Matched data: 0 "), "\(again.out)")
    }

    @Test func fullDiskIsAOneLineErrorAndKeepsTheOldFile() throws {
        let t = TempDir()
        // A 1 MiB tmpfs as the full disk.
        guard mountTmpfs(t.sub("small")) else { return }
        defer { unmountTmpfs(t.sub("small")) }
        mkdir(t.sub("src"), 0o755)
        var rng = SeededRandom(seed: 3)
        writeFile(t.sub("src/big"), (0..<3_000_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        mkdir(t.sub("small/dst"), 0o755)
        writeFile(t.sub("small/dst/big"), Array("old".utf8))
        for extra in [[String](), ["--no-W"]] {
            let r = run(["sy", "-a"] + extra + [t.sub("src") + "/", t.sub("small/dst")])
            #expect(r.code == 11, "\(r)")
            #expect(r.err.contains("No space left on device"), "\(r.err)")
            #expect(readFile(t.sub("small/dst/big")) == Array("old".utf8))
            #expect(TreeSnapshot(t.sub("small/dst")).nodes.count == 2, "a temporary file was left")
        }
    }

    /// On a nearly full disk the files --delete removes give their room back at once, before
    /// the next file is written, as rsync's unlink does (sy frees deleted and replaced files'
    /// blocks on a thread of its own only where room is plentiful).
    @Test func nearlyFullDiskGetsTheRoomOfDeletedFilesAtOnce() throws {
        let t = TempDir()
        guard geteuid() == 0 else { return }
        var rng = SeededRandom(seed: 5)
        mkdir(t.sub("src"), 0o755)
        let big = (0..<900_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        writeFile(t.sub("src/z"), big)
        for tool in ["rsync", "sy"] {
            let disk = t.sub("small-" + tool)
            // A 1 MiB tmpfs as the nearly full disk.
            guard mountTmpfs(disk) else { return }
            defer { unmountTmpfs(disk) }
            // Fifteen 16 KiB files (240 KiB) to delete: the 900 KB file fits only once they are gone.
            for k in 1...15 { writeFile(disk + "/a\(k)", [UInt8](repeating: UInt8(k), count: 16 << 10)) }
            let r = run([tool, "-a", "--delete", t.sub("src") + "/", disk])
            #expect(r.code == 0, "\(tool): \(r)")
            #expect(readFile(disk + "/z").map { $0 == big } == true, "\(tool): z differs")
            #expect(TreeSnapshot(disk).nodes.count == 2, "\(tool): \(TreeSnapshot(disk).nodes.keys.map { $0.displayName })")
        }
    }

    @Test func timeoutEndsAStalledStageWithExit30() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), [1])
        let stalled = sh("(sleep 3) | SY_TIMEOUT=1 sy-sum -a \(shellQuote(t.sub("dst")))")
        #expect(stalled.code == 30, "\(stalled)")
        #expect(stalled.err.contains("timeout"), "\(stalled.err)")
        let fine = run(["sy", "-a", "--timeout=5", t.sub("src") + "/", t.sub("dst")])
        #expect(fine.code == 0 && readFile(t.sub("dst/f")) == [1], "\(fine)")
    }
}
