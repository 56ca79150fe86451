// Heartbeats through the engine on a manual clock: a node repeating itself is journaled once
// a minute, not once a report; a change is journaled at once; silence is judged on the last
// heartbeat even when the node beats slower than the batch (its timer journals the batch
// first); duplicates and replays are judged against the heartbeat waiting; replay = live.

import CantineCore
import Testing

@Suite struct HeartbeatTests {
    let t0 = Fixture.t0

    /// A node of desk `desk`: each report one seq on, its uptime following the clock.
    final class Node: @unchecked Sendable {
        let site: Site
        let desk: DeskID
        var seq: Int64 = 0
        let bootedAt: UInt64
        let uptimeAtStart: Int64
        init(_ site: Site, _ desk: DeskID = "f01", uptime: Int64 = 1000) {
            self.site = site
            self.desk = desk
            bootedAt = site.time.monotonicNanos()
            uptimeAtStart = uptime
        }
        /// The node's uptime: its own clock, monotonic.
        var uptime: Int64 { uptimeAtStart + Int64((site.time.monotonicNanos() - bootedAt) / 1_000_000_000) }
        @discardableResult
        func report(_ occupied: Bool, fw: String? = "1.0", rssi: Int? = -60) -> Engine.Sensed {
            seq += 1
            return send(occupied, seq: seq, fw: fw, rssi: rssi)
        }
        func send(_ occupied: Bool, seq: Int64, fw: String? = "1.0", rssi: Int? = -60) -> Engine.Sensed {
            return site.engine.sense(
                .deskReported(
                    DeskReport(desk: desk, occupied: occupied, seq: seq, uptimeS: uptime, fw: fw, rssi: rssi)),
                source: "sensor")
        }
    }

    func count(_ site: Site, _ kind: String) -> Int { site.kinds.filter { $0 == kind }.count }

    @Test func aNodeRepeatingItselfIsJournaledOnceAMinute() {
        let site = Site()
        let node = Node(site)
        #expect(node.report(true) == .applied)
        // Every 10 s for an hour, the same reading with a signal that wanders.
        var outcomes: [Engine.Sensed] = []
        for i in 0..<360 {
            site.advance(.seconds(10))
            outcomes.append(node.report(true, rssi: -60 - i % 7))
        }
        #expect(outcomes.allSatisfy { $0 == .heartbeat })
        #expect(count(site, "desk.reported") == 1)
        // One batch per minute: 59 or 60 in the hour, never one per report.
        #expect((59...60).contains(count(site, "sensor.heartbeats")), "\(count(site, "sensor.heartbeats"))")
        let desk = site.state.desks["f01"]
        #expect(desk?.occupancy == .occupied)
        // Heard within the minute, as far as the state knows; the signal is the latest batched.
        #expect(desk?.lastReportAt.map { site.time.now() - $0 <= HeartbeatBuffer.maxWait } == true)
        #expect(site.state.nodes["n-f01"]?.rssi != nil)
        #expect(site.replayed() == site.state)
    }

    @Test func aSlowNodeStaysKnownAndSilenceIsJudgedOnItsLastHeartbeat() {
        let site = Site()
        let node = Node(site)
        node.report(false)
        // The firmware allows a heartbeat up to 170 s: closer to `silentAfter` (180 s) than the
        // batch's minute. The desk's timer comes due first, and journals the batch before it.
        for _ in 0..<20 {
            site.advance(.seconds(170))
            #expect(node.report(false) == .heartbeat)
            #expect(site.state.desks["f01"]?.occupancy == .vacant)
        }
        let last = site.time.now()
        site.advance(.seconds(179))
        #expect(site.state.desks["f01"]?.occupancy == .vacant)
        site.advance(.seconds(1))
        #expect(site.state.desks["f01"]?.occupancy == .unknown)
        #expect(site.state.desks["f01"]?.since == last + .seconds(180))
        // The report after the silence is news: journaled at once.
        #expect(node.report(false) == .applied)
        #expect(site.replayed() == site.state)
    }

