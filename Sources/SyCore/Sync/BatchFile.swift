import Glibc

/// rsync's batch mode (`--write-batch`, `--only-write-batch`, `--read-batch`) in sy's terms:
/// a batch file holds the delta streams sy-apply read (each pass of the run, the second one
/// redoing files that failed verification), so that `--read-batch` can make another copy of
/// the destination, in the state the first one was in, the same.
///
/// Layout: the line `SYBATCH1\n`; a 32-bit little-endian length and that many bytes of words
/// separated by NUL (`flags=` the stream-shaping options as rsync's batch header lists them,
/// then sy-apply options that came from the sources); then per pass a 64-bit little-endian
/// length and that many bytes of a sy delta stream (see sy-stream(5)). The length of a pass is
/// written when the pass ends; 0 marks one cut short.
public struct BatchFile {
    public static let magic = Array("SYBATCH1\n".utf8)

    /// The options rsync's batch header records, in its order, with rsync's names for them and
    /// the request's flag each stands for.
    static var flagTable: [(word: String, shown: String, key: WritableKeyPath<SyncRequest, Bool>)] { [
        ("r", "--recurse (-r)", \.recursive), ("o", "--owner (-o)", \.owner), ("g", "--group (-g)", \.group),
        ("l", "--links (-l)", \.links), ("D", "--devices (-D)", \.devices), ("H", "--hard-links (-H)", \.hardLinks),
        ("c", "--checksum (-c)", \.checksum), ("d", "--dirs (-d)", \.dirs), ("z", "--compress (-z)", \.compress),
        ("A", "--acls (-A)", \.acls), ("X", "--xattrs (-X)", \.xattrs), ("inplace", "--inplace", \.inplace),
        ("append", "--append", \.append), ("append-verify", "--append-verify", \.appendVerify),
    ] }

    /// The header's words for the options, in rsync's order.
    public static var flagWords: [String] { flagTable.map(\.word) }

    /// Which of the options a request has (-d only without -r, --append only without
    /// --append-verify, which sets both in a request: rsync records one mode).
    public static func flags(of r: SyncRequest) -> Set<String> {
        Set(flagTable.filter { f in
            r[keyPath: f.key] && !(f.word == "d" && r.recursive) && !(f.word == "append" && r.appendVerify)
        }.map(\.word))
    }

    /// Sets `r`'s options to `flags` (rsync's `check_batch_flags`); returns rsync's note for
    /// each one changed ("Setting the --owner (-o) option to match the batchfile.").
    public static func adopt(_ flags: Set<String>, into r: inout SyncRequest) -> [String] {
        let mine = BatchFile.flags(of: r)
        var notes: [String] = []
        for f in flagTable where flags.contains(f.word) != mine.contains(f.word) {
            let set = flags.contains(f.word)
            notes.append("\(set ? "Sett" : "Clear")ing the \(f.shown) option to match the batchfile.")
            r[keyPath: f.key] = set
        }
        return notes
    }

    /// sy-apply's options that name what the sources were (the one file written as the
    /// destination, how names are listed): a reader of the batch has no sources to work them
    /// out from, so the batch keeps them.
    public static func sourceDerived(_ applyArgs: [String]) -> [String] {
        var out: [String] = []
        for a in applyArgs {
            if a == "--" { break }
            if a.hasPrefix("--top-name=") || a == "--dest-may-be-file" {
                if !out.contains("--dest-may-be-file") { out.append("--dest-may-be-file") }
            } else if isKept(a) {
                out.append(a)
            }
        }
        return out
    }

