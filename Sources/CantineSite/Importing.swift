// Calendar and schedule imports: an .ics or schedule.json read into bookings or program
// sessions of the site's layout, planned against what earlier imports of the same feed left
// (ImportPlan), and carried out as one batch with its records — or only described (dry run).

import CantineCore
import CantineImport
import CantineStore
import Foundation

extension Site {
    /// Reads an iCalendar feed into import candidates over `window`, with a line saying which
    /// events were left out or made the whole site's (`unmatched`).
    func candidates(
        calendarText text: String, feed: String, target: CalendarTarget, member: String?,
        window: (start: Instant, end: Instant), unmatched: UnmatchedRooms = .refuse
    ) throws(CommandError) -> ([ImportCandidate], [String]) {
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
        if unmatched == .create {
            throw CommandError(
                "--unmatched create is for schedules (a calendar's LOCATIONs are addresses and links): use refuse, skip or site; nothing was imported"
            )
        }
        if target == .bookings && unmatched == .site {
            throw CommandError(
                "--unmatched site is for the program: a booking needs a room or a desk; nothing was imported")
        }
        var misses: [String] = []
        var result: [ImportCandidate] = []
        for e in events {
            let at = "line \(e.line)"
            let origin = ImportOrigin(feed: feed, key: e.key)
            let place = e.location.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            let room = place.flatMap { layout?.room(named: $0)?.id }
            switch target {
            case .sessions:
                if let place, room == nil {
                    misses.append("\(at) '\(place)'")
                    if unmatched != .site { continue }
                }
                let kinds = e.categories.compactMap { SessionKind(rawValue: $0.lowercased()) }
                let isBreak = e.categories.contains { ["pause", "break"].contains($0.lowercased()) }
                result.append(
                    ImportCandidate(
                        .session(
                            ProgramSession(
                                id: "", title: String(e.summary.prefix(ProgramSession.maxTitle)), room: room,
                                start: e.start, end: e.end, kind: isBreak ? .break : kinds.first ?? .meetup,
                                track: nil, speakers: [], origin: origin,
                                details: e.description.map { SessionDetails(abstract: $0) })),
                        at: at))
            case .bookings:
                let desk = place.flatMap { p in layout?.desks.first { $0.id.rawValue == p }?.id }
                guard let resource = room.map(BookedResource.room) ?? desk.map(BookedResource.desk) else {
                    misses.append("\(at) '\(place ?? "")'")
                    continue
                }
                guard let who = member ?? e.organizer.flatMap({ emails[$0.lowercased()] }) else {
                    throw CommandError(
                        "\(at): no member for '\(e.summary)': give --member or an ORGANIZER whose email is a member's; nothing was imported"
                    )
                }
                result.append(
                    ImportCandidate(
                        .booking(
                            Booking(
                                id: "", member: MemberID(who), resource: resource, start: e.start, end: e.end,
                                origin: origin)),
                        at: at))
            }
        }
        guard misses.isEmpty || unmatched != .refuse else {
            let what = target == .bookings ? "a room or desk" : "a room"
            let shown = misses.prefix(10).joined(separator: ", ") + (misses.count > 10 ? ", …" : "")
            throw CommandError(
                "\(misses.count) event\(misses.count == 1 ? "'s LOCATION is" : "s' LOCATIONs are") not \(what) of the site: \(shown); give the room an alias (aliases = [\"…\"] in [[rooms]]), or import with --unmatched skip\(target == .sessions ? " or --unmatched site" : ""); nothing was imported"
            )
        }
        let note = unmatched == .skip ? "left out (--unmatched skip)" : "the whole site's (--unmatched site)"
        return (result, misses.isEmpty ? [] : ["\(note): \(misses.joined(separator: ", "))"])
    }

