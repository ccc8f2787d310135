import Glibc

/// rsync's `--fake-super`: what the owner, mode, device number and type of an entry would be
/// as root, kept in the extended attribute `user.rsync.%stat` ("MODE MAJOR,MINOR UID:GID", the
/// mode in octal with its type bits) of a regular file or directory, so that a user who may not
/// chown or mknod can keep them. The receiving side makes devices, fifos and sockets as empty
/// regular files and symlinks as regular files holding the target; both sides read the record
/// back in place of what the filesystem says.
///
/// `enabled` is set once per process by a tool run with `--fake-super`; `Sys.fstatat` then
/// reads through the records and `linkTarget` gives symlink targets (rsync's `x_lstat` and
/// `do_readlink`).
public enum FakeStat {
    nonisolated(unsafe) public static var enabled = false
    /// Set by the receiving side's tools: there a real symlink reads as one with an empty
    /// target, so that it is made again as a file (rsync's receiver does so).
    nonisolated(unsafe) public static var receiving = false

    /// The attribute's name.
    static let name: [CChar] = Array("user.rsync.%stat".utf8CString)
    /// Names below `user.rsync.%` are rsync's records (%stat, and %aacl and %dacl for ACLs).
    static let recordPrefix = Array("user.rsync.%".utf8)
    static let disguise = Array("user.rsync.".utf8)

    /// An attribute's name as listed: under --fake-super, one of another namespace kept as
    /// `user.rsync.NAME` is NAME again.
    public static func shownName(_ stored: [UInt8]) -> [UInt8] {
        guard enabled, stored.count > disguise.count, stored.starts(with: disguise), stored[disguise.count] != 0x25 else { return stored }
        return Array(stored[disguise.count...])
    }

    /// An attribute's name as written: under --fake-super, one outside `user.` goes below
    /// `user.rsync.` (which needs no privilege), as rsync keeps it.
    public static func storedName(_ name: [UInt8]) -> [UInt8] {
        guard enabled, !name.starts(with: Array("user.".utf8)), !XattrSelection.isACL(name) else { return name }
        return disguise + name
    }

    /// One stored record.
    public struct Record: Equatable, Sendable {
        /// The full mode: type bits and permission bits.
        public var mode: UInt32
        public var rdev: UInt64
        /// The owner and group; `UInt32.max` when storing: the entry's own (one not preserved).
        public var uid: UInt32
        public var gid: UInt32

        public init(mode: UInt32, rdev: UInt64, uid: UInt32, gid: UInt32) {
            self.mode = mode; self.rdev = rdev; self.uid = uid; self.gid = gid
        }

        /// rsync's text: `%o %u,%u %u:%u`.
        public var text: String {
            "\(String(mode, radix: 8)) \(FakeStat.major(rdev)),\(FakeStat.minor(rdev)) \(uid):\(gid)"
        }

        /// Parses rsync's text; nil when it is not five numbers in that shape.
        public init?(text: [UInt8]) {
            let s = String(decoding: text, as: UTF8.self)
            let parts = s.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 3 else { return nil }
            let dev = parts[1].split(separator: ",", omittingEmptySubsequences: false)
            let ids = parts[2].split(separator: ":", omittingEmptySubsequences: false)
            guard dev.count == 2, ids.count == 2, let m = UInt32(parts[0], radix: 8), let ma = UInt64(dev[0]), let mi = UInt64(dev[1]),
                  let u = UInt32(ids[0]), let g = UInt32(ids[1]), EntryKind(mode: m) != nil else { return nil }
            self.init(mode: m, rdev: FakeStat.makedev(ma, mi), uid: u, gid: g)
        }
    }

    static func major(_ d: UInt64) -> UInt64 { ((d >> 8) & 0xfff) | ((d >> 32) & ~UInt64(0xfff)) }
    static func minor(_ d: UInt64) -> UInt64 { (d & 0xff) | ((d >> 12) & ~UInt64(0xff)) }
    static func makedev(_ ma: UInt64, _ mi: UInt64) -> UInt64 {
        ((ma & 0xfff) << 8) | ((ma & ~UInt64(0xfff)) << 32) | (mi & 0xff) | ((mi & ~UInt64(0xff)) << 12)
    }

    /// The record of `name` in `dir` (or of `fd`), nil when it has none. A record that cannot
    /// be read as one is an error, as rsync's "Corrupt user.rsync.%stat xattr".
    public static func read(_ target: XattrIO.Target) throws(SyError) -> Record? {
        var buf = [UInt8](repeating: 0, count: 256)
        let path = XattrIO.path(of: target)
        let n = buf.withUnsafeMutableBytes { XattrIO.get(target, path, name, $0.baseAddress, $0.count) }
        if n < 0 { return nil }
        guard let r = Record(text: Array(buf[..<n])) else {
            throw SyError("Corrupt user.rsync.%stat xattr: \"\(String(decoding: buf[..<n], as: UTF8.self))\"", status: .fileIO)
        }
        return r
    }

