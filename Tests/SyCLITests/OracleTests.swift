import Glibc
import SyCore
import SyTestSupport
import Testing

/// sy against real rsync: random trees and mutations, compared entry by entry.
@Suite(.serialized)
struct OracleTests {
    /// One round: rsync, sy and the hand-built pipeline update their own copies from `src`.
    func syncAll(_ t: TempDir, _ src: String, syFlags: [String], pipeFlags: String, rsyncFlags: [String]) throws {
        sleep(1) // rsync leaves a directory's mtime alone if it changed within the last second
        let r = run(["rsync"] + rsyncFlags + [src + "/", t.sub("rsync")])
        #expect(r.code == 0, "rsync: \(r)")
        let s = run(["sy"] + syFlags + [src + "/", t.sub("sy")])
        #expect(s.code == 0, "sy: \(s)")
        let q = { shellQuote($0) }
        let p = sh("sy-scan \(q(src))/ | sy-sum \(pipeFlags) \(q(t.sub("pipe"))) | sy-delta \(q(src))/ | sy-apply \(pipeFlags.replacingDeleteFlags()) \(q(t.sub("pipe")))")
        #expect(p.code == 0, "pipeline: \(p)")
        let expected = TreeSnapshot(t.sub("rsync"))
        let got = TreeSnapshot(t.sub("sy"))
        let diffs = expected.diff(got)
        #expect(diffs.isEmpty, "sy differs from rsync:\n\(diffs.prefix(20).joined(separator: "\n"))")
        let pdiffs = expected.diff(TreeSnapshot(t.sub("pipe")))
        #expect(pdiffs.isEmpty, "pipeline differs from rsync:\n\(pdiffs.prefix(20).joined(separator: "\n"))")
    }

    func scenario(seed: UInt64, syFlags: [String], pipeFlags: String, rsyncFlags: [String], rounds: Int = 3) throws {
        let t = TempDir("oracle")
        let src = t.sub("src")
        mkdir(src, 0o755)
        var gen = TreeGen(seed: seed)
        gen.populate(src)
        for _ in 0..<rounds {
            try syncAll(t, src, syFlags: syFlags, pipeFlags: pipeFlags, rsyncFlags: rsyncFlags)
            gen.mutate(src)
        }
    }

    @Test("archive + delete + hard links, random trees", arguments: [11, 12, 13] as [UInt64])
    func archiveDelete(seed: UInt64) throws {
        try scenario(seed: seed, syFlags: ["-aH", "--delete"], pipeFlags: "-aH --delete", rsyncFlags: ["-aH", "--delete"])
    }

    @Test("delta transfer forced (--no-W) matches rsync", arguments: [21, 22] as [UInt64])
    func deltaForced(seed: UInt64) throws {
        try scenario(seed: seed, syFlags: ["-a", "--delete", "--no-W"], pipeFlags: "-a --delete", rsyncFlags: ["-a", "--delete", "--no-W"])
    }

    @Test("checksum mode matches rsync -c", arguments: [31] as [UInt64])
    func checksum(seed: UInt64) throws {
        try scenario(seed: seed, syFlags: ["-ac", "--delete"], pipeFlags: "-a --delete", rsyncFlags: ["-ac", "--delete"], rounds: 2)
    }

    @Test("without --delete extraneous files stay", arguments: [41] as [UInt64])
    func noDelete(seed: UInt64) throws {
        try scenario(seed: seed, syFlags: ["-a"], pipeFlags: "-a --force", rsyncFlags: ["-a"], rounds: 2)
    }
}

extension String {
    /// sy-apply takes the preservation flags but not sum's comparison flags.
    func replacingDeleteFlags() -> String {
        split(separator: " ").filter { $0 != "--delete" && $0 != "--force" }.joined(separator: " ")
    }
}
