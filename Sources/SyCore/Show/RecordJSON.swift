/// The JSON Lines form of streams (see sy-stream(5), "JSON form"): every record is one object
/// with a "type" key; byte strings that are not valid UTF-8 use the key suffix `_b64`.
public enum RecordJSON {
    // MARK: Encoding

    static func bytesField(_ key: String, _ b: [UInt8]) -> (String, JSON) {
        if let s = String(validating: b, as: UTF8.self) { return (key, .string(s)) }
        return (key + "_b64", .string(Base64.encode(b)))
    }

    static func num<T: BinaryInteger>(_ v: T) -> JSON { .number(String(v)) }

    static func hex(_ b: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for x in b { out.append(digits[Int(x >> 4)]); out.append(digits[Int(x & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func octal(_ v: UInt32) -> String {
        let s = String(v, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    static func entryFields(_ e: Entry) -> [(String, JSON)] {
        var f: [(String, JSON)] = [bytesField("path", e.path), ("kind", .string(e.kind.name)),
            ("perms", .string(octal(e.perms))), ("uid", num(e.uid)), ("gid", num(e.gid)), ("size", num(e.size)),
            ("mtime_sec", num(e.mtimeSec)), ("mtime_nsec", num(e.mtimeNsec)), ("nlink", num(e.nlink)),
            ("dev", num(e.dev)), ("ino", num(e.ino)), ("rdev", num(e.rdev))]
        if !e.target.isEmpty { f.append(bytesField("target", e.target)) }
        if let c = e.checksum { f.append(("checksum", .string(hex(c.bytes)))) }
        if e.unreadable { f.append(("unreadable", .bool(true))) }
        if e.noContents { f.append(("no_contents", .bool(true))) }
        if e.missing { f.append(("missing", .bool(true))) }
        if let a = e.atimeSec { f.append(("atime_sec", num(a))) }
        if let xs = e.xattrs {
            f.append(("xattrs", .array(xs.map { .object([bytesField("name", $0.name), ("value_b64", .string(Base64.encode($0.value)))]) })))
        }
        return f
    }

    /// The JSON object of one record.
    public static func json(_ record: Record) -> JSON {
        var f: [(String, JSON)] = [("type", .string(record.type.name))]
        switch record {
        case .entry(let e):
            f += entryFields(e)
        case .plan(let p):
            f.append(("action", .string(p.action.name)))
            f.append(("flags", .array(p.flags.names.map { .string($0) })))
            f += entryFields(p.entry)
            if !p.linkTo.isEmpty { f.append(bytesField("link_to", p.linkTo)) }
            if !p.flags.isDisjoint(with: [.linkDest, .referenceBasis]) { f.append(("reference", num(p.flags.referenceIndex))) }
            if p.flags.contains(.append) { f.append(("append_from", num(p.appendFrom))) }
            if let s = p.signature {
                f.append(("signature", .object([("block_size", num(s.blockSize)), ("strong_length", num(s.strongLength)),
                                                ("basis_size", num(s.basisSize))])))
            }
        case .blocks(let sl, let weak, let strong):
            f += [("strong_length", num(sl)), ("weak", .array(weak.map { num($0) })), ("strong", .string(hex(strong)))]
        case .summary(let items):
            f.append(("items", .object(items.map { ($0.key, num($0.value)) })))
        case .idName(let group, let id, let name):
            f += [("group", .bool(group)), ("id", num(id)), bytesField("name", name)]
        case .filterFile(let dir, let name, let content):
            f += [bytesField("dir", dir), bytesField("name", name), ("content_b64", .string(Base64.encode(content)))]
        case .dirNames(let dir, let names):
            f.append(bytesField("dir", dir))
            let text = names.compactMap { String(validating: $0, as: UTF8.self) }
            if text.count == names.count {
                f.append(("names", .array(text.map { .string($0) })))
            } else {
                f.append(("names_b64", .array(names.map { .string(Base64.encode($0)) })))
            }
        case .literal(let d):
            f.append(("data_b64", .string(Base64.encode(d))))
        case .literalZstd(let n, let c):
            f += [("raw_length", num(n)), ("data_b64", .string(Base64.encode(c)))]
        case .copy(let o, let l), .sourceRange(let o, let l):
            f += [("offset", num(o)), ("length", num(l))]
        case .fileEnd(let size, let hash):
            f += [("size", num(size)), ("hash", hash.map { .string(hex($0.bytes)) } ?? .null)]
        case .fileAbort(let e, let m):
            f += [("errno", num(e)), ("message", .string(m))]
        case .message(let level, let t):
            f += [("level", num(level)), ("text", .string(t))]
        }
        return .object(f)
    }

    // MARK: Decoding

    struct Fields {
        let json: JSON
        let line: Int

        func fail(_ what: String) -> SyError { SyError("line \(line): \(what)", status: .streamIO) }

        func string(_ k: String) throws(SyError) -> String {
            guard case .string(let s)? = json[k] else { throw fail("missing string \"\(k)\"") }
            return s
        }

        func int<T: FixedWidthInteger>(_ k: String, _: T.Type = T.self) throws(SyError) -> T {
            guard case .number(let s)? = json[k], let v = T(s) else { throw fail("missing or bad integer \"\(k)\"") }
            return v
        }

        func bytes(_ k: String, optional: Bool = false) throws(SyError) -> [UInt8] {
            if case .string(let s)? = json[k] { return Array(s.utf8) }
            if case .string(let s)? = json[k + "_b64"] {
                guard let b = Base64.decode(s) else { throw fail("bad base64 in \"\(k)_b64\"") }
                return b
            }
            if optional { return [] }
            throw fail("missing \"\(k)\"")
        }

        func hexBytes(_ k: String) throws(SyError) -> [UInt8] {
            let s = Array(try string(k).utf8)
            guard s.count % 2 == 0 else { throw fail("odd hex length in \"\(k)\"") }
            var out: [UInt8] = []
            var i = 0
            while i < s.count {
                guard let hi = hexDigit(s[i]), let lo = hexDigit(s[i + 1]) else { throw fail("bad hex in \"\(k)\"") }
                out.append(hi << 4 | lo); i += 2
            }
            return out
        }

        func hexDigit(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }

        func hash(_ k: String) throws(SyError) -> Hash128 {
            let b = try hexBytes(k)
            guard b.count == 16 else { throw fail("\"\(k)\" must be 32 hex digits") }
            var r = PayloadReader(b)
            return Hash128(low: try r.u64LE(), high: try r.u64LE())
        }

        func entry() throws(SyError) -> Entry {
            guard let kind = EntryKind(name: try string("kind")) else { throw fail("unknown kind") }
            guard let perms = UInt32(try string("perms"), radix: 8), perms <= 0o7777 else { throw fail("bad perms") }
            var e = Entry(path: try bytes("path"), kind: kind, perms: perms, uid: try int("uid"), gid: try int("gid"),
                          size: try int("size"), mtimeSec: try int("mtime_sec"), mtimeNsec: try int("mtime_nsec"),
                          nlink: try int("nlink"), dev: try int("dev"), ino: try int("ino"), rdev: try int("rdev"),
                          target: try bytes("target", optional: true))
            if json["checksum"] != nil { e.checksum = try hash("checksum") }
            if case .bool(true)? = json["unreadable"] { e.unreadable = true }
            if case .bool(true)? = json["no_contents"] { e.noContents = true }
            if case .bool(true)? = json["missing"] { e.missing = true }
            if json["atime_sec"] != nil {
                guard kind != .directory else { throw fail("access time on a directory") }
                e.atimeSec = try int("atime_sec", Int64.self)
            }
            if case .array(let xs)? = json["xattrs"] {
                var list: [Xattr] = []
                for x in xs {
                    let xf = Fields(json: x, line: line)
                    list.append(Xattr(name: try xf.bytes("name"), value: try xf.bytes("value")))
                }
                e.xattrs = list
            }
            return e
        }
    }

    /// The record a JSON object describes.
    public static func record(_ json: JSON, line: Int) throws(SyError) -> Record {
        let f = Fields(json: json, line: line)
        let typeName = try f.string("type")
        guard let type = RecordType.allCases.first(where: { $0.name == typeName }) else {
            throw f.fail("unknown record type \"\(typeName)\"")
        }
        switch type {
        case .entry: return .entry(try f.entry())
        case .plan:
            guard let action = PlanAction(name: try f.string("action")) else { throw f.fail("unknown action") }
            guard case .array(let fl)? = json["flags"] else { throw f.fail("missing \"flags\"") }
            let names = fl.compactMap { v -> String? in if case .string(let s) = v { return s }; return nil }
            var sig: SignatureInfo?
            if let s = json["signature"] {
                let sf = Fields(json: s, line: line)
                sig = SignatureInfo(blockSize: try sf.int("block_size"), strongLength: try sf.int("strong_length"),
                                    basisSize: try sf.int("basis_size"))
            }
            var flags = ItemFlags(names: names)
            if json["reference"] != nil { flags.formUnion(.reference(try f.int("reference"))) }
            var plan = Plan(action: action, flags: flags, entry: try f.entry(), linkTo: try f.bytes("link_to", optional: true), signature: sig)
            if json["append_from"] != nil { plan.appendFrom = try f.int("append_from") }
            return .plan(plan)
        case .blocks:
            guard case .array(let ws)? = json["weak"] else { throw f.fail("missing \"weak\"") }
            var weak: [UInt32] = []
            for w in ws {
                guard case .number(let s) = w, let v = UInt32(s) else { throw f.fail("bad weak sum") }
                weak.append(v)
            }
            return .blocks(strongLength: try f.int("strong_length"), weak: weak, strong: try f.hexBytes("strong"))
        case .summary:
            guard case .object(let pairs)? = json["items"] else { throw f.fail("missing \"items\"") }
            var items: [SummaryItem] = []
            for (k, v) in pairs {
                guard case .number(let s) = v, let n = UInt64(s) else { throw f.fail("bad summary value") }
                items.append(SummaryItem(key: k, value: n))
            }
            return .summary(items)
        case .idName:
            guard case .bool(let g)? = json["group"] else { throw f.fail("missing \"group\"") }
            return .idName(group: g, id: try f.int("id"), name: try f.bytes("name"))
        case .filterFile:
            return .filterFile(dir: try f.bytes("dir"), name: try f.bytes("name"), content: try f.bytes("content"))
        case .dirNames:
            var names: [[UInt8]] = []
            if case .array(let a)? = json["names"] {
                for v in a {
                    guard case .string(let s) = v else { throw f.fail("bad name in \"names\"") }
                    names.append(Array(s.utf8))
                }
            } else if case .array(let a)? = json["names_b64"] {
                for v in a {
                    guard case .string(let s) = v, let b = Base64.decode(s) else { throw f.fail("bad name in \"names_b64\"") }
                    names.append(b)
                }
            } else {
                throw f.fail("missing \"names\"")
            }
            return .dirNames(dir: try f.bytes("dir"), names: names)
        case .literal:
            guard let d = Base64.decode(try f.string("data_b64")) else { throw f.fail("bad base64") }
            return .literal(d)
        case .literalZstd:
            guard let d = Base64.decode(try f.string("data_b64")) else { throw f.fail("bad base64") }
            return .literalZstd(rawLength: try f.int("raw_length"), compressed: d)
        case .copy: return .copy(offset: try f.int("offset"), length: try f.int("length"))
        case .sourceRange: return .sourceRange(offset: try f.int("offset"), length: try f.int("length"))
        case .fileEnd:
            let hash: Hash128? = json["hash"] == .null ? nil : try f.hash("hash")
            return .fileEnd(size: try f.int("size"), hash: hash)
        case .fileAbort: return .fileAbort(errno: try f.int("errno"), message: try f.string("message"))
        case .message: return .message(level: try f.int("level"), text: try f.string("text"))
        case .end: throw f.fail("an end record is written by the encoder")
        }
    }
}