    /// Creates `NAME.sh` (holding `script`) and `NAME`, before the run touches anything, with
    /// rsync's errors (exit 3 for the script, 11 for the batch); returns the batch's descriptor.
    public static func create(_ name: String, script: String) throws(SyError) -> Int32 {
        let sh = name + ".sh"
        let shFd: Int32
        do { shFd = try Sys.openat(Sys.atFDCWD, sh.pathBytes, O_WRONLY | O_CREAT | O_TRUNC, 0o700) } catch {
            throw SyError("Batch file \(PathOps.shownAbsolute(sh.pathBytes)) open error: \(errnoText(error.code))", status: .fileSelect)
        }
        defer { Sys.close(shFd) }
        let text = script.pathBytes
        if let code = write(text, to: shFd, at: 0) {
            throw SyError("Batch file \(sh) write error: \(errnoText(code))", status: .fileIO)
        }
        do { return try Sys.openat(Sys.atFDCWD, name.pathBytes, O_WRONLY | O_CREAT | O_TRUNC, 0o600) } catch {
            throw SyError("Batch file \(PathOps.shownAbsolute(name.pathBytes)) open error: \(errnoText(error.code))", status: .fileIO)
        }
    }

    /// Writes the header at the start of the batch open on `fd`.
    public static func writeHeader(_ fd: Int32, name: String, flags: Set<String>, applyArgs: [String]) throws(SyError) {
        let h = header(flags: flags, applyArgs: applyArgs)
        if let code = write(h, to: fd, at: 0) {
            throw SyError("Batch file \(name) write error: \(errnoText(code))", status: .fileIO)
        }
    }

    /// Writes `bytes` at `offset`; the errno if that failed.
    static func write(_ bytes: [UInt8], to fd: Int32, at offset: Int64) -> Int32? {
        var failure: Int32?
        bytes.withUnsafeBytes { b in
            guard b.count > 0 else { return }
            do throws(Errno) { try Sys.pwriteAll(fd, b.baseAddress!, b.count, offset) } catch { failure = error.code }
        }
        return failure
    }

    /// Whether the regular file open on `fd` begins as a batch does (read without moving).
    public static func isBatch(_ fd: Int32) -> Bool {
        var head = [UInt8](repeating: 0, count: magic.count)
        let n = head.withUnsafeMutableBytes { b in (try? Sys.preadFull(fd, b.baseAddress!, b.count, 0)) ?? 0 }
        return n == magic.count && head == magic
    }

    /// `sy show BATCH`: a line with the batch's options, then each pass as `Show` prints a stream.
    public static func show(_ path: String, json: Bool) throws(SyError) {
        let reader = try Reader(path: path)
        let flags = flagWords.filter(reader.flags.contains)
        let words = reader.applyArgs
        let line: String
        if json {
            line = JSON.object([("type", .string("batch")), ("flags", .array(flags.map { .string($0) })),
                                ("apply", .array(words.map { .string($0) }))]).text
        } else {
            line = "# sy batch: flags " + (flags.isEmpty ? "none" : flags.joined(separator: ",")) + (words.isEmpty ? "" : "; sy-apply " + words.joined(separator: " "))
        }
        Array((line + "\n").utf8).withUnsafeBytes { b in _ = try? Sys.writeAll(1, b.baseAddress!, b.count) }
        while let length = try reader.nextPass() {
            let fd = try reader.feed(length)
            defer { close(fd) }
            try Show.print(input: fd, output: 1, json: json)
        }
    }

    /// Whether `word` is one of the sy-apply options a batch keeps (see `sourceDerived`).
    static func isKept(_ word: String) -> Bool {
        word == "--dest-may-be-file" || ["--show-name=", "--sender-prefix=", "--slash-top="].contains(where: word.hasPrefix)
    }

    /// The header's bytes: the magic line and the words.
    public static func header(flags: Set<String>, applyArgs: [String]) -> [UInt8] {
        let words = ["flags=" + flagWords.filter(flags.contains).joined(separator: ",")] + applyArgs
        let body = Array(words.map { $0.pathBytes }.joined(separator: [0]))
        var out = magic
        appendLittleEndian(&out, UInt64(body.count), bytes: 4)
        return out + body
    }

    static func appendLittleEndian(_ out: inout [UInt8], _ v: UInt64, bytes: Int) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    /// A batch being read: its header, then its passes one by one.
    public final class Reader {
        public let name: String
        public let fd: Int32
        public private(set) var flags: Set<String> = []
        /// sy-apply's options kept from the writing run (see `sourceDerived`).
        public private(set) var applyArgs: [String] = []

