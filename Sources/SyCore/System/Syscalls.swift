import Glibc
import CSyLinux

/// Raw path bytes: Linux names need not be UTF-8.
public typealias PathBytes = [UInt8]

extension Array: PathDescribable where Element == UInt8 {
    /// The path as text: bytes that are not UTF-8 stay escaped inside (see `RawArguments`), so
    /// that the text turns back into the same bytes; `warn` shows them as rsync does, `\#377`.
    public var displayName: String { RawArguments.decode(self) }
}

/// Calls `body` until it does not fail with EINTR; returns its value or throws the errno.
@inline(__always)
func retrying<T: BinaryInteger>(_ body: () -> T) -> Result<T, Errno> {
    while true {
        let r = body()
        if r >= 0 { return .success(r) }
        let e = Glibc.errno
        if e == EINTR { continue }
        return .failure(Errno(e))
    }
}

/// An errno value.
public struct Errno: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
    public var description: String { errnoText(code) }
    public static let noent = Errno(ENOENT)
}

/// Runs `body` with a NUL-terminated copy of `path`.
@inline(__always)
public func withCPath<T>(_ path: PathBytes, _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
    try path.withUnsafeBufferPointer { src in
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: src.count + 1) { buf in
            src.withMemoryRebound(to: CChar.self) { s in
                if s.count > 0 { _ = buf.baseAddress!.update(from: s.baseAddress!, count: s.count) }
            }
            buf[src.count] = 0
            return try body(buf.baseAddress!)
        }
    }
}

/// Thin, EINTR-retrying wrappers over the syscalls sy uses. Errors come back as `Errno`.
public enum Sys {
    public static let atFDCWD = sy_AT_FDCWD
    public static let noFollow = sy_AT_SYMLINK_NOFOLLOW

    public static func openat(_ dir: Int32, _ path: PathBytes, _ flags: Int32, _ mode: mode_t = 0) throws(Errno) -> Int32 {
        let r = withCPath(path) { p in retrying { Glibc.openat(dir, p, flags | sy_O_CLOEXEC, mode) } }
        return try r.get()
    }

    /// Opens a directory below `dir` without following a symlink in its last component.
    public static func openDir(_ dir: Int32, _ name: PathBytes) throws(Errno) -> Int32 {
        try openat(dir, name, O_RDONLY | sy_O_DIRECTORY | sy_O_NOFOLLOW)
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// `fstatat`; under `--fake-super` (`FakeStat.enabled`) as the entry's record says.
    public static func fstatat(_ dir: Int32, _ path: PathBytes, follow: Bool = false) throws(Errno) -> FileStat {
        var st = try rawFstatat(dir, path, follow: follow)
        if FakeStat.enabled { FakeStat.overlay(&st, .at(dir, path)) }
        return st
    }

    /// `fstatat` as the filesystem says.
    public static func rawFstatat(_ dir: Int32, _ path: PathBytes, follow: Bool = false) throws(Errno) -> FileStat {
        var st = stat()
        let flags = follow ? 0 : sy_AT_SYMLINK_NOFOLLOW
        let r = withCPath(path) { p in retrying { Glibc.fstatat(dir, p, &st, flags) } }
        _ = try r.get()
        return FileStat(st)
    }

    public static func fstat(_ fd: Int32) throws(Errno) -> FileStat {
        var st = stat()
        _ = try retrying { Glibc.fstat(fd, &st) }.get()
        return FileStat(st)
    }

    /// Reads up to `count` bytes; 0 means end of file.
    public static func read(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ count: Int) throws(Errno) -> Int {
        try retrying { Glibc.read(fd, buf, count) }.get()
    }

    public static func pread(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ count: Int, _ offset: Int64) throws(Errno) -> Int {
        try retrying { Glibc.pread(fd, buf, count, off_t(offset)) }.get()
    }

    /// Reads a small file (a list, a rule file) to its end.
    public static func readAll(_ fd: Int32, limit: Int = 64 << 20) throws(Errno) -> [UInt8] {
        var all: [UInt8] = []
        let size = 65536
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buf.deallocate() }
        while all.count < limit {
            let n = try read(fd, buf, size)
            if n == 0 { break }
            all += UnsafeRawBufferPointer(start: buf, count: n)
        }
        return all
    }

