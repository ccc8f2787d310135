import CSyLinux

/// A running XXH3-64 over stream bytes.
struct StreamHash: ~Copyable {
    private let state: UnsafeMutableRawPointer

    init() {
        state = sy_xxh3_state_new()
        sy_xxh3_64_reset(state)
    }

    deinit { sy_xxh3_state_free(state) }

    func update(_ p: UnsafeRawPointer, _ n: Int) {
        if n > 0 { sy_xxh3_64_update(state, p, n) }
    }

    var digest: UInt64 { sy_xxh3_64_digest(state) }
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
    private let state: UnsafeMutableRawPointer

    public init() {
        state = sy_xxh3_state_new()
        sy_xxh3_128_reset(state)
    }

    deinit { sy_xxh3_state_free(state) }

    public func reset() { sy_xxh3_128_reset(state) }

    public func update(_ p: UnsafeRawPointer, _ n: Int) {
        if n > 0 { sy_xxh3_128_update(state, p, n) }
    }

    public var digest: Hash128 {
        let h = sy_xxh3_128_digest(state)
        return Hash128(low: h.low, high: h.high)
    }
}

/// One-shot hashes for block signatures.
public enum QuickHash {
    @inline(__always)
    public static func xxh128(_ p: UnsafeRawPointer, _ n: Int) -> Hash128 {
        let h = sy_xxh3_128(p, n)
        return Hash128(low: h.low, high: h.high)
    }
}
