import Glibc
import SyCore
import SyTestSupport
import Testing

/// Include/exclude rules against real rsync: the same rules, the same tree, the same result.
@Suite(.serialized)
struct FilterOracleTests {
    static let ruleSets: [[String]] = [
        ["--exclude=*.o"],
        ["--exclude=*.o", "--exclude=*.tmp"],
        ["--exclude=/top.txt"],
        ["--exclude=top.txt"],
        ["--exclude=build/"],
        ["--exclude=build"],
        ["--exclude=/build/"],
        ["--exclude=src/*.c"],
        ["--exclude=src/**"],
        ["--exclude=**/deep/*.txt"],
        ["--exclude=*/"],
        ["--include=*/", "--include=*.c", "--exclude=*"],
        ["--include=*.h", "--exclude=*.?"],
        ["--exclude=[ab]*"],
        ["--exclude=[!a-m]*.txt"],
        ["--exclude=?.txt"],
        ["--include=src/", "--include=src/keep.c", "--exclude=src/*"],
        ["--exclude=src/", "--include=src/keep.c"],
        ["--filter=- *.o", "--filter=+ *.c"],
        ["--filter=exclude docs", "--filter=include *"],
        ["-f", "- *.log"],
        ["--exclude=deep"],
        ["--exclude=/src/sub/deep/"],
        ["--exclude=sub/deep"],
        ["--exclude=*.txt", "--include=top.txt"],
        ["--include=top.txt", "--exclude=*.txt"],
        ["--exclude=.hidden*"],
        ["--exclude=with space*"],
        ["--exclude=**.o"],
        ["--exclude=src/**/x.c"],
        // Rule kinds and modifiers.
        ["--filter=P *.o", "--exclude=*.tmp"],
        ["--filter=H *.o"],
        ["--filter=S *.c", "--filter=H *"],
        ["--filter=-s *.txt"],
        ["--filter=-r *.o", "--exclude=notes.tmp"],
        ["--filter=R extra.*", "--filter=- extra.*", "--exclude=*.o"],
        ["--filter=-! */"],
        ["--filter=+ src/***", "--filter=- *"],
        ["--exclude=src/sub/***"],
        ["--filter=-p *.o"],
        ["--exclude=*.o", "--filter=!", "--exclude=*.c"],
        ["--exclude=[[:digit:]]*", "--exclude=[[:upper:]]*"],
        ["--exclude=+ *.c"],
        ["--filter=-_*.h", "--filter=exclude,s docs"],
        ["--filter=protect old/", "--filter=hide build/"],
    ]

    func tree(_ root: String) {
        let files = ["top.txt", "a.txt", "b.txt", "z.txt", "x.o", "notes.tmp", ".hidden", ".hiddendir/f", "with space.txt",
                     "build/out.o", "build/log.log", "build/sub/a.c", "src/main.c", "src/main.h", "src/keep.c", "src/x.o",
                     "src/sub/x.c", "src/sub/deep/d.txt", "src/sub/deep/e.c", "docs/readme", "docs/deep/f.txt", "m.txt", "q.h"]
        for f in files {
            let p = root + "/" + f
            makeFile(p, Array(f.utf8))
        }
        touchTree(root, "2024-01-02 03:04:05")
    }

    /// Destination contents that --delete must keep or remove according to the rules.
    func extras(_ dst: String) {
        for f in ["extra.o", "extra.txt", "build/extra", "src/extra.c", "old/thing", "top.txt"] {
            let p = dst + "/" + f
            makeFile(p, [9])
        }
        touchTree(dst, "2023-05-06 07:08:09")
    }

