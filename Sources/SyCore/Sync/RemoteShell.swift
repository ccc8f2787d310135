/// How a stage is started: a local tool next to `sy`, or the same tool on a host through ssh.
public struct RemoteShell {
    let request: SyncRequest
    let toolDir: String

    public init(_ request: SyncRequest) {
        self.request = request
        toolDir = executableDirectory()
    }

    /// The stage for `argv` (whose first word is the tool name) on `host` (nil: here).
    public func stage(_ argv: [String], host: String?) -> Pipeline.Stage {
        let tool = argv[0]
        guard let host else {
            return Pipeline.Stage(name: tool, argv: [toolDir + "/" + tool] + argv.dropFirst())
        }
        let rsh = request.rsh ?? "ssh"
        let remoteTool = (request.remoteSy.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "") + tool
        let command = ([remoteTool] + argv.dropFirst()).map(shellQuote).joined(separator: " ")
        return Pipeline.Stage(name: "\(tool) on \(host)", argv: ["/bin/sh", "-c", rsh + " " + shellQuote(host) + " " + shellQuote(command)])
    }
}

/// Quotes a word for a POSIX shell.
public func shellQuote(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:@,+%".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

extension String {
    public func replacingOccurrences(of target: String, with replacement: String) -> String {
        var out = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}
