// The demo's crowd: at a large site (`cantine demo --desks N`, `bench soak --desks N`) the desks
// beyond the demo's cast (12 per zone) are taken by people nobody scripted — in between 08:15
// and 10:30, out for lunch and two coffees, gone between 16:30 and 19:30, a quarter of the
// desks empty each day — and their nodes report as the firmware does (Firmware/desk-node): the
// node's stable reading on change and a heartbeat a minute after the last report, day and
// night, with seq, uptime and signal, into the engine as the MQTT ingest hands them over.

import CantineCore
import CantineGPIO
import CantineSite
import ServiceLifecycle

struct DemoCrowd: Service {
    let runtime: Site
    let desks: [DeskID]

    /// Whether `desk` is the crowd's: beyond the demo's cast of 12 desks per zone (`f13`, `j200`).
    static func plays(_ desk: DeskID) -> Bool { Int(desk.rawValue.dropFirst()).map { $0 > 12 } ?? false }

    /// The firmware's default heartbeat (`heartbeat_ms` 60000).
    static let heartbeat = Span.seconds(60)

    /// One node: what it last sent, when, and its day's plan.
    struct Node {
        let desk: DeskID
        let bootedAt: Instant
        var seq: Int64 = 0
        var sent: Bool?
        var sentAt = Instant(micros: 0)
        var day: LocalDate?
        var present: [(from: Instant, to: Instant)] = []
    }

    func run() async throws {
        let start = runtime.engine.now
        var rng = SplitMix64(seed: 500)
        var nodes = desks.map {
            Node(desk: $0, bootedAt: start - .seconds(Int64(rng.next() % (10 * 86_400))))
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = runtime.engine.now
            for i in nodes.indices { poll(&nodes[i], index: i, now: now) }
            await pause(.milliseconds(100))
        }
    }

    /// Reports what the node's desk shows at `now` if it changed or a heartbeat is due.
    func poll(_ node: inout Node, index: Int, now: Instant) {
        let today = runtime.calendar.date(of: now)
        if node.day != today {
            node.day = today
            node.present = plan(index, today)
        }
        let occupied = node.present.contains { $0.from <= now && now < $0.to }
        guard occupied != node.sent || now - node.sentAt >= Self.heartbeat else { return }
        node.seq += 1
        node.sent = occupied
        node.sentAt = now
        let rssi = -58 - Int((node.seq &* 7 &+ Int64(index)) % 15)
        runtime.engine.sense(
            .deskReported(
                DeskReport(
                    desk: node.desk, occupied: occupied, seq: node.seq,
                    uptimeS: (now - node.bootedAt).micros / 1_000_000,
                    fw: "1.0.0", rssi: rssi)),
            source: EventSource("sensor:\(node.desk)"))
    }

    /// Desk `index`'s stretches of presence on `day` (none for a quarter of the desks).
    func plan(_ index: Int, _ day: LocalDate) -> [(from: Instant, to: Instant)] {
        var rng = SplitMix64(
            seed: UInt64(index) &* 1_000_003 &+ day.description.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) })
        func minutes(_ range: ClosedRange<Int>) -> Span {
            .minutes(Int64(range.lowerBound) + Int64(rng.next() % UInt64(range.count)))
        }
        guard rng.next() % 4 != 0 else { return [] }
        let at = { (hour: Int, minute: Int) in runtime.calendar.instant(day, hour: hour, minute: minute) }
        let arrive = at(8, 15) + minutes(0...135)
        let leave = at(16, 30) + minutes(0...180)
        let lunch = at(12, 0) + minutes(0...90)
        let lunchBack = lunch + minutes(30...80)
        let coffee1 = arrive + minutes(60...120)
        let coffee2 = lunchBack + minutes(60...120)
        var out: [(Instant, Instant)] = []
        var from = arrive
        for (out1, back) in [
            (coffee1, coffee1 + minutes(5...20)), (lunch, lunchBack), (coffee2, coffee2 + minutes(5...20)),
        ]
        where out1 > from && back < leave {
            out.append((from, out1))
            from = back
        }
        out.append((from, leave))
        return out
    }
}
