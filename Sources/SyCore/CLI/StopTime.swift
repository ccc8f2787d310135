import Glibc

/// `--stop-after=MINS` and `--stop-at=y-m-dTh:m`: when sy stops the transfer.
public enum StopTime {
    /// The deadline in ns since the epoch for `--stop-at` (local time): `YYYY-MM-DDTHH:MM`
    /// (slashes allowed, a 2-digit year is 20YY), `MM-DDTHH:MM`, `MM-DD`, `HH:MM` or `THH:MM`,
    /// each meaning the next such point in time. Nil if the text has another form or the
    /// fully given time is not in the future.
    public static func parse(_ text: String, now: Int64 = Int64(time(nil))) -> UInt64? {
        let parts = text.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var datePart = parts.count == 2 ? parts[0] : (text.contains(":") ? "" : text)
        let timePart = parts.count == 2 ? parts[1] : (text.contains(":") ? text : "")
        datePart = datePart.replacingSlashes()
        let d = datePart.isEmpty ? [] : datePart.split(separator: "-").map { Int($0) }
        let t = timePart.isEmpty ? [] : timePart.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard !d.contains(where: { $0 == nil }), !t.contains(where: { $0 == nil }), d.count <= 3, t.isEmpty || t.count == 2,
              !(d.isEmpty && t.isEmpty) else { return nil }
        var nowT = time_t(now)
        var cur = tm()
        localtime_r(&nowT, &cur)
        var want = cur
        want.tm_sec = 0
        want.tm_isdst = -1
        want.tm_hour = Int32(t.first.map { $0! } ?? 0)
        want.tm_min = Int32(t.count == 2 ? t[1]! : 0)
        if d.count == 3 {
            let y = d[0]!
            want.tm_year = Int32((y < 100 ? 2000 + y : y) - 1900)
        }
        if d.count >= 2 { want.tm_mon = Int32(d[d.count - 2]! - 1); want.tm_mday = Int32(d[d.count - 1]!) }
        guard (0...23).contains(want.tm_hour), (0...59).contains(want.tm_min), (0...11).contains(want.tm_mon),
              (1...31).contains(want.tm_mday), d.count != 1 else { return nil }
        var at = Int64(mktime(&want))
        if at <= now {
            switch d.count {
            case 0: at += 86_400                                     // tomorrow
            case 2: want.tm_year += 1; want.tm_isdst = -1; at = Int64(mktime(&want)) // next year
            default: return nil
            }
        }
        return UInt64(at) * 1_000_000_000
    }
}

private extension String {
    func replacingSlashes() -> String { String(map { $0 == "/" ? "-" : $0 }) }
}
