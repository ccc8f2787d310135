import Glibc

/// Prints what the receiver does, as rsync does (`-i`, `-v`, `--stats`) or as JSON Lines.
///
/// Lines go out as they happen on a terminal; to a pipe or a file they are gathered and
/// written before the receiver waits for input, before anything goes to stderr, before a
/// large file's data, and every tenth of a second (a write per line cost sy -v a fifth of
/// its time in a tree of small files).
public final class Reporter: IdleFlushing {
    let options: OutputOptions
    let out: TextOutput
    let dryRun: Bool

    let progress: ProgressMeter
    /// `--log-file`: every change, whatever goes to stdout.
    public var log: LogFile?
    /// `--remove-source-files`: a DONE line (see `DoneLine`) for each non-directory put in place.
    public var reportDone = false

    /// A line printed before any other (after the destination's "created directory").
    public var firstLine: String? {
        get { out.pendingFirst }
        set { out.pendingFirst = newValue }
    }

    /// Runs `body`, whose lines go before `firstLine` (which stays pending).
    func aheadOfFirstLine(_ body: () -> Void) {
        let first = out.pendingFirst
        out.pendingFirst = nil
        body()
        out.pendingFirst = first
    }

    /// Writes what is still buffered, `firstLine` included if nothing else was printed.
    public func closeOutput() {
        out.emitFirst()
        try? out.flush()
    }

    /// A non-directory that is in place and up to date (changed or not).
    func done(_ e: Entry) {
        guard reportDone, e.kind != .directory, !dryRun else { return }
        out.raw(DoneLine.encode(e))
        try? out.flush()
    }

    public init(options: OutputOptions, dryRun: Bool, fd: Int32 = 1, totals: TotalsChannel? = nil) {
        self.options = options; self.dryRun = dryRun
        out = TextOutput(fd: fd)
        progress = ProgressMeter(perFile: options.progress && !options.json && !options.quiet,
                                 overall: options.progress2 && !options.json && !options.quiet, out: out, totals: totals)
        itemLineFirst = options.outFormat.map { !OutFormat.countsBytes($0) } ?? options.itemize
        if fd == 1 {
            let out = self.out
            OutputBarrier.beforeStderr = { try? out.flush() }
        }
    }

    public var hasPending: Bool { out.hasPending && out.pendingFirst == nil }
    public func flushPending() { try? out.flush() }

    /// With --progress, a file's -i or --out-format line goes above its progress line, not after
    /// the transfer: rsync logs it first unless the format shows byte counts (%b, %c).
    let itemLineFirst: Bool

    /// The -i line of `plan` (rsync's `%i %n%L`).
    func itemizeLine(_ plan: Plan) -> String { "\(Itemizer.code(plan, role: options.role)) \(Itemizer.nameWithLink(plan, slash: slashed(plan)))" }

    /// Whether `plan`'s name is listed with a leading '/' (see `OutputOptions.slashTops`).
    func slashed(_ plan: Plan) -> Bool { options.listsWithSlash(plan.entry.path) }

    /// `format` (--out-format, --log-file-format) for `plan`, as this side lists it.
    func rendered(_ format: String, _ plan: Plan, literal: Int64 = 0, matched: Int64 = 0,
                  escape: NameEscape = NameEscape.terminal) -> String {
        OutFormat.render(format, plan, literal: literal, matched: matched, dryRun: dryRun, role: options.role,
                         prefix: options.senderPrefix, escape: escape, slash: slashed(plan), ids: (options.listsOwner, options.listsGroup))
    }

    /// Hard links to files whose data was sent, listed at the end (see `LinkLines`).
    let links = LinkLines()

    /// Lists the hard links held back (at the end of the transfer, before --delete-after).
    func releaseLinks() {
        for h in links.release() { change(h.plan, literal: h.literal, matched: h.matched, sourceDone: h.sourceDone) }
    }

    /// One file written under another name (rsync's one file to a named path): listed by the
    /// source's name, as rsync lists it.
    var shownName: (path: PathBytes, shown: PathBytes)?

