import Dispatch
import Glibc

/// Chooses signature parameters and computes block signatures of a basis file.
public enum BlockSigner {
    /// The smallest block: below rsync's 700, since small files then send less literal data
    /// (measured against rdiff: 700 sent 33% more than rdiff on the test pairs, 512 about 17%).
    public static let minBlock = 512

    /// Block size for a file of `size` bytes: √(size/2) rounded down to a multiple of 8 (√size,
    /// rsync's, when the literal data is compressed), at least `minBlock` bytes, and large
    /// enough that a file never has more than 2^20 blocks (so a 1 TiB file has 1 MiB blocks).
    /// Smaller blocks trade signature bytes for literal bytes: √2 less than rsync sends about a
    /// fifth less for a 1 GiB file with 64 scattered changes, for 40% more blocks. Compressed
    /// literals cost about a third as much on the wire while signatures do not compress, so
    /// with `-z` rsync's size sends less in all (the numpy release update: 0.6% fewer bytes).
    public static func blockSize(for size: Int64, compressedLiterals: Bool = false) -> Int {
        let divisor: Double = compressedLiterals ? 1 : 2
        if Double(size) <= divisor * Double(minBlock * minBlock) { return minBlock }
        var b = Int((Double(size) / divisor).squareRoot()) & ~7
        let floor = Int((size + (1 << 20) - 1) >> 20)
        b = max(b, (floor + 7) & ~7)
        return min(b, SignatureLimits.maxBlock)
    }

    /// Bytes of strong sum per block: enough that the chance of a false match in a file stays
    /// below 2^-16, counting 16 of the weak sum's 32 bits (rsync counts all 32 and aims at about
    /// 2^-10): log2(blocks) + log2(source bytes) + 16 - 16 bits, 2 to 16 bytes (rsync's 2 at
    /// least). A false match is still caught by the whole-file hash, and the file is sent again
    /// whole.
    public static func strongLength(basisSize: Int64, sourceSize: Int64, blockSize: Int) -> Int {
        func log2(_ v: Int64) -> Int { v <= 1 ? 0 : 64 - (v - 1).leadingZeroBitCount }
        let blocks = max(1, (basisSize + Int64(blockSize) - 1) / Int64(blockSize))
        let bits = log2(blocks) + log2(max(sourceSize, 1)) + 16 - 16
        return min(16, max(SignatureLimits.minStrong, (bits + 7) / 8))
    }

    /// The strong sum of one block: the first `length` bytes of XXH3-128.
    @inline(__always)
    public static func strong(_ p: UnsafeRawPointer, _ n: Int, into out: UnsafeMutableRawPointer, length: Int) {
        var h = XXH128Bytes(QuickHash.xxh128(p, n))
        withUnsafeBytes(of: &h) { out.copyMemory(from: $0.baseAddress!, byteCount: length) }
    }

    /// How many threads sign one file at once (`sy -j`; default 2, the cores measured here).
    nonisolated(unsafe) public static var maxLanes = 2

