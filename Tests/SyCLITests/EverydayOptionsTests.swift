import Glibc
import SyCore
import SyTestSupport
import Testing

/// Everyday rsync options against real rsync: the same tree after the same command.
@Suite(.serialized)
struct EverydayOptionsTests {
    /// Options, and the source arguments (relative to the test directory).
    static let cases: [([String], [String])] = [
        (["-rtE"], ["src/"]),
        (["-a", "-m"], ["src/"]),
        (["-a", "-m", "--exclude=*.o"], ["src/"]),
        (["-a", "-m", "--delete"], ["src/"]),
        (["-a", "--ignore-missing-args"], ["src/d", "missing"]),
        (["-a", "--delete-missing-args"], ["src/d", "gone"]),
        (["-a", "--delete-missing-args", "--force"], ["src/d", "gdir"]),
        (["-a", "--chown=nobody:nogroup"], ["src/"]),
        (["-a", "--chown=:nogroup"], ["src/"]),
        (["-a", "--usermap=0:nobody,*:root", "--groupmap=*:nogroup"], ["src/"]),
        // --usermap implies -o, --groupmap -g (unless --no-o/--no-g comes with them).
        (["-rlpt", "--usermap=*:nobody"], ["src/"]),
        (["-rlpt", "--groupmap=*:nogroup"], ["src/"]),
        (["-rlpt", "--usermap=*:nobody", "--no-o"], ["src/"]),
        // ... read in order, as rsync reads them: a later --no-o/--no-g undoes what --chown or a
        // map turned on, an earlier one does not.
        (["-a", "--chown=nobody:nogroup", "--no-o", "--no-g"], ["src/"]),
        (["-a", "--chown=nobody:nogroup", "--no-o"], ["src/"]),
        (["-a", "--no-o", "--no-g", "--chown=nobody:nogroup"], ["src/"]),
        (["-a", "--no-o", "--usermap=*:nobody"], ["src/"]),
        (["-a", "--no-o", "--no-g", "--chown=:nogroup"], ["src/"]),
        (["-a", "--no-append", "--append-verify"], ["src/"]),
        (["-a", "--append-verify", "--no-append"], ["src/"]),
        (["-a", "--existing"], ["src/"]),
        (["-a", "--delay-updates"], ["src/"]),
        (["-a", "--delay-updates", "--delete", "--no-W"], ["src/"]),
        (["-a", "--delay-updates", "--partial-dir=.hold"], ["src/"]),
        (["-a", "--ignore-non-existing", "--delete"], ["src/"]),
        (["-lptgoD", "--old-dirs"], ["src/"]),
        (["-lptgoD", "--old-d", "--delete", "--exclude=x.o"], ["src/"]),
        (["-aU", "--open-noatime", "--delete"], ["src/"]),
        (["-a", "-T", ".", "--delete"], ["src/"]),
    ]

    func tree(_ t: TempDir) {
        for (f, text, mode) in [("src/run.sh", "#!/bin/sh\n", 0o755), ("src/data", "data", 0o644), ("src/x.o", "o", 0o644),
                                ("src/d/f", "f", 0o644), ("src/only.o/keep", "k", 0o600)] as [(String, String, mode_t)] {
            makeFile(t.sub(f), Array(text.utf8), mode: mode)
        }
        _ = system(script: "mkdir -p \(shellQuote(t.sub("src/empty/deeper/deepest"))) \(shellQuote(t.sub("src/objs")))")
        writeFile(t.sub("src/objs/a.o"), [1])
        symlink("data", t.sub("src/link"))
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
    }

    /// A destination that already holds some of it, with other modes and extra entries.
    func destination(_ d: String) {
        _ = system(script: "mkdir -p \(shellQuote(d + "/gdir/sub")) \(shellQuote(d + "/empty/old"))")
        writeFile(d + "/run.sh", Array("#!/bin/sh\nold\n".utf8), mode: 0o644)
        writeFile(d + "/data", Array("data".utf8), mode: 0o755)
        writeFile(d + "/gone", [1])
        writeFile(d + "/gdir/sub/x", [2])
        touchTree(d, "2023-01-01 00:00:00")
    }

    @Test(arguments: Array(0..<cases.count))
    func optionsMatchRsync(index: Int) throws {
        let (args, sources) = Self.cases[index]
        let t = TempDir("everyday")
        tree(t)
        destination(t.sub("r")); destination(t.sub("s"))
        let rr = run(["rsync"] + args + sources + ["r/"], cwd: t.path)
        let ss = run(["sy"] + args + sources + ["s/"], cwd: t.path)
        #expect(ss.code == rr.code, "\(args): rsync \(rr), sy \(ss)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(args): \(d.prefix(8))")
    }

