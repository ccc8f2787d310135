/// Counts of the source file list, for rsync's `--stats` ("Number of files: N (reg: ..., dir: ...)").
struct SourceCounts {
    var files: UInt64 = 0, reg: UInt64 = 0, dir: UInt64 = 0, link: UInt64 = 0, dev: UInt64 = 0, special: UInt64 = 0
    var totalSize: UInt64 = 0

    mutating func add(_ e: Entry) {
        add(e.kind, size: e.kind == .symlink ? Int64(e.target.count) : e.size)
    }

    /// One entry of `kind`; `size` counts for a file or a symlink (its target's length).
    mutating func add(_ kind: EntryKind, size: Int64) {
        files += 1
        switch kind {
        case .file: reg += 1; totalSize += UInt64(max(0, size))
        case .directory: dir += 1
        case .symlink: link += 1; totalSize += UInt64(max(0, size))
        case .charDevice, .blockDevice: dev += 1
        case .fifo, .socket: special += 1
        }
    }

    /// The entries rsync's list holds that a scan did not send (`unsentItems`).
    mutating func addUnsent(_ items: [SummaryItem]) {
        func v(_ k: String) -> UInt64 { items.first { $0.key == "unsent_" + k }?.value ?? 0 }
        files += v("files"); reg += v("reg"); dir += v("dir"); link += v("link"); dev += v("dev"); special += v("special")
        totalSize += v("size")
    }

    /// These counts as the entries-stream summary of what rsync's list holds and the stream does not send.
    var unsentItems: [SummaryItem] {
        [SummaryItem(key: "unsent_files", value: files), SummaryItem(key: "unsent_reg", value: reg),
         SummaryItem(key: "unsent_dir", value: dir), SummaryItem(key: "unsent_link", value: link),
         SummaryItem(key: "unsent_dev", value: dev), SummaryItem(key: "unsent_special", value: special),
         SummaryItem(key: "unsent_size", value: totalSize)]
    }

    func items(entryBytes: UInt64) -> [SummaryItem] {
        [SummaryItem(key: "files", value: files), SummaryItem(key: "reg", value: reg), SummaryItem(key: "dir", value: dir),
         SummaryItem(key: "link", value: link), SummaryItem(key: "dev", value: dev), SummaryItem(key: "special", value: special),
         SummaryItem(key: "total_size", value: totalSize), SummaryItem(key: "entry_bytes", value: entryBytes)]
    }
}
