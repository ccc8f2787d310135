import Glibc

/// Writes one sy stream: header, records, end record with count and checksum.
///
/// Buffers up to 256 KiB (or `flushAt`) and writes with retried short writes. Not thread-safe.
public final class StreamWriter {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let hash = StreamHash()
    /// Buffered bytes that make a write. A producer that spends long on each record (sy-scan
    /// reading whole files for -c) lowers it, so the next stage starts on the first records
    /// while the rest are being made.
    public var flushAt = 256 << 10
    public private(set) var recordCount: UInt64 = 0
    /// Bytes handed to the fd so far plus those buffered.
    public private(set) var bytesWritten: UInt64 = 0
    /// Scratch payload that callers fill before `emit(_:)`.
    public var payload: [UInt8] = []
    private var finished = false
    /// `--bwlimit`: the rate at which bytes may leave.
    public var limiter: RateLimiter?

    private var compressor: ZstdStreamCompressor?
    /// Compresses and writes the body behind the producer (compressed streams only).
    private var worker: CompressWorker?

    /// Starts a stream; with `compressLevel`, everything after the header is one zstd stream.
    public init(fd: Int32, kind: StreamKind, producer: String, compressLevel: Int? = nil) throws(SyError) {
        self.fd = fd
        Sys.growPipe(fd)
        buffer.reserveCapacity(flushAt + 64)
        payload.reserveCapacity(4096)
        buffer.append(contentsOf: Wire.magic)
        buffer.append(Wire.version)
        buffer.append(kind.rawValue | (compressLevel != nil ? Wire.compressedFlag : 0))
        buffer.appendBytes(Array(producer.utf8.prefix(Wire.maxProducer)))
        if let level = compressLevel {
            try flush()
            let c = ZstdStreamCompressor(level: level)
            compressor = c
            worker = CompressWorker { [weak self] (b: UnsafeRawBufferPointer) throws(SyError) in
                guard let self else { throw SyError("", status: .streamIO) } // abandoned mid-stream
                try c.compress(b, end: false) { (piece: UnsafeRawBufferPointer) throws(SyError) in try self.writeOut(piece) }
            }
        }
    }

    /// Whether the body is zstd-compressed (literals are then sent raw inside it).
    public var isCompressed: Bool { compressor != nil }

    /// Emits a record whose payload is in `payload`, then clears `payload`.
    public func emit(_ type: RecordType) throws(SyError) {
        precondition(type != .end)
        buffer.append(type.rawValue)
        buffer.appendVarint(UInt64(payload.count))
        buffer.append(contentsOf: payload)
        payload.removeAll(keepingCapacity: true)
        recordCount += 1
        if buffer.count >= flushAt { try flush() }
    }

    /// Emits a record with `prefix` in `payload` followed by raw bytes (literal data).
    public func emit(_ type: RecordType, appending data: UnsafeRawBufferPointer) throws(SyError) {
        buffer.append(type.rawValue)
        buffer.appendVarint(UInt64(payload.count + data.count))
        buffer.append(contentsOf: payload)
        payload.removeAll(keepingCapacity: true)
        recordCount += 1
        if data.count >= StreamWriter.directMinimum && compressor == nil && limiter == nil {
            // Large literal data goes to the fd from where it is, after what is buffered.
            try flush()
            hash.update(data.baseAddress!, data.count)
            do throws(Errno) { try Sys.writeAll(fd, data.baseAddress!, data.count) } catch { throw StreamWriter.writeError(error) }
            bytesWritten += UInt64(data.count)
            return
        }
        buffer.append(contentsOf: data)
        if buffer.count >= flushAt { try flush() }
    }

    /// Raw data at least this long is written without being copied into the buffer.
    static let directMinimum = 64 << 10

    /// A write error as the stream reports it: a closed pipe means the next stage has stopped
    /// (it reports why).
    static func writeError(_ e: Errno) -> SyError {
        SyError(e.code == EPIPE ? "" : "cannot write output: \(e)", status: e.code == EPIPE ? .streamIO : .fileIO, errno: e.code)
    }

    /// Sends buffered bytes to the fd.
    public func flush() throws(SyError) {
        try flush(end: false)
    }

    private func flush(end: Bool) throws(SyError) {
        if let c = compressor {
            let n = buffer.count
            if let worker {
                if !end {
                    guard n > 0 else { return }
                    buffer.withUnsafeBytes { hash.update($0.baseAddress!, n) }
                    try worker.submit(&buffer)
                    bytesWritten += UInt64(n)
                    return
                }
                try worker.drain() // the end is compressed here, after everything before it
            }
            let failure: SyError? = buffer.withUnsafeBytes { b in
                if n > 0 { hash.update(b.baseAddress!, n) }
                do throws(SyError) {
                    try c.compress(b, end: end) { (piece: UnsafeRawBufferPointer) throws(SyError) in try self.writeOut(piece) }
                } catch { return error }
                return nil
            }
            if let failure { throw failure }
            bytesWritten += UInt64(n)
            buffer.removeAll(keepingCapacity: true)
            return
        }
        guard !buffer.isEmpty else { return }
        let n = buffer.count
        let failure: Errno? = buffer.withUnsafeBytes { b in
            hash.update(b.baseAddress!, n)
            do throws(Errno) {
                if let limiter {
                    // Small slices so the rate stays smooth.
                    var off = 0
                    while off < n {
                        let len = min(16 << 10, n - off)
                        limiter.take(len)
                        try Sys.writeAll(fd, b.baseAddress! + off, len)
                        off += len
                    }
                } else {
                    try Sys.writeAll(fd, b.baseAddress!, n)
                }
            } catch { return error }
            return nil
        }
        if let e = failure { throw StreamWriter.writeError(e) }
        bytesWritten += UInt64(n)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes bytes to the fd (rate-limited), for the compressed path.
    private func writeOut(_ b: UnsafeRawBufferPointer) throws(SyError) {
        do throws(Errno) {
            var off = 0
            while off < b.count {
                let len = min(16 << 10, b.count - off)
                limiter?.take(len)
                try Sys.writeAll(fd, b.baseAddress! + off, len)
                off += len
            }
        } catch {
            throw StreamWriter.writeError(error)
        }
    }

    /// Writes the end record (count and checksum) and flushes.
    public func finish() throws(SyError) {
        guard !finished else { return }
        finished = true
        try flush()
        var end: [UInt8] = []
        end.appendVarint(recordCount)
        end.appendU64LE(hash.digest)
        buffer.append(RecordType.end.rawValue)
        buffer.appendVarint(UInt64(end.count))
        buffer.append(contentsOf: end)
        try flush(end: true)
    }
}