    /// rsync's quick check compares whole seconds unless --modify-window is negative; a window
    /// of N seconds makes times N apart equal; -u compares the same way; --size-only decides
    /// before -I does, whichever comes first.
    @Test(arguments: [[], ["--modify-window=-1"], ["-@", "-1"], ["-@-1"], ["-u"], ["-u", "-@-1"], ["-@", "2"],
                      ["--size-only", "-I"], ["-I", "--size-only"], ["-I"]])
    func mtimeComparisonMatchesRsync(extra: [String]) throws {
        let t = TempDir("mtime")
        // (name, source text, source time, destination text, destination time)
        let files = [("same-second", "aaaa", "00:00:00.5", "bbbb", "00:00:00.2"),
                     ("newer-dest", "aaaa", "00:00:00.2", "bbbbbb", "00:00:00.7"),
                     ("two-apart", "aaaa", "00:00:03", "bbbb", "00:00:01"),
                     ("three-apart", "aaaa", "00:00:04", "bbbb", "00:00:01")]
        for side in ["r", "s"] {
            for (name, _, _, text, time) in files {
                makeFile(t.sub("\(side)/\(name)"), Array(text.utf8))
                _ = system(script: "touch -d '2026-01-01 \(time)' \(shellQuote(t.sub("\(side)/\(name)")))")
            }
        }
        for (name, text, time, _, _) in files {
            makeFile(t.sub("src/\(name)"), Array(text.utf8))
            _ = system(script: "touch -d '2026-01-01 \(time)' \(shellQuote(t.sub("src/\(name)")))")
        }
        _ = system(script: "mkdir -p \(shellQuote(t.sub("src/d"))) \(shellQuote(t.sub("r/d"))) \(shellQuote(t.sub("s/d"))) && "
                   + "touch -d '2026-01-01 00:00:00.5' \(shellQuote(t.sub("src/d"))) && "
                   + "touch -d '2026-01-01 00:00:00.2' \(shellQuote(t.sub("r/d"))) \(shellQuote(t.sub("s/d")))")
        let rr = run(["rsync", "-ai"] + extra + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy", "-ai"] + extra + ["src/", "s/"], cwd: t.path)
        #expect(ss.code == 0 && rr.code == 0, "\(extra): rsync \(rr), sy \(ss)")
        let lines = { (r: RunResult) in r.out.split(separator: "\n").filter { !$0.hasPrefix(".d") || $0.hasSuffix("d/") }.sorted() }
        #expect(lines(ss) == lines(rr), "\(extra): rsync \(rr.out), sy \(ss.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false))
        #expect(d.isEmpty, "\(extra): \(d.prefix(8))")
    }

    @Test func outFormatAndLogFile() throws {
        let t = TempDir("everyday")
        tree(t)
        let fmt = "%o|%i|%n%L|%l|%B|%U:%G|%M"
        let rr = run(["rsync", "-a", "--delete", "--out-format=" + fmt, "src/", "r/"], cwd: t.path)
        let ss = run(["sy", "-a", "--delete", "--out-format=" + fmt, "--log-file=log", "src/", "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(rr) \(ss)")
        // The same lines (rsync lists files before subdirectories; sy in stream order).
        let lines = { (out: String, dir: String) in out.split(separator: "\n").map { $0 == "created directory \(dir)" ? "created" : $0 }.sorted() }
        #expect(lines(rr.out, "r") == lines(ss.out, "s"), "rsync:\n\(rr.out)\nsy:\n\(ss.out)")
        let log = String(decoding: readFile(t.sub("log")) ?? [], as: UTF8.self)
        #expect(log.contains("] >f+++++++++ run.sh\n") && log.contains("] cL+++++++++ link -> data\n") && log.contains("] sent "), "\(log)")
        // Without %i only transfers print.
        writeFile(t.sub("src/data"), Array("changed".utf8))
        chmod(t.sub("src/run.sh"), 0o700)
        let names = run(["sy", "-a", "--out-format=%n %l", "src/", "s/"], cwd: t.path)
        #expect(names.out == "data 7\n", "\(names)")
    }

    /// Without -o and -g, rsync's %U is 0 and %G is DEFAULT; --out-format without %i does not
    /// say "created directory" (-v or %i does); a deletion's %f has no source directory.
    /// Locally and both ways over ssh.
    @Test(arguments: [["-r"], ["-rg"], ["-ro"], ["-rog"], ["-r", "-v"]], [false, true])
    func outFormatOwnersAndCreatedDirectoryAsRsync(args: [String], overSSH: Bool) throws {
        let t = TempDir("everyday")
        tree(t)
        _ = system(script: "cd \(shellQuote(t.path)) && chown -R 65534:65534 src/run.sh src/data 2>/dev/null; rm -f src/link")
        // (%f of a deletion is the receiver's name, with no source directory before it.)
        _ = system(script: "cd \(shellQuote(t.path)) && mkdir -p r s r1 s1 r2 s2 && for d in r s r1 s1 r2 s2; do echo x > $d/extra; done")
        let fmt = args.contains("-rog") ? "%i|%U|%G|%n|%f" : "%U|%G|%n|%f"
        var cases: [(rsync: [String], sy: [String])] = [(["src/", "r/"], ["src/", "s/"])]
        var server: SSHServer?
        if overSSH {
            server = SSHServer()
            let ssh = try #require(server, "sshd could not start")
            let host = ssh.host + ":"
            cases = [(["-e", ssh.rsh, "src/", host + t.sub("r1")], ["-e", ssh.rsh, "src/", host + t.sub("s1")]),
                     (["-e", ssh.rsh, host + t.sub("src") + "/", "r2"], ["-e", ssh.rsh, host + t.sub("src") + "/", "s2"])]
        }
        for c in cases {
            let r = run(["rsync", "--delete"] + args + ["--out-format=" + fmt] + c.rsync, cwd: t.path)
            let s = run(["sy", "--delete"] + (overSSH ? ["--remote-sy", Tools.dir] : []) + args + ["--out-format=" + fmt] + c.sy, cwd: t.path)
            let lines = { (out: String) in out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") }
                .map { $0.hasPrefix("created directory ") ? "created" : String($0) }.sorted() }
            #expect(r.code == 0 && s.code == 0 && lines(r.out) == lines(s.out), "\(args) \(c.sy)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        }
        _ = server
    }

    /// --list-only (or no destination) lists every source, not the first alone (with -R under
    /// its path, with -L what links point to, with --chmod the modes it makes, with -m no empty
    /// directories); a --delete option without -r does not stop it.
    @Test(arguments: [["src/data", "src/run.sh"], ["src/data", "src/run.sh", "dst/"], ["-r", "src/", "src/data"], ["src/", "src/data"],
                      ["-d", "src", "src/data"], ["src/data", "src/missing", "src/run.sh"], ["-R", "src/data", "src/d/f"],
                      ["-R", "--no-implied-dirs", "src/d/f"], ["-rR", "src/./d"], ["-rL", "src/"], ["--delete-delay", "src/"],
                      ["-r", "--chmod=a-x,g+w", "src/"], ["-rE", "--chmod=Fo-r,Dg-x", "src/"], ["-rm", "src/"], ["-rm", "src/", "src/d"]])
    func listOnlyListsEverySourceAsRsync(args: [String]) {
        let t = TempDir("everyday")
        tree(t)
        let r = run(["rsync", "--list-only"] + args, cwd: t.path)
        let s = run(["sy", "--list-only"] + args, cwd: t.path)
        #expect(r.code == s.code && r.out == s.out && !s.out.isEmpty, "\(args)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(!exists(t.sub("dst")))
    }

    /// -vv (rsync's --info=skip1) says why files are left alone: "X exists" (--ignore-existing;
    /// with --info=skip2 what differs), "X is newer" (-u), "X is over max-size" / "under
    /// min-size", "not creating new file "X"" (--existing); --info=skip0 silences them.
    @Test(arguments: [["-vv", "-u"], ["-vv", "--ignore-existing"], ["-v", "--info=skip2", "--ignore-existing"],
                      ["-v", "--info=skip2", "--ignore-existing", "-c"], ["-vv", "--max-size=3"], ["-vv", "--min-size=3"],
                      ["-vv", "--existing"], ["-vv", "--existing", "--max-size=3"], ["-vv", "-u", "--info=skip0"], ["-vvn", "--existing"]])
    func skipNotesAsRsync(args: [String]) {
        let t = TempDir("everyday")
        let build = """
            mkdir -p src/sub src/new r/sub && echo 12345 > src/a && echo 1 > src/b && echo 123 > src/sub/c && echo 9 > src/new/n
            echo zz > src/same && ln -s a src/l && touch -d 2020-01-01 src/a src/b src/sub/c src/same && touch -h -d 2020-01-01 src/l
            echo 123456 > r/a && touch -d 2030-01-01 r/a && echo 2 > r/b && touch -d 2010-01-01 r/b
            cp -p src/same r/same && cp -p src/sub/c r/sub/c && chmod 600 r/sub/c && mkdir r/l && touch -d 2020-01-01 src r r/sub src/sub
            cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let lines = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total") && !$0.hasPrefix("delta-") }.sorted() }
        let r = run(["rsync", "-a"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-a"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == s.code && lines(r) == lines(s), "\(args)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(args): \(d.prefix(6))")
    }

    /// A pull whose list is empty (a `dir/` source without -r): rsync's generator never
    /// starts, so -vv has no matcher totals and no delta note; sy's neither. The sender's
    /// notes ("skipping directory .") come before the generator's first (the delta note), also
    /// locally: sy printed the note first, and in an empty pull at all.
    @Test func emptyPullHasNoMatcherTotals() throws {
        let t = TempDir("everyday")
        tree(t)
        let server = try #require(SSHServer(), "sshd could not start")
        let from = server.host + ":" + t.sub("src") + "/"
        let totals = { (x: RunResult) in x.out.split(separator: "\n").filter { $0.hasPrefix("total: matches=") }.count }
        let r = run(["rsync", "-vv", "-e", server.rsh, from, t.sub("r")])
        let s = run(["sy", "-vv", "--remote-sy", Tools.dir, "-e", server.rsh, from, t.sub("s")])
        #expect(r.code == 0 && s.code == 0 && totals(r) == 0 && totals(s) == 0, "rsync:\n\(r.out)\nsy:\n\(s.out)")
        // With something in the list the totals come, in both.
        let r2 = run(["rsync", "-rvv", "-e", server.rsh, from, t.sub("r")])
        let s2 = run(["sy", "-rvv", "--remote-sy", Tools.dir, "-e", server.rsh, from, t.sub("s")])
        #expect(totals(r2) == 1 && totals(s2) == 1, "rsync:\n\(r2.out)\nsy:\n\(s2.out)")
        // Every line in its order, pulled and locally, one source or two.
        let lines = { (x: RunResult) in x.out.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.hasPrefix("created directory") && !$0.hasPrefix("opening connection") } }
        for (k, sources) in [[from], [from, from], [t.sub("src") + "/"], [t.sub("src") + "/", t.sub("src/data")]].enumerated() {
            let r3 = run(["rsync", "-vv", "-e", server.rsh] + sources + [t.sub("r3-\(k)")])
            let s3 = run(["sy", "-vv", "--remote-sy", Tools.dir, "-e", server.rsh] + sources + [t.sub("s3-\(k)")])
            #expect(r3.code == 0 && s3.code == 0 && lines(r3) == lines(s3), "\(sources)\nrsync:\n\(r3.out)\nsy:\n\(s3.out)")
        }
    }

    /// --out-format's %f with several sources in one directory names it before each file.
    @Test func outFormatSourcePathWithSeveralSourcesAsRsync() {
        let t = TempDir("everyday")
        tree(t)
        let r = run(["rsync", "-r", "--out-format=%f|%n", "src/data", "src/run.sh", "src/d", "r/"], cwd: t.path)
        let s = run(["sy", "-r", "--out-format=%f|%n", "src/data", "src/run.sh", "src/d", "s/"], cwd: t.path)
        let lines = { (x: RunResult) in x.out.split(separator: "\n").filter { $0.contains("|") }.sorted() }
        #expect(r.code == 0 && s.code == 0 && lines(r) == lines(s) && lines(s).contains("src/data|data"), "rsync:\n\(r.out)\nsy:\n\(s.out)")
    }

    /// -vv's delta note: --append (and --append-verify) turn rsync's whole-file mode off.
    @Test(arguments: [["--append"], ["--append-verify"], []])
    func deltaNoteWithAppendAsRsync(extra: [String]) {
        let t = TempDir("everyday")
        tree(t)
        let note = { (x: RunResult) in x.out.split(separator: "\n").filter { $0.hasPrefix("delta-transmission") } }
        let r = run(["rsync", "-a", "-vv"] + extra + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-a", "-vv"] + extra + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0 && note(r).count == 1 && note(s) == note(r), "rsync:\n\(r.out)\nsy:\n\(s.out)")
    }

    @Test func omitLinkTimes() {
        let t = TempDir("everyday")
        tree(t)
        #expect(run(["sy", "-aJ", "src/", "s/"], cwd: t.path).code == 0)
        #expect(lstat(t.sub("s/link"))?.mtimeSec != lstat(t.sub("src/link"))?.mtimeSec)
        #expect(lstat(t.sub("s/data"))?.mtimeSec == lstat(t.sub("src/data"))?.mtimeSec)
        #expect(run(["sy", "-a", "src/", "s2/"], cwd: t.path).code == 0)
        #expect(lstat(t.sub("s2/link"))?.mtimeSec == lstat(t.sub("src/link"))?.mtimeSec)
    }

    @Test(arguments: [["-aS"], ["-aS", "--no-W"], ["-a", "--preallocate"], ["-aS", "--inplace"]])
    func sparseAndPreallocatedFiles(args: [String]) throws {
        let t = TempDir("everyday")
        mkdir(t.sub("src"), 0o755)
        var data = [UInt8](repeating: 0, count: 6_000_000)
        for i in 0..<50_000 { data[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        for i in 5_000_000..<5_004_000 { data[i] = 1 }
        writeFile(t.sub("src/img"), data)
        let r = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0, "\(r)")
        #expect(readFile(t.sub("s/img")) == data)
        var st = Glibc.stat()
        #expect(Glibc.lstat(t.sub("s/img"), &st) == 0)
        if args.contains("-aS") && !args.contains("--inplace") {
            #expect(st.st_blocks * 512 < 1_000_000, "a sparse copy should hold about 56 KB, holds \(st.st_blocks * 512)")
        }
        // A second run over an existing file (delta or whole) keeps it right.
        writeFile(t.sub("src/img"), data.map { $0 == 1 ? 2 : $0 })
        let again = run(["sy", "-I"] + args + ["src/", "s/"], cwd: t.path)
        #expect(again.code == 0 && readFile(t.sub("s/img")) == data.map { $0 == 1 ? 2 : $0 }, "\(again)")
    }

    @Test func copyDestCopiesUnchangedFiles() {
        let t = TempDir("everyday")
        tree(t)
        #expect(run(["rsync", "-a", "src/", "prev/"], cwd: t.path).code == 0)
        writeFile(t.sub("src/data"), Array("new data".utf8))
        let rr = run(["rsync", "-a", "--copy-dest=../prev", "src/", "r/"], cwd: t.path)
        let ss = run(["sy", "-a", "--copy-dest=../prev", "src/", "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(ss)")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true).isEmpty)
        #expect(lstat(t.sub("s/run.sh"))?.nlink == 1 && lstat(t.sub("prev/run.sh"))?.nlink == 1, "copies, not links")
        let mixed = run(["sy", "-a", "--copy-dest=../prev", "--link-dest=../prev", "src/", "x/"], cwd: t.path)
        #expect(mixed.code == 1 && !exists(t.sub("x")), "\(mixed)")
    }

    /// --append sends only what grew; --append-verify also checks the old part and, when it
    /// differs, sends the file again (the second pass), as rsync does.
    @Test(arguments: [["-a", "--append"], ["-a", "--append-verify"], ["-a", "--append", "--no-W"], ["-a", "--append-verify", "-z"]])
    func appendModes(args: [String]) throws {
        let t = TempDir("everyday")
        mkdir(t.sub("src"), 0o755)
        let log = Array((1...60_000).map { "line \($0)\n" }.joined().utf8)
        writeFile(t.sub("src/log"), log)
        writeFile(t.sub("src/short"), Array("short".utf8))
        for d in ["r", "s"] {
            mkdir(t.sub(d), 0o755)
            var old = Array(log.prefix(200_000))
            old[10] = 0x58 // the kept part differs from the source
            writeFile(t.sub(d + "/log"), old)
            writeFile(t.sub(d + "/short"), Array("longer than the source".utf8))
        }
        let rr = run(["rsync", "--stats"] + args + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy", "--stats"] + args + ["src/", "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(ss)")
        #expect(readFile(t.sub("s/log")) == readFile(t.sub("r/log")), "\(args): the same bytes as rsync's")
        #expect(readFile(t.sub("s/short")) == Array("longer than the source".utf8), "a longer destination is left alone")
        // rsync's --stats fields, in rsync's order, for scripts that read them.
        let fields = { (x: RunResult) in x.out.split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) }.filter { $0.first?.isUppercase == true } }
        #expect(fields(ss) == fields(rr), "rsync:\n\(rr.out)\nsy:\n\(ss.out)")
        if args.contains("--append-verify") {
            #expect(readFile(t.sub("s/log")) == log, "\(ss)")
            // rsync's words, bare, said only where names are listed (-v, -i), the file listed in both passes.
            let warnings = { (x: RunResult) in x.err.split(separator: "\n").filter { $0.hasPrefix("WARNING") } }
            #expect(warnings(ss) == warnings(rr), "rsync:\n\(rr.err)\nsy:\n\(ss.err)")
            _ = system(script: "cd \(shellQuote(t.path)) && for d in r s; do head -c 200000 src/log | sed 's/^line 1$/line X/' > $d/log; done")
            let ri = run(["rsync", "-i"] + args + ["src/", "r/"], cwd: t.path)
            let si = run(["sy", "-i"] + args + ["src/", "s/"], cwd: t.path)
            #expect(warnings(si) == warnings(ri) && warnings(si).count == 1, "rsync:\n\(ri.err)\nsy:\n\(si.err)")
            #expect(si.out.split(separator: "\n").filter { $0.hasSuffix(" log") }.count == 2, "\(si.out)")
        } else {
            #expect(ss.out.contains("Literal data: \(Human.commas(UInt64(log.count - 200_000))) bytes"), "\(ss.out)")
        }
    }

    /// The second pass after a failed --append-verify redoes the failed file alone: a file as
    /// long as the source with another time, which --append left alone in the first pass, is
    /// left alone in the second too (sy's second pass sent it whole and gave it the source's
    /// time). The same tree, times and itemized lines as rsync.
    @Test(arguments: [["-a", "--append-verify", "-i"], ["-a", "--append-verify", "-i", "--no-W"]])
    func secondPassRedoesOnlyTheFailed(args: [String]) {
        let t = TempDir("everyday")
        mkdir(t.sub("src"), 0o755)
        let log = Array((1...20_000).map { "line \($0)\n" }.joined().utf8)
        writeFile(t.sub("src/log"), log)
        writeFile(t.sub("src/same"), Array("same size, other time".utf8))
        writeFile(t.sub("src/grown"), Array("old part, new part".utf8))
        for d in ["r", "s"] {
            mkdir(t.sub(d), 0o755)
            var old = Array(log.prefix(50_000))
            old[10] = 0x58 // differs from the source: fails verification
            writeFile(t.sub(d + "/log"), old)
            writeFile(t.sub(d + "/same"), Array("SAME SIZE, OTHER TIME".utf8))
            writeFile(t.sub(d + "/grown"), Array("old part".utf8))
        }
        // (The top directories a whole second from the source's: rsync leaves a directory's
        // time alone when it is in the same second, and the second pass's temp file moves it.)
        _ = system(script: "cd \(shellQuote(t.path)) && touch -d @1500000000 src/* src && touch -d @1400000000 r/* s/* r s")
        let r = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty, "\(args)")
        #expect(readFile(t.sub("s/same")) == Array("SAME SIZE, OTHER TIME".utf8))
        #expect(s.out.split(separator: "\n").sorted() == r.out.split(separator: "\n").sorted(), "rsync:\n\(r.out)\nsy:\n\(s.out)")
    }

    /// -H with --append and a size limit: a group whose members --max-size (or --min-size)
    /// skips is not linked in the destination, as rsync skips each member before it looks for
    /// one in place (sy linked them to a copy it took for the group's member in place).
    @Test(arguments: [["-aH", "--max-size=2k", "--append-verify", "-i"], ["-aH", "--min-size=100k", "--append", "-i"],
                      ["-aH", "--max-size=100k", "--append", "-i"], ["-aH", "--max-size=2k", "-i"]])
    func linkedGroupsWithAppendAndSizeLimits(_ args: [String]) {
        let t = TempDir("everyday")
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/a"), Array(repeating: 0x61, count: 70_000))
        _ = system(script: "cd \(shellQuote(t.path)) && ln src/a src/b && ln src/a src/c && touch -d @1500000000 src/a src "
                   + "&& for d in r s; do mkdir $d && cp -p src/a $d/a && cp -p src/a $d/b && cp -p src/a $d/c; done")
        let r = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(args): \(s)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty, "\(args)")
        #expect(s.out == r.out, "\(args): rsync:\n\(r.out)sy:\n\(s.out)")
    }

    /// -H --append where the group's first member is longer in the destination (left as it is):
    /// a new member after it waits, as rsync's generator makes it wait, for a member in place,
    /// or gets the data itself when none comes; it is not made the group's data for members that
    /// --append leaves (sy linked a longer destination file to the new member: found by the
    /// fuzz oracle, seed 510000072). `setup` shapes the destination, a copy of the source.
    @Test(arguments: ["rm d/a2/f3 && printf more >> d/y0",
                      "rm d/a2/f3 d/y3/L1 && printf more >> d/y0",
                      "rm d/a2/f3 d/y0 && printf xmore > d/y0",
                      "rm d/a2/f3 d/y3/M2 d/y0 && printf xmore > d/y0",
                      "rm d/y3/M2 && printf more >> d/y0"],
          [["--append"], ["--append-verify"], ["--append", "-n"]])
    func linkedGroupWithFirstMemberLongerAppendsAsRsync(setup: String, mode: [String]) {
        let t = TempDir("everyday")
        let build = """
            mkdir -p src/a2 src/y3 && printf x > src/y0 && ln src/y0 src/a2/f3 && ln src/y0 src/y3/L1 && ln src/y0 src/y3/M2 \
            && touch -d @1700000000 src/y0 && touch -d @1600000000 src/a2 src/y3 src && cp -a src d && \(setup) && touch -d @1400000000 d/y0 && cp -a d r && cp -a d s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-aH", "-i"] + mode + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-aH", "-i"] + mode + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(setup) \(mode): \(s)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty, "\(setup) \(mode)")
        #expect(s.out == r.out, "\(setup) \(mode): rsync:\n\(r.out)sy:\n\(s.out)")
        if mode == ["--append"] { #expect(readFile(t.sub("s/y0")) == Array("xmore".utf8), "\(setup)") }
    }

    /// Names the destination links that the source does not: rsync's generator finds the file
    /// as the earlier name left it (mode, owner, time), so the later name changes it again.
    @Test(arguments: [["-a"], ["-a", "-n"], ["-aH"], ["-rt", "--chmod=F600"], ["-a", "-u"]])
    func destinationLinksSeeEarlierNamesChangesAsRsync(args: [String]) {
        let t = TempDir("everyday")
        // (a changes the file's mode and group; d/b asks for them as they were; z for a's again.)
        let group = geteuid() == 0 ? " && chgrp 1 src/a src/z" : ""
        let build = "mkdir -p src/d && echo same > src/a && echo same > src/d/b && echo same > src/z && chmod 640 src/a && chmod 600 src/d/b"
            + " && chmod 640 src/z\(group) && touch -d @1700000000 src/a src/z src/d/b && touch -d @1600000000 src/d src"
            + " && mkdir -p d/d && echo same > d/a && ln d/a d/d/b && ln d/a d/z && chmod 600 d/a && touch -d @1700000000 d/a"
            + " && touch -d @1600000000 d/d d && cp -a d r && cp -a d s"
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-i"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-i"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(args): \(s)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty, "\(args)")
        #expect(s.out == r.out, "\(args): rsync:\n\(r.out)sy:\n\(s.out)")
    }

    @Test func helpIsGroupedAndCompletionsAreGenerated() throws {
        let help = run(["sy", "--help"])
        #expect(help.code == 0)
        for group in ["WHAT TO COPY AND PRESERVE:", "DELETION AND BACKUPS:", "WHICH FILES TO TRANSFER:",
                      "HOW FILES ARE WRITTEN:", "REMOTE SHELL AND NETWORK:", "OUTPUT:"] {
            #expect(help.out.contains(group), "\(group)")
        }
        // rsync's -h alone is the help, -V the version.
        #expect(run(["sy", "-h"]).out.contains("WHAT TO COPY AND PRESERVE:"))
        #expect(run(["sy", "-V"]).out.hasPrefix("sy "))
        let t = TempDir("everyday")
        for sh in ["bash", "zsh", "fish"] {
            let r = run(["sy", "--generate-completion-script", sh])
            #expect(r.code == 0 && r.out.contains("delete-excluded") && r.out.contains("files-from"), "\(sh): \(r.err)")
            writeFile(t.sub("sy." + sh), Array(r.out.utf8))
        }
        // The bash script parses, and completes an option prefix.
        let script = "source \(shellQuote(t.sub("sy.bash"))); COMP_WORDS=(sy --delete-ex); COMP_CWORD=1; " +
            "COMP_LINE='sy --delete-ex'; COMP_POINT=${#COMP_LINE}; _sy sy --delete-ex sy; printf '%s\\n' \"${COMPREPLY[@]}\""
        let check = run(["bash", "-c", script])
        #expect(check.code == 0 && check.out == "--delete-excluded\n", "\(check)")
    }

    /// -j sets how many threads sign a file: the delta is the same whatever the count.
    @Test func jobsGiveTheSameDelta() throws {
        let t = TempDir("everyday")
        var rng = SeededRandom(seed: 9)
        var data = (0..<(20 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        mkdir(t.sub("src"), 0o755)
        var outputs: [String] = []
        for j in ["1", "2", "5"] {
            writeFile(t.sub("src/big"), data)
            #expect(run(["sy", "-a", "src/", "d" + j + "/"], cwd: t.path).code == 0)
            for k in stride(from: 1000, to: data.count, by: 3_000_000) { data[k] ^= 0xFF }
            writeFile(t.sub("src/big"), data)
            touchTree(t.sub("src/big"), "2024-01-01 00:00:00") // same size: the time must differ in whole seconds
            let r = run(["sy", "-a", "--no-W", "--stats", "-j", j, "src/", "d" + j + "/"], cwd: t.path)
            #expect(r.code == 0 && readFile(t.sub("d" + j + "/big")) == data, "\(r)")
            outputs.append(r.out.split(separator: "\n").filter { $0.hasPrefix("Literal") || $0.hasPrefix("Matched") }.joined(separator: ","))
            for k in stride(from: 1000, to: data.count, by: 3_000_000) { data[k] ^= 0xFF }
        }
        #expect(Set(outputs).count == 1 && outputs[0].contains("Matched"), "\(outputs)")
        #expect(run(["sy", "-a", "-j", "0", "src/", "x/"], cwd: t.path).code == 1)
    }

    /// --inplace with --backup: the backup is a copy made before the file changes in place.
    @Test(arguments: [["-b"], ["--backup-dir=../bk"], ["-b", "--suffix=.old"]])
    func inplaceBackups(args: [String]) throws {
        let t = TempDir("everyday")
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("dst"), 0o755)
        let old = Array((1...5000).map { "old \($0)\n" }.joined().utf8)
        writeFile(t.sub("src/f"), Array((1...5000).map { "new \($0)\n" }.joined().utf8))
        writeFile(t.sub("dst/f"), old)
        _ = system(script: "touch -d '2020-01-01' \(shellQuote(t.sub("dst/f")))")
        let ino = lstat(t.sub("dst/f"))?.ino
        let r = run(["sy", "-a", "--inplace", "--no-W"] + args + ["src/", "dst/"], cwd: t.path)
        #expect(r.code == 0, "\(r)")
        #expect(readFile(t.sub("dst/f")) == readFile(t.sub("src/f")) && lstat(t.sub("dst/f"))?.ino == ino)
        let backup = args.contains("-b") ? t.sub(args.contains("--suffix=.old") ? "dst/f.old" : "dst/f~") : t.sub("bk/f")
        #expect(readFile(backup) == old, "backup at \(backup)")
        #expect(lstat(backup)?.mtimeSec == lstat(t.sub("dst/f")).map { _ in Int64(1577836800) }, "the backup keeps the old time")
    }

    /// --stop-after stops the stages (kept partial data, exit 30); a rerun finishes the job.
    @Test func stopAfterStopsAndARerunFinishes() throws {
        let t = TempDir("everyday")
        mkdir(t.sub("src"), 0o755)
        var rng = SeededRandom(seed: 4)
        let big = (0..<(8 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        writeFile(t.sub("src/big"), big)
        let r = run(["sy", "-a", "--partial", "--bwlimit=2M", "--stop-after=0.02", "src/", "dst/"], cwd: t.path)
        #expect(r.code == 30 && r.err.contains("stopping at requested limit"), "\(r)")
        #expect(!exists(t.sub("dst/big")), "no partial file under the final name")
        let again = run(["sy", "-a", "--partial", "src/", "dst/"], cwd: t.path)
        #expect(again.code == 0 && readFile(t.sub("dst/big")) == big, "\(again)")
        #expect(run(["sy", "-a", "--stop-at=2001-01-01T00:00", "src/", "x/"], cwd: t.path).code == 1)
    }

    /// -y: a new file is sent as a delta against a similar one in its directory.
    @Test func fuzzyUsesASimilarFileAsTheBasis() throws {
        let t = TempDir("everyday")
        var rng = SeededRandom(seed: 12)
        let base = (0..<2_000_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var next = base
        for i in 500_000..<500_100 { next[i] = 7 }
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("dst"), 0o755)
        writeFile(t.sub("src/tool-2.0.tar"), next)
        writeFile(t.sub("src/other.bin"), Array(repeating: 1, count: 1000))
        writeFile(t.sub("dst/tool-1.0.tar"), base)
        writeFile(t.sub("dst/unrelated.txt"), base)
        let r = run(["sy", "-a", "-y", "--no-W", "--stats", "src/", "dst/"], cwd: t.path)
        #expect(r.code == 0 && readFile(t.sub("dst/tool-2.0.tar")) == next, "\(r)")
        let literal = r.out.split(separator: "\n").first { $0.hasPrefix("Literal data:") } ?? ""
        #expect(literal.contains("Literal data: 4,") || literal.contains("Literal data: 3,") || literal.contains("Literal data: 2,"), "\(literal)")
        #expect(readFile(t.sub("dst/tool-1.0.tar")) == base, "the basis is left alone")
    }

    /// -y picks the basis rsync picks: its weighted name distance with rsync's suffix rules
    /// (dot included, leading dots, `~`, `.bak`/`.old`/`.orig`, digit suffixes) and limit. Without
    /// -p a new file takes its basis's mode, so each candidate's own mode shows which was chosen.
    @Test func fuzzyChoosesRsyncsBasis() throws {
        let t = TempDir("everyday")
        let candidates = ["b3", "d13", "extra8", "z.keep2", ".rsync-filter2", "report.c.12", "notes.txt~", "data.csv.bak",
                          "lib.so.1", "main.c", "main.h", "Makefile", "conf.orig", "a.tar.gz", "x"]
        let wanted = ["y.c1", "main.cc", "report.c.13", "notes.txt", "data.csv", "lib.so.2", "makefile", "conf",
                      "a.tar.bz2", "xy", "b4", "totally-different-name.json", ".hidden1", "Q"]
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("dst"), 0o755)
        for (i, c) in candidates.enumerated() {
            writeFile(t.sub("dst/" + c), Array(repeating: UInt8(i), count: 100 + i))
            chmod(t.sub("dst/" + c), mode_t(0o700 | (i & 0o77)))
        }
        for (i, w) in wanted.enumerated() { writeFile(t.sub("src/" + w), Array(repeating: 0x41, count: 3000 + i)) }
        // With --delete the candidates (extras all) are gone before the files come; not so
        // when deleting at the end.
        for args in [["-r", "-y"], ["-r", "-y", "--no-W"], ["-r", "-y", "--delete"], ["-r", "-y", "--delete-after"]] {
            #expect(system(script: "cd \(shellQuote(t.path)) && rm -rf r s && cp -a dst r && cp -a dst s") == 0)
            let r = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
            let s = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(s)")
            for w in wanted {
                let rm = try Sys.fstatat(Sys.atFDCWD, t.sub("r/" + w).pathBytes).perms
                let sm = try Sys.fstatat(Sys.atFDCWD, t.sub("s/" + w).pathBytes).perms
                #expect(rm == sm, "\(args) \(w): rsync's basis gave \(String(rm, radix: 8)), sy's \(String(sm, radix: 8))")
            }
        }
    }

    /// -y: a file that another type replaces (a symlink, a directory) is gone by the time the
    /// files after it come, so it is no basis, as with rsync (sy-sum chose it and sy-apply, not
    /// finding it, failed the file: "delta refers to a basis that is not there", exit 23).
    @Test(arguments: [["-rlt", "-y", "--no-W"], ["-rlt", "-y"], ["-rlt", "-y", "--no-W", "--force"]])
    func fuzzyBasisReplacedByAnotherTypeIsNoBasis(args: [String]) throws {
        let t = TempDir("everyday")
        let build = """
            mkdir -p src dst/a1 && ln -s target src/a0 && mkdir src/a1 && head -c 700 /dev/zero | tr '\\0' 'x' > src/a3
            head -c 100 /dev/zero > dst/a0 && chmod 600 dst/a0 && head -c 90 /dev/zero > dst/a1x && chmod 640 dst/a1x
            touch -h -d 2020-01-01 src/a3 src/a0 src/a1 src && cp -a dst r && mv dst s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        let d = TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(d)")
    }

    /// --delay-updates with --backup-dir (and --remove-source-files): backups made when the held
    /// files move into place, the same as rsync's (this once crashed sy-apply at exit).
    @Test func delayedUpdatesWithBackupDir() throws {
        let t = TempDir("everyday")
        for root in ["src", "src2"] {
            _ = system(script: "mkdir -p \(shellQuote(t.sub(root + "/d")))")
            writeFile(t.sub(root + "/a"), Array("new".utf8)); writeFile(t.sub(root + "/d/b"), Array("new2".utf8))
            _ = system(script: "find \(shellQuote(t.sub(root))) -exec touch -d '2024-01-02 03:04:05' {} +")
        }
        for d in ["r", "s"] {
            _ = system(script: "mkdir -p \(shellQuote(t.sub(d + "/d")))")
            writeFile(t.sub(d + "/a"), Array("old".utf8)); writeFile(t.sub(d + "/d/b"), Array("old2".utf8))
            _ = system(script: "touch -d 2020-01-01 \(shellQuote(t.sub(d + "/a"))) \(shellQuote(t.sub(d + "/d/b")))")
        }
        let rr = run(["rsync", "-a", "--delay-updates", "--backup-dir=../bk-r", "--remove-source-files", "src/", "r/"], cwd: t.path)
        let ss = run(["sy", "-a", "--delay-updates", "--backup-dir=../bk-s", "--remove-source-files", "src2/", "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(ss)")
        for (a, b) in [("r", "s"), ("bk-r", "bk-s"), ("src", "src2")] {
            #expect(TreeSnapshot(t.sub(a), rootTimes: false).diff(TreeSnapshot(t.sub(b), rootTimes: false), ignoringDirTimes: true).isEmpty, "\(a)")
        }
        #expect(readFile(t.sub("bk-s/d/b")) == Array("old2".utf8))
    }

    /// -T/--temp-dir: files are written in the temp directory (relative to the destination, or
    /// absolute; on another filesystem the finished file is copied over) and the tree is
    /// rsync's; the temp directory is left empty; a missing one is rsync's usage error.
    @Test func tempDirAsRsync() throws {
        let t = TempDir("everyday")
        tree(t)
        let q = shellQuote
        mkdir(t.sub("abs-r"), 0o755); mkdir(t.sub("abs-s"), 0o755)
        for args in [["-T", "tmp"], ["--temp-dir=tmp", "--no-W", "-I"], ["-T", "tmp", "--delay-updates"], ["-T", "tmp", "--partial"],
                     ["--temp-dir", "ABS"]] {
            for d in ["r", "s"] {
                _ = system(script: "rm -rf \(q(t.sub(d))) && mkdir -p \(q(t.sub(d + "/tmp")))")
                destination(t.sub(d))
            }
            let r = run(["rsync", "-a", "--delete", "--filter=P /tmp"] + args.map { $0 == "ABS" ? t.sub("abs-r") : $0 } + ["src/", "r/"], cwd: t.path)
            let s = run(["sy", "-a", "--delete", "--filter=P /tmp"] + args.map { $0 == "ABS" ? t.sub("abs-s") : $0 } + ["src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(args): \(s)")
            #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true).isEmpty, "\(args)")
            #expect(TreeSnapshot(t.sub("s/tmp")).nodes.count == 1 && TreeSnapshot(t.sub("abs-s")).nodes.count == 1, "\(args): temp files left")
        }
        let missing = run(["sy", "-a", "-T", "nowhere", "src/", "s/"], cwd: t.path)
        #expect(missing.code == 1 && missing.err.contains("The temp-dir does not exist: nowhere"), "\(missing)")
        // The data goes through the temp directory: a full one fails the file (the old one
        // stays), one on another filesystem works through a copy.
        guard mountTmpfs(t.sub("full")) else { return }
        defer { unmountTmpfs(t.sub("full")) }
        guard mountTmpfs(t.sub("roomy"), size: "16M") else { return }
        defer { unmountTmpfs(t.sub("roomy")) }
        var rng = SeededRandom(seed: 4)
        writeFile(t.sub("src/big"), (0..<3_000_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let full = run(["sy", "-a", "-T", t.sub("full"), "src/", "s/"], cwd: t.path)
        #expect(full.code == 11 && full.err.contains("No space left on device"), "\(full)")
        #expect(!exists(t.sub("s/big")) && TreeSnapshot(t.sub("full")).nodes.count == 1)
        let roomy = run(["sy", "-a", "-T", t.sub("roomy"), "src/", "s/"], cwd: t.path)
        #expect(roomy.code == 0 && readFile(t.sub("s/big")) == readFile(t.sub("src/big")), "\(roomy)")
        #expect(TreeSnapshot(t.sub("roomy")).nodes.count == 1)
    }

    /// -U/--atimes: files, fifos and devices take the source's access time (whole seconds) and
    /// an access time that differs is itemized `u`, as rsync; --open-noatime reads the source
    /// without changing its access times.
    @Test func accessTimesAsRsync() throws {
        let t = TempDir("everyday")
        let q = shellQuote
        func atimes(_ dir: String) -> String {
            sh("cd \(q(t.sub(dir))) && find . -mindepth 1 ! -type d ! -type l -printf '%P %A@\\n' | sort").out
        }
        _ = system(script: "cd \(q(t.path)) && mkdir -p src/sub && printf a > src/f && printf bb > src/sub/g && mkfifo src/p && ln -s f src/l"
                   + " && touch -m -d 2020-01-01 src/f src/sub/g src/p && touch -a -d '2019-05-05 05:05:05.5' src/f src/sub/g src/p"
                   + " && touch -h -d 2020-01-01 src/l src/sub src")
        let before = atimes("src")
        #expect(before.contains("f 1557032705.5"), "\(before)")
        for (round, change) in ["", "touch -a -d 2022-02-02 r/f s/f && touch -m -d 2020-01-04 src/sub/g", ""].enumerated() {
            if !change.isEmpty { _ = system(script: "cd \(q(t.path)) && " + change) }
            let r = run(["rsync", "-aUi", "--open-noatime", "src/", "r/"], cwd: t.path)
            let s = run(["sy", "-aUi", "--open-noatime", "src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(s)")
            #expect(s.out.replacingOccurrences(of: "directory s\n", with: "directory r\n") == r.out, "round \(round): itemized\n\(s.out)rsync:\n\(r.out)")
            // (Before anything reads the copies, which may change their access times.)
            let got = atimes("s")
            #expect(got == atimes("r"), "round \(round)")
            #expect(got.contains("f 1557032705.0") && got.contains("sub/g 1557032705.0"), "whole seconds, as rsync: \(got)")
            #expect(atimes("src") == before, "--open-noatime left the source's access times")
            #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty, "round \(round)")
        }
        // Without --open-noatime reading changes them (where the mount keeps access times at all:
        // rsync, reading the same kind of file, shows whether it does).
        _ = system(script: "cd \(q(t.path)) && cp -a src src2 && touch -a -d 2019-05-05 src/f src2/f")
        _ = run(["rsync", "-a", "src2/", "r2/"], cwd: t.path)
        let mountKeepsAtimes = !atimes("src2").contains("f 1557014400")
        _ = run(["sy", "-a", "src/", "s2/"], cwd: t.path)
        #expect(atimes("src").contains("f 1557014400") == !mountKeepsAtimes)
    }

    /// --info items as rsync's: name, del, stats and flist at their levels, over -v's defaults
    /// whatever their place, and -q over all. The same lines as rsync's (its figures aside).
    @Test(arguments: [["--info=name1"], ["--info=del1"], ["--info=flist1"], ["--info=stats1"], ["-v", "--info=flist0"],
                      ["-v", "--info=name0"], ["-v", "--info=stats0"], ["-v", "--info=del0"], ["--info=none", "-v"],
                      ["--info=name1", "-q"], ["-avi"], ["-v", "--stats"], ["--info=stats2"], ["--info=ALL"], ["-vv"], ["-vvn"],
                      ["-vv", "--no-W"]])
    func infoItemsAsRsync(args: [String]) {
        let t = TempDir("everyday")
        tree(t)
        destination(t.sub("r")); destination(t.sub("s"))
        // -vv twice: the second run finds everything up to date ("X is uptodate").
        for round in 0..<(args.contains("-vv") ? 2 : 1) {
            let r = run(["rsync", "-a", "--delete"] + args + ["src/", "r/"], cwd: t.path)
            let s = run(["sy", "-a", "--delete"] + args + ["src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(s)")
            let figures = ["sent ", "total size", "Total bytes", "File list generation", "          ", "total: matches="]
            let lines = { (x: RunResult) in Set(x.out.split(separator: "\n").map(String.init).filter { l in !l.contains("100%") && !figures.contains { l.hasPrefix($0) } }) }
            #expect(lines(s) == lines(r), "\(args) round \(round)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
            #expect(s.out.contains("total size is") == r.out.contains("total size is"), "\(args)")
            #expect(s.out.contains("total: matches=") == r.out.contains("total: matches="), "\(args)")
            #expect(!(round == 1 && !args.contains("-vvn")) || s.out.contains("run.sh is uptodate"), "\(s.out)")
        }
    }

    /// -vv's opening lines in rsync's order: the header, then "created directory" (or --mkpath's
    /// line) for a destination made, then the delta note, which rsync's receiver prints after it
    /// made the destination (sy printed the note first).
    @Test(arguments: [["-vv"], ["-vvn"], ["-vv", "--mkpath"], ["-vv", "--no-W"], ["-vvi", "--stats"]])
    func openingLinesInRsyncOrder(args: [String]) {
        let t = TempDir("everyday")
        tree(t)
        for existing in [false, true] {
            let dest = args.contains("--mkpath") ? "d/p/q/" : "d/"
            if existing { mkdir(t.sub("d"), 0o755) }
            let r = run(["rsync", "-a"] + args + ["src/", dest], cwd: t.path)
            removeTree(t.sub("d"))
            if existing { mkdir(t.sub("d"), 0o755) }
            let s = run(["sy", "-a"] + args + ["src/", dest], cwd: t.path)
            removeTree(t.sub("d"))
            #expect(r.code == 0 && s.code == 0, "\(s)")
            let opening = { (x: RunResult) in Array(x.out.split(separator: "\n").prefix(3)) }
            #expect(opening(s) == opening(r), "\(args) existing \(existing)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
            #expect(s.out.contains("delta-transmission"))
        }
    }

    /// What a deletion keeps, as rsync: protected entries keep their directories, each said
    /// "cannot delete non-empty directory" (twice below the top, as rsync says it), and
    /// --max-delete counts every entry past the limit, directories too, whose contents go first.
    @Test(arguments: [["--exclude=__pycache__"], ["--max-delete=0"], ["--max-delete=1"], ["--max-delete=2"], ["--max-delete=3"], ["--max-delete=-1"],
                      ["-n", "--exclude=__pycache__"], ["-n", "--max-delete=2"], ["--exclude=__pycache__", "--max-delete=1"]])
    func keptDeletionsAsRsync(args: [String]) {
        let t = TempDir("everyday")
        let build = """
            mkdir -p src r/old/sub/__pycache__ r/gone2 r/gone1/sub
            for f in r/old/sub/__pycache__/x r/old/sub/f r/old/g r/gone2/x r/gone2/y r/gone1/a r/gone1/b r/gone1/sub/c r/top; do echo "$f" > "$f"; done
            touch -d 2020-01-01 src && cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-ri", "--delete"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-ri", "--delete"] + args + ["src/", "s/"], cwd: t.path)
        #expect(s.code == r.code, "\(args): rsync \(r)\nsy \(s)")
        #expect(s.out == r.out, "\(args)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        let limitLine = { (x: RunResult) in x.err.split(separator: "\n").first { $0.contains("Deletions stopped") } }
        #expect(limitLine(s) == limitLine(r), "\(r.err)\n\(s.err)")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true).isEmpty, "\(args)")
    }

    /// A directory in the way of a file that it cannot give up: rsync's two lines, the first
    /// on stdout (once), the second on stderr, bare; exit 23. --max-delete limits what --force
    /// removes to make room, with or without --delete.
    @Test(arguments: [[], ["--delete", "--exclude=__pycache__"], ["--force", "--max-delete=0"], ["--force", "--max-delete=2"]])
    func directoryThatCannotMakeWayAsRsync(args: [String]) {
        let t = TempDir("everyday")
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src r/x/__pycache__ && echo f > src/x && echo 1 > r/x/__pycache__/p && echo 2 > r/x/other && touch -d 2020-01-01 src/x src && cp -a r s") == 0)
        let r = run(["rsync", "-ri"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-ri"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 23 && s.code == 23, "\(s)")
        #expect(s.out == r.out, "rsync:\n\(r.out)\nsy:\n\(s.out)")
        let first = { (x: RunResult) in x.err.split(separator: "\n").first.map(String.init) }
        #expect(first(s) == first(r) && first(s) == "could not make way for new regular file: x", "\(r.err)\n\(s.err)")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true).isEmpty)
    }

    /// A destination file (changed, or up to date but a copy) that a --link-dest file matches in
    /// every preserved attribute becomes a hard link to it, and one a --compare-dest file matches
    /// goes, quietly, as rsync's try_dests_reg does before its quick check; --copy-dest leaves it.
    @Test(arguments: [["--link-dest=../ref"], ["--compare-dest=../ref"], ["--copy-dest=../ref"], ["--link-dest=../ref", "-n"],
                      ["--link-dest=../ref", "--delete", "-H"]])
    func referenceCopiesReplaceDestinationFilesAsRsync(args: [String]) {
        let t = TempDir("everyday")
        tree(t)
        let q = shellQuote
        let build = """
            rsync -a src/ ref/ && chmod 600 ref/d/f
            for d in r s; do rsync -a src/ $d/ && echo changed >> $d/data && touch -d 2019-01-01 $d/data; done
            """
        #expect(system(script: "cd \(q(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-ai"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-ai"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        #expect(s.out == r.out, "\(args)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        // Names, link counts (a link to the reference counts it), sizes, modes.
        let listing = { (d: String) in sh("cd \(q(t.sub(d))) && find . -printf '%p %n %s %m\\n' | sort").out }
        #expect(listing("s") == listing("r"), "\(args)\nrsync:\n\(listing("r"))\nsy:\n\(listing("s"))")
    }

    /// A snapshot made against the previous one (--link-dest, as backup rotations do): unchanged
    /// files and symlinks linked, new directories the same as before listed nowhere, changed
    /// files itemized against their previous copies; the same lines and tree as rsync's.
    @Test(arguments: [["--link-dest=../prev"], ["--compare-dest=../prev"], ["--link-dest=../prev", "-n"]])
    func snapshotAgainstThePreviousOneAsRsync(args: [String]) {
        let t = TempDir("everyday")
        tree(t)
        let q = shellQuote
        let build = """
            rsync -a src/ prev/
            echo changed >> src/data && touch -d '2024-02-02' src/data
            chmod 600 src/run.sh && mkdir src/newdir && echo n > src/newdir/n && touch -d '2024-03-03' src/d src/newdir/n src/newdir
            ln -s data src/newlink && touch -h -d '2024-03-03' src/newlink
            """
        #expect(system(script: "cd \(q(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-ai"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-ai"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        let lines = { (x: RunResult) in Set(x.out.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("created directory") }) }
        #expect(lines(s) == lines(r), "\(args)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        let listing = { (d: String) in sh("cd \(q(t.sub(d))) 2>/dev/null && find . -printf '%p %y %n %s %m\\n' | sort").out }
        #expect(listing("s") == listing("r"), "\(args)\nrsync:\n\(listing("r"))\nsy:\n\(listing("s"))")
    }

    /// A set-group-ID destination directory gives new files its group: with -g they still get
    /// the source's, without it they keep the directory's, as with rsync.
    @Test func setGroupIDDirectoriesAsRsync() {
        let t = TempDir("everyday")
        tree(t)
        for args in [["-a"], ["-rlpt"], ["-a", "--no-W"], ["-rlptg", "--no-W", "-I"]] {
            for d in ["r", "s"] {
                _ = system(script: "cd \(shellQuote(t.path)) && rm -rf \(d) && mkdir -p \(d)/d && chgrp nogroup \(d) \(d)/d && chmod 2775 \(d) \(d)/d && echo old > \(d)/data")
            }
            let r = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
            let s = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(args): \(s)")
            #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true).isEmpty, "\(args)")
        }
    }

    /// Several sources with names in common make one tree, as rsync merges them: a directory
    /// wins over a file or link of its name, directories of one name are merged, and of two
    /// files the first source's is sent; --delete keeps what any source has.
    @Test(arguments: [["-a"], ["-a", "--delete"], ["-aH", "--delete-after"], ["-a", "-c", "--delete", "--exclude=s/"], ["-ak"]])
    func overlappingSourcesMergeAsRsync(args: [String]) {
        let t = TempDir("everyday")
        let build = """
            mkdir -p a/x/s b/x/s a/y b/z/in c/w r/x/s r/old
            echo 1 > a/f; echo 22 > b/f; echo 3 > a/x/g; echo 555 > b/x/g; echo 4 > b/x/h; echo 6 > a/x/s/1
            echo 7 > b/x/s/2; echo 8 > b/y; echo 9 > a/y/in; echo 10 > a/z; echo 11 > b/z/in/q
            ln -s ../b/x c/x; ln b/x/h c/hl; ln b/x/h c/w/hl2; echo o > r/x/s/old; echo k > r/x/keep
            touch -d 2020-01-01 a b c a/* b/* c/* && cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        for order in [["a/", "b/", "c/"], ["c/", "b/", "a/"], ["a/x", "b/", "c/x"]] {
            let r = run(["rsync"] + args + order + ["r/"], cwd: t.path)
            let s = run(["sy"] + args + order + ["s/"], cwd: t.path)
            #expect(s.code == r.code, "\(args) \(order): rsync \(r)\nsy \(s)")
            let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(args) \(order): \(d.prefix(8))")
            // The first source holding a file `f` sent it.
            #expect(readFile(t.sub("s/f")) == Array((order[0] == "a/" ? "1\n" : "22\n").utf8), "\(order)")
        }
    }

    /// -R with a directory named from two bases (`a/./x b/./x`) walks both, merged; a file
    /// named from the second base is read from there.
    @Test(arguments: [["a/./x", "b/./x"], ["b/./x", "a/./x"], ["a/./x/f", "b/./x/f", "b/./x/g"], ["a/./", "b/./"]])
    func relativeSourcesFromTwoBasesAsRsync(sources: [String]) {
        let t = TempDir("everyday")
        let build = "mkdir -p a/x/s b/x/s r && echo 1 > a/x/f && echo 22 > b/x/f && echo 3 > b/x/g && echo 4 > a/x/s/1 && echo 5 > b/x/s/2 && cp -a r s"
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-aR", "--delete"] + sources + ["r/"], cwd: t.path)
        let s = run(["sy", "-aR", "--delete"] + sources + ["s/"], cwd: t.path)
        #expect(s.code == r.code && s.code == 0, "rsync \(r)\nsy \(s)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(sources): \(d.prefix(8))")
    }

    /// One file sent under a new name goes into a directory that exists: rsync makes only a
    /// destination's last directory, so a missing one (or a file on the way) is exit 3 and
    /// nothing is made, unless --mkpath.
    @Test(arguments: [("nodir/name", 3, "change_dir#3"), ("file/x", 3, "cannot stat destination"), ("new", 0, ""),
                      ("n1/n2/", 11, "mkdir")] as [(String, Int32, String)])
    func oneFileIntoAMissingDirectoryAsRsync(dest: String, code: Int32, message: String) {
        let t = TempDir("everyday")
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r && echo 1 > f && echo z > r/file && cp -a r s") == 0)
        let r = run(["rsync", "-a", "f", "r/" + dest], cwd: t.path)
        let s = run(["sy", "-a", "f", "s/" + dest], cwd: t.path)
        #expect(r.code == code && s.code == code, "rsync \(r)\nsy \(s)")
        #expect(s.err.contains(message), "\(s)")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false)).isEmpty)
        let m = run(["sy", "-a", "--mkpath", "f", "s/deep/" + dest], cwd: t.path)
        #expect(m.code == 0 && exists(t.sub("s/deep/" + dest)), "\(m)")
    }

    /// --mkpath makes the destination's path before anything else and says so as rsync does
    /// ("created 2 directories for d/n1/n2"); the new root is then an existing directory
    /// (`.d..t...... ./`, not `cd+++`); a dry run says what it would make.
    @Test(arguments: [(["-ai"], ["src/"], "n1/n2/"), (["-ai"], ["src/"], "n1"), (["-av"], ["src/"], "n1/n2"),
                      (["-ain"], ["src/"], "n1/n2/"), (["-avn"], ["src/"], "n1/n2/"), (["-ai"], ["src"], "n1/n2"),
                      (["-ai"], ["src/f"], "n1/n2/"), (["-ai"], ["src/f"], "n1/name"), (["-ain"], ["src/f"], "n1/n2/name"),
                      (["-ai", "--log-file=LOG"], ["src/"], "n1/n2/")] as [([String], [String], String)])
    func mkpathSaysWhatItMadeAsRsync(args: [String], sources: [String], dest: String) {
        let t = TempDir("everyday")
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/d r s && echo 1 > src/f && echo 2 > src/d/g && chmod 700 src && touch -d 2020-01-01 src src/d") == 0)
        func sync(_ tool: String, _ root: String) -> (RunResult, [String]) {
            let x = run([tool, "--mkpath"] + args.map { $0.replacing("LOG", with: root + ".log") } + sources + [root + "/" + dest], cwd: t.path)
            let log = String(decoding: readFile(t.sub(root + ".log")) ?? [], as: UTF8.self).split(separator: "\n")
                .map { String($0.split(separator: " ", maxSplits: 3).last ?? "") }.filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total ") }
            return (x, log.map { $0.replacing(root + "/", with: "D/") })
        }
        let (r, rl) = sync("rsync", "r")
        let (s, sl) = sync("sy", "s")
        #expect(r.code == 0 && s.code == 0, "rsync \(r)\nsy \(s)")
        let keep = { (x: RunResult, root: String) in
            x.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") }
                .map { String($0).replacing(root + "/", with: "D/") }
        }
        #expect(keep(s, "s") == keep(r, "r"), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(sl == rl, "rsync log:\n\(rl)\nsy log:\n\(sl)")
        // (The directories --mkpath makes have the time they were made.)
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true).isEmpty)
    }

    /// -ii (or -i with -vv) itemizes every entry, the unchanged ones with spaces
    /// (`.f          a`); a reference dir's symlink, device or special file is linked, copied or
    /// (compare) left out as rsync's try_dests_non does, itemized against the reference's. A new
    /// directory is compared with the reference's times included, -O or not, and a time -O or
    /// -J leaves alone is reported for any such change (`cd..t......`), as rsync's itemize.
    @Test(arguments: [["-aii"], ["-ai", "-vv"], ["-aii", "--out-format=%i|%n%L"], ["-aiin"], ["-aii", "--delete"],
                      ["-aii", "--copy-dest=../ref"], ["-aii", "--link-dest=../ref"], ["-aii", "--compare-dest=../ref"],
                      ["-ai", "--copy-dest=../ref"], ["-ai", "--link-dest=../ref"], ["-ai", "--compare-dest=../ref"],
                      ["-aiin", "--link-dest=../ref"], ["-aii", "--log-file=../LOG"],
                      ["-aiO", "--link-dest=../ref"], ["-aiiO", "--compare-dest=../ref"], ["-aiJ", "--copy-dest=../ref"]])
    func everyEntryItemizedAsRsync(args: [String]) {
        let t = TempDir("everyday")
        let build = """
            mkdir -p src/d ref r
            echo a > src/a; echo r > src/r; ln -s a src/l; mkfifo src/p
            touch -d 2020-01-01 src/a src/r src/d src
            cp -a src/. r/; rm r/r; cp -a src/r ref/
            echo b > src/new; mkdir src/e ref/e
            ln -s a ref/l2; ln -s a src/l2; ln -s a ref/m; ln -s b src/m; mkfifo ref/q src/q
            touch -h -d 2020-01-01 ref/l2 src/l2 src/m src/new src/e ref/e src/q ref/q src
            mkdir src/f ref/f src/g ref/g; chmod 700 ref/g; touch -d 2021-01-01 src/f src/g ref/g
            cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        func sync(_ tool: String, _ root: String) -> (RunResult, [String]) {
            let x = run([tool] + args.map { $0.replacing("LOG", with: root + ".log") } + ["src/", root + "/"], cwd: t.path)
            let log = String(decoding: readFile(t.sub(root + ".log")) ?? [], as: UTF8.self).split(separator: "\n")
                .map { String($0.split(separator: " ", maxSplits: 3).last ?? "") }.filter { !$0.hasPrefix("sent ") }
            return (x, log)
        }
        let (r, rl) = sync("rsync", "r")
        let (s, sl) = sync("sy", "s")
        #expect(r.code == 0 && s.code == 0, "rsync \(r)\nsy \(s)")
        let keep = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") } }
        #expect(keep(s) == keep(r), "\(args)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(sl == rl, "rsync log:\n\(rl)\nsy log:\n\(sl)")
        #expect(keep(r).count >= (args.contains("-aii") ? 8 : 3))
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true,
                                                                ignoringLinkTimes: args.contains("-aiJ")).isEmpty)
    }

    /// A reference dir's file is taken as rsync's try_dests_reg takes it, by rsync's quick check
    /// (-I never passes it, -c compares sums, --size-only sizes): identical, it is linked or
    /// stands for the new file; passing the check only, it is copied from there (`cf...p.....`,
    /// its content even if the source's differs); else the file is sent. Such files are not
    /// counted as created.
    @Test(arguments: [[], ["-I"], ["-c"], ["--size-only"], ["--append"]], ["--copy-dest", "--link-dest", "--compare-dest"])
    func referenceFilesFollowTheQuickCheckAsRsync(check: [String], reference: String) {
        let t = TempDir("everyday")
        let build = """
            mkdir -p src/e ref/e r
            echo same > src/a; echo same > ref/a; echo aaaa > src/b; echo bbbb > ref/b
            echo x > src/c; echo x > ref/c; chmod 600 ref/c; echo sz1 > src/d; echo sz2 > ref/d; echo new > src/n
            ln -s a src/l; ln -s a ref/l; ln -s q src/m; touch -h -d 2020-01-01 src/l ref/l src/m
            touch -d 2021-01-01 ref/d; touch -d 2020-01-01 src/a ref/a src/b ref/b src/c ref/c src/d src/e ref/e src ref
            cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let args = ["-ai", "--stats"] + check + [reference + "=../ref", "src/"]
        let r = run(["rsync"] + args + ["r/"], cwd: t.path)
        let s = run(["sy"] + args + ["s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "rsync \(r)\nsy \(s)")
        let keep = { (x: RunResult) in x.out.split(separator: "\n").filter { $0.contains("+") || $0.hasPrefix("c") || $0.hasPrefix(">") || $0.hasPrefix("Number of") } }
        #expect(keep(s) == keep(r), "\(args)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(args): \(d.prefix(8))")
    }

    /// -H with reference dirs: a group member that a reference copy stands for leads nothing
    /// (with --compare-dest its group's next member stands alone), links made from a reference
    /// are listed as rsync lists them, and the destination's old copies go as rsync's do. A
    /// group no reference dir has a file of is placed as without them: its last member gets the
    /// data (`>f d/n2`, `hf n1 => d/n2`; sy gave it to the first).
    @Test(arguments: ["--compare-dest=../ref", "--link-dest=../ref", "--copy-dest=../ref"], [false, true])
    func hardLinkGroupsWithReferenceDirsAsRsync(reference: String, destHasCopies: Bool) {
        let t = TempDir("everyday")
        // (rsync 3.5.0 hangs after its work with -H when --compare-dest has one member of a group
        // only, the case its own itemize.test calls a really old problem: not compared here.)
        let compare = reference.hasPrefix("--compare-dest")
        let build = """
            mkdir -p src ref r
            seq 1 300 > src/x.o1; ln src/x.o1 src/y.c0; cp -p src/x.o1 ref/x.o1; cp -p src/y.c0 ref/y.c0
            \(compare ? "true" : "seq 1 400 > src/z; ln src/z src/z2; cp -p src/z ref/z; mkdir src/d; seq 1 50 > src/n1; ln src/n1 src/d/n2")
            \(destHasCopies ? "echo old > r/x.o1; echo old > r/z2; touch -d 2019-01-01 r/x.o1 r/z2" : "true")
            touch -d 2020-01-01 src/x.o1 src/z ref/x.o1 ref/y.c0 ref/z src ref
            cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-aiH", reference, "src/", "r/"], cwd: t.path)
        let s = run(["sy", "-aiH", reference, "src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == r.code, "rsync \(r)\nsy \(s)")
        #expect(Set(s.out.split(separator: "\n")) == Set(r.out.split(separator: "\n")), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(reference): \(d.prefix(8))")
    }

    /// -H --append with a reference dir (or -y's fuzzy basis) whose copy of a group's first
    /// member is as long or longer: rsync takes that copy as the file and makes nothing, and the
    /// next member stands alone (sy linked it to the file it had not made: "link failed", exit
    /// 23; fuzz-oracle seeds 17300188, 17700148).
    @Test(arguments: ["--copy-dest=../ref", "--link-dest=../ref", "-y"])
    func appendedGroupWhoseReferenceIsLonger(reference: String) {
        let t = TempDir("everyday")
        let build = reference == "-y" ? """
            mkdir -p src r && seq 1 300 > src/a && ln src/a src/b && seq 1 400 > r/a1
            touch -d 2020-01-01 src/a r/a1 src && cp -a r s
            """ : """
            mkdir -p src ref && seq 1 300 > src/a && ln src/a src/b && seq 1 400 > ref/a
            touch -d 2020-01-01 src/a ref/a src ref
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-aiH", "--append", reference, "src/", "r/"], cwd: t.path)
        let s = run(["sy", "-aiH", "--append", reference, "src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "rsync \(r)\nsy \(s)")
        #expect(Set(s.out.split(separator: "\n").filter { !$0.hasPrefix("created") }) == Set(r.out.split(separator: "\n").filter { !$0.hasPrefix("created") }), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(reference): \(d.prefix(8))")
    }

    /// -H -y: a new member that -y finds a basis for is placed at its turn and leads, as rsync's
    /// generator looks for the basis before it holds a member (sy held it for the group's last).
    @Test(arguments: [[], ["-n"], ["-W"]])
    func fuzzyBasisLeadsItsGroup(extra: [String]) {
        let t = TempDir("everyday")
        let build = """
            mkdir -p src/z dst && seq 1 1000 > src/a && ln src/a src/z/b && seq 1 1000 > dst/a.bak
            touch -d 2020-01-01 src/a dst/a.bak && cp -a dst r && cp -a dst s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-aHiy"] + extra + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-aHiy"] + extra + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0 && s.out == r.out, "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(s.out.contains(">f+++++++++ a\n"), "\(s.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(d.prefix(8))")
    }

    /// Sources whose every entry the filters leave out still make a destination named `dir/`
    /// (not one without the slash), as rsync's receiver does; a named directory left out that
    /// way gets no "skipping directory" note (-R without -r).
    @Test(arguments: [["-R", "--exclude=*", "src/y.c0", "dst/"], ["--exclude=*", "src/y.c0", "dst/"],
                      ["-Ri", "--filter=S *.c", "--filter=- *", "src/y.c0", "dst/"], ["-ri", "--exclude=*", "src/y.c0/f", "dst/"],
                      ["--exclude=*", "src/y.c0", "dst"], ["-R", "src/y.c0", "dst/"]])
    func everythingExcludedStillMakesTheDestination(args: [String]) {
        let t = TempDir("everyday")
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p r/src/y.c0/d s/src/y.c0/d && echo 1 > r/src/y.c0/f && echo 1 > s/src/y.c0/f") == 0)
        let r = run(["rsync"] + args, cwd: t.sub("r"))
        let s = run(["sy"] + args, cwd: t.sub("s"))
        #expect(r.code == 0 && s.code == 0 && s.out == r.out, "rsync \(r)\nsy \(s)")
        #expect(exists(t.sub("s/dst")) == exists(t.sub("r/dst")) && exists(t.sub("r/dst")) == (args.last == "dst/"), "\(args)")
    }

    /// --ignore-existing leaves a symlink or file where the source has a directory, and rsync
    /// then gives it the directory's time at the end (its touch_up_dirs, not following a link).
    /// (What the directory holds rsync then writes through such a link, or fails on below a
    /// file; sy leaves it out: it never writes through a destination's symlink.)
    /// (With --delete rsync then also lists such a directory through the link, or fails on a file.)
    @Test(arguments: [["-ai", "--ignore-existing"], ["-ai", "--ignore-existing", "-O"], ["-rli", "--ignore-existing"]])
    func ignoreExistingLeavesWhatStandsForADirectoryAsRsync(args: [String]) {
        let t = TempDir("everyday")
        let build = """
            mkdir -p src/c0 src/c1 r/c0.real
            ln -s c0.real r/c0 && echo x > r/c1 && touch -h -d 2015-01-01 r/c0 r/c1
            touch -d 2022-02-02 src/c0 src/c1 src && cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == s.code && Set(r.out.split(separator: "\n")) == Set(s.out.split(separator: "\n")), "rsync \(r)\nsy \(s)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(args): \(d.prefix(8))")
    }

    /// What a directory --ignore-existing leaves out (a file stands at its path) holds is still
    /// tried, one level down, as rsync's generator does: each entry fails there,
    /// a directory is listed before its mkdir fails, nothing deeper is tried, and the run exits
    /// 23. A dry run tries everything below (it makes nothing), and only a file's stat fails.
    /// Deleting as it goes, listing such a directory fails too, which stops deletions. A
    /// directory where the source has a file exists too: it stays, even with --delete (sy
    /// deleted it, and made nothing there).
    @Test(arguments: [["-ai"], ["-ai", "-n"], ["-rlti", "--delete"], ["-ai", "--delete-delay"], ["-ai", "--delete-after"],
                      ["-ai", "--delete", "--ignore-errors"], ["-ai", "-H"], ["-av"]])
    func ignoreExistingTriesWhatADirectoryLeftOutHoldsAsRsync(args: [String]) {
        let t = TempDir("everyday")
        let build = """
            mkdir -p src/c0/sub/deep src/c1/sub r
            echo f > src/c0/f && ln -s f src/c0/l && mkfifo src/c0/p && echo g > src/c0/sub/g && echo h > src/c0/sub/deep/h
            echo f > src/c1/f && echo g > src/c1/sub/g && echo top > src/top
            echo x > r/c0 && ln -s c0 r/c1 && echo y > r/c2 && touch -h -d 2015-01-01 r/c0 r/c1
            echo t2 > src/top2 && echo t3 > src/top3 && mkdir -p r/top2/in r/top3 && echo k > r/top2/in/k
            touch -d 2022-02-02 src/c0 src/c1 src r r/top2 r/top3 && cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "--ignore-existing"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "--ignore-existing"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 23 && s.code == 23, "rsync \(r)\nsy \(s)")
        #expect(Set(r.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") })
                == Set(s.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") }), "rsync \(r)\nsy \(s)")
        // One error line for each entry that failed, in both.
        let failures = { (err: String) in err.split(separator: "\n").filter { $0.contains("Not a directory") }.count }
        #expect(failures(r.err) == failures(s.err), "rsync \(r.err)\nsy \(s.err)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(args): \(d.prefix(8))")
    }

    /// Paths that look like options, after `--`, reach every stage as paths.
    @Test func pathsThatLookLikeOptions() {
        let t = TempDir("everyday")
        tree(t)
        _ = system(script: "cd \(shellQuote(t.path)) && mv src -- -src")
        for args in [["-a"], ["-a", "--no-W"], ["-aR"], ["-a", "--link-dest=../-src"]] {
            _ = system(script: "cd \(shellQuote(t.path)) && rm -rf -- r s")
            let r = run(["rsync"] + args + ["--", "-src/", "r/"], cwd: t.path)
            let s = run(["sy"] + args + ["--", "-src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(args): \(s)")
            #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false)).isEmpty, "\(args)")
        }
    }

    /// The first error line without the program's name ("rsync: ...", "sy: ..."), to compare.
    static func errorWords(_ err: String) -> String {
        err.split(separator: "\n").first.map { String($0.drop { $0 != ":" }) } ?? ""
    }

    /// Options rsync refuses together are refused with its words and exit 1, after --no-OPTION
    /// is read in order (a later --no-inplace lifts the conflict); nothing is made.
    @Test(arguments: [["--append", "--partial-dir=.p"], ["--append-verify", "--partial-dir=.p"], ["--append", "--delay-updates"],
                      ["--inplace", "--partial-dir=.p"], ["--inplace", "--delay-updates"], ["--append", "-W", "--partial-dir=.p"], ["--append", "-W", "--no-W"], ["--append", "--no-W", "-W"],
                      ["--partial-dir=.p", "--inplace", "--no-inplace"], ["--no-inplace", "--inplace", "--delay-updates"],
                      ["--append", "--no-append", "--partial-dir=.p"], ["--inplace", "--delay-updates", "--no-delay-updates"],
                      ["--partial-dir=.p", "--no-partial", "--inplace"]])
    func refusedCombinationsAsRsync(_ args: [String]) {
        let t = TempDir("everyday")
        tree(t)
        let r = run(["rsync", "-a"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-a"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == s.code, "\(args): \(s)")
        #expect(exists(t.sub("r")) == exists(t.sub("s")), "\(args)")
        #expect(Self.errorWords(r.err) == Self.errorWords(s.err), "\(args): \(r.err) | \(s.err)")
    }

    /// `--no-OPTION` is taken where rsync takes it and refused as an unknown option (exit 1,
    /// rsync's words, nothing made) where rsync has no such negation.
    @Test(arguments: ["--no-delete", "--no-update", "--no-u", "--no-I", "--no-ignore-times", "--no-stats", "--no-b",
                      "--no-K", "--no-keep-dirlinks", "--no-E", "--no-executability", "--no-append-verify",
                      "--no-W", "--no-backup", "--no-timeout", "--no-i-d", "--no-motd", "--no-from0"])
    func negationsAsRsync(_ option: String) {
        let t = TempDir("everyday")
        tree(t)
        let r = run(["rsync", "-a", option, "src/", "r/"], cwd: t.path)
        let s = run(["sy", "-a", option, "src/", "s/"], cwd: t.path)
        #expect(r.code == s.code, "\(option): \(s)")
        #expect(exists(t.sub("r")) == exists(t.sub("s")), "\(option)")
        #expect(Self.errorWords(r.err) == Self.errorWords(s.err), "\(option): \(r.err) | \(s.err)")
        if r.code == 0 { #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty, "\(option)") }
    }

    /// Everything sent skipped (--existing, a size limit) into a destination that is not there:
    /// rsync's receiver makes the destination first all the same (a `dir/` one, one named for
    /// several sources or a directory; `.` then gets the source's attributes, itemized cd+++),
    /// a dry run says so, one file named as the destination makes nothing, and sources that
    /// send nothing (all excluded) make only a `dir/` one. The same tree and lines as rsync's.
    @Test(arguments: [(["-ai", "--existing", "src/"], "D/"), (["-ai", "--existing", "-n", "src/"], "D/"), (["-ai", "--existing", "src/d"], "D/"),
                      (["-ai", "--existing", "--delete", "src/"], "D/"), (["-ai", "--existing", "src/data"], "D"),
                      (["-ai", "--existing", "src/d"], "D"), (["-ai", "--existing", "src/data", "src/d"], "D"),
                      (["-ai", "--max-size=1", "src/data", "src/run.sh"], "D"), (["-ai", "--exclude=*", "src/data", "src/d"], "D"),
                      (["-ai", "--exclude=*", "src/data", "src/d"], "D/")])
    func existingIntoMissingDestination(_ args: [String], _ dest: String) {
        let t = TempDir("everyday")
        tree(t)
        _ = system(script: "cd \(shellQuote(t.path)) && chmod 700 src && touch -d @1500000000 src")
        let r = run(["rsync"] + args + [dest.replacingOccurrences(of: "D", with: "r")], cwd: t.path)
        let s = run(["sy"] + args + [dest.replacingOccurrences(of: "D", with: "s")], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(args): \(s)")
        #expect(exists(t.sub("r")) == exists(t.sub("s")), "\(args) \(dest)")
        if exists(t.sub("r")) {
            let whole = args.contains("src/")
            let d = TreeSnapshot(t.sub("r"), rootTimes: whole).diff(TreeSnapshot(t.sub("s"), rootTimes: whole))
            #expect(d.isEmpty, "\(args) \(dest): \(d.prefix(8))")
        }
        #expect(s.out.replacingOccurrences(of: "created directory s", with: "created directory r") == r.out,
                "\(args) \(dest): rsync:\n\(r.out)sy:\n\(s.out)")
    }

    /// A value written onto its one-letter option, alone or ending a cluster, as rsync's
    /// parser takes it: the same tree as rsync with the same words.
    @Test func valuesWrittenOntoShortOptions() {
        let t = TempDir("everyday")
        tree(t)
        mkdir(t.sub("tmp"), 0o755)
        for args in [["-aB700", "--no-W", "-I"], ["-a", "-f- *.o"], ["-avf+ d/", "-f- */"], ["-a", "-T" + t.sub("tmp"), "-@-1"]] {
            let r = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
            let s = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(args): \(s)")
            #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty, "\(args)")
            _ = system(script: "rm -rf \(shellQuote(t.sub("r"))) \(shellQuote(t.sub("s")))")
        }
    }

    /// Options rsync scripts carry that change nothing copied are accepted with rsync's values
    /// and give rsync's tree (and the alias --remove-sent-files removes what was sent).
    @Test func scriptOptionsAreAccepted() {
        let t = TempDir("everyday")
        tree(t)
        for args in [["--cc=md5"], ["--checksum-choice=md4,sha1", "-c"], ["-z", "--zc=zlib"], ["--new-compress"],
                     ["--checksum-seed=7"], ["--no-motd", "--no-iconv", "--implied-dirs", "--msgs2stderr"],
                     ["--port=873", "--protocol=31", "--qsort", "--motd", "--i-d", "--log-format=%n"],
                     ["--no-blocking-io", "--no-8", "--no-J", "--no-s", "--no-timeout", "--no-bwlimit", "--no-ignore-errors",
                      "--no-from0", "--no-crtimes", "--no-super", "--no-munge-links", "--no-i-d"],
                     ["-z", "--zl=30"], ["-z", "--compress-level=-2"], ["--no-W", "--block-size=10"], ["-J", "--no-omit-link-times"],
                     ["-0", "--exclude-from=nul-list"], ["--exclude-from=nl-list", "-0"]] {
            writeFile(t.sub("nul-list"), Array("x.o\0d/\0".utf8))
            writeFile(t.sub("nl-list"), Array("x.o\nd/\n".utf8))
            let r = run(["rsync", "-a"] + args + ["src/", "r/"], cwd: t.path)
            let s = run(["sy", "-a"] + args + ["src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(args): \(s)")
            #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty, "\(args)")
            _ = system(script: "rm -rf \(shellQuote(t.sub("r"))) \(shellQuote(t.sub("s")))")
        }
        _ = system(script: "cp -a \(shellQuote(t.sub("src"))) \(shellQuote(t.sub("src2")))")
        let s = run(["sy", "-a", "--remove-sent-files", "src2/", "s/"], cwd: t.path)
        #expect(s.code == 0 && !exists(t.sub("src2/data")) && exists(t.sub("s/data")), "\(s)")
    }

    /// --progress with -i or --out-format: rsync writes the file's line above its progress line,
    /// instead of its name, when the format has no byte counts (%b, %c: then the name, and the
    /// line after the transfer). The lines besides the progress lines are rsync's, in order.
    @Test(arguments: [["-aPi"], ["-aPi", "--no-W"], ["-aP", "--out-format=%n:%l"], ["-aP", "--out-format=%n:%b"], ["-aPv"], ["-aPiv"]])
    func progressWithItemizeAsRsync(args: [String]) {
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src r s && echo new > src/n && head -c 5000 /dev/urandom > src/u && cp src/u r/u && cp src/u s/u && echo x >> src/u && touch -d 2020-01-01 src/n src/u src r s") == 0)
        let r = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        // Progress lines, rsync's closing byte counts and %b's (its protocol's) left out.
        let lines = { (x: RunResult) in
            x.out.split(separator: "\n").map { String($0.split(separator: ":").first ?? "") }
                .filter { !$0.contains("%") && !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") }
        }
        #expect(lines(r) == lines(s), "\(args): rsync\n\(r.out)\nsy\n\(s.out)")
    }

    /// --progress with a whole list (--delete-after, --delete-before, -m, --no-i-r, --delay-updates):
    /// rsync's header ends its line, then counts the list (" 0 files...", every hundred, "N files to
    /// consider") before the first name; with -v the same, and "created directory" after it.
    @Test(arguments: [["-aP", "--delete-after"], ["-avP", "--delete-before"], ["-aP", "--no-i-r"], ["-avP", "--delay-updates"],
                      ["-aP", "--delete-after", "src/a/f1"]])
    func progressCountsAWholeListAsRsync(args: [String]) {
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/a && for i in $(seq 1 150); do echo $i > src/a/f$i; done && echo y > src/g") == 0)
        let sources = args.last!.hasPrefix("src") ? [] : ["src/"]
        let r = run(["rsync"] + args + sources + ["r/"], cwd: t.path)
        let s = run(["sy"] + args + sources + ["s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        let head = { (x: RunResult) in x.out.firstRange(of: "to consider\n").map { String(x.out[..<$0.upperBound]) } ?? "" }
        #expect(head(r).hasPrefix("building file list ... \n 0 files...\r") && head(s) == head(r), "\(args): rsync\n\(r.out.prefix(200))\nsy\n\(s.out.prefix(200))")
    }

    /// --progress counts what is left to check as rsync does: by each file's place in rsync's
    /// file list (a directory's entries numbered together when it is listed, depth first; a
    /// whole list in order), over every entry, not only the files sent.
    @Test(arguments: [["-aP"], ["-aP", "--no-i-r"], ["-aP", "--exclude=d1"], ["-aP", "--delete-after"], ["-aP", "-m"], ["-a", "--info=progress2"]])
    func progressCountsLeftToCheckAsRsync(args: [String]) {
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/d1/e/f src/d2 src/d3/x/y src/d3/w && for f in z1 A d1/a d1/zz d1/e/m d1/e/f/n d3/x/y/p d3/w/q d3/x/r d3/k; do echo $f > src/$f; done && ln -s z1 src/lnk") == 0)
        // (Two sources: rsync's first list holds each one's entry, a merged duplicate too.)
        for source in [["src/"], ["src"], ["src/", "src/d3/"], ["src/d1", "src/d3"]] {
            let r = run(["rsync"] + args + source + ["r/"], cwd: t.path)
            let s = run(["sy"] + args + source + ["s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(s)")
            #expect(progressCounts(s) == progressCounts(r) && !progressCounts(s).isEmpty,
                    "\(args) \(source): rsync\n\(r.out)\nsy\n\(s.out)")
            _ = system(script: "cd \(shellQuote(t.path)) && rm -rf r s")
        }
    }

    /// --info=progress2's last line as rsync's (the rate aside): its percentage is of the size
    /// of everything listed (symlinks by their target's length), so a sync that sends one
    /// small file ends low, and nothing is left to check.
    @Test func progress2EndsAsRsync() {
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/d && echo 12345 > src/a && head -c 30 /dev/zero > src/d/b && ln -s a src/l && touch -d 2020-01-01 src/a src/d/b src/d src") == 0)
        func last(_ x: RunResult) -> String {
            let line = x.out.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).last.map(String.init) ?? ""
            // Bytes and percentage, then what follows the time.
            let fields = line.split(separator: " ")
            return fields.count >= 5 ? fields[0...1].joined(separator: " ") + " " + fields[4...].joined(separator: " ") : line
        }
        for step in 0..<3 {
            if step == 2 { #expect(system(script: "cd \(shellQuote(t.path)) && echo more >> src/a && touch -d 2021-01-01 src/a") == 0) }
            let r = run(["rsync", "-a", "--info=progress2", "src/", "r/"], cwd: t.path)
            let s = run(["sy", "-a", "--info=progress2", "src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(s)")
            #expect(last(s) == last(r), "step \(step): rsync\n\(r.out)\nsy\n\(s.out)")
        }
    }

    /// rsync reads options in order: a --no-OPTION is undone by the option (or -a, -D, or its
    /// other name) given after it, not only the other way round.
    @Test(arguments: [["--no-W", "-W", "--append", "-a"], ["-W", "--no-W", "--append", "-a"], ["--no-whole-file", "-W", "--append", "-a"],
                      ["--no-p", "-a"], ["-a", "--no-p"], ["--no-t", "-avtq"], ["--no-perms", "-rlpt"], ["--no-D", "-a"], ["--no-r", "--archive"]])
    func negationsAreReadInOrder(args: [String]) {
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/a r s && echo x > src/a/f && chmod 600 src/a/f && mkfifo src/p && touch -d 2020-01-01 src/a/f src/a src/p") == 0)
        let r = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
        let s = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
        #expect(r.code == s.code, "\(args): rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false)).isEmpty, "\(args)")
    }

    /// --del/--delete-during and --delete-delay are one setting in rsync (the last given wins);
    /// with --delete-before or --delete-after they are a usage error, as two of those are.
    @Test(arguments: [["--del", "--delete-delay"], ["--delete-delay", "--del"], ["--delete-during", "--delete-delay"],
                      ["--delete-before", "--del"], ["--delete-after", "--delete-delay"]])
    func deleteWhenOptionsCombineAsRsync(whens: [String]) {
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/a r s && echo x > src/a/f && echo o > r/extra && echo o > s/extra") == 0)
        let r = run(["rsync", "-ai"] + whens + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-ai"] + whens + ["src/", "s/"], cwd: t.path)
        #expect(r.code == s.code && r.out == s.out, "\(whens): rsync \(r)\nsy \(s)")
        #expect(exists(t.sub("r/extra")) == exists(t.sub("s/extra")) && exists(t.sub("r/a/f")) == exists(t.sub("s/a/f")))
    }

    /// `--info=help` prints rsync's table of categories, whatever else is on the line, and exits 0.
    @Test func infoHelpIsRsyncsTable() {
        let r = run(["rsync", "--info=help"])
        let s = run(["sy", "--info=help"])
        let s2 = run(["sy", "-a", "--info=name,HELP", "a/", "b/"])
        #expect(r.code == 0 && s.code == 0 && s2.code == 0, "\(s)")
        #expect(s.out == r.out && s2.out == r.out, "\(s.out)")
    }

    /// A listing's -v header and closing lines, --stats, -h sizes and -q, as rsync's (the
    /// byte counts of the two protocols aside).
    @Test(arguments: [["-av"], ["-v"], ["-a", "--stats"], ["-ah"], ["-aq"], ["-avv"], ["-rv", "--exclude=d"], ["-a", "--info=stats2"]])
    func listingLinesAsRsync(flags: [String]) {
        let t = TempDir("everyday")
        tree(t)
        func shown(_ out: String) -> [String] {
            out.split(separator: "\n", omittingEmptySubsequences: false).filter { l in
                !["sent ", "Total bytes ", "File list generation"].contains { l.hasPrefix($0) }
            }.map { l in l.firstRange(of: "speedup is").map { String(l[..<$0.lowerBound]) } ?? String(l) }
        }
        let r = run(["rsync"] + flags + ["src/"], cwd: t.path)
        let s = run(["sy"] + flags + ["src/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        #expect(shown(s.out) == shown(r.out), "\(flags)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        if flags.contains("-aq") { #expect(s.out.isEmpty) }
        if flags.contains("--stats") { #expect(s.out.contains("Number of files: ") && s.out.contains("Total file size: ")) }
    }

    @Test func listOnlyAndRejectedOptions() {
        let t = TempDir("everyday")
        tree(t)
        let rl = run(["rsync", "-a", "--list-only", "src/", "nowhere/"], cwd: t.path)
        let sl = run(["sy", "-a", "--list-only", "src/", "nowhere/"], cwd: t.path)
        #expect(sl.code == 0 && !exists(t.sub("nowhere")))
        #expect(rl.out.split(separator: "\n").sorted() == sl.out.split(separator: "\n").sorted(), "\(rl.out)\n\(sl.out)")
        for (args, text) in [(["--frobnicate"], "--frobnicate: unknown option"), (["-aN"], "-N: unknown option (not supported"),
                             (["--iconv=utf8"], "--iconv: unknown option (not supported"), (["--copy-as=nobody"], "--copy-as: unknown option (not supported"),
                             (["--chown=a:b", "--usermap=x:y"], "cannot be combined"), (["--checksum-choice=md6"], "checksum-choice"),
                             (["--zc=brotli"], "compress-choice")] {
            let r = run(["sy"] + args + ["src/", "x/"], cwd: t.path)
            #expect(r.code == 1 && r.err.contains(text) && !exists(t.sub("x")), "\(args): \(r)")
        }
        // What concerns only an rsync daemon's connection, rsync takes and ignores on other
        // transfers; and --copy-as naming the running user changes nothing. sy too.
        let me = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        let myGroup = String(cString: getgrgid(getegid())!.pointee.gr_name)
        for (i, args) in [["--address=10.0.0.1"], ["--sockopts", "SO_SNDBUF=65536"], ["--early-input=/nonexistent"],
                          ["--copy-as=\(me)"], ["--copy-as", "\(geteuid()):\(myGroup)"]].enumerated() {
            let r = run(["rsync", "-a"] + args + ["src/", "ig-r\(i)/"], cwd: t.path)
            let s = run(["sy", "-a"] + args + ["src/", "ig-s\(i)/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(args): rsync \(r)\nsy \(s)")
            #expect(TreeSnapshot(t.sub("ig-r\(i)")).diff(TreeSnapshot(t.sub("ig-s\(i)"))).isEmpty, "\(args)")
        }
        // --super: run as root, what sy does anyway (rsync's as well); otherwise refused.
        let su = run(["sy", "-a", "--super", "src/", "su/"], cwd: t.path)
        if geteuid() == 0 {
            #expect(su.code == 0 && run(["rsync", "-a", "--super", "src/", "rsu/"], cwd: t.path).code == 0, "\(su)")
            #expect(TreeSnapshot(t.sub("rsu")).diff(TreeSnapshot(t.sub("su"))).isEmpty)
        } else {
            #expect(su.code == 1 && su.err.contains("--super: unknown option (not supported") && !exists(t.sub("su")), "\(su)")
        }
    }
}

/// --remove-source-files: the sender's files go once they are safely in place (or were already).
@Suite(.serialized)
struct RemoveSourceFilesTests {
    func tree(_ root: String) {
        _ = system(script: "mkdir -p \(shellQuote(root + "/d/e"))")
        writeFile(root + "/a", Array("a".utf8))
        writeFile(root + "/d/b", Array(repeating: 3, count: 100_000))
        writeFile(root + "/same", Array("same".utf8))
        symlink("a", root + "/l")
        touchTree(root, "2024-01-02 03:04:05")
    }

    func prepare(_ t: TempDir, _ names: [String]) {
        for n in names {
            tree(t.sub(n + "-src"))
            mkdir(t.sub(n + "-dst"), 0o755)
            writeFile(t.sub(n + "-dst/same"), Array("same".utf8))
            _ = system(script: "touch -d '2024-01-02 03:04:05' \(shellQuote(t.sub(n + "-dst/same")))")
        }
    }

    /// -vv (rsync's --info=remove) says "sender removed NAME" for each file removed; not in a
    /// dry run, not with --info=remove0.
    @Test(arguments: [["-vv"], ["-v", "--info=remove1"], ["-vv", "--info=remove0"], ["-vvn"]])
    func removedLinesAsRsync(flags: [String]) {
        let t = TempDir("remove")
        prepare(t, ["r", "s"])
        let removed = { (x: RunResult) in x.out.split(separator: "\n").filter { $0.hasPrefix("sender removed ") }.sorted() }
        let r = run(["rsync", "-a", "--remove-source-files"] + flags + ["r-src/", "r-dst/"], cwd: t.path)
        let s = run(["sy", "-a", "--remove-source-files"] + flags + ["s-src/", "s-dst/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0 && removed(s) == removed(r), "\(flags)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(removed(r).isEmpty == (flags.contains("--info=remove0") || flags.contains("-vvn")), "\(r.out)")
    }

    @Test func localMatchesRsync() {
        let t = TempDir("remove")
        prepare(t, ["r", "s", "n"])
        #expect(run(["rsync", "-a", "--remove-source-files", "r-src/", "r-dst/"], cwd: t.path).code == 0)
        let s = run(["sy", "-a", "--remove-source-files", "s-src/", "s-dst/"], cwd: t.path)
        #expect(s.code == 0, "\(s)")
        #expect(TreeSnapshot(t.sub("r-src"), rootTimes: false).diff(TreeSnapshot(t.sub("s-src"), rootTimes: false), ignoringDirTimes: true).isEmpty)
        #expect(TreeSnapshot(t.sub("r-dst"), rootTimes: false).diff(TreeSnapshot(t.sub("s-dst"), rootTimes: false), ignoringDirTimes: true).isEmpty)
        #expect(!exists(t.sub("s-src/a")) && !exists(t.sub("s-src/same")) && exists(t.sub("s-src/d/e")))
        // A dry run removes nothing.
        let n = run(["sy", "-a", "-n", "--remove-source-files", "n-src/", "n-dst/"], cwd: t.path)
        #expect(n.code == 0 && exists(t.sub("n-src/a")) && exists(t.sub("n-src/d/b")), "\(n)")
    }

    /// Names with a newline: sy-apply's DONE lines carry raw paths, and sy cut them at the
    /// newline (the file stayed, its second half reached stdout, and what came after was lost:
    /// a fifo and a device stayed too). Each goes now, as rsync's, pushed and pulled as well.
    @Test(arguments: ["local", "push", "pull"])
    func namesWithNewlinesAreRemovedAsRsync(mode: String) throws {
        let server = mode == "local" ? nil : SSHServer()
        if mode != "local" && server == nil { Issue.record("sshd could not start"); return }
        let t = TempDir("remove")
        let build = """
            for s in r s; do mkdir -p $s-src/d && printf a > "$s-src/nl
            x" && printf b > "$s-src/d/two
            lines
            " && printf c > $s-src/plain && mkfifo $s-src/ff && ln -s plain $s-src/ln && mknod $s-src/dev c 1 3; done
            touch -h -d '2024-01-02' r-src/* s-src/* r-src/d/* s-src/d/*
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-ai", "--remove-source-files", "r-src/", "r-dst/"], cwd: t.path)
        var src = t.sub("s-src/"), dst = t.sub("s-dst/")
        var via: [String] = []
        if let server {
            via = ["-e", server.rsh, "--remote-sy", Tools.dir]
            if mode == "push" { dst = server.host + ":" + dst } else { src = server.host + ":" + src }
        }
        let s = run(["sy", "-ai", "--remove-source-files"] + via + [src, dst], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        // (A push itemizes what it sends as `<f`.)
        let lines = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("created") }.map { $0.replacing("<f", with: ">f") }.sorted() }
        #expect(lines(s) == lines(r), "\(mode)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(TreeSnapshot(t.sub("s-src"), rootTimes: false).nodes.count == 2, "\(TreeSnapshot(t.sub("s-src")).nodes.keys)") // (the top and d)
        #expect(TreeSnapshot(t.sub("r-src"), rootTimes: false).diff(TreeSnapshot(t.sub("s-src"), rootTimes: false), ignoringDirTimes: true).isEmpty)
        #expect(TreeSnapshot(t.sub("r-dst"), rootTimes: false).diff(TreeSnapshot(t.sub("s-dst"), rootTimes: false), ignoringDirTimes: true).isEmpty)
    }

    /// A symlink sent as what it points to: with -L the link goes when its target is unchanged;
    /// with --copy-unsafe-links rsync's sender judges the link itself, finds it "changed", keeps
    /// it and exits 23. The same source trees and exit codes as rsync.
    @Test(arguments: [["-L"], ["--copy-unsafe-links"]])
    func followedLinksAsRsync(mode: [String]) {
        let t = TempDir("remove")
        let build = """
            for s in r s; do mkdir -p $s-src $s-dst && echo f > $s-src/f && ln -s f $s-src/in && echo o > $s-outside && ln -s ../$s-outside $s-src/out; done
            touch -h -d '2024-01-02' r-src/* s-src/* r-outside s-outside
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-a", "--remove-source-files"] + mode + ["r-src/", "r-dst/"], cwd: t.path)
        let s = run(["sy", "-a", "--remove-source-files"] + mode + ["s-src/", "s-dst/"], cwd: t.path)
        #expect(r.code == s.code, "rsync \(r.code): \(r.err)\nsy: \(s)")
        for name in ["f", "in", "out"] {
            #expect(lstat(t.sub("r-src/" + name)) == nil ? lstat(t.sub("s-src/" + name)) == nil : lstat(t.sub("s-src/" + name)) != nil, "\(mode) \(name)")
        }
        if mode == ["--copy-unsafe-links"] {
            #expect(s.err.contains("ERROR: Skipping sender remove for changed file: out"), "\(s.err)")
        } else {
            // The link's target went first: rsync notes it on stdout and goes on.
            #expect(s.out.contains("sender file already removed: in") == r.out.contains("sender file already removed: in"), "\(s.out)")
        }
    }

    /// A file a reference dir stands for (linked, or left out by --compare-dest) counts as
    /// transferred: its source goes, as rsync's. Also when the destination had another copy.
    @Test(arguments: ["--link-dest=../ref", "--compare-dest=../ref"])
    func referencedFilesAreRemovedFromTheSource(option: String) {
        let t = TempDir("remove")
        for side in ["r", "s"] {
            tree(t.sub(side + "-src"))
            _ = system(script: "cd \(shellQuote(t.path)) && rm -rf ref && cp -a \(side)-src ref && echo other > ref/a && mkdir -p \(side)-dst && echo old > \(side)-dst/same")
        }
        let r = run(["rsync", "-a", "--remove-source-files", option, "r-src/", "r-dst/"], cwd: t.path)
        let s = run(["sy", "-a", "--remove-source-files", option, "s-src/", "s-dst/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        for (a, b) in [("r-src", "s-src"), ("r-dst", "s-dst")] {
            #expect(TreeSnapshot(t.sub(a), rootTimes: false).diff(TreeSnapshot(t.sub(b), rootTimes: false), ignoringDirTimes: true).isEmpty, "\(option): \(a)")
        }
        #expect(!exists(t.sub("s-src/same")) && exists(t.sub("s-src/a")) == exists(t.sub("r-src/a")))
    }

    /// -H --append: a hard-link group --append leaves alone (the destination's copies as long)
    /// stays in the source, and the up-to-date file after it still goes, as rsync. sy kept
    /// every file after such a group in the source.
    @Test(arguments: [["--append"], ["--append-verify"]])
    func appendLeavesOnlyWhatItSkipped(mode: [String]) {
        let t = TempDir("remove")
        let build = """
            for s in r s; do mkdir -p $s-src $s-dst && : > $s-src/a && ln $s-src/a $s-src/b && echo x > $s-src/c && : > $s-dst/a && : > $s-dst/b && cp $s-src/c $s-dst/c
              touch -d '2024-01-02' $s-src/a $s-src/c $s-dst/c && touch -d '2020-01-01' $s-dst/a $s-dst/b; done
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-aH", "--remove-source-files"] + mode + ["r-src/", "r-dst/"], cwd: t.path)
        let s = run(["sy", "-aH", "--remove-source-files"] + mode + ["s-src/", "s-dst/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "rsync \(r)\nsy \(s)")
        for name in ["a", "b", "c"] {
            #expect(exists(t.sub("s-src/" + name)) == exists(t.sub("r-src/" + name)), "\(mode) \(name)")
        }
        #expect(!exists(t.sub("s-src/c")))
        #expect(TreeSnapshot(t.sub("r-dst"), rootTimes: false).diff(TreeSnapshot(t.sub("s-dst"), rootTimes: false)).isEmpty)
    }

    @Test func overSSHPushAndPull() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("remove")
        prepare(t, ["push", "pull"])
        let base = ["sy", "-e", server.rsh, "--remote-sy", Tools.dir, "-a", "-i", "--remove-source-files"]
        let push = run(base + [t.sub("push-src") + "/", "\(server.host):" + t.sub("push-dst")])
        let pull = run(base + ["\(server.host):" + t.sub("pull-src") + "/", t.sub("pull-dst")])
        for (r, n) in [(push, "push"), (pull, "pull")] {
            #expect(r.code == 0, "\(n): \(r)")
            #expect(r.out.contains((n == "push" ? "<" : ">") + "f+++++++++ d/b") && !r.out.contains("\u{1}"), "\(n): \(r.out)")
            #expect(!exists(t.sub(n + "-src/a")) && !exists(t.sub(n + "-src/d/b")) && !exists(t.sub(n + "-src/same")), "\(n)")
            #expect(readFile(t.sub(n + "-dst/d/b"))?.count == 100_000, "\(n)")
        }
    }
}
