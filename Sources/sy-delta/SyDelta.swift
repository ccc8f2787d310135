import ArgumentParser
import SyCore

/// `sy-delta SRC...`: turn plans and signatures (stdin) into a delta stream from the source tree.
struct SyDelta: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sy-delta",
        abstract: "Turn a plan stream and the source tree into a delta stream.",
        discussion: """
            Reads a plan stream (sy-sum) on stdin. For each file to transfer it matches the
            source against the destination's block signatures (rolling checksum) and writes
            copy and literal records and a whole-file XXH3-128; with --local it writes
            source ranges that sy-apply copies itself. Other plans pass through.
            SRC arguments are the same as sy-scan's.
            """,
        version: versionString("sy-delta"))

    @Flag(name: .customLong("local"), help: "Both trees are on this machine: send source ranges, not bytes.")
    var local = false
    @Flag(name: [.customShort("z"), .customLong("compress")], help: "Compress the delta stream with zstd (level 3).")
    var compress = false
    @Option(name: .customLong("compress-level"), help: "zstd level 1-22 (implies -z).")
    var compressLevel: Int?
    @Option(name: .customLong("literal-level"), help: "Compress only literal records, at this zstd level.")
    var literalLevel: Int?
    @Flag(name: .customLong("inplace"), help: "Only match blocks the receiver has not overwritten yet.")
    var inplace = false
    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Pass plans through without data.")
    var dryRun = false
    @Option(name: .customLong("top-name"), help: "A single source was sent under this name.")
    var topName: String?
    @Option(name: .customLong("dest-name"), help: "A single file source may come back under this name (the receiver named it after the destination).")
    var destName: String?
    @Option(name: .customLong("bwlimit"), help: "Limit the output rate (KiB/s, or with a B/K/M/G suffix).")
    var bwlimit: String?

    @Flag(name: [.customShort("R"), .customLong("relative")], help: "The sources are named by their paths, as with sy-scan -R.")
    var relative = false
    @Flag(name: .customLong("open-noatime"), help: "Read source files without changing their access times.")
    var openNoAtime = false
    @Flag(name: .customLong("follow-links"), help: "Open sources through symlinks (the scan ran with -L, -k or --copy-unsafe-links).")
    var followLinks = false

    @Flag(name: .customLong("remove-source-files"), help: "Instead of a delta: remove the files named by DONE lines on stdin (sy --remove-source-files), if unchanged.")
    var removeSourceFiles = false
    @Flag(name: .customLong("note-removed"), help: "With --remove-source-files: 'sender removed NAME' on stdout for each file removed (rsync's --info=remove, -vv).")
    var noteRemoved = false
    @Flag(name: .customLong("copy-links"), help: "With --remove-source-files: symlinks were sent as what they point to (-L), so that must be unchanged; without it a sent symlink is judged by itself, as rsync's sender does.")
    var copyLinks = false

    @Argument(help: "Source files or directories, as given to sy-scan.")
    var sources: [String]

    func validate() throws {
        if sources.isEmpty { throw ValidationError("no source given") }
        if let l = compressLevel, !(1...22).contains(l) { throw ValidationError("--compress-level must be 1...22") }
        if let b = bwlimit, RateLimiter.parse(b) == nil { throw ValidationError("--bwlimit=\(b): invalid rate") }
    }
}

toolMain(SyDelta.self, name: "sy-delta") { cmd in
    if cmd.removeSourceFiles {
        let list: [UInt8]
        do throws(Errno) { list = try Sys.readAll(0, limit: Int.max) } catch {
            throw SyError("cannot read the list of files to remove: \(errnoText(error.code))", status: .fileIO)
        }
        return SourceRemover.remove(DoneLine.decodeAll(list), sources: cmd.sources.map(\.pathBytes), topName: cmd.topName?.pathBytes,
                                    alias: cmd.destName?.pathBytes, relative: cmd.relative, followLinks: cmd.followLinks, copyLinks: cmd.copyLinks,
                                    noteRemoved: cmd.noteRemoved)
    }
    Sys.openNoAtime = cmd.openNoAtime
    var o = DeltaOptions()
    o.localSource = cmd.local
    o.compressLevel = cmd.literalLevel
    o.inplace = cmd.inplace
    o.dryRun = cmd.dryRun
    o.topName = cmd.topName?.pathBytes
    o.destName = cmd.destName?.pathBytes
    o.relative = cmd.relative
    o.followLinks = cmd.followLinks
    let input = try StreamReader(fd: 0, expecting: [.plans])
    let out = try StreamWriter(fd: 1, kind: .delta, producer: versionString("sy-delta"),
                               compressLevel: cmd.compressLevel ?? (cmd.compress ? 3 : nil))
    if let rate = cmd.bwlimit.flatMap(RateLimiter.parse), rate > 0 { out.limiter = RateLimiter(bytesPerSecond: rate) }
    return try Deltifier(sources: cmd.sources.map(\.pathBytes), options: o, input: input, output: out).run()
}
