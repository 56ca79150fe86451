// Calendar and schedule imports: an .ics or schedule.json read into bookings or program
// sessions of the site's layout, planned against what earlier imports of the same feed left
// (ImportPlan), and carried out as one batch with its records — or only described (dry run).

import CantineCore
import CantineImport
import CantineStore
import Foundation

extension Site {
    /// Reads an iCalendar feed into import candidates over `window`.
    func candidates(
        calendarText text: String, feed: String, target: CalendarTarget, member: String?,
        window: (start: Instant, end: Instant)
    ) throws(CommandError) -> [ImportCandidate] {
        let events: [CalendarEvent]
        do {
            events = try ICSReader.events(in: text, timeZone: settings.timeZone, window: window)
        } catch {
            throw CommandError("\(error.message); nothing was imported")
        }
        let layout = engine.read { $0.layout }
        let emails: [String: String]
        if target == .bookings && member == nil {
            emails = (try? store.memberIDsByEmail()) ?? [:]
        } else {
            emails = [:]
        }
        return try events.map { (e) throws(CommandError) -> ImportCandidate in
            let at = "line \(e.line)"
            let origin = ImportOrigin(feed: feed, key: e.key)
            let place = e.location.map { $0.trimmingCharacters(in: .whitespaces) }
            let room = place.flatMap { p in
                layout?.rooms.first { $0.id.rawValue == p || $0.name.caseInsensitiveCompare(p) == .orderedSame }?.id
            }
            switch target {
            case .sessions:
                if let place, room == nil {
                    throw CommandError(
                        "\(at): LOCATION '\(place)' is not a room of the site: use a room id or name from [[rooms]]; nothing was imported"
                    )
                }
                let kinds = e.categories.compactMap { SessionKind(rawValue: $0.lowercased()) }
                let isBreak = e.categories.contains { ["pause", "break"].contains($0.lowercased()) }
                return ImportCandidate(
                    .session(
                        ProgramSession(
                            id: "", title: String(e.summary.prefix(200)), room: room, start: e.start, end: e.end,
                            kind: isBreak ? .break : kinds.first ?? .meetup, track: nil, speakers: [],
                            origin: origin)),
                    at: at)
            case .bookings:
                let desk = place.flatMap { p in layout?.desks.first { $0.id.rawValue == p }?.id }
                guard let resource = room.map(BookedResource.room) ?? desk.map(BookedResource.desk) else {
                    throw CommandError(
                        "\(at): LOCATION '\(place ?? "")' is not a room or desk of the site: a booking needs one; nothing was imported"
                    )
                }
                guard let who = member ?? e.organizer.flatMap({ emails[$0.lowercased()] }) else {
                    throw CommandError(
                        "\(at): no member for '\(e.summary)': give --member or an ORGANIZER whose email is a member's; nothing was imported"
                    )
                }
                return ImportCandidate(
                    .booking(
                        Booking(
                            id: "", member: MemberID(who), resource: resource, start: e.start, end: e.end,
                            origin: origin)),
                    at: at)
            }
        }
    }

    /// Reads a frab/pretalx schedule.json into program candidates.
    func candidates(scheduleJSON text: String, feed: String) throws(CommandError) -> [ImportCandidate] {
        let talks: [ScheduleTalk]
        do {
            talks = try FrabSchedule.talks(in: Data(text.utf8))
        } catch {
            throw CommandError("\(error.message); nothing was imported")
        }
        let rooms = engine.read { $0.layout?.rooms ?? [] }
        return try talks.map { (t) throws(CommandError) -> ImportCandidate in
            guard
                let room = rooms.first(where: {
                    $0.id.rawValue == t.room || $0.name.caseInsensitiveCompare(t.room) == .orderedSame
                })
            else {
                throw CommandError(
                    "\(t.path).room: '\(t.room)' is not a room of the site: add it to [[rooms]] (id or name); nothing was imported"
                )
            }
            let type = (t.type ?? "").lowercased()
            let kind =
                SessionKind(rawValue: type)
                ?? (type.contains("workshop") || type.contains("atelier")
                    ? .workshop : type.contains("break") || type.contains("pause") ? .break : .talk)
            return ImportCandidate(
                .session(
                    ProgramSession(
                        id: "", title: String(t.title.prefix(200)), room: room.id, start: t.start, end: t.end,
                        kind: kind, track: t.track, speakers: t.persons,
                        origin: ImportOrigin(feed: feed, key: t.key))),
                at: t.path)
        }
    }

    /// Plans an import and, unless `dryRun`, carries it out with its records in one commit.
    func runImport(
        feed: String, candidates: [ImportCandidate], window: (start: Instant, end: Instant)?, dryRun: Bool,
        source: EventSource
    ) throws(CommandError) -> (OperationResult, Int64) {
        let now = engine.now
        let state = engine.read { $0 }
        let plan = try ImportPlan.make(feed: feed, candidates: candidates, window: window, state: state, now: now)
        let details = plan.lines.map { describe($0) }
        guard !dryRun, let command = plan.command else {
            let head = dryRun ? "dry run, nothing changed — " : "nothing to change — "
            return (
                OperationResult(message: ([head + plan.summary()] + details).joined(separator: "\n"), id: feed),
                engine.lastSeq
            )
        }
        // The booking and session records follow from the journal entries (CantineStore/Projection).
        let applied = try engine.execute(command, source: source)
        return (
            OperationResult(
                message: (["imported — " + plan.summary(done: true)] + details).joined(separator: "\n"), id: feed),
            applied.last?.entry.seq ?? engine.lastSeq
        )
    }

    /// `+ add session 'Open data' salle-1 2026-11-21 10:00–11:00 (line 12)`.
    func describe(_ line: ImportPlan.Line) -> String {
        let mark =
            switch line.change {
            case .add: "+"
            case .update: "~"
            case .cancel: "-"
            }
        let what: String
        switch line.item {
        case .booking(let b):
            what =
                "booking \(b.resource) for \(b.member) \(calendar.text(b.start))–\(calendar.text(b.end).suffix(5))"
        case .session(let s):
            what =
                "session '\(s.title)' \(s.room.map(\.rawValue) ?? "whole site") \(calendar.text(s.start))–\(calendar.text(s.end).suffix(5))"
        }
        return "\(mark) \(line.change.rawValue) \(what) (\(line.location))"
    }
}
