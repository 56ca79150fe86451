// The edge-level decoder: frames from timed edges, the gap timeout, noise, any length,
// keypad keys and PIN entry.

import CantineProtocol
import Testing

/// Falling edges of `frame`, one every `gap` ns from `start`.
func edges(_ frame: WiegandFrame, start: UInt64 = 1_000_000, gap: UInt64 = 2_000_000) -> [(WiegandLine, UInt64)] {
    (0..<frame.count).map { i in (frame.bit(i) ? .d1 : .d0, start + UInt64(i) * gap) }
}

/// Feeds edges (polling just before each, as the reader thread does), then polls well after
/// the last one; returns every burst. A nil gap timeout: the adaptive end.
func decode(_ edges: [(WiegandLine, UInt64)], gapTimeout: UInt64? = 25_000_000) -> [WiegandBurst] {
    var decoder = gapTimeout.map { WiegandDecoder(gapTimeoutNanos: $0) } ?? WiegandDecoder()
    var out: [WiegandBurst] = []
    for (line, t) in edges {
        if t > 0, let b = decoder.poll(nowNanos: t - 1) { out.append(b) }
        if let b = decoder.edge(line, atNanos: t) { out.append(b) }
    }
    if let last = edges.last?.1, let b = decoder.poll(nowNanos: last + decoder.end.longestSilence) { out.append(b) }
    return out
}

@Suite struct WiegandDecoderTests {
    @Test(arguments: WiegandFormat.allCases)
    func decodesFramesOfEveryFormatFromEdges(format: WiegandFormat) throws {
        let read = CardRead(format: format, facility: format.maxFacility / 5, card: format.maxCard / 9)
        let frame = try Wiegand.encode(read)
        let bursts = decode(edges(frame))
        #expect(bursts == [.frame(frame, lastEdgeNanos: 1_000_000 + UInt64(frame.count - 1) * 2_000_000)])
        let thirtySeven: WiegandFormat = format == .h10302 ? .h10302 : .h10304
        #expect(WiegandInput.classify(frame, thirtySevenBit: thirtySeven) == .card(read))
    }

    @Test func aFrameEndsOnlyAfterTheGapTimeout() throws {
        let frame = try Wiegand.encode(CardRead(format: .h10301, facility: 7, card: 77))
        var decoder = WiegandDecoder(gapTimeoutNanos: 25_000_000)
        for (line, t) in edges(frame) { #expect(decoder.edge(line, atNanos: t) == nil) }
        let last = 1_000_000 + 25 * 2_000_000 as UInt64
        #expect(decoder.deadlineNanos == last + 25_000_000)
        #expect(decoder.poll(nowNanos: last + 24_999_999) == nil)
        #expect(decoder.poll(nowNanos: last + 25_000_000) == .frame(frame, lastEdgeNanos: last))
        #expect(!decoder.isReceiving)
    }

    @Test func twoBadgesInARowAreTwoFrames() throws {
        let a = try Wiegand.encode(CardRead(format: .h10301, facility: 1, card: 2))
        let b = try Wiegand.encode(CardRead(format: .h10306, facility: 3, card: 4))
        let bursts = decode(edges(a) + edges(b, start: 200_000_000))
        #expect(bursts.count == 2)
        let frames = bursts.compactMap { burst -> WiegandFrame? in
            if case .frame(let f, _) = burst { return f } else { return nil }
        }
        #expect(frames == [a, b])
    }

    @Test func aShortGapSettingSplitsSlowReadersAndALongOneJoinsThem() throws {
        let frame = try Wiegand.encode(CardRead(format: .h10301, facility: 1, card: 2))
        #expect(decode(edges(frame, gap: 3_000_000), gapTimeout: 2_500_000).count == 26)
        #expect(decode(edges(frame, gap: 3_000_000), gapTimeout: 2_500_000).allSatisfy { $0 == .noise(bits: 1) })
        #expect(
            decode(edges(frame, gap: 3_000_000), gapTimeout: 25_000_000) == [
                .frame(frame, lastEdgeNanos: 1_000_000 + 25 * 3_000_000)
            ])
    }

