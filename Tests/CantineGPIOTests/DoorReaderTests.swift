// The simulated GPIO twin and the door edge decoder on a manual clock: reader timing with
// jitter, the 16-event line buffers, contact debounce, exit button, two doors on one chip.

import CantineCore
import CantineGPIO
import CantineProtocol
import Dispatch
import Foundation
import Synchronization
import Testing

extension DoorSignal {
    var isFrame: Bool { if case .frame = self { true } else { false } }
    var pendingFrame: WiegandFrame? { if case .pending(_, let f) = self { f } else { nil } }
}

/// A clock the test moves.
final class TestClock: Sendable {
    let now = Mutex<UInt64>(1_000_000_000)
    func read() -> UInt64 { now.withLock { $0 } }
    func set(_ t: UInt64) { now.withLock { $0 = t } }
}

let front = DoorLines(
    door: "entree", d0: 17, d1: 27, contact: 23, exitButton: 24, dataBias: .pullUp, contactBias: .pullUp,
    exitButtonBias: .pullUp)
let back = DoorLines(door: "sortie", d0: 5, d1: 6, dataBias: .pullUp)

/// The twin of a chip's lines as `decoder` requests them, at rest: readers idle their data
/// lines high, contacts are shut (`levels` adds or overrides), on a loaded Pi's kernel.
func twin<D: EdgeDecoding>(
    _ clock: TestClock, for decoder: D, levels: [Int: Bool] = [:], kernel: KernelTiming = .loadedPi
) -> SimulatedEdgeSource {
    var resting: [Int: Bool] = [:]
    for r in decoder.requests where r.edges == .falling { resting[r.line] = true }
    if decoder.lines.contains(23) { resting[23] = false }  // the front door's reed, shut
    return SimulatedEdgeSource(
        clock: clock.read, levels: resting.merging(levels) { _, new in new }, requests: decoder.requests, kernel: kernel
    )
}

/// Plays the source like a reader thread that reads every `every` ns until `end`.
func run<D: EdgeDecoding>(
    _ source: SimulatedEdgeSource, _ clock: TestClock, _ decoder: inout D, from start: UInt64,
    to end: UInt64, every: UInt64
) -> [D.Signal] {
    var out: [D.Signal] = []
    var t = start
    while t <= end {
        clock.set(t)
        out += decoder.handle(source.drain(now: t))
        out += decoder.poll(now: t)
        t += every
    }
    return out
}

/// Moves `clock` to `end` in steps of `every` and, after each step, lets the reader thread take
/// what is due (`awaitIdle`): a real reader thread on simulated time, so a busy machine can
/// delay it but never make it miss an edge the board would not have missed.
func drive(_ source: SimulatedEdgeSource, _ clock: TestClock, to end: UInt64, every: UInt64 = 100_000) {
    while clock.read() < end {
        clock.set(min(clock.read() + every, end))
        source.wake()
        guard source.awaitIdle() else {
            Issue.record("the reader thread did not settle by \(clock.read())")
            return
        }
    }
}

/// Moves `clock` on a millisecond at a time until `done()` (a reader's retry timer runs on its
/// source's clock); false if it never was.
func nudge(_ clock: TestClock, step: UInt64 = ms, until done: () -> Bool) -> Bool {
    for _ in 0..<60_000 {
        if done() { return true }
        clock.set(clock.read() + step)
        usleep(1_000)
    }
    return done()
}

/// Waits for a reader thread's event (a generous hang guard, not a timing check).
func arrives(_ semaphore: DispatchSemaphore) -> Bool { semaphore.wait(timeout: .now() + 60) == .success }

