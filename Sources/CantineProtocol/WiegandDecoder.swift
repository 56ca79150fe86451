// Wiegand from the wire: falling edges on D0 (a 0 bit) and D1 (a 1 bit), timestamped in
// nanoseconds. A frame ends after a silence: by default one sized from the frame's own rhythm
// (three times the longest interval between its edges, 5–60 ms), or a fixed gap.
// Pure and Embedded-Swift compatible: the caller owns the clock and the GPIO.

/// The two data lines of a Wiegand reader.
public enum WiegandLine: Sendable, Equatable {
    /// D0 (green): a falling edge is a 0 bit.
    case d0
    /// D1 (white): a falling edge is a 1 bit.
    case d1
}

/// What the decoder makes of a burst of edges.
public enum WiegandBurst: Sendable, Equatable {
    /// A frame of 4 bits or more (a card or a key; classify with `WiegandInput.classify`).
    /// `lastEdgeNanos` is the timestamp of its last edge.
    case frame(WiegandFrame, lastEdgeNanos: UInt64)
    /// Fewer than 4 bits: noise on the line, dropped.
    case noise(bits: Int)
}

/// The silence after which a frame is over.
///
/// A reader sends a frame's bits at its own steady pace: 1–2 ms apart for most, anywhere from
/// 200 µs to 20 ms by the standard (SIA AC-01), with some jitter and, on cheap readers, a drift
/// within the frame. The last bit is the earliest the door could know the frame is over;
/// `adaptive` waits `factor` times the longest interval the frame has shown so far, at least
/// `floorNanos` (it also covers an interrupt thread late to deliver a bit by a few
/// milliseconds) and at most `ceilingNanos` (also the wait after a frame's first edge, before
/// it has shown any rhythm; a lone noise edge holds the reader that long). A frame is never
/// cut short while its next bit comes within three of its longest intervals: a reader whose
/// pace changes faster than that within one frame needs `fixed`.
public enum FrameEnd: Sendable, Equatable {
    /// The same silence for every frame (`gpio.frame_end = "fixed"`, `gpio.gap_timeout_ms`).
    case fixed(gapNanos: UInt64)
    /// A silence sized from each frame's own bit intervals (the default).
    case adaptive

    /// Of `adaptive`: the multiple of the longest interval seen, the floor and the ceiling.
    public static let factor: UInt64 = 3
    public static let floorNanos: UInt64 = 5_000_000
    public static let ceilingNanos: UInt64 = 60_000_000

    /// The silence that ends a frame whose longest interval so far is `longest` (nil: one edge).
    public func silence(longest: UInt64?) -> UInt64 {
        switch self {
        case .fixed(let gap): gap
        case .adaptive:
            longest.map { min(max($0 &* Self.factor, Self.floorNanos), Self.ceilingNanos) } ?? Self.ceilingNanos
        }
    }

    /// The longest silence it can wait (a bench's or a test's "well after the frame").
    public var longestSilence: UInt64 { silence(longest: nil) }
}

/// Assembles falling edges into frames.
public struct WiegandDecoder: Sendable {
    /// When a frame is over.
    public var end: FrameEnd
    /// Bursts shorter than this are noise.
    public static let minimumBits = 4

    var bits: UInt64 = 0
    var count = 0
    var lastEdge: UInt64 = 0
    /// The longest interval between two edges of the pending frame (nil before its second).
    var longest: UInt64?

    public init(end: FrameEnd = .adaptive) {
        self.end = end
    }

    /// A decoder with a fixed gap timeout.
    public init(gapTimeoutNanos: UInt64) {
        self.init(end: .fixed(gapNanos: gapTimeoutNanos))
    }

    /// True while a frame is being received.
    public var isReceiving: Bool { count > 0 }

    /// The silence that ends the pending frame, as it stands.
    public var silenceNanos: UInt64 { end.silence(longest: longest) }

    /// The pending frame as it stands: what `poll` will complete if no edge comes (nil while
    /// idle or shorter than `minimumBits`).
    public var frameSoFar: WiegandFrame? {
        count >= Self.minimumBits ? WiegandFrame(bits: bits, count: count) : nil
    }

    /// When the pending frame ends if no edge comes (nil when idle).
    public var deadlineNanos: UInt64? { count > 0 ? lastEdge &+ silenceNanos : nil }

