// The twin as unkind as the kernel, and what the adapter does about it: Wiegand bits named by
// a late IRQ thread, two lines read across a preemption, a propped door at start, an input on
// the wrong power-on pull, a relay driven under shutdown, chips found by label.

import CantineCore
import CantineProtocol
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import CantineGPIO

/// Frames of every length at reader timing, on `decoder`'s door "entree" (D0 17, D1 27).
func frames(_ n: Int, seed: UInt64, start: UInt64) throws -> (edges: [GPIOEdge], frames: [WiegandFrame], end: UInt64) {
    var rng = SplitMix64(seed: seed)
    var t = start
    var edges: [GPIOEdge] = []
    var sent: [WiegandFrame] = []
    for i in 0..<n {
        let format = WiegandFormat.allCases[i % WiegandFormat.allCases.count]
        let read = CardRead(
            format: format, facility: UInt32.random(in: 0...format.maxFacility, using: &rng),
            card: UInt64.random(in: 0...format.maxCard, using: &rng))
        let frame = try Wiegand.encode(read)
        sent.append(frame)
        edges += WiegandSignal.edges(frame, d0: 17, d1: 27, start: t, using: &rng)
        t += 120 * ms
    }
    return (edges, sent, t)
}

/// How many of `sent` did not come out as sent (missing ones count).
func mismatches(_ got: [WiegandFrame], _ sent: [WiegandFrame]) -> Int {
    sent.indices.filter { $0 >= got.count || got[$0] != sent[$0] }.count + max(0, got.count - sent.count)
}

func decoded(_ signals: [DoorSignal]) -> [WiegandFrame] {
    signals.compactMap { if case .frame(_, let f, _) = $0 { f } else { nil } }
}

@Suite struct KernelTwinTests {
    @Test func wiegandDataLinesAreRequestedForFallingEdgesAndOtherInputsForBoth() {
        #expect(front.requests.map(\.edges) == [.falling, .falling, .both, .both])
        #expect(DeskEdgeDecoder(desks: [mat]).requests.map(\.edges) == [.both])
    }

    /// The same frames through the same loaded kernel: requested for both edges, a bit whose
    /// IRQ thread runs after its ~50 µs pulse is named RISING and lost; falling-only, none is.
    @Test func bothEdgeRequestsLoseBitsToLateIRQThreadsAndFallingOnlyLosesNone() throws {
        let (edges, sent, end) = try frames(300, seed: 11, start: 1_000_000_000)
        func play(_ requests: [InputRequest]) -> [WiegandFrame] {
            let clock = TestClock()
            var decoder = DoorEdgeDecoder(doors: [front])
            let source = SimulatedEdgeSource(
                clock: clock.read, levels: [17: true, 27: true, 23: false], requests: requests, kernel: .loadedPi)
            source.inject(edges)
            return decoded(run(source, clock, &decoder, from: 1_000_000_000, to: end + 100 * ms, every: ms))
        }
        #expect(mismatches(play(front.requests), sent) == 0)
        let both = front.requests.map { InputRequest(line: $0.line, edges: .both, bias: $0.bias) }
        let lost = mismatches(play(both), sent)
        #expect(lost > sent.count / 10, "both-edge requests lost \(lost) of \(sent.count) frames")
    }

    /// A reader thread that loses the CPU right after the poll that found nothing runs again
    /// when the frame's next bits are already waiting. Judged as of when it runs again, the
    /// frame has been silent too long and is cut (what the reader did before); judged as of
    /// the last quiet poll (`EdgeBatch`'s `quiet`), every frame comes out whole.
    @Test func aThreadPreemptedAfterItsLastPollDoesNotCutAFrame() throws {
        let (edges, sent, end) = try frames(60, seed: 11, start: 1_000_000_000)
        func play(judgedWhenQuiet: Bool) throws -> [WiegandFrame] {
            let clock = TestClock()
            var decoder = DoorEdgeDecoder(doors: [front])
            let source = PreemptedAfterEmptyPoll(
                twin(clock, for: decoder, kernel: .instant), clock: clock, nanos: 8 * ms)
            source.inner.inject(edges)
            var signals: [DoorSignal] = []
            while clock.read() <= end + 100 * ms {
                let (batch, quiet) = try EdgeBatch.take(from: source, until: clock.read())
                signals += decoder.handle(batch) + decoder.poll(now: judgedWhenQuiet ? quiet : source.nowNanos())
                clock.set(clock.read() + 200_000)
            }
            return decoded(signals)
        }
        #expect(mismatches(try play(judgedWhenQuiet: true), sent) == 0)
        #expect(mismatches(try play(judgedWhenQuiet: false), sent) > 0, "judged as of now, frames are cut")
    }

