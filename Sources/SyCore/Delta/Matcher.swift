import Glibc
import CSyLinux

/// The sender's block matcher: rolls the weak sum over the source byte by byte where it does
/// not match and jumps a block where it does. Memory: the index plus one window.
enum Matcher {
    /// Streams `fd` through `sink` as copies of `index` blocks and literals. Returns the bytes read;
    /// `hasher` has seen every source byte; without a feed or index everything is literal.
    ///
    /// With a `feed`, matching starts at once, block by block at the same offsets, while the
    /// signature is still arriving; the first block that does not match there waits for the
    /// whole signature and switches to the full search. The output is the same either way.
    static func run(fd: Int32, feed: SignatureFeed?, index givenIndex: BlockIndex?, sink: DeltaSink, hasher: FileHasher,
                    inplace: Bool = false) throws(SyError) -> Int64 {
        hasher.reset()
        let bs = feed?.info.blockSize ?? givenIndex?.blockSize ?? 0
        let window = max(4 << 20, bs * 4)
        let cap = window + bs
        let buf = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 64)
        defer { buf.deallocate() }
        let bytes = buf.assumingMemoryBound(to: UInt8.self)
        var fileOffset: Int64 = 0   // file offset of buf[0]
        var avail = 0
        var eof = false
        var pos = 0
        var litStart = 0
        var total: Int64 = 0

        /// Sends pending literals, slides the window, reads more.
        func refill() throws(SyError) {
            try sink.literal(buf + litStart, pos - litStart)
            let keep = avail - pos
            if keep > 0 && pos > 0 { memmove(buf, buf + pos, keep) }
            fileOffset += Int64(pos)
            avail = keep; pos = 0; litStart = 0
            while !eof && avail < cap {
                let n: Int
                do { n = try Sys.read(fd, buf + avail, cap - avail) } catch {
                    throw SyError("read error: \(error)", status: .partial, errno: error.code)
                }
                if n == 0 { eof = true; break }
                hasher.update(buf + avail, n)
                avail += n
                total += Int64(n)
            }
        }

        guard feed != nil || givenIndex != nil else {
            // Whole file: everything is literal.
            repeat {
                pos = avail
                try refill()
            } while avail > 0
            return total
        }

        try refill()
        var lastBlock = -1
        var haveSum = false
        var rc = RollingChecksum(bytes, count: 0)
        // Same-offset phase (only with a feed): block k of the source against block k of the basis.
        if let feed {
            let total = feed.info.blockCount
            while true {
                if avail - pos < bs && !eof { try refill() }
                guard avail - pos >= bs else { break }
                let k = Int((fileOffset + Int64(pos)) / Int64(bs))
                guard k < total else { break }
                try feed.load(through: k)
                let w = RollingChecksum(bytes + pos, count: bs).value
                guard feed.blockMatches(k, weak: w, buf + pos, bs), k != total - 1 || feed.info.basisSize % Int64(bs) == 0 else { break }
                try sink.copy(offset: Int64(k) * Int64(bs), length: Int64(bs))
                lastBlock = k
                pos += bs
                litStart = pos
            }
        }
        let index: BlockIndex
        if let feed { index = try feed.fullIndex() } else { index = givenIndex! }
        while true {
            if avail - pos <= bs && !eof {
                try refill()
                haveSum = false
            }
            if avail - pos < bs { break }
            if !haveSum { rc = RollingChecksum(bytes + pos, count: bs); haveSum = true }
            // Roll in C up to a position the prefilter may know, short of the window's last
            // position (which refills first) and of a full literal chunk.
            let limit = min(avail - bs - 1, litStart + Wire.literalChunk)
            if limit > pos {
                pos = sy_roll_scan(bytes, pos, limit, bs, &rc.s1, &rc.s2, index.bitmap, index.bitmapShift)
            }
            let w = rc.value
            if index.mayContain(w), let b = index.find(w, buf + pos, bs, preferred: lastBlock + 1, minOffset: inplace ? fileOffset + Int64(pos) : 0) {
                try sink.literal(buf + litStart, pos - litStart)
                try sink.copy(offset: Int64(b) * Int64(bs), length: Int64(bs))
                lastBlock = b
                pos += bs
                litStart = pos
                haveSum = false
                continue
            }
            if avail - pos > bs {
                rc.roll(out: bytes[pos], in: bytes[pos + bs])
                pos += 1
            } else {
                // Exactly one block left at end of file, no match: it all becomes literal below.
                break
            }
            if pos - litStart >= Wire.literalChunk {
                try sink.literal(buf + litStart, pos - litStart)
                litStart = pos
            }
        }
        // Tail: fewer than a block left. The basis's short last block can only match where
        // exactly its length remains, so that one position is tried (as rsync does).
        let tail = avail - pos
        if tail > 0 && index.count > 0 {
            let last = index.count - 1
            let lastLen = index.length(of: last)
            if lastLen <= tail && lastLen < bs {
                let at = avail - lastLen
                let w = RollingChecksum(bytes + at, count: lastLen).value
                if index.mayContain(w), let b = index.find(w, buf + at, lastLen, preferred: last,
                                                           minOffset: inplace ? fileOffset + Int64(at) : 0), b == last {
                    try sink.literal(buf + litStart, at - litStart)
                    try sink.copy(offset: Int64(b) * Int64(bs), length: Int64(lastLen))
                    pos = avail
                    litStart = pos
                }
            }
        }
        pos = avail
        try sink.literal(buf + litStart, pos - litStart)
        litStart = pos
        try sink.flushCopy()
        return total
    }
}