    /// One change. `literal`/`matched` are the file's data counts; `sourceDone`: the source's
    /// part is done (--remove-source-files), not so for a file that failed verification.
    func change(_ given: Plan, literal: Int64 = 0, matched: Int64 = 0, sourceDone: Bool = true) {
        if !dryRun {
            if links.hold(LinkLines.Held(plan: given, literal: literal, matched: matched, sourceDone: sourceDone)) { return }
            links.sent(given)
            if links.isFull { releaseLinks() }
        }
        // A new directory (or, made anew by --copy-dest, a symlink, device or special file) the same
        // as a reference dir's in every preserved attribute: rsync lists it only as up to date.
        if given.action == .create && given.flags.subtracting([.timeNow, .replace]) == .referenced && given.entry.kind != .file {
            if reportDone { done(given.entry) }
            upToDate(given)
            return
        }
        let plan = shown(given)
        if reportDone && sourceDone && plan.action != .delete { done(plan.entry) }
        if options.json {
            var f: [(String, JSON)] = [("event", .string("change")), RecordJSON.bytesField("path", plan.entry.path),
                                       ("action", .string(plan.action.name)), ("kind", .string(plan.entry.kind.name)),
                                       ("item", .string(Itemizer.code(plan, role: options.role)))]
            if plan.entry.kind == .file && plan.action.carriesData {
                f += [("literal", .number(String(literal))), ("matched", .number(String(matched)))]
            }
            line(JSON.object(f).text)
            return
        }
        if let log, plan.action == .delete || OutFormat.itemizes(log.format) || plan.action.carriesData || plan.action == .hardlink {
            log.line(rendered(log.format, plan, literal: literal, matched: matched, escape: .logFile))
        }
        if options.quiet { return }
        if progress.perFile && plan.entry.kind == .file && plan.action.carriesData && itemLineFirst {
            return // said above its progress line (see `beginTransfer`)
        }
        if let f = options.outFormat {
            // (A deletion is rsync's "deleting NAME" where the format does not itemize.)
            if plan.action == .delete && !OutFormat.itemizes(f) { line("deleting \(Itemizer.name(plan))"); return }
            if plan.action == .delete || OutFormat.itemizes(f) || plan.action.carriesData || plan.action == .hardlink
                || Reporter.directoryChanged(plan) {
                line(rendered(f, plan, literal: literal, matched: matched))
            }
            return
        }
        if options.itemize {
            line(itemizeLine(plan))
        } else if progress.perFile && plan.entry.kind == .file && plan.action.carriesData {
            return // --progress already printed the name
        } else if plan.action == .delete {
            if options.deletions { line("deleting \(Itemizer.name(plan))") }
        } else if options.names || progress.perFile {
            switch plan.action {
            case .create, .update, .hardlink: line(Itemizer.nameWithLink(plan, slash: slashed(plan)))
            case .attrs where Reporter.directoryChanged(plan) || (options.unchanged && plan.entry.kind != .directory):
                line(Itemizer.name(plan, slash: slashed(plan)))
            default: break
            }
        }
    }

    /// A file's data begins to arrive: with --progress, the line above its progress line is its
    /// -i or --out-format line when that goes first (`itemLineFirst`), else its name.
    func beginTransfer(_ given: Plan) {
        if given.entry.size >= 1 << 20 { flushPending() } // (its copy may take a while)
        guard progress.active else { return }
        let plan = shown(given)
        let heading: String
        if options.json || options.quiet {
            heading = ""
        } else if !itemLineFirst {
            heading = Itemizer.nameWithLink(plan, slash: slashed(plan))
        } else if let f = options.outFormat {
            heading = rendered(f, plan)
        } else {
            heading = itemizeLine(plan)
        }
        progress.beginFile(given, heading: heading)
    }

    /// A directory whose attributes change is named by -v and --out-format without %i, as
    /// rsync's sender logs a directory with significant item flags (a file with only new
    /// attributes is not named).
    static func directoryChanged(_ plan: Plan) -> Bool {
        plan.action == .attrs && plan.entry.kind == .directory
            && !plan.flags.isDisjoint(with: [.time, .perms, .owner, .group, .acl, .xattrs])
    }

    /// An informational note (`skipping non-regular file "x"`): stdout, not with -q; an event in JSON.
    func info(_ text: String) {
        if options.json {
            line(JSON.object([("event", .string("note")), ("message", .string(text))]).text)
            return
        }
        guard !options.quiet else { return }
        // (A note that starts a line of its own after an unfinished one, as rsync's count of a
        // received list after "receiving file list ... ", begins with a newline: kept as one.)
        var rest = Substring(text)
        while rest.first == "\n" { line(""); rest = rest.dropFirst() }
        message(RawArguments.shownText(String(rest)))
    }

    /// A line rsync prints with rprintf: to stdout, and to the log file (`logged`: its form there).
    func message(_ text: String, logged: String? = nil) {
        line(text)
        log?.line(logged ?? text)
    }

