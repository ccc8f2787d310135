import Glibc

/// `--delete-before`, as rsync does it: every deletion comes before the first transfer (which
/// frees space first), and a sender that could not list everything (its IO error) makes the
/// pass delete nothing. The entry stream is spooled to an unlinked temporary file (memory stays
/// bounded) and merged twice: once for deletions only, once for everything else.
extension Summer {
    /// What a merge does.
    enum Pass {
        /// Everything, in one pass (every mode but --delete-before).
        case whole
        /// Deletions only: the directories present on both sides are visited for their extras.
        case deletions
        /// Everything but deleting extras (the deletion pass came first).
        case transfers
    }

    /// Runs sy-sum with --delete-before over the entry stream on `inputFd`.
    public static func runDeletingFirst(options: SumOptions, inputFd: Int32, output: StreamWriter,
                                        totals: TotalsChannel?, destination: PathBytes) throws(SyError) -> ExitStatus {
        let spool = try spoolStream(from: inputFd)
        defer { Sys.close(spool) }
        let first = try spooledSummer(spool, options: options, output: output)
        first.pass = .deletions
        try first.merge(destination: destination)
        if first.deletionsStopped && first.lookedInto { try first.noteDeletionsSkipped() }

        try rewind(spool)
        let second = Summer(options: options, input: try StreamReader(fd: spool, expecting: [.entries]), output: output)
        second.pass = .transfers
        second.changedDirs = first.changedDirs
        second.changedLinkedDirs = first.changedLinkedDirs
        second.deletedDirs = first.deletedDirs
        second.ioErrorNoted = first.ioErrorNoted
        second.totals = totals
        try second.merge(destination: destination)
        let status = try second.finish()
        return status.merged(with: first.status)
    }

    /// Runs sy-sum after the whole entry stream has come (`--whole-list`): rsync's generator
    /// without incremental recursion knows the sender's IO error before its first deletion, and
    /// then deletes nothing at all. The stream is spooled, looked through, and merged once.
    public static func runAfterWholeList(options: SumOptions, inputFd: Int32, output: StreamWriter,
                                         totals: TotalsChannel?, destination: PathBytes) throws(SyError) -> ExitStatus {
        let spool = try spoolStream(from: inputFd)
        defer { Sys.close(spool) }
        let summer = try spooledSummer(spool, options: options, output: output)
        summer.totals = totals
        return try summer.run(destination: destination)
    }

    /// A merge of the spooled stream whose notes went on first: whether one says the sender
    /// had an IO error is then known before the first deletion.
    static func spooledSummer(_ spool: Int32, options: SumOptions, output: StreamWriter) throws(SyError) -> Summer {
        let (ioError, entries) = try forwardNotes(spool, to: output)
        if let style = options.listCount { try output.write(.message(level: 0, text: listCountNote(entries, steps: style == .steps))) }
        try rewind(spool)
        let summer = Summer(options: options, input: try StreamReader(fd: spool, expecting: [.entries]), output: output)
        summer.ioError = ioError
        summer.notesForwarded = true
        return summer
    }

    /// The deletion pass's view of an entry on both sides: a directory on both is visited for
    /// its extras; anything else waits for the transfer pass (rsync's delete pass matches names
    /// whatever their kinds, so a kind change is no deletion here).
    func deletionsBelow(_ s: Entry, _ d: WalkItem, _ walker: PrefetchWalker) throws(SyError) {
        guard d.kind == .directory else { return }
        guard s.kind == .directory, !s.missing else {
            walker.skipChildren(of: d.path)
            return
        }
        noteSourceDir(s)
        try enterFilters(s.path)
        try enterDirectory(s.path, d)
    }

    /// Copies everything on `fd` into an unlinked file under $TMPDIR (or /tmp); returns it.
    static func spoolStream(from fd: Int32) throws(SyError) -> Int32 {
        let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((dir + "/sy-sum-spool.XXXXXX").utf8CString)
        let spool = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard spool >= 0 else { throw SyError("cannot make a spool file in \(dir): \(errnoText(errno))", status: .fileIO) }
        _ = fcntl(spool, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        let cap = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n: Int
            do throws(Errno) { n = try Sys.read(fd, buf, cap) } catch {
                Sys.close(spool)
                throw SyError("cannot read the entry stream: \(errnoText(error.code))", status: .streamIO)
            }
            if n == 0 { break }
            do throws(Errno) { try Sys.writeAll(spool, buf, n) } catch {
                Sys.close(spool)
                throw SyError("cannot spool the entry stream in \(dir): \(errnoText(error.code))", status: .fileIO)
            }
        }
        return spool
    }

    static func rewind(_ fd: Int32) throws(SyError) {
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw SyError("cannot rewind the spooled stream: \(errnoText(errno))", status: .fileIO) }
    }

    /// rsync's --progress count of a whole list: built here (`steps`), " 0 files..." and every
    /// hundred before the total; received, the total after the header, or, from a hundred
    /// entries on, on a line of its own after " 100 files...", " 200 files...", ...
    static func listCountNote(_ n: Int, steps: Bool) -> String {
        var text = ""
        if steps {
            for k in stride(from: 0, to: max(n, 1), by: 100) { text += " \(k) files...\r" }
        } else if n >= 100 {
            text = "\n"
            for k in stride(from: 100, through: n, by: 100) { text += " \(k) files...\r" }
        }
        return text + "\(n) file\(n == 1 ? " " : "s ")to consider"
    }

    /// Passes the stream's notes on and tells whether it reports an IO error (a warning or
    /// worse: the sender could not list something), and how many entries it has. Checks the
    /// whole stream on the way.
    static func forwardNotes(_ fd: Int32, to out: StreamWriter) throws(SyError) -> (ioError: Bool, entries: Int) {
        try rewind(fd)
        let r = try StreamReader(fd: fd, expecting: [.entries])
        var ioError = false, entries = 0, listed = 0
        while let t = try r.next() {
            if t == .entry { entries += 1 }
            guard t == .message || t == .summary else { continue }
            var p = r.reader()
            switch try Record.decode(t, &p) {
            case .message(let level, let text):
                if level >= 2 { ioError = true } else { try out.write(Summer.forwarded(level, text)) }
            case .summary(let items):
                // rsync's list is longer where -m's pruned directories or a duplicate source
                // are in it (the scan says so when it numbers entries).
                if let n = items.first(where: { $0.key == "list_entries" })?.value { listed = max(listed, Int(n)) }
            default:
                break
            }
        }
        return (ioError, max(entries, listed))
    }
}
