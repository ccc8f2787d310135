/// rsync's `--munge-links`: a receiver that munges puts `/rsyncd-munged/` before every
/// symlink target it makes, so no link it writes leads anywhere; a sender that munges takes
/// that prefix off the targets it sends. (rsync applies it to one side of a transfer: the
/// sender here, the receiver in a pull.)
public enum MungedLink {
    public static let prefix: PathBytes = Array("/rsyncd-munged/".utf8)

    public static func munged(_ target: PathBytes) -> PathBytes { prefix + target }

    public static func unmunged(_ target: PathBytes) -> PathBytes {
        target.starts(with: prefix) ? Array(target.dropFirst(prefix.count)) : target
    }
}
