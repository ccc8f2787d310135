/// The block sums of one file, read from the plan stream as the matcher needs them, so matching
/// can start before the whole signature has arrived (the destination is still being summed).
final class SignatureFeed {
    let info: SignatureInfo
    private(set) var weak: [UInt32] = []
    private(set) var strong: [UInt8] = []
    private let next: () throws(SyError) -> Record?
    private let offset: () -> UInt64
    /// A record read past the signature, handed back to the stream's reader.
    private(set) var overshoot: Record?
    private(set) var index: BlockIndex?

    /// `next` reads the following record of the plan stream.
    init(info: SignatureInfo, next: @escaping () throws(SyError) -> Record?, offset: @escaping () -> UInt64) {
        self.info = info
        self.next = next
        self.offset = offset
        weak.reserveCapacity(min(info.blockCount, 1 << 20))
    }

    var complete: Bool { weak.count == info.blockCount }

    /// Reads BLOCKS records until block `k` is known (or the signature is complete).
    func load(through k: Int) throws(SyError) {
        while weak.count <= k && !complete {
            guard let rec = try next() else {
                throw SyError.stream("stream ended inside the block sums of a file", offset: offset())
            }
            guard case .blocks(let sl, let w, let s) = rec else {
                throw SyError.stream("signature has \(weak.count) blocks, expected \(info.blockCount)", offset: offset())
            }
            guard sl == info.strongLength else {
                throw SyError.stream("blocks with strong length \(sl), plan says \(info.strongLength)", offset: offset())
            }
            guard weak.count + w.count <= info.blockCount else {
                throw SyError.stream("signature has more than \(info.blockCount) blocks", offset: offset())
            }
            weak += w
            strong += s
        }
    }

    /// The whole signature, indexed for matching anywhere.
    func fullIndex() throws(SyError) -> BlockIndex {
        if let index { return index }
        try load(through: info.blockCount)
        let i = BlockIndex(info: info, weak: weak, strong: strong)
        index = i
        return i
    }

    /// Whether block `k` has the weak sum `w` and the strong sum of the `n` bytes at `p`.
    func blockMatches(_ k: Int, weak w: UInt32, _ p: UnsafeRawPointer, _ n: Int) -> Bool {
        guard k < weak.count, weak[k] == w else { return false }
        var digest = XXH128Bytes(QuickHash.xxh128(p, n))
        let sl = info.strongLength
        return withUnsafeBytes(of: &digest) { d in
            strong.withUnsafeBytes { st in memcmpBytes(st.baseAddress! + k * sl, d.baseAddress!, sl) }
        }
    }
}
