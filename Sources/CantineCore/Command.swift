// Commands: what staff, the CLI and (later) the dashboard ask for. A command is validated
// against the state and turned into events; it never touches the state itself.

import Foundation

/// A one-line, user-facing reason a command was refused.
public struct CommandError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of refusal: the web answers its status by it (404, 409, 422, 503).
    public enum Code: Sendable, Equatable {
        /// The request itself is wrong (a bad date, a title too long, no reason given).
        case invalid
        /// What it names does not exist.
        case notFound
        /// The state does not allow it (already booked, already revoked, a disabled member).
        case conflict
        /// It came too late (a remote unlock asked for too long ago).
        case stale
        /// The site cannot carry it out now (its database, its journal).
        case unavailable
    }
    public let code: Code
    public let message: String
    /// A refusal of a wrong request (`invalid`).
    public init(_ message: String) { self.init(.invalid, message) }
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// A change requested by a person (staff, CLI) rather than sensed by the hardware.
public enum Command: Codable, Equatable, Sendable {
    /// Registers a member; `sealed` is their profile sealed under their own key.
    case registerMember(MemberID, sealed: String? = nil)
    /// Forgets a member, their badges and bookings (erasure).
    case eraseMember(MemberID)
    case setMemberStatus(MemberID, MemberStatus)
    case grantPlan(MemberID, Plan)
    /// Ends a plan at an instant (now, from the dashboard or the CLI).
    case endPlan(PlanEnded)
    case enrollCredential(Credential)
    case revokeCredential(CredentialID)
    /// Sets (or with nil removes) a badge's PIN digest.
    case setPIN(CredentialID, String?)
    /// Unlocks a door for one pulse, by a named person for a stated reason.
    case remoteUnlock(RemoteUnlock)
    /// Marks a member as gone (they left without badging out).
    case clearPresence(PresenceCleared)
    case book(Booking)
    /// Changes an existing booking (times, resource, member): a calendar re-import's update.
    /// A cancelled or released booking that comes back is booked again.
    case rebook(Booking)
    case cancelBooking(BookingID)
    case scheduleSession(ProgramSession)
    case removeSession(SessionID)
    /// Adds a room of the program only.
    case addProgramRoom(ProgramRoom)
    /// Staff resolve a reconciliation finding.
    case resolveFinding(FindingResolution)
    /// Commands carried out together or not at all (an import). Each is validated against the
    /// state the previous ones leave; a refusal names the failing command's label.
    indirect case batch([Command], labels: [String])
}

