// The demo day, played on a manual clock through the real runtime: it must show what the
// README promises (arrivals, a no-show, a walk-in, denials, everyone gone in the evening), and
// the next day likewise (the demo plays day after day; residents' plans renew with the month).

import CantineCore
import CantineGPIO
import CantineSite
import Foundation
import Logging
import Testing

@testable import CantineBench
@testable import CantineDaemon
@testable import CantineDemo

@Suite struct DemoTests {
    @Test func theDemoDayPlaysOutAsAdvertised() throws {
        let site = try TestSite()
        let calendar = try #require(SiteCalendar(timeZone: "Europe/Paris"))
        let today = LocalDate(year: 2026, month: 11, day: 30)
        let time = ManualTime(calendar.instant(today, hour: 7, minute: 30))
        let runtime = try Site.open(
            config: site.config, role: .daemon, mode: .create, time: time, version: "t", logger: Logger(label: "t"))
        try DemoSite.seed(runtime, today: today)
        var gpio = try site.bootHardware()
        try gpio.openInputs(site.config, monotonic: { time.monotonicNanos() })
        let hardware = DemoHardware(runtime: runtime, inputs: gpio.inputs)
        hardware.heartbeat()
        // What the reader threads do, on the manual clock: drain the wire, decode, deliver.
        var decoders = gpio.inputs.map(\.decoder)
        let router = InputRouter(runtime: runtime)
        func pump() {
            for (i, chip) in gpio.inputs.enumerated() {
                let now = time.monotonicNanos()
                for signal in decoders[i].handle(chip.simulated!.drain(now: now)) + decoders[i].poll(now: now) {
                    router.handle(signal)
                }
            }
        }
        func fireTimers() {
            for id in runtime.timers.takeDue(now: time.now()) {
                runtime.engine.submit(.timerFired(id), source: "timer")
            }
        }

        func play(until end: Instant, _ actions: inout ArraySlice<(Instant, DemoAction)>) {
            while let (at, action) = actions.first, at <= end {
                if at > time.now() { time.advance(at - time.now()) }
                fireTimers()
                hardware.perform(action)
                // Read the wire every millisecond for 100 ms, as the reader thread would: the
                // frame's edges, its gap timeout, a contact settling.
                for _ in 0..<100 {
                    time.advance(.milliseconds(1))
                    pump()
                }
                actions = actions.dropFirst()
            }
            if end > time.now() { time.advance(end - time.now()) }
            fireTimers()
        }
        var actions = ArraySlice(DemoSite.day(calendar, today: today))
        #expect(actions.count > 100)

        play(until: calendar.instant(today, hour: 11), &actions)
        var state = runtime.engine.read { $0 }
        #expect(state.present.count >= 15)
        #expect(state.desks["j03"]?.occupancy == .vacant)  // booked, never came: the no-show
        #expect(state.desks["j10"]?.occupancy == .occupied)  // nobody booked it: the walk-in
        #expect(!state.bookings.values.contains { $0.resource == .desk("j10") })
        #expect(state.present["m-demo28"] == nil)  // expired pass, turned away
        #expect(state.counters.denied == 3)  // expired pass, unknown card, garbled frame
        // Doors were pushed open after each grant and closed again: no forced-open alarm.
        #expect(state.doors.values.allSatisfy { $0.lock == .locked && $0.alarms.isEmpty && $0.contact != .open })
        #expect(state.doors["entree"]?.contact == .closed)
        #expect(gpio.inputs.allSatisfy { $0.simulated?.dropped == 0 })

        play(until: calendar.instant(today, hour: 20, minute: 30), &actions)
        state = runtime.engine.read { $0 }
        #expect(actions.allSatisfy { $0.1 == .heartbeat })  // nodes report on through the night
        #expect(state.present.isEmpty)
        #expect(state.desks.values.allSatisfy { $0.occupancy == .vacant })
        #expect(state.counters.denied == 3)
        // Members arrived from 08:20 to past 10:00, as real ones do: only the scripted no-show
        // (j03, never came) was released; the one walk-in is j10's; no ghost as members leave
        // (they badge out while their desk's sensor is still confirming it empty).
        let released = state.bookings.values.filter { $0.status == .released }.map(\.id)
        #expect(released == [BookingID("bk-demo11-\(today)")])
        let raised = state.findings.values
        #expect(raised.filter { $0.kind == .noShow }.map(\.booking) == [BookingID("bk-demo11-\(today)")])
        #expect(raised.filter { $0.kind == .walkIn }.map(\.desk) == [DeskID("j10")])
        #expect(raised.filter { $0.kind == .ghost }.isEmpty)
        #expect(state.bookings.values.filter { $0.status == .checkedIn }.count == 24)  // 22 desks, 2 rooms

        // The next day, seeded as the demo's traffic does once the night is over: 1 December,
        // when the residents' November plans have run out.
        let tomorrow = calendar.adding(days: 1, to: today)
        try DemoSite.seedDay(runtime, day: tomorrow)
        actions = ArraySlice(DemoSite.day(calendar, today: tomorrow))
        play(until: calendar.instant(tomorrow, hour: 11), &actions)
        state = runtime.engine.read { $0 }
        #expect(state.present.count >= 15)  // the residents too: their plans renewed
        #expect(state.present["m-demo00"] != nil)
        #expect(state.desks["j03"]?.occupancy == .vacant)
        #expect(state.desks["j10"]?.occupancy == .occupied)
        #expect(state.bookings[BookingID("bk-demo0-2026-12-01")] != nil)
        #expect(state.sessions.count == 22)  // two days of the grid and lunch
        #expect(state.counters.denied == 6)

        runtime.journal.flush()
        #expect(try Replay.rebuild(store: runtime.store, useSnapshot: false).state == state)
        runtime.close()
    }
}

/// The soak's own instruments: what it reports about descriptors and memory must be true.
@Suite struct SoakInstrumentTests {
    /// (Other tests open and close descriptors meanwhile: only this socket's line is checked.)
    @Test func descriptorsAreNamedByKindAndTCPSocketsByPortAndState() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(bound)
        let port = UInt16(bigEndian: address.sin_port)
        #expect(!ProcessUsage.fdTargets().contains { $0.hasPrefix("tcp :\(port) ") })
        try #require(listen(fd, 1) == 0)
        #expect(ProcessUsage.fdTargets().filter { $0.hasPrefix("tcp :\(port) ") } == ["tcp :\(port) -> :0 LISTEN"])
        close(fd)
        #expect(!ProcessUsage.fdTargets().contains { $0.hasPrefix("tcp :\(port) ") })
    }

    @Test func differenceIsAMultisetDifference() {
        #expect(ProcessUsage.difference(["a", "a", "b", "c"], ["a", "c", "d"]) == ["a", "b"])
        #expect(ProcessUsage.difference([], ["a"]).isEmpty)
    }

    /// 64 MB allocated then freed (other tests allocate meanwhile: a wide margin).
    @Test func heapInUseCountsWhatIsAllocatedUntilItIsFreed() {
        let before = ProcessUsage.heapInUseMB()
        let block = UnsafeMutableRawPointer.allocate(byteCount: 64 << 20, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 1, count: 64 << 20)
        let during = ProcessUsage.heapInUseMB()
        block.deallocate()
        #expect(during - before >= 48)
        #expect(during - ProcessUsage.heapInUseMB() >= 48)
    }
}
