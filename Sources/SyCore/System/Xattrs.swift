import CSyLinux
import Glibc

/// One extended attribute: its full name (`user.mime_type`) and value.
public struct Xattr: Sendable, Equatable {
    public var name: [UInt8]
    public var value: [UInt8]
    public init(name: [UInt8], value: [UInt8]) { self.name = name; self.value = value }
}

/// Which extended attributes a transfer copies, as rsync: `-X` the `user.` namespace (as root
/// also `trusted.` and `security.`), `-A` the POSIX ACLs (`system.posix_acl_access` and
/// `system.posix_acl_default`).
public struct XattrSelection: Sendable, Equatable {
    public var xattrs = false
    public var acls = false
    public var root = geteuid() == 0
    /// The sender's list, which leaves out rsync's own records (`user.rsync.%NAME`: rsync's
    /// sender sends them only at -XX); a receiver lists them, and so replaces them.
    public var sending = false
    public init(xattrs: Bool = false, acls: Bool = false, sending: Bool = false) {
        self.xattrs = xattrs; self.acls = acls; self.sending = sending
    }

    public var isEmpty: Bool { !xattrs && !acls }

    /// Whether the attribute `name` (as sent: see `FakeStat.shownName`) is copied.
    public func wants(_ name: [UInt8]) -> Bool {
        // (--fake-super: rsync keeps ACLs in records of its own format, user.rsync.%aacl and
        // %dacl, which sy neither reads nor writes: none are copied, none are touched.)
        if acls && (name == Self.aclAccess || name == Self.aclDefault) { return !FakeStat.enabled }
        guard xattrs else { return false }
        if name.starts(with: FakeStat.recordPrefix) && (sending || FakeStat.enabled) { return false }
        if name.starts(with: Array("user.".utf8)) { return true }
        // (--fake-super keeps the other namespaces below user.rsync.)
        return (root || FakeStat.enabled) && (name.starts(with: Array("trusted.".utf8)) || name.starts(with: Array("security.".utf8)))
    }

    /// Whether a name belongs to the ACL part (itemized as `a`, not `x`).
    public static func isACL(_ name: [UInt8]) -> Bool { name == aclAccess || name == aclDefault }
    static let aclAccess = Array("system.posix_acl_access".utf8)
    static let aclDefault = Array("system.posix_acl_default".utf8)
}

/// Reads and writes extended attributes of an open file, or of a name in a directory (its
/// last component never followed: `/proc/self/fd/DIR/NAME` with the l* calls).
public enum XattrIO {
    public enum Target {
        case fd(Int32)
        case at(Int32, PathBytes)
    }

    /// The path the l*xattr calls take for `target` (none for a descriptor):
    /// `/proc/self/fd/DIR/NAME`, or the name itself beside the working directory or from `/`.
    static func path(of target: Target) -> [CChar] {
        guard case .at(let dir, let name) = target else { return [] }
        if dir == Sys.atFDCWD || name.first == 0x2F { return (name + [0]).map { CChar(bitPattern: $0) } }
        return (Array("/proc/self/fd/\(dir)/".utf8) + name + [0]).map { CChar(bitPattern: $0) }
    }

    /// One attribute's value into `buf` (`path`: `path(of: target)`): its length, or -1 and errno.
    static func get(_ target: Target, _ path: [CChar], _ name: [CChar], _ buf: UnsafeMutableRawPointer?, _ size: Int) -> Int {
        name.withUnsafeBufferPointer { cn in
            switch target {
            case .fd(let fd): return sy_fgetxattr(fd, cn.baseAddress!, buf, UInt(size))
            case .at: return path.withUnsafeBufferPointer { sy_lgetxattr($0.baseAddress!, cn.baseAddress!, buf, UInt(size)) }
            }
        }
    }

    /// Sets one attribute.
    static func set(_ target: Target, _ path: [CChar], _ name: [CChar], _ value: [UInt8]) throws(Errno) {
        let rc: Int32 = name.withUnsafeBufferPointer { cn in
            value.withUnsafeBytes { v in
                switch target {
                case .fd(let fd): return sy_fsetxattr(fd, cn.baseAddress!, v.baseAddress, UInt(v.count))
                case .at: return path.withUnsafeBufferPointer { sy_lsetxattr($0.baseAddress!, cn.baseAddress!, v.baseAddress, UInt(v.count)) }
                }
            }
        }
        if rc != 0 { throw Errno(errno) }
    }

    /// Removes one attribute (one that is not there is no error).
    static func remove(_ target: Target, _ path: [CChar], _ name: [CChar]) throws(Errno) {
        let rc: Int32 = name.withUnsafeBufferPointer { cn in
            switch target {
            case .fd(let fd): return sy_fremovexattr(fd, cn.baseAddress!)
            case .at: return path.withUnsafeBufferPointer { sy_lremovexattr($0.baseAddress!, cn.baseAddress!) }
            }
        }
        if rc != 0 && errno != ENODATA { throw Errno(errno) }
    }

    /// The selected attributes, sorted by name; none where the filesystem has no xattrs.
    public static func read(_ target: Target, _ sel: XattrSelection) throws(Errno) -> [Xattr] {
        guard !sel.isEmpty else { return [] }
        let path = path(of: target)
        func list(_ buf: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int {
            switch target {
            case .fd(let fd): return sy_flistxattr(fd, buf, UInt(size))
            case .at: return path.withUnsafeBufferPointer { sy_llistxattr($0.baseAddress!, buf, UInt(size)) }
            }
        }
        var size = list(nil, 0)
        if size < 0 { return try unsupportedOr(errno) }
        var names = [CChar](repeating: 0, count: max(size, 1))
        size = names.withUnsafeMutableBufferPointer { list($0.baseAddress, $0.count) }
        if size < 0 { return try unsupportedOr(errno) }
        var out: [Xattr] = []
        for raw in names[..<size].split(separator: 0) {
            let stored = raw.map { UInt8(bitPattern: $0) }
            let name = FakeStat.shownName(stored)
            guard sel.wants(name) else { continue }
            let cname = Array(raw) + [0]
            func get(_ buf: UnsafeMutableRawPointer?, _ n: Int) -> Int { XattrIO.get(target, path, cname, buf, n) }
            let n = get(nil, 0)
            if n < 0 { if errno == ENODATA { continue }; throw Errno(errno) }
            var value = [UInt8](repeating: 0, count: n)
            let got = value.withUnsafeMutableBytes { get($0.baseAddress, $0.count) }
            if got < 0 { if errno == ENODATA { continue }; throw Errno(errno) }
            out.append(Xattr(name: name, value: Array(value[..<got])))
        }
        out.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return out
    }

    private static func unsupportedOr(_ e: Int32) throws(Errno) -> [Xattr] {
        if e == ENOTSUP || e == EOPNOTSUPP { return [] }
        throw Errno(e)
    }

    /// Makes the selected attributes of `target` exactly `want`.
    public static func write(_ want: [Xattr], to target: Target, _ sel: XattrSelection) throws(Errno) {
        let have = try read(target, sel)
        if have == want { return }
        let path = path(of: target)
        func cname(_ n: [UInt8]) -> [CChar] { (FakeStat.storedName(n) + [0]).map { CChar(bitPattern: $0) } }
        for old in have where !want.contains(where: { $0.name == old.name }) { try remove(target, path, cname(old.name)) }
        for x in want where !have.contains(x) { try set(target, path, cname(x.name), x.value) }
    }
}
