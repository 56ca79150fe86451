// The reducer: (State, Event, now) -> (State, [Effect]). Pure; time comes only from `now`.

public enum Reducer {
    /// Applies `event` at `now`, returning the new state and the effects to carry out.
    public static func reduce(_ state: State, _ event: Event, now: Instant) -> (State, [Effect]) {
        var s = state
        let effects = apply(&s, event, now: now)
        return (s, effects)
    }

    /// In-place form of `reduce`, used on the hot path and by replay.
    public static func apply(_ s: inout State, _ event: Event, now: Instant) -> [Effect] {
        s.counters.events += 1
        switch event {
        case .daemonStarted:
            // Relays were driven locked at boot; sensors must report afresh.
            var effects: [Effect] = []
            for id in s.doors.keys.sorted() {
                s.doors[id]?.lock = .locked
                s.doors[id]?.unlockedUntil = nil
                effects.append(.relay(id, .lock))
            }
            for id in s.desks.keys { s.desks[id] = DeskState() }
            return effects + [.notify(.occupancyChanged)]

        case .layoutApplied(let layout):
            s.layout = layout
            let doorIDs = Set(layout.doors.map(\.id))
            let deskIDs = Set(layout.desks.map(\.id))
            s.doors = s.doors.filter { doorIDs.contains($0.key) }
            s.desks = s.desks.filter { deskIDs.contains($0.key) }
            for id in doorIDs where s.doors[id] == nil { s.doors[id] = DoorState() }
            for id in deskIDs where s.desks[id] == nil { s.desks[id] = DeskState() }
            return [.notify(.occupancyChanged), .notify(.programChanged)]

        case .memberRegistered(let ref):
            if s.members[ref.member] == nil { s.members[ref.member] = Member(id: ref.member) }
            return [.notify(.membersChanged)]
        case .memberDisabled(let ref):
            s.members[ref.member]?.status = .disabled
            return [.notify(.membersChanged)]
        case .memberEnabled(let ref):
            s.members[ref.member]?.status = .active
            return [.notify(.membersChanged)]
        case .planGranted(let grant):
            s.members[grant.member]?.plans.removeAll { $0.validUntil.map { $0 < now } ?? false }
            s.members[grant.member]?.plans.append(grant.plan)
            return [.notify(.membersChanged)]
        case .credentialEnrolled(let credential):
            s.credentials[credential.token] = credential
            return [.notify(.membersChanged)]
        case .credentialRevoked(let ref):
            if let c = s.credential(id: ref.credential) { s.credentials[c.token]?.revoked = true }
            return [.notify(.membersChanged)]

        case .badgePresented(let badge):
            return badgePresented(&s, badge, now: now)
        case .exitRequested(let ref):
            guard let door = s.layout?.door(ref.door) else { return [] }
            return unlock(&s, door, now: now)
        case .doorContact(let contact):
            guard var door = s.doors[contact.door] else { return [] }
            door.contact = contact.open ? .open : .closed
            var effects: [Effect] = [.notify(.doorChanged(contact.door))]
            if contact.open, door.lock == .locked, door.alarm == nil {
                door.alarm = .forced
                effects.append(.notify(.alarm(contact.door, .forced)))
            } else if !contact.open, door.alarm == .forced {
                door.alarm = nil
            }
            s.doors[contact.door] = door
            return effects
        case .timerFired(.relock(let id)):
            guard var door = s.doors[id], door.lock == .unlocked else { return [] }
            guard let until = door.unlockedUntil, until <= now else { return [] }
            door.lock = .locked
            door.unlockedUntil = nil
            s.doors[id] = door
            return [.relay(id, .lock), .notify(.doorChanged(id))]

        case .deskReported(let report):
            guard var desk = s.desks[report.desk] else { return [] }
            let occupancy: Occupancy = report.occupied ? .occupied : .vacant
            guard desk.occupancy != occupancy else { return [] }
            desk.occupancy = occupancy
            desk.since = now
            s.desks[report.desk] = desk
            return [.notify(.deskChanged(report.desk)), .notify(.occupancyChanged)]

        case .bookingCreated(let booking):
            // Keep a week of history in memory; older bookings live only in the store.
            let horizon = now - .seconds(7 * 86_400)
            s.bookings = s.bookings.filter { $0.value.end >= horizon }
            s.bookings[booking.id] = booking
            return [.notify(.bookingsChanged), .notify(.occupancyChanged)]
        case .bookingCancelled(let ref):
            s.bookings[ref.booking]?.status = .cancelled
            return [.notify(.bookingsChanged), .notify(.occupancyChanged)]
        case .sessionScheduled(let session):
            let horizon = now - .seconds(7 * 86_400)
            s.sessions = s.sessions.filter { $0.value.end >= horizon }
            s.sessions[session.id] = session
            return [.notify(.programChanged)]
        case .sessionRemoved(let ref):
            s.sessions[ref.session] = nil
            return [.notify(.programChanged)]
        }
    }

    static func badgePresented(_ s: inout State, _ badge: BadgePresented, now: Instant) -> [Effect] {
        let decision = AccessPolicy.decide(badge, in: s, now: now)
        switch decision {
        case .denied(let reason, let member):
            s.counters.denied += 1
            let record = AccessRecord(
                door: badge.door, member: member, granted: false, reason: reason, plan: nil, at: now)
            return [.notify(.access(record))]
        case .granted(let member, let plan):
            s.counters.granted += 1
            guard let door = s.layout?.door(badge.door) else { return [] }
            switch door.direction {
            case .entry: s.present[member] = now
            case .exit: s.present[member] = nil
            }
            let record = AccessRecord(door: badge.door, member: member, granted: true, reason: nil, plan: plan, at: now)
            return unlock(&s, door, now: now) + [.notify(.access(record)), .notify(.occupancyChanged)]
        }
    }

    static func unlock(_ s: inout State, _ door: Door, now: Instant) -> [Effect] {
        let pulse = min(door.pulse, Door.maxPulse)
        let until = now + pulse
        s.doors[door.id, default: DoorState()].lock = .unlocked
        s.doors[door.id, default: DoorState()].unlockedUntil = until
        return [
            .relay(door.id, .unlock(pulse)), .schedule(.relock(door.id), at: until), .notify(.doorChanged(door.id)),
        ]
    }
}
