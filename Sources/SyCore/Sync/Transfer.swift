import Glibc

/// `sy SRC... DST`: resolves rsync's path rules, runs the pipeline (twice if a file failed
/// verification), and reports the outcome as rsync does.
public struct Transfer {
    public let request: SyncRequest
    public init(_ request: SyncRequest) { self.request = request }

    /// The sources' host (nil: local) and paths: all on one host, as rsync requires; after a
    /// remote source, `:path` is another path on the same host (rsync's shorthand).
    func sourceEndpoints() throws(SyError) -> (host: String?, paths: [String]) {
        let r = request
        var srcs = r.sources.map(Endpoint.init)
        if let host = srcs.first?.host, !host.isEmpty {
            for i in srcs.indices.dropFirst() where r.sources[i].hasPrefix(":") {
                let rest = String(r.sources[i].dropFirst())
                srcs[i] = Endpoint(host: host, path: rest.isEmpty ? "." : rest)
            }
        } else if let odd = r.sources.dropFirst().first(where: { $0.hasPrefix(":") }) {
            throw SyError("Unexpected remote arg: \(odd)", status: .syntax)
        }
        let hosts = Set(srcs.map(\.host))
        guard hosts.count == 1, let host = hosts.first else {
            throw SyError("all sources must be on the same host", status: .syntax)
        }
        return (host, srcs.map(\.path))
    }

    /// Runs the sync; returns rsync's exit status.
    public func run() throws(SyError) -> ExitStatus {
        let r = request
        exportStageEnvironment()
        for arg in r.sources + [r.destination] { if let problem = Endpoint.daemonProblem(arg) { throw problem } }
        let dest = Endpoint(r.destination)
        let (srcHost, sourcePaths) = try sourceEndpoints()

        // rsync: a single non-directory source copied to a DST that is not a directory names the
        // file. Locally that is settled here (`topName`); across hosts the receiving side, which
        // sees the destination, decides (`destName`, see `PathOps.fileTarget`).
        var destRoot = dest.path
        var topName: String?, destName: String?
        if sourcePaths.count == 1, !dest.path.hasSuffix("/"), !dest.path.isEmpty, !r.relative, r.filesFrom == nil {
            let s = sourcePaths[0]
            let isDirContents = s.isEmpty || s.hasSuffix("/") || s == "." || s.hasSuffix("/.")
            let sourceKind = srcHost == nil ? (try? Sys.fstatat(Sys.atFDCWD, s.pathBytes))?.kind : nil
            let destIsDir = dest.host == nil && (try? Sys.fstatat(Sys.atFDCWD, dest.path.pathBytes, follow: true))?.kind == .directory
            let p = dest.path.pathBytes
            let name = PathOps.base(p)
            if !isDirContents && sourceKind != .directory && !destIsDir && name != [0x2E] && name != [0x2E, 0x2E] {
                if srcHost != nil || dest.host != nil {
                    destName = name.displayName
                } else if sourceKind != nil {
                    destRoot = PathOps.parent(p).displayName
                    if dest.path.hasPrefix("/") && !dest.path.dropFirst().contains("/") { destRoot = "/" }
                    topName = name.displayName
                    // rsync makes the last directory of a destination, never the one a named file goes in.
                    if !r.mkpath, let problem = PathOps.fileDirectoryProblem(destRoot.pathBytes, dest: p) { throw problem }
                    if !r.insecureLinks, let refused = TrustedPath.refusal(entering: destRoot.pathBytes, step: 3) { throw refused }
                }
            }
        }
        let local = srcHost == nil && dest.host == nil
        let whole = r.wholeFile ?? local
        let batch = r.writeBatch != nil && !r.dryRun ? try BatchFile.create(r.writeBatch!, script: r.batchScript) : -1
        defer { if batch >= 0 { close(batch) } }
        printOpening(r, pull: srcHost != nil && dest.host == nil, whole: whole, deltaNote: false)
        let start = wallNanos()
        var (status, stage) = try runOnce(sourcePaths, destRoot: destRoot, topName: topName, destName: destName, srcHost: srcHost,
                                          destHost: dest.host, local: local, whole: whole, start: start, redo: true, batch: batch)
        if status == .redo {
            // (rsync's receiver said which files; its second pass follows without a word.)
            (status, stage) = try runOnce(sourcePaths, destRoot: destRoot, topName: topName, destName: destName, srcHost: srcHost,
                                          destHost: dest.host, local: local, whole: true, start: start, redo: false, batch: batch)
            if status == .redo { status = .partial }
        }
        sayOutcome(status, stage)
        return status
    }

