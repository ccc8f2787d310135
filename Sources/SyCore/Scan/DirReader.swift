import Glibc
import CSyLinux

/// Reads a whole directory with getdents64 and returns its names in bytewise order.
public enum DirReader {
    private static let bufSize = 64 << 10

    /// Names in `fd` other than `.` and `..`, sorted bytewise.
    public static func sortedNames(_ fd: Int32) throws(Errno) -> [PathBytes] {
        var names = try read(fd, withType: false, dev: nil)
        names.sort(by: bytesLess)
        return names
    }

    /// Whether `fd` holds no names but `.` and `..` (false where it cannot be read).
    public static func isEmpty(_ fd: Int32) -> Bool {
        (try? read(fd, withType: false, dev: nil))?.isEmpty ?? false
    }

    /// Names in `fd` in walk order as far as the directory itself tells: the entries it
    /// does not mark as directories bytewise, then the ones it does (names compared as if
    /// ending in "/"), with each one's d_type (`DT_UNKNOWN` ones are placed as non-directories:
    /// the caller checks those).
    /// `dev`: the directory's device, when known (its filesystem may allow one call less).
    public static func walkOrder(_ fd: Int32, dev: UInt64? = nil) throws(Errno) -> (names: [PathBytes], types: [UInt8]) {
        // Each name carries its d_type as one more byte while it is sorted: one sort, in place.
        var names = try read(fd, withType: true, dev: dev)
        names.sort(by: walkLess)
        var types: [UInt8] = []
        types.reserveCapacity(names.count)
        for i in names.indices { types.append(names[i].removeLast()) }
        return (names, types)
    }

    /// The entries of directory `dir` (open as `fd`) as the directory gives them (readdir's
    /// order, which rsync's -vv notes follow): each one's transfer path and whether it is a
    /// directory (`follow`: a symlink counts as what it points to). Read through a descriptor
    /// of its own (`fd` may have been read to its end); empty if the directory cannot be read.
    public static func readOrder(_ fd: Int32, of dir: PathBytes, follow: Bool = false) -> [(path: PathBytes, isDirectory: Bool)] {
        guard let own = try? Sys.openDir(fd, [0x2E]) else { return [] }
        defer { Sys.close(own) }
        guard let names = try? read(own, withType: true, dev: nil) else { return [] }
        return names.map { n in
            let name = PathBytes(n.dropLast()), type = n[n.count - 1]
            var isDir = type == UInt8(DT_DIR)
            if type == UInt8(DT_UNKNOWN) || (type == UInt8(DT_LNK) && follow) {
                isDir = (try? Sys.fstatat(own, name, follow: follow))?.kind == .directory
            }
            return (dir == [0x2E] ? name : PathOps.join(dir, name), isDir)
        }
    }

    /// Walk order of two names that end in their d_type byte.
    private static func walkLess(_ a: PathBytes, _ b: PathBytes) -> Bool {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let la = pa.count - 1, lb = pb.count - 1
                let aDir = pa[la] == UInt8(DT_DIR), bDir = pb[lb] == UInt8(DT_DIR)
                if aDir != bDir { return bDir }
                let n = min(la, lb)
                let c = n == 0 ? 0 : memcmp(pa.baseAddress!, pb.baseAddress!, n)
                if c != 0 { return c < 0 }
                if la == lb { return false }
                guard aDir else { return la < lb }
                // Directories compare as if their names ended in "/".
                let x: UInt8 = la == n ? 0x2F : pa[n], y: UInt8 = lb == n ? 0x2F : pb[n]
                return x == y ? la < lb : x < y
            }
        }
    }

    /// Reads every name, with its d_type byte appended if `withType`, in the directory's order.
    private static func read(_ fd: Int32, withType: Bool, dev: UInt64?) throws(Errno) -> [PathBytes] {
        var names: [PathBytes] = []
        let scratch = scratchSpace()
        let buf = scratch.buffer
        while true {
            let n = try retrying { sy_getdents64(fd, buf, UInt(bufSize)) }.get()
            if n == 0 { break }
            var off = 0
            while off < n {
                let reclen = Int(buf.loadUnaligned(fromByteOffset: off + 16, as: UInt16.self))
                let namePtr = (buf + off + 19).assumingMemoryBound(to: UInt8.self)
                let len = strlen(UnsafeRawPointer(namePtr).assumingMemoryBound(to: CChar.self))
                let isDot = (len == 1 && namePtr[0] == 0x2E) || (len == 2 && namePtr[0] == 0x2E && namePtr[1] == 0x2E)
                if !isDot {
                    // With the type byte, the name's own terminating NUL's place holds it.
                    var name = PathBytes(UnsafeBufferPointer(start: namePtr, count: withType ? len + 1 : len))
                    if withType { name[len] = buf.load(fromByteOffset: off + 18, as: UInt8.self) }
                    names.append(name)
                }
                off += reclen
            }
            // A filesystem that fills the buffer as far as its entries go has said everything
            // when another record would still have fit: the empty call that says so is saved.
            if let dev, n <= bufSize - maxRecord, scratch.fillsBuffer(fd, dev: dev) { break }
        }
        return names
    }

    /// The largest linux_dirent64 record (a 255-byte name).
    private static let maxRecord = 19 + 256 + 5

    /// The calling thread's getdents64 buffer and what it learnt of filesystems.
    private static func scratchSpace() -> Scratch {
        if let p = pthread_getspecific(scratchKey) { return Unmanaged<Scratch>.fromOpaque(p).takeUnretainedValue() }
        let s = Scratch()
        pthread_setspecific(scratchKey, Unmanaged.passRetained(s).toOpaque())
        return s
    }

    private static let scratchKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { p in if let p { Unmanaged<Scratch>.fromOpaque(p).release() } }
        return key
    }()

    /// One thread's reading space: a 64 KiB block allocated once (freed per directory, it made
    /// malloc consolidate its free lists each time), and per device whether its filesystem
    /// answers getdents64 with every entry that fits (ext4, xfs, btrfs and tmpfs do; a network
    /// or FUSE filesystem may stop short anywhere, so there the empty last call is still made).
    private final class Scratch {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufSize, alignment: 8)
        private var devices: [(dev: UInt64, fills: Bool)] = []
        deinit { buffer.deallocate() }

        func fillsBuffer(_ fd: Int32, dev: UInt64) -> Bool {
            if let known = devices.first(where: { $0.dev == dev }) { return known.fills }
            let fills = sy_fs_fills_getdents(fd) == 1
            if devices.count < 16 { devices.append((dev, fills)) }
            return fills
        }
    }
}

extension DirReader {
    /// Names in `fd` in rsync's order for deleting a directory's contents (the reverse of
    /// its file-list order): subdirectories last first (names compared with a "/" after
    /// them), then the rest last name first.
    public static func deletionOrder(_ fd: Int32) throws(Errno) -> [PathBytes] {
        let (names, types) = try walkOrder(fd)
        guard types.contains(UInt8(DT_UNKNOWN)) else { return names.reversed() }
        // The directory did not say what some entries are: look, then order by what they are.
        let isDir = names.indices.map { i in
            types[i] == UInt8(DT_DIR) || (types[i] == UInt8(DT_UNKNOWN) && (try? Sys.fstatat(fd, names[i]))?.kind == .directory)
        }
        return names.indices.sorted { PathOps.compare(names[$0], isDir: isDir[$0], names[$1], isDir: isDir[$1]) > 0 }.map { names[$0] }
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
