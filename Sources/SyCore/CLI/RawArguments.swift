import Glibc

/// Command-line arguments as the bytes they are.
///
/// A path on Linux is bytes, and an argument naming one need not be UTF-8 (`src/caf\xe9`).
/// Swift's `CommandLine.arguments` repairs such bytes into U+FFFD, which names another file.
/// sy reads argv itself instead: each byte that is not part of valid UTF-8 becomes the
/// private-use character U+F700 + byte (U+F780...U+F7FF), and `argBytes` turns those back
/// into the byte. A name that really holds one of those characters is escaped the same way,
/// byte by byte, so the round trip is exact for every argument. The characters stay inside
/// sy's Strings (options, endpoints, patterns) and become bytes again where a path meets a
/// system call, a stream record or a child's argv.
public enum RawArguments {
    static let escapeBase: UInt32 = 0xF700
    static let escaped: ClosedRange<UInt32> = 0xF780...0xF7FF

    /// This process's arguments, argv[0] included, decoded losslessly.
    public static var all: [String] {
        (0..<Int(CommandLine.argc)).map { i in
            guard let p = CommandLine.unsafeArgv[i] else { return "" }
            return decode(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
        }
    }

    /// The String that stands for `bytes`.
    public static func decode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let b = Array(bytes)
        if !b.contains(where: { $0 >= 0x80 }) { return String(decoding: b, as: UTF8.self) }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            if b[i] < 0x80 { out.append(Unicode.Scalar(b[i])); i += 1; continue }
            if let (v, n) = scalar(b, at: i), !escaped.contains(v), let s = Unicode.Scalar(v) {
                out.append(s); i += n
            } else {
                out.append(Unicode.Scalar(escapeBase + UInt32(b[i]))!); i += 1
            }
        }
        return String(out)
    }

    /// The bytes `s` stands for.
    public static func bytes(_ s: String) -> [UInt8] {
        // (The escapes are encoded EF 9E xx / EF 9F xx: without an EF byte there is none.)
        guard s.utf8.contains(0xEF) else { return Array(s.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            if escaped.contains(u.value) { out.append(UInt8(u.value - escapeBase)) } else { out.append(contentsOf: String(u).utf8) }
        }
        return out
    }

    /// `s` as a message shows it: a byte that is no UTF-8 and a control character (a newline
    /// in a name, say) as rsync's messages show them, `\#377`, `\#012`. A tab stays, and a
    /// carriage return (rsync's own progress notes hold them).
    public static func shown(_ s: String) -> [UInt8] {
        func plain(_ c: UInt32) -> Bool { c >= 0x20 || c == 0x09 || c == 0x0D }
        guard s.utf8.contains(where: { $0 == 0xEF || !plain(UInt32($0)) }) else { return Array(s.utf8) }
        var out: [UInt8] = []
        func octal(_ b: UInt32) { out += [0x5C, 0x23, UInt8(0x30 + (b >> 6)), UInt8(0x30 + (b >> 3) & 7), UInt8(0x30 + b & 7)] }
        for u in s.unicodeScalars {
            if escaped.contains(u.value) { octal(u.value - escapeBase) }
            else if !plain(u.value) { octal(u.value) }
            else { out.append(contentsOf: String(u).utf8) }
        }
        return out
    }

    /// `shown` as text, for a line written with the others.
    public static func shownText(_ s: String) -> String { String(decoding: shown(s), as: UTF8.self) }

    /// A valid UTF-8 scalar starting at `i` (shortest form, no surrogates): its value and length.
    static func scalar(_ b: [UInt8], at i: Int) -> (UInt32, Int)? {
        let lead = b[i]
        let n: Int, min: UInt32
        var v: UInt32
        switch lead {
        case 0xC2...0xDF: n = 2; v = UInt32(lead & 0x1F); min = 0x80
        case 0xE0...0xEF: n = 3; v = UInt32(lead & 0x0F); min = 0x800
        case 0xF0...0xF4: n = 4; v = UInt32(lead & 0x07); min = 0x10000
        default: return nil
        }
        guard i + n <= b.count else { return nil }
        for k in 1..<n {
            let c = b[i + k]
            guard c & 0xC0 == 0x80 else { return nil }
            v = v << 6 | UInt32(c & 0x3F)
        }
        guard v >= min, v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v) else { return nil }
        return (v, n)
    }
}

extension String {
    /// The raw bytes of a command-line argument (see `RawArguments`).
    public var pathBytes: PathBytes { RawArguments.bytes(self) }
}
