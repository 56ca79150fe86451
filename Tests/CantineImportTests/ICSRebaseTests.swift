// Old series are expanded from just before the window, not from their start: the rebased
// expansion is compared with libical's full one over a table of rules and a seeded random
// set, and checked against known dates where the full one refuses the series.

import CICal
import CantineCore
import Testing

@testable import CantineImport

@Suite struct ICSRebaseTests {
    /// 2026-11-21T00:00:00Z and the week around it.
    let day = Instant(seconds: 1_795_219_200)
    var week: (start: Instant, end: Instant) { (day - .seconds(3 * 86_400), day + .seconds(4 * 86_400)) }

    func both(_ text: String, window: (start: Instant, end: Instant)) throws -> ([String], [String]) {
        let fast = try ICSReader.events(in: text, timeZone: "Europe/Paris", window: window, shortcuts: true)
        let full = try ICSReader.events(in: text, timeZone: "Europe/Paris", window: window, shortcuts: false)
        func show(_ e: [CalendarEvent]) -> [String] { e.map { "\($0.key) \($0.start) \($0.end)" } }
        return (show(fast), show(full))
    }

    func event(_ start: String, _ rule: String, end: String? = nil, extra: String = "") -> String {
        ics(
            "BEGIN:VEVENT\nUID:s@cantine\nSUMMARY:Atelier\nDTSTART\(start)\n" + (end.map { "DTEND\($0)\n" } ?? "")
                + "RRULE:\(rule)\n" + extra + "END:VEVENT\n")
    }

    @Test func theRebasedExpansionEqualsTheFullOneForOldSeries() throws {
        let rules = [
            "FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;INTERVAL=2;BYHOUR=23,15",
            "FREQ=DAILY;BYDAY=MO,WE,FR", "FREQ=DAILY;BYMONTH=11;BYMONTHDAY=20,22",
            "FREQ=WEEKLY", "FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
            "FREQ=WEEKLY;INTERVAL=3;WKST=SU;BYDAY=SU,SA", "FREQ=WEEKLY;BYDAY=SA;UNTIL=20261122T000000Z",
            "FREQ=WEEKLY;BYDAY=SA;UNTIL=20261120T000000Z", "FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=5",
            "FREQ=MONTHLY;BYDAY=3SA", "FREQ=MONTHLY;INTERVAL=7;BYDAY=-2SA", "FREQ=MONTHLY;BYMONTHDAY=-9,21",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-7", "FREQ=YEARLY;BYMONTH=11;BYDAY=-2SA",
            // Moved by whole 400-year cycles when they start before 1626.
            "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=30,31", "FREQ=YEARLY",
            "FREQ=YEARLY;INTERVAL=3;BYMONTH=11,12;BYDAY=SA", "FREQ=YEARLY;BYWEEKNO=47;BYDAY=SA,SU",
            "FREQ=YEARLY;BYYEARDAY=325,-40", "FREQ=YEARLY;BYMONTH=11;BYDAY=SA;BYSETPOS=3,-1",
            // Counted here rather than by libical (which is given an UNTIL instead).
            "FREQ=DAILY;COUNT=3", "FREQ=DAILY;COUNT=40000", "FREQ=WEEKLY;BYDAY=SA,SU;COUNT=4000",
            "FREQ=MONTHLY;BYDAY=2SA;COUNT=500", "FREQ=YEARLY;BYMONTH=11;BYDAY=-1SA;COUNT=120",
        ]
        let starts = [
            (":19900105T093000", ":19900105T110000"),  // floating: the site's zone
            (";TZID=Europe/Paris:19511117T180000", ";TZID=Europe/Paris:19511117T200000"),
            (":19300301T220000Z", ":19300302T010000Z"),  // crosses midnight, in UTC
            (";VALUE=DATE:19620219", ";VALUE=DATE:19620221"),  // two whole days
            (";TZID=America/New_York:20260104T230000", ";TZID=America/New_York:20260105T003000"),
            (":16001121T180000", ":16001121T190000"),  // floating, moved by 400-year cycles
            (";VALUE=DATE:15800229", nil),  // a leap day in libical's Julian years: not moved
        ]
        var compared = 0
        var found = 0
        for rule in rules {
            for (start, end) in starts {
                let text = event(start, rule, end: end, extra: "EXDATE;VALUE=DATE-TIME:20261121T173000Z\n")
                for window in [week, (day, day + .seconds(90 * 86_400))] {
                    let (fast, full): ([String], [String])
                    do { (fast, full) = try both(text, window: window) } catch {
                        continue  // the full expansion refused a long daily series: see the next test
                    }
                    #expect(fast == full, "\(rule) from \(start)")
                    compared += 1
                    found += full.count
                }
            }
        }
        #expect(compared > 250)
        #expect(found > 1_500)
    }