    /// Reads a frab/pretalx schedule.json into program candidates, with a line saying which
    /// talks were left out (`--rooms skip`).
    func candidates(scheduleJSON text: String, feed: String, rooms matching: ScheduleRooms) throws(CommandError) -> (
        [ImportCandidate], [String], [ProgramRoom]
    ) {
        let talks: [ScheduleTalk]
        do {
            talks = try FrabSchedule.talks(in: Data(text.utf8))
        } catch {
            throw CommandError("\(error.message); nothing was imported")
        }
        let (layout, programRooms) = engine.read { ($0.layout, $0.programRooms ?? [:]) }
        let rooms = layout?.rooms ?? []
        func room(_ name: String) -> RoomID? {
            layout?.room(named: name)?.id
                ?? programRooms.values.first {
                    $0.id.rawValue == name || $0.name.caseInsensitiveCompare(name) == .orderedSame
                }?.id
        }
        for (from, to) in matching.map.sorted(by: { $0.key < $1.key }) where to != "*" && room(to) == nil {
            throw CommandError(
                "--room '\(from)=\(to)': '\(to)' is not a room of the site (ids: \(rooms.map(\.id.rawValue).joined(separator: ", "))); nothing was imported"
            )
        }
        let wholeSite = [layout?.name, layout?.site.rawValue].compactMap { $0 }
        /// `.some(nil)`: the whole site; nil: not a room of the site.
        func place(_ name: String) -> RoomID?? {
            if let to = matching.map[name] { return to == "*" ? .some(nil) : room(to) }
            if let r = room(name) { return .some(r) }
            if name.isEmpty || wholeSite.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
                return .some(nil)
            }
            return nil
        }
        var missing: [(room: String, talks: Int)] = []
        var result: [ImportCandidate] = []
        // `--rooms create`: a program room per missing name, its id from the name.
        var created: [String: ProgramRoom] = [:]
        func create(_ name: String) -> RoomID {
            if let r = created[name] { return r.id }
            let base = String(FrabSchedule.slug(name).prefix(60)).trimmingCharacters(
                in: CharacterSet(charactersIn: "-"))
            var id = base.isEmpty ? "room" : base
            var n = 2
            while rooms.contains(where: { $0.id.rawValue == id }) || programRooms[RoomID(id)] != nil
                || created.values.contains(where: { $0.id.rawValue == id })
            {
                id = (base.isEmpty ? "room" : base) + "-\(n)"
                n += 1
            }
            created[name] = ProgramRoom(id: RoomID(id), name: name)
            return RoomID(id)
        }
        for t in talks {
            let found = place(t.room)
            if found == nil {
                if let i = missing.firstIndex(where: { $0.room == t.room }) {
                    missing[i].talks += 1
                } else {
                    missing.append((t.room, 1))
                }
                if matching.unmatched == .skip || matching.unmatched == .refuse { continue }
            }
            let room = found ?? (matching.unmatched == .create ? create(t.room) : nil)
            let type = (t.details.type ?? "").lowercased()
            let kind =
                SessionKind(rawValue: type)
                ?? (type.contains("workshop") || type.contains("atelier") || type.contains("hands-on")
                    ? .workshop : type.contains("break") || type.contains("pause") ? .break : .talk)
            result.append(
                ImportCandidate(
                    .session(
                        ProgramSession(
                            id: "", title: String(t.title.prefix(ProgramSession.maxTitle)), room: room, start: t.start,
                            end: t.end, kind: kind, track: t.track, speakers: t.persons,
                            origin: ImportOrigin(feed: feed, key: t.key), details: t.details)),
                    at: t.path))
        }
        let list = missing.map { "'\($0.room)' (\($0.talks) talk\($0.talks == 1 ? "" : "s"))" }.joined(separator: ", ")
        guard missing.isEmpty || matching.unmatched != .refuse else {
            let here = "rooms here: " + rooms.map(\.id.rawValue).joined(separator: ", ")
            let flag = "--room \"\(missing[0].room)=<room id>\""
            throw CommandError(
                missing.count == 1
                    ? "room \(list) of the schedule is not a room of the site (\(here)): map it with \(flag), add it to [[rooms]] or as a room of the program only with --rooms create, or leave its talks out with --rooms skip; nothing was imported"
                    : "\(missing.count) rooms of the schedule are not rooms of the site (\(here)): \(list); map each with \(flag), add them to [[rooms]] or as rooms of the program only with --rooms create, or leave their talks out with --rooms skip; nothing was imported"
            )
        }
        let notes: [String]
        switch matching.unmatched {
        case _ where missing.isEmpty, .refuse: notes = []
        case .skip: notes = ["left out (--rooms skip): \(list)"]
        case .site: notes = ["the whole site's (--rooms site): \(list)"]
        case .create:
            notes = created.values.sorted { $0.name < $1.name }.map {
                "+ add room '\($0.name)' as \($0.id), of the program only (--rooms create)"
            }
        }
        return (result, notes, created.values.sorted { $0.id < $1.id })
    }

    /// Plans an import and, unless `dryRun`, carries it out with its records in one commit.
    func runImport(
        feed: String, candidates: [ImportCandidate], window: (start: Instant, end: Instant)?, dryRun: Bool,
        source: EventSource, notes: [String] = [], newRooms: [ProgramRoom] = []
    ) throws(CommandError) -> (OperationResult, Int64) {
        let now = engine.now
        var state = engine.read { $0 }
        // New rooms of the program only come first, in the same batch as the sessions in them.
        let prelude = newRooms.map { Command.addProgramRoom($0) }
        let before = state
        for command in prelude {
            for event in try CommandRules.events(for: command, in: state, now: now) {
                _ = Reducer.apply(&state, event, now: now)
            }
        }
        var plan = try ImportPlan.make(feed: feed, candidates: candidates, window: window, state: state, now: now)
        if !prelude.isEmpty, case .batch(let commands, let labels) = plan.command {
            plan.command = .batch(prelude + commands, labels: newRooms.map { "room '\($0.name)'" } + labels)
        }
        state = before
        let details = plan.lines.map { describe($0) } + notes
        if dryRun, let command = plan.command {
            // The dry run runs every check the import runs (the core's rules on the same
            // state): it differs only in not committing.
            _ = try CommandRules.events(for: command, in: state, now: now)
        }
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
