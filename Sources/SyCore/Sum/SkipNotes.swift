/// rsync's --info=skip notes (-vv): why the generator leaves an entry alone.
extension Summer {
    /// Writes `text` as a note for sy-apply to print, where skip notes are asked for.
    func noteSkip(_ text: String) throws(SyError) {
        guard options.skipNotes >= 1, pass != .deletions else { return }
        try out.write(.message(level: 0, text: text))
    }

    /// --existing: "not creating new file "x"" (or directory).
    func noteNotCreating(_ s: Entry) throws(SyError) {
        try noteSkip("not creating new \(s.kind == .directory ? "directory" : "file") \"\(s.path.displayName)\"")
    }

    /// --max-size, --min-size: "x is over max-size" (or under min-size).
    func noteSizeExcluded(_ s: Entry) throws(SyError) {
        let over = options.maxSize.map { s.size > $0 } ?? false
        try noteSkip("\(s.path.displayName) is \(over ? "over max-size" : "under min-size")")
    }

    /// --ignore-existing: "x exists", and at level 2 what differs, as rsync's generator
    /// says it: the type, the content (its quick check, or -c's sums), the attributes, or nothing.
    func noteExists(_ s: Entry, _ d: WalkItem) throws(SyError) {
        guard options.skipNotes >= 1, pass != .deletions else { return }
        var suffix = ""
        if options.skipNotes >= 2 {
            if s.kind != d.kind {
                suffix = " (type change)"
            } else if !(try sameContent(s, d)) {
                suffix = options.checksum ? " (sum change)" : " (file change)"
            } else if !attrFlags(s, d.stat).isEmpty {
                suffix = " (attr change)"
            } else {
                suffix = " (uptodate)"
            }
        }
        try noteSkip("\(s.path.displayName) exists\(suffix)")
    }

    /// rsync's quick_check_ok for two entries of one kind.
    func sameContent(_ s: Entry, _ d: WalkItem) throws(SyError) -> Bool {
        switch s.kind {
        case .file:
            guard s.size == d.stat.size else { return false }
            if options.checksum {
                guard let a = s.checksum, let b = try destChecksum(d) else { return false }
                return a == b
            }
            return options.sizeOnly || (!options.ignoreTimes && sameTime(s, d.stat))
        case .symlink: return s.target == d.target
        case .charDevice, .blockDevice: return s.rdev == d.stat.rdev
        default: return true
        }
    }
}
