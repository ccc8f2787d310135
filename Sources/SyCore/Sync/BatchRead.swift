import Glibc

extension Transfer {
    /// `sy --read-batch=FILE DEST`: applies each pass of the batch to DEST with sy-apply (on
    /// DEST's host), as rsync's receiver replays a batch: the options the batch was written
    /// with that shape its stream are taken from it (said at -v), the output is a receiver's.
    public func readBatch() throws(SyError) -> ExitStatus {
        var r = request
        // (No sender here: --remove-source-files has nothing to remove, as in rsync's read.)
        r.removeSourceFiles = false
        exportStageEnvironment()
        if let problem = Endpoint.daemonProblem(r.destination) { throw problem }
        let reader = try BatchFile.Reader(path: r.readBatch!)
        let notes = BatchFile.adopt(reader.flags, into: &r)
        if r.infoLevels.misc >= 1 && !r.quiet && !r.json { for n in notes { printLine(n) } }
        let dest = Endpoint(r.destination)
        printOpening(r, pull: dest.host == nil, whole: true, deltaNote: false)
        let start = wallNanos()
        var status = ExitStatus.ok, stage: String?
        var pass = 0
        while let length = try reader.nextPass() {
            pass += 1
            // The second pass redoes what failed verification in the first; nothing else needs it.
            if pass > 1 && status != .redo { try reader.skip(length); continue }
            guard length > 0 else { throw SyError("Batch file \"\(reader.name)\" is incomplete (its writer was stopped)", status: .streamIO) }
            let cmds = StageCommands(r, sourceArgs: [], destRoot: dest.path, topName: nil, local: false,
                                     role: dest.host == nil ? .pull : .push, whole: true, startNanos: start, redo: pass == 1)
            var apply = cmds.apply
            // A file that fails verification is redone only where the batch holds a second pass.
            if !reader.hasPass(after: length) { apply.removeAll { $0 == "--redo-exit" } }
            var extra = reader.applyArgs + ["--from-batch"]
            // rsync's receiver deletes only with --delete, and clears a directory out of the way
            // of another type only with --delete or --force.
            if !r.delete { extra.append("--skip-deletions") }
            if !r.delete && !r.force { extra.append("--skip-dir-replacements") }
            apply.insert(contentsOf: extra, at: apply.firstIndex(of: "--") ?? apply.count)
            let remote = RemoteShell(r)
            defer { remote.close() }
            var pipeline = Pipeline(stages: try remote.stages([(apply, dest.host)]))
            pipeline.deadline = r.stopAt
            pipeline.input = try reader.feed(length)
            defer { close(pipeline.input) }
            let codes = try pipeline.run()
            (status, stage) = pipeline.outcome(codes)
            explainRemote(codes, pipeline.stages, &status, &stage)
        }
        if pass == 0 { throw SyError("Batch file \"\(reader.name)\" holds no update", status: .streamIO) }
        if status == .redo { status = .partial }
        sayOutcome(status, stage)
        return status
    }
}
