// Wiegand from the wire: falling edges on D0 (a 0 bit) and D1 (a 1 bit), timestamped in
// nanoseconds; a frame ends when no edge comes for the gap timeout (25 ms by default).
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

/// Assembles falling edges into frames.
public struct WiegandDecoder: Sendable {
    /// Silence that ends a frame.
    public var gapTimeoutNanos: UInt64
    /// Bursts shorter than this are noise.
    public static let minimumBits = 4

    var bits: UInt64 = 0
    var count = 0
    var lastEdge: UInt64 = 0

    public init(gapTimeoutNanos: UInt64 = 25_000_000) {
        self.gapTimeoutNanos = gapTimeoutNanos
    }

    /// True while a frame is being received.
    public var isReceiving: Bool { count > 0 }

    /// When the pending frame ends if no edge comes (nil when idle).
    public var deadlineNanos: UInt64? { count > 0 ? lastEdge &+ gapTimeoutNanos : nil }

    /// Feeds one falling edge. If it comes after the gap timeout, the previous frame is
    /// completed first and returned.
    public mutating func edge(_ line: WiegandLine, atNanos t: UInt64) -> WiegandBurst? {
        var done: WiegandBurst?
        if count > 0, t >= lastEdge, t - lastEdge >= gapTimeoutNanos {
            done = finish()
        }
        // Frames longer than 64 bits keep counting (and are refused as unknown lengths).
        bits = (bits << 1) | (line == .d1 ? 1 : 0)
        count += 1
        lastEdge = count == 1 ? t : max(lastEdge, t)
        return done
    }

    /// Completes the pending frame if the gap timeout has passed at `now`.
    public mutating func poll(nowNanos now: UInt64) -> WiegandBurst? {
        guard count > 0, now >= lastEdge, now - lastEdge >= gapTimeoutNanos else { return nil }
        return finish()
    }

    mutating func finish() -> WiegandBurst {
        defer {
            bits = 0
            count = 0
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
