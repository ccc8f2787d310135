import Glibc
import SyCore
import SyTestSupport
import Testing

/// sy lists what it does in rsync's order, line for line: a directory's non-directories
/// first, then its subdirectories (names compared as if they ended in "/"), each followed
/// by what it holds; a directory's extras are deleted at its start, last first.
@Suite(.serialized)
struct OutputOrderTests {
    /// Names that sort differently by plain bytes and by rsync's order (`a.x` before `a`
    /// as directories, `q-1` before `q`), nested three deep, files and directories mixed.
    func orderTree(_ root: String, seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let names = ["a", "b", "Z", "a.x", "q-1", "q", "a0"]
        mkdir(root, 0o755)
        for _ in 0..<200 {
            var dir = root
            for _ in 0..<Int(rng.next() % 4) {
                dir += "/" + names[Int(rng.next() % UInt64(names.count))]
                if (try? Sys.fstatat(Sys.atFDCWD, dir.pathBytes))?.kind == nil { mkdir(dir, 0o755) }
                if (try? Sys.fstatat(Sys.atFDCWD, dir.pathBytes))?.kind != .directory { break }
            }
            let file = dir + "/" + ["f", "A", "0", "zz", "a", "b0", "q-1"][Int(rng.next() % 7)]
            if (try? Sys.fstatat(Sys.atFDCWD, dir.pathBytes))?.kind == .directory,
               (try? Sys.fstatat(Sys.atFDCWD, file.pathBytes)) == nil {
                writeFile(file, Array(repeating: 0x78, count: Int(rng.next() % 3000)))
            }
        }
    }