    /// Reads until `count` bytes or end of file; returns how many were read.
    public static func preadFull(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ count: Int, _ offset: Int64) throws(Errno) -> Int {
        var done = 0
        while done < count {
            let n = try pread(fd, buf + done, count - done, offset + Int64(done))
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `count` bytes, retrying short writes.
    public static func writeAll(_ fd: Int32, _ buf: UnsafeRawPointer, _ count: Int) throws(Errno) {
        var done = 0
        while done < count {
            let n = try retrying { Glibc.write(fd, buf + done, count - done) }.get()
            done += n
        }
    }

    public static func pwriteAll(_ fd: Int32, _ buf: UnsafeRawPointer, _ count: Int, _ offset: Int64) throws(Errno) {
        var done = 0
        while done < count {
            let n = try retrying { Glibc.pwrite(fd, buf + done, count - done, off_t(offset + Int64(done))) }.get()
            done += n
        }
    }

    /// copy_file_range(2) of `count` bytes; returns bytes copied (less only at the source's end).
    public static func copyRange(from src: Int32, at srcOff: Int64, to dst: Int32, at dstOff: Int64, count: Int64) throws(Errno) -> Int64 {
        var so = srcOff, dof = dstOff, left = count
        while left > 0 {
            let chunk = UInt(min(left, 1 << 30))
            let n = try retrying { sy_copy_file_range(src, &so, dst, &dof, chunk) }.get()
            if n == 0 { break }
            left -= Int64(n)
        }
        return count - left
    }

    public static func mkdirat(_ dir: Int32, _ path: PathBytes, _ mode: mode_t) throws(Errno) {
        _ = try withCPath(path) { p in retrying { Glibc.mkdirat(dir, p, mode) } }.get()
    }

    public static func unlinkat(_ dir: Int32, _ path: PathBytes, isDir: Bool) throws(Errno) {
        _ = try withCPath(path) { p in retrying { Glibc.unlinkat(dir, p, isDir ? sy_AT_REMOVEDIR : 0) } }.get()
    }

    public static func renameat(_ odir: Int32, _ old: PathBytes, _ ndir: Int32, _ new: PathBytes) throws(Errno) {
        _ = try withCPath(old) { o in withCPath(new) { n in retrying { Glibc.renameat(odir, o, ndir, n) } } }.get()
    }

    public static func symlinkat(_ target: PathBytes, _ dir: Int32, _ path: PathBytes) throws(Errno) {
        _ = try withCPath(target) { t in withCPath(path) { p in retrying { Glibc.symlinkat(t, dir, p) } } }.get()
    }

    public static func linkat(_ odir: Int32, _ old: PathBytes, _ ndir: Int32, _ new: PathBytes) throws(Errno) {
        _ = try withCPath(old) { o in withCPath(new) { n in retrying { Glibc.linkat(odir, o, ndir, n, 0) } } }.get()
    }

    public static func mknodat(_ dir: Int32, _ path: PathBytes, _ mode: mode_t, _ dev: UInt64) throws(Errno) {
        _ = try withCPath(path) { p in retrying { Glibc.mknodat(dir, p, mode, dev_t(dev)) } }.get()
    }

    public static func readlinkat(_ dir: Int32, _ path: PathBytes) throws(Errno) -> PathBytes {
        var cap = 256
        while true {
            var buf = [UInt8](repeating: 0, count: cap)
            let n = try withCPath(path) { p in
                buf.withUnsafeMutableBufferPointer { b in
                    retrying { Glibc.readlinkat(dir, p, UnsafeMutableRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self), cap) }
                }
            }.get()
            if n < cap { return Array(buf[0..<n]) }
            cap *= 4
        }
    }

    /// The effective group and the supplementary groups of this process.
    public static func processGroups() -> Set<UInt32> {
        var list = [gid_t](repeating: 0, count: 1024)
        let n = getgroups(Int32(list.count), &list)
        return Set(list[..<max(0, Int(n))]).union([getegid()])
    }

    public static func fchmod(_ fd: Int32, _ mode: mode_t) throws(Errno) {
        _ = try retrying { Glibc.fchmod(fd, mode) }.get()
    }

    public static func fchmodat(_ dir: Int32, _ path: PathBytes, _ mode: mode_t) throws(Errno) {
        _ = try withCPath(path) { p in retrying { Glibc.fchmodat(dir, p, mode, 0) } }.get()
    }

    public static func fchown(_ fd: Int32, _ uid: UInt32, _ gid: UInt32) throws(Errno) {
        _ = try retrying { Glibc.fchown(fd, uid, gid) }.get()
    }

    public static func lchownat(_ dir: Int32, _ path: PathBytes, _ uid: UInt32, _ gid: UInt32) throws(Errno) {
        _ = try withCPath(path) { p in retrying { Glibc.fchownat(dir, p, uid, gid, sy_AT_SYMLINK_NOFOLLOW) } }.get()
    }

    public static func futimens(_ fd: Int32, _ sec: Int64, _ nsec: Int64) throws(Errno) {
        _ = try retrying { sy_fset_mtime(fd, sec, nsec) }.get()
    }

    /// Sets the modification time (nil: left alone) and, if given, the access time (whole
    /// seconds) of `fd`, or of `path` in `dir` without following a symlink when `path` is given.
    public static func setTimes(fd: Int32 = -1, _ dir: Int32 = -1, _ path: PathBytes? = nil, mtime: (Int64, Int64)?, atime: Int64?) throws(Errno) {
        let (sec, nsec) = mtime ?? (0, Int64(sy_UTIME_OMIT))
        if let path {
            _ = try withCPath(path) { p in retrying { sy_set_times(dir, p, -1, atime ?? -1, sec, nsec, sy_AT_SYMLINK_NOFOLLOW) } }.get()
        } else {
            _ = try retrying { sy_set_times(-1, nil, fd, atime ?? -1, sec, nsec, 0) }.get()
        }
    }

    /// `--open-noatime`: files are opened for reading with O_NOATIME (where the kernel allows it).
    nonisolated(unsafe) public static var openNoAtime = false

    /// Opens a file for reading (`flags` add to O_RDONLY), with O_NOATIME under
    /// `--open-noatime` where permitted (only the owner or root may ask for it).
    public static func openForReading(_ dir: Int32, _ name: PathBytes, _ flags: Int32 = 0) throws(Errno) -> Int32 {
        if openNoAtime {
            do { return try openat(dir, name, O_RDONLY | flags | sy_O_NOATIME) } catch {
                if error.code != EPERM { throw error }
            }
        }
        return try openat(dir, name, O_RDONLY | flags)
    }

    public static func lutimensat(_ dir: Int32, _ path: PathBytes, _ sec: Int64, _ nsec: Int64) throws(Errno) {
        _ = try withCPath(path) { p in retrying { sy_set_mtime(dir, p, sec, nsec, sy_AT_SYMLINK_NOFOLLOW) } }.get()
    }

    public static func ftruncate(_ fd: Int32, _ size: Int64) throws(Errno) {
        _ = try retrying { Glibc.ftruncate(fd, off_t(size)) }.get()
    }

    /// Grows a pipe's buffer (1 MiB by default); harmless on a non-pipe.
    public static func growPipe(_ fd: Int32, to size: Int32 = 1 << 20) {
        _ = sy_set_pipe_size(fd, size)
    }

    public static func ficlone(dst: Int32, src: Int32) -> Bool {
        sy_ficlone(dst, src) == 0
    }
}
