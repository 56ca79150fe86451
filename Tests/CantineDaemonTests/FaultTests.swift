// Fault injection on a real site (SQLite file, injected clock, simulated GPIO driven through the
// same ports as libgpiod): the wall clock stepped an hour either way, a reader that vanishes and
// comes back, the journal's disk refusing writes (for long: sensor reports shed, never a
// door). Each asserts nothing is lost and the doors
// stay safe. (Broker restarts: MQTTTests; kill -9 and replay: ServeTests.)

import CantineCore
import CantineGPIO
import CantineMQTT
import CantineProtocol
import CantineSite
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

@testable import CantineDaemon
@testable import CantineStore

@Suite struct FaultTests {
    func fireDue(_ runtime: Site, _ time: ManualTime) {
        for id in runtime.timers.takeDue(now: time.now()) { runtime.engine.submit(.timerFired(id), source: "timer") }
    }

    @Test(arguments: [Int64(-3600), 3600])
    func aWallClockStepLosesNoTimerDoublesNoUnlockAndTheCapHolds(_ step: Int64) async throws {
        let site = try TestSite()
        let deadlines = site.deadlines
        let line = SimulatedOutputLine(initiallyActive: false)
        let relay = RelayDriver(door: "entree", line: line, failSecure: true, deadline: deadlines.deadline)
        let runtime = try site.open(relays: ["entree": relay])
        try await playADay(runtime, site.time)
        let entree = DoorInput(door: "entree", runtime: runtime)
        let unlocksBefore = line.history.filter { $0 }.count

        // A badge unlocks (a 5 s pulse); one second later NTP steps the wall clock.
        #expect(entree.frame(card(1234))?.entry.access?.granted == true)
        #expect(line.active && runtime.engine.read { $0.doors["entree"]?.lock } == .unlocked)
        site.time.advance(.seconds(1))
        deadlines.advance(.seconds(1))
        site.time.stepWall(.seconds(step))
        fireDue(runtime, site.time)
        #expect(runtime.engine.read { $0.doors["entree"]?.lock } == .unlocked)  // not cut short by a +1 h step

        // Four seconds of real time later the pulse ends: the relay by its own monotonic
        // deadline, the state by the door's timer (monotonic too), whichever way the wall moved.
        site.time.advance(.seconds(4))
        deadlines.advance(.seconds(4))
        fireDue(runtime, site.time)
        #expect(!line.active)
        #expect(runtime.engine.read { $0.doors["entree"]?.lock } == .locked)
        #expect(line.history.filter { $0 }.count == unlocksBefore + 1)  // one badge, one unlock

        // The door held open: the alarm comes after its 30 s of real time, not an hour off.
        entree.contact(open: true)
        site.time.advance(.seconds(1))
        site.time.stepWall(.seconds(-step))  // and the clock is put back
        site.time.advance(.seconds(20))
        fireDue(runtime, site.time)
        #expect(runtime.engine.read { $0.doors["entree"]?.alarms } == [.forced])  // opened while locked
        site.time.advance(.seconds(10))
        fireDue(runtime, site.time)
        #expect(runtime.engine.read { $0.doors["entree"]?.alarms } == [.forced, .heldOpen])
        entree.contact(open: false)

        // The journal tells the same story: replay gives the live state.
        runtime.journal.flush()
        let replay = try Replay.rebuild(store: runtime.store, useSnapshot: false)
        #expect(replay.state == runtime.engine.read { $0 })
        runtime.close()
    }

