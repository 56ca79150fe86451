// Every kind of event through the journal's codec: one sample per `EventKind` (the switch
// below is exhaustive, so a new kind without a sample does not compile), encoded and decoded
// back equal, then written to a real SQLite journal, read back, and replayed to the same state
// as applying the samples live.

import CantineCore
import CantineStore
import Foundation
import Testing

@Suite struct EventCodecTests {
    static let t0 = Instant(seconds: 1_795_251_600)
    static let plan = Plan(id: "p1", kind: .residentMonthly, validFrom: t0, validUntil: t0 + .seconds(86_400))
    static let layout = SiteLayout(
        site: "paris", name: "La Cantine", capacity: 3, zones: [Zone(id: "fenetre", name: "Fenêtre")],
        doors: [Door(id: "entree", name: "Entrée", direction: .entry, pulse: .seconds(5))],
        desks: [Desk(id: "f01", name: "F01", zone: "fenetre")],
        rooms: [Room(id: "salle-1", name: "Salle", capacity: 8)])

    /// One event of `kind`, with every optional field set where it has one.
    static func sample(_ kind: EventKind) -> Event {
        switch kind {
        case .daemonStarted: .daemonStarted(DaemonStarted(version: "9.9.9"))
        case .layoutApplied: .layoutApplied(layout)
        case .memberRegistered: .memberRegistered(MemberRef(member: "ada", sealed: "c2VhbGVk"))
        case .memberDisabled: .memberDisabled(MemberRef(member: "ada"))
        case .memberEnabled: .memberEnabled(MemberRef(member: "ada"))
        case .memberErased: .memberErased(MemberRef(member: "ada"))
        case .planGranted: .planGranted(PlanGranted(member: "ada", plan: plan))
        case .planEnded:
            .planEnded(PlanEnded(member: "ada", plan: "p-1", at: Instant(seconds: 1_795_300_000), by: "staff:bob"))
        case .credentialEnrolled:
            .credentialEnrolled(Credential(id: "b1", member: "ada", format: .h10301, token: "tok", pin: "d1"))
        case .credentialRevoked: .credentialRevoked(CredentialRef(credential: "b1"))
        case .badgePresented:
            .badgePresented(
                BadgePresented(
                    door: "entree", token: "tok", format: .h10306, unreadable: "parity", fault: .parity,
                    network: "net"))
        case .pinEntered: .pinEntered(PINEntered(door: "entree", digest: "d1"))
        case .exitRequested: .exitRequested(DoorRef(door: "entree"))
        case .remoteUnlock: .remoteUnlock(RemoteUnlock(door: "entree", by: "zoe", reason: "délivreur"))
        case .presenceCleared: .presenceCleared(PresenceCleared(member: "ada", by: "staff:alice"))
        case .credentialPINSet: .credentialPINSet(CredentialPIN(credential: "b1", digest: "d2"))
        case .doorContact: .doorContact(DoorContact(door: "entree", open: true))
        case .readerFault: .readerFault(ReaderFault(door: "entree", failing: true, detail: "chip gone"))
        case .deskReported:
            .deskReported(DeskReport(desk: "f01", occupied: true, seq: 7, uptimeS: 60, fw: "1.0.0", rssi: -60))
        case .roomReported:
            .roomReported(RoomReport(room: "salle-1", occupied: true, seq: 8, uptimeS: 61, fw: "1.0.1", rssi: -61))
        case .sensorHeartbeats:
            .sensorHeartbeats(
                HeartbeatBatch([
                    Heartbeat(
                        place: .desk("f01"), occupied: true, seq: 9, uptimeS: 120, at: t0 + Span(micros: 1_234_567),
                        rssi: -58),
                    Heartbeat(place: .room("salle-1"), occupied: false, seq: 10, uptimeS: 121, at: t0),
                ]))
        case .sensorConflict: .sensorConflict(SensorConflict(.room("salle-1"), refused: 3))
        case .nodeStatus: .nodeStatus(NodeStatus(node: "node-f01", online: false))
        case .wiredSensorFault: .wiredSensorFault(WiredSensorFault(desks: ["f01"], detail: "line gone"))
        case .bookingCreated:
            .bookingCreated(
                Booking(
                    id: "k1", member: "ada", resource: .desk("f01"), start: t0, end: t0 + .seconds(3600),
                    origin: ImportOrigin(feed: "cal", key: "uid-1")))
        case .bookingChanged:
            .bookingChanged(
                Booking(
                    id: "k1", member: "ada", resource: .room("salle-1"), start: t0, end: t0 + .seconds(7200),
                    status: .checkedIn))
        case .bookingCancelled: .bookingCancelled(BookingRef(booking: "k1"))
        case .sessionScheduled:
            .sessionScheduled(
                ProgramSession(
                    id: "s1", title: "Café «crème» ☕", room: "salle-1", start: t0, end: t0 + .seconds(1800),
                    kind: .workshop, track: "Ethics, Society & Politics", speakers: ["Inès", "Ada"],
                    origin: ImportOrigin(feed: "pretalx", key: "42")))
        case .sessionRemoved: .sessionRemoved(SessionRef(session: "s1"))
        case .programRoomAdded: .programRoomAdded(ProgramRoom(id: "workshop-raum", name: "Workshop-Raum"))
        case .timerFired: .timerFired(.heldOpen("entree"))
        case .bookingCheckedIn: .bookingCheckedIn(BookingCheckIn(booking: "k1", by: "sensor"))
        case .findingRaised:
            .findingRaised(
                Finding(
                    id: "f1", kind: .ghost, desk: "f01", room: "salle-1", booking: "k1", member: "ada",
                    detail: "nobody inside", raisedAt: t0))
        case .findingEnded: .findingEnded(FindingRef(finding: "f1"))
        case .findingResolved:
            .findingResolved(FindingResolution(finding: "f1", action: .attach, by: "zoe", member: "ada", at: t0))
        case .roamingRecord:
            .roamingRecord(
                RoamingRecord(
                    member: "bob", home: "lyon", version: 12, credentials: ["net-bob"], plans: [plan], revoked: false,
                    ttlSeconds: 86_400))
        case .siteHeard: .siteHeard(SiteHeard(site: "lyon"))
        case .visitReported:
            .visitReported(
                VisitReport(
                    site: "lyon", seq: 99, member: "ada", door: "porte", granted: true, reason: .plan, at: t0))
        }
    }

