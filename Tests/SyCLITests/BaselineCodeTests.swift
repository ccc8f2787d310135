import Glibc
import SyCore
import SyTestSupport
import Testing

/// The AVX2 code (weak sums, XXH3) and the baseline code for CPUs without it give the same
/// bytes: checksums, signatures, deltas and trees agree with SY_NO_AVX2 set and unset.
struct BaselineCodeTests {
    func tree(_ t: TempDir) {
        var rng = SeededRandom(seed: 21)
        for (name, size) in [("empty", 0), ("one", 1), ("odd", 33), ("k", 1000), ("mid", 100_003), ("big", 3_000_017)] {
            makeFile(t.sub("src/" + name), (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) })
            var old = readFile(t.sub("src/" + name)) ?? []
            if old.count > 10 { for k in stride(from: 5, to: old.count, by: 7_919) { old[k] ^= 0x5A } }
            makeFile(t.sub("dst/" + name), Array(old.prefix(old.count - old.count / 10)))
        }
        touchTree(t.sub("dst"), "2020-01-01 00:00:00")
    }

    @Test func avx2AndBaselineAgree() {
        let t = TempDir("baseline")
        tree(t)
        let scan = ["sy-scan", "-c", "src/"]
        let fast = run(scan, cwd: t.path), base = run(["env", "SY_NO_AVX2=1"] + scan, cwd: t.path)
        #expect(fast.code == 0 && base.code == 0 && fast.stdout == base.stdout, "checksums differ")
        let entries = run(["sy-scan", "src/"], cwd: t.path).stdout
        let sigFast = run(["sy-sum", "-a", "dst/"], stdin: entries, cwd: t.path)
        let sigBase = run(["env", "SY_NO_AVX2=1", "sy-sum", "-a", "dst/"], stdin: entries, cwd: t.path)
        #expect(sigFast.code == 0 && sigFast.stdout == sigBase.stdout, "signatures differ")
        let deltaFast = run(["sy-delta", "src/"], stdin: sigFast.stdout, cwd: t.path)
        let deltaBase = run(["env", "SY_NO_AVX2=1", "sy-delta", "src/"], stdin: sigFast.stdout, cwd: t.path)
        #expect(deltaFast.code == 0 && deltaFast.stdout == deltaBase.stdout, "deltas differ")
        let sync = run(["env", "SY_NO_AVX2=1", "sy", "-a", "--no-W", "--stats", "src/", "dst/"], cwd: t.path)
        #expect(sync.code == 0 && sync.out.contains("Matched data:"), "\(sync)")
        #expect(TreeSnapshot(t.sub("src")).diff(TreeSnapshot(t.sub("dst"))).isEmpty)
    }
}
