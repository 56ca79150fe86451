// A desk sensor wired to the board, through the daemon's GPIO path on the simulated twin and
// a manual clock: its resting level read at start, a bouncing seat mat journaled once, the
// core's hysteresis making it occupied, then vacant.

import CantineCore
import CantineGPIO
import Foundation
import Logging
import Testing

@testable import CantineDaemon

@Suite struct WiredDeskTests {
    @Test func aWiredSeatMatFeedsTheSameOccupancyModelAsANode() async throws {
        let site = try TestSite {
            $0.replacingOccurrences(
                of: "id = \"j12\"\nzone = \"jardin\"\nnode = \"node-j12\"",
                with: "id = \"j12\"\nzone = \"jardin\"\ngpio_line = 16\ngpio_active_low = true")
        }
        #expect(site.config.settings.layout.desk("j12")?.sensor == .wired)
        var gpio = try site.bootHardware()
        let time = site.time
        try gpio.openInputs(site.config, monotonic: { time.monotonicNanos() })
        let runtime = try site.open(relays: gpio.relays)
        defer { runtime.close() }
        let chip = try #require(gpio.inputs.first { $0.desks["j12"] != nil })
        let wire = try #require(chip.simulated)
        let router = InputRouter(runtime: runtime)
        var decoder = chip.decoder

        // What the reader thread does, on the manual clock.
        func pump() throws {
            let lines = decoder.linesToRead
            if !lines.isEmpty {
                decoder.take(levels: try wire.levels(of: lines), now: time.monotonicNanos()).forEach(router.handle)
            }
            let now = time.monotonicNanos()
            (decoder.handle(wire.drain(now: now)) + decoder.poll(now: now)).forEach(router.handle)
        }
        func run(for span: Span) throws {
            let end = time.now() + span
            while time.now() < end {
                time.advance(.milliseconds(10))
                try pump()
                for id in runtime.timers.takeDue(now: time.now()) {
                    runtime.engine.submit(.timerFired(id), source: "timer")
                }
            }
        }

        // Nobody on the mat at start: the pulled-up line rests high, read once.
        try pump()
        try run(for: .seconds(10))
        #expect(runtime.engine.read { $0.desks["j12"]?.occupancy } == .vacant)

        // Someone sits: the mat pulls the line low, bouncing.
        let ms: UInt64 = 1_000_000
        let t = time.monotonicNanos() + 5 * ms
        wire.inject((0..<7).map { GPIOEdge(line: 16, rising: $0 % 2 == 1, nanos: t + UInt64($0) * ms / 2) })
        try run(for: .seconds(3))
        #expect(runtime.engine.read { $0.desks["j12"] }.map { $0.occupancy == .vacant && $0.pending == true } == true)
        try run(for: .seconds(3))  // held past occupied_after_s
        #expect(runtime.engine.read { $0.desks["j12"]?.occupancy } == .occupied)

        // They leave: vacant only after vacant_after_s of absence.
        wire.inject([GPIOEdge(line: 16, rising: true, nanos: time.monotonicNanos() + ms)])
        try run(for: .seconds(60))
        #expect(runtime.engine.read { $0.desks["j12"]?.occupancy } == .occupied)
        try run(for: .seconds(70))
        #expect(runtime.engine.read { $0.desks["j12"]?.occupancy } == .vacant)

        // Journaled once per settled level, never per bounce: rest, sit, leave.
        #expect(runtime.journal.flush())
        var levels: [Bool] = []
        try runtime.store.forEachEntry(after: 0) { entry in
            if case .deskReported(let r) = entry.event, r.desk == "j12" {
                #expect(entry.source == "sensor:gpio")
                levels.append(r.occupied)
            }
        }
        #expect(levels == [false, true, false])
        #expect(wire.dropped == 0)
    }
}
