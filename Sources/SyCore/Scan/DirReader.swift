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