    /// rsync's closing error line for a run that did not succeed, naming the failing stage.
    func sayOutcome(_ status: ExitStatus, _ stage: String?) {
        guard status != .ok else { return }
        let where_ = stage.map { " in \($0)" } ?? ""
        let line = Array("sy error: \(status.explanation) (code \(status.rawValue))\(where_)\n".utf8)
        line.withUnsafeBytes { b in try? Sys.writeAll(2, b.baseAddress!, b.count) }
    }

    func runOnce(_ sources: [String], destRoot: String, topName: String?, destName: String? = nil, srcHost: String?, destHost: String?,
                 local: Bool, whole: Bool, start: UInt64, redo: Bool, batch: Int32 = -1) throws(SyError) -> (ExitStatus, String?) {
        let role: ClientRole = destHost != nil ? .push : (srcHost != nil ? .pull : .local)
        // A batch keeps the file data itself, not references to the source's ranges.
        let cmds = StageCommands(request, sourceArgs: sources, destRoot: destRoot, topName: topName, destName: destName,
                                 local: local && batch < 0, role: role, bothRemote: srcHost != nil && destHost != nil,
                                 whole: whole, startNanos: start, redo: redo)
        let remote = RemoteShell(request)
        defer { remote.close() }
        if let host = destHost, let path = request.logFile { remote.logRelay = (host, path) }
        var sum = cmds.sum, apply = cmds.apply
        if batch >= 0 {
            if redo { try BatchFile.writeHeader(batch, name: request.writeBatch!, flags: BatchFile.flags(of: request), applyArgs: BatchFile.sourceDerived(apply)) }
            // --only-write-batch: sy-apply only lists what the batch does.
            if request.batchOnly { apply.insert(contentsOf: ["-n", "--batch-only"], at: 1) }
        }
        var side: (read: Int32, write: Int32)?
        if request.progress || request.progress2 {
            // Progress totals travel from sy-sum to sy-apply beside the stream, on fd 3 (on the
            // destination's host, both being there: its `sy --mux-server` connects them).
            if destHost == nil { side = try makePipe() }
            sum.insert(contentsOf: ["--totals-fd", "3"], at: 1)
            apply.insert(contentsOf: ["--totals-fd", "3"], at: 1)
        }
        var list: [(argv: [String], host: String?)] = [(cmds.scan, srcHost), (sum, destHost), (cmds.delta, srcHost)]
        // The batch's copy of the delta stream is taken on this side, between sy-delta and sy-apply.
        if batch >= 0 { list.append((["sy", "--batch-tee", "3"], nil)) }
        list.append((apply, destHost))
        var stages = try remote.stages(list)
        if batch >= 0 {
            stages[3].extraFds = [(batch, 3)]
            stages[3].name = "batch writer"
        }
        if let side {
            stages[1].extraFds = [(side.write, 3)]
            stages[stages.count - 1].extraFds = [(side.read, 3)]
        }
        var pipeline = Pipeline(stages: stages)
        pipeline.deadline = request.stopAt
        if let list = request.filesFrom {
            // The --files-from names (NUL-separated) go to sy-scan's stdin from a writer thread.
            let p = try makePipe()
            pipeline.input = p.read
            let bytes = list
            Thread.detach {
                bytes.withUnsafeBytes { b in if b.count > 0 { try? Sys.writeAll(p.write, b.baseAddress!, b.count) } }
                Glibc.close(p.write)
            }
        }
        defer { if pipeline.input != 0 { close(pipeline.input) } }
        var relay: OutputRelay?
        if request.removeSourceFiles && !request.dryRun {
            // sy-apply's DONE lines come back through sy; the rest of its output passes through.
            let p = try makePipe()
            pipeline.output = p.write
            relay = OutputRelay(input: p.read)
            relay!.start()
        }
        defer { if let side { close(side.read); close(side.write) } }
        let codes: [Int32]
        do { codes = try pipeline.run() } catch {
            if let relay { close(pipeline.output); _ = relay.finish() }
            throw error
        }
        var (status, stage) = pipeline.outcome(codes)
        if let d = request.stopAt, wallNanos() >= d, status != .ok {
            warn("stopping at requested limit")
            return (.timeout, nil)
        }
        if let relay {
            close(pipeline.output)
            let done = relay.finish()
            status = status.merged(with: try removeSources(done, cmds: cmds, remote: remote, srcHost: srcHost))
        }
        explainRemote(codes, stages, &status, &stage)
        return (status, stage)
    }