    /// An error as a JSON event (text errors go to stderr through `warn`).
    func error(_ e: SyError) {
        if options.json {
            line(JSON.object([("event", .string("error")), ("message", .string(e.message)),
                              ("exit", .number(String(e.status.rawValue)))]).text)
        }
    }

    func line(_ s: String) {
        try? out.line(s)
        if options.itemize || options.names || options.deletions || options.outFormat != nil { out.lineDone() }
    }

    /// An entry found up to date: with -ii itemized (`.f          name`), with -vv "is uptodate",
    /// as rsync says it (a directory only itemized).
    func upToDate(_ plan: Plan) {
        guard !options.quiet, !options.json else { return }
        if options.itemizeUnchanged {
            listUnchanged(shown(plan))
            return
        }
        // (A directory only when a reference dir's copy stands for it: `d/ is uptodate`.)
        guard options.unchanged, !options.itemize, options.outFormat == nil,
              plan.entry.kind != .directory || plan.flags.contains(.referenced) else { return }
        line("\(Itemizer.name(shown(plan))) is uptodate")
    }

    /// -ii: an entry that needs nothing (or that a reference dir's copy stands for), itemized.
    func listUnchanged(_ plan: Plan) {
        if let log, OutFormat.itemizes(log.format) {
            log.line(rendered(log.format, plan, escape: .logFile))
        }
        if let f = options.outFormat {
            line(rendered(f, plan))
        } else {
            line(itemizeLine(plan))
        }
    }

    /// `plan` as listed: the one file sent under the destination's name shows the source's.
    func shown(_ plan: Plan) -> Plan {
        guard let s = shownName, plan.entry.path == s.path else { return plan }
        var p = plan
        p.entry.path = s.shown
        return p
    }

    /// The closing statistics.
    func finish(_ st: ApplyStats, elapsed: Double) {
        defer { try? out.flush() }
        progress.finish()
        // The streams' bytes as rsync's client counts them: a pull's client receives the data.
        let (sent, received) = options.role == .pull ? (st.bytesReceived, st.bytesSent) : (st.bytesSent, st.bytesReceived)
        // rsync's log gets the lines its client prints; without them, its own closing line.
        let printsSummary = (options.stats || options.summary) && !options.quiet && !options.json
        if !printsSummary { log?.line("sent \(sent) bytes  received \(received) bytes  total size \(st.totalSize)") }
        func line(_ s: String) {
            self.line(s)
            if !s.isEmpty { log?.line(s) }
        }
        if options.json {
            let n: (UInt64) -> JSON = { .number(String($0)) }
            self.line(JSON.object([
                ("event", .string("summary")), ("files", n(st.files)), ("reg", n(st.reg)), ("dir", n(st.dir)),
                ("link", n(st.link)), ("dev", n(st.dev)), ("special", n(st.special)),
                ("created", n(st.created.total)), ("deleted", n(st.deleted.total)), ("transferred", n(st.transferred)),
                ("total_size", n(st.totalSize)), ("transferred_size", n(st.transferredSize)),
                ("literal_data", n(st.literal)), ("matched_data", n(st.matched)),
                ("bytes_sent", n(sent)), ("bytes_received", n(received)),
                ("elapsed", .number(SummaryText(human: false).format3(elapsed))), ("dry_run", .bool(dryRun)),
            ]).text)
            return
        }
        if options.quiet { return }
        // A pull's receiver is rsync's client, whose generator never starts for an empty list:
        // no -vv delta note, no matcher totals.
        let emptyPull = options.role == .pull && st.files == 0
        if emptyPull { out.pendingFirst = nil }
        let text = SummaryText(human: options.humanReadable)
        for l in text.lines(st, sent: sent, received: received, elapsed: elapsed, stats: options.stats, summary: options.summary,
                            deltaTotals: options.deltaTotals && !emptyPull, dryRun: dryRun, listReceived: options.role == .pull,
                            batchOnly: options.batchOnly) {
            line(l)
        }
    }
}
/// Number formatting as rsync prints it.
public enum Human {
    /// `1,234,567`.
    public static func commas(_ v: UInt64) -> String {
        let s = String(v)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }

    /// `1.23M` (powers of 1000, as rsync's `-h`).
    public static func size(_ v: UInt64) -> String {
        let units = ["", "K", "M", "G", "T", "P"]
        var x = Double(v)
        var u = 0
        while x >= 1000 && u < units.count - 1 { x /= 1000; u += 1 }
        if u == 0 { return String(v) }
        let h = UInt64(x * 100 + 0.5)
        let c = h % 100
        return "\(h / 100).\(c < 10 ? "0" : "")\(c)\(units[u])"
    }
}
