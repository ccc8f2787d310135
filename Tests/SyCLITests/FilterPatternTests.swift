import Glibc
import SyCore
import SyTestSupport
import Testing

/// The corners of rsync's pattern matching (its wildmatch and rule_matches) against real
/// rsync, on names with wildcard characters and backslashes in them; and per-directory merge
/// files the receiver reads where it deletes. Each case was found by a random-rule fuzzer.
@Suite(.serialized)
struct FilterPatternTests {
    /// `ROOT` stands for the temporary directory's absolute path (for the `/` modifier).
    static let ruleSets: [[String]] = [
        ["--exclude=**/b"],                       // a leading ** also matches at the top
        ["--exclude=**/***"],                     // everything, top-level files included
        ["--exclude=***/[!a]/**"],
        ["--exclude=a\\\\b"],                     // no wildcard: compared as it is, no escape
        ["--exclude=a\\[1]"],                     // a wildcard pattern: the escape counts
        ["--exclude=c\\*"],
        ["--exclude=a[1"],                        // a class left open matches nothing
        ["--exclude=[[:nope:]]*"],                // so does an unknown class name
        ["--exclude=/x[!a]b"],                    // a class never matches "/"
        ["--exclude=/x/y/***"],
        ["--exclude=y***"],
        ["--filter=-/ ROOT/src/x/b"],             // the / modifier: the absolute path
        ["--filter=-/ src/x/y"],
        ["--filter=-/ /*/src/a?"],
        ["--filter=P/ ROOT/r/old/", "--filter=P/ r/keep"],
        ["--include=*/", "--filter=-/ ROOT/src/**", "--include=*"],
    ]

    func tree(_ root: String) {
        for f in ["b", "x/b", "x/y/b", "x/y/c", "a\\b", "a[1]", "a1", "c*", "cz", "A", "y1/f", "sub/a.c", "d/e/f.c"] {
            _ = makeFile(root + "/" + f, Array(f.utf8))
        }
        touchTree(root, "2024-01-02 03:04:05")
    }

    @Test(arguments: Array(0..<ruleSets.count))
    func patternsMatchRsync(index: Int) throws {
        let t = TempDir("pattern")
        let rules = Self.ruleSets[index].map { r in r.split(separator: "ROOT", omittingEmptySubsequences: false).joined(separator: t.path) }
        tree(t.sub("src"))
        for (mode, flags) in [("plain", ["-a"]), ("delete", ["-a", "--delete"]), ("delexcl", ["-a", "--delete-excluded"])] {
            // (The rules name r, rsync's destination: sy's, s, is named r for the run.)
            for d in ["r", "s"] {
                mkdir(t.sub(d), 0o755)
                if mode != "plain" {
                    for f in ["old/thing", "keep", "x/gone", "b"] { _ = makeFile(t.sub(d) + "/" + f, [9]) }
                    touchTree(t.sub(d), "2023-05-06 07:08:09")
                }
            }
            let rr = run(["rsync"] + flags + rules + ["src/", "r"], cwd: t.path)
            _ = rename(t.sub("r"), t.sub("r-rsync"))
            _ = rename(t.sub("s"), t.sub("r"))
            let ss = run(["sy"] + flags + rules + ["src/", "r"], cwd: t.path)
            #expect(rr.code == 0, "rsync \(rules): \(rr)")
            #expect(ss.code == rr.code, "sy \(rules): \(ss)")
            let d = TreeSnapshot(t.sub("r-rsync")).diff(TreeSnapshot(t.sub("r")), ignoringDirTimes: true)
            #expect(d.isEmpty, "\(mode) \(rules): \(d.prefix(8))")
            removeTree(t.sub("r")); removeTree(t.sub("r-rsync"))
        }
    }

    /// rsync's receiver reads the per-directory merge files of the destination where it deletes:
    /// in a directory both sides have (for what is deleted below it) and in a directory being
    /// deleted (what they exclude stays, with the directories holding it).
    @Test(arguments: [["--delete"], ["--delete-after"], ["--delete-before"], ["--delete-delay"], ["--delete", "-n"]])
    func mergeFilesWhereTheReceiverDeletes(flags: [String]) throws {
        let t = TempDir("dirmerge")
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/x"), 0o755)
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        for d in ["r", "s"] {
            for (f, text) in [("x/.rules", "- keep\n"), ("x/sub/keep", ""), ("x/sub/other", ""), ("y/.rules", "- keep\n"),
                              ("y/keep", ""), ("y/other", ""), ("y/z/keep", ""), ("y/z/more", "")] {
                _ = makeFile(t.sub(d) + "/" + f, Array(text.utf8))
            }
            touchTree(t.sub(d), "2023-05-06 07:08:09")
        }
        let base = ["-ai", "--filter=: .rules"] + flags
        let rr = run(["rsync"] + base + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy"] + base + ["src/", "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(rr) \(ss)")
        #expect(ss.out.split(separator: "\n").sorted() == rr.out.split(separator: "\n").sorted(), "\(rr.out) vs \(ss.out)")
        let d = TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true)
        #expect(d.isEmpty, "\(d.prefix(8))")
        if !flags.contains("-n") {
            // (--delete-delay deletes at the end, where x's rules no longer count, as rsync's.)
            #expect(exists(t.sub("s/y/z/keep")) && exists(t.sub("s/x/sub/keep")) == !flags.contains("--delete-delay"))
            #expect(!exists(t.sub("s/y/other")))
        }
    }

