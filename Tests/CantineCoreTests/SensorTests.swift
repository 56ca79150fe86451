// The occupancy model: hysteresis through timers, silent and offline nodes, which node
// reports are taken in, people present reconciled with the desks.

import CantineCore
import Testing

@Suite struct SensorTests {
    static let layout: SiteLayout = {
        var l = Fixture.layout
        l.desks = [
            Desk(id: "f01", name: "F01", zone: "fenetre", sensor: .node("n-f01")),
            Desk(id: "f02", name: "F02", zone: "fenetre", sensor: .wired),
        ]
        return l
    }()
    let t0 = Fixture.t0

    func site() -> State {
        var s = Fixture.state()
        _ = Reducer.apply(&s, .layoutApplied(Self.layout), now: t0)
        return s
    }

    func report(_ occupied: Bool, seq: Int64, uptime: Int64, desk: DeskID = "f01") -> Event {
        .deskReported(DeskReport(desk: desk, occupied: occupied, seq: seq, uptimeS: uptime, fw: "1.0.0", rssi: -60))
    }

    /// Applies an event, then fires the desk timer whenever it is due before `until`.
    func timers(_ effects: [Effect]) -> [Instant] {
        effects.compactMap { if case .schedule(.desk, let at) = $0 { at } else { nil } }
    }

    @Test func aDeskStaysOccupiedThroughACoffeeBreakAndFreesAfterTheRelease() {
        var s = site()
        var fx = Reducer.apply(&s, report(true, seq: 1, uptime: 100), now: t0)
        #expect(s.desks["f01"]?.occupancy == .occupied)  // the first report after unknown counts at once
        #expect(fx.contains(.notify(.deskChanged("f01"))))
        #expect(timers(fx) == [t0 + .seconds(180)])  // silence check

        fx = Reducer.apply(&s, report(false, seq: 2, uptime: 160), now: t0 + .seconds(60))
        #expect(s.desks["f01"]?.occupancy == .occupied)
        #expect(!fx.contains(.notify(.deskChanged("f01"))))
        #expect(timers(fx) == [t0 + .seconds(180)])  // release due at 60 + 120
        fx = Reducer.apply(&s, report(true, seq: 3, uptime: 150 + 60), now: t0 + .seconds(110))
        #expect(s.desks["f01"]?.pending == nil)
        // The stale timer fires and changes nothing.
        fx = Reducer.apply(&s, .timerFired(.desk("f01")), now: t0 + .seconds(180))
        #expect(
            s.desks["f01"]?.occupancy == .occupied && fx.allSatisfy { if case .notify = $0 { false } else { true } })

