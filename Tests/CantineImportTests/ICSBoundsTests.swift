// What keeps a hostile calendar from holding an import for seconds or minutes (found by the
// ICS fuzzer): rules libical would step through for ages are refused in one line, the rest
// are given an UNTIL at the window, and times past libical's cached years are read 400·k
// years earlier — each checked against libical's own reading.

import CICal
import CantineCore
import Testing

@testable import CantineImport

@Suite struct ICSBoundsTests {
    /// 2026-11-21T00:00:00Z and the week from it.
    let day = Instant(seconds: 1_795_219_200)
    var week: (start: Instant, end: Instant) { (day, day + .seconds(7 * 86_400)) }

    func read(_ lines: String) throws(ImportError) -> [CalendarEvent] {
        try ICSReader.events(in: ics("BEGIN:VEVENT\nUID:r\n" + lines + "END:VEVENT\n"), window: week)
    }

    func refusal(_ lines: String) -> String? {
        do {
            _ = try read(lines)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func rulesNoCoworkingCalendarMeansAreRefusedInOneLine() {
        #expect(
            refusal("DTSTART:20261121T100000Z\nRRULE:FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30\n")
                == "line 4: event 'r' repeats FREQ=MINUTELY: the most frequent repeat read is HOURLY (bookings are by the slot)"
        )
        #expect(refusal("DTSTART:20261121T100000Z\nRRULE:FREQ=SECONDLY\n")?.contains("FREQ=SECONDLY") == true)
        #expect(
            refusal("DTSTART;VALUE=DATE:20261122\nRRULE:FREQ=HOURLY;BYMONTH=10;BYDAY=-1SU\n")
                == "line 4: event 'r' is all-day (its DTSTART is a date) but repeats FREQ=HOURLY: give it a time, or repeat it DAILY"
        )
        // COUNT with UNTIL (which `bounded` could make): libical's parser refuses it first.
        #expect(
            refusal("DTSTART:20261121T100000Z\nRRULE:FREQ=DAILY;COUNT=3;UNTIL=20261130T000000Z\n")
                == "line 4: Can't parse as RECUR value in RRULE property: FREQ=DAILY;COUNT=3;UNTIL=20261130T000000Z")
    }

    @Test func aZoneThatChangesMoreThanYearlyIsRefused() throws {
        func zone(_ rule: String) -> String {
            ics(
                "BEGIN:VEVENT\nUID:e\nDTSTART;TZID=Odd:20261121T100000\nEND:VEVENT\n",
                extra: "BEGIN:VTIMEZONE\nTZID:Odd\nBEGIN:STANDARD\nDTSTART:19000101T000000\nTZOFFSETFROM:+0100\n"
                    + "TZOFFSETTO:+0100\nRRULE:\(rule)\nEND:STANDARD\nEND:VTIMEZONE\n")
        }
        // libical would work this zone's changes out hour by hour since 1900: 4.5 s, 130 MB.
        #expect(
            throws: ImportError(
                "time zone 'Odd' changes FREQ=HOURLY: a zone's observances repeat yearly (RRULE:FREQ=YEARLY;...)")
        ) { try ICSReader.events(in: zone("FREQ=HOURLY"), window: week) }
        #expect(throws: ImportError.self) { try ICSReader.events(in: zone("FREQ=MINUTELY"), window: week) }
        // Every RRULE of an observance is checked, whatever its DTSTART.
        let second = zone("FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nRRULE:FREQ=HOURLY")
        #expect(throws: ImportError.self) { try ICSReader.events(in: second, window: week) }
        let unreal = second.replacingOccurrences(of: "DTSTART:19000101T000000", with: "DTSTART:19001345T000000")
        #expect(throws: ImportError.self) { try ICSReader.events(in: unreal, window: week) }
        #expect(throws: ImportError.self) { try ICSReader.events(in: zone("FREQ=DAILY"), window: week) }
        // Yearly, but every day of the year: libical would work out 740,000 changes (1.9 s).
        #expect(
            throws: ImportError(
                "time zone 'Odd' changes more than twice in the first two years of RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU: a zone's observance changes once a year"
            )
        ) { try ICSReader.events(in: zone("FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"), window: week) }
        // Yearly observances as Outlook, Apple and vzic write them are read (UTC+1: 09:00Z).
        for rule in [
            "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
            "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU",
            "FREQ=YEARLY;INTERVAL=2;BYMONTH=4;BYDAY=1SU",
        ] {
            let events = try ICSReader.events(in: zone(rule), window: week)
            #expect(utc(events) == ["2026-11-21T09:00:00Z"], "\(rule)")
        }
    }

    @Test func aCalendarsZonesShareOneBudgetOfChanges() throws {
        // Observances from 1601 (Outlook's): 982 years each to 2583, 21 of them is too many.
        func zones(_ n: Int, from start: String) -> String {
            var extra = ""
            for i in 0..<n {
                extra +=
                    "BEGIN:VTIMEZONE\nTZID:Z\(i)\nBEGIN:STANDARD\nDTSTART:\(start)\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0100\n"
                    + "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\nEND:VTIMEZONE\n"
            }
            return ics("BEGIN:VEVENT\nUID:e\nDTSTART;TZID=Z0:20261121T100000\nEND:VEVENT\n", extra: extra)
        }
        #expect(try ICSReader.events(in: zones(20, from: "16010101T030000"), window: week).count == 1)
        do {
            _ = try ICSReader.events(in: zones(21, from: "16010101T030000"), window: week)
            Issue.record("21 zones from 1601 were read")
        } catch {
            #expect(
                error.message.hasSuffix(
                    "': the calendar's zones hold over 20000 changes from their observances' starts: start them nearer our time (Outlook's start in 1601)"
                ), "\(error.message)")
        }
        #expect(throws: ImportError.self) { try ICSReader.events(in: zones(8, from: "00010101T000000"), window: week) }
    }

    @Test func rulesThatNeverOccurAreRefusedBeforeLibicalSearchesForThem() {
        // libical's monthly and yearly iterators search to 2582 whatever the UNTIL (a monthly
        // 6th Sunday: 0.7 s), its hourly ones step every hour (8 s).
        let refused = [
            ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30", "BYMONTHDAY=30 is in none of its months"),
            ("FREQ=YEARLY;BYMONTH=4,6;BYMONTHDAY=-31", "BYMONTHDAY=-31 is in none of its months"),
            ("FREQ=MONTHLY;BYDAY=6SU", "BYDAY=6… asks for a weekday past the 5th of a month"),
            ("FREQ=YEARLY;BYMONTH=10;BYDAY=21SU", "BYDAY=21… asks for a weekday past the 5th of a month"),
            ("FREQ=YEARLY;BYDAY=-54MO", "BYDAY=-54… asks for a weekday past the 53rd of a year"),
            ("FREQ=HOURLY;BYMONTH=10;BYDAY=-1SU", "a numbered BYDAY (-1) is only for MONTHLY and YEARLY rules"),
            (
                "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=1SU",
                "a numbered BYDAY with BYMONTHDAY, BYYEARDAY or BYWEEKNO: say the day one way"
            ),
            ("FREQ=YEARLY;BYYEARDAY=1,-1;BYMONTH=6", "BYYEARDAY=1 is in none of its months"),
            ("FREQ=YEARLY;BYWEEKNO=53;BYMONTH=6", "BYWEEKNO=53 is in none of its months"),
            ("FREQ=MONTHLY;BYSETPOS=40;BYDAY=SU", "BYSETPOS=40 asks for more than the 5 times a period holds"),
            ("FREQ=MONTHLY;BYSETPOS=-3;BYMONTHDAY=1,15", "BYSETPOS=3 asks for more than the 2 times a period holds"),
        ]
        for (rule, reason) in refused {
            #expect(ICSReader.barren(icalrecurrencetype_from_string(rule)) == reason, "\(rule)")
        }
        #expect(
            refusal("DTSTART:20261121T100000Z\nRRULE:FREQ=MONTHLY;BYDAY=6SU\n")
                == "line 4: event 'r' has an RRULE that never occurs: BYDAY=6… asks for a weekday past the 5th of a month"
        )
        // Rare is not never; and the rules zones and calendars are made of pass.
        for rule in [
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=MONTHLY;BYDAY=5SU", "FREQ=YEARLY;BYWEEKNO=53",
            "FREQ=YEARLY;BYYEARDAY=366", "FREQ=YEARLY;BYYEARDAY=60;BYMONTH=2,3", "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=1",
            "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR",
            "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9,14;BYSETPOS=4", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=-29",
            "FREQ=YEARLY;BYWEEKNO=-9;BYMONTH=10;BYDAY=MO",  // week 44 of a 52-week year
        ] {
            #expect(ICSReader.barren(icalrecurrencetype_from_string(rule)) == nil, "\(rule)")
        }
    }

    @Test func aRuleThatFindsNothingNearTheWindowStopsAfterIt() throws {
        // Hours of 29 February that are Mondays: the next in 2044. libical alone steps every
        // hour to it (a rule that never matched stepped to 2582: 8 s); bounded, it stops two
        // days after the window, having found nothing (libical gives no DTSTART the rule
        // rejects).
        let events = try read("DTSTART:20261121T100000Z\nRRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO\n")
        #expect(events.isEmpty)
        let matching = try read("DTSTART:20261121T100000Z\nRRULE:FREQ=HOURLY;BYMONTH=2,11;BYMONTHDAY=30,21;BYHOUR=10\n")
        #expect(utc(matching) == ["2026-11-21T10:00:00Z"])
        let rule = icalrecurrencetype_from_string("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30")
        let start = icaltime_from_string("20261121T100000Z")
        let (bounded, capped) = ICSReader.bounded(rule, from: start, to: week.end, steps: 100_000)
        #expect(String(cString: icaltime_as_ical_string(bounded.until)) == "20261130T000000Z")
        #expect(!capped)
    }

    @Test func theUntilGivenToLibicalKeepsTheStartsKindAndAnEarlierUntil() {
        func until(_ rule: String, _ start: String, end: Instant) -> (String, Int32, Bool) {
            let (r, capped) = ICSReader.bounded(
                icalrecurrencetype_from_string(rule), from: icaltime_from_string(start), to: end, steps: 100_000)
            return (String(cString: icaltime_as_ical_string(r.until)), r.count, capped)
        }
        // A date for an all-day start, floating fields for a floating one.
        #expect(until("FREQ=DAILY", "20261121", end: week.end) == ("20261130", 0, false))
        #expect(until("FREQ=DAILY", "20261121T100000", end: week.end) == ("20261130T000000", 0, false))
        // An earlier UNTIL is kept, a later one replaced.
        #expect(until("FREQ=DAILY;UNTIL=20261124T000000Z", "20261121T100000Z", end: week.end).0 == "20261124T000000Z")
        #expect(until("FREQ=DAILY;UNTIL=20301124T000000Z", "20261121T100000Z", end: week.end).0 == "20261130T000000Z")
        // COUNT is left to the caller; 100,000 hours from 2010 end before the window.
        #expect(until("FREQ=HOURLY;COUNT=7", "20100101T000000Z", end: week.end) == ("20210529T160000Z", 0, true))
    }

    @Test func aCountedSeriesFromLongAgoIsReadWhenItEndsAndRefusedWhenItCannotBeKnown() throws {
        // Three days in the year 1: counted in three steps, over long before the window.
        #expect(try read("DTSTART:00010101T100000Z\nRRULE:FREQ=DAILY;COUNT=3\n").isEmpty)
        // Three hours in 2010: the same.
        #expect(try read("DTSTART:20100101T100000Z\nRRULE:FREQ=HOURLY;COUNT=3\n").isEmpty)
        // A counted series that finds too few in the calendar's 100,000 steps (274 years of
        // days, a 29 February on a Monday every 28 years or so): whether it reaches the window
        // is not known without stepping further.
        let rare = refusal("DTSTART:10000101T100000Z\nRRULE:FREQ=DAILY;COUNT=20;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO\n")
        #expect(
            rare?.hasPrefix(
                "line 4: event 'r' repeats too rarely to expand (100000 steps of its rule from its DTSTART found ")
                == true, "\(rare ?? "read")")
        #expect(
            rare?.hasSuffix(
                " of its occurrences; a calendar's rules get 100000 in all): move its DTSTART nearer the window")
                == true)
        // Sparse but found within the bound (7,800 hours): three hours on 22 Nov (the
        // DTSTART the rule rejects is not one).
        let sparse = try read("DTSTART:20260101T100000Z\nRRULE:FREQ=HOURLY;COUNT=3;BYMONTH=11;BYMONTHDAY=22\n")
        #expect(utc(sparse) == ["2026-11-22T00:00:00Z", "2026-11-22T01:00:00Z", "2026-11-22T02:00:00Z"])
    }

    @Test func aCalendarsRulesShareOneBudgetOfSteps() throws {
        // Hours from 2016 to the window: about 95,000 steps, read; a second such event gets
        // what is left of the 100,000 and is refused with its line. Eighty events that each
        // took 100,000 steps to find nothing held an import for 8 s before.
        let sparse = "RRULE:FREQ=HOURLY;COUNT=2;BYMONTH=11;BYMONTHDAY=22;BYHOUR=9,10\nDTSTART:20100101T100000Z\n"
        let one = try ICSReader.events(in: ics("BEGIN:VEVENT\nUID:a\n" + sparse + "END:VEVENT\n"), window: week)
        #expect(utc(one).isEmpty)  // 2010's two hours: long before the window, found
        let late = "RRULE:FREQ=HOURLY;COUNT=40;BYMONTH=11;BYMONTHDAY=22;BYHOUR=9,10\nDTSTART:20160101T100000Z\n"
        let once = try ICSReader.events(in: ics("BEGIN:VEVENT\nUID:a\n" + late + "END:VEVENT\n"), window: week)
        #expect(utc(once) == ["2026-11-22T09:00:00Z", "2026-11-22T10:00:00Z"])
        do {
            _ = try ICSReader.events(
                in: ics("BEGIN:VEVENT\nUID:a\n" + late + "END:VEVENT\nBEGIN:VEVENT\nUID:b\n" + late + "END:VEVENT\n"),
                window: week)
            Issue.record("two events of 95,000 steps each were expanded")
        } catch {
            #expect(error.message.hasPrefix("line 9: event 'b' repeats too rarely to expand ("), "\(error.message)")
        }
    }

    @Test func aCalendarsSeriesShareOneBudgetOfOccurrences() throws {
        // A counted daily series from 1999 expands to 10,200 occurrences before the window:
        // read alone; the second of two goes over the calendar's 20,000 and is refused.
        let counted = "DTSTART:19990101T100000Z\nRRULE:FREQ=DAILY;COUNT=40000\n"
        let one = try ICSReader.events(in: ics("BEGIN:VEVENT\nUID:a\n" + counted + "END:VEVENT\n"), window: week)
        #expect(one.count == 7)
        #expect(
            throws: ImportError(
                "line 9: event 'b' repeats too often to expand (the calendar's series reach over 20000 occurrences from their starts to the end of the window)"
            )
        ) {
            try ICSReader.events(
                in: ics(
                    "BEGIN:VEVENT\nUID:a\n" + counted + "END:VEVENT\nBEGIN:VEVENT\nUID:b\n" + counted + "END:VEVENT\n"),
                window: week)
        }
    }

    @Test func aTimeAfterTheYear2582IsReadWithItsZonesSummerTime() {
        // libical works a zone's transitions out again on every call past 2582 (9 ms each)
        // and gives the standard offset there; read 400·k years earlier and moved back, a
        // time keeps its season's offset.
        func offsetHours(_ text: String, _ zoneName: String) -> Int64 {
            let t = icaltime_from_string(text)
            let fields = Int64(icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone()))
            return (fields - ICSReader.seconds(t, in: icaltimezone_get_builtin_timezone(zoneName))) / 3_600
        }
        #expect(offsetHours("26000115T120000", "Europe/Paris") == 1)
        #expect(offsetHours("26000715T120000", "Europe/Paris") == 2)
        #expect(offsetHours("28261124T150000", "Europe/Paris") == 1)
        #expect(offsetHours("99990715T120000", "Europe/Paris") == 2)
        #expect(offsetHours("99991231T235959", "Europe/Paris") == 1)
        #expect(offsetHours("28260115T120000", "America/New_York") == -5)
        #expect(offsetHours("28260715T120000", "America/New_York") == -4)
        #expect(offsetHours("28260115T120000", "Australia/Sydney") == 11)
        #expect(offsetHours("28260715T120000", "Australia/Sydney") == 10)
        // Where libical has the transitions (to 2582), moved and unmoved readings agree to
        // the second, on both sides of a change.
        for zoneName in ["Europe/Paris", "America/New_York", "Australia/Sydney"] {
            let zone = icaltimezone_get_builtin_timezone(zoneName)
            for text in ["25010115T120000", "25010715T120000", "25820328T023000", "25821031T023000", "25821231T235959"]
            {
                let t = icaltime_from_string(text)
                #expect(ICSReader.seconds(t, in: zone) == Int64(icaltime_as_timet_with_zone(t, zone)), "\(text)")
            }
        }
        // Within the cached years nothing moves.
        let t = icaltime_from_string("20261121T100000")
        #expect(ICSReader.seconds(t, in: icaltimezone_get_builtin_timezone("Europe/Paris")) == 1_795_251_600)
    }
}

