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
}
