import Glibc
import CSyLinux

/// Reads a whole directory with getdents64 and returns its names in bytewise order.
public enum DirReader {
    private static let bufSize = 64 << 10

    /// Names in `fd` other than `.` and `..`, sorted bytewise.
    public static func sortedNames(_ fd: Int32) throws(Errno) -> [PathBytes] {
        var names: [PathBytes] = []
        let buf = UnsafeMutableRawPointer.allocate(byteCount: bufSize, alignment: 8)
        defer { buf.deallocate() }
        while true {
            let n = try retrying { sy_getdents64(fd, buf, UInt(bufSize)) }.get()
            if n == 0 { break }
            var off = 0
            while off < n {
                let reclen = Int(buf.loadUnaligned(fromByteOffset: off + 16, as: UInt16.self))
                let namePtr = (buf + off + 19).assumingMemoryBound(to: UInt8.self)
                let len = strlen(UnsafeRawPointer(namePtr).assumingMemoryBound(to: CChar.self))
                let isDot = (len == 1 && namePtr[0] == 0x2E) || (len == 2 && namePtr[0] == 0x2E && namePtr[1] == 0x2E)
                if !isDot { names.append(PathBytes(UnsafeBufferPointer(start: namePtr, count: len))) }
                off += reclen
            }
        }
        names.sort(by: bytesLess)
        return names
    }
}

extension DirReader {
    /// Names in `fd` in rsync's order for deleting a directory's contents (the reverse of
    /// its file-list order): subdirectories last first (names compared with a "/" after
    /// them), then the rest last name first.
    public static func deletionOrder(_ fd: Int32) throws(Errno) -> [PathBytes] {
        let names = try sortedNames(fd)
        var dirs: [PathBytes] = [], others: [PathBytes] = []
        for n in names.reversed() {
            if (try? Sys.fstatat(fd, n))?.kind == .directory { dirs.append(n) } else { others.append(n) }
        }
        dirs.sort { PathOps.compare($0, isDir: true, $1, isDir: true) > 0 }
        return dirs + others
    }
}

/// Bytewise order of two names via memcmp (much cheaper than the generic comparison).
@inline(__always)
func bytesLess(_ a: PathBytes, _ b: PathBytes) -> Bool {
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            let n = min(pa.count, pb.count)
            let c = n == 0 ? 0 : memcmp(pa.baseAddress!, pb.baseAddress!, n)
            return c != 0 ? c < 0 : pa.count < pb.count
        }
    }
}
