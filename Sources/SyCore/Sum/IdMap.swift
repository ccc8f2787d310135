import Glibc

/// rsync's `--usermap` / `--groupmap` (and `--chown`): sender ids or names mapped to receiver
/// ids by the first matching `FROM:TO` pair. FROM is `*` (everything), a name pattern, an id,
/// an id range `LOW-HIGH`, or empty (ids without a name); TO is a receiver name or id.
public final class IdMap: @unchecked Sendable {
    enum From {
        case any, nameless
        case name([UInt8])
        case range(UInt32, UInt32)
    }
    private var rules: [(From, UInt32)] = []
    private let group: Bool
    private var cache: [UInt32: UInt32?] = [:]

    /// Parses `FROM:TO[,FROM:TO...]`; TO names are looked up on this machine.
    public init(_ spec: String, group: Bool) throws(SyError) {
        self.group = group
        let option = group ? "--groupmap" : "--usermap"
        for pair in spec.split(separator: ",", omittingEmptySubsequences: true) {
            guard let colon = pair.lastIndex(of: ":") else { throw SyError("\(option): no ':' in '\(pair)'", status: .syntax) }
            let from = String(pair[..<colon]), to = String(pair[pair.index(after: colon)...])
            let toId: UInt32
            if let n = UInt32(to) { toId = n } else if let n = group ? IdNames.lookupGroup(Array(to.utf8)) : IdNames.lookupUser(Array(to.utf8)) {
                toId = n
            } else {
                throw SyError("Unknown \(option) name on receiver: \(to)", status: .syntax)
            }
            let f: From
            if from == "*" { f = .any } else if from.isEmpty { f = .nameless } else if let n = UInt32(from) { f = .range(n, n) }
            else if let dash = from.firstIndex(of: "-"), let lo = UInt32(from[..<dash]), let hi = UInt32(from[from.index(after: dash)...]) {
                f = .range(lo, hi)
            } else { f = .name(Array(from.utf8)) }
            rules.append((f, toId))
        }
    }

    /// The receiver id for sender id `id` whose sender-side name is `name`, or nil (unmapped).
    public func map(_ id: UInt32, name: () -> PathBytes?) -> UInt32? {
        if let c = cache[id] { return c }
        let n = name()
        var result: UInt32?
        for (from, to) in rules {
            let hit: Bool
            switch from {
            case .any: hit = true
            case .nameless: hit = n == nil
            case .range(let lo, let hi): hit = id >= lo && id <= hi
            case .name(let p): hit = n.map { Wildcard.match(p[...], $0[...]) } ?? false
            }
            if hit { result = to; break }
        }
        cache[id] = result
        return result
    }
}
