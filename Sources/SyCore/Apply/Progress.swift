import Glibc

/// Live progress as rsync prints it: `--progress` (a line per file) and `--info=progress2`
/// (one line for the whole transfer). On a terminal the line is redrawn in place; otherwise
/// finished lines are printed (per file, or about once a second for the overall line).
final class ProgressMeter {
    let perFile: Bool
    let overall: Bool
    let tty: Bool
    let out: TextOutput
    let totals: TotalsChannel?
    let start = wallNanos()
    var bytesDone: UInt64 = 0
    var xfr = 0
    var fileSize: Int64 = 0
    var fileDone: Int64 = 0
    var fileStart: UInt64 = 0
    var lastDraw: UInt64 = 0
    var drawn = false
    /// The current file's number in rsync's file list, when the scan sent it.
    var listIndex: UInt64?

    init(perFile: Bool, overall: Bool, out: TextOutput, totals: TotalsChannel?) {
        self.perFile = perFile; self.overall = overall; self.out = out; self.totals = totals
        tty = isatty(1) == 1
        // Not on a terminal, the overall line is printed once a second: the first after one
        // second (not one at the first bytes, before the totals are known).
        if !tty { lastDraw = start }
    }

    var active: Bool { perFile || overall }

    /// `heading`: the line above the file's progress line (its name, or its -i line).
    func beginFile(_ plan: Plan, heading: String) {
        guard active else { return }
        fileSize = plan.entry.size
        listIndex = plan.entry.listIndex
        fileDone = 0
        fileStart = wallNanos()
        if perFile && !heading.isEmpty {
            emitLine(heading)
        }
    }

    func advance(_ n: Int) {
        guard active else { return }
        fileDone += Int64(n)
        bytesDone += UInt64(n)
        let now = wallNanos()
        if now &- lastDraw > (tty ? 250_000_000 : 1_000_000_000) {
            lastDraw = now
            if tty { draw(final: false) } else if overall { emitLine(overallLine()) }
        }
    }

    func endFile() {
        guard active else { return }
        xfr += 1
        totals?.poll()
        if perFile {
            clear()
            emitLine(perFileLine(final: true))
        } else if tty {
            draw(final: false)
        }
    }

    func finish() {
        guard overall else { return }
        totals?.poll()
        clear()
        // Everything is checked by now: rsync's last line counts nothing left.
        listIndex = totals.map { $0.entries > 0 ? $0.entries - 1 : 0 }
        emitLine(overallLine())
    }

    // MARK: Drawing

    private func draw(final: Bool) {
        totals?.poll()
        let line = perFile ? perFileLine(final: false) : overallLine()
        try? out.raw("\r" + line)
        try? out.flush()
        drawn = true
    }

    private func clear() {
        if drawn { try? out.raw("\r"); drawn = false }
    }

    private func emitLine(_ s: String) {
        try? out.line(s)
        try? out.flush()
    }

    private func perFileLine(final: Bool) -> String {
        let secs = Double(wallNanos() &- fileStart) / 1e9
        let pct = fileSize > 0 ? Int(fileDone * 100 / fileSize) : 100
        let rate = secs > 0 ? Double(fileDone) / secs : 0
        var s = format(bytes: UInt64(fileDone), pct: pct, rate: rate,
                       seconds: final ? secs : (rate > 0 ? Double(fileSize - fileDone) / rate : 0))
        if final { s += " (xfr#\(xfr)\(checkSuffix()))" }
        return s
    }

    private func overallLine() -> String {
        let secs = Double(wallNanos() &- start) / 1e9
        let rate = secs > 0 ? Double(bytesDone) / secs : 0
        // rsync's percentage is of the size of everything listed, sent or not (a sync that
        // changes little ends far below 100%); the time left is of what is to be sent.
        let total = totals?.totalSize ?? 0
        let toSend = totals?.bytes ?? 0
        let final = totals?.final ?? false
        var pct = total > 0 ? Int(min(100, bytesDone * 100 / total)) : 0
        if !final { pct = min(pct, 99) }
        let eta = final && rate > 0 && toSend > bytesDone ? Double(toSend - bytesDone) / rate : secs
        return format(bytes: bytesDone, pct: pct, rate: rate, seconds: eta) + " (xfr#\(xfr)\(checkSuffix()))"
    }

    private func checkSuffix() -> String {
        guard let t = totals else { return "" }
        // rsync's count: the entries after the current one in its file list.
        let left: UInt64
        if let i = listIndex {
            left = t.entries > i + 1 ? t.entries - i - 1 : 0
        } else {
            left = t.files > UInt64(xfr) ? t.files - UInt64(xfr) : 0
        }
        return ", \(t.final ? "to-chk" : "ir-chk")=\(left)/\(max(t.entries, (listIndex ?? 0) + 1))"
    }

    private func format(bytes: UInt64, pct: Int, rate: Double, seconds: Double) -> String {
        let b = Human.commas(bytes)
        let pad = String(repeating: " ", count: max(0, 15 - b.count))
        let p = String(pct)
        let units: [(Double, String)] = [(1_073_741_824, "GB/s"), (1_048_576, "MB/s"), (1024, "kB/s")]
        var r = rate / 1024, unit = "kB/s"
        for (d, u) in units where rate >= d { r = rate / d; unit = u; break }
        let rs = fixed2(r)
        let t = Int(seconds.rounded())
        let time = "\(t / 3600):\(two((t / 60) % 60)):\(two(t % 60))" // rsync's %4d:%02d:%02d
        return pad + b + " " + String(repeating: " ", count: max(0, 3 - p.count)) + p + "% "
            + String(repeating: " ", count: max(0, 7 - rs.count)) + rs + unit + " " + String(repeating: " ", count: max(0, 10 - time.count)) + time
    }

    private func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    private func fixed2(_ v: Double) -> String {
        let c = Int((v * 100).rounded())
        return "\(c / 100).\(two(c % 100))"
    }
}

extension TextOutput {
    /// Text without a newline (progress redraws).
    func raw(_ s: String) throws(SyError) {
        TextFormat.outputBytes(s, into: &buffer)
    }
}
