import Glibc
import SyCore

/// What a test compares about one tree entry.
public struct TreeNode: Equatable, CustomStringConvertible {
    public var kind: EntryKind
    public var perms: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var mtimeSec: Int64
    public var mtimeNsec: Int64
    public var target: [UInt8]
    public var content: Hash128?
    public var rdev: UInt64
    /// Other paths of the tree sharing this inode (hard links), sorted.
    public var links: [PathBytes] = []
    var ino: UInt64 = 0

    public static func == (a: TreeNode, b: TreeNode) -> Bool {
        a.kind == b.kind && a.perms == b.perms && a.uid == b.uid && a.gid == b.gid && a.size == b.size
            && a.mtimeSec == b.mtimeSec && a.mtimeNsec == b.mtimeNsec && a.target == b.target
            && a.content == b.content && a.rdev == b.rdev && a.links == b.links
    }

    public var description: String {
        "\(kind.name) \(String(perms, radix: 8)) \(uid):\(gid) size \(size) mtime \(mtimeSec).\(mtimeNsec)"
            + (target.isEmpty ? "" : " -> \(target.displayName)") + (links.isEmpty ? "" : " links \(links.map(\.displayName))")
    }
}

/// A whole tree, read with plain readdir/lstat (independent of sy's own walker).
public struct TreeSnapshot {
    public var nodes: [PathBytes: TreeNode] = [:]

    /// Reads `root`; `rootTimes` includes the root directory's own mtime and mode.
    public init(_ root: String, rootTimes: Bool = true) {
        walk(root.pathBytes, rel: [0x2E])
        if !rootTimes { nodes[[0x2E]]?.mtimeSec = 0; nodes[[0x2E]]?.mtimeNsec = 0 }
        var groups: [UInt64: [PathBytes]] = [:]
        for (p, n) in nodes where n.kind != .directory { groups[n.ino, default: []].append(p) }
        for (_, paths) in groups where paths.count > 1 {
            let sorted = paths.sorted { $0.lexicographicallyPrecedes($1) }
            for p in paths { nodes[p]!.links = sorted }
        }
    }

    private mutating func walk(_ abs: PathBytes, rel: PathBytes) {
        guard let st = try? Sys.fstatat(Sys.atFDCWD, abs), let kind = st.kind else { return }
        var node = TreeNode(kind: kind, perms: st.perms, uid: st.uid, gid: st.gid, size: kind == .directory ? 0 : st.size,
                            mtimeSec: st.mtimeSec, mtimeNsec: st.mtimeNsec, target: [], content: nil, rdev: st.rdev)
        node.ino = st.ino
        if kind == .symlink { node.target = (try? Sys.readlinkat(Sys.atFDCWD, abs)) ?? [] }
        if kind == .file, let fd = try? Sys.openat(Sys.atFDCWD, abs, O_RDONLY) {
            node.content = try? Scanner.hashFD(fd, FileHasher())
            close(fd)
        }
        nodes[rel] = node
        if kind == .directory {
            guard let fd = try? Sys.openat(Sys.atFDCWD, abs, O_RDONLY | O_DIRECTORY) else { return }
            let names = (try? DirReader.sortedNames(fd)) ?? []
            close(fd)
            for n in names { walk(abs + [0x2F] + n, rel: PathOps.join(rel, n)) }
        }
    }

    /// Differences from `other`, one line each (empty when equal). `ignoringDirTimes` (and
    /// `ignoringLinkTimes`): the times -O (-J) leave at when the entry was made.
    public func diff(_ other: TreeSnapshot, ignoringDirTimes: Bool = false, ignoringLinkTimes: Bool = false) -> [String] {
        var out: [String] = []
        let keys = Set(nodes.keys).union(other.nodes.keys).sorted { PathOps.compare($0, $1) < 0 }
        for k in keys {
            switch (nodes[k], other.nodes[k]) {
            case (let a?, let b?):
                var x = a, y = b
                if (ignoringDirTimes && a.kind == .directory) || (ignoringLinkTimes && a.kind == .symlink) {
                    x.mtimeSec = 0; x.mtimeNsec = 0; y.mtimeSec = 0; y.mtimeNsec = 0
                }
                if x != y { out.append("\(k.displayName): \(a) vs \(b)") }
            case (let a?, nil): out.append("\(k.displayName): only in first (\(a))")
            case (nil, let b?): out.append("\(k.displayName): only in second (\(b))")
            default: break
            }
        }
        return out
    }
}