    /// The variables sy's stages read: the --timeout, and that sy started them.
    func exportStageEnvironment() {
        if request.timeout > 0 { setenv("SY_TIMEOUT", String(request.timeout), 1) }
        setenv(ToolEnvironment.stage, "1", 1)
    }

    /// Names what is missing or incompatible on a remote host, and a lost connection where no
    /// stage said anything more specific (ssh's 255: connection lost, or the command killed).
    func explainRemote(_ codes: [Int32], _ stages: [Pipeline.Stage], _ status: inout ExitStatus, _ stage: inout String?) {
        for (i, code) in codes.enumerated() {
            guard let missing = ExitStatus.remoteCommand(code), let host = stages[i].host else { continue }
            let tool = stages[i].name.split(separator: " ").first.map(String.init) ?? ""
            warn(RemoteShell.notFound(tool, on: host))
            status = missing
            stage = stages[i].name
        }
        if status == .unexplained || status == .socketIO || status == .ok, let i = codes.indices.first(where: { codes[$0] == 255 && stages[$0].host != nil }) {
            warn("\(stages[i].host!): connection failed or closed during \(stages[i].name)")
            status = .unexplained
            stage = stages[i].name
        }
    }

    /// `--remove-source-files`: removes what sy-apply reported done, on the sender's side.
    func removeSources(_ done: [UInt8], cmds: StageCommands, remote: RemoteShell, srcHost: String?) throws(SyError) -> ExitStatus {
        guard !done.isEmpty else { return .ok }
        let p = try makePipe()
        let stage = remote.stage(cmds.remove, host: srcHost)
        let child: Child
        do { child = try Child.spawn(stage.argv, name: stage.name, stdin: p.read, stdout: 1, extraFds: []) } catch {
            close(p.read); close(p.write)
            throw error
        }
        close(p.read)
        let writer = p.write
        Thread.detach {
            done.withUnsafeBytes { b in try? Sys.writeAll(writer, b.baseAddress!, b.count) }
            close(writer)
        }
        let code = child.wait()
        return code == 0 ? .ok : (ExitStatus(rawValue: code) ?? .partial)
    }

    /// rsync's lines before the list: the file-list header (-v; --progress implies rsync's
    /// --info=flist2,name,progress) and, at -vv, whether deltas are sent (`deltaNote`; in a
    /// transfer sy-apply prints it, see `StageCommands`).
    func printOpening(_ r: SyncRequest, pull: Bool, whole: Bool, deltaNote: Bool = true) {
        if r.infoLevels.header && !r.json, let header = r.fileListHeader(pull: pull) {
            // (With --progress and a whole list, sy-sum's count follows: on the header's own line
            // when the list is received, as rsync's.)
            printLine(header, ending: r.countsWholeList && pull ? "" : "\n")
        }
        if deltaNote && r.infoLevels.deltaNote && !r.json {
            printLine(SyncRequest.deltaNote(whole: whole))
        }
    }

    func printLine(_ s: String, ending: String = "\n") {
        let line = Array((s + ending).utf8)
        line.withUnsafeBytes { b in try? Sys.writeAll(1, b.baseAddress!, b.count) }
    }
}

/// A steady clock in nanoseconds, for timing work.
public func monotonicNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// The current wall-clock time in nanoseconds since the epoch.
public func wallNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
