/// The command lines of the four stages for a request.
public struct StageCommands: Sendable {
    public var scan: [String]
    public var sum: [String]
    public var delta: [String]
    public var apply: [String]
    /// `sy-delta --remove-source-files` for the sender's side, reading DONE lines on stdin.
    public var remove: [String]

    /// Builds the stages. `sourceArgs` and `destRoot` are the paths as the stages see them;
    /// `local` means both trees are on one machine (source ranges instead of bytes).
    /// `destName`: one file may be written as the destination path, whose last name this is
    /// (decided on the receiving side, where the destination is; see `PathOps.fileTarget`).
    /// `role`: which end sy's command line is (a push, a pull, or both trees here).
    public init(_ r: SyncRequest, sourceArgs: [String], destRoot: String, topName: String?, destName: String? = nil, local: Bool,
                role: ClientRole = .local, bothRemote: Bool = false, whole: Bool, startNanos: UInt64, redo: Bool) {
        let (senderMode, receiverMode) = StageCommands.superModes(r, role: role, bothRemote: bothRemote)
        // Compression only pays where a stream crosses the network.
        var z: [String] = []
        if r.compress && !local { z = r.compressLevel.map { ["--compress-level", String($0)] } ?? ["-z"] }
        var scan = ["sy-scan"] + z
        if r.oneFileSystem { scan.append("-x") }
        if r.atimes { scan.append("-U") }
        if r.openNoAtime { scan.append("--open-noatime") }
        if r.checksum { scan.append("-c") }
        if !r.recursive { scan.append("--no-recursive") }
        if !r.recursive && r.dirs { scan.append("--dirs") }
        scan += StageCommands.listShape(r)
        // rsync maps owners by name between machines unless --numeric-ids.
        if !local && !r.numericIds && (r.owner || r.group) { scan.append("--names") }
        // (A pull sends the rules to the remote sender as rsync's client does: the ones read from
        // a file arrive as plain rules, which its -vv notes then name by their patterns.)
        for f in r.filters { scan.append("--filter=" + (role == .pull ? FilterRule.sentAsGiven(f) : f)) }
        if let pd = r.partialDir { scan.append("--filter=- " + pd + "/") }
        // rsync's receiver deleting after the transfer judges by the new per-directory files
        // (--delete-delay finds its deletions during the transfer, by the old ones).
        if r.delete && r.deleteMode == .after && r.filters.contains(where: { $0.hasPrefix(":") }) {
            scan.append("--send-filter-files")
        }
        if let t = topName { scan += ["--top-name=" + t] }
        if r.xattrs { scan.append("-X") }
        if r.acls { scan.append("-A") }
        if senderMode == .fake { scan.append("--fake-super") }
        // (-m keeps a directory the receiver's rules exclude: their view needs this.)
        if r.pruneEmptyDirs && r.deleteExcluded { scan.append("--delete-excluded") }
        // (... and its `/` rules see the receiver's starting directory; in a push that is the
        // far side's login directory, which this side does not know: the transfer root stands in.)
        if r.pruneEmptyDirs && !r.filters.isEmpty && role != .push { scan.append("--receiver-cwd=" + currentDirectory()) }
        // --progress counts what is left to check by rsync's file-list numbers.
        if r.infoLevels.progress > 0 && !r.json { scan.append("--list-index=" + (r.buildsWholeList ? "whole" : "incremental")) }
        if r.deleteMissingArgs { scan.append("--delete-missing-args") } else if r.ignoreMissingArgs { scan.append("--ignore-missing-args") }
        let follows = r.symlinks != .keep && r.symlinks != .skipUnsafe
        if r.symlinks == .followUnsafe && r.infoLevels.notesUnsafeLinks && !r.quiet { scan.append("--note-unsafe-links") }
        // (rsync's -vv brings its debug FILTER notes, the sender's.)
        if r.senderLevels(role).filterNotes && !r.quiet && !r.json && !r.filters.isEmpty && redo {
            scan.append("--filter-notes")
        }
        if r.mungeLinks && role != .pull { scan.append("--unmunge-links") }
        // The list travels on the scan's standard input (so a remote scan gets it too).
        if r.filesFrom != nil { scan += ["--files-from=-", "--from0"] }
        scan.append("--")
        scan += sourceArgs
        // Delta and apply find files below the --files-from directory as `DIR/./NAME`, and
        // those of a listed `a/./b` (sent as `b`) through it as a source of its own, first.
        let relativeArgs = r.filesFrom != nil ? StageCommands.listedBases(r, sourceArgs) + sourceArgs.map { $0 + "/./" } : sourceArgs

        var pres: [String] = []
        if r.perms { pres.append("-p") }
        if r.times { pres.append("-t") }
        if r.owner { pres.append("-o") }
        if r.group { pres.append("-g") }
        if r.executability && !r.perms { pres.append("-E") }
        if r.omitLinkTimes { pres.append("-J") }
        if r.atimes { pres.append("-U") }
        if r.xattrs { pres.append("-X") }
        if r.acls { pres.append("-A") }
        if receiverMode == .fake { pres.append("--fake-super") }
        if receiverMode == .none { pres.append("--no-super") }

        var sum = ["sy-sum"] + pres + z
        let sumFlags: [(Bool, String)] = [
            (r.links, "-l"), (r.devices, "--devices"), (r.specials, "--specials"), (r.hardLinks, "-H"),
            (r.delete, "--delete"), (r.delete && r.deleteMode == .before, "--delete-before"),
            (r.delete && (r.deleteMode == .during || r.deleteMode == .delay) && r.buildsWholeList || r.countsWholeList, "--whole-list"),
            (r.countsWholeList, role == .pull ? "--list-count=total" : "--list-count=steps"),
            (r.delete && r.deleteMode == .after, "--delete-after"), (r.delete && r.deleteMode == .delay, "--delete-delay"), (r.force, "--force"), (r.deleteExcluded, "--delete-excluded"),
            (r.checksum, "-c"), (r.ignoreTimes, "-I"), (r.sizeOnly, "--size-only"), (r.update, "-u"),
            (r.ignoreExisting, "--ignore-existing"), (r.existing, "--existing"), (whole, "-W"),
        ]
        sum += sumFlags.filter(\.0).map(\.1)
        for f in r.filters { sum.append("--filter=" + f) }
        if let v = r.minSize { sum.append("--min-size=" + v) }
        if let m = r.usermap { sum.append("--usermap=" + m) }
        if let m = r.groupmap { sum.append("--groupmap=" + m) }
        if r.numericIds { sum.append("--numeric-ids") }
        if r.modifyWindow != 0 { sum.append("--modify-window=\(r.modifyWindow)") }
        if r.omitDirTimes { sum.append("-O") }
        if r.keepDirlinks { sum.append("-K") }
        if r.ignoreErrors { sum.append("--ignore-errors") }
        if let v = r.maxSize { sum.append("--max-size=" + v) }
        if let pd = r.partialDir { sum += ["--partial-dir=" + pd] }
        for d in r.linkDests { sum += ["--link-dest=" + d] }
        for d in r.compareDests { sum += ["--compare-dest=" + d] }
        if r.copyDest { sum.append("--copy-references") }
        // rsync protects backups kept beside the files from --delete (`P *~`).
        if let sfx = r.backupSuffix, r.backupDir == nil, !sfx.isEmpty, !r.deleteExcluded { sum.append("--protect=*" + sfx) }
        if r.backupSuffix != nil && r.backupDir == nil { sum.append("--backup-beside") }
        if let b = r.blockSize { sum += ["-B", String(b)] }
        if let j = r.jobs { sum += ["--jobs", String(j)] }
        if r.fuzzy { sum.append("--fuzzy") }
        if r.symlinks == .skipUnsafe || r.symlinks == .followDirsSkipUnsafe {
            sum.append("--safe-links")
            if r.infoLevels.listsNames && !r.quiet { sum.append("--note-unsafe-links") }
        }
        if r.dryRun { sum.append("-n") }
        // -vv lists what is up to date, as rsync's "X is uptodate" (itemizing shows nothing for
        // it); rsync's second pass, which looks at the files that failed only, lists nothing so.
        if (r.removeSourceFiles && !r.dryRun) || redo && (r.infoLevels.listsUnchanged && !r.itemize && r.outFormat == nil && !r.json)
            || redo && (r.itemizeUnchanged && !r.json) {
            sum.append("--report-unchanged")
        }
        // The second pass sends the files that failed verification whole.
        if r.appendVerify { sum.append("--append-verify") } else if r.append { sum.append("--append") }
        if (r.append || r.appendVerify) && !redo { sum.append("--append-second-pass") }
        if !redo { sum.append("--second-pass") }
        // (-vv's notes on skipped files: once, in the first pass.)
        if r.infoLevels.skip >= 1 && !r.json && !r.quiet && redo { sum.append("--skip-notes=\(r.infoLevels.skip)") }
        if destName != nil { sum.append("--dest-may-be-file") }
        if r.mkpath { sum.append("--mkpath") }
        if r.insecureLinks && role != .push { sum.append("--insecure-links") }
        // (The generator's notes on what the rules keep from deletion.)
        if r.delete && r.generatorLevels(role).filterNotes && !r.quiet && !r.json && !r.filters.isEmpty && redo {
            sum.append("--filter-notes")
        }
        if r.mungeLinks && role == .pull { sum.append("--munge-links") }
        if r.relative && !r.impliedDirs { sum.append("--make-parents") }
        sum += ["--", destRoot]

        var delta = ["sy-delta"] + z
        if local && whole { delta.append("--local") }
        if r.inplace { delta.append("--inplace") }
        if r.bwlimit > 0 { delta.append("--bwlimit=\(r.bwlimit)B") }
        if r.dryRun { delta.append("-n") }
        if let t = topName { delta += ["--top-name=" + t] }
        if let n = destName { delta += ["--dest-name=" + n] }
        if r.relative { delta.append("-R") }
        // (-R: a symlink named `link/` is followed, whatever the mode: the files below it are
        // opened through it. Paths come from the scan, which followed only those.)
        if follows || r.relative { delta.append("--follow-links") }
        if r.openNoAtime { delta.append("--open-noatime") }
        delta.append("--")
        delta += relativeArgs

        var apply = ["sy-apply"] + pres
        if r.dryRun { apply.append("-n") }
        // -vv's note, printed by the receiver as rsync's generator does (after it makes the
        // destination); once, in the first pass.
        if r.infoLevels.notesBackups && r.backupDir != nil && !r.json && redo { apply.append("--backup-note") }
        // (The note is the generator's.)
        if r.generatorLevels(role).deltaNote && !r.json && redo {
            // (--append turns rsync's whole-file mode off: it sends only what is new.)
            apply.append("--first-line=" + SyncRequest.deltaNote(whole: whole && !r.append && !r.appendVerify))
        }
        if r.omitDirTimes { apply.append("-O") }
        if r.keepDirlinks { apply.append("-K") }
        // (--append implies --inplace, as in rsync: the second pass, which sends the files that
        // failed verification whole, writes them in place too.)
        if r.inplace || (r.append || r.appendVerify) && !redo { apply.append("--inplace") }
        if r.mkpath { apply.append("--mkpath") }
        if r.insecureLinks && role != .push { apply.append("--insecure-links") }
        if r.fsync { apply.append("--fsync") }
        if r.sparse { apply.append("--sparse") }
        if r.delayUpdates && !r.inplace { apply.append("--delay-updates") }
        if r.preallocate { apply.append("--preallocate") }
        if r.removeSourceFiles && !r.dryRun { apply.append("--report-done") }
        if r.relative && !r.impliedDirs { apply.append("--no-implied-dirs") }
        if let pd = r.partialDir { apply += ["--partial-dir=" + pd] }
        if let td = r.tempDir, !r.inplace { apply += ["--temp-dir=" + td] }
        if let sfx = r.backupSuffix {
            apply.append("-b")
            if !sfx.isEmpty { apply.append("--suffix=" + sfx) }
            if let bd = r.backupDir { apply.append("--backup-dir=" + bd) }
            if r.backupDir == nil && !sfx.isEmpty && !r.deleteExcluded { apply.append("--protect=*" + sfx) }
        }
        // The reference dirs a plan may copy or link from (--compare-dest's too: a file that
        // passes the quick check there is copied, as rsync does).
        for d in r.linkDests + r.compareDests { apply += ["--link-dest=" + d] }
        if r.copyDest { apply.append("--copy-references") }
        if r.bwlimit > 0 && local && whole { apply.append("--bwlimit=\(r.bwlimit)B") }
        if local && whole {
            for s in relativeArgs { apply += ["--copy-from=" + s] }
            if r.relative { apply.append("-R") }
            if follows || r.relative { apply.append("--follow-links") }
            if r.openNoAtime { apply.append("--open-noatime") }
        }
        if let t = topName { apply += ["--top-name=" + t] }
        if destName != nil { apply.append("--dest-may-be-file") }
        if topName != nil || destName != nil, sourceArgs.count == 1 {
            var s = sourceArgs[0].pathBytes
            while s.count > 1 && s.last == 0x2F { s.removeLast() }
            apply += ["--show-name=" + PathOps.base(s).displayName]
        }
        // (--max-delete also limits what --force removes to make room, as rsync's delete_item.)
        if (r.delete || r.force), let m = r.maxDelete { apply.append("--max-delete=\(m)") }
        if r.delete {
            if r.deleteMode == .after { apply.append("--delete-after") }
            if r.deleteMode == .before { apply.append("--delete-before") }
            if r.deleteMode == .delay { apply.append("--delete-delay") }
        }
        // The receiver's rules keep what they protect in a directory removed to make room
        // (--force without --delete too, as rsync's delete_dir_contents).
        if r.delete || r.force {
            for f in r.filters { apply.append("--filter=" + f) }
            if r.deleteExcluded { apply.append("--delete-excluded") }
        }
        if r.itemize { apply.append("-i") }
        if r.itemizeUnchanged { apply.append("--itemize-unchanged") }
        apply.append("--name-escape=" + r.nameEscape.rawValue)
        if let f = r.outFormat { apply.append("--out-format=" + f) }
        // (Several sources: where they all have one directory, %f puts it before every name.)
        if (r.outFormat ?? "").contains("%f") || (r.logFileFormat ?? "").contains("%f"), role != .pull, !sourceArgs.isEmpty,
           !r.relative, r.filesFrom == nil {
            let prefixes = Set(sourceArgs.map(OutFormat.senderPrefix(forSource:)))
            if prefixes.count == 1, let prefix = prefixes.first, !prefix.isEmpty { apply.append("--sender-prefix=" + prefix) }
        }
        // rsync's sender lists what an absolute -R source sends under names beginning with
        // '/' (`/etc/ssh/`); a pull's client receives them without it.
        if r.relative, r.filesFrom == nil, role != .pull {
            var tops: [String] = []
            for a in sourceArgs where RelativeSources.namedFromRoot(a.pathBytes) {
                let top = String(a.drop { $0 == "/" }.prefix { $0 != "/" })
                if !tops.contains(top) { tops.append(top) }
            }
            for top in tops { apply.append("--slash-top=" + (top.isEmpty ? "/" : top)) }
        }
        // Listings as rsync's client shows them: it sends for a push (`<f`), receives for a pull.
        if role != .local { apply += ["--role", role.rawValue] }
        // rsync writes --log-file where its command line runs: a push's receiver relays the
        // lines to this side (see `RemoteShell.logRelay`).
        if let f = r.logFile { apply.append(role == .push ? "--log-relay" : "--log-file=" + f) }
        if let f = r.logFileFormat { apply.append("--log-file-format=" + f) }
        for _ in 0..<r.verbose { apply.append("-v") }
        if r.quiet { apply.append("-q") }
        if r.stats { apply.append("--stats") }
        for i in r.info { apply.append("--info=" + i) }
        // (The matcher's totals are the sender's: in a pull, rsync's server's, at -vv only.)
        if role != .pull { for d in r.debug { apply.append("--debug=" + d) } }
        if r.humanReadable { apply.append("-h") }
        if r.json { apply.append("--json") }
        if r.progress { apply.append("--progress") }
        if r.progress2 { apply.append("--progress2") }
        if startNanos > 0 { apply += ["--start-ns", String(startNanos)] }
        if redo { apply.append("--redo-exit") }
        apply += ["--", destRoot]

        self.scan = scan; self.sum = sum; self.delta = delta; self.apply = apply
        var remove = ["sy-delta", "--remove-source-files"]
        if let t = topName { remove += ["--top-name=" + t] }
        if let n = destName { remove += ["--dest-name=" + n] }
        if r.relative { remove.append("-R") }
        if follows { remove.append("--follow-links") }
        if r.symlinks == .follow { remove.append("--copy-links") }
        if r.infoLevels.remove >= 1 && !r.quiet && !r.json { remove.append("--note-removed") }
        self.remove = remove + ["--"] + relativeArgs
    }

