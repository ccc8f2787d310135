import Testing
@testable import SyCore

/// The block size and strong-sum length sy-sum picks, as sy-sum(1) states them.
@Suite struct SignatureLayoutTests {
    @Test func blockSizeGrowsWithTheFile() {
        #expect(BlockSigner.blockSize(for: 0) == 512)
        #expect(BlockSigner.blockSize(for: 100_000) == 512)
        // √(size/2) without compression, rsync's √size with it; multiples of 8.
        #expect(BlockSigner.blockSize(for: 1 << 30) == 23168)
        #expect(BlockSigner.blockSize(for: 1 << 30, compressedLiterals: true) == 32768)
        #expect(BlockSigner.blockSize(for: 1_000_000, compressedLiterals: true) == 1000)
        #expect(BlockSigner.blockSize(for: 1_000_000) == 704)
        // No file has more than 2^20 blocks.
        let tib: Int64 = 1 << 40
        #expect(tib / Int64(BlockSigner.blockSize(for: tib)) <= 1 << 20)
        #expect(BlockSigner.blockSize(for: Int64.max / 2) == SignatureLimits.maxBlock)
    }

    @Test func strongSumLengthKeepsFalseMatchesBelowTheBound() {
        // Small files need rsync's 2 bytes: log2(blocks) + log2(source) <= 16 bits.
        #expect(BlockSigner.strongLength(basisSize: 4096, sourceSize: 4096, blockSize: 512) == 2)
        // 2^3 blocks, 2^17 source bytes: 20 bits.
        #expect(BlockSigner.strongLength(basisSize: 4096, sourceSize: 1 << 17, blockSize: 512) == 3)
        // 1 GiB at 23168-byte blocks: 16 + 30 bits.
        #expect(BlockSigner.strongLength(basisSize: 1 << 30, sourceSize: 1 << 30, blockSize: 23168) == 6)
        // 2^56 blocks, 2^62 source bytes: 118 bits.
        #expect(BlockSigner.strongLength(basisSize: 1 << 62, sourceSize: 1 << 62, blockSize: 64) == 15)
        for size in [Int64(0), 1, 700, 1 << 20, 1 << 34] {
            let bs = BlockSigner.blockSize(for: size)
            let sl = BlockSigner.strongLength(basisSize: size, sourceSize: size, blockSize: bs)
            #expect((SignatureLimits.minStrong...SignatureLimits.maxStrong).contains(sl))
        }
    }

    @Test func twoByteStrongSumsRoundTripAndOneByteIsRefused() throws {
        func roundTrip(_ record: Record) throws -> Record {
            var bytes: [UInt8] = []
            record.encode(into: &bytes)
            var r = PayloadReader(bytes)
            return try Record.decode(record.type, &r)
        }
        let entry = Entry(path: Array("f".utf8), kind: .file, size: 10)
        for sl in [2, 16] {
            let plan = Plan(action: .update, entry: entry, signature: SignatureInfo(blockSize: 512, strongLength: sl, basisSize: 10))
            guard case .plan(let back) = try roundTrip(.plan(plan)) else { Issue.record("not a plan"); return }
            #expect(back.signature?.strongLength == sl)
            let blocks = Record.blocks(strongLength: sl, weak: [1, 2], strong: [UInt8](repeating: 7, count: 2 * sl))
            guard case .blocks(let l, let w, let st) = try roundTrip(blocks) else { Issue.record("not blocks"); return }
            #expect(l == sl && w == [1, 2] && st.count == 2 * sl)
        }
        for sl in [1, 17] {
            let plan = Plan(action: .update, entry: entry, signature: SignatureInfo(blockSize: 512, strongLength: sl, basisSize: 10))
            #expect(throws: SyError.self) { _ = try roundTrip(.plan(plan)) }
            let blocks = Record.blocks(strongLength: sl, weak: [1], strong: [UInt8](repeating: 7, count: sl))
            #expect(throws: SyError.self) { _ = try roundTrip(blocks) }
        }
    }
}
