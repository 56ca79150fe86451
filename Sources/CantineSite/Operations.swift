// Performing operations (SiteOperation, in the core): each becomes validated core commands
// plus the record writes that go with them, committed together. The CLI sends operations
// through the inbox when a daemon runs, the staff dashboard hands them to the runtime.

import CantineCore
import CantineProtocol
import CantineStore
import Foundation
import Synchronization

extension Site {
    /// Performs an operation and waits until it is durable in the journal.
    public func perform(_ op: SiteOperation, source: EventSource) async throws(CommandError) -> OperationResult {
        switch op {
        case .snapshot:
            let seq: Int64
            do {
                seq = try snapshot()
            } catch {
                throw CommandError(.unavailable, "cannot write a snapshot: \(error)")
            }
            return OperationResult(message: "snapshot of the live state at seq \(seq)", id: "\(seq)")
        case .compactJournal(let before):
            return try await compact(before: try localDate(before, now: engine.now))
        case .enforceRetention:
            return try await enforceRetention().result
        default:
            break
        }
        let (result, lastSeq) = try apply(op, source: source)
        await journal.waitDurable(through: lastSeq)
        if case .eraseMember = op {
            // The rows are gone (zeroed: secure_delete); now the WAL's copies of their pages.
            do throws(StoreError) {
                try store.truncateWAL()
            } catch {
                throw CommandError(
                    .unavailable, "\(result.message); but the WAL still holds old pages: \(error.message)")
            }
        }
        return result
    }