    /// The sending and the receiving side's `SuperMode`: --fake-super's or --no-super's on this
    /// side (both sides of a local copy), -M's on the remote side (a local copy's receiver;
    /// both ends of a copy between two hosts, where this side's options do too).
    static func superModes(_ r: SyncRequest, role: ClientRole, bothRemote: Bool) -> (sender: SuperMode, receiver: SuperMode) {
        let remote = r.remoteSuperMode ?? (bothRemote ? r.superMode : .asIs)
        switch role {
        case .local: return (r.superMode, r.remoteSuperMode ?? r.superMode)
        case .push: return (bothRemote ? remote : r.superMode, remote)
        case .pull: return (remote, r.superMode)
        }
    }

    /// sy-scan's options that shape what is listed, for a transfer and for --list-only alike:
    /// -R and --no-implied-dirs, the symlink mode, --chmod (the modes rsync's sender lists)
    /// and -m.
    static func listShape(_ r: SyncRequest) -> [String] {
        var a = r.relative ? ["-R"] : []
        if r.relative && !r.impliedDirs { a.append("--no-implied-dirs") }
        a += symlinkArgs(r.symlinks)
        a += r.chmod.map { "--chmod=" + $0 }
        if r.pruneEmptyDirs { a.append("-m") }
        if r.atimes { a.append("-U") }
        if r.deleteMissingArgs { a.append("--delete-missing-args") } else if r.ignoreMissingArgs { a.append("--ignore-missing-args") }
        return a
    }

    /// sy-scan's options for a symlink mode (-L, -k, --copy-unsafe-links, --safe-links).
    private static func symlinkArgs(_ mode: SymlinkMode) -> [String] {
        switch mode {
        case .keep: return []
        case .follow: return ["-L"]
        case .followDirs: return ["-k"]
        case .followDirsSkipUnsafe: return ["-k", "--safe-links"]
        case .followUnsafe: return ["--copy-unsafe-links"]
        case .skipUnsafe: return ["--safe-links"]
        }
    }

    /// The --files-from names with a `/./` in them, as sources below the list's directory
    /// (the caller has checked that they are UTF-8: `FilesFrom.checkNamedFrom`).
    static func listedBases(_ r: SyncRequest, _ sourceArgs: [String]) -> [String] {
        guard let list = r.filesFrom, let dir = sourceArgs.first else { return [] }
        let prefix = dir.hasSuffix("/") ? dir : dir + "/"
        return list.split(separator: 0).compactMap { n in
            RelativeSources.dotSlash(in: Array(n)) == nil ? nil : prefix + String(decoding: n, as: UTF8.self)
        }
    }
}