    /// A reader thread preempted between poll and read takes one line's later edges before the
    /// other line's earlier one. Draining every line before decoding keeps every frame; one
    /// pass over the lines poll flagged (what the adapter did) scrambles some.
    @Test func edgesOfTwoLinesStayInOrderAcrossAPreemptionBetweenPollAndRead() throws {
        let (edges, sent, end) = try frames(200, seed: 5, start: 1_000_000_000)
        let preempted = KernelTiming(
            irqThreadNanos: 5_000...40_000, lateEvery: 0, lateNanos: 0...0, preemptEvery: 2,
            preemptNanos: 500_000...3_000_000, seed: 9)
        func play(drainEveryLine: Bool) throws -> [WiegandFrame] {
            let clock = TestClock()
            var decoder = DoorEdgeDecoder(doors: [front])
            let source = twin(clock, for: decoder, kernel: preempted)
            source.inject(edges)
            var signals: [DoorSignal] = []
            var t: UInt64 = 1_000_000_000
            while t <= end + 100 * ms {
                clock.set(t)
                let batch: [GPIOEdge]
                if drainEveryLine {
                    batch = try EdgeBatch.take(from: source, until: t).edges
                } else {
                    batch = try source.poll(until: t).flatMap { try source.read(line: $0) }.sorted {
                        $0.nanos < $1.nanos
                    }
                }
                signals += decoder.handle(batch) + decoder.poll(now: t)
                t += 200_000
            }
            return decoded(signals)
        }
        #expect(mismatches(try play(drainEveryLine: true), sent) == 0)
        let scrambled = mismatches(try play(drainEveryLine: false), sent)
        #expect(scrambled > 0, "a single pass scrambles some frames")
    }

    @Test func aDoorProppedOpenAtStartIsReportedAtOnce() throws {
        let clock = TestClock()
        let decoder = DoorEdgeDecoder(doors: [front])
        #expect(decoder.linesToRead == [23])
        let source = twin(clock, for: decoder, levels: [23: true])  // the reed open: high
        let got = Mutex<[DoorSignal]>([])
        let delivered = DispatchSemaphore(value: 0)
        let reader = EdgeReader(source: source, decoder: decoder) { signal in
            got.withLock { $0.append(signal) }
            delivered.signal()
        }
        reader.start(name: "test-propped-door")
        #expect(arrives(delivered))
        reader.stop()
        #expect(got.withLock { $0 } == [.contact("entree", open: true, nanos: clock.read())])
    }

    @Test func aContactReadAgainAfterAFullBufferEndsOnTheWire() {
        var decoder = DoorEdgeDecoder(doors: [front])
        _ = decoder.take(levels: [23: false], now: 0)
        // A chattering reed: 16 events, the buffer full; the last buffered says shut.
        let chatter = (0..<16).map { GPIOEdge(line: 23, rising: $0 % 2 == 0, nanos: 100 * ms + UInt64($0) * ms) }
        _ = decoder.handle(chatter)
        #expect(decoder.linesToRead == [23])
        #expect(decoder.take(levels: [23: true], now: 200 * ms) == [.contact("entree", open: true, nanos: 200 * ms)])
    }

