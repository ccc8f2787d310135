/// Counts of the source file list, for rsync's `--stats` ("Number of files: N (reg: ..., dir: ...)").
struct SourceCounts {
    var files: UInt64 = 0, reg: UInt64 = 0, dir: UInt64 = 0, link: UInt64 = 0, dev: UInt64 = 0, special: UInt64 = 0
    var totalSize: UInt64 = 0

    mutating func add(_ e: Entry) {
        files += 1
        switch e.kind {
        case .file: reg += 1; totalSize += UInt64(e.size)
        case .directory: dir += 1
        case .symlink: link += 1; totalSize += UInt64(e.target.count)
        case .charDevice, .blockDevice: dev += 1
        case .fifo, .socket: special += 1
        }
    }

    func items(entryBytes: UInt64) -> [SummaryItem] {
        [SummaryItem(key: "files", value: files), SummaryItem(key: "reg", value: reg), SummaryItem(key: "dir", value: dir),
         SummaryItem(key: "link", value: link), SummaryItem(key: "dev", value: dev), SummaryItem(key: "special", value: special),
         SummaryItem(key: "total_size", value: totalSize), SummaryItem(key: "entry_bytes", value: entryBytes)]
    }
}