    @Test func byDefaultAFrameEndsThreeOfItsLongestIntervalsAfterItsLastBit() throws {
        let frame = try Wiegand.encode(CardRead(format: .h10301, facility: 7, card: 77))
        var decoder = WiegandDecoder()
        #expect(decoder.end == .adaptive)
        let wire = edges(frame, gap: 2_000_000)
        for (i, (line, t)) in wire.enumerated() {
            #expect(decoder.edge(line, atNanos: t) == nil)
            // One edge has no rhythm yet: the ceiling, the wait after the standard's slowest bit.
            #expect(decoder.silenceNanos == (i == 0 ? 60_000_000 : 6_000_000))
        }
        let last = wire.last!.1
        #expect(decoder.deadlineNanos == last + 6_000_000)
        #expect(decoder.poll(nowNanos: last + 5_999_999) == nil)
        #expect(decoder.poll(nowNanos: last + 6_000_000) == .frame(frame, lastEdgeNanos: last))
        // A fast reader still gets the 5 ms floor (an interrupt thread may deliver a bit late).
        var fast = WiegandDecoder()
        for (line, t) in edges(frame, gap: 1_000_000) { _ = fast.edge(line, atNanos: t) }
        #expect(fast.silenceNanos == 5_000_000)
    }

    /// Every pace the standard allows (200 µs to 20 ms between bits), jittered by ±200 µs, and
    /// readers drifting within the frame (faster or slower by up to a tenth of their period
    /// per bit): thousands of frames, none cut short, each over within 3.6 of its longest
    /// interval; and at 1–2 ms, within 10 ms of the last bit.
    @Test(
        arguments: [
            (200_000, 0), (1_000_000, 0), (2_000_000, 0), (10_000_000, 0), (20_000_000, 0), (1_000_000, 83_000),
            (4_000_000, -83_000), (2_000_000, 200_000),
        ] as [(UInt64, Int64)])
    func noConformantReaderHasItsFrameCutShort(period: UInt64, drift: Int64) throws {
        var seed: UInt64 = period ^ UInt64(bitPattern: drift) | 1
        func random(_ range: ClosedRange<Int64>) -> Int64 {
            seed ^= seed << 13
            seed ^= seed >> 7
            seed ^= seed << 17
            return range.lowerBound + Int64(seed % UInt64(range.upperBound - range.lowerBound + 1))
        }
        var decoder = WiegandDecoder()
        var t: UInt64 = 1_000_000_000
        for n in 0..<400 {
            let format: WiegandFormat = [.h10301, .h10306, .h10304][n % 3]
            let read = CardRead(
                format: format, facility: UInt32(random(0...Int64(format.maxFacility))),
                card: UInt64(random(0...Int64(min(format.maxCard, 1 << 40)))))
            let frame = try Wiegand.encode(read)
            var longest: UInt64 = 0
            var last: UInt64 = 0
            for i in 0..<frame.count {
                if i > 0 {
                    let interval = max(
                        Int64(period) + Int64(i - 1) * drift + random(-200_000...200_000), Int64(period / 2))
                    longest = max(longest, UInt64(interval))
                    t += UInt64(interval)
                }
                // Between bits the frame is never declared over.
                #expect(decoder.poll(nowNanos: t - 1) == nil, "cut before bit \(i) of frame \(n)")
                #expect(decoder.edge(frame.bit(i) ? .d1 : .d0, atNanos: t) == nil)
                last = t
            }
            let silence = decoder.silenceNanos
            #expect(silence <= max(longest * 36 / 10, 5_000_000))
            if period <= 2_000_000 && drift == 0 { #expect(silence <= 10_000_000) }
            #expect(decoder.poll(nowNanos: last + silence) == .frame(frame, lastEdgeNanos: last))
            t = last + silence + 100_000_000
        }
    }

    @Test func aReaderThatStopsMidFrameForLongerThanItsRhythmIsSplitAndRefused() throws {
        // A reader pausing 8 ms after 12 bits at 2 ms: not a conformant frame. Both parts are
        // refused (wrong lengths); `frame_end = "fixed"` is for such a reader.
        let frame = try Wiegand.encode(CardRead(format: .h10301, facility: 7, card: 77))
        let wire = edges(frame, gap: 2_000_000).enumerated().map { i, e in (e.0, e.1 + (i >= 12 ? 8_000_000 : 0)) }
        let bursts = decode(wire, gapTimeout: nil)
        #expect(bursts.count == 2)
        for burst in bursts {
            guard case .frame(let part, _) = burst else { continue }
            #expect(WiegandInput.classify(part) == .invalid(.unknownLength(part.count)))
        }
        #expect(decode(wire, gapTimeout: 25_000_000) == [.frame(frame, lastEdgeNanos: wire.last!.1)])
    }

    @Test func loneEdgesAreNoise() {
        #expect(decode([(.d0, 5)]) == [.noise(bits: 1)])
        #expect(decode([(.d1, 5), (.d0, 1_000_005), (.d1, 2_000_005)]) == [.noise(bits: 3)])
    }

    @Test(arguments: [5, 25, 27, 33, 35, 36, 38, 64, 65, 200])
    func framesOfOtherLengthsAreRefusedNamingTheLength(length: Int) {
        let wire = (0..<length).map { i -> (WiegandLine, UInt64) in (i % 3 == 0 ? .d1 : .d0, UInt64(i) * 1_500_000) }
        let bursts = decode(wire)
        guard case .frame(let frame, _) = bursts.first else {
            Issue.record("expected a frame, got \(bursts)")
            return
        }
        #expect(frame.count == length)
        #expect(WiegandInput.classify(frame) == .invalid(.unknownLength(length)))
    }

    @Test func corruptedCardsAreInvalidNeverACard() throws {
        let frame = try Wiegand.encode(CardRead(format: .h10301, facility: 42, card: 1234))
        for bit in 0..<26 {
            let flipped = WiegandFrame(bits: frame.bits ^ (1 << UInt64(bit)), count: 26)
            guard case .invalid = WiegandInput.classify(flipped) else {
                Issue.record("bit \(bit) flipped still decoded")
                continue
            }
        }
    }

    @Test func keypadKeysIn4And8BitFormats() {
        #expect(WiegandInput.classify(WiegandFrame(bits: 7, count: 4)) == .key(.digit(7)))
        #expect(WiegandInput.classify(WiegandFrame(bits: 10, count: 4)) == .key(.star))
        #expect(WiegandInput.classify(WiegandFrame(bits: 11, count: 4)) == .key(.hash))
        #expect(WiegandInput.classify(WiegandFrame(bits: 0xC3, count: 8)) == .key(.digit(3)))  // 1100 0011
        #expect(WiegandInput.classify(WiegandFrame(bits: 0xB4, count: 8)) == .key(.digit(4)))  // 1011 0100
        #expect(WiegandInput.classify(WiegandFrame(bits: 0x4B, count: 8)) == .key(.hash))  // 0100 1011
        #expect(WiegandInput.classify(WiegandFrame(bits: 0x33, count: 8)) == .invalid(.leadingParity))
        #expect(WiegandInput.classify(WiegandFrame(bits: 14, count: 4)) == .invalid(.unknownLength(4)))
    }

    @Test func aPINEndsWithHashAndIsClearedByStarOrAPause() {
        var entry = PINEntry(keyTimeoutNanos: 10_000_000_000)
        let second: UInt64 = 1_000_000_000
        for (i, d) in [1, 2, 3, 4].enumerated() {
            #expect(entry.press(.digit(UInt8(d)), atNanos: UInt64(i) * second) == nil)
        }
        #expect(entry.press(.hash, atNanos: 5 * second) == PINEntry.PIN(value: 1234, digits: 4))
        #expect(entry.pending == 0)

        _ = entry.press(.digit(9), atNanos: 6 * second)
        _ = entry.press(.star, atNanos: 7 * second)
        _ = entry.press(.digit(5), atNanos: 8 * second)
        #expect(entry.press(.hash, atNanos: 9 * second) == PINEntry.PIN(value: 5, digits: 1))

        _ = entry.press(.digit(8), atNanos: 10 * second)
        #expect(entry.expire(nowNanos: 19 * second) == false)
        #expect(entry.expire(nowNanos: 20 * second) == true)
        #expect(entry.press(.hash, atNanos: 21 * second) == nil)

        _ = entry.press(.digit(0), atNanos: 30 * second)
        _ = entry.press(.digit(7), atNanos: 41 * second)  // after a pause: only the 7 counts
        #expect(entry.press(.hash, atNanos: 42 * second) == PINEntry.PIN(value: 7, digits: 1))
    }
}
