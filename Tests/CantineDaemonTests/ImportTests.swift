// Calendar and schedule imports through the daemon's operations, on a real SQLite file:
// dry runs change nothing, re-imports are idempotent and update/cancel by UID, a refused
// item refuses the whole import with nothing stored; exports read back the same program.

import CantineCore
import CantineImport
import CantineSite
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineDaemon
@testable import CantineStore

/// A weekly committee in the meeting room (organised by Ada) and an evening event.
func committeeFeed(count: Int = 3, aperoStart: String = "183000", aperoTitle: String = "Apéro du réseau") -> String {
    """
    BEGIN:VCALENDAR
    VERSION:2.0
    PRODID:-//La Cantine//Tests//FR
    BEGIN:VEVENT
    UID:committee
    SUMMARY:Comité
    LOCATION:Salle de réunion
    ORGANIZER;CN=Ada:mailto:ADA@example.org
    DTSTART;TZID=Europe/Paris:20261123T100000
    DTEND;TZID=Europe/Paris:20261123T120000
    RRULE:FREQ=WEEKLY;COUNT=\(count)
    END:VEVENT
    BEGIN:VEVENT
    UID:apero
    SUMMARY:\(aperoTitle)
    LOCATION:grande-salle
    ORGANIZER:mailto:ada@example.org
    DTSTART;TZID=Europe/Paris:20261124T\(aperoStart)
    DTEND;TZID=Europe/Paris:20261124T203000
    END:VEVENT
    END:VCALENDAR

    """.replacingOccurrences(of: "\n", with: "\r\n")
}

@Suite struct ImportTests {
    func site() async throws -> (TestSite, Site) {
        let site = try TestSite()
        let runtime = try site.open()
        _ = try await runtime.perform(
            .addMember(id: "m-ada", name: "Ada Lovelace", email: "ada@example.org"), source: "test")
        _ = try await runtime.perform(
            .grantPlan(member: "m-ada", kind: .residentMonthly, from: "today", days: 1), source: "test")
        return (site, runtime)
    }

    func importICS(
        _ runtime: Site, _ text: String, as target: CalendarTarget = .sessions, feed: String = "cal",
        dryRun: Bool = false
    ) async throws -> OperationResult {
        try await runtime.perform(
            .importCalendar(
                text: text, feed: feed, target: target, member: nil, from: "today", days: 60, dryRun: dryRun),
            source: "test")
    }

    func sessionRecords(_ runtime: Site) throws -> [SessionRecord] {
        try runtime.store.read { db in try SessionRecord.order(Column("start_us")).fetchAll(db) }
    }

    @Test func aDryRunSaysWhatWouldChangeAndChangesNothing() async throws {
        let (_, runtime) = try await site()
        let before = runtime.engine.lastSeq
        let result = try await importICS(runtime, committeeFeed(), dryRun: true)
        #expect(result.message.hasPrefix("dry run, nothing changed — feed 'cal': 4 to add, 0 to update"))
        #expect(result.message.contains("+ add session 'Comité' salle-1 2026-11-30 10:00–12:00 (line 4)"))
        #expect(runtime.engine.lastSeq == before)
        #expect(runtime.engine.read { $0.sessions.isEmpty })
        #expect(try sessionRecords(runtime).isEmpty)
    }

    @Test func reImportingIsIdempotentThenUpdatesAndCancelsByUID() async throws {
        let (_, runtime) = try await site()
        let first = try await importICS(runtime, committeeFeed())
        #expect(first.message.hasPrefix("imported — feed 'cal': 4 added, 0 updated, 0 cancelled, 0 unchanged"))
        let ids = runtime.engine.read { Set($0.sessions.keys) }
        #expect(ids.count == 4)
        #expect(try sessionRecords(runtime).count == 4)

        let seq = runtime.engine.lastSeq
        let again = try await importICS(runtime, committeeFeed())
        #expect(
            again.message.hasPrefix("nothing to change — feed 'cal': 0 to add, 0 to update, 0 to cancel, 4 unchanged"))
        #expect(runtime.engine.lastSeq == seq)

