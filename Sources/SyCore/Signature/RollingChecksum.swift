/// rsync's weak checksum: `s1` = sum of bytes, `s2` = sum of the running `s1`, each mod 2^16,
/// combined as `s1 | s2 << 16`. It rolls one byte at a time in O(1).
public struct RollingChecksum {
    public var s1: UInt32 = 0
    public var s2: UInt32 = 0
    public let length: UInt32

    /// The checksum of `count` bytes at `p`.
    @inline(__always)
    public init(_ p: UnsafePointer<UInt8>, count: Int) {
        length = UInt32(count)
        var a: UInt32 = 0, b: UInt32 = 0
        var i = 0
        // Unrolled by 4; wrapping arithmetic, masked at the end.
        while i + 4 <= count {
            let x0 = UInt32(p[i]), x1 = UInt32(p[i + 1]), x2 = UInt32(p[i + 2]), x3 = UInt32(p[i + 3])
            b = b &+ 4 &* a &+ 4 &* x0 &+ 3 &* x1 &+ 2 &* x2 &+ x3
            a = a &+ x0 &+ x1 &+ x2 &+ x3
            i += 4
        }
        while i < count {
            a = a &+ UInt32(p[i])
            b = b &+ a
            i += 1
        }
        s1 = a; s2 = b
    }

    /// The combined 32-bit value.
    @inline(__always)
    public var value: UInt32 { (s1 & 0xFFFF) | (s2 << 16) }

    /// Slides the window one byte: `out` leaves, `in` enters.
    @inline(__always)
    public mutating func roll(out: UInt8, in new: UInt8) {
        s1 = s1 &- UInt32(out) &+ UInt32(new)
        s2 = s2 &- length &* UInt32(out) &+ s1
    }
}