    /// GPIO23 powers up pulled down. A reed to ground is the only thing holding it low; when
    /// the door opens, the line floats — to its pull. Without a pull-up (internal or external)
    /// the door reads shut forever; requested with the pinout's pull-up, it reads open.
    @Test(arguments: [(Bias?.none, false), (Bias.pullUp, true)])
    func anOpenReedFloatsToItsPull(bias: Bias?, seenOpen: Bool) {
        let clock = TestClock()
        let board = SimulatedBoard.raspberryPi4(clock: clock.read)
        var lines = front
        lines.contactBias = bias
        var decoder = DoorEdgeDecoder(doors: [lines])
        guard
            let source = try? board.chip("gpiochip0")?.inputSource(
                decoder.requests, consumer: "test", resting: [17: true, 27: true, 23: false])
        else {
            Issue.record("cannot request the lines")
            return
        }
        let t0 = clock.read()
        _ = decoder.take(levels: (try? source.levels(of: decoder.linesToRead)) ?? [:], now: t0)
        source.release(line: 23, at: t0 + 10 * ms)  // the door opens
        let signals = run(source, clock, &decoder, from: t0, to: t0 + 200 * ms, every: ms)
        #expect(signals.contains { $0 == .contact("entree", open: true, nanos: t0 + 10 * ms) } == seenOpen)
        #expect((try? source.levels(of: [23])) == [23: seenOpen])
    }

    @Test func theHeaderChipIsFoundByLabelAndAWrongNumberIsRefused() throws {
        let clock = TestClock()
        let pi5 = SimulatedBoard.raspberryPi5Early(clock: clock.read)
        #expect(try ChipSelection.open(ChipSelection.header, on: pi5).name == "gpiochip4")
        #expect(try ChipSelection.open("pinctrl-rp1", on: pi5).name == "gpiochip4")
        do {
            _ = try ChipSelection.open("gpiochip0", on: pi5)
            Issue.record("gpiochip0 of an early Pi 5 kernel was accepted")
        } catch {
            #expect(
                error.message.hasPrefix(
                    "gpiochip0 is 'gpio-brcmstb@107d508500', not the 40-pin header's chip (pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835): remove `chip`"
                ))
        }
        let pi4 = SimulatedBoard.raspberryPi4(clock: clock.read)
        #expect(try ChipSelection.open(ChipSelection.header, on: pi4).name == "gpiochip0")
        #expect(try ChipSelection.open("gpiochip0", on: pi4).label == "pinctrl-bcm2711")
        #expect(try ChipSelection.open("raspberrypi-exp-gpio", on: pi4).name == "gpiochip1")
        #expect(
            throws: GPIOError(
                .notFound,
                "no GPIO chip here is the 40-pin header's chip (pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835): present: gpiochip1 'raspberrypi-exp-gpio'; set chip to one of their labels"
            )
        ) {
            try ChipSelection.open(ChipSelection.header, on: SimulatedBoard(chips: [pi4.chips[1]]))
        }
    }

    @Test func aReleasedOutputKeepsItsLevelUnlessTheDriverIsStrict() throws {
        let clock = TestClock()
        for persist in [true, false] {
            let chip = try #require(
                SimulatedBoard.raspberryPi4(clock: clock.read, persistOutputs: persist).chip("gpiochip0"))
            // An active-low relay input: locked is logically inactive, the pin high.
            let relay = try chip.request(output: 22, consumer: "test", activeLow: true, initiallyActive: false)
            #expect(chip.drivenLevel(22) == true)
            try relay.set(active: true)  // unlocked: the pin low, the relay on
            chip.processDied()
            #expect(chip.drivenLevel(22) == (persist ? false : nil))
            #expect(throws: GPIOError.self) { try relay.set(active: false) }  // its request died with it
        }
    }
}

@Suite struct RelayDriverTests {
    /// An output line that holds a thread inside `set` while it drives the unlocked level.
    final class GatedLine: OutputLine, @unchecked Sendable {
        let inner = SimulatedOutputLine(initiallyActive: false)
        let entered = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        func set(active: Bool) throws(GPIOError) {
            if active {
                entered.signal()
                gate.wait()
            }
            try inner.set(active: active)
        }
        func reclaim(initiallyActive: Bool) throws(GPIOError) {}
    }

