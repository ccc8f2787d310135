import Glibc

/// A smooth byte-rate limit (`--bwlimit`): callers report bytes before sending them and are
/// put to sleep just long enough to keep the average at the rate since they started.
public final class RateLimiter {
    let bytesPerSecond: Double
    let start = wallNanos()
    var sent: Double = 0

    public init(bytesPerSecond: Int) { self.bytesPerSecond = Double(max(1, bytesPerSecond)) }

    /// Waits until `n` more bytes may go.
    public func take(_ n: Int) {
        sent += Double(n)
        let due = sent / bytesPerSecond
        let elapsed = Double(wallNanos() &- start) / 1e9
        if due > elapsed { usleep(useconds_t(min(10.0, due - elapsed) * 1e6)) }
    }

    /// Parses rsync's RATE: KiB/s by default, or with a suffix B, K, M, G (powers of 1024).
    public static func parse(_ s: String) -> Int? {
        guard let last = s.last else { return nil }
        var mult = 1024.0
        var num = Substring(s)
        switch last.uppercased() {
        case "B": mult = 1; num = num.dropLast()
        case "K": mult = 1024; num = num.dropLast()
        case "M": mult = 1_048_576; num = num.dropLast()
        case "G": mult = 1_073_741_824; num = num.dropLast()
        default: break
        }
        guard let v = Double(num), v >= 0 else { return nil }
        return Int(v * mult)
    }
}
