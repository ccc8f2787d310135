import Glibc

/// Options of the sender.
public struct DeltaOptions: Sendable {
    /// Both trees are on this machine: send source ranges instead of bytes (sy-apply copies them).
    public var localSource = false
    /// zstd level for literals, or nil for none.
    public var compressLevel: Int?
    public var dryRun = false
    /// The receiver writes in place: only match blocks at or after the current offset.
    public var inplace = false
    public var topName: PathBytes?
    /// A single file source may come back under this name (see `SourceSet.alias`).
    public var destName: PathBytes?
    /// `-R`: the sources are named by their paths.
    public var relative = false
    /// Open sources through symlinks (the scan followed them).
    public var followLinks = false
    public init() {}
}

/// The sender: reads plans and signatures, writes the delta stream.
public final class Deltifier {
    let options: DeltaOptions
    let input: StreamReader
    let out: StreamWriter
    let sources: SourceSet
    var status = ExitStatus.ok
    let hasher = FileHasher()
    let sink: DeltaSink

    public init(sources args: [PathBytes], options: DeltaOptions, input: StreamReader, output: StreamWriter) {
        self.options = options; self.input = input; self.out = output
        // A source that cannot be opened is sy-scan's to report (once, as rsync); here a file
        // wanted from it fails when it is opened, and says so then.
        sources = SourceSet(args: args, topName: options.topName, relative: options.relative, ignoreMissing: true) { _ in }
        sources.followLinks = options.followLinks
        sources.alias = options.destName
        sink = DeltaSink(out: output, compressor: options.compressLevel.map { ZstdCompressor(level: $0) })
    }

    func report(_ e: SyError) {
        warn(e.message)
        status = status.merged(with: e.status)
    }

    /// Processes the whole plan stream; returns 0, 23 or 24.
    public func run() throws(SyError) -> ExitStatus {
        while let rec = try input.nextRecord() {
            switch rec {
            case .plan(let plan):
                var feed: SignatureFeed?
                if let sig = plan.signature {
                    let reader = input
                    feed = SignatureFeed(info: sig, next: { () throws(SyError) -> Record? in try reader.nextRecord() },
                                         offset: { reader.offset })
                }
                try send(plan, feed)
                // Whatever the matcher did not need is still read, so the stream stays in step.
                if let feed { try feed.load(through: feed.info.blockCount) }
            case .summary(var items):
                items.append(SummaryItem(key: "plan_bytes", value: input.wireBytes))
                try out.write(.summary(items))
            case .message, .filterFile:
                try out.write(rec)
            case .blocks:
                throw SyError.stream("block sums without a plan", offset: input.payloadOffset)
            default:
                throw SyError.stream("unexpected \(rec.type.name) record in a plan stream", offset: input.payloadOffset)
            }
        }
        try out.finish()
        return status
    }

    func send(_ plan: Plan, _ feed: SignatureFeed?) throws(SyError) {
        var p = plan
        guard plan.action.carriesData && plan.entry.kind == .file else {
            try out.write(.plan(p))
            return
        }
        if options.dryRun {
            p.signature = nil
            try out.write(.plan(p))
            try out.write(.fileEnd(size: plan.entry.size, hash: nil))
            return
        }
        let fd: Int32
        do { fd = try sources.open(plan.entry.path) } catch {
            try out.write(.plan(p))
            try abort(plan, error.code)
            return
        }
        defer { Sys.close(fd) }
        let st: FileStat
        do { st = try Sys.fstat(fd) } catch { try out.write(.plan(p)); try abort(plan, error.code); return }
        guard st.kind == .file else { try out.write(.plan(p)); try abort(plan, ENOENT); return }
        if plan.flags.contains(.append) {
            try out.write(.plan(p))
            try sendAppend(plan, fd: fd)
            return
        }
        if options.localSource && feed == nil {
            // The receiver copies the bytes itself and checks the source did not change meanwhile.
            p.entry.size = st.size
            try out.write(.plan(p))
            try out.write(.sourceRange(offset: 0, length: st.size))
            try out.write(.fileEnd(size: st.size, hash: nil))
            return
        }
        try out.write(.plan(p))
        sink.reset()
        let size: Int64
        do { size = try Matcher.run(fd: fd, feed: feed, index: nil, sink: sink, hasher: hasher, inplace: options.inplace) } catch {
            if error.status != .partial { throw error }
            try abort(plan, error.errno ?? EIO)
            return
        }
        try out.write(.fileEnd(size: size, hash: hasher.digest))
    }

    /// `--append`: the destination's first `appendFrom` bytes stay (a COPY of themselves), the
    /// rest is literal; with verify, the hash covers the whole source file.
    func sendAppend(_ plan: Plan, fd: Int32) throws(SyError) {
        let verify = plan.flags.contains(.appendVerify)
        hasher.reset()
        let size = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buf.deallocate() }
        var off: Int64 = 0
        sink.reset()
        if plan.appendFrom > 0 { try sink.copy(offset: 0, length: plan.appendFrom) }
        if !verify { off = plan.appendFrom }
        while true {
            let n: Int
            do { n = try Sys.pread(fd, buf, size, off) } catch {
                try sink.flushCopy()
                try abort(plan, error.code)
                return
            }
            if n == 0 { break }
            if verify { hasher.update(buf, n) }
            let skip = max(0, min(Int64(n), plan.appendFrom - off))
            if Int64(n) > skip { try sink.literal(buf + Int(skip), n - Int(skip)) }
            off += Int64(n)
        }
        try sink.flushCopy()
        try out.write(.fileEnd(size: off, hash: verify ? hasher.digest : nil))
    }

    func abort(_ plan: Plan, _ err: Int32) throws(SyError) {
        let e = SyError.unreadable("cannot read", plan.entry.path, err)
        report(e)
        try out.write(.fileAbort(errno: err, message: e.message))
    }
}