    /// Feeds one falling edge. If it comes after the pending frame's silence, that frame is
    /// completed first and returned.
    public mutating func edge(_ line: WiegandLine, atNanos t: UInt64) -> WiegandBurst? {
        var done: WiegandBurst?
        if count > 0, t >= lastEdge, t - lastEdge >= silenceNanos {
            done = finish()
        }
        // Frames longer than 64 bits keep counting (and are refused as unknown lengths).
        bits = (bits << 1) | (line == .d1 ? 1 : 0)
        count += 1
        if count == 1 {
            lastEdge = t
        } else if t > lastEdge {
            longest = max(longest ?? 0, t - lastEdge)
            lastEdge = t
        }
        return done
    }

    /// Completes the pending frame if its silence has passed at `now`.
    public mutating func poll(nowNanos now: UInt64) -> WiegandBurst? {
        guard count > 0, now >= lastEdge, now - lastEdge >= silenceNanos else { return nil }
        return finish()
    }

    mutating func finish() -> WiegandBurst {
        defer {
            bits = 0
            count = 0
            longest = nil
        }
        if count < Self.minimumBits { return .noise(bits: count) }
        return .frame(WiegandFrame(bits: bits, count: count), lastEdgeNanos: lastEdge)
    }
}

/// A keypad key: 0–9, `*` (clear) or `#` (enter).
public enum KeypadKey: Sendable, Equatable {
    case digit(UInt8)
    case star
    case hash
}

/// A frame classified: a card, a key, or something to refuse.
public enum WiegandInput: Sendable, Equatable {
    case card(CardRead)
    case key(KeypadKey)
    case invalid(WiegandError)

    /// Classifies a frame: 4- and 8-bit frames are keys, 26/34/37-bit frames are cards.
    public static func classify(_ frame: WiegandFrame, thirtySevenBit: WiegandFormat = .h10304) -> WiegandInput {
        switch frame.count {
        case 4:
            return key(UInt8(frame.bits & 0xF)).map(WiegandInput.key) ?? .invalid(.unknownLength(4))
        case 8:
            // High nibble is the complement of the low nibble.
            let low = UInt8(frame.bits & 0xF)
            let high = UInt8((frame.bits >> 4) & 0xF)
            guard high == (~low & 0xF) else { return .invalid(.leadingParity) }
            return key(low).map(WiegandInput.key) ?? .invalid(.unknownLength(8))
        default:
            do throws(WiegandError) {
                return .card(try Wiegand.decode(frame, thirtySevenBit: thirtySevenBit))
            } catch {
                return .invalid(error)
            }
        }
    }

    static func key(_ value: UInt8) -> KeypadKey? {
        switch value {
        case 0...9: .digit(value)
        case 10: .star
        case 11: .hash
        default: nil
        }
    }
}

/// PIN entry on a keypad: digits until `#`, cleared by `*` or by a pause between keys.
public struct PINEntry: Sendable {
    /// Longest PIN accepted.
    public static let maxDigits = 8
    /// A pause between keys that abandons the entry.
    public var keyTimeoutNanos: UInt64

    var value: UInt32 = 0
    var digits = 0
    var lastKey: UInt64 = 0

    public init(keyTimeoutNanos: UInt64 = 10_000_000_000) { self.keyTimeoutNanos = keyTimeoutNanos }

    /// Digits typed so far.
    public var pending: Int { digits }

    /// A complete PIN: `digits` digits with the numeric `value`.
    public struct PIN: Sendable, Equatable {
        public var value: UInt32
        public var digits: Int
        public init(value: UInt32, digits: Int) {
            self.value = value
            self.digits = digits
        }
    }

    /// Feeds a key pressed at `t`; returns the PIN when `#` ends a non-empty entry.
    public mutating func press(_ key: KeypadKey, atNanos t: UInt64) -> PIN? {
        if digits > 0, t >= lastKey, t - lastKey >= keyTimeoutNanos { clear() }
        lastKey = t
        switch key {
        case .digit(let d):
            if digits < Self.maxDigits {
                value = value * 10 + UInt32(d)
                digits += 1
            }
            return nil
        case .star:
            clear()
            return nil
        case .hash:
            defer { clear() }
            return digits > 0 ? PIN(value: value, digits: digits) : nil
        }
    }

    /// Abandons the entry if the key timeout has passed at `now`; true when it did.
    public mutating func expire(nowNanos now: UInt64) -> Bool {
        guard digits > 0, now >= lastKey, now - lastKey >= keyTimeoutNanos else { return false }
        clear()
        return true
    }

    mutating func clear() {
        value = 0
        digits = 0
    }
}
