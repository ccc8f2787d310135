import Glibc

/// The header of a stream.
public struct StreamHeader: Sendable, Equatable {
    public var version: UInt8
    public var kind: StreamKind
    public var producer: String
    /// The body is zstd-compressed.
    public var compressed = false
}

/// Reads one sy stream record by record, checking framing, limits, count and checksum.
///
/// Every failure is a `SyError` with status 12 naming the byte offset. Memory is bounded by
/// the largest record (`Wire.maxPayload`).
public final class StreamReader {
    private let fd: Int32
    private var buf: UnsafeMutableRawPointer
    private var cap: Int
    private var start = 0
    private var end = 0
    /// `buf[..<hashed]` is in `hash`; consumed bytes are hashed in runs, not record by record.
    private var hashed = 0
    private var eof = false
    private let hash = StreamHash()
    /// Stream offset of `buf[start]`.
    public private(set) var offset: UInt64 = 0
    public private(set) var header: StreamHeader
    public private(set) var recordCount: UInt64 = 0
    /// The current record's payload, copied out of the read buffer by `reader()`.
    private var payload: [UInt8] = []
    private var payloadCopied = false
    /// Where the current record's payload sits in the read buffer (valid until the next `next()`).
    private var payloadStart: UnsafeRawPointer?
    public private(set) var payloadCount = 0
    /// Stream offset of the current record's payload.
    public private(set) var payloadOffset: UInt64 = 0
    public private(set) var finished = false
    private var decompressor: ZstdStreamDecompressor?
    /// Length of the header, before a compressed body.
    private var headerBytes: UInt64 = 0

    /// Bytes of the stream as they came in: compressed where it is (what crossed the wire, as
    /// rsync's --stats counts with -z), else the same as `offset`. Compressed bytes read
    /// ahead of the current record are included.
    public var wireBytes: UInt64 {
        guard let d = decompressor else { return offset }
        return headerBytes + d.compressedBytes
    }

