// `cantine hardware watch`'s decoder on the simulated twin, driven through the same port as
// libgpiod: a frame read as it is, D0/D1 swapped named with the card they would read, a data
// line low at rest, every bit on one line, a floating line (and a slow reader that is not
// one), rates; and the watch run by the daemon's reader thread on simulated time.

import CantineCore
import CantineGPIO
import CantineProtocol
import Foundation
import Synchronization
import Testing

@Suite struct LineWatchTests {
    let card = CardRead(format: .h10301, facility: 42, card: 4242)

    /// The watch of the front door on a twin at rest, its levels read as the reader does first.
    func watching(_ levels: [Int: Bool] = [:]) -> (TestClock, SimulatedEdgeSource, LineWatch, [WatchEvent]) {
        let clock = TestClock()
        var watch = LineWatch(doors: [front], desks: [])
        let source = twin(clock, for: watch, levels: levels, kernel: .instant)
        let resting = watch.take(levels: (try? source.levels(of: watch.linesToRead)) ?? [:], now: clock.read())
        return (clock, source, watch, resting)
    }

    @Test func aGoodFrameReadsAsItsCardWithParityOK() throws {
        var (clock, source, watch, resting) = watching()
        #expect(resting.map(\.text).contains("entree D0 (line 17): high at rest"))
        var rng = SplitMix64(seed: 1)
        source.inject(WiegandSignal.edges(try Wiegand.encode(card), d0: 17, d1: 27, start: 1_010_000_000, using: &rng))
        let events = run(source, clock, &watch, from: 1_000_000_000, to: 1_200_000_000, every: ms)
        let frames = events.filter { if case .frame = $0 { true } else { false } }.map(\.text)
        #expect(frames.count == 1)
        #expect(frames.first?.hasSuffix(": H10301 facility 42 card 4242, parity ok") == true)
        #expect(!events.contains { if case .floating = $0 { true } else { false } })
    }

