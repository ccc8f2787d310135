/// rsync command-line habits that a generic parser does not keep.
public enum RsyncArgs {
    /// Options that take `--no-NAME` (long names and their one-letter forms).
    static let negatable: Set<String> = [
        "recursive", "r", "links", "l", "perms", "p", "times", "t", "group", "g", "owner", "o", "devices", "specials", "D",
        "hard-links", "H", "one-file-system", "x", "whole-file", "W", "inplace", "delete", "force", "checksum", "c",
        "ignore-times", "I", "update", "u", "mkpath", "compress", "z", "verbose", "v", "itemize-changes", "i",
        "stats", "progress", "human-readable", "h", "inc-recursive", "i-r", "implied-dirs", "numeric-ids",
    ]

    /// Removes `--no-NAME` arguments (before a `--`), returning the rest and the negated names.
    public static func splitNegations(_ args: [String]) -> ([String], Set<String>) {
        var out: [String] = []
        var negated: Set<String> = []
        var done = false
        for a in args {
            if !done && a == "--" { done = true }
            if !done && a.hasPrefix("--no-") {
                let name = String(a.dropFirst(5))
                if negatable.contains(name) { negated.insert(name); continue }
            }
            out.append(a)
        }
        return (out, negated)
    }

    /// Rewrites spellings the parser would misread: `--opt=value` is kept, `-B1024` style
    /// values stay attached; nothing else changes.
    public static func normalize(_ args: [String]) -> [String] { args }
}