    /// Reads the basis `fd` once and emits BLOCKS records for it to `out`.
    ///
    /// Two lanes read and sum alternate 4 MiB stretches at once (the other stages wait for
    /// this signature, so both cores are free); records are emitted in block order.
    public static func emitBlocks(fd: Int32, info: SignatureInfo, out: StreamWriter) throws(SyError) {
        let bs = info.blockSize, sl = info.strongLength
        let chunkBlocks = max(1, (4 << 20) / bs)
        let chunks = Int((info.basisSize + Int64(chunkBlocks * bs) - 1) / Int64(chunkBlocks * bs))
        let lanes = max(1, min(maxLanes, chunks))
        let work = SignLanes(lanes: lanes, chunkBytes: chunkBlocks * bs, chunkBlocks: chunkBlocks, strongLength: sl)
        defer { work.deallocate() }
        let perRecord = max(1, min(8192, (Wire.maxPayload - 16) / (4 + sl)))
        var weak: [UInt32] = []
        weak.reserveCapacity(perRecord)
        var strong: [UInt8] = []
        strong.reserveCapacity(perRecord * sl)
        func flush() throws(SyError) {
            guard !weak.isEmpty else { return }
            out.payload.append(UInt8(sl))
            out.payload.appendVarint(UInt64(weak.count))
            for w in weak { out.payload.appendU32LE(w) }
            out.payload.append(contentsOf: strong)
            try out.emit(.blocks)
            weak.removeAll(keepingCapacity: true)
            strong.removeAll(keepingCapacity: true)
        }
        var offset: Int64 = 0
        var poisoned = false
        while offset < info.basisSize {
            // Lane k covers the k-th stretch from `offset`, clipped to the basis.
            var spans: [(start: Int64, length: Int)] = []
            for k in 0..<lanes {
                let o = offset + Int64(k) * Int64(chunkBlocks * bs)
                if o >= info.basisSize { break }
                spans.append((o, Int(min(Int64(chunkBlocks * bs), info.basisSize - o))))
            }
            let round = spans
            let poisonedBefore = poisoned
            work.run(count: round.count) { k in
                work.sign(lane: k, fd: fd, offset: round[k].start, length: round[k].length, blockSize: bs, poisoned: poisonedBefore)
            }
            for k in 0..<round.count {
                if work.short[k] { poisoned = true }
                let blocks = (round[k].length + bs - 1) / bs
                for b in 0..<blocks {
                    weak.append(work.weak[k][b])
                    strong.append(contentsOf: UnsafeBufferPointer(start: work.strong[k] + b * sl, count: sl))
                    if weak.count == perRecord { try flush() }
                }
                offset += Int64(round[k].length)
            }
        }
        try flush()
    }
}

/// Per-lane buffers for signing: a read buffer and the sums of one stretch.
final class SignLanes: @unchecked Sendable {
    let buffers: [UnsafeMutableRawPointer]
    let weak: [UnsafeMutablePointer<UInt32>]
    let strong: [UnsafeMutablePointer<UInt8>]
    var short: [Bool]
    let chunkBytes: Int
    let strongLength: Int

    init(lanes: Int, chunkBytes: Int, chunkBlocks: Int, strongLength: Int) {
        self.chunkBytes = chunkBytes
        self.strongLength = strongLength
        buffers = (0..<lanes).map { _ in UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 64) }
        weak = (0..<lanes).map { _ in UnsafeMutablePointer<UInt32>.allocate(capacity: chunkBlocks) }
        strong = (0..<lanes).map { _ in UnsafeMutablePointer<UInt8>.allocate(capacity: chunkBlocks * strongLength) }
        short = Array(repeating: false, count: lanes)
    }

    func deallocate() {
        buffers.forEach { $0.deallocate() }
        weak.forEach { $0.deallocate() }
        strong.forEach { $0.deallocate() }
    }

    /// Runs `body` for lanes 0..<count, concurrently when there are two.
    func run(count: Int, _ body: @Sendable (Int) -> Void) {
        if count == 1 { body(0); return }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }

    /// Reads one stretch and sums its blocks. A short read (the basis shrank) fills the rest
    /// with sums that cannot match; the receiver's whole-file hash still guards the result.
    func sign(lane k: Int, fd: Int32, offset: Int64, length: Int, blockSize bs: Int, poisoned: Bool) {
        let buf = buffers[k]
        var got = poisoned ? 0 : ((try? Sys.preadFull(fd, buf, length, offset)) ?? 0)
        short[k] = got < length
        var pos = 0, b = 0
        while pos < length {
            let n = min(bs, length - pos)
            if pos + n <= got {
                weak[k][b] = RollingChecksum((buf + pos).assumingMemoryBound(to: UInt8.self), count: n).value
                BlockSigner.strong(buf + pos, n, into: strong[k] + b * strongLength, length: strongLength)
            } else {
                weak[k][b] = 0
                (strong[k] + b * strongLength).initialize(repeating: 0xA5, count: strongLength)
                got = 0
            }
            pos += n
            b += 1
        }
    }
}

/// XXH3-128 laid out as 16 little-endian bytes (low half first).
struct XXH128Bytes {
    var low: UInt64
    var high: UInt64
    init(_ h: Hash128) { low = h.low.littleEndian; high = h.high.littleEndian }
}
