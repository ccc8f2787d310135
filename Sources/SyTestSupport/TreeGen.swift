import Glibc
import SyCore

/// A seeded generator (SplitMix64) so failures reproduce.
public struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Builds random trees with every file type and odd names, and mutates them.
public struct TreeGen {
    public var rng: SeededRandom
    public var maxFiles = 60
    public var allowDevices = true
    let base: Int64 = 1_600_000_000

    public init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    mutating func int(_ r: Range<Int>) -> Int { Int.random(in: r, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    /// A random name: mostly plain, sometimes with spaces, newlines, non-UTF-8 bytes, a leading dash, or 255 bytes long.
    public mutating func name() -> PathBytes {
        let plain = Array("abcdefghijklmnopqrstuvwxyz0123456789_.".utf8)
        var n: PathBytes = []
        let len = int(1..<12)
        for _ in 0..<len { n.append(plain[int(0..<plain.count)]) }
        switch int(0..<14) {
        case 0: n += Array(" with space".utf8)
        case 1: n += [0x0A] + Array("nl".utf8)
        case 2: n += [0xFF, 0xFE, 0x41]
        case 3: n = Array("-dash".utf8) + n
        case 4: n = PathBytes(repeating: UInt8(ascii: "L"), count: 255 - n.count) + n
        case 5: n += Array("é中".utf8)
        default: break
        }
        if n == [0x2E] || n == [0x2E, 0x2E] { n = Array("dot".utf8) }
        return n
    }

    public mutating func content() -> [UInt8] {
        let size: Int
        switch int(0..<10) {
        case 0: size = 0
        case 1: size = int(1_000_000..<3_000_000)
        case 2, 3: size = int(10_000..<200_000)
        default: size = int(1..<5_000)
        }
        var b = [UInt8](repeating: 0, count: size)
        var i = 0
        while i < size {
            let v = rng.next()
            for k in 0..<8 where i + k < size { b[i + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
            i += 8
        }
        // Some compressible runs.
        if size > 100 && chance(0.5) { for j in 0..<(size / 3) { b[j] = UInt8(j % 7) } }
        return b
    }

    mutating func perms(dir: Bool) -> mode_t {
        let choices: [mode_t] = dir ? [0o755, 0o700, 0o750, 0o775] : [0o644, 0o444, 0o600, 0o755, 0o700, 0o640]
        return choices[int(0..<choices.count)]
    }

    mutating func mtime(_ path: PathBytes) {
        setMtime(path, base + Int64(int(0..<100_000_000)), Int64(int(0..<1_000_000_000)))
    }

    mutating func owner(_ path: PathBytes) {
        guard geteuid() == 0, chance(0.3) else { return }
        let ids: [UInt32] = [0, 1, 1000, 65534]
        try? Sys.lchownat(Sys.atFDCWD, path, ids[int(0..<ids.count)], ids[int(0..<ids.count)])
    }

    /// Fills `root` (which must exist) with a random tree.
    public mutating func populate(_ root: String) {
        var files: [PathBytes] = []
        var dirs: [PathBytes] = [root.pathBytes]
        for _ in 0..<maxFiles {
            let parent = dirs[int(0..<dirs.count)]
            let p = parent + [0x2F] + name()
            if (try? Sys.fstatat(Sys.atFDCWD, p)) != nil { continue }
            makeEntry(p, files: &files, dirs: &dirs)
        }
        // Deep chain.
        var deep = root.pathBytes
        for i in 0..<int(3..<12) { deep += Array("/d\(i)".utf8); try? Sys.mkdirat(Sys.atFDCWD, deep, 0o755) }
        writeFile(deep + Array("/leaf".utf8), content())
        settle(root)
    }

    mutating func makeEntry(_ p: PathBytes, files: inout [PathBytes], dirs: inout [PathBytes]) {
        switch int(0..<20) {
        case 0..<10:
            writeFile(p, content(), mode: 0o600)
            try? Sys.fchmodat(Sys.atFDCWD, p, perms(dir: false))
            files.append(p)
        case 10..<14:
            try? Sys.mkdirat(Sys.atFDCWD, p, 0o755)
            dirs.append(p)
        case 14..<16:
            let targets: [PathBytes] = [Array("../x".utf8), Array("target with space".utf8), [0xFF, 0x41], Array("/abs/path".utf8), Array("a/b/c".utf8)]
            try? Sys.symlinkat(targets[int(0..<targets.count)], Sys.atFDCWD, p)
        case 16..<18:
            if let f = files.randomElement(using: &rng) { try? Sys.linkat(Sys.atFDCWD, f, Sys.atFDCWD, p) }
        case 18:
            try? Sys.mknodat(Sys.atFDCWD, p, mode_t(0o010644), 0)
        default:
            if allowDevices && geteuid() == 0 { try? Sys.mknodat(Sys.atFDCWD, p, mode_t(0o020644), UInt64(1 << 8 | 3)) }
        }
        owner(p)
    }

    /// Gives every entry a random (past) mtime, directories last so their times stick.
    public mutating func settle(_ root: String) {
        let snap = TreeSnapshot(root)
        let paths = snap.nodes.keys.sorted { $0.count > $1.count }
        for rel in paths {
            let abs = rel == [0x2E] ? root.pathBytes : root.pathBytes + [0x2F] + rel
            mtime(abs)
            if snap.nodes[rel]!.kind == .directory, chance(0.2) { try? Sys.fchmodat(Sys.atFDCWD, abs, perms(dir: true)) }
        }
        // Parents after children.
        for rel in paths where snap.nodes[rel]!.kind == .directory {
            let abs = rel == [0x2E] ? root.pathBytes : root.pathBytes + [0x2F] + rel
            mtime(abs)
        }
    }

    /// Applies random changes of every kind the oracle suite names.
    public mutating func mutate(_ root: String, count: Int = 15) {
        let snap = TreeSnapshot(root)
        let entries = snap.nodes.keys.filter { $0 != [0x2E] }.sorted { PathOps.compare($0, $1) < 0 }
        guard !entries.isEmpty else { return }
        var files: [PathBytes] = []
        var dirs: [PathBytes] = [root.pathBytes]
        for _ in 0..<count {
            let rel = entries[int(0..<entries.count)]
            let abs = root.pathBytes + [0x2F] + rel
            guard let st = try? Sys.fstatat(Sys.atFDCWD, abs), let kind = st.kind else { continue }
            switch int(0..<10) {
            case 0 where kind == .file: // same size, new content
                var c = readFile(abs) ?? []
                if !c.isEmpty { c[int(0..<c.count)] ^= 0x5A }
                rewrite(abs, c, st)
            case 1 where kind == .file: // append
                rewrite(abs, (readFile(abs) ?? []) + content().prefix(3000), st)
            case 2 where kind == .file: // truncate
                let c = readFile(abs) ?? []
                rewrite(abs, Array(c.prefix(c.count / 2)), st)
            case 3 where kind == .file: // insertion in the middle
                var c = readFile(abs) ?? []
                c.insert(contentsOf: Array("INSERTED".utf8), at: c.count / 2)
                rewrite(abs, c, st)
            case 4: // delete
                removeTree(abs.displayName)
            case 5: // type change
                removeTree(abs.displayName)
                if kind == .directory { writeFile(abs, content()) }
                else if kind == .file { try? Sys.mkdirat(Sys.atFDCWD, abs, 0o755); writeFile(abs + Array("/inner".utf8), content()) }
                else { try? Sys.symlinkat(Array("changed".utf8), Sys.atFDCWD, abs) }
            case 6 where kind != .symlink: // mode only
                try? Sys.fchmodat(Sys.atFDCWD, abs, perms(dir: kind == .directory))
            case 7: // mtime only
                mtime(abs)
            case 8: // new entry
                let parentRel = PathOps.parent(rel)
                let parent = parentRel == [0x2E] ? root.pathBytes : root.pathBytes + [0x2F] + parentRel
                if (try? Sys.fstatat(Sys.atFDCWD, parent))?.kind == .directory {
                    let p = parent + [0x2F] + name()
                    if (try? Sys.fstatat(Sys.atFDCWD, p)) == nil { makeEntry(p, files: &files, dirs: &dirs) }
                }
            default:
                if kind == .symlink { removeTree(abs.displayName); try? Sys.symlinkat(Array("retargeted".utf8), Sys.atFDCWD, abs) }
            }
        }
        settleDirectories(root)
    }

    /// Gives directories (changed by the mutations) random past mtimes, deepest first.
    public mutating func settleDirectories(_ root: String) {
        let snap = TreeSnapshot(root)
        for rel in snap.nodes.keys.sorted(by: { $0.count > $1.count }) where snap.nodes[rel]!.kind == .directory {
            mtime(rel == [0x2E] ? root.pathBytes : root.pathBytes + [0x2F] + rel)
        }
    }

    mutating func rewrite(_ p: PathBytes, _ c: [UInt8], _ st: FileStat) {
        // Through a new inode sometimes, in place other times (hard links see in-place writes).
        writeFile(p, c)
        setMtime(p, st.mtimeSec, st.mtimeNsec)
        if chance(0.5) { mtime(p) }
    }
}
