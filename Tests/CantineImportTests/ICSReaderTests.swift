// iCalendar through the real libical: zones, floating times, recurrences checked against
// known dates (DST weekends included), all-day events, overrides, and bad input.

import CantineCore
import CantineImport
import Testing

/// An iCalendar file from its event lines (CRLF as RFC 5545 asks).
func ics(_ body: String, extra: String = "") -> String {
    ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//La Cantine//Tests//FR\n" + extra + body + "END:VCALENDAR\n")
        .replacingOccurrences(of: "\n", with: "\r\n")
}

func utc(_ events: [CalendarEvent]) -> [String] { events.map(\.start.description) }

@Suite struct ICSReaderTests {
    @Test func readsEventsWithUTCAndFloatingTimes() throws {
        let text = ics(
            """
            BEGIN:VEVENT
            UID:open-data@cantine
            SUMMARY:Open data et vin
            LOCATION:Grande salle
            DESCRIPTION:Apportez vos jeux de données
            CATEGORIES:barcamp,data
            ORGANIZER;CN=Anne:mailto:anne@example.org
            DTSTART:20261121T130000Z
            DTEND:20261121T134500Z
            END:VEVENT
            BEGIN:VEVENT
            UID:floating@cantine
            SUMMARY:Déjeuner
            DTSTART:20261121T123000
            DURATION:PT1H
            END:VEVENT

            """)
        let events = try ICSReader.events(in: text, timeZone: "Europe/Paris")
        #expect(events.count == 2)
        #expect(events[0].key == "open-data@cantine")
        #expect(events[0].summary == "Open data et vin")
        #expect(events[0].location == "Grande salle")
        #expect(events[0].description == "Apportez vos jeux de données")
        #expect(events[0].categories == ["barcamp", "data"])
        #expect(events[0].organizer == "anne@example.org")
        #expect(events[0].start.description == "2026-11-21T13:00:00Z")
        #expect(events[0].end.description == "2026-11-21T13:45:00Z")
        #expect(events[0].line == 4)
        // A floating 12:30 is read in the site's zone (CET, UTC+1); DURATION gives the end.
        #expect(events[1].start.description == "2026-11-21T11:30:00Z")
        #expect(events[1].end.description == "2026-11-21T12:30:00Z")
        #expect(events[1].line == 14)
    }

