import Glibc
import SyCore
import SyTestSupport
import Testing

/// --link-dest snapshots (backup rotation) and --compare-dest, against rsync.
@Suite(.serialized)
struct SnapshotTests {
    /// Paths of `snap` whose inode is the same as in `prev`.
    func shared(_ snap: String, _ prev: String) -> Set<String> {
        var out: Set<String> = []
        for (p, n) in TreeSnapshot(snap).nodes where n.kind == .file {
            let path = p.displayName
            if let a = lstat(snap + "/" + path), let b = lstat(prev + "/" + path), a.ino == b.ino { out.insert(path) }
        }
        return out
    }

    @Test(arguments: [71, 72] as [UInt64])
    func linkDestSnapshotsShareInodesAsRsyncs(seed: UInt64) throws {
        let t = TempDir("snap")
        mkdir(t.sub("src"), 0o755)
        var gen = TreeGen(seed: seed)
        gen.maxFiles = 50
        gen.populate(t.sub("src"))
        sleep(1)
        #expect(run(["rsync", "-a", t.sub("src") + "/", t.sub("r1")]).code == 0)
        #expect(run(["sy", "-a", t.sub("src") + "/", t.sub("s1")]).code == 0)
        gen.mutate(t.sub("src"))
        sleep(1)
        let r = run(["rsync", "-a", "--link-dest=../r1", t.sub("src") + "/", t.sub("r2")])
        let s = run(["sy", "-a", "--link-dest=../s1", t.sub("src") + "/", t.sub("s2")])
        #expect(r.code == 0, "\(r)")
        #expect(s.code == 0, "\(s)")
        // Hard links inside each snapshot are compared by the sharing check below; the trees
        // themselves must agree in everything else.
        var a = TreeSnapshot(t.sub("r2")), b = TreeSnapshot(t.sub("s2"))
        for k in a.nodes.keys { a.nodes[k]!.links = [] }
        for k in b.nodes.keys { b.nodes[k]!.links = [] }
        let d = a.diff(b, ignoringDirTimes: true)
        #expect(d.isEmpty, "\(d.prefix(5))")
        let rs = shared(t.sub("r2"), t.sub("r1")), ss = shared(t.sub("s2"), t.sub("s1"))
        #expect(!ss.isEmpty)
        #expect(rs == ss, "rsync shares \(rs.count) files, sy \(ss.count): \(rs.symmetricDifference(ss).prefix(5))")
    }

    @Test func compareDestSkipsUnchangedFiles() throws {
        let t = TempDir("snap")
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/same"), [1]); writeFile(t.sub("src/diff"), [2])
        _ = system(script: "touch -d '2024-01-01' \(shellQuote(t.sub("src")))/*")
        _ = system(script: "mkdir -p \(shellQuote(t.sub("base"))) && cp -p \(shellQuote(t.sub("src/same"))) \(shellQuote(t.sub("base")))/")
        let s = run(["sy", "-a", "--compare-dest=" + t.sub("base"), t.sub("src") + "/", t.sub("out")])
        let r = run(["rsync", "-a", "--compare-dest=" + t.sub("base"), t.sub("src") + "/", t.sub("rout")])
        #expect(s.code == 0 && r.code == 0, "\(s)")
        #expect(!exists(t.sub("out/same")) && exists(t.sub("out/diff")))
        #expect(TreeSnapshot(t.sub("rout")).diff(TreeSnapshot(t.sub("out")), ignoringDirTimes: true).isEmpty)
    }

