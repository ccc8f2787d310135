/// Emits a file's delta records: coalesces copies, cuts and optionally compresses literals.
final class DeltaSink {
    let out: StreamWriter
    let compressor: ZstdCompressor?
    private var copyOffset: Int64 = 0
    private var copyLength: Int64 = 0
    /// Literal and matched byte counts of the current file.
    var literalBytes: Int64 = 0
    var matchedBytes: Int64 = 0

    init(out: StreamWriter, compressor: ZstdCompressor?) {
        self.out = out; self.compressor = compressor
    }

    func reset() { literalBytes = 0; matchedBytes = 0; copyLength = 0 }

    /// Literal bytes, sent in records of at most `Wire.literalChunk`.
    func literal(_ p: UnsafeRawPointer, _ n: Int) throws(SyError) {
        guard n > 0 else { return }
        try flushCopy()
        literalBytes += Int64(n)
        var off = 0
        while off < n {
            let len = min(Wire.literalChunk, n - off)
            let chunk = UnsafeRawBufferPointer(start: p + off, count: len)
            if let c = compressor, let z = c.compress(chunk) {
                out.payload.appendVarint(UInt64(len))
                let failure: SyError? = z.withUnsafeBytes { zb in
                    do throws(SyError) { try out.emit(.literalZstd, appending: zb) } catch { return error }
                    return nil
                }
                if let failure { throw failure }
            } else {
                try out.emit(.literal, appending: chunk)
            }
            off += len
        }
    }

    /// A run of basis bytes.
    func copy(offset: Int64, length: Int64) throws(SyError) {
        matchedBytes += length
        if copyLength > 0 && copyOffset + copyLength == offset {
            copyLength += length
            return
        }
        try flushCopy()
        copyOffset = offset; copyLength = length
    }

    func flushCopy() throws(SyError) {
        guard copyLength > 0 else { return }
        try out.write(.copy(offset: copyOffset, length: copyLength))
        copyLength = 0
    }
}
