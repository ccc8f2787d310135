/// Writes the scan's entries in stream order: with `--prune-empty-dirs` a directory is held
/// back until something other than a directory turns up below it, and so is an implied
/// directory of `-R` until anything does; `--delete-missing-args` names are slotted in where
/// they belong. Without recursion everything waits for the end of the scan (see `held`).
final class EntrySender {
    private let out: StreamWriter
    private let names: IdNames?
    private let prune: Bool
    /// Directories held back, each with its DIR-NAMES record's names once known (sent with it).
    private var pendingDirs: [Entry] = []
    private var pendingNames: [[PathBytes]?] = []
    private var pendingImplied: [Bool] = []
    /// Directories `--prune-empty-dirs` left out (rsync's list holds them: its receiver prunes).
    private(set) var prunedDirs = 0
    /// `-m`: a directory the receiver's rules exclude is kept, with the ones above it (rsync's
    /// receiver prunes, and passes over those).
    var receiverExcludes: (PathBytes) -> Bool = { _ in false }
    private var missing: ArraySlice<PathBytes>
    /// Records held back until `finish`: rsync lists non-recursive sources whole before it
    /// transfers anything, so the scan's notes ("skipping directory d") come first. Nil: none held.
    private var held: [(RecordType, [UInt8])]?

    /// `holdAll`: hold every record until `finish` (a list of the named sources only, no recursion).
    init(out: StreamWriter, names: IdNames?, prune: Bool, missing: [PathBytes], holdAll: Bool = false) {
        self.out = out; self.names = names; self.prune = prune; self.missing = missing[...]
        if holdAll { held = [] }
    }

    func send(_ e: Entry, implied: Bool = false) throws(SyError) {
        try sendMissing(before: e.path, isDir: e.kind == .directory)
        while let last = pendingDirs.last, !PathOps.isInside(e.path, last.path) {
            // Pruned: a parent still held back no longer names it (the receiver then deletes
            // its namesake at the parent's start, as rsync, whose list never had it).
            pendingDirs.removeLast()
            pendingNames.removeLast()
            if !pendingImplied.removeLast() { prunedDirs += 1 }
            if let i = pendingNames.indices.last, pendingDirs[i].path == PathOps.parent(last.path) {
                pendingNames[i]?.removeAll { $0 == PathOps.base(last.path) }
            }
        }
        if implied || (prune && e.kind == .directory && e.path != [0x2E] && !receiverExcludes(e.path)) {
            pendingDirs.append(e)
            pendingNames.append(nil)
            pendingImplied.append(implied)
            return
        }
        for (d, names) in zip(pendingDirs, pendingNames) {
            try write(d)
            if let names { try writeDirNames(d.path, names) }
        }
        pendingDirs.removeAll()
        pendingNames.removeAll()
        pendingImplied.removeAll()
        try write(e)
    }

    func finish() throws(SyError) {
        prunedDirs += pendingImplied.count { !$0 }
        try sendMissing(before: nil)
        if let records = held {
            held = nil
            for (type, payload) in records {
                out.payload = payload
                try out.emit(type)
            }
        }
    }

    /// Emits the record encoded in `out.payload`, or holds it.
    private func emit(_ type: RecordType) throws(SyError) {
        if held != nil {
            held!.append((type, out.payload))
            out.payload.removeAll(keepingCapacity: true)
        } else {
            try out.emit(type)
        }
    }

    /// The DIR-NAMES record of a directory just sent, or held back with it (`-m`: it goes
    /// right after the directory's entry when that is sent; a subdirectory it names may still
    /// be pruned, and the receiver then deletes its namesake where the merge meets it).
    func sendDirNames(_ dir: PathBytes, _ names: [PathBytes]) throws(SyError) {
        if let last = pendingDirs.last {
            if last.path == dir { pendingNames[pendingNames.count - 1] = names }
            return
        }
        try writeDirNames(dir, names)
    }

    private func writeDirNames(_ dir: PathBytes, _ names: [PathBytes]) throws(SyError) {
        Record.dirNames(dir: dir, names: names).encode(into: &out.payload)
        try emit(.dirNames)
    }

    private func sendMissing(before path: PathBytes?, isDir: Bool = false) throws(SyError) {
        while let m = missing.first, path == nil || PathOps.compare(m, isDir: false, path!, isDir: isDir) < 0 {
            missing.removeFirst()
            var e = Entry(path: m, kind: .file)
            e.missing = true
            try write(e)
        }
    }

    /// How many entries went out.
    private(set) var written = 0

    private func write(_ e: Entry) throws(SyError) {
        written += 1
        if let names {
            for r in names.records(uid: e.uid, gid: e.gid) {
                r.encode(into: &out.payload)
                try emit(r.type)
            }
        }
        e.encode(into: &out.payload)
        try emit(.entry)
    }
}
