// Wiegand frame encoding and decoding: known vectors, parity, lengths, ranges.

import CantineProtocol
import Testing

@Suite struct WiegandTests {
    @Test func decodesAHandComputedH10301Frame() throws {
        // Facility 1, card 1: even parity 1 | 00000001 | 0000000000000001 | odd parity 0.
        let frame = WiegandFrame(bits: (1 << 25) | (1 << 17) | (1 << 1), count: 26)
        #expect(try Wiegand.decode(frame) == CardRead(format: .h10301, facility: 1, card: 1))
        #expect(try Wiegand.encode(CardRead(format: .h10301, facility: 1, card: 1)) == frame)
    }

    @Test(arguments: WiegandFormat.allCases)
    func roundTripsAtTheLimitsOfEachFormat(format: WiegandFormat) throws {
        for (facility, card) in [
            (0, 0), (format.maxFacility, format.maxCard), (format.maxFacility / 3, format.maxCard / 7),
        ] {
            let read = CardRead(format: format, facility: facility, card: card)
            let frame = try Wiegand.encode(read)
            #expect(frame.count == format.bitCount)
            #expect(try Wiegand.decode(frame, thirtySevenBit: format == .h10302 ? .h10302 : .h10304) == read)
        }
    }

    @Test(arguments: WiegandFormat.allCases)
    func everySingleBitFlipIsCaught(format: WiegandFormat) throws {
        let read = CardRead(format: format, facility: format.maxFacility / 2, card: format.maxCard / 3)
        let frame = try Wiegand.encode(read)
        for bit in 0..<frame.count {
            let flipped = WiegandFrame(bits: frame.bits ^ (1 << UInt64(bit)), count: frame.count)
            #expect(throws: WiegandError.self) {
                try Wiegand.decode(flipped, thirtySevenBit: format == .h10302 ? .h10302 : .h10304)
            }
        }
    }

    @Test func namesWhichParityFailed() throws {
        let frame = try Wiegand.encode(CardRead(format: .h10301, facility: 12, card: 3456))
        #expect(throws: WiegandError.leadingParity) {
            try Wiegand.decode(WiegandFrame(bits: frame.bits ^ (1 << 25), count: 26))
        }
        #expect(throws: WiegandError.trailingParity) {
            try Wiegand.decode(WiegandFrame(bits: frame.bits ^ 1, count: 26))
        }
    }

    @Test(arguments: [0, 4, 8, 25, 27, 35, 36, 38, 64])
    func refusesLengthsOfNoCardFormat(length: Int) {
        #expect(throws: WiegandError.unknownLength(length)) { try Wiegand.decode(WiegandFrame(bits: 0, count: length)) }
    }

    @Test func refusesToEncodeNumbersThatDoNotFit() {
        #expect(throws: WiegandError.outOfRange) {
            try Wiegand.encode(CardRead(format: .h10301, facility: 256, card: 1))
        }
        #expect(throws: WiegandError.outOfRange) {
            try Wiegand.encode(CardRead(format: .h10301, facility: 1, card: 65_536))
        }
        #expect(throws: WiegandError.outOfRange) { try Wiegand.encode(CardRead(format: .h10302, facility: 1, card: 1)) }
    }
}
