// Wired desk sensors on the simulated twin: bounce and glitches removed, the resting level
// read at start, active-low lines, an edge lost to a full buffer, and the reader thread.

import CantineCore
import CantineGPIO
import Dispatch
import Synchronization
import Testing

let ms: UInt64 = 1_000_000
let mat = DeskLines(desk: "f01", line: 16)
let pulledUp = DeskLines(desk: "f02", line: 20, activeLow: true)

/// Edges of a switch closing (or opening) at `t` with contact bounce: `bounces` short flips.
func bouncy(line: Int, to high: Bool, at t: UInt64, bounces: Int = 4) -> [GPIOEdge] {
    var out: [GPIOEdge] = []
    var at = t
    for i in 0..<(2 * bounces + 1) {
        out.append(GPIOEdge(line: line, rising: i % 2 == 0 ? high : !high, nanos: at))
        at += 300_000 + UInt64(i) * 170_000  // 0.3 ms and growing, as a bouncing contact does
    }
    return out
}

/// The twin of the desks' lines as `decoder` requests them; `levels`: lines driven at rest.
func twin(_ clock: TestClock, desks decoder: DeskEdgeDecoder, levels: [Int: Bool] = [:]) -> SimulatedEdgeSource {
    SimulatedEdgeSource(clock: clock.read, levels: levels, requests: decoder.requests)
}

/// Reads the source every millisecond from `start` to `end` like the reader thread.
func play(
    _ source: SimulatedEdgeSource, _ clock: TestClock, _ decoder: inout DeskEdgeDecoder, from start: UInt64,
    to end: UInt64
) -> [DeskSignal] {
    run(source, clock, &decoder, from: start, to: end, every: ms)
}

@Suite struct DeskReaderTests {
    @Test func aBouncingSwitchIsOneChangeOnceSettled() throws {
        let clock = TestClock()
        var decoder = DeskEdgeDecoder(desks: [mat])
        let source = twin(clock, desks: decoder)
        let t0 = clock.read()
        #expect(
            decoder.take(levels: try source.levels(of: [16]), now: t0) == [
                DeskSignal(desk: "f01", present: false, nanos: t0)
            ])

        let sit = t0 + 100 * ms
        source.inject(bouncy(line: 16, to: true, at: sit))
        // Still bouncing then settling: nothing before 50 ms after the last flip.
        let early = play(source, clock, &decoder, from: t0 + ms, to: sit + 45 * ms)
        #expect(early.isEmpty)
        let settled = play(source, clock, &decoder, from: sit + 46 * ms, to: sit + 200 * ms)
        #expect(settled.count == 1)
        #expect(settled.first?.present == true)
        // Stable since the last bounce, not since the first.
        #expect(settled.first.map { $0.nanos > sit && $0.nanos < sit + 10 * ms } == true)