    /// D0 on the D1 terminal and back: every bit arrives inverted, so both parities fail —
    /// and the inverse reads the card. The watch says so, with the card and the fix.
    @Test func swappedDataLinesAreNamedWithTheCardTheyWouldRead() throws {
        var (clock, source, watch, _) = watching()
        var rng = SplitMix64(seed: 2)
        source.inject(WiegandSignal.edges(try Wiegand.encode(card), d0: 27, d1: 17, start: 1_010_000_000, using: &rng))
        let events = run(source, clock, &watch, from: 1_000_000_000, to: 1_200_000_000, every: ms)
        let frame = try #require(
            events.compactMap { e -> FrameVerdict? in if case .frame(_, _, let v) = e { v } else { nil } }.first)
        #expect(frame.swapped == card)
        #expect(frame.reading == .invalid(.leadingParity))
        let text = try #require(events.first { if case .frame = $0 { true } else { false } }?.text)
        #expect(text.contains("leading parity fails; D0 and D1 look swapped"))
        #expect(text.contains("H10301 facility 42 card 4242 with both parities right"))
        #expect(text.contains("exchange the D0 and D1 wires"))
        // A frame that is merely damaged is not called swapped.
        let damaged = WiegandFrame(bits: try Wiegand.encode(card).bits ^ 0b100, count: 26)
        #expect(FrameVerdict(damaged).swapped == nil)
        // Keypad key 0 is four 0 bits, all on D0: a key, not a dead D1.
        let zero = FrameVerdict(WiegandFrame(bits: 0, count: 4))
        #expect(zero.oneLine == nil && zero.text == "keypad key 0")
    }

    @Test func aDataLineLowAtRestAndADeadLineAreNamed() throws {
        var (clock, source, watch, resting) = watching([17: false])
        let d0 = try #require(resting.first { $0.text.hasPrefix("entree D0") }?.text)
        #expect(d0.contains("low at rest, a Wiegand reader holds its data lines high"))
        // D0 cut: only the 1 bits arrive, on D1.
        var rng = SplitMix64(seed: 3)
        let ones = WiegandFrame(bits: (1 << 26) - 1, count: 26)
        source.inject(WiegandSignal.edges(ones, d0: 17, d1: 27, start: 1_010_000_000, using: &rng))
        let events = run(source, clock, &watch, from: 1_000_000_000, to: 1_200_000_000, every: ms)
        #expect(events.map(\.text).contains { $0.contains("every bit came on D1: is D0 connected?") })
    }

    /// A line nothing drives picks up mains and switching noise: edges all the time, never a
    /// frame's silence. A reader at the slow end of the standard (37 bits 20 ms apart, drifting)
    /// is busy for 0.74 s, and is not called floating — nor when it repeats its frame every
    /// second while the card is held.
    @Test func aFloatingLineIsNamedAndASlowReaderIsNot() throws {
        var (clock, source, watch, _) = watching()
        var rng = SplitMix64(seed: 4)
        let slow = try Wiegand.encode(CardRead(format: .h10304, facility: 7, card: 77))
        source.inject(
            WiegandSignal.edges(
                slow, d0: 17, d1: 27, start: 1_010_000_000,
                timing: ReaderTiming(period: 20 * ms, jitter: 2 * ms, drift: 100_000), using: &rng))
        for start in stride(from: 2_000_000_000, through: 5_000_000_000, by: 1_000_000_000) {
            source.inject(
                WiegandSignal.edges(
                    slow, d0: 17, d1: 27, start: UInt64(start),
                    timing: ReaderTiming(period: 20 * ms, jitter: 2 * ms), using: &rng))
        }
        var events = run(source, clock, &watch, from: 1_000_000_000, to: 6_500_000_000, every: ms)
        #expect(events.filter { $0.text.contains("H10304 facility 7 card 77, parity ok") }.count == 5)
        #expect(!events.contains { if case .floating = $0 { true } else { false } })

        // Then D1 floats: a falling and a rising edge at irregular 5–15 ms for three seconds.
        var t: UInt64 = 7_100_000_000
        var noise: [GPIOEdge] = []
        while t < 10_100_000_000 {
            noise.append(GPIOEdge(line: 27, rising: false, nanos: t))
            noise.append(GPIOEdge(line: 27, rising: true, nanos: t + 300_000))
            t += UInt64.random(in: 5 * ms...15 * ms, using: &rng)
        }
        source.inject(noise)
        events = run(source, clock, &watch, from: 6_500_000_000, to: 10_200_000_000, every: ms)
        let floating = events.filter { if case .floating = $0 { true } else { false } }.map(\.text)
        #expect(floating.count == 1, "named once, not at every edge")
        #expect(floating.first?.hasPrefix("entree D1 (line 27) never rests (") == true)
        #expect(floating.first?.contains("the line floats or picks up noise: check its wire, its ground") == true)
        #expect(events.contains { $0.text.hasPrefix("edges/s: entree D1 (line 27) ") })
    }

    /// A wired desk sensor on the same chip: its level at start, then a presence once the
    /// line has held past the debounce.
    @Test func aWiredDeskShowsItsRestingLevelAndPresence() throws {
        let clock = TestClock()
        var watch = LineWatch(doors: [front], desks: [DeskLines(desk: "bar-1", line: 16)])
        let source = twin(clock, for: watch, kernel: .instant)
        let resting = watch.take(levels: try source.levels(of: watch.linesToRead), now: clock.read())
        #expect(resting.map(\.text).contains("bar-1 desk (line 16): low at rest"))
        #expect(resting.map(\.text).contains("desk bar-1: absent"))
        source.inject([GPIOEdge(line: 16, rising: true, nanos: 1_100_000_000)])
        let events = run(source, clock, &watch, from: 1_000_000_000, to: 2_200_000_000, every: ms).map(\.text)
        #expect(events.contains("desk bar-1: present"))
        #expect(events.contains("edges/s: bar-1 desk (line 16) 1"))
    }

    /// The watch as `cantine hardware watch` runs it: the daemon's reader thread on the twin,
    /// time moved by the test.
    @Test func theReaderThreadDeliversTheWatchOnSimulatedTime() throws {
        let clock = TestClock()
        let watch = LineWatch(doors: [front], desks: [])
        let source = twin(clock, for: watch)
        let got = Mutex<[String]>([])
        let reader = EdgeReader(source: source, decoder: watch) { e in got.withLock { $0.append(e.text) } }
        reader.start(name: "test-watch")
        defer { reader.stop() }
        var rng = SplitMix64(seed: 5)
        source.inject(WiegandSignal.edges(try Wiegand.encode(card), d0: 27, d1: 17, start: 1_005_000_000, using: &rng))
        drive(source, clock, to: 1_300_000_000)
        let lines = got.withLock { $0 }
        #expect(lines.contains("entree D1 (line 27): high at rest"))
        #expect(lines.contains { $0.contains("D0 and D1 look swapped") && $0.contains("card 4242") })
    }
}
