import Glibc

/// `-S/--sparse`: writes data but leaves holes where whole 4 KiB blocks are zero (the file is
/// new, so unwritten ranges read back as zeros; its length is set at the end).
enum Sparse {
    static let block = 4096

    static func write(_ fd: Int32, _ ptr: UnsafeRawPointer, _ n: Int, at offset: Int64) throws(Errno) {
        var i = 0
        var runStart = -1
        while i < n {
            let len = min(block, n - i)
            let zero = isZero(ptr + i, len)
            if !zero && runStart < 0 { runStart = i }
            if zero && runStart >= 0 {
                try Sys.pwriteAll(fd, ptr + runStart, i - runStart, offset + Int64(runStart))
                runStart = -1
            }
            i += len
        }
        if runStart >= 0 { try Sys.pwriteAll(fd, ptr + runStart, n - runStart, offset + Int64(runStart)) }
    }

    static func isZero(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        var i = 0
        while i + 8 <= n {
            if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
            i += 8
        }
        while i < n {
            if p.load(fromByteOffset: i, as: UInt8.self) != 0 { return false }
            i += 1
        }
        return true
    }
}