@Suite struct DoorReaderTests {
    @Test func jitteredFramesOfEveryFormatDecodeExactly() throws {
        let clock = TestClock()
        var decoder = DoorEdgeDecoder(doors: [front])
        let source = twin(clock, for: decoder)
        var rng = SplitMix64(seed: 42)
        var t: UInt64 = 1_000_000_000
        var expected: [CardRead] = []
        for i in 0..<400 {
            let format = WiegandFormat.allCases[i % 4]
            let read = CardRead(
                format: format, facility: UInt32.random(in: 0...format.maxFacility, using: &rng),
                card: UInt64.random(in: 0...format.maxCard, using: &rng))
            expected.append(read)
            source.inject(WiegandSignal.edges(try Wiegand.encode(read), d0: 17, d1: 27, start: t, using: &rng))
            t += 150_000_000
        }
        let signals = run(source, clock, &decoder, from: 1_000_000_000, to: t, every: 1_000_000)
        let frames = signals.compactMap { s -> WiegandFrame? in
            if case .frame(_, let frame, _) = s { return frame } else { return nil }
        }
        #expect(frames.count == expected.count)
        for (frame, read) in zip(frames, expected) {
            let thirtySeven: WiegandFormat = read.format == .h10302 ? .h10302 : .h10304
            #expect(WiegandInput.classify(frame, thirtySevenBit: thirtySeven) == .card(read))
        }
        #expect(source.dropped == 0)
    }

    @Test func aReaderThatDoesNotDrainLosesEdgesAndNeverReadsACard() throws {
        let clock = TestClock()
        var decoder = DoorEdgeDecoder(doors: [front])
        let source = twin(clock, for: decoder)
        var rng = SplitMix64(seed: 7)
        var cards = 0
        for n in 0..<50 {
            let start = 1_000_000_000 + UInt64(n) * 1_000_000_000
            // 37 bits: one of D0/D1 carries 19 or more, past the 16 a line buffers.
            let frame = try Wiegand.encode(CardRead(format: .h10304, facility: 42, card: UInt64(1000 + n)))
            source.inject(WiegandSignal.edges(frame, d0: 17, d1: 27, start: start, using: &rng))
            // The reader wakes only 200 ms later: each line kept its first 16 events.
            let signals = run(
                source, clock, &decoder, from: start + 200_000_000, to: start + 300_000_000, every: 50_000_000)
            for case .frame(_, let f, _) in signals {
                if case .card = WiegandInput.classify(f, thirtySevenBit: .h10304) { cards += 1 }
            }
        }
        #expect(source.dropped > 0)
        #expect(cards == 0)
    }

    @Test func risingEdgesOnDataLinesAreNotBits() {
        var decoder = DoorEdgeDecoder(doors: [front])
        let rising = (0..<26).map { GPIOEdge(line: 17, rising: true, nanos: UInt64($0) * 2_000_000) }
        #expect(decoder.handle(rising).isEmpty)
        #expect(decoder.deadline == nil)
    }

    @Test func contactChangesCountOnceSettledAndBouncesAreIgnored() {
        var decoder = DoorEdgeDecoder(doors: [front])
        let ms: UInt64 = 1_000_000
        // Door opens (active-low contact goes high), bounces twice, settles.
        _ = decoder.handle([
            GPIOEdge(line: 23, rising: true, nanos: 100 * ms), GPIOEdge(line: 23, rising: false, nanos: 102 * ms),
            GPIOEdge(line: 23, rising: true, nanos: 104 * ms),
        ])
        #expect(decoder.poll(now: 110 * ms).isEmpty)
        #expect(decoder.deadline == 124 * ms)
        #expect(decoder.poll(now: 124 * ms) == [.contact("entree", open: true, nanos: 104 * ms)])
        // A glitch back to closed shorter than the settle time is no change.
        _ = decoder.handle([
            GPIOEdge(line: 23, rising: false, nanos: 200 * ms), GPIOEdge(line: 23, rising: true, nanos: 205 * ms),
        ])
        #expect(decoder.poll(now: 300 * ms).isEmpty)
        _ = decoder.handle([GPIOEdge(line: 23, rising: false, nanos: 400 * ms)])
        #expect(decoder.poll(now: 420 * ms) == [.contact("entree", open: false, nanos: 400 * ms)])
    }

