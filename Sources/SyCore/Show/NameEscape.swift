import Glibc

/// How a name is escaped where rsync prints it: a byte the output cannot show becomes `\#ooo`
/// (octal), as rsync's `filtered_fwrite` writes it.
public enum NameEscape: String, Sendable, CaseIterable {
    /// A UTF-8 locale: valid sequences as they are, each byte of an invalid one escaped.
    case utf8
    /// The C locale (ASCII): every byte above 0x7F escaped.
    case ascii
    /// `-8` (`--8-bit-output`), or a single-byte character set: bytes above 0x7F as they are.
    case eightBit = "8bit"
    /// `--log-file`: bytes above 0x7F as they are but the C1 controls (0x80-0x9F).
    case logFile = "log"

    /// The escape for names on stdout, set once at startup (sy from its locale and `-8`, which
    /// it hands to a remote sy-apply; the tools from `--name-escape` or their own locale).
    nonisolated(unsafe) public static var terminal = NameEscape.utf8

    /// What rsync does in this process's locale (LC_ALL, LC_CTYPE, LANG): it checks names
    /// with iconv from the locale's character set to itself.
    public static func fromLocale(eightBit: Bool) -> NameEscape {
        if eightBit { return .eightBit }
        guard let old = setlocale(LC_CTYPE, nil).map({ String(cString: $0) }) else { return .ascii }
        defer { setlocale(LC_CTYPE, old) }
        guard setlocale(LC_CTYPE, "") != nil, let cs = nl_langinfo(nl_item(CODESET)) else { return .ascii }
        let set = String(cString: cs).lowercased().filter { $0 != "-" && $0 != "_" }
        if set == "utf8" { return .utf8 }
        if set == "ansix3.41968" || set == "ascii" || set == "usascii" { return .ascii }
        return .eightBit
    }

    /// `name` as rsync prints it in this mode. Bytes written as they are but not valid UTF-8
    /// travel in the String as `TextFormat.rawByte` scalars; `TextFormat.outputBytes` restores them.
    public func apply(_ b: [UInt8]) -> String {
        var out = String.UnicodeScalarView()
        func escaped(_ c: UInt8) {
            for u in "\\#".unicodeScalars { out.append(u) }
            for d in [c >> 6, (c >> 3) & 7, c & 7] { out.append(Unicode.Scalar(0x30 + d)) }
        }
        var i = 0
        while i < b.count {
            let c = b[i]
            // A tab stays; a backslash that would read as an escape (`\#` and three digits) is escaped itself.
            let looksEscaped = c == 0x5C && i + 4 < b.count && b[i + 1] == 0x23 && b[(i + 2)...(i + 4)].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            if (c < 0x20 && c != 0x09) || looksEscaped { escaped(c); i += 1; continue }
            if c < 0x80 { out.append(Unicode.Scalar(c)); i += 1; continue }
            switch self {
            case .ascii:
                escaped(c); i += 1
            case .logFile:
                if c < 0xA0 { escaped(c) } else { out.append(TextFormat.rawByte(c)) }
                i += 1
            case .utf8, .eightBit:
                let len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
                if len > 1, i + len <= b.count, let s = String(validating: b[i..<(i + len)], as: UTF8.self),
                   let u = s.unicodeScalars.first, !TextFormat.isRawByte(u) {
                    out.append(u); i += len
                } else {
                    // Not UTF-8: escaped, or with -8 written as it is.
                    if self == .utf8 { escaped(c) } else { out.append(TextFormat.rawByte(c)) }
                    i += 1
                }
            }
        }
        return String(out)
    }
}

extension TextFormat {
    /// A byte to be written as it is, carried in a String (which holds only valid UTF-8) as a
    /// private-use scalar, U+10FF00 + byte.
    static func rawByte(_ c: UInt8) -> Unicode.Scalar { Unicode.Scalar(0x10FF00 + UInt32(c))! }
    static func isRawByte(_ u: Unicode.Scalar) -> Bool { u.value >= 0x10FF00 }

    /// The bytes to write for `s`: its UTF-8, with `rawByte` scalars turned back into their bytes.
    public static func outputBytes(_ s: String, into out: inout [UInt8]) {
        // U+10FF00 and above start with 0xF4 0x8F 0xBC-0xBF in UTF-8; most lines have no 0xF4.
        guard s.utf8.contains(0xF4) else { out.append(contentsOf: s.utf8); return }
        for u in s.unicodeScalars {
            if isRawByte(u) { out.append(UInt8(u.value - 0x10FF00)) } else { out.append(contentsOf: String(u).utf8) }
        }
    }
}