    func lines(_ r: RunResult) -> [String] {
        r.out.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("created directory") }
    }

    /// Without recursion rsync lists the named sources whole before it sends anything, so the
    /// sender's notes ("skipping directory d") come before the first name, line for line.
    @Test(arguments: [["-lv", "*"], ["-tv", "d1", "f", "d0", "g"], ["-lv", "--copy-unsafe-links", "d1", "out", "f"], ["-v", ".", "d1/", "d0"]])
    func notesOfAListWithoutRecursionComeFirst(args: [String]) throws {
        let t = TempDir()
        for d in ["src", "src/d0", "src/d1"] { mkdir(t.sub(d), 0o755) }
        for n in ["f", "g", "d0/x"] { writeFile(t.sub("src/" + n), [1]) }
        writeFile(t.sub("outside"), [2])
        symlink("g", t.sub("src/l")); symlink("../outside", t.sub("src/out"))
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        let sources = args.filter { !$0.hasPrefix("-") }
        let flags = args.filter { $0.hasPrefix("-") }
        func sync(_ tool: String, _ dest: String) -> [String] {
            let r = sh("cd \(shellQuote(t.sub("src"))) && \(tool) \(flags.joined(separator: " ")) \(sources.joined(separator: " ")) ../\(dest)/")
            #expect(r.code == 0, "\(tool): \(r)")
            return r.out.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.hasPrefix("created directory") }
        }
        let r = sync("rsync", "r"), s = sync("sy", "s")
        #expect(r == s, "rsync:\n\(r.joined(separator: "\n"))\nsy:\n\(s.joined(separator: "\n"))")
        #expect(r.contains { $0.hasPrefix("skipping directory") })
    }

    /// Names as rsync writes them: control bytes and bytes of no UTF-8 character as `\#ooo`,
    /// a tab and DEL as they are, a backslash that would read as such an escape escaped too.
    @Test(arguments: [["-ai"], ["-av"], ["-a", "--list-only"], ["-a", "--out-format=%n|%i"]])
    func oddNamesAreWrittenAsRsync(flags: [String]) throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        let names: [[UInt8]] = [Array("a\nb".utf8), Array("t\tab".utf8), Array("back\\slash".utf8), Array("x\\#123y".utf8),
                                Array("z\\#12".utf8), [0xFF, 0xFE], Array("é".utf8), [0x01] + Array("ctl".utf8), Array("del".utf8) + [0x7F]]
        for n in names { writeFile(t.sub("src").pathBytes + [0x2F] + n, [1]) }
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        let r = run(["rsync"] + flags + [t.sub("src") + "/"] + (flags.contains("--list-only") ? [] : [t.sub("r")]))
        let s = run(["sy"] + flags + [t.sub("src") + "/"] + (flags.contains("--list-only") ? [] : [t.sub("s")]))
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        let keep = { (x: RunResult) in x.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.hasPrefix("created directory") } }
        #expect(keep(r) == keep(s), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(s.out.contains("x\\#134#123y") && s.out.contains("t\tab"))
    }

    /// The escaping follows the locale as rsync's does: in C every byte above 0x7F is `\#ooo`,
    /// in a UTF-8 locale only bytes of no character, with -8 none; the log file escapes control
    /// and C1 bytes only, whatever the locale. The log also gets rsync's other printed lines.
    @Test(arguments: [("C", ["-ai"]), ("C", ["-ai", "-8"]), ("C", ["-av"]), ("C.UTF-8", ["-ai"]), ("C.UTF-8", ["-av", "-8"]),
                      ("C.UTF-8", ["-a", "--stats"])])
    func namesAreEscapedForTheLocaleAsRsync(locale: String, flags: [String]) throws {
        let t = TempDir()
        mkdir(t.sub("src"), 0o755)
        let names: [[UInt8]] = [[0xFF, 0xFE], Array("café".utf8), Array("c1".utf8) + [0x9B], [0x1B] + Array("esc".utf8),
                                Array("del".utf8) + [0x7F], Array("t\tab".utf8), [0xC2, 0x9B]]
        for n in names { writeFile(t.sub("src").pathBytes + [0x2F] + n, [1]) }
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        func sync(_ tool: String, _ dest: String) -> ([[UInt8]], [[UInt8]]) {
            let r = run(["env", "LC_ALL=" + locale, tool] + flags + ["--log-file=" + dest + ".log", "src/", dest], cwd: t.path)
            #expect(r.code == 0, "\(tool): \(r)")
            // Byte counts differ; the log's lines lose their time and pid.
            let keep = { (l: ArraySlice<UInt8>) in !l.starts(with: Array("sent ".utf8)) && !l.starts(with: Array("Total bytes".utf8))
                && !l.starts(with: Array("File list".utf8)) }
            let out = r.stdout.split(separator: 0x0A).filter(keep).map { Array($0) }
            let log = (readFile(t.sub(dest + ".log")) ?? []).split(separator: 0x0A)
                .map { l in Array(l.drop { $0 != 0x5D }.dropFirst(2)) }.filter { keep($0[...]) }
            return (out.map { $0.replacingDestination(dest) }, log.map { $0.replacingDestination(dest) })
        }
        let (ro, rl) = sync("rsync", "r")
        let (so, sl) = sync("sy", "s")
        let show = { (x: [[UInt8]]) in x.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") }
        #expect(so == ro, "stdout\nrsync:\n\(show(ro))\nsy:\n\(show(so))")
        #expect(sl == rl, "log\nrsync:\n\(show(rl))\nsy:\n\(show(sl))")
        #expect(ro.count >= 7 && rl.count >= 7)
    }

    /// `%f` is the name under the source's directory, as rsync's sender shows it (one source).
    @Test(arguments: ["src/", "src", "./src/d/", "src/d/f", "src/.", "src//d"])
    func outFormatFileNamesAsRsync(source: String) throws {
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/d && echo 1 > src/d/f && echo 2 > src/g") == 0)
        let r = run(["rsync", "-a", "--out-format=%n|%f", source, "r/"], cwd: t.path)
        let s = run(["sy", "-a", "--out-format=%n|%f", source, "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0 && lines(s) == lines(r) && lines(s).contains { $0.contains("|src") }, "rsync:\n\(r.out)\nsy:\n\(s.out)")
    }

    @Test(arguments: [["-ai"], ["-ain"], ["-av"], ["-rv", "--no-inc-recursive"]])
    func freshCopyListsInRsyncsOrder(flags: [String]) throws {
        let t = TempDir()
        orderTree(t.sub("src"), seed: 11)
        let r = run(["rsync"] + flags + [t.sub("src") + "/", t.sub("r")])
        let s = run(["sy"] + flags + [t.sub("src") + "/", t.sub("s")])
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        // -v ends with rsync's totals, which differ in their figures: compare the listing.
        let rl = lines(r).filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") }
        let sl = lines(s).filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") }
        #expect(rl.count > 100)
        #expect(rl == sl, "rsync:\n\(r.out)\nsy:\n\(s.out)")
    }

    /// -H: the links to a file whose data is sent are listed at the end, before --delete-after's
    /// deletions (rsync's generator links them once the receiver reports the file done), from
    /// the last one waiting: `c` before `a` where `b` gets the data. Links to a file already in
    /// place come at once; a dry run lists each as it comes, and into a destination that is
    /// not there lists them as in place (`hf` and spaces, not counted as created).
    @Test(arguments: [["-aiH", "--delete-after"], ["-avH"], ["-aiHn"], ["-aiiH"]])
    func hardLinksListedAsRsync(flags: [String]) throws {
        let build = """
            mkdir -p src/d1 src/d2 src/g src/k dst/g dst/k
            for d in d1 d2; do echo $d > src/$d/f; ln src/$d/f src/$d/h; done
            echo 1 > src/g/a && ln src/g/a src/g/b && ln src/g/a src/g/c && echo other > dst/g/b
            echo 2 > src/k/a && ln src/k/a src/k/b && cp -p src/k/a dst/k/a && echo x > dst/extra
            touch -d 2020-01-01 src/*/* src/* src dst/*/* dst/* dst
            cp -a dst r && cp -a dst s
            """
        let t = TempDir()
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        sleep(1)
        for (round, source, dest) in [("existing", "src/", ["r/", "s/"]), ("missing", "src/", ["r2/", "s2/"]), ("named", "src", ["r3/", "s3/"])] {
            let r = run(["rsync", "--stats"] + flags + [source, dest[0]], cwd: t.path)
            let s = run(["sy", "--stats"] + flags + [source, dest[1]], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
            let shown = { (x: RunResult) in
                self.lines(x).filter { l in !["sent ", "total size", "Total bytes", "File list gen", "Total transferred"].contains { l.hasPrefix($0) } }
            }
            #expect(shown(s) == shown(r), "\(flags) \(round)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
            #expect(s.out.contains("h/h => ") || s.out.contains("h/f => ") || s.out.contains("1/h => ") || s.out.contains("1/f => "), "\(s.out)")
        }
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty)
        #expect(TreeSnapshot(t.sub("r2")).diff(TreeSnapshot(t.sub("s2"))).isEmpty)
        #expect(TreeSnapshot(t.sub("r3")).diff(TreeSnapshot(t.sub("s3"))).filter { !$0.hasPrefix(".:") }.isEmpty) // (made now)
    }

    /// -v and -i with --delete: a directory's deletions come before its own line, as rsync's
    /// generator deletes in a directory before it lists it (rsync's exact interleaving varies
    /// with its processes' timing; this holds in every order it prints, and sy's lines are its).
    @Test(arguments: [["-av", "--delete"], ["-ai", "--delete"]])
    func deletionsGoBeforeTheirDirectorysLine(flags: [String]) throws {
        let t = TempDir()
        let build = "mkdir -p src/a/b dst/a/b && echo x > src/a/f && echo o > dst/a/o && echo p > dst/p && echo q > dst/a/b/q && touch -d 2020-01-01 src/a/f src/a/b src/a src && touch -d 2021-01-01 dst/a/b dst/a dst && cp -a dst r && cp -a dst s"
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync"] + flags + ["src/", "r/"], cwd: t.path)
        let s = run(["sy"] + flags + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        let listing = { (x: RunResult) in self.lines(x).filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.hasPrefix("sending ") } }
        for (out, who) in [(listing(r), "rsync"), (listing(s), "sy")] {
            for (dir, deleted) in [("./", "p"), ("a/", "a/o"), ("a/b/", "a/b/q")] {
                let d = out.firstIndex { $0.hasSuffix(" " + dir) || $0 == dir }, x = out.firstIndex { $0.hasSuffix(" " + deleted) }
                #expect(d != nil && x != nil && x! < d!, "\(who): \(out)")
            }
        }
        #expect(Set(listing(r)) == Set(listing(s)), "rsync:\n\(r.out)\nsy:\n\(s.out)")
    }

    /// With --delete, each directory's extras go right before the directory's own line, in
    /// rsync's delete_in_dir order; a directory replaced by a file lists what was in it only.
    @Test func deletionsComeAtTheirDirectorysStartLastFirst() throws {
        let t = TempDir()
        let build = """
            mkdir -p src/keep src/file2dir dst/keep/gone.d/inner dst/keep/z.d dst/dir2file/deep
            for f in src/keep/k src/file2dir/x src/dir2file dst/keep/k dst/keep/a dst/keep/zz \\
                dst/keep/gone.d/inner/f dst/dir2file/deep/y dst/file2dir dst/extra; do echo "$f" > "$f"; done
            cp -a dst r && cp -a dst s
            touch -d 2020-01-01 src/keep src/file2dir src
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let s = run(["sy", "-ain", "--delete", t.sub("src") + "/", t.sub("s")])
        #expect(s.code == 0, "\(s)")
        let sl = lines(s)
        // The order rsync's generator works in (its output interleaves two processes).
        let expected = ["*deleting   extra", "*deleting   dir2file/deep/y", "*deleting   dir2file/deep/", ">f+++++++++ dir2file",
                        "cd+++++++++ file2dir/", ">f+++++++++ file2dir/x",
                        "*deleting   keep/z.d/", "*deleting   keep/gone.d/inner/f", "*deleting   keep/gone.d/inner/",
                        "*deleting   keep/gone.d/", "*deleting   keep/zz", "*deleting   keep/a"]
        let body = sl.filter { !$0.hasPrefix(".d") && !$0.hasPrefix(">f.") }
        #expect(body == expected, "sy:\n\(s.out)")
        // rsync lists the same lines (in an order that depends on its processes' timing).
        let r = run(["rsync", "-ain", "--delete", t.sub("src") + "/", t.sub("r")])
        #expect(Set(lines(r)) == Set(sl), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        // And the real runs make the same tree (rsync leaves alone a directory changed in the last second).
        sleep(1)
        _ = run(["rsync", "-a", "--delete", t.sub("src") + "/", t.sub("r")])
        let real = run(["sy", "-a", "--delete", t.sub("src") + "/", t.sub("s")])
        #expect(real.code == 0)
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty)
    }

    /// --delete-after and --delete-delay delete when everything else is done, in the same
    /// order, and the directories keep their times.
    @Test(arguments: ["--delete-after", "--delete-delay"])
    func deleteAfterDeletesLast(mode: String) throws {
        let t = TempDir()
        let build = """
            mkdir -p src/a/b src/c dst/a/b dst/c/old.d dst/z.d
            for f in src/n1 src/a/n2 src/a/b/n3 src/c/n4 dst/g1 dst/a/g2 dst/a/b/g3 dst/c/old.d/g4 dst/z.d/g5; do echo "$f" > "$f"; done
            touch -d 2020-01-01 src/a/b src/a src/c src
            cp -a dst r && cp -a dst s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        sleep(1) // rsync leaves a directory's time alone if it changed within the last second
        let r = run(["rsync", "-ai", mode, "src/", "r/"], cwd: t.path)
        let s = run(["sy", "-ai", mode, "src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        let sl = lines(s), rl = lines(r)
        let firstDelete = sl.firstIndex { $0.hasPrefix("*deleting") } ?? sl.count
        #expect(firstDelete < sl.count && sl[firstDelete...].allSatisfy { $0.hasPrefix("*deleting") }, "sy:\n\(s.out)")
        #expect(sl.filter { $0.hasPrefix("*deleting") } == rl.filter { $0.hasPrefix("*deleting") }, "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(Set(sl) == Set(rl), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty)
    }

    /// --delete-before deletes everything before the first transfer, in rsync's order; a
    /// directory it deleted in is then listed with its time to set (rsync's generator finds it
    /// changed), except in a dry run; a name of another kind is replaced, not deleted first.
    @Test(arguments: [["-ai"], ["-ain"], ["-av"]])
    func deleteBeforeDeletesFirst(flags: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src/a/b src/c dst/a/b dst/c/old.d dst/z.d dst/c/n4.d
            for f in src/n1 src/a/n2 src/a/b/n3 src/c/n4.d dst/g1 dst/a/g2 dst/a/b/g3 dst/c/old.d/g4 dst/z.d/g5 dst/c/n4.d/in; do echo "$f" > "$f"; done
            touch -d 2020-01-01 src/a/b src/a src/c src dst/a/b dst/a dst/c dst
            cp -a dst r && cp -a dst s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        sleep(1) // rsync leaves a directory's time alone if it changed within the last second
        let r = run(["rsync"] + flags + ["--delete-before", "src/", "r/"], cwd: t.path)
        let s = run(["sy"] + flags + ["--delete-before", "src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        let listing = { (r: RunResult) in
            self.lines(r).filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.hasPrefix("building file list") && !$0.isEmpty }
        }
        let sl = listing(s), rl = listing(r)
        let deletion = { (l: String) in l.hasPrefix("*deleting") || l.hasPrefix("deleting ") }
        // The deletion pass: the seven extras (the directory replaced by a file is emptied in
        // the transfer pass, whose lines interleave with rsync's generator's as timing has it).
        #expect(rl.prefix(7).allSatisfy(deletion), "rsync:\n\(r.out)")
        #expect(sl.prefix(7) == rl.prefix(7), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(Set(sl) == Set(rl), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        if flags == ["-ai"] { #expect(sl.contains(".d..t...... a/b/")) }
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty)
    }

    /// -m with --delete: a directory pruned for holding nothing is left out of its parent's
    /// names, so its namesake goes at the parent's start, as rsync deletes it (rsync's list
    /// never had it); a name of the other kind is replaced, not deleted.
    @Test func prunedDirectoriesDeleteAsRsync() throws {
        let t = TempDir()
        let build = """
            mkdir -p src/a/empty src/a/full src/b src/c && echo 1 > src/a/full/f && echo 2 > src/b/g && echo 3 > src/c/k
            mkdir -p dst/a/empty dst/a/old dst/zz dst/c && echo x > dst/a/old/x && echo y > dst/a/extra && echo z > dst/zz/z
            echo c > dst/c/k.d && ln -s nowhere dst/b2 && echo file > dst/c/kk && echo was-a-file > dst/b
            touch -d 2020-01-01 src/a/empty src/a/full src/a src/b src/c src dst/a dst/c dst
            cp -a dst r && cp -a dst s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        sleep(1)
        let r = run(["rsync", "-aim", "--delete", "src/", "r/"], cwd: t.path)
        let s = run(["sy", "-aim", "--delete", "src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s)")
        let del = { (x: RunResult) in self.lines(x).filter { $0.hasPrefix("*deleting") } }
        #expect(del(s) == del(r), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(Set(lines(s)) == Set(lines(r)), "rsync:\n\(r.out)\nsy:\n\(s.out)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty)
    }

    /// -v and --out-format=%n name a directory whose time or mode changes, not a file whose
    /// only change is its mode (rsync's sender logs directories with significant item flags).
    @Test(arguments: [["-av"], ["-a", "--out-format=%n"], ["-rlptv"]])
    func verboseNamesChangedDirectories(flags: [String]) throws {
        let t = TempDir()
        let build = """
            mkdir -p src/a/b src/c src/d && for f in src/f src/a/g src/a/b/h src/c/i; do echo "$f" > "$f"; done
            touch -d 2020-01-01 src/a/b src/a src/c src/d src
            rsync -a src/ r/ && rsync -a src/ s/
            for d in r s; do touch $d/a $d/a/b && chmod 700 $d/c && chmod 600 $d/f $d/a/g; done
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync"] + flags + ["src/", "r/"], cwd: t.path)
        let s = run(["sy"] + flags + ["src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        let listing = { (r: RunResult) in
            self.lines(r).filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.isEmpty }
        }
        #expect(listing(r).contains("a/b/") && listing(r).contains("c/"), "rsync:\n\(r.out)")
        #expect(listing(s) == listing(r), "rsync:\n\(r.out)\nsy:\n\(s.out)")
    }

    /// A file whose data came but that could not be put in place (an immutable file in the
    /// way: the rename fails) is listed and counted as sent, then its error is said, as
    /// rsync's receiver lists it before finish_transfer; its source stays with
    /// --remove-source-files. Written to a pipe, the lines before the error come before it.
    @Test func fileThatCannotBePutInPlaceIsListedThenFails() throws {
        let t = TempDir()
        var immutable: [String] = []
        defer { for p in immutable { _ = system(script: "chattr -i \(shellQuote(p))") } }
        for side in ["r", "s"] {
            mkdir(t.sub(side + "src"), 0o755); mkdir(t.sub(side), 0o755)
            for n in ["a", "b", "c"] { writeFile(t.sub(side + "src/" + n), Array(n.utf8) + [0x0A]) }
            writeFile(t.sub(side + "/b"), Array("old\n".utf8))
            guard system(script: "chattr +i \(shellQuote(t.sub(side + "/b"))) 2>/dev/null") == 0 else {
                print("skipped: \(t.path) has no immutable files (chattr)"); return
            }
            immutable.append(t.sub(side + "/b"))
        }
        let args = ["-ai", "--stats", "--remove-source-files"]
        let r = run(["rsync"] + args + ["rsrc/", "r/"], cwd: t.path)
        let s = run(["sy"] + args + ["ssrc/", "s/"], cwd: t.path)
        #expect(r.code == 23 && s.code == 23, "\(s)")
        func items(_ x: RunResult) -> [String] { x.out.split(separator: "\n").filter { $0.hasPrefix(">f") }.map(String.init) }
        #expect(items(s) == items(r) && items(s) == [">f+++++++++ a", ">f.s....... b", ">f+++++++++ c"], "rsync:\n\(r.out)\nsy:\n\(s.out)")
        for figure in ["Number of regular files transferred: 3", "Number of created files: 2 (reg: 2)", "Total transferred file size: 6 bytes"] {
            #expect(r.out.contains(figure) && s.out.contains(figure), "\(figure)\nsy:\n\(s.out)")
        }
        #expect(readFile(t.sub("s/b")) == Array("old\n".utf8) && readFile(t.sub("s/a")) == Array("a\n".utf8))
        // Sources sent and in place are removed; b's stays, as rsync's.
        for side in ["r", "s"] {
            let left = ["a", "b", "c"].filter { readFile(t.sub(side + "src/" + $0)) != nil }
            #expect(left == ["b"], "\(side): \(left)")
        }
        // stdout and stderr into one pipe: the error after b's line, before c's.
        _ = system(script: "chattr -i \(shellQuote(t.sub("s/b"))) && rm -rf \(shellQuote(t.sub("s"))) && mkdir \(shellQuote(t.sub("s")))")
        writeFile(t.sub("s/b"), Array("old\n".utf8))
        for n in ["a", "c"] { writeFile(t.sub("ssrc/" + n), Array(n.utf8) + [0x0A]) }
        #expect(system(script: "chattr +i \(shellQuote(t.sub("s/b")))") == 0)
        let merged = system(script: "cd \(shellQuote(t.path)) && \(shellQuote(Tools.path("sy"))) -ai ssrc/ s/ 2>&1 | cat > merged")
        #expect(merged == 0)
        let lines = String(decoding: readFile(t.sub("merged")) ?? [], as: UTF8.self).split(separator: "\n").map(String.init)
        let failure = lines.firstIndex { $0.contains("rename failed for") } ?? -1
        #expect(failure > 0 && lines[failure - 1].hasPrefix(">f.s") && lines[failure - 1].hasSuffix(" b")
                    && lines.firstIndex(of: ">f+++++++++ c").map { $0 > failure } == true,
                "\(lines)")
    }

    /// A directory larger than sy-sum reads ahead (50,000 entries) still loses exactly its
    /// extras; they go when the merge meets them instead of at the directory's start.
    @Test func hugeDirectoryDeletesItsExtrasAll() throws {
        let t = TempDir()
        let build = """
            mkdir -p src/big dst/big/zz-dir && cd src/big && seq -f 'f%06g' 1 50010 | xargs touch && cd ../..
            touch dst/big/a-extra dst/big/zzz-extra dst/big/f000007 dst/big/zz-dir/inner && cp -a dst r && cp -a dst s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync", "-ai", "--delete", "src/", "r/"], cwd: t.path)
        let s = run(["sy", "-ai", "--delete", "src/", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(s.err)")
        let deletions = { (x: RunResult) in Set(x.out.split(separator: "\n").filter { $0.hasPrefix("*deleting") }) }
        #expect(deletions(s) == deletions(r) && deletions(s).count == 4, "\(deletions(s))")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false)).isEmpty)
    }
}

extension Array where Element == UInt8 {
    /// "created directory r" and "created directory s" compare equal.
    func replacingDestination(_ dest: String) -> [UInt8] {
        self == Array(("created directory " + dest).utf8) ? Array("created directory D".utf8) : self
    }
}
