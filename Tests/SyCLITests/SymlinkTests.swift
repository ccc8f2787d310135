import Glibc
import SyCore
import SyTestSupport
import Testing

/// -L, -k, --copy-unsafe-links and --safe-links against real rsync, on a tree with safe, unsafe,
/// absolute, dangling and looping links.
@Suite(.serialized)
struct SymlinkTests {
    static let cases: [[String]] = [
        ["-a"], ["-aL"], ["-ak"], ["-a", "--copy-unsafe-links"], ["-a", "--safe-links"],
        ["-a", "--copy-unsafe-links", "--safe-links"], ["-rtL"], ["-aL", "-c"], ["-aL", "--no-W"],
    ]

    func tree(_ t: TempDir) {
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/d"), 0o755); mkdir(t.sub("out"), 0o755)
        writeFile(t.sub("out/o"), Array("outside".utf8))
        writeFile(t.sub("src/d/f"), Array(repeating: 7, count: 5000))
        for (target, name) in [("d", "ld"), ("d/f", "lf"), ("../out/o", "unsafe"), ("/etc/hostname", "abs"),
                               ("nope", "dangling"), ("../src", "d/loop"), ("../../out", "d/updir")] {
            symlink(target, t.sub("src/" + name))
        }
        touchTree(t.path, "2024-01-02 03:04:05")
    }

    @Test(arguments: Array(0..<cases.count))
    func linksMatchRsync(index: Int) throws {
        let args = Self.cases[index]
        let t = TempDir("links")
        tree(t)
        let rr = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
        #expect(ss.code == rr.code, "\(args): rsync \(rr.code), sy \(ss)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(args): \(d.prefix(8))")
        if args.contains("-aL") {
            #expect(lstat(t.sub("s/lf"))?.kind == .file && lstat(t.sub("s/ld/f"))?.kind == .file)
        }
    }