    @Test(arguments: EventKind.allCases)
    func everyKindComesBackEqualFromItsPayload(kind: EventKind) throws {
        let event = Self.sample(kind)
        #expect(event.kind == kind.rawValue)
        let payload = try event.encodePayload(with: JSONEncoder())
        #expect(try Event.decode(kind: kind.rawValue, payload: payload, with: JSONDecoder()) == event)
    }

    /// Sensor reports are written by hand (ReportJSON): the same JSON object as JSONEncoder's
    /// and decoded back equal, whatever a node put in its firmware string.
    @Test func aReportsHandWrittenPayloadIsTheEncodersJSON() throws {
        var rng = SystemRandomNumberGenerator()
        let awkward = [
            "", "1.2.3", "quote\"d", "back\\slash", "sl/ash", "new\nline\ttab\rcr", "\u{0}\u{1}\u{1F}\u{7F}",
            "Fenêtre", "😀 emoji", "\u{2028}\u{2029}",
        ]
        let extremes: [Int64?] = [nil, 0, -1, 1, .max, .min]
        for i in 0..<2_000 {
            let seq = i < 200 ? extremes[i % extremes.count] : Int64.random(in: .min ... .max, using: &rng)
            let fw = i % 3 == 0 ? nil : awkward.randomElement(using: &rng)! + String(i)
            let rssi = i % 4 == 0 ? nil : Int.random(in: -120...20, using: &rng)
            let occupied = Bool.random(using: &rng)
            let uptime = i % 5 == 0 ? nil : Int64.random(in: 0 ... .max, using: &rng)
            for event in [
                Event.deskReported(
                    DeskReport(desk: "f01", occupied: occupied, seq: seq, uptimeS: uptime, fw: fw, rssi: rssi)),
                .roomReported(
                    RoomReport(room: "salle-1", occupied: occupied, seq: seq, uptimeS: uptime, fw: fw, rssi: rssi)),
            ] {
                let written = try event.encodePayload(with: JSONEncoder())
                let encoded = try JSONEncoder().encode(event.parts.payload)
                #expect(try Event.decode(kind: event.kind, payload: written, with: JSONDecoder()) == event)
                let a = try JSONSerialization.jsonObject(with: written) as? NSDictionary
                let b = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
                #expect(a != nil && a == b, "\(String(decoding: written, as: UTF8.self))")
            }
        }
    }

    @Test func anUnknownKindIsRefusedNamingIt() {
        #expect(throws: UnknownEventKind.self) {
            try Event.decode(kind: "door.teleported", payload: Data("{}".utf8), with: JSONDecoder())
        }
    }

    @Test func everyKindThroughARealJournalReplaysToTheLiveState() async throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        let writer = JournalWriter(store: store, durableSeq: 0)
        let events = EventKind.allCases.map(Self.sample)
        let written = events.enumerated().map { entry(Int64($0.offset + 1), $0.element) }
        writer.enqueue(written, attachment: nil)
        await writer.waitDurable(through: Int64(written.count))
        var read: [JournalEntry] = []
        try store.forEachEntry { read.append($0) }
        #expect(read.count == written.count)
        for (r, w) in zip(read, written) { #expect(r == w, "\(w.event.kind) came back changed") }

        var live = State()
        for e in written { _ = Reducer.apply(&live, e.event, now: e.wall) }
        var replayed = State()
        for e in read { _ = Reducer.apply(&replayed, e.event, now: e.wall) }
        #expect(StateDigest.of(replayed) == StateDigest.of(live))
        #expect(live.layout?.site == "paris" && live.network?.heard["lyon"] != nil, "the samples reach the state")
        writer.close()
    }
}
