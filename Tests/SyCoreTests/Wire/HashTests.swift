import Testing
@testable import SyCore

/// sy's inline XXH3 (AVX2 where the CPU has it) gives the reference values (libxxhash 0.8),
/// one-shot and streamed in uneven pieces, on both sides of XXH3's 240-byte and stripe limits.
struct HashTests {
    static func bytes(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) } }

    static let xxh128: [(Int, UInt64, UInt64)] = [
        (0, 0x6001c324468d497f, 0x99aa06d3014798d8), (1, 0x4c5cca45d0f4811f, 0x495b62073ef70ca4),
        (3, 0x6e3e2670e61106ac, 0x390cdc5b4a895dd7), (17, 0x8d96ef110fcdebb4, 0x66fc23f6439dbd77),
        (129, 0x4545b3a09738e31a, 0x98cd36ccbb557926), (240, 0x3f2c53e72293711f, 0x5293e17bf553903d),
        (241, 0x956cae592c67279e, 0xb53840fe3fedf161), (1000, 0x571d5cbfef44331b, 0x622239c5c47a6910),
        (100_000, 0x14ce8d6fc2c4868b, 0xe9e46da59b77e423),
    ]

    @Test(arguments: xxh128)
    func xxh128MatchesReference(n: Int, low: UInt64, high: UInt64) {
        let data = Self.bytes(n)
        let one = data.withUnsafeBytes { QuickHash.xxh128($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, n) }
        #expect(one == Hash128(low: low, high: high))
        let hasher = FileHasher()
        data.withUnsafeBytes { b in
            var off = 0, step = 1
            while off < n { let k = min(step, n - off); hasher.update(b.baseAddress! + off, k); off += k; step = step * 3 + 1 }
        }
        #expect(hasher.digest == Hash128(low: low, high: high))
    }

    @Test func xxh64StreamMatchesReference() {
        let data = Self.bytes(100_000)
        let h = StreamHash()
        data.withUnsafeBytes { b in h.update(b.baseAddress!, 70_001); h.update(b.baseAddress! + 70_001, 29_999) }
        #expect(h.digest == 0x14ce8d6fc2c4868b)
    }
}
