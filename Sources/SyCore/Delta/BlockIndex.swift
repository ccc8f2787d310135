/// A lookup table from weak sums to basis blocks: a bitmap prefilter and a flat
/// open-addressing table with chains for equal weak sums. No per-lookup allocation.
final class BlockIndex {
    let blockSize: Int
    let strongLength: Int
    let count: Int
    let basisSize: Int64
    private(set) var weak: [UInt32]
    private(set) var strong: [UInt8]
    /// The prefilter: bit `(w * 0x9E3779B1) >> bitmapShift` is set for every block's weak sum.
    let bitmap: UnsafeMutablePointer<UInt64>
    let bitmapShift: UInt32
    /// Slot -> first block index + 1 (0 = empty); keyed by the weak sum.
    private var slots: [Int32]
    private let slotMask: Int
    /// Block index -> next block with the same weak sum + 1 (0 = end).
    private var next: [Int32]

    init(info: SignatureInfo, weak: [UInt32], strong: [UInt8]) {
        blockSize = info.blockSize
        strongLength = info.strongLength
        count = weak.count
        basisSize = info.basisSize
        self.weak = weak
        self.strong = strong
        var bits: UInt32 = 16
        while bits < 24 && (1 << bits) < count * 8 { bits += 1 }
        bitmapShift = 32 - bits
        bitmap = .allocate(capacity: (1 << Int(bits)) / 64)
        bitmap.initialize(repeating: 0, count: (1 << Int(bits)) / 64)
        var cap = 16
        while cap < count * 2 { cap <<= 1 }
        slots = [Int32](repeating: 0, count: cap)
        slotMask = cap - 1
        next = [Int32](repeating: 0, count: count)
        // Insert in reverse so chains list blocks in ascending order.
        var i = count - 1
        while i >= 0 {
            insert(i)
            i -= 1
        }
    }

    deinit { bitmap.deallocate() }

    @inline(__always)
    private func mix(_ w: UInt32) -> Int { Int(truncatingIfNeeded: (w &* 0x9E37_79B1) >> 7) }

    @inline(__always)
    private func bitIndex(_ w: UInt32) -> Int { Int((w &* 0x9E37_79B1) >> bitmapShift) }

    private func insert(_ b: Int) {
        let w = weak[b]
        let bi = bitIndex(w)
        bitmap[bi >> 6] |= 1 << UInt64(bi & 63)
        var s = mix(w) & slotMask
        while true {
            let v = slots[s]
            if v == 0 { slots[s] = Int32(b + 1); return }
            if weak[Int(v) - 1] == w { next[b] = v; slots[s] = Int32(b + 1); return }
            s = (s + 1) & slotMask
        }
    }

    /// Fast negative test.
    @inline(__always)
    func mayContain(_ w: UInt32) -> Bool {
        let bi = bitIndex(w)
        return bitmap[bi >> 6] & (1 << UInt64(bi & 63)) != 0
    }

    /// Length of block `b` (the last one may be short).
    @inline(__always)
    func length(of b: Int) -> Int {
        b == count - 1 ? Int(basisSize - Int64(b) * Int64(blockSize)) : blockSize
    }

    /// The block whose weak sum is `w` and whose strong sum matches the `n` bytes at `p`,
    /// preferring `preferred` (the block after the previous match).
    func find(_ w: UInt32, _ p: UnsafeRawPointer, _ n: Int, preferred: Int, minOffset: Int64 = 0) -> Int? {
        var s = mix(w) & slotMask
        var head: Int32 = 0
        while true {
            let v = slots[s]
            if v == 0 { return nil }
            if weak[Int(v) - 1] == w { head = v; break }
            s = (s + 1) & slotMask
        }
        var digest = XXH128Bytes(QuickHash.xxh128(p, n))
        let sl = strongLength
        return withUnsafeBytes(of: &digest) { d in
            strong.withUnsafeBytes { st in
                func matches(_ b: Int) -> Bool {
                    Int64(b) * Int64(blockSize) >= minOffset && length(of: b) == n && memcmpBytes(st.baseAddress! + b * sl, d.baseAddress!, sl)
                }
                if preferred >= 0 && preferred < count && weak[preferred] == w && matches(preferred) { return preferred }
                var b = head
                while b != 0 {
                    let idx = Int(b) - 1
                    if matches(idx) { return idx }
                    b = next[idx]
                }
                return nil
            }
        }
    }

    #if SY_INTERNAL_CHECKS
    func _checkInvariants() {
        for b in 0..<count { precondition(mayContain(weak[b])) }
    }
    #endif
}

@inline(__always)
func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
