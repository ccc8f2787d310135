import Glibc
import SyCore

/// `sy`: dispatches `sy show` and otherwise runs a sync with rsync's options.
var args = Array(RawArguments.all.dropFirst())
// The remote end of a sync over ssh: the stages of one host in one session (an option, so
// that an older sy without it refuses the command instead of taking its words for paths).
if args.first == "--mux-server" { exit(MuxServer.run(Array(args.dropFirst()))) }
// A --write-batch run's stage that keeps the delta stream (see `BatchFile.tee`).
if args.first == "--batch-tee" { exit(BatchFile.tee(Array(args.dropFirst()))) }
if args.first == "show" {
    toolMain(ShowCommand.self, name: "sy", arguments: Array(args.dropFirst())) { cmd in
        var fd: Int32 = 0
        if let f = cmd.file {
            do throws(Errno) { fd = try Sys.openat(Sys.atFDCWD, f.pathBytes, O_RDONLY) } catch {
                throw SyError.sys("cannot open", f, error.code, status: .fileIO)
            }
        }
        if cmd.encode { try Show.encode(input: fd, output: 1) }
        else if BatchFile.isBatch(fd), let f = cmd.file { try BatchFile.show(f, json: cmd.json) }
        else { try Show.print(input: fd, output: 1, json: cmd.json) }
        return .ok
    }
}
// A value written onto its one-letter option (-B700, -Ttmp, -avT/tmp, -essh) as rsync takes it.
args = RsyncArgs.joiningRemoteOptions(RsyncArgs.splitAttachedValues(args))
// rsync's -h alone is --help, and -V is --version.
if args == ["-h"] {
    print(SyncCommand.helpMessage())
    exit(0)
}
if args.contains("-V") {
    print(versionString("sy"))
    exit(0)
}
// --super asks the receiver to do what root does: running as root, sy does that already
// (locally; a remote receiver does what its own user may).
if geteuid() == 0 { args = RsyncArgs.removing("--super", from: args) }
args = RsyncArgs.droppingCopyAsSelf(RsyncArgs.droppingDaemonSocketOptions(args))
if let e = RsyncArgs.unsupportedOption(args) {
    ProgramName.current = "sy"
    warn(e.message)
    exit(e.status.rawValue)
}
let (rest, negated) = RsyncArgs.splitNegations(RsyncArgs.lastDeleteDuringWins(args))
// (The lists and filter files below are opened as rsync 3.5 opens an operator's paths.)
TrustedPath.followAnyLinks = rest.contains("--insecure-links")
let filtered: ([String], [String])
do { filtered = try RsyncArgs.extractFilters(rest) } catch {
    ProgramName.current = "sy"
    warn(error.message)
    exit(error.status.rawValue)
}
toolMain(SyncCommand.self, name: "sy", arguments: filtered.0) { cmd in
    var request = cmd.request(negated: negated)
    if request.writeBatch != nil { request.batchScript = BatchFile.script(argv: RawArguments.all, paths: cmd.paths) }
    NameEscape.terminal = request.nameEscape
    try cmd.refusals(negated: negated)
    if let f = cmd.sel.filesFrom {
        let names = try FilesFrom.read(f, nulSeparated: cmd.sel.from0 && !negated.contains("from0"))
        request.filesFrom = Array(names.map { $0 + [0] }.joined())
        if request.relative { try FilesFrom.checkNamedFrom(names) }
        if !request.relative, !names.isEmpty, let base = request.sources.first {
            // --no-relative: each name is a source of its own below the directory, sent under
            // its last component, as rsync reads them.
            var args: [String] = []
            for n in names {
                guard let name = String(validating: n, as: UTF8.self) else {
                    throw SyError("--files-from with --no-relative: a name that is not UTF-8: \(n.displayName)", status: .syntax)
                }
                args.append((base.hasSuffix("/") ? base : base + "/") + name)
            }
            request.sources = args
            request.filesFrom = nil
        }
    }
    request.filters = filtered.1
    // -C: rsync's CVS list and per-directory .cvsignore files, after the other rules.
    // sy's own per-directory ignore files (git's syntax), then -C, after the other rules.
    var extra: [String] = []
    if cmd.sel.gitignore { extra.append(":g .gitignore") }
    if cmd.sel.syignore { extra.append(":g .syignore") }
    if cmd.sel.cvsExclude { extra += [":C", "-C"] }
    if !extra.isEmpty { request.filters = try FilterList(parsing: filtered.1 + extra).texts }
    // One path: list it, as rsync does.
    if request.readBatch != nil { return try Transfer(request).readBatch() }
    if cmd.paths.count == 1 || cmd.out.listOnly { return try Transfer(request).list() }
    return try Transfer(request).run()
}