        _ = Reducer.apply(&s, report(false, seq: 4, uptime: 300), now: t0 + .seconds(200))
        fx = Reducer.apply(&s, .timerFired(.desk("f01")), now: t0 + .seconds(320))
        #expect(s.desks["f01"]?.occupancy == .vacant)
        #expect(s.desks["f01"]?.since == t0 + .seconds(320))
        #expect(fx.contains(.notify(.occupancyChanged)))
    }

    @Test func aSilentNodeMakesItsDeskUnknownAndOfflineAtOnce() {
        var s = site()
        _ = Reducer.apply(&s, report(true, seq: 1, uptime: 10), now: t0)
        _ = Reducer.apply(&s, .timerFired(.desk("f01")), now: t0 + .seconds(179))
        #expect(s.desks["f01"]?.occupancy == .occupied)
        let fx = Reducer.apply(&s, .timerFired(.desk("f01")), now: t0 + .seconds(180))
        #expect(s.desks["f01"]?.occupancy == .unknown)
        #expect(timers(fx).isEmpty)  // nothing more to watch until it speaks

        _ = Reducer.apply(&s, report(false, seq: 2, uptime: 200), now: t0 + .seconds(190))
        #expect(s.desks["f01"]?.occupancy == .vacant)
        _ = Reducer.apply(&s, .nodeStatus(NodeStatus(node: "n-f01", online: false)), now: t0 + .seconds(200))
        #expect(s.desks["f01"]?.occupancy == .unknown)
        #expect(s.nodes["n-f01"]?.online == false)
        #expect(s.nodes["n-f01"]?.fw == "1.0.0" && s.nodes["n-f01"]?.rssi == -60)
    }

    @Test func wiredDesksNeverGoSilent() {
        var s = site()
        let fx = Reducer.apply(&s, .deskReported(DeskReport(desk: "f02", occupied: true)), now: t0)
        #expect(s.desks["f02"]?.occupancy == .occupied)
        #expect(timers(fx).isEmpty)
    }

    @Test func aWiredDeskWhoseLinesFailIsUnknownUntilItsLineIsReadAgain() {
        var s = site()
        _ = Reducer.apply(&s, .deskReported(DeskReport(desk: "f02", occupied: true)), now: t0)
        _ = Reducer.apply(&s, report(true, seq: 1, uptime: 10), now: t0)
        // The fault names both desks of the chip; only the wired one depends on its lines.
        let fx = Reducer.apply(
            &s, .wiredSensorFault(WiredSensorFault(desks: ["f01", "f02"], detail: "gpiochip0: No such device")),
            now: t0 + .seconds(5))
        #expect(s.desks["f02"]?.occupancy == .unknown && s.desks["f02"]?.since == t0 + .seconds(5))
        #expect(s.desks["f01"]?.occupancy == .occupied)
        #expect(fx == [.notify(.deskChanged("f02")), .notify(.occupancyChanged)])
        // The line read again: its level counts at once, as at start.
        _ = Reducer.apply(&s, .deskReported(DeskReport(desk: "f02", occupied: false)), now: t0 + .seconds(9))
        #expect(s.desks["f02"]?.occupancy == .vacant)
    }

    @Test func admissionSortsDuplicatesReorderingRebootsAndStaleReports() {
        var s = site()
        let at = t0 + .seconds(1000)
        func admit(_ e: Event, _ now: Instant) -> ReportRefusal? {
            guard case .deskReported(let r) = e else { return nil }
            return SensorPolicy.admit(r, in: s, now: now)
        }
        #expect(admit(report(true, seq: 50, uptime: 500), at) == nil)  // first from this node
        _ = Reducer.apply(&s, report(true, seq: 50, uptime: 500), now: at)

        #expect(admit(report(true, seq: 50, uptime: 500), at + .seconds(1)) == .duplicate)
        #expect(admit(report(false, seq: 49, uptime: 490), at + .seconds(1)) == .outOfOrder)
        #expect(admit(report(false, seq: 51, uptime: 560), at + .seconds(60)) == nil)
        // Sent 10 s after the last one but delivered 10 minutes later: stale (age limit 120 s).
        #expect(admit(report(false, seq: 51, uptime: 510), at + .seconds(600)) == .stale)
        // Uptime back to 20 s, 5 minutes after the last report: the node rebooted, seq restarts.
        #expect(admit(report(false, seq: 1, uptime: 20), at + .seconds(300)) == nil)
        // Uptime lower but the node cannot have rebooted since: an old report from this boot.
        #expect(admit(report(false, seq: 1, uptime: 400), at + .seconds(300)) == .outOfOrder)

        #expect(admit(report(true, seq: 1, uptime: 1, desk: "nope"), at) == .unknownDesk)
        #expect(admit(report(true, seq: 1, uptime: 1, desk: "f02"), at) == .notANodeDesk)
    }

    @Test func peoplePresentIsBadgesInOrMoreWhenTheDesksSeeMore() {
        var s = site()
        _ = Reducer.apply(&s, Fixture.badge(), now: t0)
        #expect(s.occupancy(at: t0).peoplePresent == 1)
        _ = Reducer.apply(&s, report(true, seq: 1, uptime: 1), now: t0)
        _ = Reducer.apply(&s, .deskReported(DeskReport(desk: "f02", occupied: true)), now: t0)
        let summary = s.occupancy(at: t0)
        #expect([summary.peoplePresent, summary.badgedIn, summary.desksOccupied] == [2, 1, 2])
        // Nobody badges out at night: a badge-in stops counting after the presence limit.
        #expect(s.occupancy(at: t0 + .seconds(15 * 3600)).badgedIn == 0)
    }

    @Test func aRestartForgetsWhatDesksShowedButKeepsTheirOrdering() {
        var s = site()
        _ = Reducer.apply(&s, report(true, seq: 7, uptime: 70), now: t0)
        _ = Reducer.apply(&s, .daemonStarted(DaemonStarted(version: "t")), now: t0 + .seconds(10))
        #expect(s.desks["f01"]?.occupancy == .unknown)
        guard case .deskReported(let again) = report(true, seq: 7, uptime: 70) else { return }
        #expect(SensorPolicy.admit(again, in: s, now: t0 + .seconds(11)) == .duplicate)
    }
}
