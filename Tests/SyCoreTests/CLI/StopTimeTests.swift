import Glibc
import SyCore
import Testing

/// --stop-at's forms, each the next matching point in local time.
struct StopTimeTests {
    func local(_ y: Int32, _ mo: Int32, _ d: Int32, _ h: Int32, _ mi: Int32) -> Int64 {
        var t = tm()
        t.tm_year = y - 1900; t.tm_mon = mo - 1; t.tm_mday = d; t.tm_hour = h; t.tm_min = mi; t.tm_isdst = -1
        return Int64(mktime(&t))
    }

    @Test func forms() {
        let now = local(2026, 6, 15, 12, 30)
        let ns: (Int64) -> UInt64 = { UInt64($0) * 1_000_000_000 }
        #expect(StopTime.parse("2026-06-15T13:00", now: now) == ns(local(2026, 6, 15, 13, 0)))
        #expect(StopTime.parse("26/06/15T13:00", now: now) == ns(local(2026, 6, 15, 13, 0)))
        #expect(StopTime.parse("14:00", now: now) == ns(local(2026, 6, 15, 14, 0)))
        #expect(StopTime.parse("T11:00", now: now) == ns(local(2026, 6, 16, 11, 0)), "past today: tomorrow")
        #expect(StopTime.parse("1-30", now: now) == ns(local(2027, 1, 30, 0, 0)), "past this year: next year")
        #expect(StopTime.parse("2026-06-15T12:00", now: now) == nil, "a full time in the past")
        for bad in ["", "x", "25:00", "13-01", "1", ":59", "2026-06-15T13"] { #expect(StopTime.parse(bad, now: now) == nil, "\(bad)") }
    }
}