        /// Opens `path` (`-`: standard input) and reads the header; errors as rsync words them.
        public init(path: String) throws(SyError) {
            name = path
            if path == "-" {
                fd = 0
            } else {
                do { fd = try Sys.openat(Sys.atFDCWD, path.pathBytes, O_RDONLY) } catch {
                    throw SyError("Batch file \"\(PathOps.shownAbsolute(path.pathBytes))\" open error: \(errnoText(error.code))", status: .fileIO)
                }
                if let st = try? Sys.fstat(fd), st.kind != .file {
                    Sys.close(fd)
                    throw SyError("Batch file \"\(PathOps.shownAbsolute(path.pathBytes))\" is not a regular file", status: .fileIO)
                }
            }
            let head = try? exactly(BatchFile.magic.count + 4)
            guard let head = head ?? nil, Array(head.prefix(BatchFile.magic.count)) == BatchFile.magic else {
                throw SyError("Batch file \"\(path)\" is not a sy batch file", status: .streamIO)
            }
            let length = head.suffix(4).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            guard length <= 1 << 20, let body = try exactly(length) else {
                throw SyError("Batch file \"\(path)\": bad header", status: .streamIO)
            }
            let words = body.split(separator: 0, omittingEmptySubsequences: false).map { Array($0).displayName }
            guard let first = words.first, first.hasPrefix("flags=") else {
                throw SyError("Batch file \"\(path)\": bad header", status: .streamIO)
            }
            flags = Set(first.dropFirst(6).split(separator: ",").map(String.init))
            applyArgs = Array(words.dropFirst())
            // A batch is untrusted input: only the words a writer puts there are taken (no
            // option of sy-apply's that would reach outside the destination).
            guard flags.isSubset(of: flagWords), applyArgs.allSatisfy(BatchFile.isKept) else {
                throw SyError("Batch file \"\(path)\": bad header", status: .streamIO)
            }
        }

        deinit { if fd > 0 { Sys.close(fd) } }

        /// The next pass's length (nil at the end of the file).
        public func nextPass() throws(SyError) -> UInt64? {
            guard let b = try exactly(8) else { return nil }
            return b.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }

        /// Whether another pass follows the one of `count` bytes about to be read (a batch read
        /// from a pipe is taken to have none).
        public func hasPass(after count: UInt64) -> Bool {
            let at = lseek(fd, 0, SEEK_CUR)
            guard at >= 0, let st = try? Sys.fstat(fd), st.kind == .file else { return false }
            return st.size > Int64(at) + Int64(count)
        }

        /// Starts copying the next `count` bytes into a pipe from a thread; returns its read end.
        public func feed(_ count: UInt64) throws(SyError) -> Int32 {
            let p = try makePipe()
            let src = fd
            Thread.detach {
                let size = 1 << 18
                let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
                defer { buf.deallocate(); Glibc.close(p.write) }
                var left = count
                while left > 0 {
                    guard let n = try? Sys.read(src, buf, Int(min(UInt64(size), left))), n > 0 else { return }
                    guard (try? Sys.writeAll(p.write, buf, n)) != nil else { return }
                    left -= UInt64(n)
                }
            }
            return p.read
        }

        /// Skips `count` bytes (a pass not applied).
        public func skip(_ count: UInt64) throws(SyError) {
            var left = count
            while left > 0 {
                guard let b = try exactly(Int(min(left, 1 << 16))) else { return }
                left -= UInt64(b.count)
            }
        }

        /// `n` bytes, or nil at the end of the file (before any of them).
        func exactly(_ n: Int) throws(SyError) -> [UInt8]? {
            var out = [UInt8](repeating: 0, count: n)
            var got = 0
            while got < n {
                var r = 0
                var failure: Int32?
                out.withUnsafeMutableBytes { b in
                    do throws(Errno) { r = try Sys.read(fd, b.baseAddress! + got, n - got) } catch { failure = error.code }
                }
                if let failure { throw SyError("Batch file \"\(name)\" read error: \(errnoText(failure))", status: .fileIO) }
                if r == 0 {
                    if got == 0 { return nil }
                    throw SyError("Batch file \"\(name)\" is truncated", status: .streamIO)
                }
                got += r
            }
            return out
        }
    }

