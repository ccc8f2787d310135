/// rsync's `--rsync-path PROGRAM`: what the remote shell runs in place of `rsync`, shell text
/// and all (`sudo rsync`, `mkdir -p d && /opt/bin/rsync`). sy runs its own tools there: a last
/// word naming rsync or sy gives their directory (if it has one), the text before it is kept
/// in front of sy's command as given; a last word that names neither (or ends in `/`) is the
/// tools' directory, as `--remote-sy` takes it.
public struct RemoteProgram: Equatable, Sendable {
    /// Shell text put before the remote command (empty: none).
    public var prefix: String
    /// The directory of the remote tools (nil: found on the remote PATH).
    public var dir: String?

    public init(_ value: String) {
        let trimmed = value.drop(while: { $0 == " " || $0 == "\t" })
        let text = String(trimmed.reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
        let split = text.lastIndex(where: { $0 == " " || $0 == "\t" })
        let last = split.map { String(text[text.index(after: $0)...]) } ?? text
        let head = split.map { String(text[..<$0]) } ?? ""
        let base = last.hasSuffix("/") ? "" : last.split(separator: "/").last.map(String.init) ?? last
        if base == "rsync" || base == "sy" {
            prefix = head
            if let slash = last.lastIndex(of: "/") {
                dir = slash == last.startIndex ? "/" : String(last[..<slash])
            } else {
                dir = nil
            }
        } else {
            prefix = head
            dir = last.isEmpty ? nil : last
        }
    }
}