    @Test func aChangeIsJournaledAtOnceAndTheHeartbeatBeforeItIsDropped() {
        let site = Site()
        let node = Node(site)
        node.report(true)
        site.advance(.seconds(20))
        #expect(node.report(true) == .heartbeat)
        site.advance(.seconds(5))
        #expect(node.report(false) == .applied)
        #expect(site.journal.entries.last?.event.kind == "desk.reported")
        // Absence waits its 120 s while the node repeats it: heartbeats, then vacant on time.
        for _ in 0..<12 {
            site.advance(.seconds(10))
            #expect(node.report(false) == .heartbeat)
            #expect(
                site.state.desks["f01"]?.occupancy
                    == (site.time.now() - (t0 + .seconds(25)) >= .seconds(120) ? .vacant : .occupied))
        }
        #expect(site.state.desks["f01"]?.occupancy == .vacant)
        site.engine.flushHeartbeats(force: true)
        // The heartbeat of 20 s was dropped: no batch carries a seq before the change's.
        let batched = site.journal.entries.compactMap { e -> [Heartbeat]? in
            if case .sensorHeartbeats(let b) = e.event { b.beats } else { nil }
        }.flatMap { $0 }
        #expect(batched.allSatisfy { $0.seq > 3 }, "\(batched.map(\.seq))")
        #expect(site.replayed() == site.state)
    }

    @Test func duplicatesAndReplaysAreJudgedAgainstTheHeartbeatWaiting() {
        let site = Site()
        let node = Node(site)
        node.report(true)
        site.advance(.seconds(10))
        #expect(node.report(true) == .heartbeat)  // seq 2, not journaled yet
        #expect(node.send(true, seq: 2) == .refused(.duplicate))
        site.advance(.seconds(10))
        #expect(node.report(true) == .heartbeat)  // seq 3
        // A replayed report of seq 2 at a later uptime is a new one; one from its own uptime is old.
        let uptime = node.uptime
        let replay = site.engine.sense(
            .deskReported(DeskReport(desk: "f01", occupied: true, seq: 2, uptimeS: uptime - 10)), source: "sensor")
        #expect(replay == .refused(.outOfOrder))
        #expect(site.replayed() == site.state)
    }

    @Test func aClockSteppedBackNeitherHoldsTheHeartbeatsNorDropsThem() {
        let site = Site()
        let node = Node(site)
        node.report(true)
        site.advance(.seconds(10))
        #expect(node.report(true) == .heartbeat)
        // NTP steps the wall clock back an hour: the held heartbeat is journaled at the next
        // report, not an hour later, and the heartbeats after the step still count.
        site.time.stepWall(.seconds(-3600))
        site.advance(.seconds(10))
        #expect(node.report(true) == .heartbeat)
        #expect(count(site, "sensor.heartbeats") == 1)
        site.engine.flushHeartbeats(force: true)
        #expect(site.state.desks["f01"]?.lastSeq == 3)
        #expect(site.state.desks["f01"]?.lastReportAt == site.time.now())
        #expect(site.replayed() == site.state)
    }

    @Test func aRebootOrANewFirmwareIsNewsNotAHeartbeat() {
        let site = Site()
        let node = Node(site, uptime: 5000)
        node.report(true)
        site.advance(.seconds(30))
        #expect(node.report(true, fw: "1.1") == .applied)
        #expect(site.state.nodes["n-f01"]?.fw == "1.1")
        site.advance(.seconds(30))
        let rebooted = site.engine.sense(
            .deskReported(DeskReport(desk: "f01", occupied: true, seq: 1, uptimeS: 12, fw: "1.1")), source: "sensor")
        #expect(rebooted == .applied)
        #expect(site.state.desks["f01"]?.lastUptime == 12)
        // Reports without seq and uptime (a wired line, an old node) are never held.
        site.advance(.seconds(30))
        #expect(site.engine.sense(.deskReported(DeskReport(desk: "f01", occupied: true)), source: "sensor") == .applied)
        #expect(site.replayed() == site.state)
    }
}