    /// `sy --batch-tee FD`: copies standard input to standard output and, as one pass of the
    /// batch open on FD, to the end of that file (see the layout above). A batch that cannot
    /// be written is said once and the stream still goes on to sy-apply, so the destination
    /// is synced all the same; the exit status says so (11).
    public static func tee(_ args: [String]) -> Int32 {
        guard let fd = args.first.flatMap({ Int32($0) }) else { return ExitStatus.syntax.rawValue }
        signal(SIGPIPE, SIG_IGN)
        ProgramName.current = "sy"
        var failure: Int32?
        let start = lseek(fd, 0, SEEK_END)
        if start < 0 { failure = errno } else { failure = write([UInt8](repeating: 0, count: 8), to: fd, at: Int64(start)) }
        let size = 1 << 18
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        var total: UInt64 = 0
        var forwarding = true
        while true {
            let n: Int
            do { n = try Sys.read(0, buf, size) } catch {
                warn("cannot read the delta stream: \(errnoText(error.code))")
                return ExitStatus.streamIO.rawValue
            }
            if n == 0 { break }
            if failure == nil {
                do { try Sys.pwriteAll(fd, buf, n, Int64(start) + 8 + Int64(total)) } catch { failure = error.code }
            }
            total += UInt64(n)
            // (sy-apply ending early, e.g. on a failure of its own, leaves the batch to finish.)
            if forwarding && (try? Sys.writeAll(1, buf, n)) == nil { forwarding = false }
        }
        if failure == nil {
            var length: [UInt8] = []
            appendLittleEndian(&length, total, bytes: 8)
            failure = write(length, to: fd, at: Int64(start))
        }
        if let failure {
            warn("Batch file write error: \(errnoText(failure))")
            return ExitStatus.fileIO.rawValue
        }
        return 0
    }

    /// The `NAME.sh` that repeats the run with --read-batch, as rsync writes it: the command
    /// line without its paths and file-selection options (the batch holds their outcome),
    /// --write-batch/--only-write-batch turned into --read-batch, and the destination as the
    /// default of the script's first argument.
    public static func script(argv: [String], paths: [String]) -> String {
        let args = Array(argv.dropFirst())
        // The paths, found from the end as rsync's write_batch_shell_file finds them.
        var j = paths.count - 1
        var i = args.count - 1
        var keep = [Bool](repeating: true, count: args.count)
        while i >= 0 && j >= 0 {
            if args[i] == paths[j] { keep[i] = false; j -= 1 }
            i -= 1
        }
        var out = quote(argv.first ?? "sy")
        i = 0
        while i < args.count {
            defer { i += 1 }
            guard keep[i] else { continue }
            let a = args[i]
            if ["--files-from", "--filter", "--include", "--exclude"].contains(where: a.hasPrefix) {
                if !a.contains("=") { i += 1 }
                continue
            }
            if a == "-f" { i += 1; continue }
            if let name = ["--write-batch", "--only-write-batch"].first(where: { a.hasPrefix($0) }) {
                out += " --read-batch"
                let rest = a.dropFirst(name.count)
                if rest.hasPrefix("=") { out += "=" + quote(String(rest.dropFirst())) }
                continue
            }
            out += " " + optionQuote(a)
        }
        return out + " ${1:-" + quote(paths.last ?? "") + "}\n"
    }

    /// `--opt=` unquoted where it is a plain option word, the rest in single quotes.
    static func optionQuote(_ a: String) -> String {
        if a.hasPrefix("-"), let eq = a.firstIndex(of: "=") {
            let name = a[..<eq]
            if name.allSatisfy({ $0 == "-" || $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                return String(name) + "=" + quote(String(a[a.index(after: eq)...]))
            }
        }
        return quote(a)
    }

    /// Single quotes around every word, as rsync's script has them (`shellQuote` leaves plain words bare).
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
