import Glibc
import SyCore
import SyTestSupport
import Testing

/// -R/--relative, --no-implied-dirs and --files-from against real rsync.
@Suite(.serialized)
struct RelativeTests {
    static let cases: [[String]] = [
        ["-aR", "src/a/b/f"],
        ["-aR", "src/./a/"],
        ["-aR", "--no-implied-dirs", "src/a/b/f"],
        ["-aR", "src/a/b/f", "other"],
        ["-aR", "src/a", "src/a/b/f"],
        ["-aR", "--delete", "src/a/b/f"],
        ["-aR", "--delete", "src/a"],
        ["-aR", "--exclude=g", "src/a", "other/"],
        ["-aR", "src/a/l"],
        ["-rtR", "src/a/b/"],
        ["-a", "--files-from=list", "src"],
        ["-ar", "--files-from=list", "src/"],
        ["-a", "--from0", "--files-from=list0", "src"],
        ["-a", "--delete", "--files-from=list", "src"],
        ["-ar", "--delete", "--files-from=list", "src"],
        ["-a", "--no-implied-dirs", "--files-from=list", "src"],
        // Links named or met below a named directory, followed as the mode says.
        ["-aRL", "src/a/l"],
        ["-aRL", "src/a"],
        ["-aRL", "--delete", "src/dl"],
        ["-aRk", "src/dl", "src/a/l"],
        ["-aR", "--copy-unsafe-links", "src/ul", "src/dl"],
    ]

    func tree(_ t: TempDir) {
        for (f, text) in [("src/a/b/f", "1"), ("src/a/g", "2"), ("src/a/b/c/deep", "3"), ("src/top", "4"),
                          ("other/h", "5"), ("other/sub/i", "6")] {
            makeFile(t.sub(f), Array(text.utf8))
        }
        symlink("b/f", t.sub("src/a/l"))
        symlink("a", t.sub("src/dl"))
        symlink(t.sub("other"), t.sub("src/ul"))
        chmod(t.sub("src/a"), 0o700)
        // (`a/./b/c` is sent as `b/c`: the part before "/./" only says where it is.)
        writeFile(t.sub("list"), Array("a/b/f\n\n# a comment\n/top\na/b/c\na/./b/c\n".utf8))
        writeFile(t.sub("list0"), Array("a/g\0a/b/c\0".utf8))
        for d in ["src", "other"] { touchTree(t.sub(d), "2024-01-02 03:04:05") }
    }

    func extras(_ dst: String) {
        for f in ["src/x", "src/a/y", "src/a/b/z", "src/a/b/c/w", "a/b/v", "a/u"] {
            makeFile(dst + "/" + f, [7])
        }
        touchTree(dst, "2023-05-06 07:08:09")
    }

    @Test(arguments: Array(0..<cases.count))
    func relativeMatchesRsync(index: Int) throws {
        let args = Self.cases[index]
        let t = TempDir("relative")
        tree(t)
        for d in ["r", "s"] { mkdir(t.sub(d), 0o755); extras(t.sub(d)) }
        let rr = run(["rsync"] + args + ["r/"], cwd: t.path)
        let ss = run(["sy"] + args + ["s/"], cwd: t.path)
        #expect(rr.code == 0, "rsync \(args): \(rr)")
        #expect(ss.code == rr.code, "sy \(args): \(ss)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(args): \(d.prefix(8))")
        // A second run changes nothing (with -t).
        guard args.contains(where: { $0.hasPrefix("-a") || $0.contains("t") }) else { return }
        let again = run(["sy", "-i"] + args + ["s/"], cwd: t.path)
        #expect(again.code == 0 && again.out.isEmpty, "\(args) second run: \(again)")
    }

