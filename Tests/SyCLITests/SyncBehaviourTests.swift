import Glibc
import SyCore
import SyTestSupport
import Testing

/// sy's command line: dry run, itemize, stats, exit codes, failures, trailing slashes.
@Suite(.serialized)
struct SyncBehaviourTests {
    func sample(_ root: String, seed: UInt64 = 1) {
        mkdir(root, 0o755)
        var gen = TreeGen(seed: seed)
        gen.maxFiles = 40
        gen.populate(root)
    }

    @Test func dryRunChangesNothingAndItemizesTheRealRun() throws {
        let t = TempDir()
        sample(t.sub("src"))
        sample(t.sub("dst"), seed: 2)
        var gen = TreeGen(seed: 3)
        _ = run(["sy", "-a", t.sub("src") + "/", t.sub("dst")])
        gen.mutate(t.sub("src"))
        let before = TreeSnapshot(t.sub("dst"))
        let dry = run(["sy", "-aHi", "--delete", "-n", t.sub("src") + "/", t.sub("dst")])
        #expect(dry.code == 0, "\(dry)")
        #expect(before.diff(TreeSnapshot(t.sub("dst"))).isEmpty, "dry run changed the tree")
        let real = run(["sy", "-aHi", "--delete", t.sub("src") + "/", t.sub("dst")])
        #expect(real.code == 0, "\(real)")
        #expect(!real.out.isEmpty)
        #expect(dry.out == real.out, "dry run:\n\(dry.out)\nreal run:\n\(real.out)")
        let again = run(["sy", "-aHi", "--delete", t.sub("src") + "/", t.sub("dst")])
        #expect(again.out.isEmpty, "second run should have nothing to do: \(again.out)")
    }

