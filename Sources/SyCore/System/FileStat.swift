import Glibc
import CSyLinux

/// The type of a tree entry, as stored in streams.
public enum EntryKind: UInt8, Sendable, CaseIterable {
    case file = 1, directory = 2, symlink = 3, charDevice = 4, blockDevice = 5, fifo = 6, socket = 7

    public init?(mode: UInt32) {
        switch mode & 0o170000 {
        case 0o100000: self = .file
        case 0o040000: self = .directory
        case 0o120000: self = .symlink
        case 0o020000: self = .charDevice
        case 0o060000: self = .blockDevice
        case 0o010000: self = .fifo
        case 0o140000: self = .socket
        default: return nil
        }
    }

    /// The `S_IFMT` bits for `mknod`.
    public var typeBits: UInt32 {
        switch self {
        case .file: return 0o100000
        case .directory: return 0o040000
        case .symlink: return 0o120000
        case .charDevice: return 0o020000
        case .blockDevice: return 0o060000
        case .fifo: return 0o010000
        case .socket: return 0o140000
        }
    }

    /// Name used in text and JSON output.
    public var name: String {
        switch self {
        case .file: return "file"
        case .directory: return "dir"
        case .symlink: return "symlink"
        case .charDevice: return "chr"
        case .blockDevice: return "blk"
        case .fifo: return "fifo"
        case .socket: return "sock"
        }
    }

    public init?(name: String) {
        guard let k = EntryKind.allCases.first(where: { $0.name == name }) else { return nil }
        self = k
    }

    public var isDevice: Bool { self == .charDevice || self == .blockDevice }
    public var isSpecial: Bool { self == .fifo || self == .socket }
}

/// The fields of `struct stat` that sy uses.
public struct FileStat: Sendable, Equatable {
    public var kind: EntryKind?
    public var perms: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var mtimeSec: Int64
    public var mtimeNsec: Int64
    public var dev: UInt64
    public var ino: UInt64
    public var nlink: UInt64
    public var rdev: UInt64
    /// Access time, whole seconds (what `-U` compares and copies, as rsync).
    public var atimeSec: Int64 = 0
    /// Under --fake-super, an entry not yet in the form its record (or its own mode) asks
    /// for: mode bits to strip, u+rw to add, a record that says nothing, a real symlink.
    public var fakeUnsettled = false

    /// Nothing known (an entry seen only by name).
    public static let none = FileStat(kind: nil, perms: 0, uid: 0, gid: 0, size: 0, mtimeSec: 0, mtimeNsec: 0, dev: 0, ino: 0, nlink: 0, rdev: 0)

    init(kind: EntryKind?, perms: UInt32, uid: UInt32, gid: UInt32, size: Int64, mtimeSec: Int64, mtimeNsec: Int64,
         dev: UInt64, ino: UInt64, nlink: UInt64, rdev: UInt64) {
        self.kind = kind; self.perms = perms; self.uid = uid; self.gid = gid; self.size = size
        self.mtimeSec = mtimeSec; self.mtimeNsec = mtimeNsec; self.dev = dev; self.ino = ino; self.nlink = nlink; self.rdev = rdev
    }

    init(_ st: stat) {
        var s = st
        kind = EntryKind(mode: st.st_mode)
        perms = st.st_mode & 0o7777
        uid = st.st_uid
        gid = st.st_gid
        size = Int64(st.st_size)
        mtimeSec = sy_stat_mtime_sec(&s)
        mtimeNsec = sy_stat_mtime_nsec(&s)
        dev = UInt64(st.st_dev)
        ino = UInt64(st.st_ino)
        nlink = UInt64(st.st_nlink)
        rdev = UInt64(st.st_rdev)
        atimeSec = sy_stat_atime_sec(&s)
    }
}
