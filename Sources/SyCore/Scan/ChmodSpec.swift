/// rsync's `--chmod=CHMOD`: comma-separated items, each optionally for directories (`D`) or
/// files (`F`) only, in octal (`D755`) or chmod's symbolic form (`ug+rwX`, `o-w`, `a=r`).
/// Applied to the permissions the sender lists, as rsync does.
public struct ChmodSpec: Sendable {
    enum Target { case all, dirs, files }
    enum Change {
        case octal(UInt32)
        case symbolic(who: UInt32, op: Character, perms: [Character])
    }
    struct Item { var target: Target; var changes: [Change] }
    var items: [Item] = []

    /// Parses one `--chmod` value; nil if it is malformed.
    public init?(_ text: String) {
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            var s = Substring(raw)
            var target = Target.all
            if s.first == "D" { target = .dirs; s = s.dropFirst() } else if s.first == "F" { target = .files; s = s.dropFirst() }
            guard !s.isEmpty else { return nil }
            if s.allSatisfy({ $0 >= "0" && $0 <= "7" }) {
                guard let v = UInt32(s, radix: 8), v <= 0o7777 else { return nil }
                items.append(Item(target: target, changes: [.octal(v)]))
                continue
            }
            var who: UInt32 = 0
            while let c = s.first, "ugoa".contains(c) {
                switch c {
                case "u": who |= 0o4700
                case "g": who |= 0o2070
                case "o": who |= 0o1007
                default: who |= 0o7777
                }
                s = s.dropFirst()
            }
            if who == 0 { who = 0o7777 }
            var changes: [Change] = []
            while let op = s.first, "+-=".contains(op) {
                s = s.dropFirst()
                let perms = s.prefix { "rwxXst".contains($0) }
                s = s.dropFirst(perms.count)
                changes.append(.symbolic(who: who, op: op, perms: Array(perms)))
            }
            guard s.isEmpty, !changes.isEmpty else { return nil }
            items.append(Item(target: target, changes: changes))
        }
    }

    /// The permissions after every item that applies to this kind of entry. As in rsync, X
    /// looks at the mode before any change of any --chmod (`original`, when other specs ran first).
    public func apply(_ perms: UInt32, isDirectory: Bool, original: UInt32? = nil) -> UInt32 {
        var p = perms
        let originallyExecutable = (original ?? perms) & 0o111 != 0
        for item in items {
            if item.target == .dirs && !isDirectory { continue }
            if item.target == .files && isDirectory { continue }
            for c in item.changes {
                switch c {
                case .octal(let v): p = v
                case .symbolic(let who, let op, let perms):
                    var bits: UInt32 = 0
                    for ch in perms {
                        switch ch {
                        case "r": bits |= 0o444
                        case "w": bits |= 0o222
                        case "x": bits |= 0o111
                        case "X": if isDirectory || originallyExecutable { bits |= 0o111 }
                        case "s": bits |= 0o6000
                        case "t": bits |= 0o1000
                        default: break
                        }
                    }
                    bits &= who
                    switch op {
                    case "+": p |= bits
                    case "-": p &= ~bits
                    default: p = (p & ~(who & 0o7777)) | bits
                    }
                }
            }
        }
        return p & 0o7777
    }
}
