/// rsync's SIZE arguments (`--min-size`, `--max-size`): bytes, or with a suffix K, M, G, T
/// (powers of 1024; `KiB` too) or KB, MB, GB, TB (powers of 1000), and an optional +1 / -1.
public enum SizeArg {
    public static func parse(_ text: String) -> Int64? {
        var s = Substring(text)
        var adjust: Int64 = 0
        if s.hasSuffix("+1") { adjust = 1; s = s.dropLast(2) } else if s.hasSuffix("-1") { adjust = -1; s = s.dropLast(2) }
        let digits = s.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let value = Double(digits) else { return nil }
        let unit = s.dropFirst(digits.count).uppercased()
        let mult: Double
        switch unit {
        case "", "B": mult = 1
        case "K", "KIB": mult = 1024
        case "M", "MIB": mult = 1_048_576
        case "G", "GIB": mult = 1_073_741_824
        case "T", "TIB": mult = 1_099_511_627_776
        case "KB": mult = 1000
        case "MB": mult = 1_000_000
        case "GB": mult = 1_000_000_000
        case "TB": mult = 1_000_000_000_000
        default: return nil
        }
        return Int64(value * mult) + adjust
    }
}
