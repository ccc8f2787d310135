/// A walk of several sources as one tree, as rsync merges them: where the sources hold the same
/// name, a directory wins over anything else and directories of one name are merged (their
/// contents walked together, the first source's attributes kept); of other entries with the
/// same name, the first source's is sent.
///
/// Each source has its own `TreeWalker`; their items are merged in stream order. A walker
/// advances only when the next item is asked for, so `skipChildren()` still reaches every
/// walker that returned the directory.
final class MergedWalk: SourceWalk {
    private let walkers: [TreeWalker]
    /// Each walker's next item; nil once it is through.
    private var heads: [WalkItem?]
    /// Walkers whose head was taken (or dropped) and must move on before the next choice.
    private var taken: [Bool]
    /// The walkers that returned the item just returned (several for a merged directory).
    private var last: [Int] = []
    /// Whether that item is `.`: the other walkers' top levels are in it too.
    private var isRoot = false
    /// Items of one name to return before the walk moves on (see `next`).
    private var queued: [WalkItem] = []
    /// Whether the filters leave out a directory of this path: then it does not win over another
    /// source's entry of the name (rsync's list never has it).
    var excludesDirectory: (PathBytes) -> Bool = { _ in false }
    /// Entries left out for a directory of the same name that comes later (see `mergedAway`).
    private var leftForDirectory: [PathBytes: [MergedEntry]] = [:]

    init(_ walkers: [TreeWalker]) {
        self.walkers = walkers
        heads = Array(repeating: nil, count: walkers.count)
        taken = Array(repeating: true, count: walkers.count)
    }

    func next() -> WalkItem? {
        if !queued.isEmpty { return queued.removeFirst() }
        for i in walkers.indices where taken[i] {
            heads[i] = walkers[i].next()
            taken[i] = false
        }
        while true {
            var best: Int?
            for i in walkers.indices {
                guard let h = heads[i] else { continue }
                if let b = best, let hb = heads[b],
                   PathOps.compare(h.path, isDir: h.kind == .directory, hb.path, isDir: hb.kind == .directory) >= 0 { continue }
                best = i
            }
            guard let b = best, let item = heads[b] else { return nil }
            if !leftForDirectory.isEmpty, let away = leftForDirectory.removeValue(forKey: item.path) { item.mergedAway += away }
            let isDir = item.kind == .directory
            // The same path in the sources that come later: dropped, or merged if directories.
            last = walkers.indices.filter { i in
                guard let h = heads[i] else { return false }
                return (h.kind == .directory) == isDir && h.path == item.path
            }
            if !isDir && walkers.indices.contains(where: { !last.contains($0) && walkers[$0].listsDirectory(item.path) })
                && !excludesDirectory(item.path) {
                // Another source has a directory of this name: it wins; this entry is left out
                // (a link without referent is still returned: the scan reports it, sends nothing).
                let away = last.compactMap { heads[$0]!.noReferent ? nil : MergedEntry(heads[$0]!) }
                if !away.isEmpty { leftForDirectory[item.path, default: []] += away }
                for i in last { heads[i] = walkers[i].next() }
                if item.noReferent { last = []; return item }
                continue
            }
            for i in last { taken[i] = true }
            // The entry sent: the first source's (of a non-directory, the first that is there).
            let winner = isDir ? b : (last.first { !heads[$0]!.noReferent } ?? b)
            heads[winner]!.mergedAway += last.filter { $0 != winner && !heads[$0]!.noReferent }.map { MergedEntry(heads[$0]!) }
            isRoot = item.path == [0x2E]
            if !isDir && last.count > 1 && last.contains(where: { heads[$0]!.noReferent || heads[$0]!.unsafeTarget != nil }) {
                // rsync lists every source before it drops a later one's entry of the same name:
                // a link without referent is reported whichever source holds it, an unsafe link
                // followed is said, and the first source's entry that is there is the one sent.
                // The others come first, marked to be reported only.
                queued = last.filter { $0 != winner && (heads[$0]!.noReferent || heads[$0]!.unsafeTarget != nil) }.map { heads[$0]! }
                for d in queued { d.duplicate = true }
                queued.append(heads[winner]!)
                return queued.removeFirst()
            }
            return item
        }
    }

    func skipChildren() {
        for i in last { walkers[i].skipChildren() }
    }

    var willDescend: Bool { last.contains { walkers[$0].willDescend } }

    /// The merged listing: every name once, a directory wherever one source has it as one.
    func childListing() -> DirListing? {
        var byName: [PathBytes: (isDir: Bool, count: Int)] = [:]
        var any = false
        for i in walkers.indices {
            let listing = last.contains(i) ? (walkers[i].willDescend ? walkers[i].childListing() : nil)
                : (isRoot ? walkers[i].topListing : nil)
            guard let l = listing else { continue }
            any = true
            for (n, d) in zip(l.names, l.isDir) {
                let had = byName[n]
                byName[n] = ((had?.isDir ?? false) || d, (had?.count ?? 0) + 1)
            }
        }
        guard any else { return nil }
        let sorted = byName.sorted { PathOps.compare($0.key, isDir: $0.value.isDir, $1.key, isDir: $1.value.isDir) < 0 }
        return DirListing(names: sorted.map(\.key), isDir: sorted.map(\.value.isDir), copies: sorted.map { $0.value.count - 1 })
    }

    var oneFileSystemDev: UInt64? {
        get { walkers.first?.oneFileSystemDev }
        set { for w in walkers { w.oneFileSystemDev = newValue } }
    }
}

/// What rsync's counts take from an entry the merge left out: its kind and size (a symlink's:
/// its target's length).
public struct MergedEntry: Sendable {
    public var kind: EntryKind
    public var size: Int64

    init(_ item: WalkItem) {
        kind = item.kind
        size = item.kind == .file ? item.stat.size : (item.kind == .symlink ? Int64(item.target.count) : 0)
    }
}
