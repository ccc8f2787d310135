/// Counters for rsync's `--stats`.
public struct ApplyStats: Sendable {
    public var files: UInt64 = 0, reg: UInt64 = 0, dir: UInt64 = 0, link: UInt64 = 0, dev: UInt64 = 0, special: UInt64 = 0
    public var created = KindCounts()
    public var deleted = KindCounts()
    public var transferred: UInt64 = 0
    public var totalSize: UInt64 = 0
    public var transferredSize: UInt64 = 0
    public var literal: UInt64 = 0
    public var matched: UInt64 = 0
    public var entryBytes: UInt64 = 0
    public var planBytes: UInt64 = 0
    public var deltaBytes: UInt64 = 0
    /// Bytes copied from the source's own ranges (both trees local): rsync's local copy sends
    /// them between its processes and counts them as sent, so sy does too.
    public var rangeBytes: UInt64 = 0
    /// Runs of the basis the deltas copied (rsync's "matches", at -vv).
    public var matchedBlocks: UInt64 = 0
    /// Nanoseconds from the start until the first plan arrived (the file list's time, as rsync shows it).
    public var listNanos: UInt64 = 0

    public var bytesSent: UInt64 { entryBytes + deltaBytes + rangeBytes }
    public var bytesReceived: UInt64 { planBytes }

    mutating func absorb(_ items: [SummaryItem]) {
        for i in items {
            switch i.key {
            case "files": files = i.value
            case "reg": reg = i.value
            case "dir": dir = i.value
            case "link": link = i.value
            case "dev": dev = i.value
            case "special": special = i.value
            case "total_size": totalSize = i.value
            case "entry_bytes": entryBytes = i.value
            case "plan_bytes": planBytes = i.value
            default: break
            }
        }
    }
}

/// Counts by entry type, as rsync prints them: `6 (reg: 4, dir: 2)`.
public struct KindCounts: Sendable {
    public var reg: UInt64 = 0, dir: UInt64 = 0, link: UInt64 = 0, dev: UInt64 = 0, special: UInt64 = 0
    public var total: UInt64 { reg + dir + link + dev + special }

    mutating func add(_ k: EntryKind) {
        switch k {
        case .file: reg += 1
        case .directory: dir += 1
        case .symlink: link += 1
        case .charDevice, .blockDevice: dev += 1
        case .fifo, .socket: special += 1
        }
    }
}