@Suite struct ICSFarOffsetTests {
    /// 2026-11-21T00:00:00Z and the week from it.
    let day = Instant(seconds: 1_795_219_200)

    @Test func aZoneOfExtremeOffsetLosesNoOccurrenceToTheShortcuts() throws {
        // Offsets as written go to 99:59: the shortcuts' margins (five days) must cover them.
        for offset in ["+9959", "-9959", "+1400", "-1200"] {
            let text = ics(
                "BEGIN:VEVENT\nUID:far\nDTSTART;TZID=Far:20200101T100000\nDTEND;TZID=Far:20200101T110000\n"
                    + "RRULE:FREQ=DAILY\nEND:VEVENT\n",
                extra: "BEGIN:VTIMEZONE\nTZID:Far\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:\(offset)\n"
                    + "TZOFFSETTO:\(offset)\nEND:STANDARD\nEND:VTIMEZONE\n")
            for window in [(day, day + .seconds(86_400)), (day, day + .seconds(3 * 86_400))] {
                let fast = try ICSReader.events(in: text, timeZone: "Europe/Paris", window: window, shortcuts: true)
                let full = try ICSReader.events(in: text, timeZone: "Europe/Paris", window: window, shortcuts: false)
                #expect(fast.map(\.key) == full.map(\.key), "\(offset)")
                #expect(!full.isEmpty, "\(offset)")
            }
        }
    }
}