/// Validation of commands into events.
public enum CommandRules {
    /// The events that carry out `command` in `state` at `now`, or why it is refused.
    public static func events(for command: Command, in state: State, now: Instant) throws(CommandError) -> [Event] {
        let calendar = state.layout.flatMap { SiteCalendar(timeZone: $0.timeZone) } ?? SiteCalendar.utc
        switch command {
        case .registerMember(let id, let sealed):
            guard id.isSlug else { throw CommandError("member id '\(id)' is not valid: use 1–64 of a-z 0-9 - _") }
            guard state.members[id] == nil else { throw CommandError(.conflict, "member '\(id)' already exists") }
            return [.memberRegistered(MemberRef(member: id, sealed: sealed))]

        case .eraseMember(let id):
            _ = try member(id, in: state)
            return [.memberErased(MemberRef(member: id))]

        case .setMemberStatus(let id, let status):
            let member = try member(id, in: state)
            guard member.status != status else {
                throw CommandError(.conflict, "member '\(id)' is already \(status.rawValue)")
            }
            return [status == .active ? .memberEnabled(MemberRef(member: id)) : .memberDisabled(MemberRef(member: id))]

        case .grantPlan(let id, let plan):
            let member = try member(id, in: state)
            guard plan.id.isSlug else {
                throw CommandError("plan id '\(plan.id)' is not valid: use 1–64 of a-z 0-9 - _")
            }
            guard !member.plans.contains(where: { $0.id == plan.id }) else {
                throw CommandError(.conflict, "member '\(id)' already has a plan '\(plan.id)'")
            }
            if let until = plan.validUntil, until <= plan.validFrom {
                throw CommandError("plan '\(plan.id)' ends before it starts")
            }
            return [.planGranted(PlanGranted(member: id, plan: plan))]

        case .endPlan(let end):
            let member = try member(end.member, in: state)
            guard let plan = member.plans.first(where: { $0.id == end.plan }) else {
                throw CommandError(
                    .notFound, "member '\(end.member)' has no plan '\(end.plan)': `cantine members show` lists them")
            }
            if let until = plan.validUntil, until <= end.at {
                throw CommandError(.conflict, "plan '\(end.plan)' has already ended: nothing to do")
            }
            return [.planEnded(end)]

        case .enrollCredential(let credential):
            _ = try member(credential.member, in: state)
            guard credential.id.isSlug else {
                throw CommandError("badge id '\(credential.id)' is not valid: use 1–64 of a-z 0-9 - _")
            }
            guard state.credential(id: credential.id) == nil else {
                throw CommandError(.conflict, "badge id '\(credential.id)' is already used")
            }
            if let existing = state.credentials[credential.token], !existing.revoked {
                throw CommandError(
                    .conflict,
                    "this badge is already enrolled to member '\(existing.member)' as '\(existing.id)': revoke it first"
                )
            }
            return [.credentialEnrolled(credential)]

        case .revokeCredential(let id):
            guard let credential = state.credential(id: id) else {
                throw CommandError(.notFound, "no badge '\(id)': see `cantine badges list`")
            }
            guard !credential.revoked else { throw CommandError(.conflict, "badge '\(id)' is already revoked") }
            return [.credentialRevoked(CredentialRef(credential: id))]

        case .setPIN(let id, let digest):
            guard let credential = state.credential(id: id) else {
                throw CommandError(.notFound, "no badge '\(id)': see `cantine badges list`")
            }
            guard !credential.revoked else { throw CommandError(.conflict, "badge '\(id)' is revoked") }
            return [.credentialPINSet(CredentialPIN(credential: id, digest: digest))]

        case .remoteUnlock(let request):
            guard state.layout?.door(request.door) != nil else {
                let known = state.layout?.doors.map(\.id.rawValue).joined(separator: ", ") ?? ""
                throw CommandError(.notFound, "no door '\(request.door)': the doors are \(known)")
            }
            let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty, reason.count <= 200 else {
                throw CommandError("a remote unlock needs a reason of 1 to 200 characters (--reason \"delivery\")")
            }
            guard !request.by.isEmpty else { throw CommandError("a remote unlock needs the name of who asks") }
            return [.remoteUnlock(RemoteUnlock(door: request.door, by: request.by, reason: reason))]

        case .clearPresence(let p):
            guard state.members[p.member] != nil else {
                throw CommandError(.notFound, "no member '\(p.member)': see `cantine members list`")
            }
            guard state.present[p.member] != nil else {
                throw CommandError(.conflict, "member '\(p.member)' is not inside: nothing to clear")
            }
            return [.presenceCleared(p)]

        case .book(var booking):
            booking.checkIns = state.reconcileRules.checkIns(for: booking, calendar: calendar, madeAt: now)
            guard booking.id.isSlug else { throw CommandError("booking id '\(booking.id)' is not valid") }
            guard state.bookings[booking.id] == nil else {
                throw CommandError(.conflict, "booking '\(booking.id)' already exists")
            }
            try checkBooking(booking, in: state, calendar: calendar)
            return [.bookingCreated(booking)]

        case .rebook(var booking):
            guard let old = state.bookings[booking.id] else {
                throw CommandError(.notFound, "no booking '\(booking.id)'")
            }
            // A check-in stands while the booking keeps its resource and has begun.
            let keepsCheckIn = old.status == .checkedIn && booking.resource == old.resource && booking.start <= now
            booking.status = keepsCheckIn ? .checkedIn : .booked
            // The check-in stands as of now (a moved start does not ask for it again); a day
            // freed by a missed check-in stays free.
            booking.checkedInAt = keepsCheckIn ? now : nil
            booking.freeUntil = booking.resource == old.resource ? old.freeUntil : nil
            booking.checkIns = state.reconcileRules.checkIns(for: booking, calendar: calendar, madeAt: now)
            try checkBooking(booking, in: state, calendar: calendar)
            return [.bookingChanged(booking)]

        case .cancelBooking(let id):
            guard let booking = state.bookings[id] else { throw CommandError(.notFound, "no booking '\(id)'") }
            guard booking.status != .cancelled else {
                throw CommandError(.conflict, "booking '\(id)' is already cancelled")
            }
            return [.bookingCancelled(BookingRef(booking: id))]

        case .scheduleSession(let session):
            guard session.id.isSlug else { throw CommandError("session id '\(session.id)' is not valid") }
            guard session.end > session.start else { throw CommandError("a session must end after it starts") }
            guard !session.title.isEmpty, session.title.count <= ProgramSession.maxTitle else {
                throw CommandError("a session title needs 1 to \(ProgramSession.maxTitle) characters")
            }
            if let room = session.room {
                guard state.programRoomName(room) != nil else {
                    throw CommandError(.notFound, "no room '\(room)' in the layout: see the [[rooms]] of the config")
                }
                if let clash = state.sessions.values.first(where: {
                    $0.id != session.id && $0.room == room && $0.start < session.end && session.start < $0.end
                }) {
                    throw CommandError(
                        .conflict, "room '\(room)' already has '\(clash.title)' at that time (session '\(clash.id)')")
                }
            }
            return [.sessionScheduled(session)]

        case .removeSession(let id):
            guard state.sessions[id] != nil else { throw CommandError(.notFound, "no session '\(id)'") }
            return [.sessionRemoved(SessionRef(session: id))]

        case .addProgramRoom(let room):
            guard room.id.isSlug else {
                throw CommandError("room id '\(room.id)' is not valid: use 1–64 of a-z 0-9 - _")
            }
            let name = room.name.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 200 else { throw CommandError("a room name needs 1 to 200 characters") }
            guard state.layout?.room(room.id) == nil else {
                throw CommandError(.conflict, "'\(room.id)' is a room of the site already")
            }
            if state.programRooms?[room.id] == room { return [] }
            return [.programRoomAdded(ProgramRoom(id: room.id, name: name))]

        case .resolveFinding(let r):
            return try resolve(r, in: state, calendar: calendar, now: now)

        case .batch(let commands, let labels):
            var scratch = state
            var events: [Event] = []
            for (i, command) in commands.enumerated() {
                let produced: [Event]
                do {
                    produced = try Self.events(for: command, in: scratch, now: now)
                } catch {
                    let label = i < labels.count ? labels[i] : "item \(i + 1)"
                    throw CommandError(error.code, "\(label): \(error.message); nothing was changed")
                }
                for event in produced { _ = Reducer.apply(&scratch, event, now: now) }
                events += produced
            }
            return events
        }
    }

