// The demo day, played on a manual clock through the real runtime: it must show what the
// README promises (arrivals, a no-show, a walk-in, denials, everyone gone in the evening).

import CantineCore
import Foundation
import Logging
import Testing

@testable import CantineDaemon

@Suite struct DemoTests {
    @Test func theDemoDayPlaysOutAsAdvertised() throws {
        let site = try TestSite()
        let calendar = try #require(SiteCalendar(timeZone: "Europe/Paris"))
        let today = LocalDate(year: 2026, month: 11, day: 21)
        let time = ManualTime(calendar.instant(today, hour: 7, minute: 30))
        let runtime = try Runtime.open(
            config: site.config, role: .daemon, mode: .create, time: time, version: "t", logger: Logger(label: "t"))
        try DemoSite.seed(runtime, today: today)
        let hardware = DemoHardware(runtime: runtime)
        hardware.heartbeat()

        func play(until end: Instant, _ actions: inout ArraySlice<(Instant, DemoAction)>) {
            while let (at, action) = actions.first, at <= end {
                if at > time.now() { time.advance(at - time.now()) }
                for id in runtime.timers.takeDue(now: time.now()) {
                    runtime.engine.submit(.timerFired(id), source: "timer")
                }
                hardware.perform(action)
                actions = actions.dropFirst()
            }
            if end > time.now() { time.advance(end - time.now()) }
            for id in runtime.timers.takeDue(now: time.now()) {
                runtime.engine.submit(.timerFired(id), source: "timer")
            }
        }
        var actions = ArraySlice(DemoSite.day(calendar, today: today))
        #expect(actions.count > 200)

        play(until: calendar.instant(today, hour: 11), &actions)
        var state = runtime.engine.read { $0 }
        #expect(state.present.count >= 15)
        #expect(state.desks["j03"]?.occupancy == .vacant)  // booked, never came: the no-show
        #expect(state.desks["j10"]?.occupancy == .occupied)  // nobody booked it: the walk-in
        #expect(!state.bookings.values.contains { $0.resource == .desk("j10") })
        #expect(state.present["m-demo28"] == nil)  // expired pass, turned away
        #expect(state.counters.denied == 3)  // expired pass, unknown card, garbled frame
        #expect(state.doors.values.allSatisfy { $0.lock == .locked && $0.alarm == nil })

        play(until: calendar.instant(today, hour: 20, minute: 30), &actions)
        state = runtime.engine.read { $0 }
        #expect(actions.isEmpty)
        #expect(state.present.isEmpty)
        #expect(state.desks.values.allSatisfy { $0.occupancy == .vacant })
        #expect(state.counters.denied == 3)

        runtime.journal.flush()
        #expect(try Replay.rebuild(store: runtime.store, useSnapshot: false).state == state)
        runtime.close()
    }
}
