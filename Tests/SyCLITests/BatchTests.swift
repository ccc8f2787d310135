import Glibc
import SyCore
import SyTestSupport
import Testing

/// --write-batch, --only-write-batch and --read-batch beside rsync's: the trees both make,
/// the batch applied to another copy of the destination, the script, the errors.
@Suite(.serialized)
struct BatchTests {
    /// `src` (a generated tree, then changed) and `d0` (the tree before the change), settled.
    func trees(seed: UInt64) -> TempDir {
        let t = TempDir("batch")
        mkdir(t.sub("src"), 0o755)
        var gen = TreeGen(seed: seed)
        gen.allowDevices = false
        gen.populate(t.sub("src"))
        gen.settle(t.sub("src"))
        #expect(system(script: "cp -a \(shellQuote(t.sub("src"))) \(shellQuote(t.sub("d0")))") == 0)
        gen.mutate(t.sub("src"), count: 25)
        sleep(1) // rsync leaves a directory's mtime alone if it changed within the last second
        return t
    }

    func copy(_ t: TempDir, _ from: String, to names: [String]) {
        for n in names { #expect(system(script: "cd \(shellQuote(t.path)) && cp -a \(from) \(n)") == 0) }
    }

    /// The batch makes the tree rsync's batch makes, both when written and when read into
    /// another copy of the destination; the batch's NAME.sh does the same.
    @Test(arguments: [["-a", "--delete"], ["-aH", "--delete", "--no-W"], ["-a", "--inplace", "--no-W"],
                      ["-a", "-z", "--delete-after"], ["-rlt"], ["-a", "--delete", "-c"]])
    func batchReplaysAsRsync(flags: [String]) {
        let t = trees(seed: 900 + UInt64(flags.count * 7 + flags.joined().count))
        copy(t, "d0", to: ["r1", "r2", "s1", "s2", "s3"])
        var codes: [String: [Int32]] = [:]
        for (tool, root) in [("rsync", "r"), ("sy", "s")] {
            // (Without --delete a directory where the source has a file stays: exit 23, as rsync.)
            let w = run([tool] + flags + ["--write-batch=" + root + "B", "src/", root + "1/"], cwd: t.path)
            codes[tool, default: []].append(w.code)
            let r = run([tool] + flags + ["--read-batch=" + root + "B", root + "2/"], cwd: t.path)
            codes[tool, default: []].append(r.code)
        }
        #expect(codes["sy"] == codes["rsync"] && codes["sy"]!.allSatisfy { $0 == 0 || $0 == 23 }, "\(codes)")
        let s1 = TreeSnapshot(t.sub("s1"))
        #expect(TreeSnapshot(t.sub("r1")).diff(s1).isEmpty, "written: \(TreeSnapshot(t.sub("r1")).diff(s1))")
        #expect(TreeSnapshot(t.sub("r2")).diff(TreeSnapshot(t.sub("s2"))).isEmpty, "read: \(TreeSnapshot(t.sub("r2")).diff(TreeSnapshot(t.sub("s2"))))")
        #expect(s1.diff(TreeSnapshot(t.sub("s2"))).isEmpty)
        // The script repeats the read, into the directory it is given.
        let script = String(decoding: readFile(t.sub("sB.sh")) ?? [], as: UTF8.self)
        #expect(script.hasPrefix("'sy' ") && script.contains(" --read-batch='sB' ${1:-'s1/'}"), "\(script)")
        #expect(lstat(t.sub("sB.sh"))?.perms == 0o700 && lstat(t.sub("sB"))?.perms == 0o600)
        let x = run(["/bin/sh", "sB.sh", "s3/"], cwd: t.path)
        #expect(x.code == codes["sy"]![1], "\(x)")
        #expect(s1.diff(TreeSnapshot(t.sub("s3"))).isEmpty)
    }

    /// What a read lists: rsync's receiving header, the names the writing run listed, the
    /// options taken from the batch said at -v; `sy show` prints the batch.
    @Test func readListsWhatTheBatchDoesAsRsync() {
        let t = TempDir("batch")
        let build = """
            mkdir -p src/sub d0 && echo hello > src/a && seq 1 5000 > src/sub/big && echo old > d0/gone
            touch -d 2020-01-01 src/a src/sub/big src/sub src d0/gone d0 && cp -a d0 r1 && cp -a d0 r2 && cp -a d0 s1 && cp -a d0 s2
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        var outs: [String: String] = [:]
        for (tool, root) in [("rsync", "r"), ("sy", "s")] {
            #expect(run([tool, "-a", "--delete", "--write-batch=" + root + "B", "src/", root + "1/"], cwd: t.path).code == 0)
            let r = run([tool, "-rtv", "--delete", "--read-batch=" + root + "B", root + "2/"], cwd: t.path)
            #expect(r.code == 0, "\(tool): \(r)")
            // (The byte counts differ, and rsync says it sets -r although -r was given: its -r is 2, not 1.)
            outs[tool] = r.out.split(separator: "\n").filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.contains("--recurse") }.joined(separator: "\n")
        }
        #expect(outs["sy"] == outs["rsync"], "sy:\n\(outs["sy"]!)\nrsync:\n\(outs["rsync"]!)")
        #expect(outs["sy"]!.contains("Setting the --owner (-o) option to match the batchfile.\n"))
        #expect(TreeSnapshot(t.sub("r2")).diff(TreeSnapshot(t.sub("s2"))).isEmpty)
        let show = run(["sy", "show", "sB"], cwd: t.path)
        #expect(show.code == 0 && show.out.hasPrefix("# sy batch: flags r,o,g,l,D\n# sy delta stream"), "\(show)")
        #expect(show.out.contains("plan delete file") && show.out.contains(" sub/big"), "\(show)")
    }

    /// --only-write-batch leaves the destination as it is and says "(BATCH ONLY)"; the batch
    /// then makes what rsync's makes. A read without --delete deletes nothing, as rsync's.
    @Test func onlyWriteBatchAndDeletionsAsRsync() {
        let t = trees(seed: 931)
        copy(t, "d0", to: ["r1", "r2", "r3", "s1", "s2", "s3"])
        let before = TreeSnapshot(t.sub("s1"))
        var codes: [String: Int32] = [:]
        for (tool, root) in [("rsync", "r"), ("sy", "s")] {
            let w = run([tool, "-av", "--delete", "--only-write-batch=" + root + "B", "src/", root + "1/"], cwd: t.path)
            #expect(w.code == 0 && w.out.contains(" (BATCH ONLY)\n"), "\(tool): \(w)")
            #expect(run([tool, "-a", "--delete", "--read-batch=" + root + "B", root + "2/"], cwd: t.path).code == 0)
            // (A directory where the source has a file stays without --delete or --force: 23.)
            let keep = run([tool, "-a", "--read-batch=" + root + "B", root + "3/"], cwd: t.path)
            codes[tool] = keep.code
        }
        #expect(codes["sy"] == codes["rsync"], "\(codes)")
        #expect(before.diff(TreeSnapshot(t.sub("s1"))).isEmpty)
        #expect(TreeSnapshot(t.sub("r1")).diff(TreeSnapshot(t.sub("s1"))).isEmpty)
        for n in ["2", "3"] {
            let d = TreeSnapshot(t.sub("r" + n)).diff(TreeSnapshot(t.sub("s" + n)), ignoringDirTimes: n == "3")
            #expect(d.isEmpty, "\(n): \(d)")
        }
        #expect(!TreeSnapshot(t.sub("s2")).diff(TreeSnapshot(t.sub("s3")), ignoringDirTimes: true).isEmpty)
    }

    /// A file --compare-dest finds unchanged in the reference goes from the destination in
    /// the read too, without --delete, as rsync's; a directory in a file's way stays there.
    @Test(arguments: [["-a", "--compare-dest=../ref"], ["-a", "--delete", "--compare-dest=../ref"], ["-a"]])
    func replayWithoutDeleteAsRsync(flags: [String]) {
        let t = TempDir("batch")
        let build = """
            mkdir -p src ref d0/dirnow d0/emptynow && echo same > src/a && cp -p src/a ref/a && echo old > d0/a && echo new > src/b && echo x > d0/dirnow/f
            echo same > src/emptynow && cp -p src/emptynow ref/emptynow
            echo file > src/dirnow && echo gone > d0/gone && touch -d 2020-01-01 src/* ref/* d0/a d0/dirnow/f src ref
            for d in r1 r2 s1 s2; do cp -a d0 $d; done
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        var codes: [String: [Int32]] = [:]
        for (tool, root) in [("rsync", "r"), ("sy", "s")] {
            codes[tool, default: []].append(run([tool] + flags + ["--write-batch=" + root + "B", "src/", root + "1/"], cwd: t.path).code)
            codes[tool, default: []].append(run([tool] + flags.filter { $0 != "--delete" } + ["--read-batch=" + root + "B", root + "2/"], cwd: t.path).code)
        }
        #expect(codes["sy"] == codes["rsync"], "\(codes)")
        for n in ["1", "2"] {
            let d = TreeSnapshot(t.sub("r" + n)).diff(TreeSnapshot(t.sub("s" + n)), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(n): \(d)")
        }
        #expect(exists(t.sub("s2/gone")) && exists(t.sub("s2/dirnow/f")))
    }

    /// A run that redoes a file (--append-verify finding the appended file wrong) writes both
    /// passes; the read replays both, the file failing in the first again and made whole in the
    /// second, and says so as rsync's read does: "(may try again)".
    @Test func twoPassBatchReplaysAsRsync() {
        let t = TempDir("batch")
        let build = """
            mkdir -p src d0 && echo 'changed and longer' > src/grow && echo XYZ > d0/grow && echo same > src/same && cp -p src/same d0/
            touch -d 2020-01-01 d0/grow src/same d0/same src d0 && touch -d 2021-01-01 src/grow && cp -a d0 d1 && cp -a d0 d2
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir r s && (cd r && \(build)) && (cd s && \(build))") == 0)
        for tool in ["rsync", "sy"] {
            let root = t.sub(tool == "rsync" ? "r" : "s")
            let w = run([tool, "-ai", "--append-verify", "--write-batch=B", "src/", "d1/"], cwd: root)
            let r = run([tool, "-ai", "--append-verify", "--read-batch=B", "d2/"], cwd: root)
            #expect(w.code == 0 && r.code == 0 && w.out == r.out, "\(tool): write \(w)\nread \(r)")
            #expect(r.err.contains("WARNING: grow failed verification -- update retained (may try again)."), "\(tool): \(r)")
            #expect(readFile(root + "/d2/grow") == readFile(root + "/src/grow"))
        }
        #expect(run(["sy", "show", "B"], cwd: t.sub("s")).out.components(separatedBy: "# sy delta stream").count == 3)
        #expect(TreeSnapshot(t.sub("r/d2")).diff(TreeSnapshot(t.sub("s/d2"))).isEmpty)
    }

    /// A batch read into a copy whose file differs from the one the delta was made against:
    /// the file fails verification and keeps its old content, exit 23 (rsync 3.5 hangs there).
    @Test func readIntoAnotherBasisFailsVerification() {
        let t = TempDir("batch")
        let build = """
            mkdir -p src d0 && seq 1 100000 > d0/big && (seq 1 500; echo new; seq 501 100000) > src/big
            touch -d 2020-01-01 d0/big && cp -a d0 s1 && cp -a d0 s2 && sed -i 's/^70000$/changed/' s2/big && touch -d 2020-01-01 s2/big
            """
        #expect(system(script: "cd \(shellQuote(t.path)) && \(build)") == 0)
        #expect(run(["sy", "-a", "--no-W", "--write-batch=B", "src/", "s1/"], cwd: t.path).code == 0)
        let old = readFile(t.sub("s2/big"))
        let r = run(["sy", "-a", "--read-batch=B", "s2/"], cwd: t.path)
        #expect(r.code == 23 && r.err.contains("ERROR: big failed verification -- update discarded."), "\(r)")
        #expect(readFile(t.sub("s2/big")) == old && readFile(t.sub("s1/big")) == readFile(t.sub("src/big")))
        #expect(!sh("ls -A \(shellQuote(t.sub("s2")))").out.contains(".big"))
    }

    /// Errors before anything is touched, with rsync's exit codes; a batch cut short applies
    /// what it holds and fails with exit 12, leaving no partial file.
    @Test func batchErrorsAsRsync() {
        let t = TempDir("batch")
        #expect(system(script: "cd \(shellQuote(t.path)) && mkdir -p src/sub && seq 1 30000 > src/sub/f && echo x > src/a && mkdir somedir") == 0)
        let cases: [([String], Int32)] = [
            (["-a", "--read-batch=missing", "d/"], 11),
            (["-a", "--read-batch=B", "--write-batch=C", "d/"], 1),
            (["-a", "--write-batch=nodir/B", "src/", "d/"], 3),
            (["-a", "--write-batch=somedir", "src/", "d/"], 11),
        ]
        for (args, code) in cases {
            for tool in ["rsync", "sy"] {
                let r = run([tool] + args, cwd: t.path)
                #expect(r.code == code, "\(tool) \(args): \(r)")
                #expect(!exists(t.sub("d")), "\(tool) \(args) made the destination")
            }
            #expect(run(["sy"] + args, cwd: t.path).err.split(separator: "\n").count <= 2)
        }
        let notBatch = run(["sy", "-a", "--read-batch=src/a", "d/"], cwd: t.path)
        #expect(notBatch.code == 12 && notBatch.err.contains("is not a sy batch file") && !exists(t.sub("d")), "\(notBatch)")
        #expect(run(["sy", "-a", "--write-batch=B", "src/", "w/"], cwd: t.path).code == 0)
        let size = lstat(t.sub("B"))!.size
        #expect(system(script: "cd \(shellQuote(t.path)) && head -c \(size - 3000) B > cut") == 0)
        let cut = run(["sy", "-a", "--read-batch=cut", "d/"], cwd: t.path)
        #expect(cut.code == 12, "\(cut)")
        #expect(readFile(t.sub("d/a")) == readFile(t.sub("src/a")) && !exists(t.sub("d/sub/f")))
        #expect(!sh("ls -A \(shellQuote(t.sub("d/sub")))").out.contains("f"))
        // A header naming sy-apply options a writer never puts there is refused: a batch is
        // untrusted input (here one that would write a log outside the destination).
        let good = readFile(t.sub("B"))!
        let old = 9 + 4 + Int(good[9]) + Int(good[10]) << 8
        for words in [["flags=r", "--log-file=evil"], ["flags=r,x"], ["flags=r", "--copy-from=/etc"]] {
            let body = Array(words.joined(separator: "\u{0}").utf8)
            let forged = Array(good.prefix(9)) + [UInt8(body.count & 0xFF), UInt8(body.count >> 8), 0, 0] + body + Array(good[old...])
            writeFile(t.sub("forged"), forged)
            let r = run(["sy", "-a", "--read-batch=forged", "f/"], cwd: t.path)
            #expect(r.code == 12 && r.err.contains("bad header") && !exists(t.sub("f")) && !exists(t.sub("evil")), "\(words): \(r)")
        }
        // --remove-source-files has no sources to remove in a read (sy-apply's DONE lines
        // stay out of the output).
        let noSources = run(["sy", "-av", "--remove-source-files", "--read-batch=B", "g/"], cwd: t.path)
        #expect(noSources.code == 0 && !noSources.stdout.contains(1) && TreeSnapshot(t.sub("g")).diff(TreeSnapshot(t.sub("w"))).isEmpty, "\(noSources)")
        // From standard input, as rsync's --read-batch=-.
        let piped = run(["sh", "-c", "sy -a --read-batch=- e/ < B"], cwd: t.path)
        #expect(piped.code == 0 && TreeSnapshot(t.sub("e")).diff(TreeSnapshot(t.sub("w"))).isEmpty, "\(piped)")
    }

    /// A batch that does not fit on its disk: a one-line error and exit 11; the destination
    /// is synced all the same.
    @Test func batchOnAFullDisk() {
        let t = TempDir("batch")
        // A 1 MiB tmpfs as the full disk.
        guard mountTmpfs(t.sub("small")) else { return }
        defer { unmountTmpfs(t.sub("small")) }
        mkdir(t.sub("src"), 0o755)
        var rng = SeededRandom(seed: 5)
        writeFile(t.sub("src/big"), (0..<3_000_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        writeFile(t.sub("src/small"), Array("small".utf8))
        // (sy first: rsync's processes may hold their batch open, and its room, after it exits.)
        for tool in ["sy", "rsync"] {
            let r = run([tool, "-a", "--write-batch=small/B", "src/", "d-" + tool + "/"], cwd: t.path)
            // (rsync 3.5 ends with exit 12 after its SIGUSR1 lines; sy with the disk's 11.)
            #expect(tool == "rsync" ? r.code != 0 : r.code == 11, "\(tool): \(r)")
            #expect(r.err.contains("No space left on device"), "\(tool): \(r.err)")
            if tool == "sy" {
                #expect(r.err.split(separator: "\n").count == 2 && r.err.hasPrefix("sy: Batch file write error: No space left on device"), "\(r.err)")
            }
            _ = system(script: "rm -f \(shellQuote(t.sub("small")))/B*")
        }
        #expect(TreeSnapshot(t.sub("d-sy")).diff(TreeSnapshot(t.sub("src"))).isEmpty)
    }

    /// Over ssh: a push's batch read into a remote copy, a pull's into a local one.
    @Test func batchesOverSSH() {
        guard let server = SSHServer() else { Issue.record("sshd could not start"); return }
        let t = trees(seed: 947)
        copy(t, "d0", to: ["r1", "p1", "p2", "q1", "q2"])
        let ssh = ["-e", server.rsh, "--remote-sy", Tools.dir]
        #expect(run(["rsync", "-aH", "--delete", "src/", "r1/"], cwd: t.path).code == 0)
        let push = run(["sy", "-aH", "--delete", "--write-batch=P"] + ssh + ["src/", "\(server.host):\(t.sub("p1"))/"], cwd: t.path)
        #expect(push.code == 0, "\(push)")
        let readRemote = run(["sy", "-aH", "--delete", "--read-batch=P"] + ssh + ["\(server.host):\(t.sub("p2"))/"], cwd: t.path)
        #expect(readRemote.code == 0, "\(readRemote)")
        let pull = run(["sy", "-aH", "--delete", "--write-batch=Q"] + ssh + ["\(server.host):\(t.sub("src"))/", "q1/"], cwd: t.path)
        #expect(pull.code == 0, "\(pull)")
        #expect(run(["sy", "-aH", "--delete", "--read-batch=Q", "q2/"], cwd: t.path).code == 0)
        let r1 = TreeSnapshot(t.sub("r1"))
        for d in ["p1", "p2", "q1", "q2"] {
            let diff = r1.diff(TreeSnapshot(t.sub(d)))
            #expect(diff.isEmpty, "\(d): \(diff)")
        }
    }
}
