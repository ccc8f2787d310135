import Glibc

/// `-y/--fuzzy`: for a file missing from the destination, a file in the same destination
/// directory to use as the delta basis, chosen as rsync chooses: the first regular file with
/// the same size and time, else the lowest of rsync's weighted name distance (the suffix
/// weighing ten times more), within rsync's limit.
struct FuzzyBasis {
    private var dir: PathBytes?
    private var files: [(name: PathBytes, stat: FileStat)] = []
    static let unit: UInt32 = 1 << 16

    /// The basis name for `s` in its directory (listed once per directory), or nil.
    mutating func find(for s: Entry, opener: PrefetchWalker) -> (PathBytes, FileStat)? {
        let parent = PathOps.parent(s.path)
        if dir != parent {
            dir = parent
            files = []
            // A descriptor of its own: the walk's shares its read offset.
            guard let dfd = try? opener.directoryFd(parent), let fd = try? Sys.openat(dfd, [0x2E], O_RDONLY | O_DIRECTORY) else { return nil }
            defer { Sys.close(fd) }
            guard let names = try? DirReader.sortedNames(fd) else { return nil }
            for n in names {
                if let st = try? Sys.fstatat(fd, n), st.kind == .file, st.size > 0 { files.append((n, st)) }
            }
        }
        let name = PathOps.base(s.path)
        let suffix = FuzzyBasis.suffix(name)
        var lowest = 25 * FuzzyBasis.unit
        var best: (PathBytes, FileStat)?
        for f in files where f.name != name {
            if f.stat.size == s.size && f.stat.mtimeSec == s.mtimeSec { return (f.name, f.stat) }
            let d = FuzzyBasis.distance(f.name[...], name[...])
            let sd = FuzzyBasis.distance(FuzzyBasis.suffix(f.name), suffix)
            let (dist, over) = d.addingReportingOverflow(sd.multipliedReportingOverflow(by: 10).partialValue)
            if !over && dist <= lowest { lowest = dist; best = (f.name, f.stat) }
        }
        return best
    }

    /// The name's suffix from its last dot (none for a leading dot only).
    static func suffix(_ n: PathBytes) -> ArraySlice<UInt8> {
        guard let dot = n.lastIndex(of: 0x2E), dot > 0 else { return [] }
        return n[(dot + 1)...]
    }

    /// rsync's fuzzy_distance: an edit distance in which changing, adding or dropping a byte
    /// costs a unit plus the byte's value (or the difference of the two bytes).
    static func distance(_ s1: ArraySlice<UInt8>, _ s2: ArraySlice<UInt8>) -> UInt32 {
        let a1 = Array(s1), a2 = Array(s2)
        if a1.isEmpty || a2.isEmpty {
            let s = a1.isEmpty ? a2 : a1
            return UInt32(s.count) * unit + s.reduce(0) { $0 + UInt32($1) }
        }
        var a = (0..<a2.count).map { UInt32($0 + 1) * unit }
        for i1 in 0..<a1.count {
            var diag = UInt32(i1) * unit
            var above = UInt32(i1 + 1) * unit
            for i2 in 0..<a2.count {
                let left = a[i2]
                let c1 = Int(a1[i1]), c2 = Int(a2[i2])
                var cost: UInt32 = 0
                if c1 != c2 { cost = c1 < c2 ? unit + UInt32(c2 - c1) : unit + UInt32(c1 - c2) }
                let diagInc = diag + cost
                let leftInc = left + unit + UInt32(a1[i1])
                let aboveInc = above + unit + UInt32(a2[i2])
                above = left < above ? min(leftInc, diagInc) : min(aboveInc, diagInc)
                a[i2] = above
                diag = left
            }
        }
        return a[a2.count - 1]
    }
}