    /// A symlink (or another non-directory) in the destination where the source has a file
    /// that a reference dir holds unchanged: it goes, and the file is not copied, as rsync's
    /// generator does. sy-sum's deletion of the symlink carried no target, which every reader
    /// of the stream refuses (exit 12).
    @Test(arguments: ["--compare-dest=../ref", "--link-dest=../ref", "--copy-dest=../ref"])
    func referenceMatchReplacesAnotherTypeAsRsync(option: String) throws {
        let t = TempDir("snap")
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/f"), Array(repeating: 7, count: 3000))
        writeFile(t.sub("src/g"), [1, 2])
        _ = mkfifo(t.sub("src/p"), 0o644)
        _ = system(script: "touch -h -d '2024-01-01' \(shellQuote(t.sub("src")))/* && cp -a \(shellQuote(t.sub("src"))) \(shellQuote(t.sub("ref")))")
        for d in ["r", "s"] {
            mkdir(t.sub(d), 0o755)
            _ = symlink("gone", t.sub(d + "/f"))
            _ = symlink("g-target", t.sub(d + "/g"))
            writeFile(t.sub(d + "/p"), [9])
        }
        for v in ["-a", "-ai"] {
            let r = run(["rsync", v, option, "src/", "r/"], cwd: t.path)
            let s = run(["sy", v, option, "src/", "s/"], cwd: t.path)
            #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
            #expect(s.out == r.out, "\(option) \(v)")
            let d = TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(option): \(d.prefix(5))")
        }
    }

