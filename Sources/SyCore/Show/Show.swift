import Glibc

/// `sy show`: prints a stream as text or JSON Lines, or encodes JSON Lines back into a stream.
public enum Show {
    /// Prints the stream on `input` to `output`, as text or as JSON Lines.
    public static func print(input: Int32, output: Int32, json: Bool) throws(SyError) {
        let reader = try StreamReader(fd: input)
        let out = TextOutput(fd: output)
        let h = reader.header
        if json {
            var fields: [(String, JSON)] = [("type", .string("header")), ("stream", .string(h.kind.name)),
                                            ("version", .number(String(h.version))), ("producer", .string(h.producer))]
            if h.compressed { fields.append(("compressed", .bool(true))) }
            try out.line(JSON.object(fields).text)
        } else {
            try out.line("# sy \(h.kind.name) stream, format \(h.version), from \(h.producer)\(h.compressed ? ", zstd-compressed" : "")")
        }
        while let record = try reader.nextRecord() {
            try out.line(json ? RecordJSON.json(record).text : TextFormat.line(record))
        }
        if json {
            try out.line(JSON.object([("type", .string("end")), ("records", .number(String(reader.recordCount)))]).text)
        } else {
            try out.line("# end: \(reader.recordCount) records, checksum ok")
        }
        try out.flush()
    }

    /// Reads JSON Lines (as `print(json: true)` writes them) and writes the binary stream.
    public static func encode(input: Int32, output: Int32) throws(SyError) {
        let lines = LineReader(fd: input)
        var lineNo = 0
        var writer: StreamWriter?
        var sawEnd = false
        while let raw = try lines.next() {
            lineNo += 1
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            if sawEnd { throw SyError("line \(lineNo): record after the end record", status: .streamIO) }
            let json: JSON
            do { json = try JSONParser.parse(raw) } catch { throw SyError("line \(lineNo): \(error.message)", status: .streamIO) }
            let fields = RecordJSON.Fields(json: json, line: lineNo)
            let type = try fields.string("type")
            if writer == nil {
                guard type == "header" else { throw fields.fail("the first line must be the header") }
                let version: UInt8 = try fields.int("version")
                guard version == Wire.version else { throw SyError("stream format version \(version) is not supported", status: .protocolIncompatible) }
                guard let kind = StreamKind.allCases.first(where: { $0.name == (try? fields.string("stream")) }) else {
                    throw fields.fail("unknown stream kind")
                }
                writer = try StreamWriter(fd: output, kind: kind, producer: try fields.string("producer"))
                continue
            }
            if type == "end" {
                if case .number(let n)? = json["records"], UInt64(n) != writer!.recordCount {
                    warn("line \(lineNo): end says \(n) records, \(writer!.recordCount) were written (records were added or removed)")
                }
                sawEnd = true
                continue
            }
            let record = try RecordJSON.record(json, line: lineNo)
            var payload: [UInt8] = []
            record.encode(into: &payload)
            var check = PayloadReader(payload)
            do { _ = try Record.decode(record.type, &check) } catch {
                throw SyError("line \(lineNo): invalid \(record.type.name) record: \(error.message)", status: .streamIO)
            }
            try writer!.write(record)
        }
        guard let w = writer else { throw SyError("no header line in input", status: .streamIO) }
        try w.finish()
    }
}

/// Buffered line output to an fd.
final class TextOutput {
    let fd: Int32
    var buffer: [UInt8] = []
    /// A line that goes before the next `line` (or at `emitFirst`), whichever comes first.
    var pendingFirst: String?
    /// A terminal: lines that should be seen as they happen are written one by one. To a pipe
    /// or a file they are gathered (see `lineDone`), as C's stdio does.
    let interactive: Bool
    /// When the oldest line not yet written was gathered (0: none is).
    private var gatheredSince: UInt64 = 0
    /// Gathered lines are written once the oldest is this old (at the next line).
    static let gatherNanos: UInt64 = 100_000_000

    init(fd: Int32) {
        self.fd = fd
        interactive = isatty(fd) != 0
    }

    /// Whether lines are buffered and not yet written.
    var hasPending: Bool { !buffer.isEmpty }

    /// After a line that should be seen as it happens: written at once on a terminal; else
    /// gathered, and written with the next line once the oldest is `gatherNanos` old (and
    /// when the stage waits for input, or writes to stderr: see `Reporter`).
    func lineDone() {
        if interactive { try? flush(); return }
        let now = wallNanos()
        if gatheredSince == 0 { gatheredSince = now } else if now &- gatheredSince >= TextOutput.gatherNanos { try? flush() }
    }

    /// Writes `pendingFirst` now, if it has not been.
    func emitFirst() {
        guard let first = pendingFirst else { return }
        pendingFirst = nil
        TextFormat.outputBytes(first, into: &buffer)
        buffer.append(0x0A)
    }

    func line(_ s: String) throws(SyError) {
        emitFirst()
        TextFormat.outputBytes(s, into: &buffer)
        buffer.append(0x0A)
        if buffer.count > 1 << 16 { try flush() }
    }

    func raw(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    func flush() throws(SyError) {
        let n = buffer.count
        let failure: Errno? = buffer.withUnsafeBytes { b in
            do throws(Errno) { try Sys.writeAll(fd, b.baseAddress!, n) } catch { return error }
            return nil
        }
        if let e = failure { throw SyError("cannot write output: \(e)", status: .fileIO, errno: e.code) }
        buffer.removeAll(keepingCapacity: true)
        gatheredSince = 0
    }
}

/// Reads lines (without the newline) from an fd, with a bounded line length.
final class LineReader {
    let fd: Int32
    var buffer: [UInt8] = []
    var start = 0
    var eof = false
    static let maxLine = 64 << 20

    init(fd: Int32) { self.fd = fd }

    func next() throws(SyError) -> [UInt8]? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                return line
            }
            if eof {
                if start < buffer.count { let line = Array(buffer[start...]); start = buffer.count; return line }
                return nil
            }
            if buffer.count - start > LineReader.maxLine { throw SyError("input line longer than 64 MiB", status: .streamIO) }
            if start > 0 { buffer.removeFirst(start); start = 0 }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n: Int
            do { n = try chunk.withUnsafeMutableBytes { (b) throws(Errno) -> Int in try Sys.read(fd, b.baseAddress!, b.count) } } catch {
                throw SyError("cannot read input: \(error)", status: .fileIO)
            }
            if n == 0 { eof = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        }
    }
}