    @Test func theExitButtonIsOnePressPerPushAndReleaseIsNothing() {
        var decoder = DoorEdgeDecoder(doors: [front])
        let ms: UInt64 = 1_000_000
        let signals = decoder.handle([
            GPIOEdge(line: 24, rising: false, nanos: 10 * ms), GPIOEdge(line: 24, rising: true, nanos: 12 * ms),
            GPIOEdge(line: 24, rising: false, nanos: 14 * ms), GPIOEdge(line: 24, rising: true, nanos: 90 * ms),
            GPIOEdge(line: 24, rising: false, nanos: 400 * ms),
        ])
        #expect(signals == [.exitButton("entree", nanos: 10 * ms), .exitButton("entree", nanos: 400 * ms)])
    }

    @Test func twoDoorsOnOneChipDoNotMixTheirBits() throws {
        let clock = TestClock()
        var decoder = DoorEdgeDecoder(doors: [front, back])
        let source = twin(clock, for: decoder)
        var rng = SplitMix64(seed: 3)
        let a = try Wiegand.encode(CardRead(format: .h10301, facility: 1, card: 111))
        let b = try Wiegand.encode(CardRead(format: .h10306, facility: 2, card: 222))
        source.inject(WiegandSignal.edges(a, d0: 17, d1: 27, start: 1_000_000_000, using: &rng))
        source.inject(WiegandSignal.edges(b, d0: 5, d1: 6, start: 1_000_700_000, using: &rng))
        let signals = run(source, clock, &decoder, from: 1_000_000_000, to: 1_200_000_000, every: 1_000_000)
        let frames = signals.compactMap { s -> String? in
            if case .frame(let door, let f, _) = s { return "\(door):\(f.count):\(f.bits)" } else { return nil }
        }
        #expect(Set(frames) == ["entree:26:\(a.bits)", "sortie:34:\(b.bits)"])
    }

