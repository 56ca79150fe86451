// A clock that boots wrong: a Pi without a real-time clock, after a power cut, starts three days
// behind and unsynchronised, then NTP steps it forward. The site's time never goes before the
// journal, the alarm says why, time-independent rules hold, and the step behaves like the
// wall-clock step of FaultTests (monotonic deadlines).

import CantineCore
import CantineGPIO
import CantineProtocol
import CantineSite
import Foundation
import GRDB
import Logging
import Testing

@testable import CantineDaemon
@testable import CantineStore

@Suite struct ClockTests {
    @Test func aSiteBootingThreeDaysBehindKeepsTheJournalsTimeUntilNTPSetsTheClock() async throws {
        let site = try TestSite()
        var runtime = try site.open()
        try await playADay(runtime, site.time)
        _ = try await runtime.perform(.addMember(id: "m-bob", name: "Bob", email: nil), source: "test")
        _ = try await runtime.perform(
            .grantPlan(member: "m-bob", kind: .residentMonthly, from: "today", days: 30), source: "test")
        _ = try await runtime.perform(
            .enrollBadge(member: "m-bob", format: .h10301, facility: 42, card: 4321, id: "b-bob", pin: nil),
            source: "test")
        runtime.journal.flush()
        let lastWall = try #require(try runtime.store.lastWall())
        #expect(lastWall == site.time.now())
        runtime.close()

        // The power goes for two hours; the board comes back with its clock three days behind
        // the true time, and no time server has spoken yet.
        let truth = lastWall + .seconds(2 * 3600)
        let time = ManualTime(truth - .seconds(3 * 86_400), synchronized: false)
        let line = SimulatedOutputLine(initiallyActive: false)
        let relay = RelayDriver(door: "entree", line: line, failSecure: true, deadline: site.deadlines.deadline)
        runtime = try Site.open(
            config: site.config, role: .daemon, mode: .existing, time: time, relays: ["entree": relay],
            version: "test", logger: Logger(label: "test"))
        defer { runtime.close() }
        runtime.clock.check(force: true)
        #expect(runtime.clock.unsynced?.contains("no time server") == true)
        let health = runtime.clock.health()
        #expect(health.status == "degraded" && health.detail?.hasPrefix("clock_unsynced: ") == true)
        #expect(health.values["synchronized"] == 0)
        #expect(health.values["site_ahead_s"] == Double(3 * 86_400 - 2 * 3600))

        // The site's time is the journal's, not the clock's: entries never go back.
        #expect(runtime.engine.now == lastWall)
        let entree = DoorInput(door: "entree", runtime: runtime)
        let bob = try #require(entree.frame(card(4321)))
        #expect(bob.entry.access?.granted == true && bob.entry.wall == lastWall)
        #expect(line.active)
        // It runs on at the real rate: the pulse ends after its 5 s, relay and state.
        time.advance(.seconds(5))
        site.deadlines.advance(.seconds(5))
        #expect(runtime.engine.now == lastWall + .seconds(5))
        for id in runtime.timers.takeDue(now: time.now()) { runtime.engine.submit(.timerFired(id), source: "timer") }
        #expect(!line.active && runtime.engine.read { $0.doors["entree"]?.lock } == .locked)
        // Rules that do not depend on the time hold exactly: an unknown card, a garbled frame.
        #expect(entree.frame(card(9999))?.entry.access?.granted == false)
        #expect(entree.frame(WiegandFrame(bits: card(4321).bits ^ 1, count: 26))?.entry.access?.granted == false)

        // Staff unlock from the CLI, stamped by the same clock (behind): carried out, not taken
        // for a request three days old.
        _ = try await runtime.perform(
            .unlockDoor(door: "entree", by: "staff:ada", reason: "network down", requestedAtUs: time.now().micros),
            source: "cli")
        #expect(line.active)
        time.advance(.seconds(5))
        site.deadlines.advance(.seconds(5))
        for id in runtime.timers.takeDue(now: time.now()) { runtime.engine.submit(.timerFired(id), source: "timer") }
        #expect(!line.active && runtime.engine.read { $0.doors["entree"]?.lock } == .locked)

        // Bob again; a second later NTP steps the clock to the true time.
        #expect(entree.frame(card(4321))?.entry.access?.granted == true)
        time.advance(.seconds(1))
        site.deadlines.advance(.seconds(1))
        time.stepWall(truth + .seconds(7) - time.now())
        time.setSynchronized(true)
        runtime.clock.check(force: true)
        #expect(runtime.clock.unsynced == nil && runtime.clock.health().status == "ok")
        #expect(runtime.engine.now == time.now())
        for id in runtime.timers.takeDue(now: time.now()) { runtime.engine.submit(.timerFired(id), source: "timer") }
        #expect(runtime.engine.read { $0.doors["entree"]?.lock } == .unlocked)  // the pulse is not cut short

        // Four seconds of real time later the 5 s pulse ends, by the relay's monotonic deadline
        // and the door's monotonic timer, not three days early or late.
        time.advance(.seconds(4))
        site.deadlines.advance(.seconds(4))
        for id in runtime.timers.takeDue(now: time.now()) { runtime.engine.submit(.timerFired(id), source: "timer") }
        #expect(!line.active)
        #expect(runtime.engine.read { $0.doors["entree"]?.lock } == .locked)
        #expect(line.history.filter { $0 }.count == 3)  // two grants and a remote unlock, three unlocks

        // From now on entries carry the true time.
        let later = try #require(entree.frame(card(4321)))
        #expect(later.entry.wall == time.now())

        // The journal's times never go backwards, and replay gives the live state.
        runtime.journal.flush()
        let walls = try await runtime.store.pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT wall_us FROM journal ORDER BY seq")
        }
        #expect(zip(walls, walls.dropFirst()).allSatisfy { $0 <= $1 })
        let replay = try Replay.rebuild(store: runtime.store, useSnapshot: false)
        #expect(replay.state == runtime.engine.read { $0 })
    }
}
