import Glibc
import SyCore
import SyTestSupport
import Testing

/// -X and -A against real rsync: the same extended attributes and ACLs, the same itemized changes.
@Suite(.serialized)
struct XattrTests {
    /// Every selected attribute below `root`, as "path name=hex" lines.
    func attributes(_ root: String) -> [String] {
        var lines: [String] = []
        let sel = XattrSelection(xattrs: true, acls: true)
        for (path, node) in TreeSnapshot(root).nodes where node.kind != .symlink {
            let full = root + (path == [0x2E] ? "" : "/" + path.displayName)
            guard let dir = try? Sys.openat(Sys.atFDCWD, PathOps.parent(full.pathBytes), O_RDONLY | O_DIRECTORY) else { continue }
            defer { Sys.close(dir) }
            for x in (try? XattrIO.read(.at(dir, PathOps.base(full.pathBytes)), sel)) ?? [] {
                lines.append("\(path.displayName) \(x.name.displayName)=\(x.value.map { String($0, radix: 16) }.joined())")
            }
        }
        return lines.sorted()
    }

    func tree(_ src: String) {
        _ = system(script: """
            mkdir -p \(shellQuote(src))/d/e && cd \(shellQuote(src)) && echo 1 > f && echo 2 > d/g && echo 3 > d/e/h && ln -s f l &&
            setfattr -n user.color -v red f && setfattr -n user.empty d/g && setfattr -n user.dir -v yes d &&
            setfattr -n user.big -v "$(head -c 3000 /dev/zero | tr '\\0' a)" d/e/h &&
            setfacl -m u:nobody:r f && setfacl -d -m g:nogroup:rx d && setfacl -m g:nogroup:w d/e &&
            find . -exec touch -h -d '2024-01-02 03:04:05' {} +
            """)
    }

    func mutate(_ src: String) {
        _ = system(script: """
            cd \(shellQuote(src)) && setfattr -n user.color -v blue f && setfattr -x user.dir d && setfattr -n user.new -v 1 d/e &&
            setfacl -x u:nobody f && setfacl -m u:nobody:rwx d/g
            """)
    }

    @Test(arguments: [["-aX"], ["-aA"], ["-aXA"], ["-aXA", "--no-W"], ["-rX"]])
    func matchesRsync(args: [String]) throws {
        let t = TempDir("xattr")
        tree(t.sub("src"))
        guard !attributes(t.sub("src")).isEmpty else { Issue.record("no xattrs on this filesystem"); return }
        for round in 0..<2 {
            let rr = run(["rsync", "-i"] + args + ["src/", "r/"], cwd: t.path)
            let ss = run(["sy", "-i"] + args + ["src/", "s/"], cwd: t.path)
            #expect(rr.code == 0 && ss.code == 0, "\(args): \(ss)")
            #expect(attributes(t.sub("r")) == attributes(t.sub("s")), "\(args) round \(round)")
            if round == 1 {
                let lines = { (s: String) in s.split(separator: "\n").filter { !$0.hasPrefix(".d..t") }.sorted() }
                #expect(lines(rr.out) == lines(ss.out), "\(args): rsync\n\(rr.out)\nsy\n\(ss.out)")
            }
            mutate(t.sub("src"))
        }
        guard args[0].hasPrefix("-a") else { return } // without -t every file is sent again
        let again = run(["sy", "-i"] + args + ["src/", "s/"], cwd: t.path)
        #expect(again.code == 0 && !again.out.split(separator: "\n").contains { !$0.hasPrefix("skipping non-regular") }, "\(again)")
    }

    /// Entries with attributes, implied directories and missing names survive `sy show --json` and back.
    @Test func jsonRoundTrip() throws {
        let t = TempDir("xattr")
        tree(t.sub("src"))
        for (args, marks) in [(["-XA", "-R", "src/d/g", "src/f"], ["\"no_contents\":true", "user.color", "posix_acl_access"]),
                              (["--delete-missing-args", "src/f", "gone"], ["\"missing\":true"])] {
            let scan = run(["sy-scan"] + args, cwd: t.path)
            #expect(scan.code == 0, "\(scan.err)")
            let json = run(["sy", "show", "--json"], stdin: scan.stdout)
            for m in marks { #expect(json.out.contains(m), "\(m) in \(json.out)") }
            let back = run(["sy", "show", "--encode"], stdin: Array(json.out.utf8))
            #expect(back.code == 0 && back.stdout == scan.stdout, "\(back.err)")
        }
    }

    @Test func overSSH() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("xattr")
        tree(t.sub("src"))
        #expect(run(["rsync", "-aXA", "src/", "r/"], cwd: t.path).code == 0)
        let push = run(["sy", "-e", server.rsh, "--remote-sy", Tools.dir, "-aXA", t.sub("src") + "/", "\(server.host):" + t.sub("push")])
        let pull = run(["sy", "-e", server.rsh, "--remote-sy", Tools.dir, "-aXA", "\(server.host):" + t.sub("src") + "/", t.sub("pull")])
        #expect(push.code == 0 && pull.code == 0, "\(push) \(pull)")
        #expect(attributes(t.sub("push")) == attributes(t.sub("r")) && attributes(t.sub("pull")) == attributes(t.sub("r")))
    }
}