    /// Without -p a new file built against a basis takes that basis's permissions in rsync: a
    /// reference dir's file that fails the quick check, or kept partial data (--partial-dir, even
    /// where the file exists, and with -W where the data is not used). Modes, trees and the
    /// matched data (the reference used as the delta's basis) against rsync's. With -y a file a delta
    /// updates is no basis for the files after it (g for h here), as in rsync, unless it was
    /// updated before the directory's first look for one (e for e2: rsync lists it then).
    @Test(arguments: ["--compare-dest=../ref", "--copy-dest=../ref", "--link-dest=../ref", "--no-W --compare-dest=../ref",
                      "-E --link-dest=../ref", "--partial-dir=.p", "--no-W --partial-dir=.p", "--no-W -y --partial-dir=.p"])
    func newFileTakesItsBasisPermissionsAsRsync(options: String) throws {
        let t = TempDir("snap")
        let data = (0..<120_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        for side in ["r", "s"] {
            let src = t.sub(side + "/src"), ref = t.sub(side + "/ref"), dst = t.sub(side + "/dst")
            mkdir(t.sub(side), 0o755); mkdir(src, 0o755); mkdir(ref, 0o755); mkdir(dst, 0o755); mkdir(dst + "/.p", 0o755)
            #expect(writeFile(src + "/f", data, mode: 0o755))
            #expect(writeFile(ref + "/f", Array(data[..<90_000]), mode: 0o700))
            #expect(writeFile(src + "/g", [1, 2, 3], mode: 0o644))
            #expect(writeFile(dst + "/.p/g", [1], mode: 0o600))
            #expect(writeFile(dst + "/g", [9], mode: 0o640))
            #expect(writeFile(src + "/h", Array(data[..<5_000]), mode: 0o644))
            #expect(writeFile(dst + "/h.old", Array(data[..<4_000]), mode: 0o604))
            #expect(writeFile(src + "/e", Array(data[..<3_000]), mode: 0o644))
            #expect(writeFile(dst + "/e", Array(data[..<2_000]), mode: 0o600))
            #expect(writeFile(src + "/e2", Array(data[..<2_500]), mode: 0o644))
        }
        #expect(system(script: "find \(shellQuote(t.path)) -type f -exec touch -d '2024-05-01 10:00' {} +") == 0)
        let args = options.split(separator: " ").map(String.init)
        let r = run(["rsync", "-rt", "--stats"] + args + [t.sub("r/src") + "/", t.sub("r/dst") + "/"])
        let s = run(["sy", "-rt", "--stats"] + args + [t.sub("s/src") + "/", t.sub("s/dst") + "/"])
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        for name in ["e", "e2", "f", "g", "h"] {
            let a = lstat(t.sub("r/dst/" + name)), b = lstat(t.sub("s/dst/" + name))
            #expect(a != nil && a?.perms == b?.perms, "\(name): rsync \(String(a?.perms ?? 0, radix: 8)), sy \(String(b?.perms ?? 0, radix: 8))")
        }
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst")), ignoringDirTimes: true).isEmpty)
        let matched = { (out: String) in out.split(separator: "\n").first { $0.hasPrefix("Matched data:") } ?? "" }
        if options.contains("--no-W") && options.contains("dest") {
            #expect(matched(r.out) != "Matched data: 0 bytes" && matched(s.out) != "Matched data: 0 bytes", "\(r.out)\n\(s.out)")
        }
    }

    /// --compare-dest where the destination has another type in the way of a file the
    /// reference stands for: the way is cleared, nothing made, and -ii lists the file as up to
    /// date (sy listed nothing), --remove-source-files takes its source, as rsync's.
    @Test(arguments: [["-a", "-ii"], ["-a", "-ii", "--remove-source-files"], ["-aH", "-i"]])
    func compareDestOverAnotherTypeAsRsync(args: [String]) throws {
        let t = TempDir("snap")
        let build = "mkdir -p src/d ref/d && echo x > src/d/x && echo y > src/d/y && echo z > src/d/z && cp -a src/d/x src/d/z ref/d/"
            + " && touch -d 2020-01-01 src/d/x src/d/y src/d/z ref/d/x ref/d/z src/d && mkdir -p dst/d && ln -s gone dst/d/x && mkfifo dst/d/z"
            + " && touch -d 2020-01-02 dst/d dst && cp -a src src2 && cp -a dst r && cp -a dst s && cp -a src rsrc"
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let r = run(["rsync"] + args + ["--compare-dest=../ref", "rsrc/d", "r/"], cwd: t.path)
        let s = run(["sy"] + args + ["--compare-dest=../ref", "src/d", "s/"], cwd: t.path)
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        #expect(s.out == r.out, "rsync\n\(r.out)\nsy\n\(s.out)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s"))).isEmpty)
        #expect(TreeSnapshot(t.sub("rsrc")).diff(TreeSnapshot(t.sub("src")), ignoringDirTimes: true).isEmpty, "sources after --remove-source-files")
    }

    /// -H --ignore-existing: a member of a hard-linked group that the destination has stays as it
    /// is, even where the new member before it is linked or copied from a reference dir (sy
    /// linked it to that member, backup and all).
    @Test(arguments: ["", "--link-dest=../ref", "--copy-dest=../ref", "-b --link-dest=../ref"])
    func ignoreExistingLeavesAnExistingLinkMemberAsRsync(options: String) throws {
        let t = TempDir("snap")
        for side in ["r", "s"] {
            let base = t.sub(side)
            for d in ["", "/src", "/ref", "/dst"] { mkdir(base + d, 0o755) }
            #expect(writeFile(base + "/src/a", Array("hello\n".utf8)))
            #expect(link(base + "/src/a", base + "/src/b") == 0)
            #expect(system(script: "touch -d 2020-01-01 \(shellQuote(base))/src/a && cp -p \(shellQuote(base))/src/a \(shellQuote(base))/ref/a && cp -p \(shellQuote(base))/src/a \(shellQuote(base))/dst/b") == 0)
            // (The roots' times pinned: made a clock tick apart or not, their ./ line came and went.)
            #expect(system(script: "touch -d 2020-01-02 \(shellQuote(base))/src && touch -d 2020-01-03 \(shellQuote(base))/dst") == 0)
        }
        let args = ["-rtH", "-i", "--ignore-existing"] + options.split(separator: " ").map(String.init)
        let r = run(["rsync"] + args + [t.sub("r/src") + "/", t.sub("r/dst") + "/"])
        let s = run(["sy"] + args + [t.sub("s/src") + "/", t.sub("s/dst") + "/"])
        #expect(r.code == 0 && s.code == 0, "\(r)\n\(s)")
        #expect(s.out == r.out)
        #expect(lstat(t.sub("s/dst/b"))?.nlink == 1 && lstat(t.sub("r/dst/b"))?.nlink == 1)
        #expect(TreeSnapshot(t.sub("r/dst")).diff(TreeSnapshot(t.sub("s/dst")), ignoringDirTimes: true).isEmpty)
    }
}