    /// Applies an operation; its journal entries are queued (not yet durable).
    public func apply(_ op: SiteOperation, source: EventSource) throws(CommandError) -> (OperationResult, Int64) {
        let site = settings.site.rawValue
        let now = engine.now
        /// Executes one command with its record writes; returns the last journal seq.
        func run(_ command: Command, records: RecordWrite = .nothing) throws(CommandError) -> Int64 {
            try engine.execute(command, source: source, attachment: records).last?.entry.seq ?? engine.lastSeq
        }

        switch op {
        case .addMember(let id, let name, let email):
            let name = name.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 200 else {
                throw CommandError("a member name needs 1 to 200 characters")
            }
            if let email, !email.contains("@") { throw CommandError("'\(email)' is not an email address") }
            let member = MemberID(id ?? OpaqueID.make("m"))
            // The profile goes into the journal sealed under the member's own key, kept beside
            // their record: erasing the key erases it from every copy of the journal.
            let key = MemberKeys.make()
            let sealed: String
            do {
                sealed = try MemberKeys.seal(
                    SealedProfile(name: name, email: email), key: key, member: member.rawValue)
            } catch {
                throw CommandError(.unavailable, "cannot seal the profile of \(member): \(error)")
            }
            let record = MemberRecord(
                id: member.rawValue, site: site, name: name, email: email, status: "active", createdUs: now.micros)
            let seq = try run(.registerMember(member, sealed: sealed), records: .addMember(record, key: key))
            return (OperationResult(message: "member \(member) added (\(name))", id: member.rawValue), seq)

        case .setMemberStatus(let member, let active):
            let status: MemberStatus = active ? .active : .disabled
            let seq = try run(.setMemberStatus(MemberID(member), status), records: .memberStatus(member, status))
            return (OperationResult(message: "member \(member) \(active ? "enabled" : "disabled")", id: member), seq)

        case .grantPlan(let member, let kind, let from, let days):
            let date = try localDate(from, now: now)
            let (start, end) = try calendar.planWindow(kind, from: date, days: days)
            let plan = Plan(id: PlanID(OpaqueID.make("p")), kind: kind, validFrom: start, validUntil: end)
            let record = PlanRecord(
                id: plan.id.rawValue, site: site, memberId: member, kind: kind.rawValue, validFromUs: start.micros,
                validUntilUs: end?.micros)
            let seq = try run(.grantPlan(MemberID(member), plan), records: .addPlan(record))
            let until = end.map { " until \(calendar.text($0))" } ?? ""
            return (
                OperationResult(
                    message: "plan \(kind.rawValue) granted to \(member) from \(calendar.text(start))\(until)",
                    id: plan.id.rawValue), seq
            )

        case .endPlan(let member, let plan, let by):
            let end = PlanEnded(member: MemberID(member), plan: PlanID(plan), at: now, by: by)
            let seq = try run(.endPlan(end), records: .endPlan(member: member, plan: plan, untilUs: now.micros))
            return (
                OperationResult(message: "plan \(plan) of \(member) ended at \(calendar.text(now))", id: plan), seq
            )

        case .enrollBadge(let member, let format, let facility, let card, let id, let pin):
            let read = CardRead(format: format, facility: facility, card: card)
            do throws(WiegandError) {
                _ = try Wiegand.encode(read)
            } catch {
                throw CommandError(
                    "card \(facility)/\(card) does not fit \(format.rawValue): facility ≤ \(format.maxFacility), card ≤ \(format.maxCard)"
                )
            }
            let token = tokenizer.token(for: read)
            let credential = Credential(
                id: CredentialID(id ?? OpaqueID.make("b")), member: MemberID(member), format: format, token: token,
                pin: try pin.map { text throws(CommandError) in tokenizer.pinDigest(try Self.pin(text), badge: token) })
            let record = CredentialRecord(
                id: credential.id.rawValue, site: site, memberId: member, format: format.rawValue,
                facility: Int64(facility), cardNumber: Int64(card), token: credential.token.rawValue,
                enrolledUs: now.micros)
            let seq = try run(.enrollCredential(credential), records: .addCredential(record))
            return (
                OperationResult(message: "badge \(credential.id) enrolled for \(member)", id: credential.id.rawValue),
                seq
            )

        case .setBadgePIN(let id, let text):
            guard let credential = engine.read({ $0.credential(id: CredentialID(id)) }) else {
                throw CommandError(.notFound, "no badge '\(id)': see `cantine badges list`")
            }
            let digest = try text.map { text throws(CommandError) in
                tokenizer.pinDigest(try Self.pin(text), badge: credential.token)
            }
            let seq = try run(.setPIN(credential.id, digest))
            return (OperationResult(message: "PIN of badge \(id) \(digest == nil ? "removed" : "set")", id: id), seq)

        case .unlockDoor(let door, let by, let reason, let requestedAtUs):
            // Stamped by a wall clock (the CLI's, the web's): measured against the clock, not the
            // site's time, which runs ahead of a clock that booted behind.
            let age = engine.wallClock - Instant(micros: requestedAtUs)
            guard age <= settings.remoteUnlockMaxAge else {
                throw CommandError(
                    .stale,
                    "remote unlock of \(door) not carried out: the request is \(Int(age.seconds)) s old (limit \(Int(settings.remoteUnlockMaxAge.seconds)) s); send it again"
                )
            }
            let seq = try run(.remoteUnlock(RemoteUnlock(door: DoorID(door), by: by, reason: reason)))
            let pulse = engine.read { $0.layout?.door(DoorID(door))?.pulse.seconds } ?? 0
            return (
                OperationResult(
                    message: "door \(door) unlocked for \(pulse.formatted()) s by \(by): \(reason)", id: door),
                seq
            )

        case .markLeft(let member, let by):
            let seq = try run(.clearPresence(PresenceCleared(member: MemberID(member), by: by)))
            return (OperationResult(message: "member \(member) marked as gone by \(by)", id: member), seq)

        case .revokeBadge(let id):
            let seq = try run(.revokeCredential(CredentialID(id)), records: .revokeCredential(id, at: now))
            return (OperationResult(message: "badge \(id) revoked", id: id), seq)

        case .bookDesk(let member, let desk, let date, let period, let days, let id):
            let (start, end) = try calendar.deskWindow(period, on: try localDate(date, now: now), days: days)
            return try book(member, .desk(DeskID(desk)), start, end, id, run)

        case .bookRoom(let member, let room, let date, let startText, let endText, let id):
            let day = try localDate(date, now: now)
            let start = try localTime(startText, on: day)
            let end = try localTime(endText, on: day)
            return try book(member, .room(RoomID(room)), start, end, id, run)

        case .cancelBooking(let id):
            let seq = try run(.cancelBooking(BookingID(id)))
            return (OperationResult(message: "booking \(id) cancelled", id: id), seq)

        case .addSession(
            let title, let room, let date, let startText, let endText, let kind, let track, let speakers, let id):
            let day = try localDate(date, now: now)
            let session = ProgramSession(
                id: SessionID(id ?? OpaqueID.make("s")), title: title.trimmingCharacters(in: .whitespaces),
                room: room.map { RoomID($0) }, start: try localTime(startText, on: day),
                end: try endTime(endText, on: day, after: try localTime(startText, on: day)),
                kind: kind, track: track, speakers: speakers)
            guard engine.read({ $0.sessions[session.id] }) == nil else {
                throw CommandError(.conflict, "session '\(session.id)' exists: change it with `cantine sessions edit`")
            }
            if id != nil, let old = try record({ try store.session(session.id.rawValue) }, session.id.rawValue) {
                throw CommandError(
                    .conflict,
                    "session '\(session.id)' already exists ('\(old.title)' on \(calendar.text(Instant(micros: old.startUs)))): give another id, or leave --id out"
                )
            }
            let seq = try run(.scheduleSession(session))
            return (
                OperationResult(message: "session \(session.id) '\(session.title)' scheduled", id: session.id.rawValue),
                seq
            )

        case .snapshot, .compactJournal, .enforceRetention:
            throw CommandError("snapshots, compaction and retention are carried out by perform(_:source:)")

        case .eraseMember(let member):
            guard engine.read({ $0.members[MemberID(member)] }) != nil else {
                throw CommandError(.notFound, "no member '\(member)': nothing erased (see `cantine members list`)")
            }
            let counts = Mutex(ErasureCounts())
            let seq = try run(
                .eraseMember(MemberID(member)), records: .eraseMember(member) { n in counts.withLock { $0 = n } })
            journal.flush()
            let n = counts.withLock { $0 }
            return (
                OperationResult(
                    message:
                        "member \(member) erased: profile, key (their sealed profile in the journal is now unreadable), \(n.credentials) badge(s), \(n.plans) plan(s), \(n.bookings) booking(s), \(n.accessLog) access log row(s)",
                    id: member), seq
            )

        case .setNamePublishing(let member, let allowed):
            do {
                guard try store.setNamePublishing(member: member, allowed: allowed) else {
                    throw CommandError(.notFound, "no member '\(member)': see `cantine members list`")
                }
            } catch let error as CommandError {
                throw error
            } catch {
                throw CommandError(.unavailable, "cannot record the choice of \(member): \(error)")
            }
            return (
                OperationResult(
                    message: "the name of \(member) \(allowed ? "may now appear" : "no longer appears") on MQTT events",
                    id: member), engine.lastSeq
            )

        case .removeSession(let id):
            let seq = try run(.removeSession(SessionID(id)))
            return (OperationResult(message: "session \(id) removed", id: id), seq)

        case .editSession(let id, let title, let room, let date, let startText, let endText):
            guard var session = engine.read({ $0.sessions[SessionID(id)] }) else {
                throw CommandError(.notFound, "no session '\(id)': see `cantine sessions list`")
            }
            let day =
                try date.map { d throws(CommandError) in try localDate(d, now: now) }
                ?? calendar.date(of: session.start)
            let length = session.end - session.start
            func clock(_ t: Instant) -> String { String(calendar.text(t).suffix(5)) }
            session.start = try localTime(startText ?? clock(session.start), on: day)
            let start = session.start
            session.end =
                try endText.map { t throws(CommandError) in try endTime(t, on: day, after: start) } ?? start + length
            if let title { session.title = title.trimmingCharacters(in: .whitespaces) }
            if let room { session.room = room.isEmpty || room == "none" ? nil : RoomID(room) }
            let seq = try run(.scheduleSession(session))
            return (
                OperationResult(
                    message:
                        "session \(id) '\(session.title)' now \(session.room.map(\.rawValue) ?? "whole site") \(calendar.text(session.start))–\(clock(session.end))",
                    id: id), seq
            )

        case .importCalendar(let text, let feed, let target, let member, let from, let days, let dryRun, let unmatched):
            guard (1...366).contains(days) else {
                throw CommandError("an import covers 1 to 366 days, not \(days) (--days)")
            }
            let first = try localDate(from, now: now)
            let window = (
                calendar.instant(first, hour: 0), calendar.instant(calendar.adding(days: days, to: first), hour: 0)
            )
            let (candidates, skipped) = try candidates(
                calendarText: text, feed: feed, target: target, member: member, window: window, unmatched: unmatched)
            return try runImport(
                feed: feed, candidates: candidates, window: window, dryRun: dryRun, source: source, notes: skipped)

        case .importSchedule(let text, let feed, let dryRun, let rooms):
            let (candidates, notes, newRooms) = try candidates(scheduleJSON: text, feed: feed, rooms: rooms)
            return try runImport(
                feed: feed, candidates: candidates, window: nil, dryRun: dryRun, source: source, notes: notes,
                newRooms: newRooms)

        case .resolveFinding(let id, let action, let member, let by):
            let resolution = FindingResolution(
                finding: FindingID(id), action: action, by: by, member: member.map { MemberID($0) }, at: now)
            // Releasing a ghost cancels its booking inside the reducer: the record follows here.
            let released = action == .release ? engine.read { $0.findings[FindingID(id)]?.booking } : nil
            let applied = try engine.execute(
                .resolveFinding(resolution), source: source,
                attachment: released.map { RecordWrite.cancelBooking($0.rawValue) })
            let created = applied.compactMap { a -> String? in
                if case .bookingCreated(let b) = a.entry.event { return b.id.rawValue }
                return nil
            }
            return (
                OperationResult(
                    message: "finding \(id) resolved: \(action.rawValue)"
                        + (created.first.map { " (booking \($0) created)" } ?? ""), id: id),
                applied.last?.entry.seq ?? engine.lastSeq
            )
        }
    }

