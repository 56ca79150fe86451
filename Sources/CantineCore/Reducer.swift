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
                s.doors[id]?.pendingPIN = nil
                effects.append(.relay(id, .lock))
                // The new process opened its readers afresh: one still failing is raised again.
                if s.doors[id]?.clear(.readerOffline) == true {
                    effects.append(.notify(.alarmCleared(id, .readerOffline)))
                }
                // Timers lived in the old process: ask again for those an alarm still needs.
                if let door = s.doors[id], let layout = s.layout?.door(id) {
                    if door.contact == .open, let opened = door.openedAt {
                        effects.append(.schedule(.heldOpen(id), at: opened + layout.heldOpenAfter))
                    }
                    if let last = door.recentDenials.last, let rules = s.layout?.access {
                        effects.append(.schedule(.denials(id), at: last + rules.denialWindow))
                    }
                }
            }
            // Desks show unknown until their sensors speak again; the last report's seq and
            // uptime are kept, so reports the broker queued meanwhile are still ordered.
            for id in s.desks.keys {
                _ = s.desks[id]?.forget(at: now)
                s.desks[id]?.since = nil
            }
            for id in s.rooms.keys {
                _ = s.rooms[id]?.forget(at: now)
                s.rooms[id]?.since = nil
            }
            for id in s.nodes.keys { s.nodes[id]?.online = nil }
            for b in s.bookings.values.sorted(by: { $0.id < $1.id })
            where b.status == .booked || b.status == .checkedIn {
                if let next = b.nextCheckpoint(after: now, rules: s.reconcileRules) {
                    effects.append(.schedule(.booking(b.id), at: next))
                }
            }
            return effects + [.notify(.occupancyChanged)]

        case .layoutApplied(let layout):
            s.layout = layout
            let doorIDs = Set(layout.doors.map(\.id))
            let deskIDs = Set(layout.desks.map(\.id))
            s.doors = s.doors.filter { doorIDs.contains($0.key) }
            s.desks = s.desks.filter { deskIDs.contains($0.key) }
            let sensedRooms = Set(layout.rooms.filter { $0.sensor != nil }.map(\.id))
            s.rooms = s.rooms.filter { sensedRooms.contains($0.key) }
            let nodeIDs = Set(layout.desks.compactMap(\.node) + layout.rooms.compactMap(\.node))
            s.nodes = s.nodes.filter { nodeIDs.contains($0.key) }
            for id in doorIDs where s.doors[id] == nil { s.doors[id] = DoorState() }
            for id in deskIDs where s.desks[id] == nil { s.desks[id] = DeskState() }
            for id in sensedRooms where s.rooms[id] == nil { s.rooms[id] = DeskState() }
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
        case .memberErased(let ref):
            return memberErased(&s, ref.member)
        case .planGranted(let grant):
            s.members[grant.member]?.plans.removeAll { $0.validUntil.map { $0 < now } ?? false }
            s.members[grant.member]?.plans.append(grant.plan)
            return [.notify(.membersChanged)]
        case .planEnded(let end):
            if let i = s.members[end.member]?.plans.firstIndex(where: { $0.id == end.plan }),
                let plan = s.members[end.member]?.plans[i]
            {
                s.members[end.member]?.plans[i].validUntil = max(plan.validFrom, min(plan.validUntil ?? end.at, end.at))
                s.members[end.member]?.plans[i].endedAt = end.at
            }
            return [.notify(.membersChanged)]
        case .credentialEnrolled(let credential):
            s.credentials[credential.token] = credential
            s.credentialTokens[credential.id] = credential.token
            return [.notify(.membersChanged)]
        case .credentialRevoked(let ref):
            if let c = s.credential(id: ref.credential) { s.credentials[c.token]?.revoked = true }
            return [.notify(.membersChanged)]

        case .badgePresented(let badge):
            return badgePresented(&s, badge, now: now)
        case .pinEntered(let entry):
            return pinEntered(&s, entry, now: now)
        case .exitRequested(let ref):
            guard let door = s.layout?.door(ref.door) else { return [] }
            return unlock(&s, door, now: now)
                + logAccess(&s, AccessRecord(door: door.id, member: nil, reason: .exitButton, at: now))
        case .remoteUnlock(let request):
            guard let door = s.layout?.door(request.door) else { return [] }
            return unlock(&s, door, now: now)
                + logAccess(
                    &s,
                    AccessRecord(
                        door: door.id, member: nil, reason: .remote, at: now, by: request.by, note: request.reason))
        case .presenceCleared(let p):
            guard s.present.removeValue(forKey: p.member) != nil else { return [] }
            return [.notify(.occupancyChanged)]
        case .credentialPINSet(let change):
            guard let c = s.credential(id: change.credential) else { return [] }
            s.credentials[c.token]?.pin = change.digest
            return [.notify(.membersChanged)]
        case .doorContact(let contact):
            return doorContact(&s, contact, now: now)
        case .readerFault(let fault):
            guard s.doors[fault.door] != nil else { return [] }
            let changed =
                fault.failing
                ? s.doors[fault.door]?.raise(.readerOffline) == true
                : s.doors[fault.door]?.clear(.readerOffline) == true
            guard changed else { return [] }
            return [
                .notify(fault.failing ? .alarm(fault.door, .readerOffline) : .alarmCleared(fault.door, .readerOffline)),
                .notify(.doorChanged(fault.door)),
            ]
        case .timerFired(let timer):
            return timerFired(&s, timer, now: now)

        case .deskReported(let report):
            return sensed(&s, report, now: now)
        case .roomReported(let report):
            return sensed(&s, report, now: now)
        case .sensorHeartbeats(let batch):
            return heartbeats(&s, batch)
        case .sensorConflict(let conflict):
            return sensorConflict(&s, conflict, now: now)
        case .nodeStatus(let status):
            return nodeStatus(&s, status, now: now)
        case .wiredSensorFault(let fault):
            return wiredSensorFault(&s, fault, now: now)

        case .bookingCreated(let booking), .bookingChanged(let booking):
            // Keep a week of history in memory; older bookings live only in the store.
            let horizon = now - State.keepEnded
            s.bookings = s.bookings.filter { $0.value.end >= horizon }
            s.bookings[booking.id] = booking
            let next = booking.nextCheckpoint(after: now, rules: s.reconcileRules).map {
                [Effect.schedule(.booking(booking.id), at: $0)]
            }
            return [.notify(.bookingsChanged), .notify(.occupancyChanged)] + (next ?? [])
        case .bookingCancelled(let ref):
            s.bookings[ref.booking]?.status = .cancelled
            return [.notify(.bookingsChanged), .notify(.occupancyChanged)]
        case .sessionScheduled(let session):
            let horizon = now - State.keepEnded
            s.sessions = s.sessions.filter { $0.value.end >= horizon }
            s.sessions[session.id] = session
            return [.notify(.programChanged)]
        case .sessionRemoved(let ref):
            s.sessions[ref.session] = nil
            return [.notify(.programChanged)]
        case .programRoomAdded(let room):
            s.programRooms = (s.programRooms ?? [:]).merging([room.id: room]) { _, new in new }
            return [.notify(.programChanged)]
        case .bookingCheckedIn(let c):
            return bookingCheckedIn(&s, c, now: now)
        case .findingRaised(let f):
            return findingRaised(&s, f, now: now)
        case .findingEnded(let ref):
            return findingEnded(&s, ref, now: now)
        case .findingResolved(let r):
            return findingResolved(&s, r, now: now)
        case .roamingRecord(let record):
            return roamingRecord(&s, record, now: now)
        case .siteHeard(let heard):
            return siteHeard(&s, heard, now: now)
        case .visitReported(let visit):
            return visitReported(&s, visit)
        }
    }

    /// Forgets a member: their plans, badges, bookings, presence and pending PIN; findings
    /// about them stay, anonymous.
    static func memberErased(_ s: inout State, _ member: MemberID) -> [Effect] {
        guard s.members.removeValue(forKey: member) != nil else { return [] }
        for (token, credential) in s.credentials where credential.member == member {
            s.credentials[token] = nil
            if s.credentialTokens[credential.id] == token { s.credentialTokens[credential.id] = nil }
        }
        s.bookings = s.bookings.filter { $0.value.member != member }
        s.present[member] = nil
        for (id, door) in s.doors where door.pendingPIN?.member == member { s.doors[id]?.pendingPIN = nil }
        for (id, finding) in s.findings where finding.member == member { s.findings[id]?.member = nil }
        return [.notify(.membersChanged), .notify(.bookingsChanged), .notify(.occupancyChanged)]
    }

    static func badgePresented(_ s: inout State, _ badge: BadgePresented, now: Instant) -> [Effect] {
        switch AccessPolicy.decide(badge, in: s, now: now) {
        case .denied(let reason, let member):
            return deny(&s, AccessRecord(door: badge.door, member: member, reason: reason, at: now))
        case .needsPIN(let member, _, let plan):
            guard let token = badge.token, let rules = s.layout?.access else { return [] }
            let until = now + rules.pinTimeout
            s.doors[badge.door]?.pendingPIN = PendingPIN(
                member: member, token: token, plan: plan, until: until)
            return [.schedule(.pin(badge.door), at: until)]
                + logAccess(
                    &s, AccessRecord(door: badge.door, member: member, reason: .pinPending, plan: plan, at: now))
        case .granted(let member, let reason, let plan):
            return grant(&s, AccessRecord(door: badge.door, member: member, reason: reason, plan: plan, at: now))
        }
    }

    static func pinEntered(_ s: inout State, _ entry: PINEntered, now: Instant) -> [Effect] {
        guard let pending = s.doors[entry.door]?.pendingPIN else { return [] }
        s.doors[entry.door]?.pendingPIN = nil
        guard now < pending.until else {
            return deny(&s, AccessRecord(door: entry.door, member: pending.member, reason: .pinTimeout, at: now))
        }
        guard let expected = s.credentials[pending.token]?.pin, expected == entry.digest else {
            return deny(&s, AccessRecord(door: entry.door, member: pending.member, reason: .wrongPIN, at: now))
        }
        return grant(
            &s, AccessRecord(door: entry.door, member: pending.member, reason: .pin, plan: pending.plan, at: now))
    }

    /// A granted decision: unlock, count the person in or out.
    static func grant(_ s: inout State, _ record: AccessRecord) -> [Effect] {
        guard let door = s.layout?.door(record.door), let member = record.member else { return [] }
        switch door.direction {
        case .entry:
            // Presences past their TTL are dropped at every 64th member counted in: a pass over
            // everyone inside on each grant cost the door tens of µs with a crowd. Readers
            // apply the TTL themselves.
            if s.present.updateValue(record.at, forKey: member) == nil, s.present.count % 64 == 0,
                let ttl = s.layout?.sensors.presenceTTL
            {
                s.present = s.present.filter { record.at - $0.value < ttl }
            }
        case .exit: s.present[member] = nil
        }
        return unlock(&s, door, now: record.at) + logAccess(&s, record) + [.notify(.occupancyChanged)]
    }

    /// A denied decision: logged, and counted towards the reader's repeated-denials alarm.
    static func deny(_ s: inout State, _ record: AccessRecord) -> [Effect] {
        var effects = logAccess(&s, record)
        guard let rules = s.layout?.access, var door = s.doors[record.door] else { return effects }
        let now = record.at
        door.recentDenials = (door.recentDenials.filter { now - $0 < rules.denialWindow } + [now])
            .suffix(max(rules.denialAlarmCount, 1))
        if door.recentDenials.count >= rules.denialAlarmCount, door.raise(.repeatedDenials) {
            effects.append(.notify(.alarm(record.door, .repeatedDenials)))
        }
        if door.alarms.contains(.repeatedDenials) {
            effects.append(.schedule(.denials(record.door), at: now + rules.denialWindow))
        }
        s.doors[record.door] = door
        return effects
    }

    static func logAccess(_ s: inout State, _ record: AccessRecord) -> [Effect] {
        if record.granted {
            s.counters.granted += 1
        } else if !record.reason.pending {
            s.counters.denied += 1
        }
        return [.notify(.access(record))]
    }

    static func doorContact(_ s: inout State, _ contact: DoorContact, now: Instant) -> [Effect] {
        guard var state = s.doors[contact.door], let door = s.layout?.door(contact.door) else { return [] }
        let new: ContactState = contact.open ? .open : .closed
        guard state.contact != new else { return [] }
        state.contact = new
        var effects: [Effect] = [.notify(.doorChanged(door.id))]
        if contact.open {
            state.openedAt = now
            if state.lock == .locked, state.raise(.forced) {
                effects.append(.notify(.alarm(door.id, .forced)))
            }
            effects.append(.schedule(.heldOpen(door.id), at: now + door.heldOpenAfter))
        } else {
            state.openedAt = nil
            for alarm in [DoorAlarm.forced, .heldOpen] where state.clear(alarm) {
                effects.append(.notify(.alarmCleared(door.id, alarm)))
            }
            if door.relockOnClose, state.lock == .unlocked {
                state.lock = .locked
                state.unlockedUntil = nil
                effects.insert(.relay(door.id, .lock), at: 0)
            }
        }
        s.doors[door.id] = state
        return effects
    }

    static func timerFired(_ s: inout State, _ timer: TimerID, now: Instant) -> [Effect] {
        switch timer {
        case .relock(let id):
            guard var door = s.doors[id], door.lock == .unlocked else { return [] }
            // Door timers run on the monotonic clock: if the pulse seems to end more than the
            // longest pulse from now, the wall clock was stepped back; the timer is right.
            guard let until = door.unlockedUntil, until <= now || until - now > Door.maxPulse else { return [] }
            door.lock = .locked
            door.unlockedUntil = nil
            s.doors[id] = door
            return [.relay(id, .lock), .notify(.doorChanged(id))]
        case .heldOpen(let id):
            guard var door = s.doors[id], let layout = s.layout?.door(id), door.contact == .open,
                let opened = door.openedAt, opened + layout.heldOpenAfter <= now || opened > now,
                door.raise(.heldOpen)
            else { return [] }
            s.doors[id] = door
            return [.notify(.alarm(id, .heldOpen)), .notify(.doorChanged(id))]
        case .denials(let id):
            guard var door = s.doors[id], let rules = s.layout?.access, let last = door.recentDenials.last,
                last + rules.denialWindow <= now || last > now
            else { return [] }
            door.recentDenials = []
            let cleared = door.clear(.repeatedDenials)
            s.doors[id] = door
            return cleared ? [.notify(.alarmCleared(id, .repeatedDenials))] : []
        case .desk(let id):
            return sensedTimer(&s, .desk(id), now: now)
        case .room(let id):
            return sensedTimer(&s, .room(id), now: now)
        case .booking(let id):
            // Reconciliation (in the engine) looks at the booking; here, the next checkpoint.
            guard let b = s.bookings[id], b.status == .booked || b.status == .checkedIn,
                let next = b.nextCheckpoint(after: now, rules: s.reconcileRules)
            else { return [] }
            return [.schedule(.booking(id), at: next)]
        case .pin(let id):
            let longest = s.layout?.access.pinTimeout ?? .seconds(20)
            guard let pending = s.doors[id]?.pendingPIN, pending.until <= now || pending.until - now > longest
            else { return [] }
            s.doors[id]?.pendingPIN = nil
            return deny(&s, AccessRecord(door: id, member: pending.member, reason: .pinTimeout, at: now))
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
