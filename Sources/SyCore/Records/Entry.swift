/// One tree entry as `sy-scan` reports it: a path relative to the transfer root and its metadata.
public struct Entry: Sendable, Equatable {
    /// Relative path, `/`-separated; `.` is the transfer root itself.
    public var path: PathBytes
    public var kind: EntryKind
    /// Permission bits (`07777`).
    public var perms: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var mtimeSec: Int64
    public var mtimeNsec: Int64
    /// Link count; with `dev` and `ino` it identifies hard links.
    public var nlink: UInt64
    public var dev: UInt64
    public var ino: UInt64
    /// Device number of a character or block device.
    public var rdev: UInt64
    /// Symlink target, raw bytes.
    public var target: PathBytes
    /// Whole-file XXH3-128, present when the scan ran with `--checksum`.
    public var checksum: Hash128?
    /// A directory whose contents could not be read: its listing is incomplete, so nothing below it may be deleted.
    public var unreadable: Bool = false
    /// A directory sent without its contents (an implied directory of `-R`, or one listed by
    /// `--files-from` without `-r`): it is created or updated, but nothing below it is deleted.
    public var noContents: Bool = false
    /// `--delete-missing-args`: a source argument that does not exist; the receiver deletes its path.
    public var missing: Bool = false
    /// `-X`/`-A`: the selected extended attributes, sorted by name (nil: not collected).
    public var xattrs: [Xattr]?
    /// `-U`: the access time in whole seconds, as rsync sends it (never for directories).
    public var atimeSec: Int64?
    /// The entry's index in rsync's file list (`--progress` counts "to-chk" by it), when the
    /// scan was asked for it (`sy-scan --list-index`).
    public var listIndex: UInt64?

    public init(path: PathBytes, kind: EntryKind, perms: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
                size: Int64 = 0, mtimeSec: Int64 = 0, mtimeNsec: Int64 = 0, nlink: UInt64 = 1,
                dev: UInt64 = 0, ino: UInt64 = 0, rdev: UInt64 = 0, target: PathBytes = []) {
        self.path = path; self.kind = kind; self.perms = perms; self.uid = uid; self.gid = gid
        self.size = size; self.mtimeSec = mtimeSec; self.mtimeNsec = mtimeNsec; self.nlink = nlink
        self.dev = dev; self.ino = ino; self.rdev = rdev; self.target = target
    }

    public init(path: PathBytes, stat st: FileStat, kind: EntryKind, target: PathBytes = []) {
        self.init(path: path, kind: kind, perms: st.perms, uid: st.uid, gid: st.gid,
                  size: kind == .file ? st.size : (kind == .symlink ? Int64(target.count) : 0),
                  mtimeSec: st.mtimeSec, mtimeNsec: st.mtimeNsec, nlink: st.nlink,
                  dev: st.dev, ino: st.ino, rdev: kind.isDevice ? st.rdev : 0, target: target)
    }

    /// Whether this entry may share an inode with another one (hard links).
    public var isLinkCandidate: Bool { kind != .directory && nlink > 1 }
}

extension Entry {
    func encode(into out: inout [UInt8]) {
        out.appendBytes(path)
        out.append(kind.rawValue)
        out.appendVarint(UInt64(perms))
        out.appendVarint(UInt64(uid))
        out.appendVarint(UInt64(gid))
        out.appendVarint(UInt64(size))
        out.appendSigned(mtimeSec)
        out.appendVarint(UInt64(mtimeNsec))
        out.appendVarint(nlink)
        out.appendVarint(dev)
        out.appendVarint(ino)
        out.appendVarint(rdev)
        out.appendBytes(target)
        out.appendVarint((checksum != nil ? 1 : 0) | (unreadable ? 2 : 0) | (noContents ? 4 : 0) | (missing ? 8 : 0) | (xattrs != nil ? 16 : 0) | (atimeSec != nil ? 32 : 0)
                         | (listIndex != nil ? 64 : 0))
        if let c = checksum { out.append(contentsOf: c.bytes) }
        if let xs = xattrs {
            out.appendVarint(UInt64(xs.count))
            for x in xs { out.appendBytes(x.name); out.appendBytes(x.value) }
        }
        if let a = atimeSec { out.appendSigned(a) }
        if let i = listIndex { out.appendVarint(i) }
    }

    static func decode(_ r: inout PayloadReader) throws(SyError) -> Entry {
        let pathOffset = r.baseOffset + UInt64(r.pos)
        let path = try r.bytes(max: Wire.maxPath)
        if let problem = PathCheck.problem(path) {
            throw SyError.stream("unsafe path '\(path.displayName)': \(problem)", offset: pathOffset)
        }
        let k = try r.byte()
        guard let kind = EntryKind(rawValue: k) else { throw r.fail("unknown entry kind \(k)") }
        let perms = try r.count(max: 0o7777, "mode")
        let uid = try r.count(max: UInt64(UInt32.max), "uid")
        let gid = try r.count(max: UInt64(UInt32.max), "gid")
        let size = try r.count(max: UInt64(Int64.max), "size")
        let sec = try r.signed()
        let nsec = try r.count(max: 999_999_999, "nanoseconds")
        let nlink = try r.varint(), dev = try r.varint(), ino = try r.varint(), rdev = try r.varint()
        let target = try r.bytes(max: Wire.maxPath)
        if kind == .symlink && target.isEmpty { throw r.fail("symlink with empty target") }
        if target.contains(0) { throw r.fail("NUL byte in symlink target") }
        let flags = try r.count(max: 127, "entry flags")
        var e = Entry(path: path, kind: kind, perms: UInt32(perms), uid: UInt32(uid), gid: UInt32(gid),
                      size: Int64(size), mtimeSec: sec, mtimeNsec: Int64(nsec), nlink: nlink,
                      dev: dev, ino: ino, rdev: rdev, target: target)
        if flags & 1 != 0 { e.checksum = Hash128(low: try r.u64LE(), high: try r.u64LE()) }
        e.unreadable = flags & 2 != 0
        e.noContents = flags & 4 != 0
        e.missing = flags & 8 != 0
        if flags & 16 != 0 {
            let n = try r.count(max: 4096, "xattr count")
            var xs: [Xattr] = []
            for _ in 0..<n {
                let name = try r.bytes(max: 255)
                if name.isEmpty || name.contains(0) { throw r.fail("bad xattr name") }
                xs.append(Xattr(name: name, value: try r.bytes(max: 65536)))
            }
            e.xattrs = xs
        }
        if flags & 32 != 0 {
            guard kind != .directory else { throw r.fail("access time on a directory") }
            e.atimeSec = try r.signed()
        }
        if flags & 64 != 0 { e.listIndex = try r.varint() }
        return e
    }
}
