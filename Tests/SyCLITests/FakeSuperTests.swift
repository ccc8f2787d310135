import Glibc
import SyCore
import SyTestSupport
import Testing

/// --fake-super and -M against real rsync: the same real trees, the same `user.rsync.%stat`
/// records, the same itemized changes, on the sides rsync gives each option.
@Suite(.serialized)
struct FakeSuperTests {
    static let root = geteuid() == 0

    /// Each entry below `root` as the filesystem has it, with its record (if any). Without
    /// `owners` a record's owner and group are left out, and a record that then says what the
    /// entry is already: rsync 3.5 records whatever its memory held for an owner it does not
    /// preserve (sy records the real one).
    func state(_ root: String, owners: Bool = true, dirTimes: Bool = true) -> [String] {
        var lines: [String] = []
        for (path, n) in TreeSnapshot(root).nodes {
            var node = n
            if !dirTimes && node.kind == .directory { node.mtimeSec = 0; node.mtimeNsec = 0 }
            var line = "\(path.displayName) \(node)"
            if node.kind == .file || node.kind == .directory {
                let full = root + (path == [0x2E] ? "" : "/" + path.displayName)
                if let r = try? FakeStat.read(.at(Sys.atFDCWD, full.pathBytes)) {
                    if owners { line += " record \(r.text)" }
                    else if r.mode != node.kind.typeBits | node.perms || r.rdev != 0 { line += " record \(String(r.mode, radix: 8)) \(r.rdev)" }
                }
            }
            lines.append(line)
        }
        return lines.sorted()
    }

    /// A tree with what needs root to keep: set-ID and sticky modes, other owners, a symlink,
    /// a fifo and (as root) a device; its times pinned.
    func tree(_ src: String) {
        let owners = FakeSuperTests.root ? "chown 1234:5678 f d && chown -h 4321:8765 l && mknod c c 1 3 && mknod b b 8 1 &&" : ""
        _ = system(script: """
            mkdir -p \(shellQuote(src))/d/e && cd \(shellQuote(src)) && echo one > f && echo two > d/g && echo three > d/e/h &&
            ln -s ../f d/l && ln -s f l && mkfifo p && ln f d/hard && \(owners)
            chmod 4751 f && chmod 1777 d && chmod 2750 d/e && chmod 0600 d/g &&
            find . -exec touch -h -d '2024-01-02 03:04:05' {} +
            """)
    }

    /// Changes of mode, owner, symlink target, device number and type.
    func mutate(_ src: String) {
        let owners = FakeSuperTests.root ? "chown 99:98 d/g && rm c && mknod c c 1 5 && rm b && mkfifo b &&" : ""
        _ = system(script: """
            cd \(shellQuote(src)) && chmod 0644 d/e/h && chmod 6755 d/g && rm l && ln -s d/g l && rm p && mkdir p &&
            rm d/l && echo four > d/l && echo more >> f && \(owners)
            find . -exec touch -h -d '2024-02-03 04:05:06' {} +
            """)
    }

    func sameAsRsync(_ t: TempDir, _ r: String, _ s: String, _ what: String, owners: Bool = true, dirTimes: Bool = true) {
        let a = state(t.sub(r), owners: owners, dirTimes: dirTimes), b = state(t.sub(s), owners: owners, dirTimes: dirTimes)
        #expect(a == b, "\(what): rsync \(a.filter { !b.contains($0) }) sy \(b.filter { !a.contains($0) })")
    }

    /// The -i lines, sorted (rsync's "skipping non-regular file" notes come in another order).
    func itemized(_ out: String) -> [String] {
        out.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("created directory") && !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") }.sorted()
    }

