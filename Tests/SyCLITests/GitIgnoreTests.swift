import Glibc
import SyCore
import SyTestSupport
import Testing

/// --gitignore against `git check-ignore`: sy sends exactly the files git does not ignore.
@Suite(.serialized)
struct GitIgnoreTests {
    /// (.gitignore at the root, a/.gitignore, .git/info/exclude)
    static let cases: [(String, String, String)] = [
        ("*.log\n!keep.log\nbuild/\n/top.txt\n", "*.o\n!important.o\n/local\n", "secret*\n"),
        ("a/**/x\n**/deep\nc/*.tmp\n", "", ""),
        ("*\n!*/\n!*.txt\n", "", ""),
        ("/a/b\nlogs\n# comment\n\\#hash\n  \nq.txt \n", "b/\n!b/local\n", "*.o\n"),
        ("[abc].log\n?.txt\n**/d/**\n", "*.txt\n", ""),
        ("*.o\n", "!*.o\nlocal\n", "a.log\n"),
    ]
    static let files = ["a.log", "keep.log", "top.txt", "a/top.txt", "a/b/x", "a/x", "a/y.o", "a/important.o", "a/local",
                        "a/b/local", "build/out", "c/z.tmp", "c/d/z.tmp", "c/d/deep/f", "deep/g", "secret1", "a/secret2",
                        "logs/l.log", "q.txt", "#hash", "b.log", "x.txt", "c/d/e/f.txt"]

    @Test(arguments: Array(0..<cases.count))
    func matchesGitCheckIgnore(index: Int) throws {
        let (root, sub, info) = Self.cases[index]
        let t = TempDir("gitignore")
        let repo = t.sub("repo")
        mkdir(repo, 0o755)
        #expect(run(["git", "init", "-q", repo]).code == 0)
        for f in Self.files {
            makeFile(repo + "/" + f, Array(f.utf8))
        }
        writeFile(repo + "/.gitignore", Array(root.utf8))
        if !sub.isEmpty { writeFile(repo + "/a/.gitignore", Array(sub.utf8)) }
        if !info.isEmpty { writeFile(repo + "/.git/info/exclude", Array(info.utf8)) }
        let s = run(["sy", "-a", "--gitignore", "--exclude=/.git/", repo + "/", t.sub("out")])
        #expect(s.code == 0, "\(s)")
        let all = Self.files + [".gitignore"] + (sub.isEmpty ? [] : ["a/.gitignore"])
        let git = run(["git", "-C", repo, "check-ignore", "--no-index", "--stdin", "-n", "-v"], stdin: Array(all.joined(separator: "\n").utf8))
        // Not ignored: no pattern matched ("::"), or the last match was a negation.
        var kept: [String] = []
        for line in git.out.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            let source = parts[0].split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if source.count < 3 || source[2].isEmpty || source[2].hasPrefix("!") { kept.append(String(parts[1])) }
        }
        let sent = all.filter { exists(t.sub("out/" + $0)) }
        #expect(sent.sorted() == kept.sorted(), "rules \(root.debugDescription) \(sub.debugDescription) \(info.debugDescription)")
    }

    @Test func syignoreFilesAndDeleteProtection() throws {
        let t = TempDir("gitignore")
        for f in ["src/a.tmp", "src/b", "src/d/c.tmp", "src/d/e"] {
            makeFile(t.sub(f), [1])
        }
        writeFile(t.sub("src/.syignore"), Array("*.tmp\n".utf8))
        writeFile(t.sub("src/d/.syignore"), Array("!c.tmp\n".utf8))
        mkdir(t.sub("dst"), 0o755)
        writeFile(t.sub("dst/.syignore"), Array("*.tmp\n".utf8))
        writeFile(t.sub("dst/old.tmp"), [2])
        let r = run(["sy", "-a", "--delete", "--syignore", "src/", "dst/"], cwd: t.path)
        #expect(r.code == 0, "\(r)")
        #expect(!exists(t.sub("dst/a.tmp")) && exists(t.sub("dst/b")) && exists(t.sub("dst/d/c.tmp")) && exists(t.sub("dst/d/e")))
        #expect(exists(t.sub("dst/old.tmp")), "an ignored destination file is kept by --delete")
    }
}