    /// Reads and checks the header; `expecting` lists the kinds the caller accepts (empty: any).
    public init(fd: Int32, expecting kinds: [StreamKind] = []) throws(SyError) {
        self.fd = fd
        cap = 1 << 20
        buf = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 16)
        Sys.growPipe(fd)
        header = StreamHeader(version: 0, kind: .entries, producer: "")
        try readHeader(kinds)
    }

    deinit { buf.deallocate() }

    /// Output the reading stage has gathered: written before a read that would wait for input,
    /// so that nothing sits unseen while the stage before this one works.
    public weak var idle: (any IdleFlushing)?

    /// Gives `idle` its chance when the next read would block (nothing to read yet).
    private func beforeWaiting() {
        guard let idle, idle.hasPending else { return }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, 0) == 0 { idle.flushPending() }
    }

    /// `--timeout`: seconds without input after which reading fails with exit 30 (nil: wait).
    nonisolated(unsafe) public static var timeoutSeconds: Int?

    /// Waits for input, up to the timeout.
    private func waitForInput() throws(SyError) {
        guard let t = StreamReader.timeoutSeconds, t > 0 else { return }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&p, 1, Int32(min(t, Int(Int32.max) / 1000) * 1000))
            if r > 0 { return }
            if r == 0 { throw SyError("timeout: no data for \(t) seconds at byte \(offset)", status: .timeout) }
            if errno != EINTR { return }
        }
    }

    private func fill(_ need: Int) throws(SyError) -> Bool {
        while end - start < need {
            if eof { return false }
            if cap - start < need || end == cap {
                let live = end - start
                syncHash()
                if cap < need {
                    let newCap = max(cap * 2, need + 4096)
                    let nb = UnsafeMutableRawPointer.allocate(byteCount: newCap, alignment: 16)
                    nb.copyMemory(from: buf + start, byteCount: live)
                    buf.deallocate()
                    buf = nb; cap = newCap
                } else if live > 0 {
                    memmove(buf, buf + start, live)
                }
                start = 0; end = live; hashed = 0
            }
            let n: Int
            beforeWaiting()
            try waitForInput()
            if let d = decompressor {
                n = try d.read(fd: fd, into: buf + end, count: cap - end)
                if n == 0 && d.midFrame { throw SyError.stream("truncated compressed stream", offset: offset + UInt64(end - start)) }
            } else {
                do { n = try Sys.read(fd, buf + end, cap - end) } catch {
                    throw SyError("cannot read input at byte \(offset + UInt64(end - start)): \(error)", status: .streamIO, errno: error.code)
                }
            }
            if n == 0 { eof = true } else { end += n }
        }
        return true
    }

    private func consume(_ n: Int) {
        start += n
        offset += UInt64(n)
    }

    /// Brings `hash` up to the bytes consumed.
    private func syncHash() {
        if start > hashed { hash.update(buf + hashed, start - hashed) }
        hashed = start
    }

    private func peekByte(_ i: Int) -> UInt8 { buf.load(fromByteOffset: start + i, as: UInt8.self) }

    private func readHeader(_ kinds: [StreamKind]) throws(SyError) {
        guard try fill(1) else {
            var e = SyError.stream("empty input, expected an sy stream", offset: 0)
            e.errno = ENODATA // (a stage of sy's pipeline exits quietly: the one before it failed and said why)
            throw e
        }
        let have = try fill(6) ? 6 : end - start
        for i in 0..<min(have, 4) where peekByte(i) != Wire.magic[i] {
            throw SyError.stream("not an sy stream (bad magic)", offset: UInt64(i))
        }
        guard have >= 6 else { throw SyError.stream("truncated stream header", offset: UInt64(have)) }
        let version = peekByte(4)
        guard version == Wire.version else {
            throw SyError("stream format version \(version) is not supported (this sy reads version \(Wire.version))", status: .protocolIncompatible)
        }
        let compressed = peekByte(5) & Wire.compressedFlag != 0
        guard let kind = StreamKind(rawValue: peekByte(5) & ~Wire.compressedFlag) else {
            throw SyError.stream("unknown stream kind \(peekByte(5))", offset: 5)
        }
        consume(6)
        let (_, len) = try readVarint(limit: UInt64(Wire.maxProducer), what: "producer length")
        guard try fill(len) else { throw SyError.stream("truncated stream header", offset: offset + UInt64(end - start)) }
        let prod = Array(UnsafeRawBufferPointer(start: buf + start, count: len))
        consume(len)
        header = StreamHeader(version: version, kind: kind, producer: String(decoding: prod, as: UTF8.self), compressed: compressed)
        if compressed {
            // Bytes already buffered after the header are the start of the zstd stream.
            let d = ZstdStreamDecompressor()
            headerBytes = offset
            d.prime(UnsafeRawBufferPointer(start: buf + start, count: end - start))
            syncHash()
            start = 0; end = 0; hashed = 0
            decompressor = d
        }
        if !kinds.isEmpty && !kinds.contains(kind) {
            throw SyError.stream("expected a stream of \(kinds.map(\.name).joined(separator: " or ")), got \(kind.name) (from \(header.producer))", offset: 5)
        }
    }

    /// Reads a varint directly from the buffer, returning its bytes and value.
    private func readVarint(limit: UInt64, what: String) throws(SyError) -> ([UInt8], Int) {
        var value: UInt64 = 0
        var bytes: [UInt8] = []
        var shift: UInt64 = 0
        while true {
            guard try fill(1) else { throw SyError.stream("truncated stream (inside \(what))", offset: offset) }
            let b = peekByte(0)
            if bytes.count == 9 && b > 1 { throw SyError.stream("\(what) varint overflow", offset: offset) }
            bytes.append(b)
            consume(1)
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        guard value <= limit else { throw SyError.stream("\(what) \(value) exceeds the maximum \(limit)", offset: offset - UInt64(bytes.count)) }
        return (bytes, Int(value))
    }

    /// Reads the next record. Returns nil after the end record has been read and checked.
    public func next() throws(SyError) -> RecordType? {
        if finished { return nil }
        let recOffset = offset
        guard try fill(1) else {
            throw SyError.stream("truncated stream: no end record after \(recordCount) records", offset: offset)
        }
        let typeByte = peekByte(0)
        guard let type = RecordType(rawValue: typeByte) else {
            throw SyError.stream("unknown record type 0x\(String(typeByte, radix: 16))", offset: recOffset)
        }
        // The end record carries the checksum of everything before it.
        var digestBefore: UInt64 = 0
        if type == .end { syncHash(); digestBefore = hash.digest }
        consume(1)
        let (_, len) = try readVarint(limit: UInt64(Wire.maxPayload), what: "record length")
        guard try fill(len) else {
            throw SyError.stream("truncated stream inside a \(type.name) record of \(len) bytes", offset: offset + UInt64(end - start))
        }
        // Nothing moves the read buffer before the next `next()` fills it again.
        payloadStart = UnsafeRawPointer(buf + start)
        payloadCopied = false
        payloadCount = len
        payloadOffset = offset
        consume(len)
        if type == .end {
            var r = reader()
            let count = try r.varint()
            let sum = try r.u64LE()
            try r.expectEnd()
            guard count == recordCount else {
                throw SyError.stream("end record counts \(count) records, stream had \(recordCount)", offset: recOffset)
            }
            guard sum == digestBefore else {
                throw SyError.stream("stream checksum mismatch (corrupted stream)", offset: recOffset)
            }
            finished = true
            if try fill(1) { throw SyError.stream("data after end record", offset: offset) }
            return nil
        }
        recordCount += 1
        return type
    }

    /// A bounds-checked reader over the current payload.
    public func reader() -> PayloadReader {
        if !payloadCopied {
            let len = payloadCount
            if payload.count < len { payload = [UInt8](repeating: 0, count: max(len, payload.count * 2, 256)) }
            if len > 0 { payload.withUnsafeMutableBytes { p in p.baseAddress!.copyMemory(from: payloadStart!, byteCount: len) } }
            payloadCopied = true
        }
        return PayloadReader(payload, count: payloadCount, baseOffset: payloadOffset)
    }

    /// The current record's payload where it lies in the read buffer, without a copy: valid
    /// until the next `next()` (literal data goes from here straight to its file).
    public var payloadBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: payloadCount > 0 ? payloadStart : nil, count: payloadCount)
    }
}

/// Output a stage gathers and writes when it would otherwise wait (see `StreamReader.idle`).
public protocol IdleFlushing: AnyObject {
    /// Whether anything is gathered and not yet written.
    var hasPending: Bool { get }
    /// Writes what is gathered.
    func flushPending()
}
