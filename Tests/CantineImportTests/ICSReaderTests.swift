// iCalendar through the real libical: events with zones, floating times, and bad input.

import CantineCore
import CantineImport
import Testing

@Suite struct ICSReaderTests {
    let calendar = """
        BEGIN:VCALENDAR
        VERSION:2.0
        PRODID:-//La Cantine//Barcamp//FR
        BEGIN:VEVENT
        UID:open-data@cantine
        SUMMARY:Open data et vin
        LOCATION:Grande salle
        DTSTART:20261121T130000Z
        DTEND:20261121T134500Z
        END:VEVENT
        BEGIN:VEVENT
        UID:floating@cantine
        SUMMARY:Déjeuner
        DTSTART:20261121T123000
        END:VEVENT
        END:VCALENDAR
        """

    @Test func readsEventsWithUTCAndFloatingTimes() throws {
        let events = try ICSReader.events(in: calendar, timeZone: "Europe/Paris")
        #expect(events.count == 2)
        #expect(events[0].uid == "open-data@cantine")
        #expect(events[0].summary == "Open data et vin")
        #expect(events[0].location == "Grande salle")
        #expect(events[0].start.description == "2026-11-21T13:00:00Z")
        #expect(events[0].end?.description == "2026-11-21T13:45:00Z")
        // A floating 12:30 is read in the site's zone (CET, UTC+1).
        #expect(events[1].start.description == "2026-11-21T11:30:00Z")
        // No DTEND nor DURATION: RFC 5545 says the event ends when it starts.
        #expect(events[1].end == events[1].start)
        #expect(events[1].summary == "Déjeuner")
    }

    @Test func refusesTextThatIsNotACalendar() {
        #expect(throws: ImportError.self) { try ICSReader.events(in: "hello") }
        #expect(throws: ImportError("event 1 has no DTSTART: every VEVENT needs a start")) {
            try ICSReader.events(
                in: "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n")
        }
    }
}
