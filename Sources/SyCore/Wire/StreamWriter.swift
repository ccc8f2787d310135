import Glibc

/// Writes one sy stream: header, records, end record with count and checksum.
///
/// Buffers up to 256 KiB and writes with retried short writes. Not thread-safe.
public final class StreamWriter {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let hash = StreamHash()
    private var flushAt = 256 << 10
    public private(set) var recordCount: UInt64 = 0
    /// Bytes handed to the fd so far plus those buffered.
    public private(set) var bytesWritten: UInt64 = 0
    /// Scratch payload that callers fill before `emit(_:)`.
    public var payload: [UInt8] = []
    private var finished = false
    /// `--bwlimit`: the rate at which bytes may leave.
    public var limiter: RateLimiter?

    public init(fd: Int32, kind: StreamKind, producer: String) throws(SyError) {
        self.fd = fd
        Sys.growPipe(fd)
        buffer.reserveCapacity(flushAt + 64)
        payload.reserveCapacity(4096)
        buffer.append(contentsOf: Wire.magic)
        buffer.append(Wire.version)
        buffer.append(kind.rawValue)
        buffer.appendBytes(Array(producer.utf8.prefix(Wire.maxProducer)))
    }

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
        buffer.append(contentsOf: data)
        recordCount += 1
        if buffer.count >= flushAt { try flush() }
    }

    /// Sends buffered bytes to the fd.
    public func flush() throws(SyError) {
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
        if let e = failure {
            throw SyError("cannot write output: \(e)", status: e.code == EPIPE ? .streamIO : .fileIO, errno: e.code)
        }
        bytesWritten += UInt64(n)
        buffer.removeAll(keepingCapacity: true)
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
        try flush()
    }
}
