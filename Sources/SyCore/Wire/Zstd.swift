import CZstd

/// zstd compression of literal data.
public final class ZstdCompressor {
    private let cctx: OpaquePointer
    private var out: [UInt8] = []
    public let level: Int32

    public init(level: Int) {
        cctx = ZSTD_createCCtx()
        self.level = Int32(level)
    }

    deinit { ZSTD_freeCCtx(cctx) }

    /// Compressed bytes of `src`, or nil when compression does not make it smaller.
    public func compress(_ src: UnsafeRawBufferPointer) -> [UInt8]? {
        let bound = ZSTD_compressBound(src.count)
        if out.count < bound { out = [UInt8](repeating: 0, count: bound) }
        let n = out.withUnsafeMutableBytes { o in
            ZSTD_compressCCtx(cctx, o.baseAddress!, bound, src.baseAddress, src.count, level)
        }
        if ZSTD_isError(n) != 0 || n >= src.count { return nil }
        return Array(out[0..<n])
    }
}

/// zstd decompression of literal records.
public enum ZstdDecoder {
    /// Decompresses `src` that must expand to exactly `rawLength` bytes.
    public static func decompress(_ src: UnsafeRawBufferPointer, rawLength: Int, into dst: UnsafeMutableRawPointer) throws(SyError) {
        let n = ZSTD_decompress(dst, rawLength, src.baseAddress, src.count)
        if ZSTD_isError(n) != 0 {
            throw SyError("corrupt compressed literal: \(String(cString: ZSTD_getErrorName(n)))", status: .streamIO)
        }
        guard n == rawLength else { throw SyError("compressed literal has \(n) bytes, expected \(rawLength)", status: .streamIO) }
    }
}
