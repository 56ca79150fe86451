// The LD2410 parser: frames of every kind, and resynchronisation through noise and corrupt
// frames (it must never wedge or lose a frame that follows garbage).
import Testing

@testable import CantineProtocol

/// A basic-mode (or engineering-mode) target report as the sensor sends it.
func ld2410Frame(
    state: UInt8, moving: UInt16 = 0, stationary: UInt16 = 0, engineering: Bool = false, footer: [UInt8]? = nil
) -> [UInt8] {
    var data: [UInt8] = [engineering ? 0x01 : 0x02, 0xAA, state]
    for (distance, energy) in [(moving, UInt8(60)), (stationary, UInt8(40))] {
        data += [UInt8(distance & 0xFF), UInt8(distance >> 8), energy]
    }
    data += [0x2C, 0x01]  // detection distance 300 cm
    if engineering { data += [8, 8] + [UInt8](repeating: 10, count: 18) + [0, 0] }
    data += [0x55, 0x00]
    return [0xF4, 0xF3, 0xF2, 0xF1, UInt8(data.count), 0] + data + (footer ?? [0xF8, 0xF7, 0xF6, 0xF5])
}

func parseAll(_ bytes: [UInt8], into parser: inout LD2410Parser) -> [LD2410Frame] {
    var frames: [LD2410Frame] = []
    for b in bytes {
        if let f = parser.feed(b) { frames.append(f) }
    }
    return frames
}

@Suite struct LD2410Tests {
    @Test func readsBasicAndEngineeringReportsAndAcks() {
        var p = LD2410Parser()
        let ack: [UInt8] = [0xFD, 0xFC, 0xFB, 0xFA, 0x04, 0x00, 0xFF, 0x01, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01]
        let frames = parseAll(
            ld2410Frame(state: 2, stationary: 85)
                + ld2410Frame(state: 3, moving: 120, stationary: 90, engineering: true)
                + ack + ld2410Frame(state: 0), into: &p)
        #expect(frames.count == 4)
        guard frames.count == 4, case .target(let still) = frames[0], case .target(let both) = frames[1],
            case .target(let nobody) = frames[3]
        else { return }
        #expect(still.state == .stationary && still.present && still.distanceCm == 85 && still.detectionCm == 300)
        #expect(!still.engineering && both.engineering)
        #expect(both.distanceCm == 90 && both.movingEnergy == 60 && both.stationaryEnergy == 40)
        #expect(frames[2] == .ack(command: 0x01FF, status: 0))
        #expect(!nobody.present && nobody.distanceCm == nil)
        #expect(p.frames == 4 && p.badFrames == 0 && p.droppedBytes == 0)
    }

    /// "Read parameters" (V1.02 §2.2.4): status, 0xAA, N = 8, the farthest moving and still
    /// gates, 9 + 9 sensitivities, the no-one duration. Refused, it is a plain ACK.
    @Test func readsTheRadarsSettingsFromItsReply() {
        var p = LD2410Parser()
        let sensitivities: [UInt8] = [50, 50, 40, 30, 20, 15, 15, 15, 15] + [0, 0, 40, 40, 30, 30, 20, 20, 20]
        let body: [UInt8] = [0x61, 0x01, 0x00, 0x00, 0xAA, 0x08, 0x08, 0x06] + sensitivities + [0x05, 0x00]
        let reply: [UInt8] = [0xFD, 0xFC, 0xFB, 0xFA, 0x1C, 0x00] + body + [0x04, 0x03, 0x02, 0x01]
        let refused: [UInt8] = [0xFD, 0xFC, 0xFB, 0xFA, 0x04, 0x00, 0x61, 0x01, 0x01, 0x00, 0x04, 0x03, 0x02, 0x01]
        let frames = parseAll(reply + refused, into: &p)
        #expect(
            frames == [
                .parameters(LD2410Parameters(gates: 8, movingGate: 8, stillGate: 6, noOneSeconds: 5)),
                .ack(command: 0x0161, status: 1),
            ])
        // A reply cut before its duration (a length that lies) is no frame.
        var q = LD2410Parser()
        let short: [UInt8] = [0xFD, 0xFC, 0xFB, 0xFA, 0x0A, 0x00] + body.prefix(10) + [0x04, 0x03, 0x02, 0x01]
        #expect(parseAll(short, into: &q).isEmpty && q.badFrames == 1)
    }

    @Test func dropsNoiseAndCorruptFramesAndKeepsWhatFollows() {
        var p = LD2410Parser()
        let good = ld2410Frame(state: 1, moving: 50)
        let badFooter = ld2410Frame(state: 1, moving: 50, footer: [0xF8, 0xF7, 0xF6, 0x00])
        let badLength: [UInt8] = [0xF4, 0xF3, 0xF2, 0xF1, 0xFF, 0x7F]
        let badState = ld2410Frame(state: 7)
        // A frame cut short, then a whole one at once: its header sits inside the bytes the
        // parser took for the first frame's payload, and must be found there.
        let truncated = Array(good.prefix(12))
        let stream: [UInt8] = [0x00, 0xF4, 0x13, 0xFD, 0xFC] + badFooter + badLength + badState + truncated + good
        let frames = parseAll(stream, into: &p)
        #expect(
            frames == [
                .target(
                    LD2410Target(state: .moving, movingCm: 50, movingEnergy: 60, stationaryEnergy: 40, detectionCm: 300)
                )
            ])
        #expect(p.badFrames >= 4)
        #expect(p.droppedBytes > 0)
    }

    @Test func neverWedgesOnRandomBytesAndFindsEveryFrameAfterThem() {
        var rng = SplitMix(seed: 2410)
        var p = LD2410Parser()
        var sent = 0
        var got = 0
        for round in 0..<2000 {
            let noise = (0..<Int(rng.next() % 80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let frame = ld2410Frame(state: UInt8(round % 4), moving: UInt16(round % 600), stationary: 77)
            sent += 1
            got += parseAll(noise + frame, into: &p).count
        }
        // Random noise can at most complete a frame of its own by chance (it never has here);
        // every real frame after noise is found, whatever the noise left half-parsed.
        #expect(got == sent)
        #expect(p.frames == UInt32(sent))
    }
}

/// A small deterministic generator (tests must not depend on the system's randomness).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
