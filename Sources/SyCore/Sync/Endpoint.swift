/// A transfer endpoint: a local path or `[USER@]HOST:PATH`.
public struct Endpoint: Sendable, Equatable {
    public var host: String?
    public var path: String

    /// Parses rsync's syntax: a colon before any slash marks a remote path (`host:path`);
    /// `./host:path` and `/a:b` stay local.
    public init(_ arg: String) {
        if let colon = arg.firstIndex(of: ":") {
            let before = arg[..<colon]
            if !before.isEmpty && !before.contains("/") {
                host = String(before)
                let rest = String(arg[arg.index(after: colon)...])
                path = rest.isEmpty ? "." : rest
                return
            }
        }
        host = nil
        path = arg
    }

    public init(host: String?, path: String) {
        self.host = host
        self.path = path
    }

    public var isRemote: Bool { host != nil }
}