    /// The rules every booking meets: an active member with a plan at its start, a resource in
    /// the layout, an end after the start, and no other booking holding the resource meanwhile.
    static func checkBooking(_ booking: Booking, in state: State, calendar: SiteCalendar) throws(CommandError) {
        let member = try member(booking.member, in: state)
        guard member.status == .active else { throw CommandError(.conflict, "member '\(member.id)' is disabled") }
        guard booking.end > booking.start else { throw CommandError("a booking must end after it starts") }
        switch booking.resource {
        case .desk(let desk):
            guard state.layout?.desk(desk) != nil else {
                throw CommandError(.notFound, "no desk '\(desk)' in the layout: see the [[desks]] of the config")
            }
        case .room(let id):
            guard let room = state.layout?.room(id) else {
                throw CommandError(.notFound, "no room '\(id)' in the layout: see the [[rooms]] of the config")
            }
            if let slot = room.slot {
                let minutes = Int(slot.seconds / 60)
                let from = calendar.clock(booking.start).minute - SiteCalendar.dayStart * 60
                let length = Int((booking.end - booking.start).seconds / 60)
                guard from >= 0, from % minutes == 0, length % minutes == 0 else {
                    throw CommandError(
                        "room \(id) is booked by whole slots of \(minutes) min from \(SiteCalendar.dayStart):00: start and end on the slot grid"
                    )
                }
            }
        }
        guard member.plan(at: booking.start) != nil else {
            throw CommandError(
                .conflict,
                "member '\(member.id)' has no plan valid at \(calendar.text(booking.start)): grant one with `cantine members plan`"
            )
        }
        if let clash = state.bookings.values.first(where: {
            $0.id != booking.id && $0.resource == booking.resource && $0.blocks(booking.start, booking.end)
        }) {
            throw CommandError(
                .conflict,
                "\(booking.resource) is already booked from \(calendar.text(clash.start)) to \(calendar.text(clash.end)) (booking '\(clash.id)')"
            )
        }
        if case .desk(let desk) = booking.resource, let layout = state.layout,
            let zone = layout.desk(desk).flatMap({ d in layout.zones.first { $0.id == d.zone } }),
            let cap = zone.bookable
        {
            // The most bookings of the zone's desks in force at once over the new one's span.
            let desks = Set(layout.desks.filter { $0.zone == zone.id }.map(\.id))
            let others = state.bookings.values.filter {
                guard case .desk(let d) = $0.resource else { return false }
                return $0.id != booking.id && desks.contains(d) && $0.blocks(booking.start, booking.end)
            }
            let instants = [booking.start] + others.map(\.start).filter { $0 > booking.start }
            if let full = instants.first(where: { t in others.count { $0.start <= t && t < $0.end } >= cap }) {
                throw CommandError(
                    .conflict,
                    "zone \(zone.id) is fully booked at \(calendar.text(full)) (\(cap) of its desks may be booked at once): pick another zone or time"
                )
            }
        }
    }

