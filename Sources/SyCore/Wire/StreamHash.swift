import CXXHash

/// A running XXH3-64 over stream bytes.
struct StreamHash: ~Copyable {
    private let state: OpaquePointer

    init() {
        state = XXH3_createState()
        XXH3_64bits_reset(state)
    }

    deinit { XXH3_freeState(state) }

    func update(_ p: UnsafeRawPointer, _ n: Int) {
        if n > 0 { XXH3_64bits_update(state, p, n) }
    }

    var digest: UInt64 { XXH3_64bits_digest(state) }
}

/// A 128-bit whole-file hash (XXH3-128).
public struct Hash128: Equatable, Sendable, CustomStringConvertible {
    public var low: UInt64
    public var high: UInt64

    public init(low: UInt64, high: UInt64) { self.low = low; self.high = high }

    public var bytes: [UInt8] {
        var b = [UInt8](); b.reserveCapacity(16)
        b.appendU64LE(low); b.appendU64LE(high)
        return b
    }

    public var description: String {
        let h = String(high, radix: 16), l = String(low, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h + String(repeating: "0", count: 16 - l.count) + l
    }
}

/// Streaming XXH3-128 over file contents.
public final class FileHasher {
    private let state: OpaquePointer

    public init() {
        state = XXH3_createState()
        XXH3_128bits_reset(state)
    }

    deinit { XXH3_freeState(state) }

    public func reset() { XXH3_128bits_reset(state) }

    public func update(_ p: UnsafeRawPointer, _ n: Int) {
        if n > 0 { XXH3_128bits_update(state, p, n) }
    }

    public var digest: Hash128 {
        let h = XXH3_128bits_digest(state)
        return Hash128(low: h.low64, high: h.high64)
    }
}

/// One-shot hashes for block signatures.
public enum QuickHash {
    @inline(__always)
    public static func xxh128(_ p: UnsafeRawPointer, _ n: Int) -> Hash128 {
        let h = XXH3_128bits(p, n)
        return Hash128(low: h.low64, high: h.high64)
    }
}
