/// LEB128 varints and zigzag signed integers, the integer encoding of every record field.
extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    @inline(__always)
    mutating func appendSigned(_ value: Int64) {
        appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A varint length followed by the bytes.
    @inline(__always)
    mutating func appendBytes(_ bytes: [UInt8]) {
        appendVarint(UInt64(bytes.count))
        append(contentsOf: bytes)
    }

    mutating func appendU32LE(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v)); append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v >> 16)); append(UInt8(truncatingIfNeeded: v >> 24))
    }

    mutating func appendU64LE(_ v: UInt64) {
        for i in 0..<8 { append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}

/// Decodes the fields of one record payload; every read is bounds-checked and throws on short input.
public struct PayloadReader {
    public let data: [UInt8]
    public private(set) var pos: Int
    let end: Int
    /// Stream offset of `data[0]`, for error messages.
    let baseOffset: UInt64

    public init(_ data: [UInt8], count: Int? = nil, baseOffset: UInt64 = 0) {
        self.data = data
        self.pos = 0
        self.end = count ?? data.count
        self.baseOffset = baseOffset
    }

    public var isAtEnd: Bool { pos >= end }
    public var remaining: Int { end - pos }

    func fail(_ what: String) -> SyError {
        .stream(what, offset: baseOffset + UInt64(pos))
    }

    public mutating func byte() throws(SyError) -> UInt8 {
        guard pos < end else { throw fail("record too short") }
        defer { pos += 1 }
        return data[pos]
    }

    public mutating func varint() throws(SyError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            if shift == 63 && b > 1 { throw fail("varint overflow") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    public mutating func signed() throws(SyError) -> Int64 {
        let u = try varint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// A varint that must fit `limit`.
    public mutating func count(max limit: UInt64, _ what: String) throws(SyError) -> Int {
        let v = try varint()
        guard v <= limit else { throw fail("\(what) \(v) exceeds \(limit)") }
        return Int(v)
    }

    public mutating func bytes(max limit: Int = Wire.maxPayload) throws(SyError) -> [UInt8] {
        let n = try count(max: UInt64(limit), "length")
        return try raw(n)
    }

    public mutating func raw(_ n: Int) throws(SyError) -> [UInt8] {
        guard n <= remaining else { throw fail("record too short") }
        defer { pos += n }
        return Array(data[pos..<(pos + n)])
    }

    public mutating func u32LE() throws(SyError) -> UInt32 {
        guard remaining >= 4 else { throw fail("record too short") }
        defer { pos += 4 }
        return UInt32(data[pos]) | UInt32(data[pos + 1]) << 8 | UInt32(data[pos + 2]) << 16 | UInt32(data[pos + 3]) << 24
    }

    public mutating func u64LE() throws(SyError) -> UInt64 {
        guard remaining >= 8 else { throw fail("record too short") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(data[pos + i]) << (8 * UInt64(i)) }
        pos += 8
        return v
    }

    public func expectEnd() throws(SyError) {
        guard pos == end else { throw fail("\(end - pos) unexpected bytes at end of record") }
    }
}