    /// A `lockNow()` at shutdown racing an unlock: before the fix, it could land between the
    /// unlock's generation and its drive — the door then stayed unlocked with no re-lock.
    @Test func aLockAtShutdownNeverLeavesAnUnlockWithoutItsRelock() {
        let line = GatedLine()
        let pending = Mutex<[@Sendable () -> Void]>([])
        let relay = RelayDriver(door: "entree", line: line, failSecure: true) { _, body in
            pending.withLock { $0.append(body) }
        }
        let unlocked = DispatchSemaphore(value: 0)
        Thread {
            relay.apply(.unlock(.seconds(5)))
            unlocked.signal()
        }.start()
        line.entered.wait()  // the unlock is driving its line
        let locked = DispatchSemaphore(value: 0)
        Thread {
            relay.lockNow()
            locked.signal()
        }.start()
        // Give the lock every chance to cut in (with the fix it waits for the unlock instead).
        let lockedEarly = locked.wait(timeout: .now() + 0.2) == .success
        line.gate.signal()
        #expect(unlocked.wait(timeout: .now() + 60) == .success)
        if !lockedEarly { #expect(locked.wait(timeout: .now() + 60) == .success) }
        pending.withLock { $0 }.forEach { $0() }  // the pulse ends
        #expect(line.inner.active == RelayDriver.lockedLevel(failSecure: true))
    }
}

/// The twin refuses with the codes the kernel adapter gives for the same errno: a line held
/// elsewhere (EBUSY), a line or chip that is not there (ENOENT/ENODEV), a chip gone.
@Test func theTwinAndTheKernelAdapterAgreeOnWhyARequestFails() throws {
    let board = SimulatedBoard.raspberryPi4(clock: { 0 })
    let chip = try #require(board.chip("gpiochip0"))
    _ = try chip.request(output: 22, consumer: "another-program", activeLow: false, initiallyActive: false)
    func code(_ body: () throws -> Void) -> GPIOError.Code? {
        do {
            try body()
            return nil
        } catch { return (error as? GPIOError)?.code }
    }
    let busy = code { _ = try chip.request(output: 22, consumer: "cantine", activeLow: false, initiallyActive: false) }
    #expect(busy == .busy && busy == GPIOChip.explain(errno: EBUSY, chip: "gpiochip0", line: 22).code)
    let missing = code {
        _ = try chip.request(output: 99, consumer: "cantine", activeLow: false, initiallyActive: false)
    }
    #expect(missing == .notFound && missing == GPIOChip.explain(errno: ENOENT, chip: "gpiochip0", line: 99).code)
    #expect(code { _ = try board.open(name: "gpiochip9") } == GPIOChip.explain(errno: ENODEV, chip: "gpiochip9").code)
    #expect(GPIOChip.explain(errno: EACCES, chip: "gpiochip0").code == .denied)
    chip.vanish()
    #expect(
        code { _ = try chip.request(output: 23, consumer: "cantine", activeLow: false, initiallyActive: false) }
            == .gone)
}

/// An edge source whose reader thread is preempted for `nanos` after every poll that finds
/// nothing (the clock moves on; edges keep arriving).
final class PreemptedAfterEmptyPoll: EdgeSource {
    let inner: SimulatedEdgeSource
    let clock: TestClock
    let nanos: UInt64

    init(_ inner: SimulatedEdgeSource, clock: TestClock, nanos: UInt64) {
        self.inner = inner
        self.clock = clock
        self.nanos = nanos
    }

    func poll(until deadline: UInt64) throws(GPIOError) -> [Int] {
        let ready = try inner.poll(until: deadline)
        if ready.isEmpty { clock.set(clock.read() + nanos) }
        return ready
    }

    func read(line: Int) throws(GPIOError) -> [GPIOEdge] { try inner.read(line: line) }
    func wake() { inner.wake() }
    func nowNanos() -> UInt64 { inner.nowNanos() }
    func levels(of lines: [Int]) throws(GPIOError) -> [Int: Bool] { try inner.levels(of: lines) }
    func probe() throws(GPIOError) { try inner.probe() }
    func reopen() throws(GPIOError) { try inner.reopen() }
}
