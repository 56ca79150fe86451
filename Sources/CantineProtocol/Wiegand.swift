// Wiegand frames: the bits a badge reader sends on D0/D1, decoded into a card read.
// Pure and Embedded-Swift compatible (no Foundation, no existentials, typed throws):
// the daemon, the host tests and the firmware compile this same file.

/// A card format a Wiegand reader can send. The raw value is the name used in config files.
public enum WiegandFormat: String, Sendable, CaseIterable {
    /// 26-bit HID H10301: 8-bit facility, 16-bit card.
    case h10301
    /// 34-bit HID H10306: 16-bit facility, 16-bit card.
    case h10306
    /// 37-bit HID H10302: 35-bit card, no facility.
    case h10302
    /// 37-bit HID H10304: 16-bit facility, 19-bit card.
    case h10304

    /// Number of bits on the wire, parity included.
    public var bitCount: Int {
        switch self {
        case .h10301: 26
        case .h10306: 34
        case .h10302, .h10304: 37
        }
    }

    /// Bits of the facility code (0 when the format has none).
    public var facilityBits: Int {
        switch self {
        case .h10301: 8
        case .h10306, .h10304: 16
        case .h10302: 0
        }
    }

    /// Bits of the card number.
    public var cardBits: Int { bitCount - 2 - facilityBits }

    /// Largest facility code the format can carry.
    public var maxFacility: UInt32 { facilityBits == 0 ? 0 : UInt32((UInt64(1) << UInt64(facilityBits)) - 1) }

    /// Largest card number the format can carry.
    public var maxCard: UInt64 { (UInt64(1) << UInt64(cardBits)) - 1 }
}

/// A Wiegand frame: `count` bits, first bit received is the most significant of `bits`.
public struct WiegandFrame: Sendable, Equatable {
    public var bits: UInt64
    public var count: Int

    public init(bits: UInt64, count: Int) {
        self.bits = bits
        self.count = count
    }

    /// The bit at `index`, counted from the first bit received (0).
    public func bit(_ index: Int) -> Bool {
        (bits >> UInt64(count - 1 - index)) & 1 == 1
    }

    /// The unsigned value of bits `from ..< from + width`.
    public func field(from: Int, width: Int) -> UInt64 {
        guard width > 0 else { return 0 }
        let shift = UInt64(count - from - width)
        return (bits >> shift) & ((UInt64(1) << UInt64(width)) - 1)
    }

    /// Number of ones among bits `from ... through`.
    func ones(from: Int, through: Int) -> Int {
        var n = 0
        var i = from
        while i <= through {
            if bit(i) { n += 1 }
            i += 1
        }
        return n
    }
}

/// A decoded card read: the format, facility code and card number.
public struct CardRead: Sendable, Equatable, Hashable {
    public var format: WiegandFormat
    public var facility: UInt32
    public var card: UInt64

    public init(format: WiegandFormat, facility: UInt32, card: UInt64) {
        self.format = format
        self.facility = facility
        self.card = card
    }
}

/// Why a frame could not be decoded.
public enum WiegandError: Error, Sendable, Equatable {
    /// The frame length matches no configured format.
    case unknownLength(Int)
    /// The leading (even) parity bit is wrong.
    case leadingParity
    /// The trailing (odd) parity bit is wrong.
    case trailingParity
    /// A facility or card number does not fit the format (when encoding).
    case outOfRange
}

/// Encodes and decodes Wiegand card frames with their parity bits.
public enum Wiegand {
    /// Parity layout: even parity bit 0 over the first half, odd parity last bit over the second.
    /// Returns the inclusive ranges covered by the leading and trailing parity bits.
    static func parityRanges(_ format: WiegandFormat) -> (lead: (Int, Int), trail: (Int, Int)) {
        let n = format.bitCount
        switch format {
        case .h10301: return ((1, 12), (13, 24))
        case .h10306: return ((1, 16), (17, 32))
        case .h10302, .h10304: return ((1, 18), (18, n - 2))
        }
    }

    /// Decodes a frame. A 37-bit frame is read as `thirtySevenBit` (readers of a site agree on one).
    public static func decode(
        _ frame: WiegandFrame, thirtySevenBit: WiegandFormat = .h10304
    ) throws(WiegandError) -> CardRead {
        let format: WiegandFormat
        switch frame.count {
        case 26: format = .h10301
        case 34: format = .h10306
        case 37: format = thirtySevenBit == .h10302 ? .h10302 : .h10304
        default: throw .unknownLength(frame.count)
        }
        let ranges = parityRanges(format)
        let leadOnes = frame.ones(from: ranges.lead.0, through: ranges.lead.1) + (frame.bit(0) ? 1 : 0)
        guard leadOnes % 2 == 0 else { throw .leadingParity }
        let trailOnes =
            frame.ones(from: ranges.trail.0, through: ranges.trail.1) + (frame.bit(frame.count - 1) ? 1 : 0)
        guard trailOnes % 2 == 1 else { throw .trailingParity }
        let facility = UInt32(frame.field(from: 1, width: format.facilityBits))
        let card = frame.field(from: 1 + format.facilityBits, width: format.cardBits)
        return CardRead(format: format, facility: facility, card: card)
    }

    /// Encodes a card read into the frame a reader would send, parity bits included.
    public static func encode(_ read: CardRead) throws(WiegandError) -> WiegandFrame {
        let format = read.format
        guard read.facility <= format.maxFacility, read.card <= format.maxCard else { throw .outOfRange }
        let payload = (UInt64(read.facility) << UInt64(format.cardBits)) | read.card
        var frame = WiegandFrame(bits: payload << 1, count: format.bitCount)
        let ranges = parityRanges(format)
        if frame.ones(from: ranges.lead.0, through: ranges.lead.1) % 2 == 1 {
            frame.bits |= UInt64(1) << UInt64(format.bitCount - 1)
        }
        if frame.ones(from: ranges.trail.0, through: ranges.trail.1) % 2 == 0 {
            frame.bits |= 1
        }
        return frame
    }
}