    /// `:e` excludes the merge file itself; with --delete-excluded the receiver may delete it.
    @Test func ownMergeFileWithDeleteExcluded() throws {
        let t = TempDir("dirmerge-e")
        _ = makeFile(t.sub("src/a"), [1])
        for d in ["r", "s"] { _ = makeFile(t.sub(d) + "/.rules", Array("- a\n".utf8)); _ = makeFile(t.sub(d) + "/x/.rules", []) }
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        let base = ["-ai", "--delete", "--delete-excluded", "--filter=:e .rules"]
        let rr = run(["rsync"] + base + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy"] + base + ["src/", "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(rr) \(ss)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true).isEmpty)
        #expect(!exists(t.sub("s/.rules")))
    }

    /// -m keeps a directory the receiver's rules exclude (rsync's receiver prunes and passes
    /// over those), with the directories above it. Its `/`-modifier rules see the directory
    /// rsync's receiver started in (`ROOT`, the working directory), not the destination's nor
    /// the source's (fuzz-filters seed 840000082).
    @Test(arguments: [["--filter=P deep/"], ["--filter=-r deep/"], ["--delete-excluded", "--filter=P deep/"],
                      ["--delete", "--filter=R deep/", "--filter=P deep/"], ["--filter=-/ ROOT/*/c/deep"],
                      ["--filter=-/ ROOT/a/deep"], ["--filter=-/ ROOT/src/a/deep"]])
    func pruneKeepsWhatTheReceiverExcludes(rules given: [String]) throws {
        let t = TempDir("prune")
        let rules = given.map { r in r.split(separator: "ROOT", omittingEmptySubsequences: false).joined(separator: t.path) }
        _ = system(script: "cd \(shellQuote(t.path)) && mkdir -p src/a/deep src/b/c/deep src/b/other src/e")
        _ = makeFile(t.sub("src/f/file"), [1])
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        let flags = ["-ai", "-m"] + rules
        let rr = run(["rsync"] + flags + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy"] + flags + ["src/", "s/"], cwd: t.path)
        #expect(rr.code == 0 && ss.code == 0, "\(rr) \(ss)")
        let lines = { (r: RunResult) in r.out.split(separator: "\n").filter { !$0.hasPrefix("created directory") }.sorted() }
        #expect(lines(ss) == lines(rr), "\(rr.out) vs \(ss.out)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true).isEmpty)
        #expect(exists(t.sub("s/b/c/deep")) == exists(t.sub("r/b/c/deep")) && !exists(t.sub("s/e")))
    }

    /// A directory that keeps an excluded file stays in the way of the file or link that
    /// replaces it: a dry run says so as the real run does (exit 23).
    @Test(arguments: [[], ["-n"]])
    func keptDirectoryInTheWay(dryRun: [String]) throws {
        let t = TempDir("inway")
        _ = makeFile(t.sub("src/a"), [1])
        _ = system(script: "cd \(shellQuote(t.path)) && ln -s a src/l && mkdir -p r/a r/l && touch r/a/keep r/l/keep r/a/other && cp -a r s")
        touchTree(t.sub("src"), "2024-01-02 03:04:05")
        let flags = ["-ai", "--delete", "--exclude=keep"] + dryRun
        let rr = run(["rsync"] + flags + ["src/", "r/"], cwd: t.path)
        let ss = run(["sy"] + flags + ["src/", "s/"], cwd: t.path)
        #expect(rr.code == 23 && ss.code == 23, "\(rr) \(ss)")
        let lines = { (r: RunResult) in r.out.split(separator: "\n").filter { !$0.hasSuffix(" ./") }.sorted() }
        #expect(lines(ss) == lines(rr), "\(rr.out) vs \(ss.out)")
        let errs = { (r: RunResult) in r.err.split(separator: "\n").filter { $0.hasPrefix("could not") }.sorted() }
        #expect(errs(ss) == errs(rr) && errs(ss).count == 2, "\(rr.err) vs \(ss.err)")
        #expect(TreeSnapshot(t.sub("r")).diff(TreeSnapshot(t.sub("s")), ignoringDirTimes: true).isEmpty)
    }
}