        let stand = sit + 60_000 * ms
        source.inject(bouncy(line: 16, to: false, at: stand))
        let left = play(source, clock, &decoder, from: stand - 10 * ms, to: stand + 200 * ms)
        #expect(left.map(\.present) == [false])
    }

    @Test func aGlitchShorterThanTheSettleTimeIsIgnored() throws {
        let clock = TestClock()
        var decoder = DeskEdgeDecoder(desks: [mat], settleNanos: 50 * ms)
        let source = twin(clock, desks: decoder)
        let t0 = clock.read()
        _ = decoder.take(levels: try source.levels(of: [16]), now: t0)
        source.inject([
            GPIOEdge(line: 16, rising: true, nanos: t0 + 10 * ms),
            GPIOEdge(line: 16, rising: false, nanos: t0 + 40 * ms),
        ])
        #expect(play(source, clock, &decoder, from: t0, to: t0 + 500 * ms).isEmpty)
        #expect(decoder.deadline == nil)
    }

    @Test func anActiveLowLineRestsHighAndReadsPresentWhenPulledLow() throws {
        let clock = TestClock()
        var decoder = DeskEdgeDecoder(desks: [mat, pulledUp])
        let source = twin(clock, desks: decoder, levels: [20: true])
        let t0 = clock.read()
        let primed = decoder.take(levels: try source.levels(of: decoder.linesToRead), now: t0)
        #expect(primed.map(\.present) == [false, false])
        source.inject(bouncy(line: 20, to: false, at: t0 + 10 * ms))
        let got = play(source, clock, &decoder, from: t0, to: t0 + 200 * ms)
        #expect(got.map(\.desk) == ["f02"] && got.map(\.present) == [true])
    }

    @Test func aLevelHeldAtStartIsReadNotWaitedFor() throws {
        let clock = TestClock()
        // Someone already sitting when the daemon starts: no edge will ever come.
        var decoder = DeskEdgeDecoder(desks: [mat])
        let source = twin(clock, desks: decoder, levels: [16: true])
        #expect(decoder.take(levels: try source.levels(of: [16]), now: clock.read()).map(\.present) == [true])
    }

    @Test func edgesLostToAFullBufferCannotInvertTheDesk() throws {
        let clock = TestClock()
        var decoder = DeskEdgeDecoder(desks: [mat])
        let source = twin(clock, desks: decoder)
        let t0 = clock.read()
        _ = decoder.take(levels: try source.levels(of: [16]), now: t0)
        // A noisy cable: 41 flips between two reads overflow the 16-event buffer; the line
        // ends high. Read once after all of them, as a reader stalled for a moment would.
        let flips = (0...40).map { GPIOEdge(line: 16, rising: $0 % 2 == 0, nanos: t0 + ms + UInt64($0) * 100_000) }
        source.inject(flips)
        clock.set(t0 + 10 * ms)
        _ = decoder.handle(source.drain(now: t0 + 10 * ms))
        #expect(source.dropped == 41 - SimulatedEdgeSource.lineBuffer)
        #expect(try source.levels(of: [16]) == [16: true])
        // The last buffered edge is a falling one, but the batch filled the buffer: the
        // decoder asks for the line's level, finds it high, and settles on present.
        #expect(decoder.linesToRead == [16])
        _ = decoder.take(levels: try source.levels(of: decoder.linesToRead), now: t0 + 10 * ms)
        #expect(decoder.linesToRead.isEmpty)
        let got = play(source, clock, &decoder, from: t0 + 11 * ms, to: t0 + 100 * ms)
        #expect(got.map(\.present) == [true])
    }

    @Test func theReaderThreadPrimesThenDeliversDeskAndDoorSignals() throws {
        let clock = TestClock()
        let got = Mutex<[InputSignal]>([])
        let delivered = DispatchSemaphore(value: 0)
        let decoder = ChipDecoder(doors: DoorEdgeDecoder(doors: [front]), desks: DeskEdgeDecoder(desks: [mat]))
        let source = twin(clock, for: decoder, levels: [16: true])
        #expect(decoder.lines.sorted() == [16, 17, 23, 24, 27])
        let reader = EdgeReader(source: source, decoder: decoder) { signal in
            got.withLock { $0.append(signal) }
            delivered.signal()
        }
        reader.start(name: "test-desk-reader")
        func desks() -> [Bool] {
            got.withLock { $0 }.compactMap { signal -> Bool? in
                if case .desk(let d) = signal { return d.present }
                return nil
            }
        }
        // The resting levels, primed: the mat's, and the door contact's (shut).
        while desks().isEmpty && arrives(delivered) {}
        #expect(got.withLock { $0 }.contains(.door(.contact("entree", open: false, nanos: clock.read()))))
        source.inject(bouncy(line: 16, to: false, at: clock.read() + ms))
        drive(source, clock, to: clock.read() + 200 * ms)
        while desks().count < 2 && arrives(delivered) {}  // the change, settled
        reader.stop()
        #expect(desks() == [true, false])
    }
}
