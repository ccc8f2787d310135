import Glibc
import SyCore
import SyTestSupport
import Testing

/// --backup, --backup-dir and --suffix against rsync (trees and what is printed).
@Suite(.serialized)
struct BackupTests {
    func setUp(_ t: TempDir, _ names: [String]) {
        mkdir(t.sub("src"), 0o755)
        writeFile(t.sub("src/changed"), Array("new content".utf8))
        writeFile(t.sub("src/same"), Array("same".utf8))
        for n in names {
            mkdir(t.sub(n), 0o755); mkdir(t.sub(n + "/sub"), 0o755)
            writeFile(t.sub(n + "/changed"), Array("old".utf8))
            writeFile(t.sub(n + "/gone"), Array("deleted".utf8))
            writeFile(t.sub(n + "/sub/deep"), Array("deep".utf8))
            _ = system(script: "cp -p \(shellQuote(t.sub("src/same"))) \(shellQuote(t.sub(n)))/")
        }
        touchTree(t.path, "2024-05-06 07:08:09")
        _ = system(script: "touch -d '2024-06-01' \(shellQuote(t.sub("src/changed")))")
    }

    @Test(arguments: [["-b"], ["-b", "--suffix=.bak"], ["--backup-dir=../kept"], ["--backup-dir=old", "--suffix=.v1"]])
    func backupsMatchRsync(flags: [String]) throws {
        let t = TempDir("backup")
        setUp(t, ["r", "s"])
        for round in 0..<2 {
            let r = run(["rsync", "-a", "--delete"] + flags.map { $0.replacingOccurrences(of: "../kept", with: "../kept-r") } + [t.sub("src") + "/", t.sub("r")])
            let s = run(["sy", "-a", "--delete"] + flags.map { $0.replacingOccurrences(of: "../kept", with: "../kept-s") } + [t.sub("src") + "/", t.sub("s")])
            #expect(r.code == 0 && s.code == 0, "round \(round) \(flags): \(s)")
            // rsync's notes, e.g. a deleted directory its backups keep ("cannot delete non-empty directory").
            #expect(Set(r.out.split(separator: "\n")) == Set(s.out.split(separator: "\n")), "rsync:\n\(r.out)\nsy:\n\(s.out)")
            let d = TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(flags) round \(round): \(d.prefix(5))")
            if flags.contains("--backup-dir=../kept") {
                let k = TreeSnapshot(t.sub("kept-r")).diff(TreeSnapshot(t.sub("kept-s")), ignoringDirTimes: true)
                #expect(k.isEmpty, "backup dirs differ: \(k.prefix(5))")
            }
        }
        #expect(readFile(t.sub("s/changed")) == Array("new content".utf8))
    }
}
