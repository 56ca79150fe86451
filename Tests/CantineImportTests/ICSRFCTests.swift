// RFC 5545's finer points as a calendar client writes them, against the table of
// Tests/Fixtures/ics/expected.md (worked out from the RFC and checked against python's
// recurring-ical-events): RANGE=THISANDFUTURE, nominal durations of days and weeks across
// both DST changes, and EXDATE;VALUE=DATE on a timed series.

import CantineCore
import Foundation
import Testing

@testable import CantineImport

@Suite struct ICSRFCTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/ics")

    /// `uid start end` rows of the expected table.
    static func expected() throws -> [String] {
        let table = try String(contentsOf: fixtures.appendingPathComponent("expected.md"), encoding: .utf8)
        return table.split(separator: "\n").compactMap { line -> String? in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count > 4, cells[2].first?.isNumber == true else { return nil }
            return "\(cells[1]) \(cells[2]) \(cells[3])"
        }
    }

    @Test func occurrencesAreTheRFCs() throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("rfc-cases.ics"), encoding: .utf8)
        let calendar = SiteCalendar.cached("Europe/Paris")
        for shortcuts in [true, false] {
            let events = try ICSReader.events(in: text, timeZone: "Europe/Paris", window: nil, shortcuts: shortcuts)
            let rows = events.sorted { ($0.start, $0.uid) < ($1.start, $1.uid) }.map {
                "\($0.uid.split(separator: "@")[0]) \(calendar.text($0.start)) \(calendar.text($0.end))"
            }
            #expect(rows.sorted() == (try Self.expected()).sorted(), "shortcuts: \(shortcuts)")
        }
        let moved = try ICSReader.events(in: text, timeZone: "Europe/Paris").filter { $0.uid == "comite@cantine" }
            .sorted { $0.start < $1.start }
        #expect(
            moved.map(\.summary) == ["Comité", "Comité (après-midi)", "Comité (après-midi)", "Comité (après-midi)"])
        // Each occurrence keeps its original identity: a re-import updates, never duplicates.
        #expect(moved.map(\.key).last == "comite@cantine@20270202T090000Z")
    }

    /// A series moved a week later from its third occurrence: read over a window that starts
    /// after the move, the occurrence moved into it from before it is there (the reader's
    /// shortcuts look that much further out).
    @Test func aMoveIntoTheWindowFromBeforeItIsKept() throws {
        let text = ics(
            """
            BEGIN:VEVENT
            UID:m@cantine
            SUMMARY:Atelier
            DTSTART;TZID=Europe/Paris:20270105T100000
            DTEND;TZID=Europe/Paris:20270105T110000
            RRULE:FREQ=WEEKLY;COUNT=8
            END:VEVENT
            BEGIN:VEVENT
            UID:m@cantine
            RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Paris:20270119T100000
            SUMMARY:Atelier (décalé)
            DTSTART;TZID=Europe/Paris:20270126T100000
            DTEND;TZID=Europe/Paris:20270126T110000
            END:VEVENT

            """)
        let calendar = SiteCalendar.cached("Europe/Paris")
        let window = (
            calendar.instant(LocalDate("2027-02-01")!, hour: 0), calendar.instant(LocalDate("2027-02-15")!, hour: 0)
        )
        for shortcuts in [true, false] {
            let events = try ICSReader.events(in: text, timeZone: "Europe/Paris", window: window, shortcuts: shortcuts)
                .sorted { $0.start < $1.start }
            #expect(events.map { calendar.text($0.start) } == ["2027-02-02 10:00", "2027-02-09 10:00"], "\(shortcuts)")
            #expect(events.map(\.key) == ["m@cantine@20270126T090000Z", "m@cantine@20270202T090000Z"])
        }
    }
}
