// `cantine bench reconcile`: a full reconciliation pass (every desk, every sensed room, every
// booking in force, capacity) over a large site held in memory: 500 desks, 10 rooms with a
// sensor, 2,000 bookings, 200 members inside. Pure core code, no I/O: figures, not assertions.

import CantineCore
import CantineDaemon
import CantineGPIO
import Foundation

/// Figures of the reconcile bench.
public struct ReconcileBenchResult: Codable, Sendable {
    public var desks: Int
    public var rooms: Int
    public var bookings: Int
    public var present: Int
    /// The first pass over the fresh state (it finds everything), in µs.
    public var firstPassUs: Double
    public var firstPassEvents: Int
    /// Median and worst of `passes` passes over the reconciled state, in µs.
    public var passUs: Double
    public var maxPassUs: Double
    public var passes: Int
    /// Events a pass over the reconciled state still proposes (0: reconciling is stable).
    public var steadyEvents: Int

    enum CodingKeys: String, CodingKey {
        case desks, rooms, bookings, present, firstPassUs = "first_pass_us", firstPassEvents = "first_pass_events"
        case passUs = "pass_us", maxPassUs = "max_pass_us", passes
        case steadyEvents = "steady_events"
    }
}

extension Bench {
    /// Builds the site, runs one pass and applies what it found, then times `passes` passes.
    public static func reconcile(
        desks deskCount: Int = 500, rooms roomCount: Int = 10, bookings bookingCount: Int = 2000,
        present presentCount: Int = 200, passes: Int = 200
    ) -> ReconcileBenchResult {
        let now = Instant(seconds: 1_795_258_800)  // Saturday 2026-11-21 12:00 Paris
        let calendar = SiteCalendar(timeZone: "Europe/Paris") ?? .utc
        let zones = (0..<10).map { Zone(id: ZoneID("z\($0)"), name: "Zone \($0)") }
        let desks = (0..<deskCount).map { i in
            Desk(id: DeskID("d\(i)"), name: "D\(i)", zone: zones[i % zones.count].id, sensor: .node(NodeID("n\(i)")))
        }
        let rooms = (0..<roomCount).map {
            Room(id: RoomID("r\($0)"), name: "Room \($0)", capacity: 10, sensor: .node(NodeID("rn\($0)")))
        }
        var s = State()
        let layout = SiteLayout(
            site: "bench", name: "Bench", capacity: 400, zones: zones, desks: desks, rooms: rooms)
        var rng = SplitMix64(seed: 5)
        func apply(_ e: Event, at t: Instant = now) { _ = Reducer.apply(&s, e, now: t) }
        apply(.layoutApplied(layout))
        let memberCount = max(presentCount, bookingCount / 4)
        for m in 0..<memberCount { apply(.memberRegistered(MemberRef(member: MemberID("m\(m)")))) }
        // Bookings over the week: half-days and days on every desk, some rooms, a quarter today.
        let today = calendar.date(of: now)
        var made = 0
        var day = 0
        while made < bookingCount {
            let date = calendar.adding(days: day - 2, to: today)
            for (i, desk) in desks.enumerated() where made < bookingCount {
                let period: DeskPeriod = [.am, .pm, .day][(i + day) % 3]
                guard let (start, end) = try? calendar.deskWindow(period, on: date) else { continue }
                let resource: BookedResource = i < roomCount ? .room(rooms[i].id) : .desk(desk.id)
                apply(
                    .bookingCreated(
                        Booking(
                            id: BookingID("bk\(made)"), member: MemberID("m\(made % memberCount)"), resource: resource,
                            start: start, end: end)), at: start - .seconds(86_400))
                made += 1
            }
            day += 1
        }
        // Members inside, and what the desks show.
        for m in 0..<presentCount { s.present[MemberID("m\(m)")] = now - .minutes(90) }
        for desk in desks {
            var d = s.desks[desk.id] ?? DeskState()
            d.occupancy = [Occupancy.occupied, .vacant, .vacant, .unknown][Int(rng.next() % 4)]
            d.since = now - .minutes(Int64(rng.next() % 120) + 1)
            d.lastReportAt = now - .seconds(30)
            s.desks[desk.id] = d
        }
        // Rooms: occupied since the morning (overstays past the morning's bookings) or vacant.
        for room in rooms {
            var r = s.rooms[room.id] ?? DeskState()
            r.occupancy = rng.next() % 2 == 0 ? .occupied : .vacant
            r.since = now - .minutes(Int64(rng.next() % 240) + 1)
            r.lastReportAt = now - .seconds(30)
            s.rooms[room.id] = r
        }

        let firstStart = ContinuousClock.now
        let first = Reconciler.events(.all, in: s, now: now)
        let firstUs = seconds(ContinuousClock.now - firstStart) * 1e6
        for e in first { apply(e) }

        var times: [Double] = []
        var found = 0
        for _ in 0..<passes {
            let t = ContinuousClock.now
            found += Reconciler.events(.all, in: s, now: now).count
            times.append(seconds(ContinuousClock.now - t) * 1e6)
        }
        times.sort()
        return ReconcileBenchResult(
            desks: deskCount, rooms: roomCount, bookings: s.bookings.count, present: s.present.count,
            firstPassUs: firstUs, firstPassEvents: first.count, passUs: times.isEmpty ? 0 : times[times.count / 2],
            maxPassUs: times.last ?? 0, passes: passes, steadyEvents: passes == 0 ? 0 : found / passes)
    }
}
