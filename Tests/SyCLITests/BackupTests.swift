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

    /// A destination file that a reference dir's identical copy replaces is unlinked without a
    /// backup, as rsync's try_dests_reg does; a file sent anew is backed up.
    @Test(arguments: ["--link-dest=../ref", "--compare-dest=../ref"], [["-b"], ["--backup-dir=KEPT"]])
    func referenceReplacementsAreNotBackedUp(reference: String, flags: [String]) {
        let t = TempDir("backup")
        let build = """
            mkdir -p src ref r
            echo new > src/a; echo new > ref/a; echo old > r/a; echo changed > src/b; echo old > r/b
            touch -d 2020-01-01 src/a ref/a src/b src ref; cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        for (tool, root) in [("rsync", "r"), ("sy", "s")] {
            let x = run([tool, "-ai", reference] + flags.map { $0.replacing("KEPT", with: "../kept-" + root) } + ["src/", root + "/"], cwd: t.path)
            #expect(x.code == 0, "\(tool): \(x)")
        }
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true).isEmpty)
        if flags == ["-b"] {
            #expect(exists(t.sub("r/b~")) && !exists(t.sub("r/a~")) && exists(t.sub("s/b~")) && !exists(t.sub("s/a~")))
        } else {
            #expect(TreeSnapshot(t.sub("kept-r")).diff(TreeSnapshot(t.sub("kept-s")), ignoringDirTimes: true).isEmpty)
            #expect(exists(t.sub("kept-s/b")) && !exists(t.sub("kept-s/a")))
        }
    }

    /// A directory made in --backup-dir takes the mode the destination's directory has when the
    /// backup is made (rsync's make_bak_dir), not the source's: without -p that is its own.
    /// (Two levels: the mode of a directory above the file's is looked up too.)
    @Test(arguments: [["-rt", "--chmod=Dg+s"], ["-rt"], ["-a"], ["-a", "--chmod=Do-rx"]])
    func backupDirectoriesTakeTheDestinationsModeAsRsync(flags: [String]) {
        let t = TempDir("backup")
        let build = """
            mkdir -p src/sub/d2 r/sub/d2 && echo new > src/sub/f && echo old > r/sub/f && chmod 755 src/sub && chmod 710 r/sub
            echo new > src/sub/d2/g && echo old > r/sub/d2/g && chmod 750 r/sub/d2
            touch -d 2020-01-01 src/sub/d2/g src/sub/d2 src/sub/f src/sub src && cp -a r s
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        for (tool, root) in [("rsync", "r"), ("sy", "s")] {
            let x = run([tool] + flags + ["--backup-dir=../kept-" + root, "src/", root + "/"], cwd: t.path)
            #expect(x.code == 0, "\(tool): \(x)")
        }
        for d in ["sub", "sub/d2"] {
            let a = lstat(t.sub("kept-r/" + d)), b = lstat(t.sub("kept-s/" + d))
            #expect(a != nil && a?.perms == b?.perms, "\(d): rsync \(String(a?.perms ?? 0, radix: 8)), sy \(String(b?.perms ?? 0, radix: 8))")
        }
        #expect(TreeSnapshot(t.sub("kept-r")).diff(TreeSnapshot(t.sub("kept-s")), ignoringDirTimes: true).isEmpty)
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true).isEmpty)
    }

    // (--backup-dir makes backups even with --no-backup, before or after it, as in rsync;
    // -b then --no-backup makes none.)
    @Test(arguments: [["-b"], ["-b", "--suffix=.bak"], ["--backup-dir=../kept"], ["--backup-dir=old", "--suffix=.v1"],
                      ["--backup-dir=../kept", "--no-backup"], ["--no-backup", "--backup-dir=../kept"], ["-b", "--no-backup"]])
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

    /// -vv (rsync's --info=backup): "backup_dir is DIR" first, "(new)" while it is not there,
    /// as given (its trailing slash dropped); then "backed up X to DIR/X" for each backup, as
    /// given too (sy printed a byte list; with --inplace, nothing). Locally and over ssh (the
    /// receiver checks the dir).
    @Test(arguments: [["-vv", "--backup-dir=../kept/"], ["-v", "--info=backup1", "-b"], ["-v", "--info=backup1", "--backup-dir=../kept"],
                      ["-v", "--info=backup1", "-b", "--inplace"],
                      ["-vv", "--info=backup0", "--backup-dir=../kept"]], [false, true])
    func backupLinesAsRsync(flags: [String], overSSH: Bool) throws {
        let t = TempDir("backup")
        setUp(t, ["r", "s"])
        var server: SSHServer?
        var via: [String] = [], host = ""
        if overSSH {
            server = SSHServer()
            let ssh = try #require(server, "sshd could not start")
            via = ["-e", ssh.rsh]; host = ssh.host + ":"
        }
        let lines = { (out: String) in
            out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total") && !$0.hasPrefix("opening connection")
                && !$0.hasPrefix("delta-transmission") }.map(String.init).sorted()
        }
        for round in 0..<2 {
            if round == 1 { _ = system(script: "cd \(shellQuote(t.path)) && rm -rf kept-r kept-s && mkdir kept-r kept-s") }
            let r = run(["rsync", "-a", "--delete"] + via + flags.map { $0.replacingOccurrences(of: "../kept", with: "../kept-r") }
                        + [t.sub("src") + "/", host + t.sub("r")])
            let s = run(["sy", "-a", "--delete"] + (overSSH ? ["--remote-sy", Tools.dir] : []) + via
                        + flags.map { $0.replacingOccurrences(of: "../kept", with: "../kept-s") } + [t.sub("src") + "/", host + t.sub("s")])
            #expect(r.code == 0 && s.code == 0, "\(flags): \(s)")
            #expect(lines(r.out).map { $0.replacingOccurrences(of: "kept-r", with: "kept") } == lines(s.out).map { $0.replacingOccurrences(of: "kept-s", with: "kept") },
                    "round \(round) \(flags)\nrsync:\n\(r.out)\nsy:\n\(s.out)")
            _ = system(script: "cd \(shellQuote(t.path)) && touch -d '2024-07-01' src/changed")
        }
        _ = server
    }
}
