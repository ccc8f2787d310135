import Glibc
import SyCore

/// A temporary directory removed (recursively) when released.
public final class TempDir {
    public let path: String

    public init(_ prefix: String = "sytest") {
        let base = getenv("SY_TEST_TMP").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = p.map { String(cString: $0) } ?? "\(base)/\(prefix).failed"
    }

    deinit { removeTree(path) }

    public func sub(_ name: String) -> String { path + "/" + name }
}

/// `rm -rf path` (making directories writable first).
public func removeTree(_ path: String) {
    system(script: "chmod -R u+rwx \(shellQuote(path)) 2>/dev/null; rm -rf \(shellQuote(path))")
}

/// Writes a file; false if it cannot be created (e.g. its parent is gone).
@discardableResult
public func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) -> Bool {
    writeFile(path.pathBytes, bytes, mode: mode)
}

@discardableResult
public func writeFile(_ path: PathBytes, _ bytes: [UInt8], mode: mode_t = 0o644) -> Bool {
    guard let fd = try? Sys.openat(Sys.atFDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode) else { return false }
    bytes.withUnsafeBytes { b in if b.count > 0 { try? Sys.writeAll(fd, b.baseAddress!, b.count) } }
    close(fd)
    return true
}

public func readFile(_ path: String) -> [UInt8]? { readFile(path.pathBytes) }

public func readFile(_ path: PathBytes) -> [UInt8]? {
    guard let fd = try? Sys.openat(Sys.atFDCWD, path, O_RDONLY) else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

public func setMtime(_ path: PathBytes, _ sec: Int64, _ nsec: Int64) {
    try? Sys.lutimensat(Sys.atFDCWD, path, sec, nsec)
}

public func exists(_ path: String) -> Bool { (try? Sys.fstatat(Sys.atFDCWD, path.pathBytes)) != nil }

public func lstat(_ path: String) -> FileStat? { try? Sys.fstatat(Sys.atFDCWD, path.pathBytes) }

/// Writes a file, making its missing parent directories first.
@discardableResult
public func makeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) -> Bool {
    let parent = PathOps.parent(path.pathBytes)
    if parent != [0x2E] { _ = system(script: "mkdir -p \(shellQuote(parent.displayName))") }
    return writeFile(path, bytes, mode: mode)
}

/// Gives everything below (and including) `root` the time `date` (touch -d syntax), symlinks too.
public func touchTree(_ root: String, _ date: String) {
    _ = system(script: "find \(shellQuote(root)) -exec touch -h -d \(shellQuote(date)) {} +")
}

/// Mounts a tmpfs of `size` (mount's syntax: `1M`) at `path`, made first: a small disk for the
/// full-disk tests. False where mounting is not allowed (not root): such a test then has
/// nothing to run on. `unmountTmpfs` takes it away.
public func mountTmpfs(_ path: String, size: String = "1M") -> Bool {
    let q = shellQuote(path)
    return geteuid() == 0 && system(script: "mkdir -p \(q) && mount -t tmpfs -o size=\(size) tmpfs \(q) 2>/dev/null") == 0
}

public func unmountTmpfs(_ path: String) {
    _ = system(script: "umount \(shellQuote(path))")
}