    /// The reader thread asks for SCHED_FIFO before it reads anything: granted (as root here,
    /// or with the unit's LimitRTPRIO), the kernel shows the thread real-time; refused, the
    /// errno says why and the thread reads at normal priority.
    @Test func theReaderThreadRunsRealTimeWhenTheSystemAllowsIt() throws {
        let clock = TestClock()
        let source = twin(clock, for: DoorEdgeDecoder(doors: [front]))
        let reader = EdgeReader(source: source, decoder: DoorEdgeDecoder(doors: [front])) { _ in }
        let result = reader.start(name: "test-rt-reader", realtimePriority: ReaderPriority.realtime)
        defer { reader.stop() }
        // /proc/self/task/<tid>/stat: field 40 is rt_priority, 41 the policy (1 = SCHED_FIFO).
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let stat = tasks.compactMap { tid -> [Substring]? in
            let comm = try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)
            guard comm?.hasPrefix("test-rt-reader") == true,
                let text = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return nil }
            return text[text.index(after: close)...].split(separator: " ")  // from field 3
        }.first
        let fields = try #require(stat)
        if result == 0 {
            #expect(fields[40 - 3] == "10" && fields[41 - 3] == "1")
        } else {
            #expect(result == EPERM && fields[41 - 3] == "0")
        }
        // Not asked, nothing said. On a source of its own, and stopped: two readers polling one
        // source share its wake-ups, and the one that took this reader's stop kept it waiting
        // forever (a whole CI run hung on it).
        let plain = EdgeReader(
            source: twin(clock, for: DoorEdgeDecoder(doors: [front])), decoder: DoorEdgeDecoder(doors: [front])
        ) { _ in }
        #expect(plain.start(name: "test-plain-reader") == nil)
        plain.stop()
    }

    @Test func theReaderThreadDeliversAFrameOnceItsGapHasPassed() throws {
        let clock = TestClock()
        let got = Mutex<[DoorSignal]>([])
        let gap = 25 * ms
        let source = twin(clock, for: DoorEdgeDecoder(doors: [front]))
        let reader = EdgeReader(source: source, decoder: DoorEdgeDecoder(doors: [front], end: .fixed(gapNanos: gap))) {
            signal in got.withLock { $0.append(signal) }
        }
        reader.start(name: "test-reader")
        defer { reader.stop() }
        var rng = SplitMix64(seed: 9)
        let frame = try Wiegand.encode(CardRead(format: .h10301, facility: 42, card: 4242))
        let edges = WiegandSignal.edges(frame, d0: 17, d1: 27, start: clock.read() + ms, using: &rng)
        source.inject(edges)
        let last = edges.map(\.nanos).max() ?? 0
        // Up to just before the gap timeout: no frame yet, it may go on (the contact's level
        // was read at start). The frame so far was announced as it grew, each bit count once,
        // for the door to prepare; the last announced is the whole frame.
        drive(source, clock, to: last + gap - ms)
        let before = got.withLock { $0 }
        #expect(before.filter { $0.pendingFrame == nil }.map(\.isFrame) == [false])
        let announced = before.compactMap(\.pendingFrame)
        #expect(announced.map(\.count) == Array(WiegandDecoder.minimumBits...26))
        #expect(announced.allSatisfy { $0.bits == frame.bits >> UInt64(26 - $0.count) })
        #expect(announced.last == frame)
        drive(source, clock, to: last + gap + ms)
        guard case .frame(let door, let f, _) = got.withLock({ $0.last }) else {
            Issue.record("no frame delivered")
            return
        }
        #expect(door == "entree" && f == frame && source.dropped == 0)
    }

    @Test func aVanishedChipIsReportedOnceRetriedAndReadAgainWhenItReturns() throws {
        let clock = TestClock()
        let source = twin(clock, for: DoorEdgeDecoder(doors: [front]))
        let errors = Mutex<[String]>([])
        let failed = DispatchSemaphore(value: 0)
        let recovered = DispatchSemaphore(value: 0)
        let delivered = DispatchSemaphore(value: 0)
        let got = Mutex<[DoorSignal]>([])
        let reader = EdgeReader(
            source: source, decoder: DoorEdgeDecoder(doors: [front]),
            deliver: { signal in
                got.withLock { $0.append(signal) }
                delivered.signal()
            },
            onError: { error in
                errors.withLock { $0.append(error.message) }
                failed.signal()
            },
            onRecovered: { recovered.signal() }, retryNanos: 20_000_000)
        reader.start(name: "test-vanishing-reader")
        #expect(source.awaitIdle())
        #expect(arrives(delivered))  // the contact's level, read at start
        // The chip goes without waking the reader (older v1 kernels): its capped wait ends
        // within a second of the source's clock and the probe read fails.
        source.fail(with: GPIOError("gpiochip0 went away"))
        #expect(nudge(clock, step: 10 * ms) { failed.wait(timeout: .now()) == .success })
        // Still gone: tried again once per retry period (on the source's clock), reported once.
        for tries in 1...3 {
            let since = clock.read()
            #expect(nudge(clock) { source.reopened.tried == tries })
            #expect(clock.read() - since >= 20 * ms)
        }
        #expect(source.reopened.succeeded == 0)
        // Back: reopened on the next retry, and a card reads again.
        source.fail(with: nil)
        #expect(nudge(clock) { source.reopened.succeeded == 1 })
        #expect(arrives(recovered))
        #expect(source.reopened.succeeded == 1 && source.awaitIdle())
        #expect(arrives(delivered))  // the contact, read again once back
        got.withLock { $0 = [] }
        var rng = SplitMix64(seed: 3)
        let frame = try Wiegand.encode(CardRead(format: .h10301, facility: 42, card: 4242))
        let edges = WiegandSignal.edges(frame, d0: 17, d1: 27, start: clock.read() + ms, using: &rng)
        source.inject(edges)
        drive(source, clock, to: (edges.map(\.nanos).max() ?? 0) + 100 * ms)
        #expect(arrives(delivered))
        reader.stop()
        #expect(errors.withLock { $0 } == ["gpiochip0 went away"])
        guard case .frame(_, let f, _) = got.withLock({ $0.first(where: \.isFrame) }) else {
            Issue.record("no frame after the chip came back")
            return
        }
        #expect(f == frame)
    }
}
