/// The receiver's filter rules where sy-apply deletes: the global rules, the per-directory
/// merge files above the destination (`dir-merge /NAME`), and those sy-sum read in the
/// destination's directories (FILTER-FILE records: their contents as rsync's generator saw
/// them when it reached each directory), entered down to the directory of the entry.
struct DeletionRules {
    private let base: FilterList
    /// Merge files by directory (transfer path), as sy-sum forwarded them.
    private var files: [PathBytes: [(name: PathBytes, content: [UInt8])]] = [:]
    private var last: (dir: PathBytes, rules: FilterList)?
    private var parentsRead = false
    private var withParents: FilterList

    init(_ filters: FilterList) {
        base = filters
        withParents = filters
    }

    mutating func learn(dir: PathBytes, name: PathBytes, content: [UInt8]) {
        files[dir, default: []].append((name, content))
        if let l = last, l.dir == dir || PathOps.isInside(l.dir, dir) { last = nil }
    }

    /// The rules in force in directory `dir` of the destination `destination`.
    /// `rootWalked`: the stream's first entry was `.` (else the root's own files count as a parent's).
    mutating func rules(in dir: PathBytes, destination: PathBytes, rootWalked: Bool) -> FilterList {
        guard base.hasDirMerge else { return base }
        if let l = last, l.dir == dir { return l.rules }
        if !parentsRead {
            parentsRead = true
            withParents.scanParents(of: FilterList.absolutePath(destination), includingRoot: !rootWalked) { d, name in
                FilterFiles.read(Sys.atFDCWD, PathOps.join(d, name))
            }
        }
        var r = withParents
        var ancestors: [PathBytes] = [[0x2E]]
        if dir != [0x2E] {
            for (i, c) in dir.enumerated() where c == 0x2F { ancestors.append(Array(dir[..<i])) }
            ancestors.append(dir)
        }
        for a in ancestors {
            let known = files[a] ?? []
            r.enter(directory: a) { name in known.first { $0.name == name }?.content }
        }
        last = (dir, r)
        return r
    }
}
