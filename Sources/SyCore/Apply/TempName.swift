import Glibc

/// Unique temporary names in rsync's form, `.NAME.XXXXXX`, trimmed to fit 255 bytes.
struct TempNamer {
    private var state: UInt64

    init() {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        state = UInt64(bitPattern: Int64(ts.tv_nsec)) ^ (UInt64(getpid()) << 32) ^ 0x9E37_79B9_7F4A_7C15
    }

    private mutating func nextRandom() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }

    /// A fresh candidate for `name`.
    mutating func make(_ name: PathBytes) -> PathBytes {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var r = nextRandom()
        var suffix: [UInt8] = [0x2E]
        for _ in 0..<6 { suffix.append(alphabet[Int(r % 62)]); r /= 62 }
        let room = 255 - 1 - suffix.count
        return [0x2E] + name.prefix(room) + suffix
    }

    /// Creates a new file `.NAME.XXXXXX` in `dir` with O_EXCL; returns its fd and name.
    mutating func create(in dir: Int32, for name: PathBytes) throws(Errno) -> (Int32, PathBytes) {
        while true {
            let tmp = make(name)
            do {
                let fd = try Sys.openat(dir, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
                return (fd, tmp)
            } catch {
                if error.code != EEXIST { throw error }
            }
        }
    }
}