    @Test(arguments: [["-a"], ["-rlptD"], ["-aH"], ["-a", "--inplace", "--no-W"], ["-rlt"]])
    func localCopyAsRsync(args: [String]) throws {
        let t = TempDir("fakesuper")
        tree(t.sub("src"))
        let owners = args.contains { $0.hasPrefix("-a") }
        for round in 0..<3 {
            let rr = run(["rsync", "-i", "--fake-super"] + args + ["src/", "r/"], cwd: t.path)
            let ss = run(["sy", "-i", "--fake-super"] + args + ["src/", "s/"], cwd: t.path)
            #expect(rr.code == ss.code, "\(args) round \(round): rsync \(rr) sy \(ss)")
            sameAsRsync(t, "r", "s", "\(args) round \(round)", owners: owners)
            #expect(itemized(rr.out) == itemized(ss.out), "\(args) round \(round): rsync\n\(rr.out)\nsy\n\(ss.out)")
            if round == 0 { mutate(t.sub("src")) }
        }
        // Back from the records: a second --fake-super copy reads them as the sender, and one
        // with -M--super (the receiver as root) makes the real entries again.
        for (opts, name) in [(["--fake-super"], "copy"), (["--fake-super", "-M--super"], "real")] {
            let rr = run(["rsync", "-i"] + opts + args + ["r/", "r-\(name)/"], cwd: t.path)
            let ss = run(["sy", "-i"] + opts + args + ["s/", "s-\(name)/"], cwd: t.path)
            #expect(rr.code == 0 && ss.code == 0, "\(opts): \(ss)")
            sameAsRsync(t, "r-\(name)", "s-\(name)", "\(args) \(opts)", owners: owners)
            #expect(itemized(rr.out) == itemized(ss.out), "\(args) \(opts): rsync\n\(rr.out)\nsy\n\(ss.out)")
        }
        // A listing reads the records too (the lister is a sender).
        let rl = run(["rsync", "--fake-super", "-r", "r/"], cwd: t.path), sl = run(["sy", "--fake-super", "-r", "s/"], cwd: t.path)
        #expect(rl.code == 0 && sl.code == 0 && rl.out.split(separator: "\n").sorted() == sl.out.split(separator: "\n").sorted(), "rsync\n\(rl.out)\nsy\n\(sl.out)")
        if FakeSuperTests.root && args.contains("-aH") {
            // As root, the real copy is the source again.
            #expect(state(t.sub("s-real")) == state(t.sub("src")))
        }
    }

    /// A destination made without --fake-super (real owners, set-ID bits, devices, symlinks)
    /// is turned into its recorded form, up-to-date entries too: a real symlink is made again
    /// as a file (rsync's receiver reads it as one without a target), a mode is moved into a
    /// record, u+rw added, as rsync's receiver leaves every entry it looks at.
    @Test(arguments: [["-a"], ["-a", "--no-p"], ["-a", "-u"], ["-aH", "--delete"], ["-a", "-vv"], ["-a", "-J"]])
    func plainDestinationTurnsFakeAsRsync(args: [String]) throws {
        let t = TempDir("fakesuper")
        tree(t.sub("src"))
        _ = system(script: "cd \(shellQuote(t.path)) && chmod 0400 src/d/e/h && chmod 0 src/d/g && cp -a src r && cp -a src s && mkdir r/extra s/extra && touch -d 2024-01-01 r/extra s/extra")
        for round in 0..<2 {
            let rr = run(["rsync", "-i", "--fake-super"] + args + ["src/", "r/"], cwd: t.path)
            let ss = run(["sy", "-i", "--fake-super"] + args + ["src/", "s/"], cwd: t.path)
            #expect(rr.code == ss.code, "\(args) round \(round): rsync \(rr) sy \(ss)")
            sameAsRsync(t, "r", "s", "\(args) round \(round)")
            #expect(itemized(rr.out) == itemized(ss.out), "\(args) round \(round): rsync\n\(rr.out)\nsy\n\(ss.out)")
        }
    }

    /// Backups under --fake-super: the files keep their records, and a backup directory made
    /// for them is recorded as the destination's directory is (rsync's make_bak_dir).
    @Test func backupsAsRsync() throws {
        let t = TempDir("fakesuper")
        tree(t.sub("src"))
        for (round, extra) in [[], ["-b", "--backup-dir=../BK"]].enumerated() {
            let rr = run(["rsync", "-ai", "--fake-super"] + extra.map { $0.replacingOccurrences(of: "BK", with: "rb") } + ["src/", "r/"], cwd: t.path)
            let ss = run(["sy", "-ai", "--fake-super"] + extra.map { $0.replacingOccurrences(of: "BK", with: "sb") } + ["src/", "s/"], cwd: t.path)
            #expect(rr.code == 0 && ss.code == 0, "round \(round): \(ss)")
            sameAsRsync(t, "r", "s", "backups round \(round)")
            #expect(itemized(rr.out) == itemized(ss.out), "round \(round): rsync\n\(rr.out)\nsy\n\(ss.out)")
            mutate(t.sub("src"))
        }
        sameAsRsync(t, "rb", "sb", "backup dir", dirTimes: false) // (made now)
    }

