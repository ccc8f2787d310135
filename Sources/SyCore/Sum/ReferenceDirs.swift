/// `--link-dest` and `--compare-dest` directories: relative ones are relative to the
/// destination, as in rsync (resolved by name, since the destination may not exist yet).
public enum ReferenceDirs {
    public static func resolve(_ dir: PathBytes, destination: PathBytes) -> PathBytes {
        if dir.first == 0x2F { return dir }
        var parts = destination.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init)
        let absolute = destination.first == 0x2F
        for comp in dir.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init) {
            if comp == [0x2E] { continue }
            if comp == [0x2E, 0x2E], let last = parts.last, last != [0x2E, 0x2E] { parts.removeLast(); continue }
            parts.append(comp)
        }
        let joined = parts.map { $0 }.joined(separator: [0x2F])
        let path = (absolute ? [0x2F] : []) + Array(joined)
        return path.isEmpty ? [0x2E] : path
    }
}
