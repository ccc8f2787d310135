import Glibc

/// Chooses signature parameters and computes block signatures of a basis file.
public enum BlockSigner {
    /// Block size for a file of `size` bytes: about √size rounded to 8, at least 700 bytes, and
    /// large enough that a file never has more than 2^20 blocks (so a 1 TiB file has 1 MiB blocks).
    public static func blockSize(for size: Int64) -> Int {
        if size <= 700 * 700 { return 700 }
        var b = Int(Double(size).squareRoot())
        b = (b + 7) & ~7
        let floor = Int((size + (1 << 20) - 1) >> 20)
        b = max(b, (floor + 7) & ~7)
        return min(b, SignatureLimits.maxBlock)
    }

    /// Bytes of strong sum per block: enough that the chance of any false match over the whole
    /// transfer stays below 2^-40 (log2(blocks) + log2(source bytes) + 40 bits), 8 to 16 bytes.
    public static func strongLength(basisSize: Int64, sourceSize: Int64, blockSize: Int) -> Int {
        func log2(_ v: Int64) -> Int { v <= 1 ? 0 : 64 - (v - 1).leadingZeroBitCount }
        let blocks = max(1, (basisSize + Int64(blockSize) - 1) / Int64(blockSize))
        let bits = log2(blocks) + log2(max(sourceSize, 1)) + 40
        return min(16, max(8, (bits + 7) / 8))
    }

    /// The strong sum of one block: the first `length` bytes of XXH3-128.
    @inline(__always)
    public static func strong(_ p: UnsafeRawPointer, _ n: Int, into out: UnsafeMutableRawPointer, length: Int) {
        var h = XXH128Bytes(QuickHash.xxh128(p, n))
        withUnsafeBytes(of: &h) { out.copyMemory(from: $0.baseAddress!, byteCount: length) }
    }

    /// Reads the basis `fd` once and emits BLOCKS records for it to `out`.
    public static func emitBlocks(fd: Int32, info: SignatureInfo, out: StreamWriter) throws(SyError) {
        let bs = info.blockSize, sl = info.strongLength
        let perRecord = max(1, min(8192, (Wire.maxPayload - 16) / (4 + sl)))
        let chunkBlocks = max(1, (4 << 20) / bs)
        let buf = UnsafeMutableRawPointer.allocate(byteCount: chunkBlocks * bs, alignment: 64)
        defer { buf.deallocate() }
        var weak: [UInt32] = []; weak.reserveCapacity(perRecord)
        var strongBuf = [UInt8](repeating: 0, count: perRecord * sl)
        var offset: Int64 = 0
        var remaining = info.blockCount
        var poisoned = false
        func flushRecord() throws(SyError) {
            guard !weak.isEmpty else { return }
            out.payload.append(UInt8(sl))
            out.payload.appendVarint(UInt64(weak.count))
            for w in weak { out.payload.appendU32LE(w) }
            out.payload.append(contentsOf: strongBuf[0..<(weak.count * sl)])
            try out.emit(.blocks)
            weak.removeAll(keepingCapacity: true)
        }
        while remaining > 0 {
            let want = min(chunkBlocks * bs, Int(info.basisSize - offset))
            var got = (try? Sys.preadFull(fd, buf, want, offset)) ?? 0
            if got < want {
                // The basis shrank or failed to read: describe the missing part with sums that
                // cannot match real data (the receiver's hash check still guards the result).
                (buf + got).initializeMemory(as: UInt8.self, repeating: 0, count: want - got)
                got = want
                poisoned = true
            }
            var pos = 0
            while pos < got {
                let n = min(bs, got - pos)
                let p = (buf + pos).assumingMemoryBound(to: UInt8.self)
                let w = poisoned ? 0 : RollingChecksum(p, count: n).value
                strongBuf.withUnsafeMutableBytes { s in
                    if poisoned {
                        (s.baseAddress! + weak.count * sl).initializeMemory(as: UInt8.self, repeating: 0xA5, count: sl)
                    } else {
                        strong(buf + pos, n, into: s.baseAddress! + weak.count * sl, length: sl)
                    }
                }
                weak.append(w)
                if weak.count == perRecord { try flushRecord() }
                pos += n
                remaining -= 1
            }
            offset += Int64(got)
        }
        try flushRecord()
    }
}

/// XXH3-128 laid out as 16 little-endian bytes (low half first).
struct XXH128Bytes {
    var low: UInt64
    var high: UInt64
    init(_ h: Hash128) { low = h.low.littleEndian; high = h.high.littleEndian }
}
