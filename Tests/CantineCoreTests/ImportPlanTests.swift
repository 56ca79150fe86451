// Import planning and the commands it issues, on the engine with a manual clock: matching by
// origin, what a re-import may and may not touch, and batches that land whole or not at all.

import Testing

@testable import CantineCore

@Suite struct ImportPlanTests {
    let t0 = Fixture.t0  // Saturday 10:00 Paris

    func candidate(_ key: String, desk: DeskID = "f01", who: MemberID = "ada", from: Instant, minutes: Int64 = 120)
        -> ImportCandidate
    {
        ImportCandidate(
            .booking(
                Booking(
                    id: "", member: who, resource: .desk(desk), start: from, end: from + .minutes(minutes),
                    origin: ImportOrigin(feed: "cal", key: key))), at: "line \(key)")
    }

    func run(_ site: Site, _ candidates: [ImportCandidate], window: (Instant, Instant)? = nil) throws -> ImportPlan {
        let plan = try ImportPlan.make(
            feed: "cal", candidates: candidates, window: window, state: site.state, now: site.time.now())
        if let command = plan.command { _ = try site.engine.execute(command, source: "import") }
        return plan
    }

    @Test func aBatchIsAllOrNothingAndNamesTheFailingItem() throws {
        let site = Site()
        try site.book("bk-hand", "bob", desk: "f02", from: t0 + .minutes(60), to: t0 + .minutes(120))
        let before = site.journal.entries.count
        let state = site.state
        #expect(
            throws: CommandError(
                .conflict,
                "line b: desk f02 is already booked from 2026-11-21 11:00 to 2026-11-21 12:00 (booking 'bk-hand'); nothing was changed"
            )
        ) {
            try run(site, [candidate("a", from: t0 + .minutes(30)), candidate("b", desk: "f02", from: t0)])
        }
        #expect(site.journal.entries.count == before)
        #expect(site.state == state)
    }

    @Test func reImportKeepsACheckInAndNeverRevivesANoShow() throws {
        let site = Site()
        _ = try run(site, [candidate("a", from: t0 + .minutes(5)), candidate("b", desk: "f02", who: "bob", from: t0)])
        let a = try #require(site.state.bookings.values.first { $0.origin?.key == "a" })
        let b = try #require(site.state.bookings.values.first { $0.origin?.key == "b" })
        #expect(a.id.rawValue.hasPrefix("imp-") && a.id != b.id)
        site.advance(.minutes(6))
        site.badge("ada")
        #expect(site.state.bookings[a.id]?.status == .checkedIn)
        site.advance(.minutes(40))  // Bob's grace is over: released
        #expect(site.state.bookings[b.id]?.status == .released)

        // The feed extends Ada's booking and lists Bob's unchanged.
        let plan = try run(
            site,
            [candidate("a", from: t0 + .minutes(5), minutes: 240), candidate("b", desk: "f02", who: "bob", from: t0)])
        #expect(plan.summary() == "feed 'cal': 0 to add, 1 to update, 0 to cancel, 1 unchanged")
        #expect(site.state.bookings[a.id]?.status == .checkedIn)
        #expect(site.state.bookings[a.id]?.end == t0 + .minutes(245))
        #expect(site.state.bookings[b.id]?.status == .released)
        #expect(site.journal.entries.contains { $0.event.kind == "booking.changed" })
        #expect(site.replayed() == site.state)
    }

    @Test func aReleasedBookingNoLongerHoldsItsDesk() throws {
        let site = Site()
        try site.book("bk-bob", "bob", desk: "f02", from: t0, to: t0 + .minutes(240))
        site.advance(.minutes(31))
        #expect(site.state.bookings["bk-bob"]?.status == .released)
        // The desk shows free: someone else may book it for the rest of the morning.
        try site.book("bk-cy", "cy", desk: "f02", from: site.time.now(), to: t0 + .minutes(180))
        #expect(site.state.bookings["bk-cy"]?.status == .booked)
    }

    @Test func itemsOutsideTheWindowOrOverAreNotCancelled() throws {
        let site = Site()
        let tomorrow = t0 + .seconds(86_400)
        let nextMonth = t0 + .seconds(30 * 86_400)
        _ = try run(
            site,
            [
                candidate("now", who: "bob", from: t0 + .minutes(1), minutes: 30),
                candidate("tomorrow", who: "bob", from: tomorrow),
                candidate("later", desk: "f02", who: "bob", from: nextMonth),
            ])
        site.advance(.minutes(45))  // "now" is over
        // The next import covers two weeks and lists none of them.
        let plan = try run(site, [], window: (t0, t0 + .seconds(14 * 86_400)))
        #expect(plan.summary() == "feed 'cal': 0 to add, 0 to update, 1 to cancel, 0 unchanged")
        let status = Dictionary(uniqueKeysWithValues: site.state.bookings.values.map { ($0.origin!.key, $0.status) })
        #expect(status["tomorrow"] == .cancelled)
        #expect(status["later"] == .booked)  // beyond the window
        #expect(status["now"] != .cancelled)  // already over: history
    }

    @Test func aFeedWithADuplicateKeyOrAForeignItemIsRefused() {
        let site = Site()
        #expect(throws: CommandError("line a: 'a' appears twice (first at line a): keys must be unique in a feed")) {
            try run(site, [candidate("a", from: t0), candidate("a", desk: "f02", from: t0)])
        }
        var foreign = candidate("x", from: t0)
        if case .booking(var b) = foreign.item {
            b.origin = ImportOrigin(feed: "other", key: "x")
            foreign.item = .booking(b)
        }
        #expect(throws: CommandError("line x: the item does not belong to feed 'cal'")) { try run(site, [foreign]) }
    }

    @Test func aZoneKeepsDesksForWalkInsAndARoomIsBookedBySlots() throws {
        var state = Site.members()
        var layout = try #require(state.layout)
        layout.zones = layout.zones.map { Zone(id: $0.id, name: $0.name, bookable: 1) }
        layout.rooms = [Room(id: "salle-1", name: "Salle", capacity: 10, slot: .minutes(120))]
        state.layout = layout
        let site = Site(state)
        let zone = try #require(site.state.layout?.desk("f01")?.zone)
        let desks = site.state.layout!.desks.filter { $0.zone == zone }.map(\.id)
        try #require(desks.count == 2)
        // One desk of the zone may be booked at a time: the morning on one desk, then a
        // booking of the other from 9:00 meets it at 10:00; the afternoon is free again.
        try site.book("am", "bob", desk: desks[0], from: t0, to: t0 + .minutes(180))
        #expect(
            throws: CommandError(
                .conflict,
                "zone \(zone) is fully booked at 2026-11-21 10:00 (1 of its desks may be booked at once): pick another zone or time"
            )
        ) { try site.book("early", "dan", desk: desks[1], from: t0 - .minutes(60), to: t0 + .minutes(30)) }
        try site.book("pm", "cy", desk: desks[1], from: t0 + .minutes(180), to: t0 + .minutes(480))
        #expect(site.state.bookings.count == 2)

        func room(_ id: BookingID, _ from: Instant, _ minutes: Int64) throws {
            _ = try site.engine.execute(
                .book(
                    Booking(
                        id: id, member: "bob", resource: .room("salle-1"), start: from, end: from + .minutes(minutes))),
                source: "t")
        }
        try room("r-1", t0, 120)  // 10:00–12:00: the second 2-hour block from 08:00
        let refusal = CommandError(
            "room salle-1 is booked by whole slots of 120 min from 8:00: start and end on the slot grid")
        #expect(throws: refusal) { try room("r-2", t0 + .minutes(150), 120) }
        #expect(throws: refusal) { try room("r-3", t0 + .minutes(120), 90) }
        try room("r-4", t0 + .minutes(120), 240)
    }

    @Test func idsAreStableAcrossSites() {
        #expect(
            ImportPlan.stableHash("cal", "committee@20261123T090000Z")
                == ImportPlan.stableHash("cal", "committee@20261123T090000Z"))
        #expect(ImportPlan.stableHash("cal", "a") != ImportPlan.stableHash("cal2", "a"))
        #expect(ImportPlan.stableHash("ca", "la") != ImportPlan.stableHash("cal", "a"))
        #expect(ImportPlan.stableHash("cal", "a").count == 16)
    }
}
