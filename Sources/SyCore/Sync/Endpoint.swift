/// A transfer endpoint: a local path or `[USER@]HOST:PATH`.
public struct Endpoint: Sendable, Equatable {
    public var host: String?
    public var path: String

    /// Parses rsync's syntax: a colon before any slash marks a remote path (`host:path`; an
    /// empty host as rsync takes it, for ssh to refuse); `./host:path` and `/a:b` stay local.
    /// An IPv6 address goes in brackets (`[::1]:path`, `user@[fe80::1]:path`), which are
    /// dropped from the host given to ssh, as rsync's parse_hostspec does.
    public init(_ arg: String) {
        if let (h, rest) = Endpoint.hostSpec(Array(arg.utf8)) {
            host = h
            path = rest.isEmpty ? "." : rest
            return
        }
        host = nil
        path = arg
    }

    /// `[USER@]HOST` and what follows its colon, or nil for a local path.
    static func hostSpec(_ b: [UInt8]) -> (String, String)? {
        var i = 0, hostStart = 0
        var bracketed: Range<Int>?
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "/"):
                return nil
            case UInt8(ascii: ":"):
                let user = hostStart > 0 ? String(decoding: b[..<hostStart], as: UTF8.self) : ""
                let name = String(decoding: b[bracketed ?? hostStart..<i], as: UTF8.self)
                return (user + name, String(decoding: b[(i + 1)...], as: UTF8.self))
            case UInt8(ascii: "@") where bracketed == nil:
                hostStart = i + 1
            case UInt8(ascii: "["):
                guard i == hostStart, bracketed == nil else { return nil }
                var j = i + 1
                while j < b.count && b[j] != UInt8(ascii: "]") && b[j] != UInt8(ascii: "/") { j += 1 }
                guard j < b.count, b[j] == UInt8(ascii: "]"), j > i + 1, j + 1 < b.count, b[j + 1] == UInt8(ascii: ":") else { return nil }
                bracketed = (i + 1)..<j
                i = j
            default:
                break
            }
            i += 1
        }
        return nil
    }

    public init(host: String?, path: String) {
        self.host = host
        self.path = path
    }

    public var isRemote: Bool { host != nil }

    /// Why `arg` cannot be used: it names an rsync daemon (`host::module`, `rsync://`),
    /// which sy does not speak to.
    public static func daemonProblem(_ arg: String) -> SyError? {
        let e = Endpoint(arg)
        guard arg.hasPrefix("rsync://") || (e.host.map { !$0.isEmpty } == true && e.path.hasPrefix(":")) else { return nil }
        return SyError("\(arg): sy has no daemon mode (rsync://, HOST::MODULE); use HOST:PATH over ssh", status: .syntax)
    }
}
