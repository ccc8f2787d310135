/// Every record of every stream kind, decoded.
public enum Record: Sendable, Equatable {
    case entry(Entry)
    case plan(Plan)
    /// Block sums: per block a 32-bit weak sum and `strongLength` bytes of strong sum.
    case blocks(strongLength: Int, weak: [UInt32], strong: [UInt8])
    case summary([SummaryItem])
    /// The name of a user (`group: false`) or group id on the sending side, sent before the
    /// first entry that uses it, so the receiver can map ids by name as rsync does.
    case idName(group: Bool, id: UInt32, name: [UInt8])
    /// A per-directory merge file as the sender read it (`dir` is the directory's path, `name`
    /// the file's name), sent just before the directory's entry when the receiver deletes after
    /// the transfer and must judge by the new rules (rsync's `-F --delete-after`).
    case filterFile(dir: [UInt8], name: [UInt8], content: [UInt8])
    /// The names of the subdirectories the sender will list in directory `dir` (bytewise
    /// order), sent right after the directory's entry: with the non-directories that follow
    /// it, the receiver knows every name of the directory before its first subdirectory comes,
    /// and can delete what the source lacks first, as rsync does.
    case dirNames(dir: [UInt8], names: [[UInt8]])
    case literal([UInt8])
    case literalZstd(rawLength: Int, compressed: [UInt8])
    case copy(offset: Int64, length: Int64)
    case sourceRange(offset: Int64, length: Int64)
    case fileEnd(size: Int64, hash: Hash128?)
    case fileAbort(errno: Int32, message: String)
    case message(level: UInt8, text: String)

    public var type: RecordType {
        switch self {
        case .entry: return .entry
        case .plan: return .plan
        case .blocks: return .blocks
        case .summary: return .summary
        case .idName: return .idName
        case .filterFile: return .filterFile
        case .dirNames: return .dirNames
        case .literal: return .literal
        case .literalZstd: return .literalZstd
        case .copy: return .copy
        case .sourceRange: return .sourceRange
        case .fileEnd: return .fileEnd
        case .fileAbort: return .fileAbort
        case .message: return .message
        }
    }

    /// Appends the payload encoding to `out`.
    public func encode(into out: inout [UInt8]) {
        switch self {
        case .entry(let e): e.encode(into: &out)
        case .plan(let p): p.encode(into: &out)
        case .blocks(let sl, let weak, let strong):
            out.append(UInt8(sl))
            out.appendVarint(UInt64(weak.count))
            for w in weak { out.appendU32LE(w) }
            out.append(contentsOf: strong)
        case .summary(let items):
            out.appendVarint(UInt64(items.count))
            for i in items { out.appendBytes(Array(i.key.utf8)); out.appendVarint(i.value) }
        case .idName(let group, let id, let name):
            out.append(group ? 2 : 1); out.appendVarint(UInt64(id)); out.appendBytes(name)
        case .filterFile(let dir, let name, let content):
            out.appendBytes(dir); out.appendBytes(name); out.appendBytes(content)
        case .dirNames(let dir, let names):
            out.appendBytes(dir)
            out.appendVarint(UInt64(names.count))
            for n in names { out.appendBytes(n) }
        case .literal(let d): out.append(contentsOf: d)
        case .literalZstd(let n, let c): out.appendVarint(UInt64(n)); out.append(contentsOf: c)
        case .copy(let o, let l), .sourceRange(let o, let l): out.appendVarint(UInt64(o)); out.appendVarint(UInt64(l))
        case .fileEnd(let size, let hash):
            out.appendVarint(UInt64(size))
            if let h = hash { out.append(1); out.append(contentsOf: h.bytes) } else { out.append(0) }
        case .fileAbort(let e, let m): out.appendVarint(UInt64(e)); out.appendBytes(Array(m.utf8))
        case .message(let level, let t): out.append(level); out.appendBytes(Array(t.utf8))
        }
    }