    @Test(arguments: Array(0..<ruleSets.count))
    func rulesMatchRsync(index: Int) throws {
        let rules = Self.ruleSets[index]
        let t = TempDir("filter")
        tree(t.sub("src"))
        for (mode, extraFlags) in [("plain", ["-a"]), ("delete", ["-a", "--delete"]), ("delexcl", ["-a", "--delete-excluded"])] {
            let r = t.sub("r-" + mode), s = t.sub("s-" + mode)
            mkdir(r, 0o755); mkdir(s, 0o755)
            if mode != "plain" { extras(r); extras(s) }
            let rr = run(["rsync"] + extraFlags + rules + [t.sub("src") + "/", r])
            let ss = run(["sy"] + extraFlags + rules + [t.sub("src") + "/", s])
            #expect(rr.code == 0, "rsync \(rules): \(rr)")
            #expect(ss.code == 0, "sy \(rules): \(ss)")
            let d = TreeSnapshot(r).diff(TreeSnapshot(s), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(mode) \(rules): \(d.prefix(8))")
        }
    }

    @Test func excludeFromFileAndOrderAcrossOptions() throws {
        let t = TempDir("filter")
        tree(t.sub("src"))
        writeFile(t.sub("rules"), Array("# comment\n; also a comment\n\n*.o\nbuild/\n".utf8))
        let flags = ["-a", "--include=build/", "--exclude-from=" + t.sub("rules"), "--exclude=docs"]
        #expect(run(["rsync"] + flags + [t.sub("src") + "/", t.sub("r")]).code == 0)
        let s = run(["sy"] + flags + [t.sub("src") + "/", t.sub("s")])
        #expect(s.code == 0, "\(s)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true).isEmpty)
        #expect(exists(t.sub("s/build/sub/a.c")), "the include before the exclude-from wins for build/")
    }

    /// -vv names what each rule hides or shows on the sending side as rsync does ("[sender]
    /// hiding file x.o because of pattern *.o"): a rule read from a file only as such, a
    /// per-directory one with its file's name, -C's own list as "[global CVS]"; in a pull the
    /// rules read from a file here reach the sender as plain rules. With --delete the receiver
    /// notes what the rules protect or risk in the destination ("[generator] protecting file
    /// x.o ..."). Each side in its directories' own order (readdir's), as rsync reads them.
    @Test(arguments: [["--exclude=*.o"], ["--include=*/", "--include=*.c", "--exclude=*"], ["--exclude=build/", "--exclude=/q.h"],
                      ["-F"], ["-C"], ["--exclude-from=RULES"], ["--filter=merge RULES", "--include=src/***"],
                      ["--delete", "--exclude=*.o"], ["--delete", "--include=*/", "--include=*.c", "--exclude=*"],
                      ["--delete", "-F", "--debug=none", "--debug=FILTER"]], [false, true])
    func filterNotesAsRsync(rules: [String], pull: Bool) throws {
        // (Not copied: a pulling rsync's generator also notes "[generator] risking ..." for the
        // include rules it meets in the list it receives; sy's receiver notes them only deleting.)
        if pull && rules.contains(where: { $0.hasPrefix("--include") }) { return }
        let t = TempDir("filter")
        tree(t.sub("src"))
        if rules.contains("--delete") {
            // Extras in both destinations, some of them excluded, made in one order.
            for side in ["r", "s"] {
                for d in ["", "/src", "/docs"] { mkdir(t.sub(side + d), 0o755) }
                for name in ["zz.o", "a.c", "m.txt", "b.o", "q.c", "k.h", "c"] {
                    writeFile(t.sub(side + "/" + name), [1]); writeFile(t.sub(side + "/src/x" + name), [2])
                }
                touchTree(t.sub(side), "2023-05-06 07:08:09")
            }
        }
        writeFile(t.sub("src/src/.rsync-filter"), Array("- *.h\n+ sub/\n".utf8))
        writeFile(t.sub("RULES"), Array("- *.txt\n+ docs/\n".utf8))
        let given = rules.map { $0.replacingOccurrences(of: "RULES", with: t.sub("RULES")) }
        var server: SSHServer?
        var via: [String] = [], from = t.sub("src") + "/"
        if pull {
            server = SSHServer()
            let ssh = try #require(server, "sshd could not start")
            via = ["-e", ssh.rsh]; from = ssh.host + ":" + from
        }
        // Each side's notes in order (which side's come first is a race between rsync's processes).
        let notes = { (x: RunResult) in
            x.out.split(separator: "\n").filter { $0.hasPrefix("[sender] ") && $0.contains(" because of pattern ") }
                + x.out.split(separator: "\n").filter { $0.hasPrefix("[generator] ") && $0.contains(" because of pattern ") }
        }
        let r = run(["rsync", "-a", "-vv"] + via + given + [from, t.sub("r")])
        let s = run(["sy", "-a", "-vv"] + (pull ? ["--remote-sy", Tools.dir] : []) + via + given + [from, t.sub("s")])
        #expect(r.code == 0 && s.code == 0 && !notes(r).isEmpty && notes(r) == notes(s), "\(rules)\nrsync:\n\(notes(r).joined(separator: "\n"))\nsy:\n\(notes(s).joined(separator: "\n"))")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true).isEmpty)
        _ = server
    }

    @Test func badRulesExit1() {
        for rule in ["X foo", "-z foo", "+", ":"] {
            let r = run(["sy", "-a", "--filter=" + rule, "a/", "b"])
            #expect(r.code == 1 && r.err.contains("filter rule"), "\(rule): \(r)")
        }
        let m = run(["sy", "-a", "--filter=merge /nonexistent/rules", "a/", "b"])
        #expect(m.code == 11 && m.err.contains("/nonexistent/rules"), "\(m)")
    }

    /// Merge files, per-directory merge files (-F, -FF, dir-merge with modifiers), each with
    /// and without --delete, against rsync. Filter files sit in the source, the destination and
    /// the directory above both (where `-F`'s `/.rsync-filter` looks too).
    static let mergeCases: [[String]] = [
        ["-F"],
        ["-FF"],
        ["--filter=: .rules"],
        ["--filter=:e .rules"],
        ["--filter=:n- .excl"],
        ["--filter=dir-merge,+ .incl", "--exclude=*.o"],
        ["--filter=. MERGE"],
        ["--filter=merge,- MERGE"],
        ["--exclude=*.txt", "-F"],
        ["-F", "--exclude=*.txt"],
        ["-C"],
        ["--filter=:C"],
        ["-FF", "--delete-after"],
        ["-F", "--delete-after"],
        ["-F", "--delete-delay"],
        ["--filter=:e .rules", "--delete-after"],
        ["-F", "--delete-excluded"],
    ]

    func mergeTree(_ t: TempDir) {
        tree(t.sub("src"))
        let files: [(String, String)] = [
            ("src/.rsync-filter", "- *.tmp\n+ keep.c\n- /src/x.o\n"),
            ("src/src/.rsync-filter", "- main.*\n- /sub/deep/\n"),
            ("src/src/sub/.rsync-filter", "!\n- x.c\n"),
            ("src/.rules", "- *.log\n- /z.txt\n"),
            ("src/src/.rules", "+ main.h\n- main.*\n"),
            ("src/build/.excl", "out.o\n*.c\n"),
            ("src/docs/.incl", "readme\n"),
            ("src/.cvsignore", "a.txt b.txt\n"),
            ("src/src/.cvsignore", "keep.c\n"),
            (".rsync-filter", "- m.txt\n"),
            ("MERGE", "# global\n- q.h\n: .rules\n"),
            ("src/core", "core file"), ("src/lib.so", "so"),
        ]
        for (f, text) in files { writeFile(t.sub(f), Array(text.utf8)) }
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
    }

    /// `dir-merge /NAME` reads NAME in the directories above the transfer as its path names
    /// them, not through the symlinks on the way (rsync keeps its current directory lexically).
    @Test(arguments: ["lex/link/", "lex/link/.", "lex/../lex/link/"])
    func parentFilterFilesFollowTheSourcesPath(source: String) throws {
        let t = TempDir("merge")
        for (f, text) in [("phys/real/a", "1"), ("phys/real/b", "2"), ("lex/.rsync-filter", "- a\n"), ("phys/.rsync-filter", "- b\n")] {
            makeFile(t.sub(f), Array(text.utf8))
        }
        symlink("../phys/real", t.sub("lex/link"))
        let rr = run(["rsync", "-a", "--filter=: /.rsync-filter", source, "r/"], cwd: t.path)
        let ss = run(["sy", "-a", "--filter=: /.rsync-filter", source, "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(rr)\n\(ss)")
        #expect(!exists(t.sub("s/a")) && exists(t.sub("s/b")), "\(ss)")
        let d = TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(d)")
    }

    /// A directory in the way of a file, holding what the destination's own merge file
    /// protects: with --delete (during) and --delete-delay that file keeps it (exit 23); with
    /// --delete-before and --delete-after rsync reads no merge file while it transfers, so the
    /// directory goes. Listed, made and exited as rsync, in a dry run too.
    @Test(arguments: [["--delete"], ["--delete-delay"], ["--delete-before"], ["--delete-after"], ["-n", "--delete-after"], ["--force"]])
    func roomMadeAsRsyncReadsMergeFiles(flags: [String]) throws {
        let t = TempDir("merge")
        let build = """
            mkdir -p src 'base/x y/keep' base/d src/d
            echo f > 'src/x y'; echo g > src/d/z; printf 'P sub\\nP keep\\n' > base/.rules; printf 'P sub\\n' > base/d/.rules
            ln -s a 'base/x y/sub'; echo k > 'base/x y/keep/k'; echo extra > base/d/extra
            touch -d 2020-01-01 src 'src/x y' src/d; cp -a base r; cp -a base s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let rr = run(["rsync", "-ai", "--filter=:e .rules"] + flags + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy", "-ai", "--filter=:e .rules"] + flags + ["src/", "s/"], cwd: t.path)
        #expect(rr.code == ss.code, "\(flags): rsync \(rr)\nsy \(ss)")
        #expect(Set(rr.out.split(separator: "\n")) == Set(ss.out.split(separator: "\n")), "\(flags): rsync \(rr.out)\nsy \(ss.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(flags): \(d.prefix(8))")
    }

    /// Deletions that are all a run has to do (the root unchanged): --delete-delay's held ones
    /// see no merge file of the destination's top directory, as rsync's end-of-run deletion
    /// (sy-apply had not opened the destination and took them for a dry run's, with the top's
    /// rules); --delete-after's and --delete's see it.
    @Test(arguments: [["--delete-delay"], ["--delete-after"], ["--delete"], ["-n", "--delete-delay"]])
    func heldDeletionsAloneSeeRsyncsRules(flags: [String]) throws {
        let t = TempDir("merge")
        let build = """
            mkdir -p src base/.x; printf -- '- keep*\\n' > src/.rules; echo n > src/new; cp -a src/. base/
            echo a > base/.x/keepme; echo b > base/.x/other; touch -d 2020-01-01 src base base/.x; cp -a base r; cp -a base s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let rr = run(["rsync", "-ai", "--filter=: .rules"] + flags + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy", "-ai", "--filter=: .rules"] + flags + ["src/", "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(flags): rsync \(rr)\nsy \(ss)")
        #expect(Set(rr.out.split(separator: "\n")) == Set(ss.out.split(separator: "\n")), "\(flags): rsync \(rr.out)\nsy \(ss.out)")
        let d = TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(flags): \(d.prefix(8))")
    }

    @Test(arguments: Array(0..<mergeCases.count))
    func mergeRulesMatchRsync(index: Int) throws {
        let rules = Self.mergeCases[index]
        let t = TempDir("merge")
        mergeTree(t)
        for (mode, flags) in [("plain", ["-a"]), ("delete", ["-a", "--delete"])] {
            let r = t.sub("r-" + mode), s = t.sub("s-" + mode)
            mkdir(r, 0o755); mkdir(s, 0o755)
            if mode != "plain" {
                extras(r); extras(s)
                for d in [r, s] {
                    writeFile(d + "/.rsync-filter", Array("- extra.*\n".utf8))
                    _ = system(script: "touch -d '2023-05-06 07:08:09' \(shellQuote(d + "/.rsync-filter"))")
                }
            }
            // Relative paths from the directory that holds the top-level filter files.
            let rr = run(["rsync"] + flags + rules + ["src/", "r-" + mode], cwd: t.path)
            let ss = run(["sy"] + flags + rules + ["src/", "s-" + mode], cwd: t.path)
            #expect(rr.code == 0, "rsync \(rules): \(rr)")
            #expect(ss.code == 0, "sy \(rules): \(ss)")
            let d = TreeSnapshot(r).diff(TreeSnapshot(s), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(mode) \(rules): \(d.prefix(8))")
        }
    }
}
