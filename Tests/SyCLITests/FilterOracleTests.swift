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
    ]

    func tree(_ root: String) {
        let files = ["top.txt", "a.txt", "b.txt", "z.txt", "x.o", "notes.tmp", ".hidden", ".hiddendir/f", "with space.txt",
                     "build/out.o", "build/log.log", "build/sub/a.c", "src/main.c", "src/main.h", "src/keep.c", "src/x.o",
                     "src/sub/x.c", "src/sub/deep/d.txt", "src/sub/deep/e.c", "docs/readme", "docs/deep/f.txt", "m.txt", "q.h"]
        for f in files {
            let p = root + "/" + f
            _ = system(script: "mkdir -p \(shellQuote(String(p[..<p.lastIndex(of: "/")!])))")
            writeFile(p, Array(f.utf8))
        }
        _ = system(script: "find \(shellQuote(root)) -exec touch -h -d '2024-01-02 03:04:05' {} +")
    }

    /// Destination contents that --delete must keep or remove according to the rules.
    func extras(_ dst: String) {
        for f in ["extra.o", "extra.txt", "build/extra", "src/extra.c", "old/thing", "top.txt"] {
            let p = dst + "/" + f
            _ = system(script: "mkdir -p \(shellQuote(String(p[..<p.lastIndex(of: "/")!])))")
            writeFile(p, [9])
        }
        _ = system(script: "find \(shellQuote(dst)) -exec touch -h -d '2023-05-06 07:08:09' {} +")
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

    @Test func badRulesExit1() {
        let r = run(["sy", "-a", "--filter=merge .rules", "a/", "b"])
        #expect(r.code == 1 && r.err.contains("filter rule"), "\(r)")
    }
}