    @Test func itemizeMatchesRsyncForSimpleChanges() throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/d"), 0o755)
        writeFile(t.sub("src/a"), Array("hello".utf8)); writeFile(t.sub("src/d/b"), Array("bye".utf8))
        try Sys.symlinkat(Array("a".utf8), Sys.atFDCWD, t.sub("src/l").pathBytes)
        setMtime(t.sub("src/d").pathBytes, 1_500_000_000, 0); setMtime(t.sub("src").pathBytes, 1_500_000_000, 0)
        sleep(1)
        let r1 = run(["rsync", "-ai", t.sub("src") + "/", t.sub("r")])
        let s1 = run(["sy", "-ai", t.sub("src") + "/", t.sub("s")])
        func lines(_ r: RunResult, _ dst: String) -> Set<String> {
            Set(r.out.replacingOccurrences(of: t.sub(dst), with: "DST").split(separator: "\n").map(String.init))
        }
        #expect(lines(r1, "r") == lines(s1, "s"), "rsync:\n\(r1.out)sy:\n\(s1.out)")
        // A content change, a mode change, a deletion.
        writeFile(t.sub("src/a"), Array("HELLO, world".utf8))
        chmod(t.sub("src/d/b"), 0o600)
        writeFile(t.sub("r/extra"), [1]); writeFile(t.sub("s/extra"), [1])
        setMtime(t.sub("src").pathBytes, 1_500_000_000, 0)
        sleep(1)
        let r2 = run(["rsync", "-ai", "--delete", t.sub("src") + "/", t.sub("r")])
        let s2 = run(["sy", "-ai", "--delete", t.sub("src") + "/", t.sub("s")])
        #expect(lines(r2, "r") == lines(s2, "s"), "rsync:\n\(r2.out)sy:\n\(s2.out)")
    }

    /// The figures of rsync's --stats that describe the work, by name.
    func statsFigures(_ out: String) -> [String: String] {
        var d: [String: String] = [:]
        for line in out.split(separator: "\n") {
            for key in ["Number of files", "Number of created files", "Number of deleted files", "Number of regular files transferred",
                        "Total file size", "Total transferred file size", "Literal data", "Matched data"] where line.hasPrefix(key + ":") {
                d[key] = String(line.dropFirst(key.count + 1)).trimmingSpaces()
            }
        }
        return d
    }

    @Test func statsAgreeWithRsync() throws {
        let t = TempDir()
        sample(t.sub("src"))
        mkdir(t.sub("r"), 0o755); mkdir(t.sub("s"), 0o755)
        writeFile(t.sub("r/gone"), [1, 2]); writeFile(t.sub("s/gone"), [1, 2])
        sleep(1)
        let r = run(["rsync", "-aH", "--delete", "--stats", t.sub("src") + "/", t.sub("r")])
        let s = run(["sy", "-aH", "--delete", "--stats", t.sub("src") + "/", t.sub("s")])
        #expect(r.code == 0 && s.code == 0, "\(s)")
        let rf = statsFigures(r.out), sf = statsFigures(s.out)
        #expect(rf.count == 8)
        for (k, v) in rf where k != "Number of created files" {
            #expect(sf[k] == v, "\(k): rsync \(v), sy \(sf[k] ?? "missing")")
        }
        #expect(s.out.contains("sent ") && s.out.contains("total size is "))
        // Nothing to do the second time.
        let again = run(["sy", "-aH", "--delete", "--stats", t.sub("src") + "/", t.sub("s")])
        #expect(statsFigures(again.out)["Number of regular files transferred"] == "0")
    }

    /// Several sources with names in common: rsync's list holds every source's entries (a
    /// later file of a name left out, a directory merged, each `dir/`'s `.`), and its counts and
    /// total size include them all; the tree holds the first source's.
    @Test(arguments: [[], ["--exclude=x"], ["-L"], ["-r"]])
    func mergedSourcesCountAsRsyncs(flags: [String]) throws {
        let t = TempDir()
        for d in ["src", "src/d", "srcb", "srcb/d", "srcb/n", "src3"] { mkdir(t.sub(d), 0o755) }
        writeFile(t.sub("src/d/x"), [1, 2]); writeFile(t.sub("srcb/d/x"), [1, 2, 3]); writeFile(t.sub("srcb/d/y"), [4, 4, 4, 4])
        writeFile(t.sub("src/n"), [5, 5, 5, 5, 5]); writeFile(t.sub("srcb/n/z"), [6, 6, 6, 6, 6, 6])
        symlink("abc", t.sub("src/l")); symlink("abcdef", t.sub("srcb/l")); writeFile(t.sub("src3/l"), [7, 7])
        let sources = ["src/", "srcb/", "src3/"].map { t.sub($0) }
        for d in sources { touchTree(d, "2024-01-02 03:04:05") }
        let r = run(["rsync", "-a", "--stats"] + flags + sources + [t.sub("r")])
        let s = run(["sy", "-a", "--stats"] + flags + sources + [t.sub("s")])
        #expect(r.code == s.code, "rsync \(r)\nsy \(s)")
        let rf = statsFigures(r.out), sf = statsFigures(s.out)
        for k in ["Number of files", "Number of created files", "Total file size"] {
            #expect(sf[k] == rf[k], "\(k): rsync \(rf[k] ?? "missing"), sy \(sf[k] ?? "missing")")
        }
        let total = { (o: String) in o.split(separator: "\n").first { $0.hasPrefix("total size is ") }?.split(separator: " ")[3] }
        #expect(total(s.out) != nil && total(s.out) == total(r.out), "\(s.out)")
        #expect(TreeSnapshot(t.sub("s")).diff(TreeSnapshot(t.sub("r"))).isEmpty)
    }

    /// A directory of one source that the filters leave out does not win over a later source's
    /// file of the name: rsync's list never had it, so the file is sent (read from the source
    /// that has it), making room for itself where the destination has a directory, as rsync.
    /// (The same lines in any order: rsync makes that room before it lists `./`.)
    @Test(arguments: [["--exclude=d*/"], ["--exclude=d*/", "--delete"], ["--exclude=d*/", "--force"], ["--filter=P d23", "--delete"]])
    func excludedDirectoryDoesNotHideAFileOfItsName(flags: [String]) throws {
        let t = TempDir()
        let build = "mkdir -p src/d23 srcb dst/d23/x && echo f > srcb/d23 && echo 1 > src/a && touch -d 2020-01-01 src/d23 srcb/d23 src/a && find dst -exec touch -d 2020-01-01 {} +"
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let r = run(["rsync", "-ai"] + flags + ["src/", "srcb/", "dst/"], cwd: t.sub("r"))
        let s = run(["sy", "-ai"] + flags + ["src/", "srcb/", "dst/"], cwd: t.sub("s"))
        #expect(r.code == s.code, "\(flags): rsync \(r)\nsy \(s)")
        let lines = { (x: RunResult) in x.out.split(separator: "\n").sorted() }
        #expect(lines(r) == lines(s), "\(flags): rsync\n\(r.out)\nsy\n\(s.out)")
        #expect(TreeSnapshot(t.sub("r/dst"), rootTimes: false).diff(TreeSnapshot(t.sub("s/dst"), rootTimes: false), ignoringDirTimes: true).isEmpty)
        if flags == ["--exclude=d*/", "--delete"] { #expect(readFile(t.sub("s/dst/d23")) == Array("f\n".utf8)) }
    }

    /// Deletions in directories where nothing else changes: the directories keep the source's
    /// time, as rsync's (it deletes in a directory before it lists it, and touches directories
    /// up after a deletion pass held for the end). sy left them at the time of the deletion.
    @Test(arguments: [["--delete"], ["--delete-before"], ["--delete", "-m"], ["--delete-after"], ["--delete-delay"],
                      ["--delete-after", "-m"], ["--delete-after", "--max-delete=2"]])
    func deletionsKeepDirectoryTimes(flags: [String]) throws {
        let t = TempDir()
        let build = "mkdir -p src/d dst/d/e/f && echo a > src/a && cp -p src/a dst/a && touch dst/extra dst/d/x dst/d/e/f/g && find src dst -exec touch -h -d 2020-01-01 {} +"
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let r = run(["rsync", "-ai"] + flags + ["src/", "dst/"], cwd: t.sub("r"))
        let s = run(["sy", "-ai"] + flags + ["src/", "dst/"], cwd: t.sub("s"))
        #expect(r.code == s.code, "\(flags): rsync \(r)\nsy \(s)")
        let lines = { (x: RunResult) in x.out.split(separator: "\n").sorted() }
        #expect(lines(r) == lines(s), "\(flags): rsync\n\(r.out)\nsy\n\(s.out)")
        // (--max-delete leaves d/e/f, emptied, at the time of the deletion: both.)
        let limited = flags.contains("--max-delete=2")
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst")), ignoringDirTimes: limited).isEmpty)
        #expect(lstat(t.sub("s/dst"))?.mtimeSec == 1577836800)
        // (-m: the source's d is empty, so the destination's goes.)
        #expect(lstat(t.sub("s/dst/d"))?.mtimeSec == (flags.contains("-m") ? nil : 1577836800))
    }

    /// -H with --append and a reference dir: a hard-link member whose destination copy the
    /// reference stands for (identical there) goes, as rsync's try_dests_reg decides that
    /// first, even where --append leaves the group's first member alone. sy kept it.
    @Test(arguments: ["--compare-dest=../ref", "--link-dest=../ref"], [["--append"], ["--append-verify"]])
    func appendedGroupMemberTheReferenceStandsFor(reference: String, mode: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src/d dst/d ref/d && : > src/c && ln src/c src/d/n && : > dst/c && : > dst/d/n && : > ref/d/n
            touch -d 2023-11-14 src/c ref/d/n dst/d/n && touch -d 2017-07-14 dst/c && find src dst ref -type d -exec touch -d 2020-01-01 {} +
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let args = ["-aHi", reference] + mode + ["src/", "dst/"]
        let r = run(["rsync"] + args, cwd: t.sub("r"))
        let s = run(["sy"] + args, cwd: t.sub("s"))
        #expect(r.code == 0 && s.code == 0 && r.out == s.out, "\(args): rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst"))).isEmpty)
        if reference.hasPrefix("--compare") { #expect(!exists(t.sub("s/dst/d/n"))) }
    }

    /// --append with a reference dir whose file is as long as the source's: rsync's generator
    /// clears whatever is in the way (a symlink, an empty directory) and makes nothing, in the
    /// second pass too (sy's made the file there); that pass, which rsync spends on the files
    /// that failed verification only, says nothing again ("is uptodate", "skipping non-regular").
    @Test(arguments: ["--link-dest=../ref", "--compare-dest=../ref"], [["--append-verify"], ["--append"]])
    func appendReferenceInTheWayAndSecondPassAsRsync(reference: String, mode: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src ref dst/emptyd && for f in new obst emptyd; do echo 0123456789 > src/$f; echo abcdefghij > ref/$f; done
            ln -s nowhere dst/obst && echo same > src/same && cp -p src/same dst/same && mkfifo src/ff
            echo 'changed and longer' > src/grow && echo XYZ > dst/grow
            find src ref dst -exec touch -h -d 2020-01-01 {} + && touch -d 2021-01-01 src/new src/obst src/emptyd src/grow
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let args = ["-rlpt", "-vv", reference] + mode + ["src/", "dst/"]
        let r = run(["rsync"] + args, cwd: t.sub("r"))
        let s = run(["sy"] + args, cwd: t.sub("s"))
        #expect(r.code == s.code, "\(args): rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst")), ignoringDirTimes: true).isEmpty,
                "\(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst")), ignoringDirTimes: true))")
        #expect(!exists(t.sub("s/dst/new")) && !exists(t.sub("s/dst/obst")) && !exists(t.sub("s/dst/emptyd")))
        for line in ["skipping non-regular file \"ff\"", "same is uptodate"] {
            let count = { (o: String) in o.split(separator: "\n").filter { $0 == line }.count }
            #expect(count(s.out) == count(r.out), "\(line): rsync \(r.out)\nsy \(s.out)")
        }
    }

    /// A file appended in place that fails verification gets its mode and owner all the same
    /// (rsync's finish_transfer sets them on a file written in place; not its time), so the
    /// second pass lists no mode change: `>f..t......`. sy listed `>f..tp.....`.
    /// The second pass writes in place too (--append implies --inplace), so without -t the
    /// directory keeps its time, as rsync's (sy renamed a new file in: the time changed).
    @Test(arguments: [["-ai", "--append-verify"], ["-ai", "--append-verify", "--chmod=Fu+s"], ["-rti", "--append-verify", "-E"],
                      ["-ri", "--append-verify"]])
    func failedAppendKeepsItsNewModeAsRsync(flags: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src dst && echo 'changed and longer' > src/grow && chmod 700 src/grow && echo XYZ > dst/grow && chmod 640 dst/grow
            find src dst -exec touch -d 2020-01-01 {} + && touch -d 2021-01-01 src/grow
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let args = flags + ["src/", "dst/"]
        let r = run(["rsync"] + args, cwd: t.sub("r"))
        let s = run(["sy"] + args, cwd: t.sub("s"))
        #expect(r.code == s.code && r.out == s.out, "\(args): rsync \(r)\nsy \(s)")
        if flags.contains(where: { $0.hasPrefix("-a") || $0.contains("t") }) {
            #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst"))).isEmpty)
        }
        #expect(readFile(t.sub("s/dst/grow")) == readFile(t.sub("r/dst/grow")))
        #expect(lstat(t.sub("s/dst"))?.mtimeSec == lstat(t.sub("r/dst"))?.mtimeSec)
    }

    /// -H --inplace where the destination's two names are already one file: the first is
    /// written in place, and the second is then linked already (rsync does nothing for it).
    /// sy renamed a new link over it, which between two links of one file does nothing, and
    /// left the temp name `.NAME.XXXXXX` in the destination.
    @Test(arguments: [["-aHi", "--inplace"], ["-aHi", "--inplace", "-I"], ["-aHi", "--inplace", "--no-W"], ["-aHi", "--inplace", "-L"]])
    func inplaceOverLinkedNamesLeavesNoTempAsRsync(flags: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src dst && echo new > src/a && ln src/a src/b && echo older > dst/a && ln dst/a dst/b
            touch -d 2020-01-01 src/a dst/a src dst
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let args = flags + ["src/", "dst/"]
        let r = run(["rsync"] + args, cwd: t.sub("r"))
        let s = run(["sy"] + args, cwd: t.sub("s"))
        #expect(r.code == s.code && r.out == s.out, "\(args): rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst"))).isEmpty,
                "\(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst"))))")
        #expect(sh("ls -A \(shellQuote(t.sub("s/dst")))").out == "a\nb\n")
    }

    /// A hard link made where another type was (a directory, a symlink) is itemized against
    /// what was there, as rsync's generator itemizes it with its stat of that: `hf.s.p.....`
    /// (size, time, mode, `T` without -t as they differ). sy listed `hf          `.
    @Test(arguments: [["-aHi"], ["-rltHi"], ["-rlHi"], ["-aHi", "--force"], ["-aHi", "-I"], ["-aHi", "--no-W"]], ["dir", "link"])
    func linkReplacingAnotherTypeItemizedAsRsync(flags: [String], inTheWay: String) throws {
        let t = TempDir()
        let make = inTheWay == "dir" ? "mkdir -p dst/d/b && touch -d 2019-01-01 dst/d/b" : "mkdir -p dst/d && ln -s xyz dst/d/b"
        let build = """
            mkdir -p src/d && echo hello > src/a && ln src/a src/d/b
            \(make) && echo old > dst/a && touch -d 2020-01-01 src/a dst/a && touch -d 2018-01-01 src/d src dst/d dst
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let args = flags + ["src/", "dst/"]
        let r = run(["rsync"] + args, cwd: t.sub("r"))
        let s = run(["sy"] + args, cwd: t.sub("s"))
        #expect(r.code == s.code && r.out == s.out, "\(args): rsync \(r)\nsy \(s)")
        #expect(r.out.contains("hf.s"), "\(r.out)")
    }

    /// A --compare-dest copy standing for a file whose destination path holds another type:
    /// rsync's generator clears the way first (a symlink, an empty directory; a directory that
    /// holds something stays, said with exit 23) and makes nothing. sy kept the directories.
    @Test(arguments: [["-ai"], ["-ai", "--append"], ["-ai", "--delete"], ["-ai", "--force"]])
    func compareDestStandInClearsTheWayAsRsync(flags: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src ref dst/emptyd dst/full/inner && for f in emptyd full link; do echo same > src/$f; cp -p src/$f ref/$f; done
            ln -s nowhere dst/link && find src ref dst -exec touch -h -d 2020-01-01 {} +
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let args = flags + ["--compare-dest=../ref", "src/", "dst/"]
        let r = run(["rsync"] + args, cwd: t.sub("r"))
        let s = run(["sy"] + args, cwd: t.sub("s"))
        #expect(r.code == s.code && r.out == s.out, "\(args): rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst")), ignoringDirTimes: true).isEmpty,
                "\(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst")), ignoringDirTimes: true))")
        #expect(!exists(t.sub("s/dst/emptyd")) && !exists(t.sub("s/dst/link")))
    }

    /// Without -p a new entry takes the source's permission bits less the umask, and none of its
    /// set-user-ID, set-group-ID or sticky bits (rsync's dest_mode); a directory keeps the
    /// set-group-ID bit it takes from its parent when made. sy kept the source's special bits.
    @Test(arguments: [["-rt"], ["-rtE"], ["-rtD"], ["-rt", "--chmod=g+s"], ["-a"]])
    func specialBitsWithoutPermsAsRsync(flags: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src/st src/sg src/su src/n/m dst/n && chmod 1777 src/st && chmod 2775 src/sg && echo x > src/su/f && chmod 4755 src/su/f
            echo y > src/n/m/g && chmod 2755 dst dst/n && mkfifo src/ff && chmod 1644 src/ff && find src dst -exec touch -d 2020-01-01 {} +
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let r = run(["rsync"] + flags + ["src/", "dst/"], cwd: t.sub("r"))
        let s = run(["sy"] + flags + ["src/", "dst/"], cwd: t.sub("s"))
        #expect(r.code == 0 && s.code == 0, "\(flags): rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst"))).isEmpty)
        if flags == ["-rt"] {
            #expect(lstat(t.sub("s/dst/su/f"))?.perms == 0o755 && lstat(t.sub("s/dst/st"))?.perms == 0o2755)
        }
    }

    /// A set-user-ID or set-group-ID file whose owner changes keeps those bits: the owner is set
    /// first and the mode after, as rsync (a chown clears them). sy set the mode first.
    @Test(arguments: [["-ai"], ["-ai", "--inplace"], ["-ai", "-I"], ["-ai", "--chmod=u+s"], ["-ai", "--compare-dest=../ref"]])
    func setIDBitsSurviveAnOwnerChange(flags: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src dst ref && echo x > src/f && chmod 4755 src/f && echo y > src/g && chmod 6755 src/g && cp -p src/f src/g dst/
            chown 1000:1000 dst/f dst/g && echo z > src/h && chmod 4755 src/h && echo q > dst/h && chown 1000 dst/h
            echo n > src/n && chmod 6750 src/n && echo other > ref/n && find src dst ref -exec touch -d 2020-01-01 {} +
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let r = run(["rsync"] + flags + ["src/", "dst/"], cwd: t.sub("r"))
        let s = run(["sy"] + flags + ["src/", "dst/"], cwd: t.sub("s"))
        #expect(r.code == 0 && s.code == 0 && r.out == s.out, "\(flags): rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst"))).isEmpty)
        #expect(lstat(t.sub("s/dst/f"))?.perms == 0o4755 && lstat(t.sub("s/dst/n"))?.perms == 0o6750)
    }

    /// --force without --delete: a file replacing a directory removes what the directory
    /// holds except what the rules protect, which stays with the directory, as rsync (exit 23,
    /// "cannot delete non-empty directory"). sy removed the excluded file too.
    @Test(arguments: [["--exclude=*.o"], ["--filter=P *.o"], ["--exclude=sub"], ["--filter=-p sub"]])
    func forceKeepsWhatTheRulesProtect(flags: [String]) throws {
        let t = TempDir()
        let build = "mkdir -p src dst/x/sub && echo a > src/x && echo k > dst/x/keep.o && echo j > dst/x/sub/junk && echo o > dst/x/other && find src dst -exec touch -d 2020-01-01 {} +"
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let r = run(["rsync", "-ai", "--force"] + flags + ["src/", "dst/"], cwd: t.sub("r"))
        let s = run(["sy", "-ai", "--force"] + flags + ["src/", "dst/"], cwd: t.sub("s"))
        #expect(r.code == s.code && r.out == s.out, "\(flags): rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r/dst"), rootTimes: false).diff(TreeSnapshot(t.sub("s/dst"), rootTimes: false), ignoringDirTimes: true).isEmpty)
        if flags == ["--exclude=*.o"] { #expect(s.code == 23 && readFile(t.sub("s/dst/x/keep.o")) == Array("k\n".utf8)) }
    }

    /// rsync's counts hold its whole list, whatever is done with it: the directories -m prunes,
    /// what --existing or --ignore-existing skip (a directory's contents included).
    @Test(arguments: [["-m", "src/"], ["-m", "--exclude=f", "src/"], ["--existing", "src"], ["--existing", "src/"], ["--ignore-existing", "src/"]])
    func statsCountTheWholeListAsRsync(args: [String]) throws {
        let t = TempDir()
        for d in ["src", "src/a", "src/a/b", "src/e", "r", "s", "r/e", "s/e"] { mkdir(t.sub(d), 0o755) }
        writeFile(t.sub("src/a/b/f"), [1, 2, 3]); writeFile(t.sub("src/g"), [4]); symlink("g", t.sub("src/l"))
        writeFile(t.sub("src/e/h"), [5, 5]); writeFile(t.sub("r/e/h"), [6]); writeFile(t.sub("s/e/h"), [6])
        touchTree(t.path, "2024-01-02 03:04:05")
        let r = run(["rsync", "-a", "--stats"] + args + ["r/"], cwd: t.path)
        let s = run(["sy", "-a", "--stats"] + args + ["s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "rsync \(r)\nsy \(s)")
        let rf = statsFigures(r.out), sf = statsFigures(s.out)
        #expect(rf.count == 8 && sf.count == 8)
        for (k, v) in rf { #expect(sf[k] == v, "\(args) \(k): rsync \(v), sy \(sf[k] ?? "missing")") }
        #expect(TreeSnapshot(t.sub("s")).diff(TreeSnapshot(t.sub("r"))).isEmpty)
    }

    /// Deletions stopped at --max-delete exit 25, unless a file also failed: then 23, as rsync
    /// (a failure says more than the limit).
    @Test func deleteLimitYieldsToFailures() throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/d"), 0o755)
        writeFile(t.sub("src/a"), [1])
        for tool in ["r", "s"] {
            mkdir(t.sub(tool), 0o755); mkdir(t.sub(tool + "/d"), 0o755)
            for i in 0..<4 { writeFile(t.sub("\(tool)/x\(i)"), [2]) }
        }
        let limit = ["-a", "--delete", "--max-delete=1"]
        let r = run(["rsync"] + limit + [t.sub("src") + "/", t.sub("r")])
        let s = run(["sy"] + limit + [t.sub("src") + "/", t.sub("s")])
        #expect(r.code == 25 && s.code == 25, "rsync \(r)\nsy \(s)")
        // A link without referent followed (-L) fails in a directory of its own; deletions
        // elsewhere still stop at the limit.
        symlink("nowhere", t.sub("src/d/broken"))
        let rl = run(["rsync", "-L"] + limit + [t.sub("src") + "/", t.sub("r")])
        let sl = run(["sy", "-L"] + limit + [t.sub("src") + "/", t.sub("s")])
        #expect(rl.code == 23 && sl.code == 23, "rsync \(rl)\nsy \(sl)")
        #expect(rl.err.contains("--max-delete") && sl.err.contains("--max-delete"), "rsync \(rl)\nsy \(sl)")
        #expect(TreeSnapshot(t.sub("s")).nodes.count == TreeSnapshot(t.sub("r")).nodes.count)
    }

    @Test func missingSourceChangesNothingAndExits23() {
        let t = TempDir()
        let r = run(["sy", "-a", "--delete", t.sub("nope") + "/", t.sub("dst")])
        #expect(r.code == 23, "\(r)")
        #expect(!exists(t.sub("dst")))
        #expect(r.err.contains("nope"))
        // Told once, by the stage that lists the sources (as rsync's sender), not by every stage.
        #expect(r.err.split(separator: "\n").filter { $0.contains("nope") }.count == 1, "\(r.err)")
        // Beside a source that exists, the others still sync.
        mkdir(t.sub("src"), 0o755); writeFile(t.sub("src/f"), [1])
        let both = run(["sy", "-a", t.sub("nope") + "/", t.sub("src") + "/", t.sub("dst2")])
        #expect(both.code == 23 && exists(t.sub("dst2/f")), "\(both)")
        #expect(both.err.split(separator: "\n").filter { $0.contains("nope") }.count == 1, "\(both.err)")
        // A destination given as `dir/` is made all the same, as rsync makes it (not in a dry
        // run; -v says so in both), also when a --files-from name is a link leading round in a loop.
        symlink("loop", t.sub("src/loop"))
        // (An old time: rsync 3.5 leaves a symlink's time alone when it changed within the last
        // second, which made this test race the clock.)
        _ = system(script: "touch -h -d 2024-01-01 \(shellQuote(t.sub("src/loop")))")
        writeFile(t.sub("list"), Array("loop/\n".utf8))
        // (With -k or --copy-unsafe-links rsync sends that link, and so does sy.)
        let listed = ["--files-from=" + t.sub("list"), t.sub("src")]
        for (i, args) in [["-av", t.sub("nope")], ["-avn", t.sub("nope")], ["-av"] + listed, ["-avL"] + listed,
                          ["-avk"] + listed, ["-av", "--copy-unsafe-links"] + listed].enumerated() {
            let r = run(["rsync"] + args + [t.sub("r\(i)") + "/"])
            let s = run(["sy"] + args + [t.sub("s\(i)") + "/"])
            #expect(r.code == s.code && s.code == (i < 4 ? 23 : 0), "\(r)\n\(s)")
            #expect(TreeSnapshot(t.sub("r\(i)"), rootTimes: false).diff(TreeSnapshot(t.sub("s\(i)"), rootTimes: false)).isEmpty, "\(args)")
            #expect(exists(t.sub("s\(i)")) == exists(t.sub("r\(i)")) && exists(t.sub("s\(i)")) == (i != 1), "\(args)")
            #expect(s.out.contains("created directory") == r.out.contains("created directory"), "\(args)\n\(r.out)\n\(s.out)")
        }
    }

    @Test func missingDestinationParentNeedsMkpath() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); writeFile(t.sub("src/f"), [1])
        let r = run(["sy", "-a", t.sub("src") + "/", t.sub("a/b/c")])
        #expect(r.code == 11, "\(r)")
        #expect(!exists(t.sub("a")))
        let m = run(["sy", "-a", "--mkpath", t.sub("src") + "/", t.sub("a/b/c")])
        #expect(m.code == 0, "\(m)")
        #expect(readFile(t.sub("a/b/c/f")) == [1])
    }

    @Test func unknownAndConflictingOptionsExit1() {
        for args in [["--no-such-option", "a", "b"], ["--append", "-W", "a", "b"], ["--inplace", "--delay-updates", "a", "b"], ["--delete", "a", "b"], [], ["--delete-before", "--delete-after", "a", "b"]] {
            let r = run(["sy"] + args)
            #expect(r.code == 1, "\(args): \(r)")
            #expect(r.err.hasPrefix("sy: "), "\(r.err)")
        }
    }

    @Test func trailingSlashRules() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); writeFile(t.sub("src/f"), [1])
        mkdir(t.sub("d1"), 0o755); mkdir(t.sub("d2"), 0o755)
        #expect(run(["sy", "-a", t.sub("src"), t.sub("d1")]).code == 0)
        #expect(readFile(t.sub("d1/src/f")) == [1])
        #expect(run(["sy", "-a", t.sub("src") + "/", t.sub("d2")]).code == 0)
        #expect(readFile(t.sub("d2/f")) == [1])
        // A single file to a new name, and into a directory.
        #expect(run(["sy", "-a", t.sub("src/f"), t.sub("renamed")]).code == 0)
        #expect(readFile(t.sub("renamed")) == [1])
        #expect(run(["sy", "-a", t.sub("src/f"), t.sub("d2") + "/"]).code == 0)
        #expect(readFile(t.sub("d2/f")) == [1])
        // Several sources into one directory.
        writeFile(t.sub("other"), [2])
        #expect(run(["sy", "-a", t.sub("src/f"), t.sub("other"), t.sub("multi")]).code == 0)
        #expect(readFile(t.sub("multi/f")) == [1] && readFile(t.sub("multi/other")) == [2])
    }

    @Test func unreadableFilesFailAloneWithExit23() {
        let t = TempDir()
        chmod(t.path, 0o777)
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/locked"), 0o755)
        writeFile(t.sub("src/ok"), [1]); writeFile(t.sub("src/secret"), [2]); writeFile(t.sub("src/locked/x"), [3])
        chmod(t.sub("src/secret"), 0o000); chmod(t.sub("src/locked"), 0o000)
        let prefix: [String] = geteuid() == 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        let r = run(prefix + [Tools.path("sy"), "-a", t.sub("src") + "/", t.sub("dst")])
        #expect(r.code == 23, "\(r)")
        #expect(readFile(t.sub("dst/ok")) == [1])
        #expect(!exists(t.sub("dst/secret")))
        #expect(r.err.contains("secret") && r.err.contains("locked"))
    }

    @Test func wholeFileAndDeltaAgree() throws {
        let t = TempDir()
        sample(t.sub("src"), seed: 5)
        #expect(run(["sy", "-aH", t.sub("src") + "/", t.sub("w")]).code == 0)
        #expect(run(["sy", "-aH", t.sub("src") + "/", t.sub("d")]).code == 0)
        var gen = TreeGen(seed: 6)
        gen.mutate(t.sub("src"), count: 30)
        let w = run(["sy", "-aH", "--delete", "-W", "--stats", t.sub("src") + "/", t.sub("w")])
        let d = run(["sy", "-aH", "--delete", "--no-W", "--stats", t.sub("src") + "/", t.sub("d")])
        #expect(w.code == 0 && d.code == 0, "\(d)")
        let expected = TreeSnapshot(t.sub("src"))
        #expect(expected.diff(TreeSnapshot(t.sub("w"))).isEmpty)
        #expect(expected.diff(TreeSnapshot(t.sub("d"))).isEmpty)
        #expect(statsFigures(d.out)["Matched data"] != "0 bytes", "delta run matched nothing: \(d.out)")
    }

    /// A new file's name is not looked at before the transfer: a directory that appeared there
    /// since sy-sum planned the create is removed if empty, else reported, and no temp file stays.
    @Test func createOverADirectoryThatAppeared() {
        let t = TempDir()
        makeFile(t.sub("src/f"), Array("new".utf8))
        mkdir(t.sub("empty"), 0o755)
        let plan = run(["sh", "-c", "sy-scan src/ | sy-sum -a empty/ | sy-delta src/ > delta"], cwd: t.path)
        #expect(plan.code == 0, "\(plan)")
        makeFile(t.sub("dst/f/sub/y"), [1])
        let blocked = run(["sy-apply", "-a", "dst/"], stdin: readFile(t.sub("delta")) ?? [], cwd: t.path)
        #expect(blocked.code == 23 && blocked.out.contains("cannot delete non-empty directory: f"), "rsync says it on stdout: \(blocked)")
        #expect(blocked.err.contains("could not make way for new regular file: f"), "rsync's words: \(blocked)")
        #expect(lstat(t.sub("dst/f"))?.kind == .directory)
        #expect((try? DirReader.sortedNames(open(t.sub("dst"), O_RDONLY | O_DIRECTORY))) == [Array("f".utf8)], "no temp file left")
        _ = system(script: "rm -r \(shellQuote(t.sub("dst/f/sub")))")
        let cleared = run(["sy-apply", "-a", "dst/"], stdin: readFile(t.sub("delta")) ?? [], cwd: t.path)
        #expect(cleared.code == 0 && readFile(t.sub("dst/f")) == Array("new".utf8), "\(cleared)")
    }

    @Test func inplaceKeepsTheInode() throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        var rng = SeededRandom(seed: 1)
        var data = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        writeFile(t.sub("src/f"), data)
        #expect(run(["sy", "-a", t.sub("src") + "/", t.sub("dst")]).code == 0)
        let ino = lstat(t.sub("dst/f"))!.ino
        data[100_000] ^= 1
        data += [1, 2, 3]
        writeFile(t.sub("src/f"), data)
        for (k, extra) in [["--inplace"], ["--inplace", "--no-W"]].enumerated() {
            data[50] ^= 1
            writeFile(t.sub("src/f"), data)
            touchTree(t.sub("src/f"), "2024-01-0\(k + 1) 00:00:00") // same size: the time must differ in whole seconds
            let r = run(["sy", "-a"] + extra + [t.sub("src") + "/", t.sub("dst")])
            #expect(r.code == 0, "\(r)")
            #expect(readFile(t.sub("dst/f")) == data)
            #expect(lstat(t.sub("dst/f"))!.ino == ino)
        }
    }

    @Test func progressLinesReportEveryFile() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/big"), [UInt8](repeating: 1, count: 3_000_000))
        writeFile(t.sub("src/small"), [2])
        let p = run(["sy", "-a", "--progress", t.sub("src") + "/", t.sub("d1")])
        #expect(p.code == 0, "\(p)")
        #expect(p.out.contains("big\n") && p.out.contains("small\n"), "\(p.out)")
        #expect(p.out.contains("3,000,000 100%") && p.out.contains("(xfr#2, to-chk=0/3)"), "\(p.out)")
        // --progress brings rsync's file-list and name lines (--info=flist2,name), and its time
        // field is rsync's %4d:%02d:%02d.
        #expect(p.out.hasPrefix("sending incremental file list\ncreated directory "), "\(p.out)")
        let last = p.out.split(separator: "\n").first { $0.contains("(xfr#2") } ?? ""
        #expect(last.contains("B/s    0:00:0"), "\(last)")
        // The names are -v's, as rsync's: a directory whose attributes change is named too.
        mkdir(t.sub("src/sub"), 0o755)
        writeFile(t.sub("src/sub/x"), [3])
        _ = system(script: "cp -a \(shellQuote(t.sub("d1"))) \(shellQuote(t.sub("r1"))) && touch -d 2020-01-01 \(shellQuote(t.sub("src")))")
        let names = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.contains("100%") } }
        let rp = run(["rsync", "-a", "--progress", t.sub("src") + "/", t.sub("r1")])
        let sp = run(["sy", "-a", "--progress", t.sub("src") + "/", t.sub("d1")])
        #expect(rp.code == 0 && names(sp) == names(rp) && names(sp).contains("./"), "rsync:\n\(rp.out)\nsy:\n\(sp.out)")
        let o = run(["sy", "-a", "--info=progress2", t.sub("src") + "/", t.sub("d2")])
        #expect(o.code == 0, "\(o)")
        #expect(o.out.hasSuffix("(xfr#3, to-chk=0/5)\n") && o.out.contains("3,000,002 100%"), "\(o.out)")
        // Not on a terminal, the overall line comes once a second: none before the first file.
        #expect(!o.out.contains("xfr#0"), "\(o.out)")
    }

    /// A whole file list (-m, --no-i-r, --delete-before, -d without -r) is counted as rsync's
    /// sender counts it in "N files to consider": -m's empty directories (its receiver prunes them) and every
    /// source's entries, those another source also has included.
    @Test(arguments: [["-m"], ["--no-i-r"], ["-m", "--delete-before"], ["-m", "-n"], ["--no-r", "-d"], ["--no-r", "-d", "--delete"], []])
    func wholeListCountAsRsync(extra: [String]) {
        let t = TempDir()
        let build = """
            mkdir -p a/e1/e2 a/d a/both b/both b/only b/e3 && echo 1 > a/d/f && echo 2 > a/both/x && echo 3 > b/both/x
            echo 4 > b/both/y && echo 5 > b/only/z && echo 6 > a/top && echo 7 > b/top
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let count = { (x: RunResult) in x.out.replacingOccurrences(of: "\r", with: "\n").split(separator: "\n").filter { $0.hasSuffix("to consider") } }
        for (i, srcs) in [["a/"], ["a/", "b/"], ["b/", "a/"]].enumerated() {
            let r = run(["rsync", "-a", "-P"] + extra + srcs + ["r\(i)/"], cwd: t.path)
            let s = run(["sy", "-a", "-P"] + extra + srcs + ["s\(i)/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0 && count(r).count == (extra.isEmpty ? 0 : 1) && count(s) == count(r), "\(extra) \(srcs)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
            // Each file's "to-chk" number too: the copies of a name both sources have keep their
            // numbers in rsync's list, after the one sent.
            let chk = { (x: RunResult) in x.out.components(separatedBy: "to-chk=").dropFirst().map { $0.prefix(while: { $0 != ")" }) } }
            #expect(chk(s) == chk(r), "\(extra) \(srcs)\nrsync: \(chk(r))\nsy: \(chk(s))")
        }
    }

    @Test func ownersAreMappedByNameUnlessNumeric() throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), [1])
        // The sender says its uid 4242 is "nobody"; the receiver maps it to its own nobody.
        let header = #"{"type":"header","stream":"entries","version":\#(Wire.version),"producer":"test"}"#
        let name = #"{"type":"id-name","group":false,"id":4242,"name":"nobody"}"#
        let entry = #"{"type":"entry","path":"f","kind":"file","perms":"0644","uid":4242,"gid":0,"size":1,"mtime_sec":1,"mtime_nsec":0,"nlink":1,"dev":0,"ino":0,"rdev":0}"#
        writeFile(t.sub("e.jsonl"), Array([header, name, entry].joined(separator: "\n").utf8))
        let q = shellQuote
        let r = sh("sy show --encode \(q(t.sub("e.jsonl"))) | sy-sum -a \(q(t.sub("dst"))) | sy show --json")
        #expect(r.code == 0, "\(r)")
        let nobody = sh("id -u nobody").out.trimmingSpaces().split(separator: "\n").first.map(String.init) ?? "65534"
        #expect(r.out.contains(#""uid":\#(nobody),"#), "\(r.out)")
        // sy-scan --names sends the names it knows.
        let s = sh("sy-scan --names \(q(t.sub("src")))/ | sy show")
        #expect(s.code == 0)
        if geteuid() == 0 { #expect(!s.out.contains("id-name user 0 "), "id 0 is never mapped by name") }
    }

    @Test func everyToolHasHelpAndVersion() {
        for tool in ["sy", "sy-scan", "sy-sum", "sy-delta", "sy-apply"] {
            let v = run([tool, "--version"])
            #expect(v.code == 0 && v.out.contains("stream format \(Wire.version)"), "\(tool): \(v)")
            let h = run([tool, "--help"])
            #expect(h.code == 0 && h.out.contains("USAGE"), "\(tool): \(h)")
        }
    }

    @Test func jsonEventsParseAndSummaryMatchesStats() throws {
        let t = TempDir()
        sample(t.sub("src"), seed: 9)
        let j = run(["sy", "-a", "--json", t.sub("src") + "/", t.sub("j")])
        #expect(j.code == 0, "\(j)")
        var changes = 0
        var summary: JSON?
        for line in j.stdout.split(separator: 0x0A) {
            let v = try JSONParser.parse(Array(line))
            if case .string("change")? = v["event"] { changes += 1 }
            if case .string("summary")? = v["event"] { summary = v }
        }
        #expect(changes > 0)
        let s = run(["sy", "-a", "--stats", t.sub("src") + "/", t.sub("s")])
        let figures = statsFigures(s.out)
        guard case .number(let transferred)? = summary?["transferred"], case .number(let total)? = summary?["total_size"] else {
            Issue.record("no summary: \(j.out)"); return
        }
        #expect(figures["Number of regular files transferred"] == Human.commas(UInt64(transferred)!))
        #expect(figures["Total file size"] == Human.commas(UInt64(total)!) + " bytes")
    }

    @Test func oneArgumentListsTheSourceAsRsyncDoes() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/d"), 0o755)
        writeFile(t.sub("src/f"), [1, 2, 3]); writeFile(t.sub("src/d/g"), [4])
        try? Sys.symlinkat(Array("f".utf8), Sys.atFDCWD, t.sub("src/l").pathBytes)
        _ = system(script: "touch -h -d '2024-03-04 05:06:07' \(shellQuote(t.sub("src")))/f \(shellQuote(t.sub("src")))/d/g \(shellQuote(t.sub("src")))/l")
        for flags in [["-a"], []] {
            let s = run(["sy"] + flags + [t.sub("src") + "/"])
            let r = run(["rsync"] + flags + [t.sub("src") + "/"])
            #expect(s.code == 0 && r.code == 0, "\(s)")
            // Directory sizes come from the filesystem in rsync's list; compare the other lines.
            func lines(_ x: RunResult) -> Set<String> { Set(x.out.split(separator: "\n").filter { !$0.hasPrefix("d") }.map(String.init)) }
            #expect(lines(s) == lines(r), "sy:\n\(s.out)rsync:\n\(r.out)")
        }
    }

    @Test func listOnlyShowsAccessTimesAndMissingArgumentsAsRsync() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/d"), 0o755)
        writeFile(t.sub("src/f"), [1, 2, 3]); writeFile(t.sub("src/d/g"), [4])
        try? Sys.symlinkat(Array("f".utf8), Sys.atFDCWD, t.sub("src/l").pathBytes)
        let q = shellQuote(t.sub("src"))
        _ = system(script: "touch -h -d '2024-03-04 05:06:07' \(q)/f \(q)/d/g \(q)/l \(q)/d \(q) && touch -a -d '2025-06-07 08:09:10' \(q)/f \(q)/d/g")
        // The size column of a directory line is the filesystem's in rsync's list: blanked. A
        // symlink's access time moves when the first tool reads it: its column is blanked.
        func lines(_ x: RunResult) -> [String] {
            x.out.split(separator: "\n").map { l in
                if l.hasPrefix("d") { return String(l.prefix(11)) + String(l.dropFirst(25)) }
                if l.hasPrefix("l") && x.out.contains(" 2025/06/07 ") { return String(l.prefix(45)) + String(l.dropFirst(65)) }
                return String(l)
            }
        }
        for flags in [["-a", "-U"], ["-a", "-U", "--delete-missing-args"], ["-r", "--delete-missing-args"], ["-a", "--ignore-missing-args"]] {
            let args = flags + ["--list-only", t.sub("src") + "/", t.sub("src/nope"), t.sub("src/d"), t.sub("dst")]
            let s = run(["sy"] + args)
            let r = run(["rsync"] + args)
            let missingAllowed = flags.contains { $0.hasSuffix("-missing-args") }
            #expect(s.code == r.code && (s.code == 0) == missingAllowed, "\(flags): sy \(s) rsync \(r)")
            #expect(lines(s) == lines(r), "\(flags): sy:\n\(s.out)rsync:\n\(r.out)")
        }
        let u = run(["sy", "-a", "-U", t.sub("src") + "/"])
        #expect(u.out.contains(" 2024/03/04 05:06:07 2025/06/07 08:09:10 f\n"), "\(u.out)")
        #expect(u.out.contains(" 2024/03/04 05:06:07                     d\n"), "\(u.out)")
    }

    @Test func maxDeleteStopsAtTheLimitWithExit25() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("dst"), 0o755); mkdir(t.sub("dst/sub"), 0o755)
        for i in 0..<6 { writeFile(t.sub("dst/x\(i)"), [1]) }
        writeFile(t.sub("dst/sub/y"), [2])
        let r = run(["sy", "-a", "--delete", "--max-delete=3", t.sub("src") + "/", t.sub("dst")])
        #expect(r.code == 25, "\(r)")
        #expect(r.err.contains("Deletions stopped due to --max-delete limit"), "\(r.err)")
        let left = TreeSnapshot(t.sub("dst")).nodes.count - 1
        #expect(left == 8 - 3, "\(left) entries left, expected 5")
        let all = run(["sy", "-a", "--delete", t.sub("src") + "/", t.sub("dst")])
        #expect(all.code == 0 && TreeSnapshot(t.sub("dst")).nodes.count == 1)
    }

    @Test func sizeLimitsMatchRsync() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        for (name, size) in [("tiny", 10), ("k1", 1024), ("mid", 5000), ("m1", 1_048_576), ("big", 1_048_577)] {
            writeFile(t.sub("src/" + name), [UInt8](repeating: 7, count: size))
        }
        for flags in [["--min-size=1K"], ["--max-size=1M"], ["--min-size=1K", "--max-size=1M-1"], ["--max-size=5KB"]] {
            let key = flags.joined().filter { $0.isLetter || $0.isNumber }
            mkdir(t.sub("r" + key), 0o755); mkdir(t.sub("s" + key), 0o755)
            writeFile(t.sub("r" + key + "/big"), [1]); writeFile(t.sub("s" + key + "/big"), [1])
            _ = system(script: "touch -d '2020-01-01' \(shellQuote(t.sub("r" + key + "/big"))) \(shellQuote(t.sub("s" + key + "/big")))")
            let r = run(["rsync", "-a", "--delete"] + flags + [t.sub("src") + "/", t.sub("r" + key)])
            let s = run(["sy", "-a", "--delete"] + flags + [t.sub("src") + "/", t.sub("s" + key)])
            #expect(r.code == 0 && s.code == 0, "\(flags): \(s)")
            let d = TreeSnapshot(t.sub("r" + key)).diff(TreeSnapshot(t.sub("s" + key)), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(flags): \(d)")
        }
        #expect(run(["sy", "-a", "--max-size=lots", t.sub("src") + "/", t.sub("x")]).code == 1)
    }

    @Test func omitDirTimesModifyWindowAndDirsMatchRsync() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/d"), 0o755)
        writeFile(t.sub("src/f"), Array("abc".utf8)); writeFile(t.sub("src/d/g"), [1])
        _ = system(script: "touch -d '2021-01-01 00:00:00' \(shellQuote(t.sub("src")))/f \(shellQuote(t.sub("src")))/d/g \(shellQuote(t.sub("src/d"))) \(shellQuote(t.sub("src")))")
        for (i, flags) in [["-a", "--modify-window=2"], ["-a", "-O"], ["-rltd"], ["-d", "-lt"]].enumerated() {
            let rd = t.sub("r\(i)"), sd = t.sub("s\(i)")
            for n in [rd, sd] {
                mkdir(n, 0o755)
                writeFile(n + "/f", Array("xyz".utf8))  // same size, content differs, 1 s off
                _ = system(script: "touch -d '2021-01-01 00:00:01' \(shellQuote(n + "/f"))")
            }
            let r = run(["rsync"] + flags + [t.sub("src") + "/", rd])
            let s = run(["sy"] + flags + [t.sub("src") + "/", sd])
            #expect(r.code == 0 && s.code == 0, "\(flags): \(s)")
            let d = TreeSnapshot(rd).diff(TreeSnapshot(sd), ignoringDirTimes: flags.contains("-O"))
            #expect(d.isEmpty, "\(flags): \(d)")
        }
        #expect(readFile(t.sub("s0/f")) == Array("xyz".utf8), "--modify-window=2 kept the file as unchanged")
        #expect(lstat(t.sub("s1/d"))?.mtimeSec != lstat(t.sub("src/d"))?.mtimeSec, "-O left the new directory's time alone")
    }

    @Test func chmodMatchesRsync() {
        let t = TempDir()
        mkdir(t.sub("src"), 0o700); mkdir(t.sub("src/d"), 0o750)
        writeFile(t.sub("src/a"), [1], mode: 0o600); writeFile(t.sub("src/d/x"), [2], mode: 0o751)
        chmod(t.sub("src/a"), 0o600); chmod(t.sub("src/d/x"), 0o751)
        _ = system(script: "find \(shellQuote(t.sub("src"))) -exec touch -d '2022-02-02' {} +")
        sleep(1) // rsync leaves a directory's time alone if it changed within the last second
        // Several --chmod options: X looks at the mode before all of them, as in rsync.
        let specs = [["D755,F644"], ["ug+rwX"], ["o-rwx,g=r"], ["Fu+x"], ["a+r,go-w"], ["D2775"], ["u=rwx,go=rX"],
                     ["D750,F640", "ug+rwX,o-w"], ["F600", "a+X"]]
        for (i, spec) in specs.enumerated() {
            let opts = spec.map { "--chmod=" + $0 }
            let r = run(["rsync", "-a"] + opts + [t.sub("src") + "/", t.sub("r\(i)")])
            let s = run(["sy", "-a"] + opts + [t.sub("src") + "/", t.sub("s\(i)")])
            #expect(r.code == 0 && s.code == 0, "\(spec): \(s)")
            let d = TreeSnapshot(t.sub("r\(i)")).diff(TreeSnapshot(t.sub("s\(i)")))
            #expect(d.isEmpty, "\(spec): \(d)")
        }
        #expect(run(["sy", "-a", "--chmod=q+z", t.sub("src") + "/", t.sub("bad")]).code == 1)
    }

    /// A set-user-ID or set-group-ID file whose owner changes (with -o/-g, or --chown) and
    /// nothing else: the chown clears those bits. rsync sets the mode again (the file's own
    /// without -p) and, reading the file again after the chown, itemizes no owner change but a
    /// mode change with -p. sy left the file without its set-ID bit (4755 became 755).
    @Test(arguments: [["-i", "--chown=nobody:nogroup"], ["-i", "-p", "--chown=nobody:nogroup"], ["-ai"], ["-ii", "-o", "-g"],
                      ["-vv", "-og"], ["-o", "-g", "--out-format=%i %n"], ["-i", "-og", "-n"]])
    func setIDFileChownedAsRsync(flags: [String]) throws {
        let t = TempDir("setid")
        let build = """
            for s in r s; do mkdir -p $s-src $s && echo a > $s-src/u && echo b > $s-src/g && echo c > $s-src/plain \
              && chmod 4755 $s-src/u && chmod 2750 $s-src/g && cp -p $s-src/* $s/ && chown nobody:nogroup $s/* \
              && chmod 4755 $s/u && chmod 2750 $s/g; done
            touch -d 2020-01-01 r-src/* s-src/* r/* s/*
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-r"] + flags + ["r-src/", "r/"], cwd: t.path)
        let s = run(["sy", "-r"] + flags + ["s-src/", "s/"], cwd: t.path)
        let lines = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") } }
        #expect(r.code == 0 && s.code == 0 && lines(s) == lines(r), "\(flags)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(flags): \(d)")
        if !flags.contains("-n") { #expect(lstat(t.sub("s/u"))?.perms == 0o4755, "\(flags)") }
    }

    /// A file where the destination has a directory, empty (`a`) or not (`b`): rsync removes
    /// the empty one and, without --delete or --force, cannot make way through the other (exit
    /// 23). With --delay-updates sy failed the final rename on both ("Is a directory"); its
    /// dry run said both files would come and exited 0.
    @Test(arguments: [["-r", "--delay-updates"], ["-r", "--delay-updates", "--delete"], ["-r", "--delay-updates", "--force"],
                      ["-rn"], ["-rn", "--delay-updates"], ["-rn", "--delete"], ["-r"]])
    func directoryInTheWayOfAFileAsRsync(flags: [String]) throws {
        let t = TempDir("inway")
        let build = """
            for s in r s; do mkdir -p $s-src $s/a $s/b/inner && echo x > $s-src/a && echo y > $s-src/b && touch $s/b/inner/f; done
            touch -d 2024-01-01 r-src/* s-src/* r/b/inner/f s/b/inner/f r/b/inner s/b/inner
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-it"] + flags + ["r-src/", "r/"], cwd: t.path)
        let s = run(["sy", "-it"] + flags + ["s-src/", "s/"], cwd: t.path)
        let lines = { (x: RunResult) in x.out.split(separator: "\n").sorted() }
        let failed = { (x: RunResult) in x.err.contains("could not make way for new regular file: b") }
        #expect(r.code == s.code && lines(s) == lines(r) && failed(r) == failed(s), "\(flags)\nrsync:\n\(r)\nsy:\n\(s)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(flags): \(d)")
    }

    /// Two destination names of one inode (no -H) whose content is the source's but not their
    /// mode and time: fixing the first fixes the second, which rsync then finds up to date:
    /// -ii lists it (`.f          b`), -vv says "b is uptodate", and --remove-source-files
    /// takes its source. sy said nothing of it and left its source (and with --chown listed an
    /// owner change the first name had made).
    @Test(arguments: [["-ii", "-c"], ["-ii", "--size-only"], ["-vv", "-c"], ["-ii", "-c", "--remove-source-files"],
                      ["-i", "-c", "--chown=nobody:nogroup"], ["-ii", "-c", "--usermap=*:nobody", "--groupmap=*:nogroup"]])
    func linkedDestinationNamesFixedOnceAsRsync(flags: [String]) throws {
        let t = TempDir("linked")
        let build = """
            for s in r s; do mkdir -p $s-src $s && echo a > $s-src/a && echo a > $s-src/b && chmod 755 $s-src/a $s-src/b \
              && echo a > $s/a && ln $s/a $s/b && chmod 600 $s/a && touch -d 2017-01-01 $s/a; done
            touch -d 2020-01-01 r-src/* s-src/* r-src s-src r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-a"] + flags + ["r-src/", "r/"], cwd: t.path)
        let s = run(["sy", "-a"] + flags + ["s-src/", "s/"], cwd: t.path)
        let lines = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") } }
        #expect(r.code == 0 && s.code == 0 && lines(s) == lines(r), "\(flags)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(TreeSnapshot(t.sub("r-src"), rootTimes: false).diff(TreeSnapshot(t.sub("s-src"), rootTimes: false)).isEmpty, "\(flags)")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false)).isEmpty, "\(flags)")
    }
}

extension SyncBehaviourTests {
    /// A delta that rebuilds the destination file byte for byte (touched, -I) leaves the file
    /// where it is and only sets what changed, where a new copy would come out the same; a
    /// file with other hard links or extended attributes gets a new copy, as with rsync.
    @Test func touchedFileKeepsItsInodeWhereRsyncsCopyWouldEqualIt() throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        for n in ["plain", "linked", "xattr", "tiny"] {
            writeFile(t.sub("src/" + n), n == "tiny" ? [1, 2, 3] : (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        }
        _ = system(script: "touch -d '2024-01-01' \(shellQuote(t.sub("src")))/*")
        for d in ["r", "s"] { _ = run(["rsync", "-a", t.sub("src") + "/", t.sub(d)]) }
        for d in ["r", "s"] {
            _ = system(script: "ln \(shellQuote(t.sub(d + "/linked"))) \(shellQuote(t.sub(d + "/other")))")
            _ = system(script: "setfattr -n user.note -v x \(shellQuote(t.sub(d + "/xattr"))) 2>/dev/null")
            // (The link changed the directory's time: both back to the source's, so that a
            // second boundary between the two links cannot list one of them and not the other.)
            _ = system(script: "touch -r \(shellQuote(t.sub("src"))) \(shellQuote(t.sub(d)))")
        }
        _ = system(script: "touch -d '2025-02-02' \(shellQuote(t.sub("src")))/* && chmod 600 \(shellQuote(t.sub("src/plain")))")
        let before = ["plain", "linked", "xattr", "tiny"].map { lstat(t.sub("s/" + $0))?.ino }
        sleep(1)
        let r = run(["rsync", "-ai", "--no-W", t.sub("src") + "/", t.sub("r")])
        let s = run(["sy", "-ai", "--no-W", t.sub("src") + "/", t.sub("s")])
        #expect(r.code == 0 && s.code == 0, "\(s)")
        #expect(Set(r.out.split(separator: "\n")) == Set(s.out.split(separator: "\n")), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        let d = TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")))
        #expect(d.isEmpty, "\(d)")
        let after = ["plain", "linked", "xattr", "tiny"].map { lstat(t.sub("s/" + $0))?.ino }
        #expect(after[0] == before[0] && after[3] == before[3], "rebuilt whole: kept")
        #expect(after[1] != before[1], "another link: a new copy")
        let hasXattr = system(script: "getfattr -n user.note \(shellQuote(t.sub("r/xattr"))) >/dev/null 2>&1") == 0
        #expect(system(script: "getfattr -n user.note \(shellQuote(t.sub("s/xattr"))) >/dev/null 2>&1") == (hasXattr ? 0 : 1))
        #expect(lstat(t.sub("s/plain"))?.perms == 0o600 && lstat(t.sub("s/plain"))?.mtimeSec == lstat(t.sub("src/plain"))?.mtimeSec)
    }

    /// Where directory times are not kept (-r without -t, -O), rsync's new copy renamed over a
    /// touched file leaves its directory with the time of that change: keeping the file in place
    /// must give the directory a new time too (it kept its old one).
    @Test(arguments: [["-r"], ["-rt", "-O"], ["-a", "-O", "-I"]])
    func keptFileMovesItsDirectorysTimeAsRsyncsCopy(args: [String]) throws {
        let t = TempDir()
        for d in ["src", "r", "s", "src/d", "r/d", "s/d"] { mkdir(t.sub(d), 0o755) }
        let data = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        for d in ["src", "r", "s"] { writeFile(t.sub(d + "/d/f"), data) }
        _ = system(script: "cd \(shellQuote(t.path)) && touch -d 2021-01-01 src/d/f src/d r/d s/d && touch -d 2020-01-01 r/d/f s/d/f")
        let start = time(nil)
        let r = run(["rsync", "--no-W"] + args + [t.sub("src") + "/", t.sub("r")])
        let s = run(["sy", "--no-W"] + args + [t.sub("src") + "/", t.sub("s")])
        #expect(r.code == 0 && s.code == 0, "\(s)")
        let rd = lstat(t.sub("r/d"))?.mtimeSec ?? 0, sd = lstat(t.sub("s/d"))?.mtimeSec ?? 0
        #expect(rd >= Int64(start) && sd >= Int64(start), "rsync's directory \(rd), sy's \(sd), run at \(start)")
        let same = readFile(t.sub("s/d/f")) == data
        #expect(same, "the file's content")
    }

    /// A large file that replaces another (whole or by delta) has its writeback started while
    /// it is written (sync_file_range, seen with strace, which names the file written by its
    /// temp name or, unnamed, its inode), comes out as the source, and is a new file; a file
    /// under a new name gets no such call (nothing is renamed over there).
    @Test(arguments: [[], ["--no-W"]])
    func largeReplacingFileStartsItsWritebackEarly(args: [String]) throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("dst"), 0o755)
        var rng = SeededRandom(seed: 11)
        var data = (0..<(70 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        writeFile(t.sub("dst/big"), data)
        for k in stride(from: 5000, to: data.count, by: 7_000_000) { data[k] ^= 0x5A }
        writeFile(t.sub("src/big"), data)
        writeFile(t.sub("src/new"), Array(data[0..<(40 << 20)]))
        _ = system(script: "touch -d '2024-01-01' \(shellQuote(t.sub("src")))/*")
        let ino = lstat(t.sub("dst/big"))?.ino
        let traced = system(script: "command -v strace >/dev/null") == 0
        let log = t.sub("trace")
        let cmd = (traced ? ["strace", "-f", "-qq", "-y", "-e", "trace=sync_file_range", "-o", log] : [])
            + ["sy", "-a"] + args + ["src/", "dst/"]
        let r = run(cmd, cwd: t.path)
        #expect(r.code == 0, "\(r)")
        #expect(readFile(t.sub("dst/big")) == data && lstat(t.sub("dst/big"))?.ino != ino)
        #expect(readFile(t.sub("dst/new")) == Array(data[0..<(40 << 20)]))
        #expect(lstat(t.sub("dst/big"))?.mtimeSec == lstat(t.sub("src/big"))?.mtimeSec)
        if traced {
            // strace -y names each fd's file: the temp files that got writeback started.
            let lines = String(decoding: readFile(log) ?? [], as: UTF8.self).split(separator: "\n")
            var started: Set<String> = []
            for l in lines where l.contains("sync_file_range(") {
                guard let open = l.firstIndex(of: "<"), let close = l[open...].firstIndex(of: ">") else { continue }
                started.insert(String(l[l.index(after: open)..<close].split(separator: "/").last ?? ""))
            }
            // (An unnamed file, as sy writes them, is named by its inode: `#12345`.)
            let big = "#\(lstat(t.sub("dst/big"))?.ino ?? 0)", new = "#\(lstat(t.sub("dst/new"))?.ino ?? 0)"
            #expect(started.contains { $0.hasPrefix(".big.") || $0 == big }, "writeback of the replacing file: \(started)")
            #expect(!started.contains { $0.hasPrefix(".new.") || $0 == new }, "none for a new name: \(started)")
        }
    }

    /// Hard-link groups are placed in rsync's order: a new member waits while no member of its
    /// group is in place, the first member already in place (up to date or updated) or else
    /// the group's last member gets the data, and the waiting ones are linked to it, also into
    /// directories already finished (whose times stay the source's) and for a group with a link
    /// outside the transfer; a symlink or empty directory in a waiting member's way goes at its
    /// turn; a member -u or --ignore-existing skips neither leads nor is linked. Same tree, same
    /// -i lines, same dry run as rsync (whose dry run itemizes such a member against what is in
    /// the way); a rerun is quiet.
    @Test(arguments: [[], ["--delete"], ["--delay-updates"], ["-u"], ["--ignore-existing"]])
    func hardLinkGroupsArePlacedAsRsync(extra: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src/a src/d1 src/d2 src/d3 src/z src/m dst/m && cd src
            echo one > a/b1 && ln a/b1 a/y.c3
            echo two > L2 && ln L2 c3 && ln L2 z/a1
            echo three > d1/x && ln d1/x d2/x && ln d1/x d3/x
            echo four > o1 && ln o1 o2 && ln o1 ../outside
            echo five > m/p && ln m/p m/q && ln m/p m/r
            mkdir k && echo six > k/g1 && ln k/g1 k/g2 && ln k/g1 ../outside2
            touch -d '2024-03-03' L2 d1/x m/p o1 a/b1 k/g1 && touch -d '2024-04-04' a d1 d2 d3 z m k . && cd ..
            cp -a src/c3 dst/c3 && echo old > dst/m/q && touch -d '2020-01-01' dst/m/q
            mkdir -p dst/d1 dst/d2/x && ln -s nowhere dst/d1/x
            cp -a dst r && cp -a dst s && cp -a dst rn && cp -a dst sn
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        sleep(1)
        let lines = { (r: RunResult) in Set(r.out.split(separator: "\n").map(String.init)) }
        let rn = run(["rsync", "-aHin"] + extra + ["src/", "rn/"], cwd: t.path)
        let sn = run(["sy", "-aHin"] + extra + ["src/", "sn/"], cwd: t.path)
        #expect(rn.code == 0 && sn.code == 0 && lines(rn) == lines(sn), "dry run\nrsync:\n\(rn.out)\nsy:\n\(sn)")
        let r = run(["rsync", "-aHi"] + extra + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-aHi"] + extra + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        #expect(lines(r) == lines(s), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(s.out.contains(">f+++++++++ a/y.c3") && s.out.contains("hf+++++++++ a/b1 => a/y.c3"), "\(s.out)")
        if extra != ["--ignore-existing"] { // (which skips c3: z/a1, the last, leads then)
            #expect(s.out.contains("hf+++++++++ L2 => c3") && s.out.contains("hf+++++++++ d1/x => d3/x"), "\(s.out)")
        }
        let d = TreeSnapshot(t.sub("r"), rootTimes: true).diff(TreeSnapshot(t.sub("s"), rootTimes: true))
        #expect(d.isEmpty, "\(d)")
        guard extra != ["--ignore-existing"] else { return } // (it leaves the files that were there)
        #expect(TreeSnapshot(t.sub("src"), rootTimes: true).diff(TreeSnapshot(t.sub("s"), rootTimes: true)).isEmpty)
        let again = run(["sy", "-aHi", "src/", "s/"], cwd: t.path)
        #expect(again.code == 0 && again.out.isEmpty, "\(again)")
    }

    /// A tree whose every file has a hard link outside the transfer (a snapshot made with
    /// --link-dest), and a group whose second member is more than rsync's lookahead (about
    /// 1,000 entries) after its first: a member is placed at its turn when no other of its
    /// group is in sight, so memory stays bounded and the result is rsync's (tree, directory
    /// times, -i lines in their order, `a/f1` carrying the data of its group, as rsync's
    /// lookahead has it).
    @Test func snapshotTreeWithLinksOutsideIsPlacedAsRsync() throws {
        let t = TempDir()
        let build = """
            mkdir -p src/a src/b src/c outside && for d in a b c; do for i in $(seq 1 500); do echo $d$i > src/$d/f$i && ln src/$d/f$i outside/$d$i; done; done
            ln src/a/f1 src/c/also && touch -d '2024-05-05' src/*/* && touch -d '2024-06-06' src/a src/b src/c src
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        sleep(1)
        let r = run(["rsync", "-aHi", "src/", "r/"], cwd: t.path)
        let s = run(["sy", "-aHi", "src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s.err)")
        let lines = { (x: RunResult) in Set(x.out.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("created directory") }) }
        let differ = lines(r).symmetricDifference(lines(s))
        #expect(differ.isEmpty, "\(differ.sorted().prefix(6))")
        #expect(s.out.contains("hf+++++++++ c/also => a/f1"), "\(s.out.suffix(300))")
        // In rsync's order too: a file with no other member of its group in sight is placed at
        // its turn, not held (the hf line comes when rsync's receiver reports: timing, left out).
        let ordered = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("hf") && !$0.hasPrefix("created directory") } }
        #expect(ordered(s) == ordered(r), "\(zip(ordered(r), ordered(s)).first { $0 != $1 }.map { "\($0)" } ?? "lengths")")
        let d = TreeSnapshot(t.sub("r"), rootTimes: true).diff(TreeSnapshot(t.sub("s"), rootTimes: true))
        #expect(d.isEmpty, "\(d.prefix(5))")
    }

    /// A sender's IO error (-L on a dangling link in a later directory) stops deletions as in
    /// rsync: from there on while deleting during the walk, all of them with --delete-before and
    /// --delete-after, none of those already found with --delete-delay; and all of them when
    /// rsync builds its whole list first (-m, --delay-updates, --no-i-r, --qsort), where its note
    /// comes before any other line, as sy's must (the -i lines are compared whole then).
    @Test(arguments: [["--delete"], ["--delete-before"], ["--delete-after"], ["--delete-delay"], ["--delete", "-m"],
                      ["--delete", "--delay-updates"], ["--delete", "--no-i-r"], ["--delete", "--qsort"]])
    func ioErrorStopsDeletionsAsRsync(mode: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src/a src/z dst/a dst/z && echo 1 > src/f && echo 2 > src/a/g && ln -s /nonexistent/x src/z/dangle
            echo x > dst/extra && echo y > dst/a/extra2 && echo w > dst/z/extra3
            cp -a dst r && cp -a dst s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-aLi"] + mode + ["src/", "r/"], cwd: t.path)
        let s = run(["sy", "-aLi"] + mode + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 23 && s.code == 23, "rsync \(r.code), sy \(s)")
        #expect(s.out.contains("IO error encountered -- skipping file deletion"), "\(s)")
        for f in ["extra", "a/extra2", "z/extra3"] {
            #expect(exists(t.sub("r/" + f)) == exists(t.sub("s/" + f)), "\(mode): \(f)")
        }
        if mode.count > 1 { #expect(r.out == s.out, "\(mode): rsync\n\(r.out)\nsy\n\(s.out)") }
    }

    /// A source argument that does not exist (or, with -L, a dangling link named as one) is a
    /// transfer error (23) but no IO error of the list: rsync still deletes, and so must sy.
    @Test(arguments: [["-ai", "--delete", "src/a", "src/nonexist"], ["-aLi", "--delete", "src/a", "src/dl"],
                      ["-ai", "--delete", "-R", "src/a", "src/nonexist"], ["-ai", "--delete", "-m", "src/a", "src/nonexist"],
                      ["-ai", "--delete-before", "src/a", "src/nonexist"]])
    func missingSourceArgumentStillDeletes(args: [String]) throws {
        let t = TempDir()
        let build = "mkdir -p src/a dst/a dst/src/a && echo x > src/a/f && ln -s nowhere src/dl && echo o > dst/a/extra && echo o > dst/src/a/extra && touch -d 2020-01-01 src src/a src/a/f && find dst -exec touch -d 2020-01-01 {} +"
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let r = run(["rsync"] + args + ["dst/"], cwd: t.sub("r"))
        let s = run(["sy"] + args + ["dst/"], cwd: t.sub("s"))
        #expect(r.code == 23 && s.code == 23, "rsync \(r.code), sy \(s)")
        #expect(r.out == s.out, "rsync\n\(r.out)\nsy\n\(s.out)")
        #expect(r.out.contains("*deleting"), "\(r.out)")
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst"))).isEmpty)
    }

    /// The note that an IO error stops deletions, as rsync's generator says it: in a directory it
    /// looks into, deleting (so never for a list of files only); deleting as it goes, into each
    /// one, made or there, once the error is known, but in a dry run only into those there;
    /// --delete-before into those there first (and the top one, made first), --delete-after
    /// into those there at the end, after the transfers. Whether it is said, and what is deleted, as rsync's, for
    /// each mode, destination and dry run; with -m (a whole list) the -i lines are rsync's.
    /// With --existing, a directory the destination lacks is not made, so not looked into.
    @Test(arguments: [["--delete"], ["--delete-before"], ["--delete-after"], ["--delete-delay"], ["--delete", "-m"], ["--delete", "--existing"]])
    func ioErrorNoteWhereRsyncSaysIt(mode: [String]) throws {
        let note = "IO error encountered -- skipping file deletion"
        let build = "mkdir -p src/a/b dst/a && echo x > src/f && echo y > src/a/b/g && ln -s nowhere src/a/b/zz && ln -s nowhere src/zz && echo o > dst/extra && echo o > dst/a/extra2"
        for places in [["src/", "dst/"], ["src/", "new/"], ["src", "dst/"], ["src/a/b", "dst/"], ["src/a", "dst/"], ["src/f", "src/zz", "new/"]] {
            for dry in [false, true] {
                let t = TempDir()
                #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
                let args = ["-rLi"] + mode + (dry ? ["-n"] : []) + places
                let r = run(["rsync"] + args, cwd: t.sub("r"))
                let s = run(["sy"] + args, cwd: t.sub("s"))
                #expect(r.code == 23 && s.code == 23, "\(args): rsync \(r.code), sy \(s)")
                let deleted = { (x: RunResult) in x.out.split(separator: "\n").filter { $0.hasPrefix("*deleting") }.sorted() }
                #expect(r.out.contains(note) == s.out.contains(note) && deleted(r) == deleted(s), "\(args): rsync\n\(r.out)\nsy\n\(s.out)")
                // (--delete-after: the note comes where rsync would delete, after the transfers.)
                if mode.contains("-m") || mode == ["--delete-after"] { #expect(r.out == s.out, "\(args): rsync\n\(r.out)\nsy\n\(s.out)") }
            }
        }
    }

    /// Named sources (no `dir/`): sy-sum looks at those names in the destination, not at all of
    /// it (a file copied into a big directory, or under a new name, once walked all of it); the
    /// result is rsync's, and nothing else there is touched or deleted.
    @Test func namedSourcesLookOnlyAtTheirNames() throws {
        let t = TempDir()
        let build = """
            mkdir -p src/a/b dst/a && echo 1 > src/a/b/f && echo 2 > src/f && echo old > dst/a/gone
            touch -d 2020-01-01 src/a/b src/a
            for d in $(seq 1 20); do mkdir -p dst/other$d; for f in $(seq 1 100); do echo $f > dst/other$d/x$f; done; done
            cp -a dst r
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let traced = system(script: "command -v strace >/dev/null") == 0
        let log = t.sub("trace")
        let trace = traced ? ["strace", "-f", "-qq", "-e", "trace=newfstatat,statx,fstatat64", "-o", log] : []
        let s = run(trace + ["sy", "-a", "--delete", "src/a", "src/f", "dst/"], cwd: t.path)
        let r = run(["rsync", "-a", "--delete", "src/a", "src/f", "r/"], cwd: t.path)
        #expect(s.code == 0 && r.code == 0, "\(s)")
        // (The top directory got f at another moment in each run.)
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("dst"), rootTimes: false)).isEmpty)
        #expect(!exists(t.sub("dst/a/gone")) && exists(t.sub("dst/other20/x100")))
        if traced {
            let stats = String(decoding: readFile(log) ?? [], as: UTF8.self).split(separator: "\n").filter { $0.contains("stat") }
            // The 2,000 other entries are never looked at; the tools' own start-up and the sources are.
            #expect(stats.count < 1000, "\(stats.count) stat calls")
        }
        // One file under a new name beside the 2,000.
        let one = run(trace + ["sy", "-a", "src/f", "dst/renamed"], cwd: t.path)
        #expect(one.code == 0 && readFile(t.sub("dst/renamed")) == Array("2\n".utf8), "\(one)")
        if traced {
            let stats = String(decoding: readFile(log) ?? [], as: UTF8.self).split(separator: "\n").filter { $0.contains("stat") }
            #expect(stats.count < 1000, "\(stats.count) stat calls")
        }
    }

    /// -K: a destination symlink to a directory stands for the directory the source sends
    /// (its target gets the files and loses its extras); a source symlink still replaces one;
    /// --delete removes an extra link, never what it points to; without -K the link goes.
    @Test(arguments: [["-aiK"], ["-aiK", "--delete"], ["-ai", "--delete"], ["-aiK", "--delete-after"], ["-aiK", "--delete-delay"]])
    func keepDirlinksAsRsync(args: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src/data/sub src/other src/top && echo 1 > src/data/f && echo 2 > src/data/sub/g && echo 3 > src/other/h
            echo 4 > src/top/t && ln -s nowhere src/lnk && ln -s .. src/data/up && touch -d 2020-01-01 src/data/sub src/data src/other src/top src
            mkdir -p r/store/data/old r/store/other r/keep r/real2
            echo old > r/store/data/old/x && echo stale > r/store/data/f && echo k > r/keep/k && echo o > r/real2/o
            ln -s store/data r/data && ln -s store/other r/other && ln -s keep r/lnk && ln -s keep r/extra
            ln -s real2 r/top # a sibling that --delete removes: the link then makes way for a directory
            ln -s .. r/store/data/up # a link back up stays a link (no loop error)
            cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        sleep(1) // rsync leaves a directory's time alone if it changed within the last second
        let r = run(["rsync"] + args + ["--exclude=/store", "--exclude=/keep", "src/", "r/"], cwd: t.path)
        let s = run(["sy"] + args + ["--exclude=/store", "--exclude=/keep", "src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "rsync \(r)\nsy \(s)")
        // The link targets changed now, in each run (rsync sets the time on the link itself, -K's way).
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true).isEmpty, "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(Set(r.out.split(separator: "\n")) == Set(s.out.split(separator: "\n")), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        if args.contains("-aiK") { #expect(readFile(t.sub("s/store/data/sub/g")) == Array("2\n".utf8)) }
    }

    /// -x: a directory on another filesystem is copied as a directory, nothing in it is sent,
    /// and nothing in the destination's copy of it is deleted (rsync). Needs root to mount a tmpfs.
    @Test func oneFileSystemLeavesAMountPointsContents() throws {
        let t = TempDir()
        let build = """
            mkdir -p src/mnt dst/mnt && echo top > src/top && echo old > dst/mnt/old && mount -t tmpfs none src/mnt 2>/dev/null
            """
        guard system(script: "cd \(shellQuote(t.path)) && \(build)") == 0 else { return } // no mount here: nothing to test
        defer { _ = system(script: "umount \(shellQuote(t.sub("src/mnt")))") }
        writeFile(t.sub("src/mnt/inner"), [1])
        #expect(system(script: "cd \(shellQuote(t.path)) && cp -a dst r && cp -a dst s") == 0)
        let r = run(["rsync", "-axi", "--delete", "src/", "r/"], cwd: t.path)
        let s = run(["sy", "-axi", "--delete", "src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        #expect(exists(t.sub("s/mnt/old")) && exists(t.sub("r/mnt/old")), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(!exists(t.sub("s/mnt/inner")) && !exists(t.sub("r/mnt/inner")))
        #expect(Set(r.out.split(separator: "\n")) == Set(s.out.split(separator: "\n")), "rsync:\n\(r.out)\nsy:\n\(s.out)")
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
