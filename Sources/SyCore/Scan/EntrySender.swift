/// Writes the scan's entries in stream order: with `--prune-empty-dirs` a directory is held
/// back until something other than a directory turns up below it, and so is an implied
/// directory of `-R` until anything does; `--delete-missing-args` names are slotted in where
/// they belong.
final class EntrySender {
    private let out: StreamWriter
    private let names: IdNames?
    private let prune: Bool
    private var pendingDirs: [Entry] = []
    private var missing: ArraySlice<PathBytes>

    init(out: StreamWriter, names: IdNames?, prune: Bool, missing: [PathBytes]) {
        self.out = out; self.names = names; self.prune = prune; self.missing = missing[...]
    }

    func send(_ e: Entry, implied: Bool = false) throws(SyError) {
        try sendMissing(before: e.path, isDir: e.kind == .directory)
        while let last = pendingDirs.last, !PathOps.isInside(e.path, last.path) { pendingDirs.removeLast() }
        if implied || (prune && e.kind == .directory && e.path != [0x2E]) {
            pendingDirs.append(e)
            return
        }
        for d in pendingDirs { try write(d) }
        pendingDirs.removeAll()
        try write(e)
    }

    func finish() throws(SyError) { try sendMissing(before: nil) }

    /// The DIR-NAMES record of a directory just sent (nothing while directories are held back).
    func sendDirNames(_ dir: PathBytes, _ names: [PathBytes]) throws(SyError) {
        guard pendingDirs.isEmpty else { return }
        Record.dirNames(dir: dir, names: names).encode(into: &out.payload)
        try out.emit(.dirNames)
    }

    private func sendMissing(before path: PathBytes?, isDir: Bool = false) throws(SyError) {
        while let m = missing.first, path == nil || PathOps.compare(m, isDir: false, path!, isDir: isDir) < 0 {
            missing.removeFirst()
            var e = Entry(path: m, kind: .file)
            e.missing = true
            try write(e)
        }
    }

    private func write(_ e: Entry) throws(SyError) {
        if let names { for r in names.records(uid: e.uid, gid: e.gid) { try out.write(r) } }
        e.encode(into: &out.payload)
        try out.emit(.entry)
    }
}