    private func book(
        _ member: String, _ resource: BookedResource, _ start: Instant, _ end: Instant, _ id: String?,
        _ run: (Command, RecordWrite) throws(CommandError) -> Int64
    ) throws(CommandError) -> (OperationResult, Int64) {
        let booking = Booking(
            id: BookingID(id ?? OpaqueID.make("bk")), member: MemberID(member), resource: resource, start: start,
            end: end)
        if id != nil, engine.read({ $0.bookings[booking.id] }) == nil,
            let old = try record({ try store.booking(booking.id.rawValue) }, booking.id.rawValue)
        {
            throw CommandError(
                .conflict,
                "booking '\(booking.id)' already exists (\(old.resourceKind) \(old.resourceId) from \(calendar.text(Instant(micros: old.startUs))), \(old.status)): give another id, or leave --id out"
            )
        }
        let seq = try run(.book(booking), .nothing)
        return (
            OperationResult(
                message: "\(resource) booked for \(member) from \(calendar.text(start)) to \(calendar.text(end))",
                id: booking.id.rawValue), seq
        )
    }

    /// The record with `id`, if any. Memory keeps a week of ended bookings and sessions; an id
    /// given by hand is also checked here, so a new booking never meets an old one's record.
    private func record<R>(_ read: () throws -> R?, _ id: String) throws(CommandError) -> R? {
        do {
            return try read()
        } catch {
            throw CommandError(.unavailable, "cannot check id '\(id)' against the records: \(error)")
        }
    }