    /// -R --no-implied-dirs: a named entry skipped before it is placed (a symlink without -l,
    /// a file outside --max-size or --min-size, an unsafe link with --safe-links) still gets
    /// its missing parent directories, as rsync's generator makes them first; --existing and a
    /// dry run make none. The same tree (modes included), output and exit code as rsync's.
    @Test(arguments: [["-rR", "--no-implied-dirs", "src/a/l"], ["-aR", "--no-implied-dirs", "--max-size=0", "src/a/b/f"],
                      ["-aR", "--no-implied-dirs", "--min-size=10k", "src/a/b/f", "src/top"],
                      ["-aR", "--no-implied-dirs", "--safe-links", "src/ul", "src/a/b/c/deep"],
                      ["-aR", "--no-implied-dirs", "--existing", "src/a/b/f"], ["-naR", "--no-implied-dirs", "--max-size=0", "src/a/b/f"],
                      ["-aiR", "--no-implied-dirs", "--max-size=0", "src/./a/b/f", "src/top"]])
    func skippedEntriesGetTheirParents(_ args: [String]) {
        let t = TempDir("relative")
        tree(t)
        let rr = run(["rsync"] + args + ["r/"], cwd: t.path)
        let ss = run(["sy"] + args + ["s/"], cwd: t.path)
        #expect(ss.code == rr.code, "sy \(args): \(ss)")
        #expect(exists(t.sub("r")) == exists(t.sub("s")), "\(args)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(args): \(d.prefix(8))")
        #expect(ss.out.replacingOccurrences(of: "created directory s", with: "created directory r") == rr.out,
                "\(args): rsync:\n\(rr.out)sy:\n\(ss.out)")
    }

    /// -H with --no-implied-dirs: hard-linked files named into directories the destination
    /// lacks are made there (sy failed "cannot open directory" for a linked file's missing
    /// parent), as rsync makes them, listed alike; a dry run makes nothing.
    @Test(arguments: [[], ["-n"]])
    func linkedFilesIntoMissingImpliedDirs(_ extra: [String]) throws {
        let t = TempDir("relative")
        makeFile(t.sub("src/a/x"), Array("linked".utf8))
        makeFile(t.sub("src/c/lone"), Array("one".utf8))
        mkdir(t.sub("src/b"), 0o755)
        link(t.sub("src/a/x"), t.sub("src/b/y"))
        link(t.sub("src/a/x"), t.sub("src/c/lone2"))
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        for names in [["src/b/y", "src/a/x"], ["src/c/lone2"], ["src/c/lone2", "src/c/lone"]] {
            for d in ["r", "s"] { _ = system(script: "rm -rf \(shellQuote(t.sub(d))) && mkdir \(shellQuote(t.sub(d)))") }
            let args = ["-aHi", "-R", "--no-implied-dirs"] + extra + names
            let rr = run(["rsync"] + args + ["r/"], cwd: t.path)
            let ss = run(["sy"] + args + ["s/"], cwd: t.path)
            #expect(rr.code == 0 && ss.code == 0, "\(names): \(ss)")
            #expect(rr.out == ss.out, "\(names): \(rr.out) | \(ss.out)")
            let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(names): \(d.prefix(8))")
        }
    }

    /// Names that mean a directory's contents (`dir/`, `dir/.`, `.`) are listed one level
    /// without -r; a leading `./` sends `.` too; `..` in a listed name stays below the source.
    static let contentCases: [(list: String, args: [String])] = [
        ("a/\n", ["-i", "-lptgoD", "--files-from=LIST", "src/"]),
        ("a/.\ntop\n", ["-ai", "--files-from=LIST", "src/"]),
        (".\n", ["-ai", "--files-from=LIST", "src/"]),
        ("./a/g\n", ["-ai", "--files-from=LIST", "src/"]),
        ("a/b/../g\n../top\n", ["-ai", "--files-from=LIST", "src/"]),
        ("a/\na/b/\n", ["-ai", "--delete", "--files-from=LIST", "src/"]),
        // "/./" in a listed name: what comes after it is the name sent.
        ("a/./b/f\ntop\n./a/./b/c/\n", ["-ai", "--files-from=LIST", "src/"]),
        ("a/./b\n/./top\n", ["-ai", "-r", "--delete", "--files-from=LIST", "src/"]),
        ("a/./b/c/deep\na/g\n", ["-ai", "--no-implied-dirs", "--files-from=LIST", "src/"]),
        ("", ["-i", "-lptgoD", "-d", "-R", "src/a/"]),
        ("", ["-i", "-lptgoD", "-d", "-R", "src/./a/."]),
        ("", ["-i", "-lptgoD", "-d", "-R", "--delete", "src/./a/b/"]),
        // A symlink named for its contents, or on the way to a named item, leads to its directory.
        ("dl/\n", ["-ai", "--files-from=LIST", "src/"]),
        ("dl\ndl/g\n", ["-ai", "--files-from=LIST", "src/"]),
        ("", ["-ai", "-R", "src/./dl/"]),
        ("", ["-ai", "-R", "src/./dl/b/f"]),
        ("", ["-ai", "-R", "--no-implied-dirs", "src/./dl/b/f"]),
        // --no-R: each listed name is a source of its own, sent under its last component.
        ("a/b\ndl/\n", ["-ai", "--no-R", "--files-from=LIST", "src/"]),
        ("./top\na/b/f\n.\n", ["-ai", "--no-relative", "--files-from=LIST", "src"]),
        ("a/\n", ["-ai", "--delete", "--no-R", "--files-from=LIST", "src/"]),
    ]

    @Test(arguments: Array(0..<contentCases.count))
    func contentNamesMatchRsync(index: Int) throws {
        let (list, given) = Self.contentCases[index]
        let t = TempDir("relative-contents")
        tree(t)
        writeFile(t.sub("LIST"), Array(list.utf8))
        for d in ["r", "s"] {
            mkdir(t.sub(d), 0o755)
            for f in ["a/old", "a/b/old", "b/old"] { makeFile(t.sub(d) + "/" + f, [7]) }
            touchTree(t.sub(d), "2023-05-06 07:08:09")
        }
        let rr = run(["rsync"] + given + ["r/"], cwd: t.path)
        let ss = run(["sy"] + given + ["s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(given): \(rr) \(ss)")
        #expect(ss.out.split(separator: "\n").sorted() == rr.out.split(separator: "\n").sorted(), "\(list) \(given): \(rr.out) vs \(ss.out)")
        // (The root's time is compared through the itemized lines: rsync sets it where it sends `.`.)
        // (--no-implied-dirs: the directories above are made as needed, at the time they are.)
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false),
                                                                ignoringDirTimes: given.contains("--no-implied-dirs"))
        #expect(d.isEmpty, "\(list) \(given): \(d.prefix(8))")
    }

    /// rsync stops (exit 3) when the --files-from directory cannot be entered.
    /// A named item below a directory the run sends whole is still looked up: a missing one
    /// is an error (exit 23), as rsync's; a directory listed one level tells the receiver
    /// which of its names are directories (a symlink there replaced by one is no deletion).
    @Test func namedItemsInsideWhatIsSentWhole() throws {
        let t = TempDir("relative-covered")
        tree(t)
        writeFile(t.sub("LIST"), Array(".\nnope\na/g\n".utf8))
        for d in ["r", "s"] { mkdir(t.sub(d), 0o755); symlink("b", t.sub(d + "/a")) }
        for (flags, code) in [(["-ai", "-r"], Int32(23)), (["-ai", "--delete"], Int32(23))] {
            let rr = run(["rsync"] + flags + ["--files-from=LIST", "src/", "r/"], cwd: t.path)
            let ss = run(["sy"] + flags + ["--files-from=LIST", "src/", "s/"], cwd: t.path)
            #expect(rr.code == code && ss.code == code, "\(flags): \(rr) \(ss)")
            #expect(ss.out.split(separator: "\n").sorted() == rr.out.split(separator: "\n").sorted(), "\(flags): \(rr.out) vs \(ss.out)")
            #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false)).isEmpty)
        }
    }

    /// A listed `a/./b/f` is opened, and with --remove-source-files removed, where it is
    /// (`src/a/b/f`), not as the name it is sent under (`src/b/f`, here another file).
    @Test func filesFromDotSlashNamesTheRightFile() throws {
        let t = TempDir("relative-dotslash")
        tree(t)
        makeFile(t.sub("src/b/f"), Array("decoy".utf8))
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        writeFile(t.sub("LIST"), Array("a/./b/f\na/./g\n".utf8))
        #expect(run(["cp", "-a", "src", "src-r"], cwd: t.path).code == 0)
        #expect(run(["cp", "-a", "src", "src-s"], cwd: t.path).code == 0)
        let rr = run(["rsync", "-a", "--remove-source-files", "--files-from=LIST", "src-r/", "r/"], cwd: t.path)
        let ss = run(["sy", "-a", "--remove-source-files", "--files-from=LIST", "src-s/", "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(rr) \(ss)")
        #expect(readFile(t.sub("s/b/f")) == Array("1".utf8) && readFile(t.sub("s/g")) == Array("2".utf8))
        #expect(!exists(t.sub("src-s/a/b/f")) && exists(t.sub("src-s/b/f")))
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false)).isEmpty)
        // (The sources' directories changed when their files went: at different times.)
        #expect(TreeSnapshot(t.sub("src-r"), rootTimes: false).diff(TreeSnapshot(t.sub("src-s"), rootTimes: false), ignoringDirTimes: true).isEmpty)
    }

    @Test func filesFromSourceNotADirectory() throws {
        let t = TempDir("relative-bad")
        tree(t)
        let ss = run(["sy", "-a", "--files-from=list", "src/top", "s/"], cwd: t.path)
        #expect(ss.code == 3, "\(ss)")
        #expect(ss.err.split(separator: "\n").filter { $0.contains("change_dir") }.count == 1, "\(ss.err)")
        // rsync's sender dies there: its receiver makes no destination.
        let rr = run(["rsync", "-a", "--files-from=list", "src/top", "r/"], cwd: t.path)
        #expect(rr.code == 3 && !exists(t.sub("r")) && !exists(t.sub("s")), "\(rr)")
    }

    @Test func absoluteSourcesAndStdinList() throws {
        let t = TempDir("relative")
        tree(t)
        // An absolute path is sent whole; '/./' cuts it.
        let abs = run(["sy", "-aR", t.sub("src") + "/./a/g", t.sub("d1")])
        #expect(abs.code == 0 && readFile(t.sub("d1/a/g")) == Array("2".utf8), "\(abs)")
        let abs2 = run(["sy", "-aR", t.sub("other/h"), t.sub("d2")])
        #expect(abs2.code == 0 && readFile(t.sub("d2") + t.sub("other/h")) == Array("5".utf8), "\(abs2)")
        // The list on stdin.
        let std = run(["sy", "-a", "--files-from=-", t.sub("src"), t.sub("d3")], stdin: Array("a/g\ntop\n".utf8))
        #expect(std.code == 0, "\(std)")
        #expect(exists(t.sub("d3/a/g")) && exists(t.sub("d3/top")) && !exists(t.sub("d3/a/b")), "\(std)")
    }

    /// -R with absolute sources: rsync's sender lists what they send as `/path/...` (itemized,
    /// -v and %n names; not %f, deletions or hard-link targets), matches the `/` modifier from
    /// the root, and a pull lists the names without the slash.
    @Test(arguments: [["-aiR"], ["-avR"], ["-aR", "--out-format=%n|%f|%i"], ["-aiR", "--filter=-/ ABS/src/a/g"],
                      ["-aiHR", "--delete"], ["-aivR", "--delete", "--filter=-/ ABS/other/h"], ["-aiR", "MIXED"], ["-ilptR"]])
    func absoluteSourcesListedAsRsync(flags: [String]) throws {
        let t = TempDir("relative")
        tree(t)
        let inside = shellQuote(String(t.path.dropFirst()))
        _ = system(script: "cd \(shellQuote(t.path)) && ln src/top src/a/top2 && mkdir -p r/\(inside)/src/a/gone s/\(inside)/src/a/gone")
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        touchTree(t.path, "2024-01-02 03:04:05")
        sleep(1)
        // MIXED: one source cut by '/./', listed without the slash. Without -r the named
        // directories are skipped, said under their absolute names.
        let other = flags.contains("MIXED") ? t.path + "/./other" : t.sub("other")
        let args = flags.filter { $0 != "MIXED" }.map { $0.replacingOccurrences(of: "ABS", with: t.path) } + [t.sub("src/a"), other, t.sub("src/top")]
        let r = run(["rsync"] + args + ["r/"], cwd: t.path)
        let s = run(["sy"] + args + ["s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        // (/tmp itself, an implied directory here, changes as other tests run; rsync's
        // deletions interleave with its other lines as its processes' timing has it.)
        let lines = { (x: RunResult) in
            x.out.split(separator: "\n").map(String.init).filter { l in
                !l.hasPrefix("sent ") && !l.hasPrefix("total size") && !l.hasSuffix(" /tmp/") && !l.hasPrefix("/tmp/|")
            }
        }
        let deletion = { (l: String) in l.hasPrefix("*deleting") || l.hasPrefix("deleting ") }
        // (Mixed, rsync sorts its list by the names with the slash, '/tmp' before 'other'; sy's
        // stream keeps the order of the names as the destination has them.)
        let ordered = { (l: [String]) in flags.contains("MIXED") ? l.sorted() : l }
        #expect(ordered(lines(s).filter { !deletion($0) }) == ordered(lines(r).filter { !deletion($0) }), "\(flags)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(Set(lines(s).filter(deletion)) == Set(lines(r).filter(deletion)), "\(flags)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(s.out.contains(t.path + "/"), "\(s.out)")
        if flags.contains("MIXED") { #expect(s.out.contains(" other/h") && !s.out.contains("/other/h"), "\(s.out)") }
        if flags.contains("-ilptR") { #expect(s.out.contains("skipping directory " + t.path + "/src/a"), "\(s.out)") }
        let differences = TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).filter { !$0.hasPrefix("tmp:") && !$0.hasPrefix(".:") }
        #expect(differences.isEmpty, "\(differences)")
    }

    /// -R without -r or -d: a source named `./x` sends `.` first, which is skipped ("skipping
    /// directory ."), said in its place among the arguments, line for line as rsync says it.
    @Test(arguments: [["./src/a"], ["./src/top", "./other"], ["./other", "./src/top"], ["./src/a/", "./src/top"]])
    func dotPrefixWithoutRecursion(sources: [String]) throws {
        let t = TempDir("relative")
        tree(t)
        let rr = run(["rsync", "-i", "-lptgoD", "-R"] + sources + ["r/"], cwd: t.path)
        let ss = run(["sy", "-i", "-lptgoD", "-R"] + sources + ["s/"], cwd: t.path)
        let lines = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("created directory") } }
        #expect(rr.code == ss.code && lines(ss) == lines(rr), "rsync:\n\(rr.out)\nsy:\n\(ss.out)")
        #expect(ss.out.contains("skipping directory .\n"), "\(ss.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false))
        #expect(d.isEmpty, "\(d)")
    }

    @Test func badRelativeInput() {
        let t = TempDir("relative")
        tree(t)
        let dots = run(["sy", "-aR", "../x", t.sub("d")], cwd: t.sub("src"))
        #expect(dots.code == 1 && dots.err.contains(".."), "\(dots)")
        // (A list that cannot be read is a usage error for rsync 3.5: exit 1.)
        let missing = run(["sy", "-a", "--files-from=" + t.sub("nope"), t.sub("src"), t.sub("d")])
        let rMissing = run(["rsync", "-a", "--files-from=" + t.sub("nope"), t.sub("src"), t.sub("d")])
        #expect(missing.code == rMissing.code && missing.err.contains("nope") && !exists(t.sub("d")), "\(missing) \(rMissing)")
        writeFile(t.sub("list2"), Array("a/g\nnot-there\n".utf8))
        let gone = run(["sy", "-a", "--files-from=" + t.sub("list2"), t.sub("src"), t.sub("d")])
        #expect(gone.code == 23 && gone.err.contains("not-there") && exists(t.sub("d/a/g")), "\(gone)")
    }

    @Test func filesFromOverSSH() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("relative")
        tree(t)
        let pull = run(["sy", "-e", server.rsh, "--remote-sy", Tools.dir, "-a", "--files-from=" + t.sub("list"),
                        "\(server.host):" + t.sub("src"), t.sub("pull")])
        #expect(pull.code == 0, "\(pull)")
        let push = run(["sy", "-e", server.rsh, "--remote-sy", Tools.dir, "-aR", "--delete", "src/a/b", "other",
                        "\(server.host):" + t.sub("push")], cwd: t.path)
        #expect(push.code == 0, "\(push)")
        #expect(run(["rsync", "-a", "--files-from=" + t.sub("list"), t.sub("src"), t.sub("rpull")]).code == 0)
        #expect(run(["rsync", "-aR", "--delete", "src/a/b", "other", t.sub("rpush")], cwd: t.path).code == 0)
        #expect(TreeSnapshot(t.sub("rpull"), rootTimes: false).diff(TreeSnapshot(t.sub("pull"), rootTimes: false)).isEmpty)
        #expect(TreeSnapshot(t.sub("rpush"), rootTimes: false).diff(TreeSnapshot(t.sub("push"), rootTimes: false)).isEmpty)
    }
}