    /// --copy-unsafe-links with -v (or --info=symsafe) says each unsafe link it follows, in
    /// rsync's words; the same lines (in any order: rsync's sender says them ahead of the
    /// receiver's), and none without -v or with -q.
    @Test(arguments: [["-av"], ["-a", "--info=symsafe"], ["-a"], ["-avq"], ["-ai"]])
    func unsafeLinksCopiedAreSaidAsRsync(args: [String]) throws {
        let t = TempDir("links")
        tree(t)
        let rr = run(["rsync", "--copy-unsafe-links"] + args + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy", "--copy-unsafe-links"] + args + ["src/", "s/"], cwd: t.path)
        #expect(ss.code == rr.code, "\(args): rsync \(rr.code), sy \(ss)")
        let said = { (x: RunResult) in x.out.split(separator: "\n").filter { $0.hasPrefix("copying unsafe symlink") }.sorted() }
        #expect(said(ss) == said(rr), "\(args): rsync\n\(rr.out)\nsy\n\(ss.out)")
        #expect(said(rr).isEmpty == !(args.contains("-av") || args.contains("--info=symsafe")), "\(rr.out)")
    }

    /// --safe-links with -v (or --info=name) says each unsafe link it leaves out, in rsync's
    /// words, where rsync's generator looks at it: not for a name --existing skips (nothing
    /// there) or --ignore-existing skips (something there). The same lines (in any order:
    /// rsync's generator says them ahead of the receiver's names); none with -q or -i alone.
    @Test(arguments: [["-av"], ["-a", "--info=name"], ["-avq"], ["-ai"], ["-av", "--existing"], ["-av", "--ignore-existing"], ["-avn"]])
    func unsafeLinksIgnoredAreSaidAsRsync(args: [String]) throws {
        let t = TempDir("links")
        tree(t)
        // One of them already in the destination (what --existing and --ignore-existing look at).
        for d in ["r", "s"] {
            mkdir(t.sub(d), 0o755)
            symlink("/etc/hostname", t.sub(d + "/abs"))
            touchTree(t.sub(d), "2024-01-02 03:04:05")
        }
        let rr = run(["rsync", "--safe-links"] + args + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy", "--safe-links"] + args + ["src/", "s/"], cwd: t.path)
        #expect(ss.code == rr.code, "\(args): rsync \(rr.code), sy \(ss)")
        let said = { (x: RunResult) in x.out.split(separator: "\n").filter { $0.hasPrefix("ignoring unsafe symlink") }.sorted() }
        #expect(said(ss) == said(rr), "\(args): rsync\n\(rr.out)\nsy\n\(ss.out)")
        #expect(said(rr).isEmpty == (args.contains("-avq") || args == ["-ai"]), "\(rr.out)")
        let d = TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(args): \(d.prefix(8))")
    }

    /// -K keeps a destination symlink to a directory where the source has a directory: the
    /// link gets the directory's time, and a mode that differs is not set through it (rsync 3.5
    /// will not follow the link: ELOOP, exit 23), as rsync; the same mode passes quietly.
    @Test(arguments: [(0o700, ["-aK"]), (0o700, ["-aKi", "--chmod=D750"]), (0o755, ["-aK"]), (0o700, ["-rtK"]), (0o700, ["-aKn"])] as [(Int, [String])])
    func keptDirLinkModeAsRsync(mode: Int, args: [String]) throws {
        let t = TempDir("links")
        let build = "mkdir -p src/d dst/real && chmod \(String(mode, radix: 8)) src/d && echo 1 > src/d/f && ln -s real dst/d && touch -d 2020-01-01 src/d src/d/f dst/real && touch -h -d 2019-01-01 dst/d && touch -d 2018-01-01 src dst"
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let r = run(["rsync"] + args + ["src/", "dst/"], cwd: t.sub("r"))
        let s = run(["sy"] + args + ["src/", "dst/"], cwd: t.sub("s"))
        #expect(r.code == s.code, "\(args): rsync \(r)\nsy \(s)")
        #expect(r.out == s.out, "\(args): rsync\n\(r.out)\nsy\n\(s.out)")
        #expect(lstat(t.sub("s/dst/real"))?.perms == lstat(t.sub("r/dst/real"))?.perms)
        #expect(lstat(t.sub("s/dst/d"))?.kind == .symlink && lstat(t.sub("s/dst/d"))?.mtimeSec == lstat(t.sub("r/dst/d"))?.mtimeSec)
        #expect(readFile(t.sub("s/dst/real/f")) == readFile(t.sub("r/dst/real/f")))
    }

    /// -K with --delete: the directory a kept link leads to is deleted (not in the source), but
    /// stays for what it keeps (a backup beside each file with -b, an excluded or protected
    /// entry): the link still leads there and the source's files go through it, as rsync.
    /// Where it does go (--backup-dir, or nothing kept), the link is replaced by a directory.
    /// (A deleted directory `y` that stays leaves its parent's time alone, --delete-before too.)
    @Test(arguments: [["-b"], ["--backup-dir=../bk"], ["--exclude=old"], ["--filter=P old"], [],
                      ["--delete-before", "--exclude=old"], ["--delete-before", "-b"], ["--delete-before"]])
    func deletedLinkTargetThatStaysAsRsync(flags: [String]) throws {
        let t = TempDir("links")
        let build = "mkdir -p src/x dst/x.real/e dst/y/e && echo a > src/x/a && echo o > dst/x.real/old && echo o > dst/y/old && ln -s x.real dst/x && find src dst -exec touch -h -d 2020-01-01 {} +"
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let args = ["-aiK", "--delete"] + flags + ["src/", "dst/"]
        let r = run(["rsync"] + args, cwd: t.sub("r"))
        let s = run(["sy"] + args, cwd: t.sub("s"))
        #expect(r.code == 0 && s.code == 0 && r.out == s.out, "\(flags): rsync \(r)\nsy \(s)")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true).isEmpty)
        let kept = flags.contains("-b") || flags.contains("--exclude=old") || flags.contains("--filter=P old")
        #expect(lstat(t.sub("s/dst/x"))?.kind == (kept ? .symlink : .directory))
    }

    /// Two sources with a name in common where one holds a link without referent (-L): rsync
    /// reports it whichever source holds it (an IO error: nothing deleted) and sends the other
    /// source's entry when the first one's is the dangling link.
    @Test(arguments: [["src/", "srcb/"], ["srcb/", "src/"]])
    func danglingLinkInOneOfTwoSourcesAsRsync(sources: [String]) throws {
        let t = TempDir()
        let build = "mkdir -p src srcb d && echo x > src/x && ln -s nowhere srcb/x && ln -s nowhere src/y && echo y > srcb/y && echo o > d/extra && touch -d 2020-01-01 src srcb d d/extra src/x srcb/y"
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        let r = run(["rsync", "-aLi", "--delete"] + sources + ["d/"], cwd: t.sub("r"))
        let s = run(["sy", "-aLi", "--delete"] + sources + ["d/"], cwd: t.sub("s"))
        #expect(r.code == 23 && s.code == 23, "\(sources): rsync \(r.code), sy \(s)")
        #expect(r.out == s.out, "\(sources): rsync\n\(r.out)\nsy\n\(s.out)")
        #expect(TreeSnapshot(t.sub("r/d")).diff(TreeSnapshot(t.sub("s/d"))).isEmpty)
        #expect(exists(t.sub("s/d/extra")) && readFile(t.sub("s/d/y")) == Array("y\n".utf8))
    }

    /// A link without referent under -L is an IO error: rsync then deletes nothing (unless
    /// --ignore-errors); --safe-links leaves unsafe links alone on the receiver, deleting none.
    @Test(arguments: [["-aL", "--delete"], ["-aL", "--delete", "--ignore-errors"], ["-a", "--safe-links", "--delete"]])
    func ioErrorsStopDeletionsAsRsync(args: [String]) throws {
        let t = TempDir("links")
        tree(t)
        for d in ["r", "s"] {
            mkdir(t.sub(d), 0o755)
            writeFile(t.sub(d + "/extra"), [1])
            symlink("/etc/hostname", t.sub(d + "/abs"))
            touchTree(t.sub(d), "2023-01-01")
        }
        let rr = run(["rsync"] + args + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy"] + args + ["src/", "s/"], cwd: t.path)
        #expect(rr.code == ss.code, "\(args): rsync \(rr.code) sy \(ss)")
        #expect(exists(t.sub("r/extra")) == exists(t.sub("s/extra")), "\(args)")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true).isEmpty)
        if rr.out.contains("IO error encountered") { #expect(ss.out.contains("IO error encountered -- skipping file deletion")) }
    }

    @Test func copyLinksOverSSH() throws {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = TempDir("links")
        tree(t)
        _ = run(["rsync", "-aL", "src/", "r/"], cwd: t.path)
        let push = run(["sy", "-e", server.rsh, "--remote-sy", Tools.dir, "-aL", "src/", "\(server.host):" + t.sub("s")], cwd: t.path)
        #expect(push.code == 23 && push.err.contains("no referent"), "\(push)")
        #expect(TreeSnapshot(t.sub("r"), rootTimes: false).diff(TreeSnapshot(t.sub("s"), rootTimes: false), ignoringDirTimes: true).isEmpty)
    }
}