    /// A staff action on a finding: the actions that fit its kind only.
    static func resolve(
        _ r: FindingResolution, in state: State, calendar: SiteCalendar, now: Instant
    ) throws(CommandError) -> [Event] {
        guard let f = state.findings[r.finding] else {
            throw CommandError(.notFound, "no finding '\(r.finding)': see `cantine findings list`")
        }
        guard f.open else {
            throw CommandError(
                .conflict, "finding '\(f.id)' is already resolved (\(f.resolution?.action.rawValue ?? ""))")
        }
        guard !r.by.isEmpty else { throw CommandError("resolving a finding needs the name of who does it") }
        switch r.action {
        case .confirm, .dismiss:
            guard r.member == nil else { throw CommandError("only attach names a member") }
            return [.findingResolved(r)]
        case .release:
            guard f.kind == .ghost, let b = f.booking, state.bookings[b].map({ $0.status != .cancelled }) == true else {
                throw CommandError(
                    "release applies to a ghost on a booked desk; '\(f.id)' is a \(f.kind.rawValue): confirm or dismiss it"
                )
            }
            return [.findingResolved(r)]
        case .attach:
            guard f.kind == .walkIn, let desk = f.desk else {
                if let room = f.room, f.kind == .walkIn {
                    throw CommandError(
                        "attach applies to a desk walk-in; for room \(room), book it for the member (`cantine bookings add`) and confirm '\(f.id)'"
                    )
                }
                throw CommandError("attach applies to a walk-in; '\(f.id)' is a \(f.kind.rawValue)")
            }
            guard let id = r.member else { throw CommandError("attach needs the member (--member ID)") }
            let member = try member(id, in: state)
            guard member.status == .active else { throw CommandError(.conflict, "member '\(id)' is disabled") }
            let since = f.raisedAt
            let (_, dayEnd) = try calendar.deskWindow(.day, on: calendar.date(of: now))
            let end = max(dayEnd, now + .minutes(60))
            if let clash = state.bookings.values.first(where: {
                $0.resource == .desk(desk) && $0.blocks(since, end)
            }) {
                throw CommandError(
                    .conflict, "desk \(desk) is booked by booking '\(clash.id)' meanwhile: confirm the walk-in instead")
            }
            let booking = Booking(
                id: BookingID("walk-in-\(desk)-\(since.micros / 1_000_000)"), member: id, resource: .desk(desk),
                start: since, end: end, status: .checkedIn)
            return [.bookingCreated(booking), .findingResolved(r)]
        }
    }

    static func member(_ id: MemberID, in state: State) throws(CommandError) -> Member {
        guard let m = state.members[id] else {
            throw CommandError(.notFound, "no member '\(id)': see `cantine members list`")
        }
        return m
    }
}