    @Test func aVanishedReaderKeepsItsDoorLockedRaisesAnAlarmAndReadsAgainWhenBack() async throws {
        // Desk j12 wired to the same chip as the doors' readers.
        let site = try TestSite {
            $0.replacingOccurrences(
                of: "id = \"j12\"\nzone = \"jardin\"\nnode = \"node-j12\"",
                with: "id = \"j12\"\nzone = \"jardin\"\ngpio_line = 16\ngpio_active_low = true")
        }
        // The GPIO side on its own manual monotonic clock: the reader thread runs on simulated
        // time, moved by the test (a busy machine delays it, never makes it drop edges).
        let gpioNanos = Mutex<UInt64>(1_000_000_000)
        let gpioClock: @Sendable () -> UInt64 = { gpioNanos.withLock { $0 } }
        var hardware = try site.bootHardware()
        try hardware.openInputs(site.config, monotonic: gpioClock)
        let runtime = try site.open(relays: hardware.relays)
        try await playADay(runtime, site.time)
        let readers = Daemon.readers(
            hardware, runtime: runtime, router: InputRouter(runtime: runtime), logger: Logger(label: "t"))
        readers.forEach { $0.reader.start(name: $0.name) }
        defer { readers.forEach { $0.reader.stop() } }
        let chip = try #require(hardware.inputs.first { $0.doors["entree"] != nil })
        let wire = try #require(chip.simulated)
        let lines = try #require(chip.doors["entree"])
        let relay = try #require(hardware.simulatedRelays["entree"])
        let relayHistory = relay.history
        #expect(chip.desks["j12"] != nil)
        // Its mat's resting level, read at start, is the desk's first state: vacant.
        #expect(await runtime.wait { $0.desks["j12"]?.occupancy == .vacant })

        // The chip goes away (a cable pulled, a driver unbound): its line requests die, relays'
        // too, and — as on older kernels — the reader blocked in poll is not woken. Its capped
        // wait (a second on its clock) ends, the probe read fails.
        let gpio = try #require((hardware.board as? SimulatedBoard)?.chip("gpiochip0"))
        gpio.vanish()
        for _ in 0..<400 where runtime.engine.read({ $0.doors["entree"]?.alarms }) != [.readerOffline] {
            gpioNanos.withLock { $0 += 10_000_000 }
            usleep(2_000)
        }
        #expect(await runtime.wait { $0.doors["entree"]?.alarms == [.readerOffline] })
        // The wired desk is not known any more: neither free nor taken on the screens.
        #expect(await runtime.wait { $0.desks["j12"]?.occupancy == .unknown })
        // Fail-secure: nothing drove the relay; the door is locked and shows so.
        #expect(relay.history == relayHistory && relay.active == RelayDriver.lockedLevel(failSecure: true))
        #expect(
            runtime.engine.read { $0.doors["entree"].map { ($0.lock, $0.label) } ?? (.unlocked, "") } == (
                .locked, "locked"
            ))

        // It comes back: reopened on the next retry (a second on the reader's clock), the alarm
        // cleared, the relays claimed again at their locked level, a badge reads again.
        gpio.reappear()
        for _ in 0..<10_000 where wire.reopened.succeeded == 0 {
            gpioNanos.withLock { $0 += 10_000_000 }
            usleep(1_000)
        }
        #expect(await runtime.wait { $0.doors["entree"]?.alarms == [] })
        #expect(gpio.drivenLevel(22) == true)  // relay_active_low: locked is the pin high
        // The mat's line is read again at once: the desk is known again, as at start.
        #expect(await runtime.wait { $0.desks["j12"]?.occupancy == .vacant })
        let granted = runtime.engine.read { $0.counters.granted }
        var rng = SplitMix64(seed: 5)
        let edges = WiegandSignal.edges(
            card(1234), d0: lines.d0, d1: lines.d1, start: gpioClock() + 1_000_000, using: &rng)
        wire.inject(edges)
        // Past the last edge and the frame's gap, 0.1 ms at a time, the reader keeping up.
        let end = (edges.map(\.nanos).max() ?? 0) + 100_000_000
        while gpioClock() < end {
            gpioNanos.withLock { $0 += 100_000 }
            wire.wake()
            guard wire.awaitIdle() else {
                Issue.record("the reader thread did not settle")
                break
            }
        }
        #expect(await runtime.wait { $0.counters.granted == granted + 1 })
        #expect(relay.history.last == !RelayDriver.lockedLevel(failSecure: true))  // the reclaimed relay unlocks
        #expect(wire.dropped == 0)
        #expect(wire.reopened.succeeded == 1)

