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
@testable import CantineSite

@Suite struct DemoTests {
    @Test func theDemoDayPlaysOutAsAdvertised() throws {
        let site = try TestSite()
        let calendar = try #require(SiteCalendar(timeZone: "Europe/Paris"))
        let today = LocalDate(year: 2026, month: 11, day: 30)
        let time = ManualTime(calendar.instant(today, hour: 7, minute: 30))
        let runtime = try Site.open(
            config: site.config, role: .daemon, mode: .create, time: time, version: "t", logger: Logger(label: "t"))
        try DemoSite.seed(runtime, time: time, from: today, today: today)
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

        // Before the first member comes, the nodes keep every desk known: free, not "silent".
        play(until: calendar.instant(today, hour: 7, minute: 59), &actions)
        #expect(runtime.engine.read { $0.desks.values.allSatisfy { $0.occupancy == .vacant } })
        #expect(runtime.engine.read { $0.findings.isEmpty })

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

/// The demo's week of history, played through the real runtime on SQLite: the utilisation
/// report's counts equal a count made here from the journal, its booked hours the bookings'
/// records, and the stored days outlive the journal's compaction.
@Suite struct UtilisationHistoryTests {
    @Test func theReportCountsWhatTheJournalSaysAndOutlivesCompaction() async throws {
        let site = try TestSite()
        let calendar = try #require(SiteCalendar(timeZone: "Europe/Paris"))
        let today = LocalDate(year: 2026, month: 12, day: 3)
        let first = calendar.adding(days: -3, to: today)
        let time = ManualTime(calendar.instant(first, hour: 7))
        let runtime = try Site.open(
            config: site.config, role: .tool, mode: .create, time: time, version: "t", logger: Logger(label: "t"))
        defer { runtime.close() }
        try DemoSite.seed(runtime, time: time, from: first, today: today)
        #expect(calendar.hhmm(time.now()) == "07:30")
        runtime.journal.flush()

        // Counted here from the journal, day by day.
        var checkIns: [String: Int] = [:]
        var noShows: [String: Int] = [:]
        var walkIns: [String: Int] = [:]
        try runtime.store.forEachEntry { e in
            let day = calendar.date(of: e.wall).description
            switch e.event {
            case .bookingCheckedIn: checkIns[day, default: 0] += 1
            case .findingRaised(let f) where f.kind == .noShow: noShows[day, default: 0] += 1
            case .findingRaised(let f) where f.kind == .walkIn: walkIns[day, default: 0] += 1
            default: break
            }
        }
        let report = try runtime.utilisation(from: first, to: calendar.adding(days: -1, to: today))
        #expect(report.days.map(\.day) == ["2026-11-30", "2026-12-01", "2026-12-02"])
        #expect(report.days.allSatisfy { $0.complete })
        for day in report.days {
            #expect(day.checkIns == checkIns[day.day, default: 0] && day.checkIns >= 18, "\(day.day)")
            #expect(day.noShows == noShows[day.day, default: 0] && day.noShows >= 1, "\(day.day)")
            #expect(day.walkIns == walkIns[day.day, default: 0] && day.walkIns >= 1, "\(day.day)")
            #expect(day.peakPeople >= 15 && day.deskHoursUsed > 100, "\(day.day)")
            // Booked hours from the records: each desk booking not cancelled, within the day.
            let date = try #require(LocalDate(day.day))
            let (start, end) = (
                calendar.instant(date, hour: 0), calendar.instant(calendar.adding(days: 1, to: date), hour: 0)
            )
            let booked = try runtime.store.bookings(overlapping: start, end)
                .filter { $0.resourceKind == "desk" && $0.status != "cancelled" }
                .map { min(Instant(micros: $0.endUs), end) - max(Instant(micros: $0.startUs), start) }
                .reduce(0) { $0 + $1.seconds }
            #expect(abs(day.deskHoursBooked - booked / 3600) < 0.01, "\(day.day)")
        }
        #expect(report.totals.checkIns == report.days.map(\.checkIns).reduce(0, +))
        // The past days differ (other times, residents who stayed home): history is not one
        // day copied.
        #expect(Set(report.days.map(\.deskHoursUsed)).count == 3)

        // Compacted: the entries go, the days stay as they were.
        let cut = try runtime.store.lastSeq(before: calendar.instant(today, hour: 0))
        let result = try await runtime.compact(through: cut)
        #expect(result.deleted > 1_000)
        let reopened = UsageLedger(store: runtime.store, site: runtime.settings.site, calendar: calendar)
        let again = try reopened.report(
            from: first, to: calendar.adding(days: -1, to: today), now: time.now(), layout: runtime.settings.layout)
        #expect(again.days == report.days)
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