    @Test func hourlySeriesBoundedAtTheWindowExpandAsLibicalAlone() throws {
        let rules = [
            "FREQ=HOURLY;INTERVAL=5;BYMONTH=11;BYMONTHDAY=20,21,22", "FREQ=HOURLY;INTERVAL=7;BYDAY=SA",
            "FREQ=HOURLY;INTERVAL=25;BYMONTH=11,12", "FREQ=HOURLY;INTERVAL=11;BYHOUR=9,10,11,12,13;BYDAY=MO,SA",
            "FREQ=HOURLY;INTERVAL=3;BYMONTH=11;COUNT=400",
        ]
        let starts = [
            (";TZID=Europe/Paris:20241117T183000", ";TZID=Europe/Paris:20241117T190000"),
            (":20250330T013000", ":20250330T033000"),  // floating, across the spring change
            (":20240229T220000Z", nil),
        ]
        var compared = 0
        for rule in rules {
            for (start, end) in starts {
                let (fast, full) = try both(event(start, rule, end: end), window: week)
                #expect(fast == full, "\(rule) from \(start)")
                #expect(!full.isEmpty || rule.contains("COUNT"), "\(rule) from \(start)")
                compared += 1
            }
        }
        #expect(compared == 15)
    }

    @Test func aSeededRandomSetOfRulesExpandsTheSameBothWays() throws {
        let freqs = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
        let days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        var compared = 0
        var found = 0
        // The case number, hashed with a salt per choice (Knuth's multiplicative hash): the
        // same spread of rules on every run, without a generator.
        for i in 0..<80 {
            var salt: UInt64 = 0
            func pick(_ n: Int) -> UInt64 {
                salt += 1
                return ((UInt64(i) &+ salt &* 1_000_003) &* 2_654_435_761 >> 11) % UInt64(n)
            }
            let f = Int(pick(4))
            var rule = "FREQ=\(freqs[f]);INTERVAL=\(1 + pick(6))"
            if pick(2) == 0 {
                let n = 1 + Int(pick(3))
                let picked = (0..<n).map { _ in
                    (f == 2 && pick(3) == 0 ? (pick(2) == 0 ? "2" : "-1") : "")
                        + days[Int(pick(7))]
                }
                rule += ";BYDAY=" + Set(picked).sorted().joined(separator: ",")
            }
            if f == 2 && pick(3) == 0 { rule += ";BYMONTHDAY=\(1 + pick(28))" }
            if pick(4) == 0 { rule += ";BYHOUR=\(pick(24)),\(pick(24))" }
            if f == 3 && pick(2) == 0 { rule += ";BYMONTH=\(1 + pick(12))" }
            if pick(5) == 0 { rule += ";WKST=SU" }
            if pick(4) == 0 { rule += ";COUNT=\(1 + pick(3_000))" }
            // Monthly and yearly series from before 1626 move by 400-year cycles.
            let year = f >= 2 && pick(3) == 0 ? 1000 + Int(pick(600)) : 1930 + Int(pick(96))
            let start = String(
                format: ";TZID=Europe/Paris:%04d%02d%02dT%02d%02d00", year, 1 + Int(pick(12)),
                1 + Int(pick(28)), Int(pick(24)), Int(pick(4)) * 15)
            let text = event(start, rule)
            let offset = Int64(pick(40)) * 86_400
            let window = (
                day - .seconds(offset), day - .seconds(offset) + .seconds(Int64(1 + pick(20)) * 86_400)
            )
            let (fast, full): ([String], [String])
            do { (fast, full) = try both(text, window: window) } catch { continue }
            #expect(fast == full, "\(rule) from \(start)")
            compared += 1
            found += full.count
        }
        #expect(compared > 50)
        #expect(found > 15)
    }

