/// Constants of the sy stream format (see `man 5 sy-stream`).
public enum Wire {
    /// `s y \r \n`: catches text-mode mangling of a binary stream.
    public static let magic: [UInt8] = [0x73, 0x79, 0x0D, 0x0A]
    /// The format version this build reads and writes.
    public static let version: UInt8 = 3
    /// Largest record payload accepted: 16 MiB.
    public static let maxPayload = 1 << 24
    /// Largest path accepted in a record.
    public static let maxPath = 4096
    /// Largest producer string in a header.
    public static let maxProducer = 128
    /// Bit 7 of the kind byte: the body after the header is a zstd stream.
    public static let compressedFlag: UInt8 = 0x80
    /// Literal data is cut into records of at most this size.
    public static let literalChunk = 256 << 10
}

/// What a stream carries; a tool refuses a stream of the wrong kind.
public enum StreamKind: UInt8, Sendable, CaseIterable {
    /// `sy-scan` output: ENTRY records.
    case entries = 1
    /// `sy-sum` output: PLAN and BLOCKS records.
    case plans = 2
    /// `sy-delta` output: PLAN records with file data.
    case delta = 3

    public var name: String {
        switch self {
        case .entries: return "entries"
        case .plans: return "plans"
        case .delta: return "delta"
        }
    }
}

/// Record type codes.
public enum RecordType: UInt8, Sendable, CaseIterable {
    case entry = 0x01
    case plan = 0x02
    case blocks = 0x03
    case summary = 0x04
    case idName = 0x05
    case filterFile = 0x06
    case dirNames = 0x07
    case literal = 0x10
    case literalZstd = 0x11
    case copy = 0x12
    case sourceRange = 0x13
    case fileEnd = 0x14
    case fileAbort = 0x15
    case message = 0x20
    case end = 0x7F

    public var name: String {
        switch self {
        case .entry: return "entry"
        case .plan: return "plan"
        case .blocks: return "blocks"
        case .summary: return "summary"
        case .idName: return "id-name"
        case .filterFile: return "filter-file"
        case .dirNames: return "dir-names"
        case .literal: return "literal"
        case .literalZstd: return "literal-zstd"
        case .copy: return "copy"
        case .sourceRange: return "source-range"
        case .fileEnd: return "file-end"
        case .fileAbort: return "file-abort"
        case .message: return "message"
        case .end: return "end"
        }
    }
}
