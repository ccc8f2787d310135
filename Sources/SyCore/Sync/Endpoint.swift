/// A transfer endpoint: a local path or `[USER@]HOST:PATH`.
public struct Endpoint: Sendable, Equatable {
    public var host: String?
    public var path: String

    /// Parses rsync's syntax: a colon before any slash marks a remote path (`host:path`; an
    /// empty host as rsync takes it, for ssh to refuse); `./host:path` and `/a:b` stay local.
    public init(_ arg: String) {
        if let colon = arg.firstIndex(of: ":") {
            let before = arg[..<colon]
            if !before.contains("/") {
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

    /// Why `arg` cannot be used: it names an rsync daemon (`host::module`, `rsync://`),
    /// which sy does not speak to.
    public static func daemonProblem(_ arg: String) -> SyError? {
        let e = Endpoint(arg)
        guard arg.hasPrefix("rsync://") || (e.host.map { !$0.isEmpty } == true && e.path.hasPrefix(":")) else { return nil }
        return SyError("\(arg): sy has no daemon mode (rsync://, HOST::MODULE); use HOST:PATH over ssh", status: .syntax)
    }
}