        // The series loses its last week; the apéro moves to 19:00 and is renamed.
        let changed = try await importICS(runtime, committeeFeed(count: 2, aperoStart: "190000", aperoTitle: "Apéro"))
        #expect(changed.message.hasPrefix("imported — feed 'cal': 0 added, 1 updated, 1 cancelled, 2 unchanged"))
        let sessions = runtime.engine.read { $0.sessions.values.sorted { $0.start < $1.start } }
        #expect(sessions.map(\.title) == ["Comité", "Apéro", "Comité"])
        #expect(Set(sessions.map(\.id)).isSubset(of: ids))  // same ids: updated in place
        let apero = try #require(sessions.first { $0.title == "Apéro" })
        #expect(runtime.calendar.text(apero.start) == "2026-11-24 19:00")
        #expect(try sessionRecords(runtime).map(\.title) == ["Comité", "Apéro", "Comité"])
        // Another feed's items are not touched by this one's re-import.
        let elsewhere = committeeFeed(count: 1).replacingOccurrences(of: "Salle de réunion", with: "Mezzanine")
            .replacingOccurrences(of: "grande-salle", with: "mezzanine")
        _ = try await importICS(runtime, elsewhere, feed: "other")
        _ = try await importICS(runtime, committeeFeed(count: 2, aperoStart: "190000", aperoTitle: "Apéro"))
        #expect(runtime.engine.read { $0.sessions.count } == 5)
    }

    @Test func roomBookingsComeFromTheOrganizerAndAConflictRefusesTheWholeImport() async throws {
        let (_, runtime) = try await site()
        // Someone booked the meeting room on the 30th by hand.
        _ = try await runtime.perform(
            .bookRoom(
                member: "m-ada", room: "salle-1", date: "2026-11-30", start: "11:00", end: "12:00", id: "bk-hand"),
            source: "test")
        let seq = runtime.engine.lastSeq
        await #expect(
            throws: CommandError(
                .conflict,
                "line 4: room salle-1 is already booked from 2026-11-30 11:00 to 2026-11-30 12:00 (booking 'bk-hand'); nothing was changed"
            )
        ) { try await importICS(runtime, committeeFeed(), as: .bookings) }
        #expect(runtime.engine.lastSeq == seq)
        #expect(runtime.engine.read { $0.bookings.count } == 1)
        #expect(try runtime.store.read { db in try BookingRecord.fetchCount(db) } == 1)

        _ = try await runtime.perform(.cancelBooking(id: "bk-hand"), source: "test")
        let done = try await importICS(runtime, committeeFeed(), as: .bookings)
        #expect(done.message.hasPrefix("imported — feed 'cal': 4 added"))
        let imported = runtime.engine.read { $0.bookings.values.filter { $0.origin != nil } }
        #expect(imported.count == 4)
        #expect(imported.allSatisfy { $0.member == "m-ada" && $0.status == .booked })
        #expect(Set(imported.map(\.resource)) == [.room("salle-1"), .room("grande-salle")])
        let records = try runtime.store.read { db in try BookingRecord.filter(Column("id").like("imp-%")).fetchAll(db) }
        #expect(records.count == 4)

        // Dropping an occurrence cancels its booking (record too); the others stay.
        _ = try await importICS(runtime, committeeFeed(count: 2), as: .bookings)
        let statuses = runtime.engine.read { $0.bookings.values.filter { $0.origin != nil }.map(\.status) }
        #expect(statuses.sorted { $0.rawValue < $1.rawValue } == [.booked, .booked, .booked, .cancelled])
        #expect(
            try runtime.store.read { db in try BookingRecord.filter(Column("status") == "cancelled").fetchCount(db) }
                == 2)
    }

    @Test func anUnknownRoomOrMemberOrMalformedFileImportsNothing() async throws {
        let (_, runtime) = try await site()
        let seq = runtime.engine.lastSeq
        await #expect(
            throws: CommandError(
                "1 event's LOCATION is not a room of the site: line 13 'Cave'; give the room an alias (aliases = [\"…\"] in [[rooms]]), or import with --unmatched skip or --unmatched site; nothing was imported"
            )
        ) {
            try await importICS(
                runtime, committeeFeed().replacingOccurrences(of: "LOCATION:grande-salle", with: "LOCATION:Cave"))
        }
        await #expect(
            throws: CommandError(
                "line 4: no member for 'Comité': give --member or an ORGANIZER whose email is a member's; nothing was imported"
            )
        ) {
            try await importICS(
                runtime, committeeFeed().replacingOccurrences(of: "ADA@example.org", with: "eve@example.org"),
                as: .bookings)
        }
        await #expect(
            throws: CommandError(
                "not an iCalendar file: expected BEGIN:VCALENDAR … END:VCALENDAR; nothing was imported")
        ) {
            try await importICS(runtime, "{\"schedule\": {}}")
        }
        await #expect(throws: CommandError("feed name 'Bad Feed' is not valid: use 1–64 of a-z 0-9 - _ (--feed)")) {
            try await importICS(runtime, committeeFeed(), feed: "Bad Feed")
        }
        #expect(runtime.engine.lastSeq == seq)
        #expect(try sessionRecords(runtime).isEmpty)
    }

    @Test func aPretalxScheduleImportsAndTheProgramExportsBack() async throws {
        let (_, runtime) = try await site()
        let json = try String(contentsOf: fixture("pretalx-schedule.json"), encoding: .utf8)
        let result = try await runtime.perform(
            .importSchedule(text: json, feed: "barcamp", dryRun: false), source: "test")
        #expect(result.message.hasPrefix("imported — feed 'barcamp': 3 added"))
        let sessions = runtime.engine.read { $0.sessions.values.sorted { ($0.start, $0.title) < ($1.start, $1.title) } }
        #expect(sessions.map(\.title) == ["Ouverture", "Open data et vin", "Atelier soudure"])
        #expect(sessions.map(\.kind) == [.talk, .talk, .workshop])
        #expect(sessions[1].speakers == ["Camille", "Dominique"])
        #expect(sessions[1].room == "salle-1")
        #expect(runtime.calendar.text(sessions[1].start) == "2026-11-21 11:00")
        #expect(runtime.calendar.text(sessions[1].end) == "2026-11-21 11:45")
        let again = try await runtime.perform(
            .importSchedule(text: json, feed: "barcamp", dryRun: false), source: "test")
        #expect(again.message.hasPrefix("nothing to change"))

        // Export as frab JSON: read back, the same talks at the same times in the same rooms.
        let site = FrabSchedule.Site(
            id: "cantine", name: "La Cantine", timeZone: "Europe/Paris",
            rooms: runtime.settings.layout.rooms.map { ($0.id.rawValue, $0.name) }, language: "fr")
        let exported = FrabSchedule.export(sessions, date: LocalDate("2026-11-21")!, site: site)
        let talks = try FrabSchedule.talks(in: exported)
        #expect(talks.map(\.title) == ["Ouverture", "Open data et vin", "Atelier soudure"])
        #expect(talks.map(\.start) == sessions.map(\.start))
        #expect(talks.map(\.end) == sessions.map(\.end))
        #expect(talks.map(\.room) == ["Grande salle", "Salle de réunion", "Mezzanine"])
        #expect(talks[1].persons == ["Camille", "Dominique"])
        // … and as iCalendar, read back by libical.
        let ics = ICSWriter.calendar(sessions, site: site, stamp: runtime.engine.now)
        let events = try ICSReader.events(in: ics)
        #expect(events.map(\.summary) == ["Ouverture", "Open data et vin", "Atelier soudure"])
        #expect(events.map(\.start) == sessions.map(\.start))
        #expect(events[1].location == "Salle de réunion")
        #expect(events[1].key == "\(sessions[1].id)@cantine.cantine")
    }

    @Test func malformedSchedulesNameTheJSONPath() async throws {
        let (_, runtime) = try await site()
        let json = try String(contentsOf: fixture("pretalx-schedule.json"), encoding: .utf8)
        func refused(_ text: String) async -> String {
            do {
                _ = try await runtime.perform(.importSchedule(text: text, feed: "barcamp", dryRun: false), source: "t")
                return "accepted"
            } catch { return error.message }
        }
        #expect(
            await refused(json.replacingOccurrences(of: "\"Mezzanine\"", with: "\"Cave\""))
                == "room 'Cave' (1 talk) of the schedule is not a room of the site (rooms here: salle-1, grande-salle, mezzanine): map it with --room \"Cave=<room id>\", add it to [[rooms]] or as a room of the program only with --rooms create, or leave its talks out with --rooms skip; nothing was imported"
        )
        #expect(
            await refused(json.replacingOccurrences(of: "\"duration\": \"00:45\"", with: "\"duration\": 45"))
                == "$.schedule.conference.days[0].rooms[\"Salle de réunion\"][0].duration: expected a string; nothing was imported"
        )
        #expect(
            await refused(json.replacingOccurrences(of: "2026-11-21T11:00:00+01:00", with: "demain"))
                == "$.schedule.conference.days[0].rooms[\"Salle de réunion\"][0].date: 'demain' is not a date-time with its offset (2026-11-21T10:00:00+01:00); nothing was imported"
        )
        #expect(await refused("{\"schedule\": ").hasPrefix("not valid JSON"))
        #expect(await refused("{}") == "$.schedule: missing; nothing was imported")
        #expect(runtime.engine.read { $0.sessions.isEmpty })
    }

    @Test func aSessionMovesToAnotherRoomAndTimeKeepingItsLength() async throws {
        let (_, runtime) = try await site()
        _ = try await runtime.perform(
            .addSession(
                title: "Open data et vin", room: "salle-1", date: "today", start: "10:30", end: "11:15", kind: .barcamp,
                track: nil, speakers: ["Camille"], id: "s-1"), source: "test")
        _ = try await runtime.perform(
            .addSession(
                title: "Soudure", room: "mezzanine", date: "today", start: "11:30", end: "12:15", kind: .barcamp,
                track: nil, speakers: [], id: "s-2"), source: "test")
        let moved = try await runtime.perform(
            .editSession(id: "s-1", title: nil, room: "grande-salle", date: nil, start: "14:00", end: nil),
            source: "test")
        #expect(moved.message == "session s-1 'Open data et vin' now grande-salle 2026-11-21 14:00–14:45")
        #expect(try sessionRecords(runtime).map(\.roomId) == ["mezzanine", "grande-salle"])
        // Into an occupied slot: refused with the session in the way.
        await #expect(
            throws: CommandError(.conflict, "room 'mezzanine' already has 'Soudure' at that time (session 's-2')")
        ) {
            try await runtime.perform(
                .editSession(id: "s-1", title: nil, room: "mezzanine", date: nil, start: "11:30", end: "12:15"),
                source: "test")
        }
        await #expect(throws: CommandError(.conflict, "session 's-2' exists: change it with `cantine sessions edit`")) {
            try await runtime.perform(
                .addSession(
                    title: "x", room: "salle-1", date: "today", start: "16:00", end: "17:00", kind: .barcamp,
                    track: nil, speakers: [], id: "s-2"), source: "test")
        }
    }
}

