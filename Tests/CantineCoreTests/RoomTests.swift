// Rooms with an occupancy sensor, through the engine on a manual clock: the booking checked
// in by the sensor, an overstay past the booking's end and its grace, a walk-in or a ghost in
// a room used without a booking, the room sensor's health, admission of room reports.

import CantineCore
import Foundation
import Testing

@Suite struct RoomTests {
    let t0 = Fixture.t0  // Saturday 10:00 Paris

    /// The reconcile fixture with its room watched by node `n-salle`.
    func site() -> Site {
        var s = Site.members()
        guard var layout = s.layout else { return Site(s) }
        layout.rooms = [Room(id: "salle-1", name: "Salle", capacity: 8, sensor: .node("n-salle"))]
        _ = Reducer.apply(&s, .layoutApplied(layout), now: t0)
        return Site(s)
    }

    func room(_ site: Site, occupied: Bool) {
        site.engine.submit(.roomReported(RoomReport(room: "salle-1", occupied: occupied)), source: "sensor")
    }

    /// The room's node reporting every minute for `minutes`.
    func keep(_ site: Site, occupied: Bool, minutes: Int) {
        for _ in 0..<minutes {
            site.advance(.minutes(1))
            room(site, occupied: occupied)
        }
    }

    func bookRoom(_ site: Site, _ id: BookingID, _ who: MemberID, from: Instant, to: Instant) throws {
        _ = try site.engine.execute(
            .book(Booking(id: id, member: who, resource: .room("salle-1"), start: from, end: to)), source: "t")
    }

    @Test func aRoomStillOccupiedPastItsBookingIsAnOverstay() throws {
        let site = site()
        site.badge("bob")
        try bookRoom(site, "r-1", "bob", from: t0, to: t0 + .minutes(60))
        room(site, occupied: true)
        site.advance(.seconds(10))  // past occupied_after_s
        #expect(site.state.rooms["salle-1"]?.occupancy == .occupied)
        #expect(site.state.bookings["r-1"]?.status == .checkedIn)
        #expect(site.state.occupancy(at: site.time.now()).rooms.first?.occupancy == .occupied)

        keep(site, occupied: true, minutes: 68)  // 11:08: within the 10-minute grace
        #expect(site.findings(.overstay).isEmpty)
        keep(site, occupied: true, minutes: 3)  // 11:11: the booking's overstay checkpoint passed
        let overstay = try #require(site.findings(.overstay).first)
        #expect(overstay.id == "overstay.r-1")
        #expect(overstay.room == "salle-1" && overstay.booking == "r-1" && overstay.member == "bob")
        #expect(overstay.desk == nil)
        #expect(overstay.raisedAt == t0 + .minutes(70))
        #expect(overstay.detail == "occupied 10 min past the end")
        #expect(site.findings(.walkIn).isEmpty && site.findings(.ghost).isEmpty)

        // They leave: once the room shows vacant the condition ends; the finding waits for staff.
        keep(site, occupied: false, minutes: 3)
        #expect(site.state.rooms["salle-1"]?.occupancy == .vacant)
        #expect(site.state.findings[overstay.id]?.endedAt != nil)
        #expect(site.state.findings[overstay.id]?.open == true)
        _ = try site.engine.execute(
            .resolveFinding(FindingResolution(finding: overstay.id, action: .confirm, by: "staff:alice")), source: "t")
        #expect(site.state.findings[overstay.id]?.open == false)
        #expect(site.replayed() == site.state)
    }

    @Test func theNextBookingStartingEndsTheOverstay() throws {
        let site = site()
        site.badge("bob")
        try bookRoom(site, "r-1", "bob", from: t0, to: t0 + .minutes(60))
        try bookRoom(site, "r-2", "cy", from: t0 + .minutes(75), to: t0 + .minutes(135))
        room(site, occupied: true)
        keep(site, occupied: true, minutes: 72)
        let overstay = try #require(site.findings(.overstay).first)
        #expect(site.state.findings[overstay.id]?.endedAt == nil)
        keep(site, occupied: true, minutes: 4)  // 11:16: Cy's booking is in force, her group is in
        #expect(site.state.findings[overstay.id]?.endedAt == t0 + .minutes(75))
        #expect(site.state.bookings["r-2"]?.status == .checkedIn)
        #expect(site.findings(.overstay).count == 1)
    }

