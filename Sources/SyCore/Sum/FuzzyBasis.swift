import Glibc

/// `-y/--fuzzy`: for a file missing from the destination, a file in the same destination
/// directory to use as the delta basis, chosen as rsync chooses: the first regular file with
/// the same size and time, else the lowest of rsync's weighted name distance (the suffix
/// weighing ten times more), within rsync's limit.
struct FuzzyBasis {
    private var dir: PathBytes?
    private var files: [(name: PathBytes, stat: FileStat)] = []
    /// Entries of one directory deleted before its files come (rsync's list no longer has them).
    private var goneDir: PathBytes?
    private var gone: Set<PathBytes> = []
    static let unit: UInt32 = 1 << 16

    /// `path` is deleted before the files of its directory: it is no candidate.
    mutating func forget(_ path: PathBytes) {
        let parent = PathOps.parent(path)
        if goneDir != parent { goneDir = parent; gone = [] }
        gone.insert(PathOps.base(path))
        if dir == parent { files.removeAll { $0.name == PathOps.base(path) } }
    }

    /// `path` is updated by a delta: no candidate for the files after it, once its directory is
    /// listed (rsync's FLAG_FILE_SENT marks only a list already made; it lists on first use).
    mutating func updating(_ path: PathBytes) {
        guard dir == PathOps.parent(path) else { return }
        let name = PathOps.base(path)
        files.removeAll { $0.name == name }
    }

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
            for n in names where !(goneDir == parent && gone.contains(n)) {
                if let st = try? Sys.fstatat(fd, n), st.kind == .file, st.size > 0 { files.append((n, st)) }
            }
        }
        let name = PathOps.base(s.path)
        let suffix = FuzzyBasis.suffix(name)
        var lowest = 25 * FuzzyBasis.unit
        var best: (PathBytes, FileStat)?
        for f in files where f.name != name {
            if f.stat.size == s.size && f.stat.mtimeSec == s.mtimeSec { return (f.name, f.stat) }
            var dist = FuzzyBasis.distance(f.name[...], name[...])
            // The suffixes weigh in only for a name not already out of the running (as rsync).
            if dist < lowest {
                let sd = FuzzyBasis.distance(FuzzyBasis.suffix(f.name), suffix)
                let (sum, over) = dist.addingReportingOverflow(sd.multipliedReportingOverflow(by: 10).partialValue)
                dist = over ? UInt32.max : sum
            }
            if dist <= lowest { lowest = dist; best = (f.name, f.stat) }
        }
        return best
    }

    /// The name's significant suffix as rsync finds it, dot included: leading dots are no
    /// suffix, a trailing `~` is ignored, `.bak`, `.old` and `.orig` are looked through (and,
    /// after a `~`, a suffix starting with a digit), an all-digit suffix only counts when no
    /// earlier one does (`foo.c.12` weighs as `.c`); none if the name has no dot.
    static func suffix(_ n: PathBytes) -> ArraySlice<UInt8> {
        var start = 0
        while start < n.count && n[start] == 0x2E { start += 1 }
        var end = n.count
        var tilde = false
        if end - start > 1 && n[end - 1] == 0x7E { end -= 1; tilde = true }
        var found: ArraySlice<UInt8> = []
        while end - start > 1 {
            var dot = end - 1
            while dot > start && n[dot] != 0x2E { dot -= 1 }
            if dot == start { break }
            let suf = n[dot..<end]
            end = dot
            let word = Array(suf.dropFirst())
            if word == Array("bak".utf8) || word == Array("old".utf8) || word == Array("orig".utf8) { continue }
            if suf.count > 2 && tilde && (0x30...0x39).contains(word[0]) { continue }
            found = suf
            if suf.count == 1 { break }
            if !word.allSatisfy({ (0x30...0x39).contains($0) }) { return found }
            // An all-digit suffix is not that significant: an earlier one may replace it.
        }
        return found
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