@Suite struct FeedSourceTests {
    @Test func aFeedIsFetchedOverHTTPAndNamedFromItsSource() async throws {
        let router = Router()
        router.get("calendars/cantine.ics") { _, _ in committeeFeed() }
        router.get("old.ics") { _, _ in
            Response(status: .movedPermanently, headers: [.location: "/calendars/cantine.ics"])
        }
        router.get("huge.ics") { _, _ in String(repeating: "X", count: FeedSource.maxBytes + 1) }
        try await Application(router: router).test(.live) { client in
            let port = try #require(client.port)
            let text = try await FeedSource.text(of: "http://127.0.0.1:\(port)/calendars/cantine.ics")
            #expect(try ICSReader.events(in: text, window: nil).count == 4)
            await #expect(throws: ImportError("http://127.0.0.1:\(port)/none.ics: the server answered HTTP 404")) {
                try await FeedSource.text(of: "http://127.0.0.1:\(port)/none.ics")
            }
            // Redirects are followed; a feed too large is refused whole.
            let moved = try await FeedSource.text(of: "http://127.0.0.1:\(port)/old.ics")
            #expect(try ICSReader.events(in: moved, window: nil).count == 4)
            await #expect(throws: ImportError("http://127.0.0.1:\(port)/huge.ics: more than the 16 MB a feed may have"))
            {
                try await FeedSource.text(of: "http://127.0.0.1:\(port)/huge.ics")
            }
        }
        // Nothing listening: curl's own reason, on one line.
        let closed = Broker.freePort()
        do {
            _ = try await FeedSource.text(of: "http://127.0.0.1:\(closed)/x.ics")
            Issue.record("fetched from a closed port")
        } catch {
            #expect(
                error.message.hasPrefix(
                    "http://127.0.0.1:\(closed)/x.ics: cannot fetch (Failed to connect to 127.0.0.1"))
            #expect(!error.message.contains("\n"))
        }
        #expect(FeedSource.feedName(for: "/home/staff/Réunions Été.ics") == "reunions-ete")
        #expect(
            FeedSource.feedName(for: "https://pretalx.example.org/barcamp/schedule/export/schedule.json")
                == "pretalx-example-org-schedule")
        await #expect(throws: ImportError("/nowhere.ics: no such readable file")) {
            try await FeedSource.text(of: "/nowhere.ics")
        }
    }
}

/// A file of Tests/Fixtures.
func fixture(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name)
}