        // Both ends of the outage are in the journal (and so on MQTT `events` and the API).
        runtime.journal.flush()
        let faults = try runtime.store.read { db in
            try String.fetchAll(db, sql: "SELECT payload FROM journal WHERE kind = 'door.reader-fault' ORDER BY seq")
        }
        // Both doors of the chip, down then up.
        #expect(faults.map { $0.contains(#""failing":true"#) } == [true, true, false, false], "\(faults)")
        let wired = try runtime.store.read { db in
            try String.fetchAll(db, sql: "SELECT payload FROM journal WHERE kind = 'desk.wired-fault'")
        }
        #expect(wired.count == 1 && wired[0].contains(#""desks":["j12"]"#), "\(wired)")
        runtime.close()
    }

    /// SQLite's own full and read-only conditions, in process: `max_page_count` pinned at the
    /// file's size is a disk with no room left (SQLITE_FULL), `query_only` a read-only database.
    @Test(arguments: ["PRAGMA max_page_count = %d", "PRAGMA query_only = 1"])
    func aFullOrReadOnlyDiskKeepsTheDoorsDecidingAndJournalingResumesWithNothingLost(_ fault: String) async throws {
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        runtime.journal.flush()
        let durable = runtime.journal.durableSeq
        try await runtime.store.pool.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: fault.replacingOccurrences(of: "%d", with: "\(pages)"))
        }
        // Badges keep being decided from memory while nothing can be written.
        let entree = DoorInput(door: "entree", runtime: runtime)
        for n in 0..<200 {
            site.time.advance(.seconds(1))
            #expect(entree.frame(card(n % 2 == 0 ? 1234 : 9999))?.entry.access?.granted == (n % 2 == 0))
            fireDue(runtime, site.time)
        }
        #expect(!runtime.journal.flush())
        #expect(runtime.journal.lastError?.isEmpty == false)
        #expect(runtime.journal.durableSeq < runtime.engine.lastSeq && runtime.journal.durableSeq >= durable)
        let live = runtime.engine.read { $0 }

        // Space returns: the backlog is written, in order, and replay gives the live state.
        try await runtime.store.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA query_only = 0")
            try db.execute(sql: "PRAGMA max_page_count = 1073741823")
        }
        await runtime.journal.waitDurable(through: runtime.engine.lastSeq)  // the writer's next retry
        #expect(runtime.journal.lastError == nil)
        #expect(runtime.journal.durableSeq == runtime.engine.lastSeq)
        let seqs = try runtime.store.read { db in try Int64.fetchAll(db, sql: "SELECT seq FROM journal ORDER BY seq") }
        #expect(seqs == Array(1...runtime.engine.lastSeq))
        let replay = try Replay.rebuild(store: runtime.store, useSnapshot: false)
        #expect(replay.state == live)
        runtime.close()
    }

    @Test func aDiskFullForLongShedsSensorReportsPastTheBacklogBoundButNeverADoor() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        defer { runtime.close() }
        try await playADay(runtime, site.time)
        #expect(runtime.journal.flush())
        let ingest = SensorIngest(
            engine: runtime.engine, limits: SensorIngest.Limits(perSecond: 0, maxBacklog: 50),
            logger: Logger(label: "t"), backlog: { runtime.journalBacklog })
        var seq = 100
        func report() {
            seq += 1
            let json = #"{"occupied":\#(seq % 2 == 0),"seq":\#(seq),"uptime_s":\#(1000 + seq),"fw":"1.0.0"}"#
            ingest.handle(InboundMessage(topic: "cantine/paris/desks/f01/report", payload: Array(json.utf8)))
        }
        report()
        #expect(ingest.acceptedCount == 1)

        // The disk fills; the doors go on deciding, their entries held in memory.
        try await runtime.store.pool.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let entree = DoorInput(door: "entree", runtime: runtime)
        for _ in 0..<300 { #expect(entree.frame(card(1234))?.entry.access?.granted == true) }
        #expect(!runtime.journal.flush())
        #expect(runtime.journalBacklog >= 50)
        // Past the bound, reports are shed: not applied, not journaled, counted. A door still opens.
        let last = runtime.engine.lastSeq
        for _ in 0..<100 { report() }
        #expect(ingest.rejections["journal_backlog"] == 100 && ingest.acceptedCount == 1)
        #expect(runtime.engine.lastSeq == last)
        #expect(entree.frame(card(1234))?.entry.access?.granted == true)
        let live = runtime.engine.read { $0 }

        // Space returns: the backlog is written, reports are taken again, replay equals live.
        try await runtime.store.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA max_page_count = 1073741823")
        }
        await runtime.journal.waitDurable(through: runtime.engine.lastSeq)
        #expect(runtime.journalBacklog == 0)
        #expect(try Replay.rebuild(store: runtime.store, useSnapshot: false).state == live)
        report()
        #expect(ingest.acceptedCount == 2)
    }
}