    /// Decodes one payload of `type`; throws a stream error on anything malformed.
    public static func decode(_ type: RecordType, _ r: inout PayloadReader) throws(SyError) -> Record {
        switch type {
        case .entry:
            let e = try Entry.decode(&r)
            try r.expectEnd()
            return .entry(e)
        case .plan:
            return .plan(try Plan.decode(&r))
        case .blocks:
            let sl = try r.strongLength()
            let n = try r.count(max: UInt64(r.remaining / (4 + sl)), "block count")
            var weak = [UInt32](); weak.reserveCapacity(n)
            for _ in 0..<n { weak.append(try r.u32LE()) }
            let strong = try r.raw(n * sl)
            try r.expectEnd()
            return .blocks(strongLength: sl, weak: weak, strong: strong)
        case .summary:
            let n = try r.count(max: 1024, "summary items")
            var items: [SummaryItem] = []
            for _ in 0..<n {
                let k = try r.bytes(max: 64)
                items.append(SummaryItem(key: String(decoding: k, as: UTF8.self), value: try r.varint()))
            }
            try r.expectEnd()
            return .summary(items)
        case .idName:
            let k = try r.byte()
            guard k == 1 || k == 2 else { throw r.fail("bad id kind \(k)") }
            let id = try r.count(max: UInt64(UInt32.max), "id")
            let name = try r.bytes(max: 256)
            try r.expectEnd()
            return .idName(group: k == 2, id: UInt32(id), name: name)
        case .filterFile:
            let dirOffset = r.baseOffset + UInt64(r.pos)
            let dir = try r.bytes(max: Wire.maxPath)
            let name = try r.bytes(max: 255)
            let content = try r.bytes(max: 16 << 20)
            try r.expectEnd()
            if let p = PathCheck.problem(dir) { throw SyError.stream("unsafe path '\(dir.displayName)': \(p)", offset: dirOffset) }
            if name.isEmpty || name.contains(0x2F) || name.contains(0) { throw r.fail("bad filter file name") }
            return .filterFile(dir: dir, name: name, content: content)
        case .dirNames:
            let dirOffset = r.baseOffset + UInt64(r.pos)
            let dir = try r.bytes(max: Wire.maxPath)
            if let p = PathCheck.problem(dir) { throw SyError.stream("unsafe path '\(dir.displayName)': \(p)", offset: dirOffset) }
            let n = try r.count(max: UInt64(r.remaining), "name count")
            var names: [[UInt8]] = []
            names.reserveCapacity(n)
            for _ in 0..<n {
                let name = try r.bytes(max: 255)
                if PathOps.isBadName(name) { throw r.fail("bad name in dir-names") }
                names.append(name)
            }
            try r.expectEnd()
            return .dirNames(dir: dir, names: names)
        case .literal:
            return .literal(try r.raw(r.remaining))
        case .literalZstd:
            let n = try r.count(max: UInt64(Wire.maxPayload), "literal length")
            return .literalZstd(rawLength: n, compressed: try r.raw(r.remaining))
        case .copy, .sourceRange:
            let o = try r.count(max: UInt64(Int64.max), "offset")
            let l = try r.count(max: UInt64(Int64.max) - UInt64(o), "length")
            try r.expectEnd()
            return type == .copy ? .copy(offset: Int64(o), length: Int64(l)) : .sourceRange(offset: Int64(o), length: Int64(l))
        case .fileEnd:
            let size = try r.count(max: UInt64(Int64.max), "size")
            let has = try r.byte()
            var hash: Hash128?
            if has == 1 { hash = Hash128(low: try r.u64LE(), high: try r.u64LE()) } else if has != 0 { throw r.fail("bad hash flag \(has)") }
            try r.expectEnd()
            return .fileEnd(size: Int64(size), hash: hash)
        case .fileAbort:
            let e = try r.count(max: 4095, "errno")
            let m = try r.bytes(max: 4096)
            try r.expectEnd()
            return .fileAbort(errno: Int32(e), message: String(decoding: m, as: UTF8.self))
        case .message:
            let level = try r.byte()
            let t = try r.bytes(max: 4096)
            try r.expectEnd()
            return .message(level: level, text: String(decoding: t, as: UTF8.self))
        case .end:
            throw r.fail("end record in the middle of a stream")
        }
    }
}

/// One named counter of a SUMMARY record.
public struct SummaryItem: Sendable, Equatable {
    public var key: String
    public var value: UInt64
    public init(key: String, value: UInt64) { self.key = key; self.value = value }
}

extension StreamWriter {
    /// Encodes and emits one record.
    public func write(_ record: Record) throws(SyError) {
        record.encode(into: &payload)
        try emit(record.type)
    }
}

extension StreamReader {
    /// Reads and decodes the next record, or nil at the (checked) end.
    public func nextRecord() throws(SyError) -> Record? {
        guard let t = try next() else { return nil }
        var r = reader()
        return try Record.decode(t, &r)
    }
}
