import Glibc
import SyCore
import SyTestSupport
import Testing

/// sy over a real sshd on 127.0.0.1: push, pull, host to host, failures, hostile remotes.
@Suite(.serialized)
struct SSHTests {
    func sy(_ server: SSHServer, _ args: [String]) -> RunResult {
        run(["sy", "-e", server.rsh, "--remote-sy", Tools.dir] + args)
    }

    func remote(_ server: SSHServer, _ path: String) -> String { "\(server.host):\(path)" }

    /// A temp directory whose `src` holds a generated tree.
    func sourceTree(seed: UInt64) -> TempDir {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        var gen = TreeGen(seed: seed)
        gen.populate(t.sub("src"))
        return t
    }

    /// A --remote-sy directory holding links to the built `tools` (the test adds the others).
    func toolDir(_ dir: String, linking tools: [String]) {
        _ = system(script: "mkdir -p \(shellQuote(dir))")
        for tool in tools { _ = system(script: "ln -s \(shellQuote(Tools.path(tool))) \(shellQuote(dir + "/" + tool))") }
    }

    @Test("oracle over ssh: push and pull match rsync -e ssh", arguments: [51, 52] as [UInt64])
    func oracleOverSSH(seed: UInt64) throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("sshoracle")
        let src = t.sub("src")
        mkdir(src, 0o755)
        var gen = TreeGen(seed: seed)
        gen.populate(src)
        for round in 0..<3 {
            sleep(1)
            let flags = [["-aH", "--delete"], ["-aH", "--delete-before", "-K"], ["-aH", "--delete", "-z"]][round]
            let r = run(["rsync", "-e", server.rsh] + flags + [src + "/", remote(server, t.sub("rsync"))])
            #expect(r.code == 0, "rsync: \(r)")
            let push = sy(server, flags + [src + "/", remote(server, t.sub("push"))])
            #expect(push.code == 0, "push: \(push)")
            let pull = sy(server, flags + [remote(server, src + "/"), t.sub("pull")])
            #expect(pull.code == 0, "pull: \(pull)")
            let expected = TreeSnapshot(t.sub("rsync"))
            #expect(expected.diff(TreeSnapshot(t.sub("push"))).isEmpty, "push differs: \(expected.diff(TreeSnapshot(t.sub("push"))).prefix(5))")
            #expect(expected.diff(TreeSnapshot(t.sub("pull"))).isEmpty, "pull differs: \(expected.diff(TreeSnapshot(t.sub("pull"))).prefix(5))")
            gen.mutate(src)
        }
    }

    /// One file to a path that is no directory names the file there, pushed or pulled, as
    /// rsync does (sy made a directory of the name, or failed on an existing file); a directory
    /// source or an existing directory keeps the name inside. Listed by the source's name,
    /// under rsync's "receiving" header for a pull.
    @Test func oneFileToANamedPathAsRsync() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("sshfile")
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/d"), 0o755)
        writeFile(t.sub("src/f"), Array("new\n".utf8)); writeFile(t.sub("src/d/g"), [7])
        touchTree(t.sub("src"), "2024-01-02 03:04:05") // (rsync leaves alone the time of a directory changed within the second)
        let cases: [(String, String, String?)] = [
            // (source, destination name, what is there before: "file", "dir" or nil)
            ("f", "new-name", nil), ("f", "old-file", "file"), ("f", "a-dir", "dir"), ("d", "new-dir", nil),
        ]
        for pull in [false, true] {
            for (src, name, before) in cases {
                for side in ["r", "s"] {
                    let p = t.sub("\(side)-\(name)")
                    _ = system(script: "rm -rf \(shellQuote(p))")
                    if before == "file" { writeFile(p, Array("old\n".utf8)) }
                    if before == "dir" { mkdir(p, 0o755) }
                }
                let from = { (side: String) in pull ? self.remote(server, t.sub("src/" + src)) : t.sub("src/" + src) }
                let to = { (side: String) in pull ? t.sub("\(side)-\(name)") : self.remote(server, t.sub("\(side)-\(name)")) }
                let r = run(["rsync", "-av", "-e", server.rsh, from("r"), to("r")])
                let s = sy(server, ["-av", from("s"), to("s")])
                #expect(r.code == 0 && s.code == 0, "\(src) -> \(name): \(s)")
                let d = TreeSnapshot(t.sub("r-\(name)"), rootTimes: false).diff(TreeSnapshot(t.sub("s-\(name)"), rootTimes: false))
                #expect(d.isEmpty, "pull \(pull) \(src) -> \(name) (\(before ?? "nothing")): \(d)")
                let listing = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.hasPrefix("created directory") } }
                #expect(listing(r) == listing(s), "pull \(pull) \(src) -> \(name):\nrsync:\n\(r.out)\nsy:\n\(s.out)")
            }
        }
    }

    /// `host:~/path` is in the remote user's home, as with rsync (the remote shell expands the
    /// `~`; the rest stays quoted).
    @Test func tildeIsTheRemoteHome() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("sshtilde")
        writeFile(t.sub("f"), [1, 2, 3])
        guard let pw = getpwuid(geteuid()) else { return }
        let home = String(cString: pw.pointee.pw_dir)
        let name = "sy-tilde-\(getpid()) x"
        defer { _ = system(script: "rm -rf \(shellQuote(home + "/" + name)) \(shellQuote(home + "/~"))") }
        let push = sy(server, [t.sub("f"), remote(server, "~/" + name)])
        #expect(push.code == 0, "\(push)")
        #expect(readFile(home + "/" + name) == [1, 2, 3])
        let pull = sy(server, [remote(server, "~/" + name), t.sub("back")])
        #expect(pull.code == 0 && readFile(t.sub("back")) == [1, 2, 3], "\(pull)")
        // Without -e the remote shell is SY_RSH's, else rsync's RSYNC_RSH (here with the port and key).
        for v in ["SY_RSH", "RSYNC_RSH"] {
            let viaEnv = run(["env", "-u", "SY_RSH", "\(v)=\(server.rsh)", "sy", "--remote-sy", Tools.dir, remote(server, "~/" + name), t.sub("env-" + v)])
            #expect(viaEnv.code == 0 && readFile(t.sub("env-" + v)) == [1, 2, 3], "\(v): \(viaEnv)")
        }
    }

    /// An address in brackets (rsync's syntax for IPv6: `[::1]:path`, `user@[::1]:path`) is
    /// given to ssh without them; `[...]::module` is still a daemon address.
    @Test func bracketedHostAsRsync() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("sshbracket")
        makeFile(t.sub("src/f"), [4, 5, 6])
        guard let pw = getpwuid(geteuid()) else { return }
        let user = String(cString: pw.pointee.pw_name)
        let push = sy(server, ["-a", t.sub("src/"), "[\(server.host)]:" + t.sub("pushed")])
        #expect(push.code == 0 && readFile(t.sub("pushed/f")) == [4, 5, 6], "\(push)")
        let pull = sy(server, ["-a", "\(user)@[\(server.host)]:" + t.sub("src/"), t.sub("pulled")])
        #expect(pull.code == 0 && readFile(t.sub("pulled/f")) == [4, 5, 6], "\(pull)")
        let r = run(["rsync", "-a", "-e", server.rsh, "\(user)@[\(server.host)]:" + t.sub("src/"), t.sub("rpulled")])
        #expect(r.code == 0 && readFile(t.sub("rpulled/f")) == [4, 5, 6], "\(r)")
        let daemon = run(["sy", "-a", "[::1]::module/x", t.sub("d")])
        #expect(daemon.code == 1 && daemon.err.contains("no daemon mode") && !exists(t.sub("d")), "\(daemon)")
    }

    /// --rsync-path is rsync's: shell text run in place of `rsync` (here a `mkdir -p` before it,
    /// a common idiom), whose last word names the program; sy's tools are looked for beside it.
    @Test func rsyncPathIsTheRemoteProgram() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("sshrsyncpath")
        makeFile(t.sub("src/f"), [7, 8])
        let viaProgram = run(["sy", "-a", "-e", server.rsh, "--rsync-path=mkdir -p \(t.sub("made")) && \(Tools.dir)/sy",
                              t.sub("src/"), remote(server, t.sub("dst"))])
        #expect(viaProgram.code == 0 && readFile(t.sub("dst/f")) == [7, 8] && exists(t.sub("made")), "\(viaProgram)")
        let viaDir = run(["sy", "-a", "-e", server.rsh, "--rsync-path=" + Tools.dir, remote(server, t.sub("src/")), t.sub("back")])
        #expect(viaDir.code == 0 && readFile(t.sub("back/f")) == [7, 8], "\(viaDir)")
        // `rsync` alone is looked for on the remote PATH, where sy's tools are not here: named.
        let missing = run(["sy", "-a", "-e", server.rsh, "--rsync-path=nice -n 1 rsync", t.sub("src/"), remote(server, t.sub("none"))])
        #expect(missing.code != 0 && missing.err.contains("not found") && !exists(t.sub("none")), "\(missing)")
    }

    /// --munge-links works on one side, as rsync's: the sender takes `/rsyncd-munged/` off the
    /// targets it sends (locally and in a push), the receiver of a pull puts it on every target
    /// it makes, and a second pull finds nothing to do. Each against rsync: items and links.
    @Test func mungeLinksOnOneSideAsRsync() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("sshmunge")
        mkdir(t.sub("src"), 0o755)
        for (name, target) in [("l", "/etc/passwd"), ("r", "rel"), ("m", "/rsyncd-munged/xx")] {
            try Sys.symlinkat(Array(target.utf8), Sys.atFDCWD, t.sub("src/" + name).pathBytes)
        }
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        for mode in ["local", "push", "pull", "pull"] {
            var outs: [String] = []
            for tool in ["rsync", "sy"] {
                let d = t.sub("\(tool)-\(mode)")
                let base = tool == "sy" ? ["sy", "--remote-sy", Tools.dir] : ["rsync"]
                let args: [String]
                switch mode {
                case "local": args = [t.sub("src/"), d + "/"]
                case "push": args = ["-e", server.rsh, t.sub("src/"), remote(server, d + "/")]
                default: args = ["-e", server.rsh, remote(server, t.sub("src/")), d + "/"]
                }
                let r = run(base + ["-ai", "--munge-links"] + args)
                #expect(r.code == 0, "\(tool) \(mode): \(r)")
                outs.append(r.out.split(separator: "\n").filter { !$0.hasPrefix("created directory") }.joined(separator: "\n"))
            }
            #expect(outs[0] == outs[1], "\(mode): rsync \(outs[0]) sy \(outs[1])")
            let r = TreeSnapshot(t.sub("rsync-\(mode)"), rootTimes: false), s = TreeSnapshot(t.sub("sy-\(mode)"), rootTimes: false)
            #expect(r.diff(s).isEmpty, "\(mode): \(r.diff(s))")
        }
        #expect((try? Sys.readlinkat(Sys.atFDCWD, t.sub("sy-pull/l").pathBytes)) == Array("/rsyncd-munged//etc/passwd".utf8))
        #expect((try? Sys.readlinkat(Sys.atFDCWD, t.sub("sy-local/m").pathBytes)) == Array("xx".utf8))
    }

    @Test func hostToHostAndOneConnectionPerHost() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = sourceTree(seed: 61)
        let before = server.acceptedConnections
        let push = sy(server, ["-aH", t.sub("src") + "/", remote(server, t.sub("one"))])
        #expect(push.code == 0, "\(push)")
        #expect(server.connections(since: before) == 1, "a push should use one ssh connection: \(server.log)")
        // Host to host: both ends remote (the same sshd under two names), data through here.
        let h2h = run(["sy", "-aH", "-e", server.rsh, "--remote-sy", Tools.dir, remote(server, t.sub("src") + "/"), "localhost:" + t.sub("two")])
        #expect(h2h.code == 0, "\(h2h)")
        #expect(TreeSnapshot(t.sub("src")).diff(TreeSnapshot(t.sub("two"))).isEmpty)
        #expect(TreeSnapshot(t.sub("src")).diff(TreeSnapshot(t.sub("one"))).isEmpty)
        #expect(!system(script: "ls -d /tmp/sy-ssh.* >/dev/null 2>&1").isZero, "control sockets were left behind")
    }

    @Test func dryRunItemizeAndStatsOverSSH() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = sourceTree(seed: 62)
        let dry = sy(server, ["-ai", "--delete", "-n", t.sub("src") + "/", remote(server, t.sub("dst"))])
        #expect(dry.code == 0 && !exists(t.sub("dst")), "\(dry)")
        let real = sy(server, ["-ai", "--delete", t.sub("src") + "/", remote(server, t.sub("dst"))])
        #expect(real.code == 0)
        #expect(dry.out == real.out)
        // As rsync's client lists them: a push sends (`<f`), a pull receives (%o "recv").
        let rsyncPush = run(["rsync", "-ai", "--delete", "-e", server.rsh, t.sub("src") + "/", remote(server, t.sub("rdst"))])
        let named = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("created directory") } }
        #expect(rsyncPush.code == 0 && named(rsyncPush) == named(real), "rsync:\n\(rsyncPush.out)\nsy:\n\(real.out)")
        #expect(real.out.contains("<f+++++++++ "))
        let format = "--out-format=%i %o %n"
        let rsyncPull = run(["rsync", "-a", format, "-e", server.rsh, remote(server, t.sub("src") + "/"), t.sub("rback")])
        let pull = sy(server, ["-a", format, remote(server, t.sub("src") + "/"), t.sub("sback")])
        #expect(rsyncPull.code == 0 && named(rsyncPull) == named(pull), "rsync:\n\(rsyncPull.out)\nsy:\n\(pull.out)")
        #expect(pull.out.contains(">f+++++++++ recv "))
        // --stats counts bytes as rsync's client does: a push sends the data, a pull receives it.
        func bytes(_ r: RunResult, _ what: String) -> Int {
            let line = r.out.split(separator: "\n").first { $0.hasPrefix("Total bytes \(what):") } ?? ""
            return Int(String(line.filter(\.isNumber))) ?? -1
        }
        for direction in ["push", "pull"] {
            let from = direction == "push" ? t.sub("src") + "/" : remote(server, t.sub("src") + "/")
            let to = { (d: String) in direction == "push" ? self.remote(server, t.sub(d)) : t.sub(d) }
            let r = run(["rsync", "-a", "--stats", "-e", server.rsh, from, to("rs-" + direction)])
            let y = sy(server, ["-a", "--stats", from, to("ys-" + direction)])
            let (big, small) = direction == "push" ? ("sent", "received") : ("received", "sent")
            #expect(r.code == 0 && y.code == 0 && bytes(r, big) > 10 * bytes(r, small), "\(r)")
            #expect(bytes(y, big) > 10 * bytes(y, small), "\(direction): the data is \(big):\n\(y.out)")
            #expect(abs(bytes(y, big) - bytes(r, big)) < bytes(r, big) / 5, "\(direction): sy \(bytes(y, big)), rsync \(bytes(r, big))")
            // "File list size" counts a list the client received: 0 in a push, as rsync's.
            let listSize = { (x: RunResult) in x.out.split(separator: "\n").first { $0.hasPrefix("File list size: ") }.map { $0.dropFirst(16) } }
            #expect((listSize(r) == "0") == (direction == "push") && (listSize(y) == "0") == (direction == "push"), "\(r.out)\n\(y.out)")
        }
        let stats = sy(server, ["-a", "--stats", t.sub("src") + "/", remote(server, t.sub("dst"))])
        #expect(stats.out.contains("Number of regular files transferred: 0"), "\(stats.out)")
    }

    /// With -z, --stats counts the compressed bytes that crossed the wire, as rsync's does (sy
    /// counted the stream before compression).
    @Test func compressedStatsCountTheWire() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        let text = Array((0..<40_000).map { "line \($0 % 100) of a compressible file\n" }.joined().utf8)
        for i in 0..<3 { writeFile(t.sub("src/f\(i).txt"), text) }
        func sent(_ r: RunResult) -> Int {
            let line = r.out.split(separator: "\n").first { $0.hasPrefix("Total bytes sent:") } ?? ""
            return Int(String(line.filter(\.isNumber))) ?? -1
        }
        let r = run(["rsync", "-az", "--stats", "-e", server.rsh, t.sub("src") + "/", remote(server, t.sub("r"))])
        let y = sy(server, ["-az", "--stats", t.sub("src") + "/", remote(server, t.sub("y"))])
        let plain = sy(server, ["-a", "--stats", t.sub("src") + "/", remote(server, t.sub("p"))])
        #expect(r.code == 0 && y.code == 0 && plain.code == 0, "\(y)")
        #expect(sent(plain) > 3 * text.count, "\(plain.out)")
        #expect(sent(y) > 0 && sent(y) < 2 * sent(r) + 4096, "sy \(sent(y)), rsync \(sent(r))")
        #expect(TreeSnapshot(t.sub("y")).diff(TreeSnapshot(t.sub("src"))).isEmpty)
    }

    /// --log-file is written where the command line runs, as rsync's: a push's receiver relays
    /// its lines here (rsync's client is the sender then), with rsync's lines and `<f`.
    @Test func logFileIsWrittenWhereTheCommandRuns() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = sourceTree(seed: 63)
        for d in ["rdst", "sdst"] { mkdir(t.sub(d), 0o755); writeFile(t.sub(d + "/gone"), [1]) }
        let r = run(["rsync", "-a", "--delete", "--log-file=" + t.sub("r.log"), "-e", server.rsh, t.sub("src") + "/", remote(server, t.sub("rdst"))])
        let s = sy(server, ["-a", "--delete", "--log-file=" + t.sub("s.log"), t.sub("src") + "/", remote(server, t.sub("sdst"))])
        #expect(r.code == 0 && s.code == 0, "\(s)")
        #expect(!s.err.contains("sy-log"), "relayed lines leaked to stderr: \(s.err)")
        // The lines after the time and pid; rsync's figures aside, and the names that are not
        // UTF-8 (rsync writes their bytes raw to the log, sy escapes them as on stdout).
        let body = { (path: String) -> Set<String> in
            Set(String(decoding: readFile(path) ?? [], as: UTF8.self).split(separator: "\n").map { l in
                String(l.split(separator: "] ", maxSplits: 1).last ?? "") }
                .filter { !$0.hasPrefix("sent ") && !$0.contains("\u{FFFD}") && !$0.contains("\\#3") })
        }
        let (rl, sl) = (body(t.sub("r.log")), body(t.sub("s.log")))
        #expect(sl.contains("*deleting   gone") && sl.contains { $0.hasPrefix("<f+++++++++ ") }, "\(sl)")
        #expect(sl == rl, "rsync only: \(rl.subtracting(sl).sorted().prefix(5)), sy only: \(sl.subtracting(rl).sorted().prefix(5))")
        // A log file that cannot be opened is said and done without, as rsync.
        let bad = sy(server, ["-a", "--log-file=/nonexistent/dir/x.log", t.sub("src") + "/", remote(server, t.sub("sdst2"))])
        #expect(bad.code == 0 && bad.err.contains("Ignoring \"log file\" setting."), "\(bad)")
    }

    @Test func unreachableHostAndWrongPortFailCleanly() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), [1])
        let r = run(["sy", "-a", "-e", "ssh -p 1 -o BatchMode=yes -o ConnectTimeout=3", t.sub("src") + "/", "127.0.0.1:" + t.sub("dst")])
        let rsync = run(["rsync", "-a", "-e", "ssh -p 1 -o BatchMode=yes -o ConnectTimeout=3", t.sub("src") + "/", "127.0.0.1:" + t.sub("dst")])
        // (rsync says 255, ssh's code, from a shell; 12 where it cannot wait for ssh, as under this test runner.)
        #expect(r.code == 255 && [12, 255].contains(rsync.code), "\(r)\nrsync \(rsync)")
        #expect(r.err.contains("cannot connect to 127.0.0.1"), "\(r.err)")
        #expect(!exists(t.sub("dst")))
    }

    @Test func missingRemoteToolIsNamed() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), [1])
        let r = run(["sy", "-a", "-e", server.rsh, "--remote-sy", t.sub("nowhere"), t.sub("src") + "/", remote(server, t.sub("dst"))])
        // (rsync's "remote command not found", code 127, for a missing remote program; rsync
        // itself says 12 instead when it sees the connection close before the remote's status.)
        let rr = run(["rsync", "-a", "-e", server.rsh, "--rsync-path=" + t.sub("nowhere/rsync"), t.sub("src") + "/", remote(server, t.sub("rdst"))])
        #expect(r.code == 127 && [12, 127].contains(rr.code), "\(r) \(rr)")
        #expect(r.err.contains("127.0.0.1: sy not found"), "\(r.err)")
        #expect(!exists(t.sub("dst")))
        // sy there, one of its tools not.
        toolDir(t.sub("partial"), linking: ["sy", "sy-scan", "sy-delta", "sy-apply"])
        let r2 = run(["sy", "-a", "-e", server.rsh, "--remote-sy", t.sub("partial"), t.sub("src") + "/", remote(server, t.sub("dst"))])
        #expect(r2.code == 127, "\(r2)")
        #expect(r2.err.contains("127.0.0.1: sy-sum not found"), "\(r2.err)")
        #expect(!exists(t.sub("dst")))
    }

    /// Both stages of a host share one session: lots of itemized output back while file data
    /// goes out, and plans back while entries go out, in both directions, without stalling;
    /// with stage data spliced from pipe to pipe (the default) and copied (SY_NO_SPLICE on both ends).
    @Test(arguments: ["push", "pull", "push copied", "pull copied"])
    func oneSessionCarriesBothStagesUnderLoad(direction: String) throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        for d in 0..<30 { mkdir(t.sub("src/d\(d)"), 0o755) }
        for i in 0..<3000 { writeFile(t.sub("src/d\(i % 30)/f\(i)"), [UInt8(truncatingIfNeeded: i)]) }
        _ = system(script: "head -c 6000000 /dev/urandom > \(shellQuote(t.sub("src/big")))")
        let args = direction.hasPrefix("push") ? [t.sub("src") + "/", remote(server, t.sub("dst"))] : [remote(server, t.sub("src") + "/"), t.sub("dst")]
        var r: RunResult
        if direction.hasSuffix("copied") {
            // The remote sy runs with SY_NO_SPLICE too, through a wrapper in its --remote-sy directory.
            toolDir(t.sub("nosplice"), linking: ["sy-scan", "sy-sum", "sy-delta", "sy-apply"])
            writeFile(t.sub("nosplice/sy"), Array("#!/bin/sh\nSY_NO_SPLICE=1 exec \(shellQuote(Tools.path("sy"))) \"$@\"\n".utf8), mode: 0o755)
            r = run(["env", "SY_NO_SPLICE=1", "sy", "-e", server.rsh, "--remote-sy", t.sub("nosplice"), "-a", "-i", "--delete"] + args)
        } else {
            r = sy(server, ["-a", "-i", "--delete"] + args)
        }
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.split(separator: "\n").count >= 3031, "every entry itemized")
        #expect(TreeSnapshot(t.sub("src")).diff(TreeSnapshot(t.sub("dst"))).isEmpty)
    }

    /// A pull from several directories of one host (`host:a/ :b/`, rsync's shorthand) merges
    /// them as locally; `:path` after a local source is rsync's usage error.
    @Test func pullOfSeveralSourcesFromOneHost() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("sshmany")
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p a/x b/x && echo 1 > a/f && echo 2 > b/f && echo 3 > b/x/h && echo 4 > a/x/g && touch -d 2020-01-01 a b a/* b/*") == 0)
        let sources = [remote(server, t.sub("a/")), ":" + t.sub("b/")]
        let r = run(["rsync", "-a", "-e", server.rsh] + sources + [t.sub("r")])
        let s = sy(server, ["-a"] + sources + [t.sub("s")])
        #expect(r.code == 0 && s.code == 0, "rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty)
        #expect(readFile(t.sub("s/x/h")) == Array("3\n".utf8) && readFile(t.sub("s/f")) == Array("1\n".utf8))
        let bad = run(["sy", "-a", t.sub("a/"), ":" + t.sub("b/"), t.sub("u")])
        #expect(bad.code == 1 && bad.err.contains("Unexpected remote arg") && !exists(t.sub("u")), "\(bad)")
    }

    /// The lines before the first name as rsync's client prints them: --progress with a whole
    /// list counts it (a push, as its sender: " 0 files...\r4 files to consider"; a pull on the
    /// header's line); "created directory" comes from a remote receiver with -v, not -P alone.
    /// The progress lines count what is left to check as rsync's, pushing or pulling.
    @Test func progressOverSSHAsRsync() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/a && echo 1 > src/f && echo 2 > src/a/g") == 0)
        var n = 0
        for args in [["-aP", "--delete-after"], ["-avP", "--delete-after"], ["-aP"], ["-avP"], ["-a", "--info=progress2"]] {
            for pull in [false, true] {
                n += 1
                let (rd, sd) = (t.sub("r\(n)/"), t.sub("s\(n)/"))
                let r = run(["rsync", "-e", server.rsh] + args + (pull ? [remote(server, t.sub("src/")), rd] : [t.sub("src/"), remote(server, rd)]))
                let s = sy(server, args + (pull ? [remote(server, t.sub("src/")), sd] : [t.sub("src/"), remote(server, sd)]))
                #expect(r.code == 0 && s.code == 0, "\(args) pull \(pull): \(s)")
                // Up to the first name ("./"), the destination's name left out.
                let head = { (x: RunResult, d: String) in
                    (x.out.firstRange(of: "./\n").map { String(x.out[..<$0.lowerBound]) } ?? x.out).replacing(d.dropLast(), with: "DST")
                }
                if args.contains("-aP") || args.contains("-avP") {
                    #expect(head(r, rd) == head(s, sd), "\(args) pull \(pull): rsync\n\(r.out)\nsy\n\(s.out)")
                }
                // What is left to check counts as rsync's, pushing too (sy-sum and sy-apply pass
                // their totals beside the streams on the destination's host).
                #expect(progressCounts(s) == progressCounts(r) && !progressCounts(s).isEmpty, "\(args) pull \(pull): rsync\n\(r.out)\nsy\n\(s.out)")
            }
        }
    }

    /// -vv's two delta lines follow rsync's --debug levels, not --info: "delta-transmission ..."
    /// is the generator's (DEBUG FLIST), the matcher's totals the sender's (DEBUG DELTASUM).
    /// Over ssh the far end gets -v's count but not --debug, so a push's note and a pull's
    /// totals follow -vv alone; locally --debug sets both.
    @Test func debugLevelsPrintTheDeltaLinesAsRsync() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/a && echo 1 > src/f && echo 2 > src/a/g") == 0)
        func deltaLines(_ x: RunResult) -> [String] {
            x.out.split(separator: "\n").filter { $0.hasPrefix("delta-transmission") || $0.hasPrefix("total: matches") }.map(String.init)
        }
        var n = 0, seen = 0
        for args in [["--debug=flist"], ["--debug=deltasum"], ["--debug=FLIST,deltasum1"], ["-vv", "--debug=none"], ["-vv", "--info=all0"],
                     ["--info=misc2"], ["-vv", "--debug=flist0"], ["-vv"]] {
            for way in ["local", "push", "pull"] {
                n += 1
                let (rd, sd) = (t.sub("r\(n)/"), t.sub("s\(n)/"))
                func ends(_ d: String) -> [String] {
                    way == "push" ? [t.sub("src/"), remote(server, d)] : way == "pull" ? [remote(server, t.sub("src/")), d] : [t.sub("src/"), d]
                }
                let r = run(["rsync", "-r", "-e", server.rsh] + args + ends(rd))
                let s = sy(server, ["-r"] + args + ends(sd))
                #expect(r.code == 0 && s.code == 0, "\(args) \(way): \(s)")
                #expect(deltaLines(s) == deltaLines(r), "\(args) \(way): rsync\n\(r.out)\nsy\n\(s.out)")
                seen += deltaLines(r).count
            }
        }
        #expect(seen > 10)
        #expect(run(["sy", "--debug=help"]).out.contains("DELTASUM"))
    }

    /// rsync daemon addresses (`host::module`, `rsync://`) get a clear usage error, with nothing
    /// made; `:path` as the first remote argument names an empty host, as rsync takes it, which
    /// ssh refuses: rsync's exit 255, and no local directory named `:path`.
    @Test func daemonAddressesAndEmptyHostAreRefused() throws {
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src && echo 1 > src/f") == 0)
        for args in [["src/", "localhost::module/x"], ["rsync://localhost/module/", "d/"], ["src/", "rsync://h/m/x"]] {
            let s = run(["sy", "-a"] + args, cwd: t.path)
            #expect(s.code == 1 && s.err.contains("no daemon mode") && !exists(t.sub("d")), "\(args): \(s)")
        }
        let ssh = "ssh -o BatchMode=yes -o ConnectTimeout=3"
        let r = run(["rsync", "-a", "-e", ssh, "src/", ":dst/"], cwd: t.path)
        let s = run(["sy", "-a", "-e", ssh, "src/", ":dst/"], cwd: t.path)
        #expect([12, 255].contains(r.code) && s.code == 255, "rsync \(r.code), sy \(s)")
        #expect(!exists(t.sub(":dst")) && !exists(t.sub("dst")))
    }

    /// One file pushed or pulled into a missing directory under a new name: rsync's exit 3, as
    /// locally (the receiving side tells), nothing made; with --mkpath the directories are made.
    @Test func oneFileIntoAMissingDirectoryOverSSH() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("sshnodir")
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir dst && echo 1 > f") == 0)
        let push = sy(server, ["-a", t.sub("f"), remote(server, t.sub("dst/nodir/name"))])
        #expect(push.code == 3 && push.err.contains("change_dir#3") && !exists(t.sub("dst/nodir")), "\(push)")
        let pull = sy(server, ["-a", remote(server, t.sub("f")), t.sub("dst/nodir/name")])
        #expect(pull.code == 3 && pull.err.contains("change_dir#3") && !exists(t.sub("dst/nodir")), "\(pull)")
        let made = sy(server, ["-a", "--mkpath", t.sub("f"), remote(server, t.sub("dst/a/b/name"))])
        #expect(made.code == 0 && readFile(t.sub("dst/a/b/name")) == Array("1\n".utf8), "\(made)")
    }

    /// An empty file list (a directory without -r or -d, a missing source): rsync's receiver
    /// still makes a `dir/` destination in a push, as it does locally, but a pull's client does
    /// nothing at all (fuzz-oracle, pulls into new destinations); the same exit code and lines
    /// as rsync either way.
    @Test func emptyListIntoAMissingDestinationOverSSH() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("sshempty")
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/d && echo 1 > src/d/f") == 0)
        for pull in [false, true] {
            for (args, made) in [(["src/"], !pull), (["-v", "src/"], !pull), (["src/nonexist"], !pull), (["-r", "--exclude=*", "src/"], true)] {
                for side in ["r", "s"] { removeTree(t.sub(side)) }
                let src = { (a: String) in a.hasPrefix("src") ? (pull ? self.remote(server, t.sub(a)) : t.sub(a)) : a }
                let dst = { (side: String) in pull ? t.sub(side) + "/" : self.remote(server, t.sub(side) + "/") }
                let r = run(["rsync", "-e", server.rsh] + args.map(src) + [dst("r")])
                let s = sy(server, args.map(src) + [dst("s")])
                #expect(s.code == r.code, "pull \(pull) \(args): rsync \(r)\nsy \(s)")
                #expect(exists(t.sub("r")) == made && exists(t.sub("s")) == made, "pull \(pull) \(args)")
                let lines = { (x: RunResult) in x.out.split(separator: "\n").map { $0.hasPrefix("created directory") ? "created directory" : $0 }
                    .filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") } }
                #expect(lines(r) == lines(s), "pull \(pull) \(args):\nrsync:\n\(r.out)\nsy:\n\(s.out)")
            }
        }
    }

    @Test func versionMismatchChangesNothing() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), [1])
        // A "remote" sy-scan of a future format version.
        toolDir(t.sub("future"), linking: ["sy", "sy-sum", "sy-delta", "sy-apply"])
        let future = Int(Wire.version) + 1
        let octal = "0\(future / 8)\(future % 8)"
        writeFile(t.sub("future/sy-scan"), Array("#!/bin/sh\nprintf 'sy\\r\\n\\\(octal)\\001\\000'\n".utf8), mode: 0o755)
        let r = run(["sy", "-a", "-e", server.rsh, "--remote-sy", t.sub("future"), remote(server, t.sub("src") + "/"), t.sub("dst")])
        #expect(r.code == 2, "\(r)")
        #expect(r.err.contains("version \(future) is not supported"), "\(r.err)")
        #expect(!exists(t.sub("dst")))
    }

    /// A remote shell that prints before sy starts (a chatty start-up file) is named, not hung on.
    @Test func uncleanRemoteShellIsNamed() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), [1])
        toolDir(t.sub("chatty"), linking: ["sy-scan", "sy-sum", "sy-delta", "sy-apply"])
        writeFile(t.sub("chatty/sy"), Array("#!/bin/sh\necho 'Welcome to the machine'\nexec \(shellQuote(Tools.path("sy"))) \"$@\"\n".utf8), mode: 0o755)
        let r = run(["timeout", "30", "sy", "-a", "-e", server.rsh, "--remote-sy", t.sub("chatty"), t.sub("src") + "/", remote(server, t.sub("dst"))])
        #expect(r.code == 2, "\(r)")
        #expect(r.err.contains("127.0.0.1: unexpected output \"Welcome t\""), "\(r.err)")
        #expect(!exists(t.sub("dst")))
    }

    @Test func hostileRemotePathIsRefused() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        // A "remote" sy-scan that sends an entry for ../escaped.
        toolDir(t.sub("evil"), linking: ["sy", "sy-sum", "sy-delta", "sy-apply"])
        let fd = open(t.sub("evil/stream"), O_WRONLY | O_CREAT, 0o644)
        let w = try StreamWriter(fd: fd, kind: .entries, producer: "evil")
        try w.write(.entry(Entry(path: Array("../escaped".utf8), kind: .file)))
        try w.finish()
        close(fd)
        writeFile(t.sub("evil/sy-scan"), Array("#!/bin/sh\ncat \(shellQuote(t.sub("evil/stream")))\n".utf8), mode: 0o755)
        mkdir(t.sub("dst"), 0o755)
        let r = run(["sy", "-a", "-e", server.rsh, "--remote-sy", t.sub("evil"), remote(server, "/whatever/"), t.sub("dst")])
        #expect(r.code == 12, "\(r)")
        #expect(r.err.contains("unsafe path '../escaped'"), "\(r.err)")
        #expect(!exists(t.sub("escaped")))
    }

    @Test func killedRemoteStageLeavesOldOrNewAndRerunConverges() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        for i in 0..<8 { writeFile(t.sub("src/big\(i)"), [UInt8](repeating: UInt8(i), count: 6_000_000)) }
        #expect(sy(server, ["-a", t.sub("src") + "/", remote(server, t.sub("dst"))]).code == 0)
        let old = TreeSnapshot(t.sub("dst"))
        for i in 0..<8 { writeFile(t.sub("src/big\(i)"), [UInt8](repeating: UInt8(50 + i), count: 7_000_000)) }
        let new = TreeSnapshot(t.sub("src"))
        let script = """
            sy -a -e \(shellQuote(server.rsh)) --remote-sy \(shellQuote(Tools.dir)) --bwlimit=20000 \(shellQuote(t.sub("src")))/ 127.0.0.1:\(shellQuote(t.sub("dst"))) &
            sleep 0.8; \(pkillWhenRunning("KILL", "^[^ ]*sy-apply .*" + t.sub("dst"))); wait $!; echo "exit=$?"
            """
        let r = sh(script)
        #expect(!r.out.contains("exit=0"), "the sync should fail when its remote stage dies: \(r)")
        #expect(r.err.contains("on 127.0.0.1"), "the error names the stage and host: \(r.err)")
        for (p, n) in TreeSnapshot(t.sub("dst")).nodes where n.kind == .file && !(PathOps.base(p).first == 0x2E) {
            #expect(n.content == old.nodes[p]?.content || n.content == new.nodes[p]?.content, "\(p.displayName) is partial")
        }
        let again = sy(server, ["-a", "--delete", "--stats", t.sub("src") + "/", remote(server, t.sub("dst"))])
        #expect(again.code == 0, "\(again)")
        #expect(new.diff(TreeSnapshot(t.sub("dst"))).isEmpty)
    }

    /// ssh left to its defaults (chacha20-poly1305 first) is asked for AES-GCM first on a CPU
    /// with AES instructions; a cipher list from the ssh configuration or the command is kept.
    @Test func aesGCMFirstOnlyWhereTheConfigurationIsSilent() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("cipher")
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), Array(repeating: 7, count: 100_000))
        // An "ssh" that notes its arguments, then runs the real one.
        let log = t.sub("argv.log")
        mkdir(t.sub("bin"), 0o755)
        writeFile(t.sub("bin/ssh"), Array("#!/bin/sh\necho \"$*\" >> \(shellQuote(log))\nexec /usr/bin/ssh \"$@\"\n".utf8), mode: 0o755)
        let options = String(server.rsh.dropFirst(4))
        writeFile(t.sub("config"), Array("Host *\n  Ciphers aes256-ctr,chacha20-poly1305@openssh.com\n".utf8))
        let cases: [(rsh: String, expectAES: Bool)] = [
            ("\(t.sub("bin/ssh")) \(options)", RemoteShell.cpuHasAES),
            ("\(t.sub("bin/ssh")) -F \(t.sub("config")) \(options)", false),
            ("\(t.sub("bin/ssh")) -c chacha20-poly1305@openssh.com \(options)", false),
        ]
        for (i, c) in cases.enumerated() {
            _ = unlink(log)
            let r = run(["sy", "-a", "-e", c.rsh, "--remote-sy", Tools.dir, t.sub("src") + "/", remote(server, t.sub("dst\(i)"))])
            #expect(r.code == 0, "\(c.rsh): \(r)")
            #expect(TreeSnapshot(t.sub("src")).diff(TreeSnapshot(t.sub("dst\(i)"))).isEmpty)
            let calls = String(decoding: readFile(log) ?? [], as: UTF8.self).split(separator: "\n")
            let session = calls.filter { !$0.contains(" -G ") }
            #expect(session.count == 1, "one session: \(calls)")
            #expect(session.allSatisfy { $0.hasPrefix("-c aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com") } == c.expectAES,
                    "\(c.rsh): \(calls)")
        }
    }

    /// --progress's count of a whole list, as rsync prints it: built here, " 0 files..." and
    /// every hundred; received (a pull, a remote listing), after the header, or from a hundred
    /// entries on, on a line of its own after " 100 files...", " 200 files...". sy printed the
    /// received count after the header whatever its size, and none at all for a listing.
    @Test(arguments: [3, 200, 351])
    func wholeListCountLinesAsRsync(files: Int) {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        mkdir(t.sub("src/d"), 0o755)
        for i in 0..<(files - 2) { writeFile(t.sub("src/d/f\(i)"), []) }
        let remoteSrc = "\(server.host):\(t.sub("src"))/"
        let cases: [[String]] = [
            ["-P", "--list-only", "-r", "--no-i-r", "src/"], ["-P", "--list-only", "-d", "src/d/"],
            ["-P", "--list-only", "-r", "--no-i-r", remoteSrc], ["-aP", "--no-i-r", remoteSrc, "DEST/"], ["-aP", "--no-i-r", "src/", "DEST/"],
        ]
        for (i, args) in cases.enumerated() {
            let r = run(["rsync", "-e", server.rsh] + args.map { $0.replacingOccurrences(of: "DEST", with: "r\(i)") }, cwd: t.path)
            let s = run(["sy", "-e", server.rsh, "--remote-sy", Tools.dir] + args.map { $0.replacingOccurrences(of: "DEST", with: "s\(i)") }, cwd: t.path)
            let head = { (x: RunResult) in x.out.components(separatedBy: "to consider\n").first ?? "" }
            #expect(r.code == 0 && s.code == 0 && head(r) == head(s) && head(r).hasSuffix("files "), "\(args)\nrsync: \(r)\nsy: \(s)")
        }
    }
}

extension Int32 {
    var isZero: Bool { self == 0 }
}
