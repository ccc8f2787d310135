import Glibc

/// A side channel from sy-sum to sy-apply for progress: lines `ENTRIES FILES BYTES FINAL SIZE`,
/// meaning entries compared so far, files and bytes planned for transfer so far, 1 once the
/// source is exhausted, and the size of all entries so far. Writes never block; a reader keeps
/// the last complete line.
public final class TotalsChannel {
    let fd: Int32
    var lastWrite: UInt64 = 0
    public private(set) var entries: UInt64 = 0
    public private(set) var files: UInt64 = 0
    public private(set) var bytes: UInt64 = 0
    /// The size of everything listed so far (files, and symlinks by their target's length):
    /// rsync's progress2 percentage is of this.
    public private(set) var totalSize: UInt64 = 0
    public private(set) var final = false
    private var partial: [UInt8] = []

    public init(fd: Int32) {
        self.fd = fd
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    // MARK: Writer (sy-sum)

    /// The source list so far, as sy-sum counts it.
    func listed(_ counts: SourceCounts) {
        entries = max(entries, counts.files)
        totalSize = counts.totalSize
        sendNow(every: 100_000_000)
    }

    /// A file of `bytes` planned for transfer.
    func planned(bytes b: Int64) {
        files += 1
        bytes += UInt64(max(0, b))
        sendNow(every: 10_000_000)
    }

    /// The entries count is at least `n` (rsync's list holds entries sy does not send).
    func raise(entries n: UInt64) {
        entries = max(entries, n)
    }

    /// Sends the totals if `interval` nanoseconds have passed since the last time.
    private func sendNow(every interval: UInt64) {
        let now = wallNanos()
        if now &- lastWrite > interval { send(final: false); lastWrite = now }
    }

    func send(final: Bool) {
        let line = Array("\(entries) \(files) \(bytes) \(final ? 1 : 0) \(totalSize)\n".utf8)
        _ = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
    }

    // MARK: Reader (sy-apply)

    /// Reads whatever arrived; returns true if the totals changed.
    @discardableResult
    public func poll() -> Bool {
        var changed = false
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            partial += buf[0..<n]
            while let nl = partial.firstIndex(of: 0x0A) {
                let fields = partial[..<nl].split(separator: 0x20).map { UInt64(String(decoding: $0, as: UTF8.self)) ?? 0 }
                partial.removeSubrange(...nl)
                if fields.count == 5 {
                    entries = fields[0]; files = fields[1]; bytes = fields[2]; final = fields[3] == 1; totalSize = fields[4]
                    changed = true
                }
            }
        }
        return changed
    }
}