    /// The use --fake-super is for: a user who may not chown or mknod keeps a root's tree.
    @Test func unprivilegedUserAsRsync() throws {
        guard FakeSuperTests.root else { return } // (needs a second user: run as root, as CI does)
        let t = TempDir("fakesuper")
        chmod(t.path, 0o755)
        tree(t.sub("src"))
        // (Readable by that user: rsync reads no record off a file it may not read either.)
        _ = system(script: "chmod -R a+rX \(shellQuote(t.sub("src")))")
        let nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups"
        _ = system(script: "mkdir \(shellQuote(t.sub("out"))) && chmod 777 \(shellQuote(t.sub("out")))")
        for (round, args) in [["-a"], ["-a"], ["-rtpD"]].enumerated() {
            let rr = sh("cd \(shellQuote(t.path)) && \(nobody) rsync -i --fake-super \(args.joined(separator: " ")) src/ out/r\(round % 2)/")
            let ss = sh("cd \(shellQuote(t.path)) && \(nobody) \(Tools.path("sy")) -i --fake-super \(args.joined(separator: " ")) src/ out/s\(round % 2)/")
            #expect(rr.code == 0 && ss.code == 0, "\(rr) \(ss)")
            sameAsRsync(t, "out/r\(round % 2)", "out/s\(round % 2)", "as nobody \(args) round \(round)", owners: args == ["-a"])
            #expect(itemized(rr.out) == itemized(ss.out), "rsync\n\(rr.out)\nsy\n\(ss.out)")
            if round == 0 { mutate(t.sub("src")) }
        }
    }

    /// Without root (a user who is not, or root with --no-super or -M--no-super): devices are
    /// skipped ("skipping non-regular file"), owners left, and groups the user is not in left
    /// and not listed as changes, as rsync's receiver does.
    @Test func withoutRootAsRsync() throws {
        guard FakeSuperTests.root else { return } // (a device and foreign groups need root to make)
        let t = TempDir("fakesuper")
        chmod(t.path, 0o755)
        tree(t.sub("src"))
        _ = system(script: "chmod -R a+rX \(shellQuote(t.sub("src"))) && mkdir \(shellQuote(t.sub("out"))) && chmod 777 \(shellQuote(t.sub("out")))")
        let nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups"
        let ways: [(String, String)] = [(nobody + " ", "-ai"), ("", "-ai --no-super"), ("", "-ai -M--no-super")]
        for round in 0..<2 {
            for (i, (prefix, opts)) in ways.enumerated() {
                let rr = sh("cd \(shellQuote(t.path)) && \(prefix)rsync \(opts) src/ out/r\(i)/")
                let ss = sh("cd \(shellQuote(t.path)) && \(prefix)\(Tools.path("sy")) \(opts) src/ out/s\(i)/")
                #expect(rr.code == ss.code, "\(opts) round \(round): rsync \(rr) sy \(ss)")
                sameAsRsync(t, "out/r\(i)", "out/s\(i)", "\(prefix)\(opts) round \(round)")
                #expect(itemized(rr.out) == itemized(ss.out), "\(prefix)\(opts) round \(round): rsync\n\(rr.out)\nsy\n\(ss.out)")
            }
            _ = system(script: "cd \(shellQuote(t.sub("src"))) && chgrp 0 d/e/h && chgrp 65534 d/g && chown 7:7 d/e && touch -d 2024-01-02 d/e d")
        }
    }

