/// rsync's closing lines: the -vv delta totals, the --stats block, and the -v summary
/// ("sent N bytes  received N bytes  N bytes/sec", "total size is N  speedup is N").
public struct SummaryText {
    /// `-h`: sizes in K, M, G (powers of 1000).
    public var human: Bool

    public init(human: Bool) { self.human = human }

    /// The lines for `st`, `sent` and `received` as the client counts them. `listReceived`:
    /// the file list came to this side (a pull or a remote listing); rsync's "File list size"
    /// counts only such a list, and is 0 where the client sends it (local runs and pushes).
    public func lines(_ st: ApplyStats, sent: UInt64, received: UInt64, elapsed: Double, stats: Bool, summary: Bool,
                      deltaTotals: Bool = false, dryRun: Bool = false, listReceived: Bool = false, batchOnly: Bool = false) -> [String] {
        var out: [String] = []
        if deltaTotals {
            out.append("total: matches=\(st.matchedBlocks)  hash_hits=\(st.matchedBlocks)  false_alarms=0 data=\(st.literal)")
        }
        if stats {
            out.append("")
            out.append("Number of files: \(num(st.files))\(kinds(st.reg, st.dir, st.link, st.dev, st.special))")
            let c = st.created
            out.append("Number of created files: \(num(c.total))\(kinds(c.reg, c.dir, c.link, c.dev, c.special))")
            let d = st.deleted
            out.append("Number of deleted files: \(num(d.total))\(kinds(d.reg, d.dir, d.link, d.dev, d.special))")
            out.append("Number of regular files transferred: \(num(st.transferred))")
            out.append("Total file size: \(num(st.totalSize)) bytes")
            out.append("Total transferred file size: \(num(st.transferredSize)) bytes")
            out.append("Literal data: \(num(st.literal)) bytes")
            out.append("Matched data: \(num(st.matched)) bytes")
            out.append("File list size: \(num(listReceived ? st.entryBytes : 0))")
            out.append("File list generation time: \(format3(Double(st.listNanos) / 1e9)) seconds")
            out.append("File list transfer time: 0.000 seconds")
            out.append("Total bytes sent: \(num(sent))")
            out.append("Total bytes received: \(num(received))")
        }
        if stats || summary {
            out.append("")
            let rate = elapsed > 0 ? Double(sent + received) / elapsed : 0
            out.append("sent \(num(sent)) bytes  received \(num(received)) bytes  \(rateText(rate)) bytes/sec")
            let total = sent + received
            let speedup = total > 0 ? Double(st.totalSize) / Double(total) : 0
            out.append("total size is \(num(st.totalSize))  speedup is \(fixed2(speedup))\(batchOnly ? " (BATCH ONLY)" : dryRun ? " (DRY RUN)" : "")")
        }
        return out
    }

    /// `6 (reg: 4, dir: 2)`'s part in parentheses, kinds with none left out.
    func kinds(_ reg: UInt64, _ dir: UInt64, _ link: UInt64, _ dev: UInt64, _ special: UInt64) -> String {
        var parts: [String] = []
        if reg > 0 { parts.append("reg: \(num(reg))") }
        if dir > 0 { parts.append("dir: \(num(dir))") }
        if link > 0 { parts.append("link: \(num(link))") }
        if dev > 0 { parts.append("dev: \(num(dev))") }
        if special > 0 { parts.append("special: \(num(special))") }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }

    func num(_ v: UInt64) -> String { human ? Human.size(v) : Human.commas(v) }

    func rateText(_ r: Double) -> String {
        if human { return Human.size(UInt64(r)) }
        let whole = UInt64(r)
        let cents = Int((r - Double(whole)) * 100 + 0.5) % 100
        return Human.commas(whole) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    func fixed2(_ v: Double) -> String {
        let cents = UInt64(v * 100 + 0.5)
        let c = cents % 100
        return String(cents / 100) + "." + (c < 10 ? "0" : "") + String(c)
    }

    func format3(_ v: Double) -> String {
        let m = UInt64(v * 1000 + 0.5)
        let r = String(m % 1000)
        return String(m / 1000) + "." + String(repeating: "0", count: 3 - r.count) + r
    }
}
