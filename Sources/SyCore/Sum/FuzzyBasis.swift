import Glibc

/// `-y/--fuzzy`: for a file missing from the destination, a file in the same destination
/// directory to use as the delta basis: one with the same size and time, else the most
/// similar name with the same extension (edit distance below half the name's length).
struct FuzzyBasis {
    private var dir: PathBytes?
    private var files: [(name: PathBytes, stat: FileStat)] = []

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
        if let same = files.first(where: { $0.stat.size == s.size && $0.stat.mtimeSec == s.mtimeSec && $0.name != name }) {
            return (same.name, same.stat)
        }
        let ext = FuzzyBasis.suffix(name)
        var best: (PathBytes, FileStat, Int)?
        for f in files where f.name != name && FuzzyBasis.suffix(f.name) == ext {
            let d = FuzzyBasis.distance(name, f.name)
            if d * 2 < max(name.count, f.name.count) && (best == nil || d < best!.2) { best = (f.name, f.stat, d) }
        }
        return best.map { ($0.0, $0.1) }
    }

    static func suffix(_ n: PathBytes) -> ArraySlice<UInt8> {
        guard let dot = n.lastIndex(of: 0x2E), dot > 0 else { return [] }
        return n[dot...]
    }

    /// Levenshtein distance on bytes.
    static func distance(_ a: PathBytes, _ b: PathBytes) -> Int {
        var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(1, a.count) where !a.isEmpty {
            cur[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return a.isEmpty ? b.count : prev[b.count]
    }
}