    /// --inplace without root over a file its user may not write: made writable for the update
    /// and given its mode again, as rsync's receiver does (sy failed with EACCES).
    @Test(arguments: [["-a", "-I", "--inplace"], ["-a", "--inplace", "--no-W"], ["-rt", "--inplace"]])
    func readOnlyFileInPlaceWithoutRootAsRsync(args: [String]) throws {
        guard FakeSuperTests.root else { return } // (needs a second user: run as root, as CI does)
        let t = TempDir("fakesuper")
        chmod(t.path, 0o777)
        let build = "mkdir src r && echo 'new data' > src/f && echo 'old' > r/f && head -c 300000 /dev/urandom > src/g && cp src/g r/g"
            + " && echo x >> src/g && chmod 444 src/f r/f src/g r/g && touch -d 2020-01-01 src/f src/g r/f r/g src r && cp -a r s"
            + " && chown -R nobody src r s"
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        let nobody = "cd \(shellQuote(t.path)) && setpriv --reuid=65534 --regid=65534 --clear-groups "
        let rr = sh(nobody + "rsync -i \(args.joined(separator: " ")) src/ r/")
        let ss = sh(nobody + "\(Tools.path("sy")) -i \(args.joined(separator: " ")) src/ s/")
        #expect(rr.code == 0 && ss.code == rr.code, "\(args): rsync \(rr) sy \(ss)")
        sameAsRsync(t, "r", "s", "\(args)")
        #expect(itemized(rr.out) == itemized(ss.out), "\(args): rsync\n\(rr.out)\nsy\n\(ss.out)")
    }

    /// Which side each option reaches: --fake-super this side (both of a local copy), -M's
    /// the remote side (a local copy's receiver), over a real sshd too.
    @Test func sidesAsRsync() throws {
        let t = TempDir("fakesuper")
        tree(t.sub("src"))
        #expect(run(["rsync", "-a", "--fake-super", "src/", "stored/"], cwd: t.path).code == 0)
        let local: [[String]] = [["-M--fake-super"], ["--remote-option=--fake-super"], ["-M", "--fake-super", "-M", "--super"]]
        for (i, opts) in local.enumerated() {
            let rr = run(["rsync", "-ai"] + opts + ["src/", "r\(i)/"], cwd: t.path)
            let ss = run(["sy", "-ai"] + opts + ["src/", "s\(i)/"], cwd: t.path)
            #expect(rr.code == 0 && ss.code == 0, "\(opts): \(ss)")
            sameAsRsync(t, "r\(i)", "s\(i)", "\(opts)")
        }
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let h = server.host + ":" + t.path + "/"
        let remote: [(String, [String], String, String)] = [
            ("push-M", ["-M--fake-super"], "src/", "pushM"), ("push", ["--fake-super"], "stored/", "push"),
            ("pull", ["--fake-super"], h + "src/", "pull"), ("pull-M", ["-M--fake-super"], h + "stored/", "pullM"),
        ]
        for (what, opts, from, to) in remote {
            let dest = from.hasPrefix(server.host) ? t.sub(to) : h + to
            let rr = run(["rsync", "-ai", "-e", server.rsh] + opts + [from, dest.replacingOccurrences(of: to, with: "r-" + to)], cwd: t.path)
            let ss = run(["sy", "-ai", "-e", server.rsh, "--remote-sy", Tools.dir] + opts + [from, dest.replacingOccurrences(of: to, with: "s-" + to)],
                         cwd: t.path)
            #expect(rr.code == 0 && ss.code == 0, "\(what): \(rr) \(ss)")
            sameAsRsync(t, "r-" + to, "s-" + to, what)
            #expect(itemized(rr.out) == itemized(ss.out), "\(what): rsync\n\(rr.out)\nsy\n\(ss.out)")
        }
    }

    /// Every extended attribute below `root` (records included), file by file in name order.
    func allXattrs(_ root: String) -> String {
        sh("cd \(shellQuote(root)) && find . -print0 | sort -z | xargs -0 getfattr -h -d -m - -e hex 2>/dev/null").out
    }