    @Test func aDailySeriesBegunCenturiesAgoIsReadNotRefused() throws {
        // 82,000 days since 1801: over the expansion bound from its start, a few from the window's.
        let text = event(";TZID=Europe/Paris:18010101T090000", "FREQ=DAILY", end: ";TZID=Europe/Paris:18010101T100000")
        #expect(throws: ImportError.self) {
            try ICSReader.events(in: text, timeZone: "Europe/Paris", window: week, shortcuts: false)
        }
        let events = try ICSReader.events(in: text, window: (day, day + .seconds(2 * 86_400)))
        #expect(utc(events) == ["2026-11-21T08:00:00Z", "2026-11-22T08:00:00Z"])
        #expect(events.map(\.key) == ["s@cantine@20261121T080000Z", "s@cantine@20261122T080000Z"])
        // A COUNT counts from the real start: such a series is not moved, and still refused.
        let counted = event(":18010101T090000", "FREQ=DAILY;COUNT=90000")
        #expect(throws: ImportError.self) { try ICSReader.events(in: counted, window: week) }
    }

    @Test func aStartMovesByWholePeriodsToJustBeforeTheLimit() {
        let limit = Instant(seconds: 1_795_219_200)  // 2026-11-21 (a Saturday)
        func moved(_ start: String, _ rule: String) -> String {
            let t = icaltime_from_string(start)
            return String(
                cString: icaltime_as_ical_string(
                    ICSReader.rebased(t, icalrecurrencetype_from_string(rule), notAfter: limit)))
        }
        #expect(moved("16561223T100000", "FREQ=WEEKLY") == "20261121T100000")  // Saturdays
        #expect(moved("16561223T100000", "FREQ=WEEKLY;INTERVAL=2") == "20261114T100000")
        #expect(moved("19000101T070000", "FREQ=DAILY;INTERVAL=10") == "20261116T070000")
        #expect(moved("19000131T070000", "FREQ=MONTHLY") == "19000131T070000")  // day 31: not moved
        #expect(moved("19000115T070000", "FREQ=MONTHLY;INTERVAL=5") == "20260915T070000")
        #expect(moved("19000115T070000", "FREQ=YEARLY") == "19000115T070000")
        #expect(moved("16561223T100000", "FREQ=WEEKLY;COUNT=3") == "16561223T100000")
        #expect(moved("20261120T100000", "FREQ=DAILY") == "20261121T100000")  // the limit's own day
        #expect(moved("20261125T100000", "FREQ=DAILY") == "20261125T100000")  // after it: not moved
        // Not before 1583: libical's calendar is Julian to October 1582.
        #expect(moved("15800229T100000", "FREQ=WEEKLY") == "15800229T100000")
        #expect(moved("15830108T100000", "FREQ=WEEKLY") == "20261121T100000")
        #expect(moved("19000101T071530", "FREQ=HOURLY;INTERVAL=5") == "19000101T071530")  // not moved
        // Other monthly and yearly series: whole 400-year cycles, to before the limit's month
        // (monthly) or year (yearly).
        #expect(moved("16250513T030000", "FREQ=YEARLY") == "20250513T030000")
        #expect(moved("15850513T030000", "FREQ=YEARLY") == "19850513T030000")
        #expect(moved("09850513T030000", "FREQ=YEARLY") == "09850513T030000")  // a Julian start
        #expect(moved("16261201T030000", "FREQ=YEARLY") == "16261201T030000")  // 2026: not before it
        #expect(moved("15850513T030000", "FREQ=YEARLY;INTERVAL=3") == "15850513T030000")  // 1,200 years
        #expect(moved("16000131T070000", "FREQ=MONTHLY") == "20000131T070000")
        #expect(moved("16000131T070000", "FREQ=MONTHLY;INTERVAL=7") == "16000131T070000")  // 2,800
    }

    @Test func daysAndDatesRoundTripOnTheProlepticGregorianCalendar() {
        #expect(ICSReader.daysFromCivil(1970, 1, 1) == 0)
        #expect(ICSReader.daysFromCivil(2026, 11, 21) == 20_778)
        #expect(ICSReader.daysFromCivil(2000, 3, 1) == 11_017)
        #expect(ICSReader.daysFromCivil(1600, 2, 29) == -135_081)
        for days in stride(from: -800_000, through: 3_000_000, by: 997) {
            let (y, m, d) = ICSReader.civilFromDays(days)
            #expect(ICSReader.daysFromCivil(y, m, d) == days)
        }
    }
}