    @Test func aWeeklyEventKeepsItsLocalTimeAcrossTheSpringDSTChange() throws {
        // Tuesdays 10:00 Paris from 17 March 2026; summer time starts Sunday 29 March.
        // One occurrence excluded (EXDATE), one moved to 14:00 (RECURRENCE-ID).
        let text = ics(
            """
            BEGIN:VEVENT
            UID:coworking-breakfast
            SUMMARY:Petit-déjeuner
            DTSTART;TZID=Europe/Paris:20260317T100000
            DTEND;TZID=Europe/Paris:20260317T110000
            RRULE:FREQ=WEEKLY;COUNT=5
            EXDATE;TZID=Europe/Paris:20260324T100000
            END:VEVENT
            BEGIN:VEVENT
            UID:coworking-breakfast
            RECURRENCE-ID;TZID=Europe/Paris:20260407T100000
            SUMMARY:Petit-déjeuner (décalé)
            DTSTART;TZID=Europe/Paris:20260407T140000
            DTEND;TZID=Europe/Paris:20260407T150000
            END:VEVENT

            """)
        let events = try ICSReader.events(in: text).sorted { $0.start < $1.start }
        #expect(
            utc(events) == [
                "2026-03-17T09:00:00Z",  // CET
                "2026-03-31T08:00:00Z",  // CEST: still 10:00 in Paris
                "2026-04-07T12:00:00Z",  // moved to 14:00
                "2026-04-14T08:00:00Z",
            ])
        #expect(events.map { ($0.end - $0.start).seconds } == [3600, 3600, 3600, 3600])
        #expect(events[2].summary == "Petit-déjeuner (décalé)")
        // The override carries the key of the occurrence it replaces: a re-import matches it.
        #expect(events[2].key == "coworking-breakfast@20260407T080000Z")
        #expect(events[1].key == "coworking-breakfast@20260331T080000Z")
    }

    @Test func lastSundayOfTheMonthMatchesKnownDatesAndTheAutumnChange() throws {
        // 18:00 Paris on the last Sunday of each month of 2026: 25 Jan, 22 Feb, 29 Mar (the
        // spring change itself), …, 25 Oct (the autumn change), 29 Nov, 27 Dec.
        let text = ics(
            """
            BEGIN:VEVENT
            UID:apero
            SUMMARY:Apéro du réseau
            DTSTART;TZID=Europe/Paris:20260125T180000
            DURATION:PT2H
            RRULE:FREQ=MONTHLY;BYDAY=-1SU;UNTIL=20261231T235959Z
            END:VEVENT

            """)
        let events = try ICSReader.events(in: text)
        #expect(
            utc(events) == [
                "2026-01-25T17:00:00Z", "2026-02-22T17:00:00Z", "2026-03-29T16:00:00Z", "2026-04-26T16:00:00Z",
                "2026-05-31T16:00:00Z", "2026-06-28T16:00:00Z", "2026-07-26T16:00:00Z", "2026-08-30T16:00:00Z",
                "2026-09-27T16:00:00Z", "2026-10-25T17:00:00Z", "2026-11-29T17:00:00Z", "2026-12-27T17:00:00Z",
            ])
    }

    @Test func anAllDayEventCoversWholeLocalDaysEvenOnTheLongDay() throws {
        let text = ics(
            """
            BEGIN:VEVENT
            UID:barcamp
            SUMMARY:Barcamp
            DTSTART;VALUE=DATE:20261024
            DTEND;VALUE=DATE:20261026
            END:VEVENT
            BEGIN:VEVENT
            UID:closed
            SUMMARY:Fermé
            DTSTART;VALUE=DATE:20261225
            END:VEVENT

            """)
        let events = try ICSReader.events(in: text)
        #expect(events.allSatisfy { $0.allDay })
        // 24 Oct 00:00 CEST to 26 Oct 00:00 CET: 49 hours, the clocks go back on the 25th.
        #expect(events[0].start.description == "2026-10-23T22:00:00Z")
        #expect(events[0].end.description == "2026-10-25T23:00:00Z")
        // No DTEND: one day.
        #expect(events[1].start.description == "2026-12-24T23:00:00Z")
        #expect(events[1].end.description == "2026-12-25T23:00:00Z")
    }

    @Test func aCustomVTIMEZONEIsHonoured() throws {
        // Outlook names its zones; the VTIMEZONE in the file defines them.
        let zone = """
            BEGIN:VTIMEZONE
            TZID:Romance Standard Time
            BEGIN:STANDARD
            DTSTART:16010101T030000
            TZOFFSETFROM:+0200
            TZOFFSETTO:+0100
            RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
            END:STANDARD
            BEGIN:DAYLIGHT
            DTSTART:16010101T020000
            TZOFFSETFROM:+0100
            TZOFFSETTO:+0200
            RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
            END:DAYLIGHT
            END:VTIMEZONE

            """
        let text = ics(
            """
            BEGIN:VEVENT
            UID:outlook-1
            SUMMARY:Comité
            DTSTART;TZID=Romance Standard Time:20260701T093000
            DTEND;TZID=Romance Standard Time:20260701T103000
            END:VEVENT

            """, extra: zone)
        let events = try ICSReader.events(in: text, timeZone: "UTC")
        #expect(utc(events) == ["2026-07-01T07:30:00Z"])
    }

    @Test func theWindowBoundsAnEndlessSeriesAndCancelledEventsAreLeftOut() throws {
        let text = ics(
            """
            BEGIN:VEVENT
            UID:daily
            SUMMARY:Stand-up
            DTSTART:20261116T090000Z
            DTEND:20261116T091500Z
            RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR
            END:VEVENT
            BEGIN:VEVENT
            UID:gone
            STATUS:CANCELLED
            SUMMARY:Annulé
            DTSTART:20261120T090000Z
            END:VEVENT

            """)
        let from = Instant(seconds: 1_795_219_200)  // 2026-11-21T00:00Z
        let events = try ICSReader.events(in: text, window: (from, from + .seconds(7 * 86_400)))
        #expect(from.description == "2026-11-21T00:00:00Z")
        #expect(
            utc(events) == [
                "2026-11-23T09:00:00Z", "2026-11-24T09:00:00Z", "2026-11-25T09:00:00Z", "2026-11-26T09:00:00Z",
                "2026-11-27T09:00:00Z",
            ])
    }

    /// libical would print its own line to stderr for these (an END at level 0); the reader
    /// refuses them first, naming the physical line (folded lines counted, CR-only files too).
    @Test func anEndThatClosesNothingIsRefusedWithItsLine() throws {
        let event = "BEGIN:VEVENT\nUID:x\nDTSTART:20261121T100000Z\nDESCRIPTION:a long\n  folded\n\tline\nEND:VEVENT\n"
        let stray = { (line: Int, text: String) in
            ImportError(
                "line \(line): '\(text)' ends a component that never began: every END needs its BEGIN before it")
        }
        #expect(throws: stray(1, "END:VEVENT")) { try ICSReader.events(in: "END:VEVENT\r\n" + ics(event)) }
        // After the calendar, a doubled END (any case, blanks before the colon): line 12.
        #expect(throws: stray(12, "end \t:VCALENDAR")) { try ICSReader.events(in: ics(event) + "end \t:VCALENDAR\r\n") }
        let crOnly = (ics(event) + "End;X=1:VCALENDAR").replacingOccurrences(of: "\r\n", with: "\r")
        #expect(throws: stray(12, "End;X=1:VCALENDAR")) { try ICSReader.events(in: crOnly) }
        // Names that only contain END are properties; the file reads.
        let fine = ics(
            "BEGIN:VEVENT\nUID:y\nSUMMARY:END:of the day\nX-END:1\nDTSTART:20261121T100000Z\nEND:VEVENT\n")
        #expect(try ICSReader.events(in: fine).map(\.summary) == ["END:of the day"])
        // Two calendars one after the other are not one calendar.
        #expect(throws: ImportError("not an iCalendar file: the top component is not one VCALENDAR")) {
            try ICSReader.events(in: ics(event) + ics(event))
        }
        #expect(throws: ImportError("not an iCalendar file: expected BEGIN:VCALENDAR … END:VCALENDAR")) {
            try ICSReader.events(in: "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n")
        }
    }

    @Test func badInputGetsOneLineNamingWhereAndWhat() throws {
        #expect(throws: ImportError("not an iCalendar file: expected BEGIN:VCALENDAR … END:VCALENDAR")) {
            try ICSReader.events(in: "hello")
        }
        #expect(throws: ImportError("line 4: event 'x' has no DTSTART: every VEVENT needs a start")) {
            try ICSReader.events(in: ics("BEGIN:VEVENT\nUID:x\nSUMMARY:x\nEND:VEVENT\n"))
        }
        #expect(
            throws: ImportError("line 4: the event has no UID; a UID is what makes re-imports update it")
        ) {
            try ICSReader.events(in: ics("BEGIN:VEVENT\nDTSTART:20261121T100000Z\nEND:VEVENT\n"))
        }
        #expect(throws: ImportError("line 4: event 'x' ends before it starts")) {
            try ICSReader.events(
                in: ics("BEGIN:VEVENT\nUID:x\nDTSTART:20261121T100000Z\nDTEND:20261121T090000Z\nEND:VEVENT\n"))
        }
        // A value libical cannot read: its own words, with the event's line.
        do {
            _ = try ICSReader.events(
                in: ics(
                    "BEGIN:VEVENT\nUID:y\nDTSTART:20261121T100000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:x\nDTSTART:2026-13-45\nEND:VEVENT\n"
                ))
            Issue.record("a bad DTSTART was accepted")
        } catch {
            #expect(error.message.hasPrefix("line 8: "), "\(error.message)")
        }
        #expect(throws: ImportError("line 4: Can't parse as RECUR value in RRULE property: FREQ=FOO")) {
            try ICSReader.events(in: ics("BEGIN:VEVENT\nUID:r\nDTSTART:20261121T100000Z\nRRULE:FREQ=FOO\nEND:VEVENT\n"))
        }
        // An event of centuries (a typo in DTEND) is refused, not overlapped by every occurrence.
        #expect(
            throws: ImportError(
                "line 4: event 'long' lasts 146097 days (at most 366): check its DTEND or DURATION")
        ) {
            try ICSReader.events(
                in: ics(
                    "BEGIN:VEVENT\nUID:long\nDTSTART:16261121T100000Z\nDTEND:20261121T100000Z\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n"
                ))
        }
        // A year is read: a weekly event of a year overlaps a week's window 53 times, no more.
        let year = try ICSReader.events(
            in: ics(
                "BEGIN:VEVENT\nUID:year\nDTSTART:19001121T100000Z\nDTEND:19011121T100000Z\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n"
            ),
            window: (Instant(seconds: 1_795_219_200), Instant(seconds: 1_795_219_200 + 7 * 86_400)))
        #expect(year.count == 53)
        // More occurrences in the window than an import takes: refused, and told how to narrow it.
        let day = Instant(seconds: 1_795_219_200)
        #expect(
            throws: ImportError(
                "line 4: event 'h' has over 5000 occurrences in the window: shorten the window with --days")
        ) {
            try ICSReader.events(
                in: ics("BEGIN:VEVENT\nUID:h\nDTSTART:20261121T000000Z\nRRULE:FREQ=HOURLY\nEND:VEVENT\n"),
                window: (day, day + .seconds(365 * 86_400)))
        }
        // A counted series is expanded from its start: more than an import expands, refused.
        do {
            _ = try ICSReader.events(
                in: ics("BEGIN:VEVENT\nUID:c\nDTSTART:20200101T100000Z\nRRULE:FREQ=HOURLY;COUNT=60000\nEND:VEVENT\n"))
            Issue.record("a long counted series was expanded")
        } catch {
            #expect(error.message.contains("repeats too often"), "\(error.message)")
        }
    }
}