    @Test func aRoomUsedWithoutABookingIsAWalkInOnceItLasts() throws {
        let site = site()
        site.badge("bob")
        // Someone fetching a chair: occupied for a few minutes, no finding.
        room(site, occupied: true)
        keep(site, occupied: true, minutes: 4)
        _ = site.engine.reconcile()
        keep(site, occupied: false, minutes: 3)
        _ = site.engine.reconcile()
        #expect(site.findings(.walkIn).isEmpty)

        // A meeting nobody booked: the minute pass sees it once it has lasted the grace.
        keep(site, occupied: true, minutes: 9)
        _ = site.engine.reconcile()
        #expect(site.findings(.walkIn).isEmpty)
        keep(site, occupied: true, minutes: 3)  // 10 min since it showed occupied (10:08:05)
        _ = site.engine.reconcile()
        let walkIn = try #require(site.findings(.walkIn).first)
        #expect(walkIn.room == "salle-1" && walkIn.desk == nil && walkIn.detail == "no booking")

        // A walk-in into a room is not attached like a desk's: staff book the room instead.
        #expect {
            _ = try site.engine.execute(
                .resolveFinding(FindingResolution(finding: walkIn.id, action: .attach, by: "staff", member: "bob")),
                source: "t")
        } throws: { ($0 as? CommandError)?.message.contains("book it for the member") == true }
        #expect(site.replayed() == site.state)
    }

    @Test func aRoomOccupiedWhileNobodyIsInsideIsAGhost() throws {
        let site = site()
        room(site, occupied: true)
        keep(site, occupied: true, minutes: 11)
        _ = site.engine.reconcile()
        let ghost = try #require(site.findings(.ghost).first)
        #expect(ghost.room == "salle-1" && ghost.detail == "nobody inside")
        site.badge("bob")  // someone is inside after all: a walk-in now, the ghost ends
        #expect(site.state.findings[ghost.id]?.endedAt == site.time.now())
        #expect(site.findings(.walkIn).first?.room == "salle-1")
    }

    @Test func aSilentRoomSensorIsStaleAndItsNodeGoingOfflineForgetsTheRoom() throws {
        let site = site()
        room(site, occupied: true)
        site.advance(.seconds(10))
        site.advance(.minutes(4))  // silent past silent_after_s (180 s)
        #expect(site.state.rooms["salle-1"]?.occupancy == .unknown)
        let stale = try #require(site.findings(.sensor).first)
        #expect(stale.room == "salle-1" && stale.detail == "stale" && stale.desk == nil)
        room(site, occupied: false)
        #expect(site.state.findings[stale.id]?.endedAt != nil)

        room(site, occupied: true)
        site.advance(.seconds(10))
        #expect(site.state.rooms["salle-1"]?.occupancy == .occupied)
        site.engine.submit(.nodeStatus(NodeStatus(node: "n-salle", online: false)), source: "node")
        #expect(site.state.rooms["salle-1"]?.occupancy == .unknown)
        #expect(site.state.nodes["n-salle"]?.online == false)
    }

    @Test func roomReportsAreAdmittedLikeDeskReports() throws {
        let site = site()
        let s = site.state
        let at = t0 + .seconds(1)
        #expect(
            SensorPolicy.admit(RoomReport(room: "salle-1", occupied: true, seq: 1, uptimeS: 10), in: s, now: at) == nil)
        #expect(
            SensorPolicy.admit(RoomReport(room: "cave", occupied: true, seq: 1, uptimeS: 10), in: s, now: at)
                == .unknownRoom)
        site.engine.submit(
            .roomReported(RoomReport(room: "salle-1", occupied: true, seq: 5, uptimeS: 50)), source: "sensor")
        let after = site.state
        #expect(
            SensorPolicy.admit(RoomReport(room: "salle-1", occupied: true, seq: 5, uptimeS: 50), in: after, now: at)
                == .duplicate)
        #expect(
            SensorPolicy.admit(RoomReport(room: "salle-1", occupied: false, seq: 4, uptimeS: 40), in: after, now: at)
                == .outOfOrder)

        // The fixture's own room has no sensor: nobody may report for it, and it shows no occupancy.
        let plain = Site()
        #expect(
            SensorPolicy.admit(RoomReport(room: "salle-1", occupied: true), in: plain.state, now: at) == .notANodeDesk)
        #expect(plain.state.occupancy(at: at).rooms.first?.occupancy == nil)
        #expect(plain.state.rooms.isEmpty)
    }
}

@Suite struct RoomEncodingTests {
    /// A base snapshot's digest is checked against its state re-encoded: a room without
    /// aliases, and a state without rooms of the program only, encode as before they existed.
    @Test func fieldsAddedLaterAreLeftOutWhenEmpty() throws {
        let room = Room(id: "salle-1", name: "Salle de réunion", capacity: 8)
        let json = String(decoding: try JSONEncoder().encode(room), as: UTF8.self)
        #expect(!json.contains("aliases"))
        let named = Room(id: "salle-1", name: "Salle de réunion", capacity: 8, aliases: ["Salle 1"])
        #expect(try JSONDecoder().decode(Room.self, from: JSONEncoder().encode(named)) == named)
        #expect(try JSONDecoder().decode(Room.self, from: Data(json.utf8)) == room)
        let state = String(decoding: State().canonicalJSON(), as: UTF8.self)
        #expect(!state.contains("programRooms"))
        let session = ProgramSession(
            id: "s", title: "t", room: nil, start: Instant(seconds: 0), end: Instant(seconds: 60))
        #expect(!String(decoding: try JSONEncoder().encode(session), as: UTF8.self).contains("details"))
    }
}
