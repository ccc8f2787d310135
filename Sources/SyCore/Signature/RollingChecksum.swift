import CSyLinux

/// rsync's weak checksum: `s1` = sum of bytes, `s2` = sum of the running `s1`, each mod 2^16,
/// combined as `s1 | s2 << 16`. It rolls one byte at a time in O(1).
public struct RollingChecksum {
    public var s1: UInt32 = 0
    public var s2: UInt32 = 0
    public let length: UInt32

    /// The checksum of `count` bytes at `p` (vectorized in the C shim).
    @inline(__always)
    public init(_ p: UnsafePointer<UInt8>, count: Int) {
        length = UInt32(count)
        sy_weak_sum(p, count, &s1, &s2)
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