    /// -X beside --fake-super: the record is never sent as an attribute (rsync's sender sends
    /// its `user.rsync.%` names only at -XX) and a receiver without --fake-super drops it; under
    /// --fake-super another namespace is kept below `user.rsync.` and read back from there.
    @Test func xattrsAsRsync() throws {
        let t = TempDir("fakesuper")
        tree(t.sub("src"))
        let extra = FakeSuperTests.root ? "setfattr -n trusted.t -v 1 f &&" : ""
        _ = system(script: "cd \(shellQuote(t.sub("src"))) && setfattr -n user.a -v 1 f && setfattr -n user.b -v 2 d && \(extra) touch -d 2024-01-02 . f d")
        let steps: [([String], String, String)] = [
            (["--fake-super"], "src/", "fake"), (["--fake-super"], "src/", "fake"), ([], "src/", "fake"),
            ([], "fake-copy/", "plain"), (["--fake-super"], "fake-copy/", "again"), (["--fake-super", "-M--super"], "fake-copy/", "real"),
        ]
        #expect(run(["rsync", "-aX", "--fake-super", "src/", "r-fake-copy/"], cwd: t.path).code == 0)
        #expect(run(["cp", "-a", "r-fake-copy", "s-fake-copy"], cwd: t.path).code == 0)
        for (i, (opts, from, to)) in steps.enumerated() {
            let rr = run(["rsync", "-aXi"] + opts + [from.hasPrefix("src") ? from : "r-" + from, "r-" + to + "/"], cwd: t.path)
            let ss = run(["sy", "-aXi"] + opts + [from.hasPrefix("src") ? from : "s-" + from, "s-" + to + "/"], cwd: t.path)
            #expect(rr.code == 0 && ss.code == 0, "step \(i): \(ss)")
            sameAsRsync(t, "r-" + to, "s-" + to, "step \(i) \(opts)")
            #expect(allXattrs(t.sub("r-" + to)) == allXattrs(t.sub("s-" + to)), "step \(i) \(opts)")
            #expect(itemized(rr.out) == itemized(ss.out), "step \(i) \(opts): rsync\n\(rr.out)\nsy\n\(ss.out)")
        }
    }

    /// -A beside --fake-super: rsync keeps ACLs in records of its own format; locally (both
    /// sides under --fake-super) none is copied, and the mode's group bits are the mask's.
    @Test func aclsAsRsync() throws {
        let t = TempDir("fakesuper")
        tree(t.sub("src"))
        _ = system(script: "cd \(shellQuote(t.sub("src"))) && setfacl -m u:nobody:rw d/g && setfacl -d -m g:nogroup:rx d/e && touch -d 2024-01-02 d/g d/e")
        let acls = { (dir: String) in sh("cd \(shellQuote(t.sub(dir))) && getfacl -R -p . 2>/dev/null").out }
        for round in 0..<2 {
            let rr = run(["rsync", "-aAi", "--fake-super", "src/", "r/"], cwd: t.path)
            let ss = run(["sy", "-aAi", "--fake-super", "src/", "s/"], cwd: t.path)
            #expect(rr.code == 0 && ss.code == 0, "\(ss)")
            sameAsRsync(t, "r", "s", "-aA round \(round)")
            #expect(acls("r") == acls("s") && allXattrs(t.sub("r")) == allXattrs(t.sub("s")), "round \(round)")
            #expect(itemized(rr.out) == itemized(ss.out), "round \(round): rsync\n\(rr.out)\nsy\n\(ss.out)")
        }
    }

    @Test func otherRemoteOptionsAreRefused() throws {
        let t = TempDir("fakesuper")
        tree(t.sub("src"))
        for opts in [["-M--log-file=x"], ["--remote-option", "--delete"]] {
            let r = run(["sy", "-a"] + opts + ["src/", "dst/"], cwd: t.path)
            #expect(r.code == 1 && r.err.contains("sends only --fake-super"), "\(opts): \(r)")
            #expect(access(t.sub("dst"), F_OK) != 0)
        }
    }

    @Test func recordText() throws {
        let r = try #require(FakeStat.Record(text: Array("20644 259,70000 1:2".utf8)))
        #expect(r.text == "20644 259,70000 1:2" && r.mode == 0o20644 && r.uid == 1 && r.gid == 2)
        for bad in ["", "644", "100644 0,0 1", "100644 0 1:2", "999 0,0 0:0", "100644 x,0 0:0", "7777777 0,0 0:0"] {
            #expect(FakeStat.Record(text: Array(bad.utf8)) == nil, "\(bad)")
        }
    }
}