    /// `st` as the record says, for a regular file or directory that has one (rsync never
    /// reads one off a real device, fifo, socket or symlink).
    static func overlay(_ st: inout FileStat, _ target: XattrIO.Target) {
        // (On the receiving side a real symlink is one to make again as a file.)
        if st.kind == .symlink && receiving { st.fakeUnsettled = true }
        guard let real = st.kind, real == .file || real == .directory else { return }
        // (A record that is not one is taken as none here; the receiver rewrites it.)
        guard let r = try? read(target), let kind = EntryKind(mode: r.mode) else {
            st.fakeUnsettled = st.perms != realPerms(st.perms, directory: real == .directory)
            return
        }
        let says = real.typeBits | st.perms == r.mode && st.uid == r.uid && st.gid == r.gid
        st.fakeUnsettled = says || st.perms != realPerms(r.mode, directory: real == .directory)
        st.kind = kind
        st.perms = r.mode & 0o7777
        st.rdev = kind.isDevice ? r.rdev : 0
        st.uid = r.uid
        st.gid = r.gid
    }

    /// The real mode `--fake-super` leaves on a file or directory that stands for `mode`:
    /// its own type, the permission bits without set-ID and sticky bits, and the owner's
    /// read and write (and search, for a directory).
    public static func realPerms(_ mode: UInt32, directory: Bool) -> UInt32 {
        mode & 0o777 | (directory ? 0o700 : 0o600)
    }

    /// What `target` is now: as the filesystem says, and its record (a corrupt one as none).
    public static func current(_ target: XattrIO.Target) throws(Errno) -> (real: FileStat, record: Record?) {
        let real: FileStat
        switch target {
        case .fd(let fd): real = try Sys.fstat(fd)
        case .at(let d, let p): real = try Sys.rawFstatat(d, p)
        }
        return (real, try? read(target))
    }

    /// Stores `r` for `target` as rsync's set_stat_xattr: sets the real mode to `realPerms`,
    /// and keeps a record only where the real entry differs from it (removing one left).
    /// `now`: `current(target)`, where the caller has it already.
    public static func store(_ given: Record, _ target: XattrIO.Target,
                             now: (real: FileStat, record: Record?)? = nil) throws(Errno) {
        var r = given
        let (real, old) = if let now { now } else { try current(target) }
        guard let kind = real.kind else { return }
        if r.uid == UInt32.max { r.uid = real.uid }
        if r.gid == UInt32.max { r.gid = real.gid }
        let perms = realPerms(r.mode, directory: kind == .directory)
        if real.perms != perms {
            switch target {
            case .fd(let fd): try Sys.fchmod(fd, mode_t(perms))
            case .at(let d, let p): try Sys.fchmodat(d, p, mode_t(perms))
            }
        }
        let matches = kind.typeBits | perms == r.mode && (EntryKind(mode: r.mode)?.isDevice == true ? r.rdev : 0) == 0
            && real.uid == r.uid && real.gid == r.gid
        if matches {
            if old != nil { try XattrIO.remove(target, XattrIO.path(of: target), name) }
        } else if old != r {
            try XattrIO.set(target, XattrIO.path(of: target), name, Array(r.text.utf8))
        }
    }

    /// The target of the entry `name` in `dir` that a stat (through the records) calls a
    /// symlink: `readlinkat`'s, or under --fake-super a regular file's contents (and nothing
    /// for a real symlink on the receiving side).
    public static func linkTarget(_ dir: Int32, _ name: PathBytes) throws(Errno) -> PathBytes {
        guard enabled, let kind = (try? Sys.rawFstatat(dir, name))?.kind else { return try Sys.readlinkat(dir, name) }
        if kind == .file { return try contents(dir, name) }
        return kind == .symlink && receiving ? [] : try Sys.readlinkat(dir, name)
    }

    /// A fake symlink's target: the regular file's contents (rsync reads at most a path's
    /// length).
    static func contents(_ dir: Int32, _ name: PathBytes) throws(Errno) -> PathBytes {
        let fd = try Sys.openat(dir, name, O_RDONLY | O_NOFOLLOW)
        defer { Sys.close(fd) }
        var buf = [UInt8](repeating: 0, count: Int(PATH_MAX))
        var n = 0
        while n < buf.count {
            let got = try buf.withUnsafeMutableBytes { b in Result { () throws(Errno) in try Sys.read(fd, b.baseAddress! + n, b.count - n) } }.get()
            if got == 0 { break }
            n += got
        }
        return Array(buf[..<n])
    }
}