    /// A PIN as typed on a reader's keypad: 4 to 8 digits.
    static func pin(_ text: String) throws(CommandError) -> PINEntry.PIN {
        guard (4...PINEntry.maxDigits).contains(text.count), text.allSatisfy({ ("0"..."9").contains($0) }),
            let value = UInt32(text)
        else { throw CommandError("a PIN is 4 to \(PINEntry.maxDigits) digits") }
        return PINEntry.PIN(value: value, digits: text.count)
    }

    /// `YYYY-MM-DD`, `today` or `tomorrow`, in the site's time zone.
    func localDate(_ text: String, now: Instant) throws(CommandError) -> LocalDate {
        switch text {
        case "today": return calendar.date(of: now)
        case "tomorrow": return calendar.adding(days: 1, to: calendar.date(of: now))
        default:
            guard let d = LocalDate(text) else {
                throw CommandError("'\(text)' is not a date: use YYYY-MM-DD, today or tomorrow")
            }
            return d
        }
    }

    /// `HH:MM` local time on `day`.
    /// A session's end: on its day, or the next when the time is not after the start (a
    /// session past midnight, as imports have them), up to 12 hours long.
    func endTime(_ text: String, on day: LocalDate, after start: Instant) throws(CommandError) -> Instant {
        let end = try localTime(text, on: day)
        guard end <= start else { return end }
        let next = try localTime(text, on: calendar.adding(days: 1, to: day))
        guard next - start <= .seconds(12 * 3600) else {
            throw CommandError(
                "the session would end at \(text) the next day, over 12 hours after it starts: check --start and --end")
        }
        return next
    }

    func localTime(_ text: String, on day: LocalDate) throws(CommandError) -> Instant {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h),
            (0...59).contains(m)
        else { throw CommandError("'\(text)' is not a time: use HH:MM (24 h), e.g. 14:30") }
        return calendar.instant(day, hour: h, minute: m)
    }
}
