// The HLK-LD2410 24 GHz mmWave presence sensor's UART protocol (256000 baud, 8N1), parsed a
// byte at a time into frames: target reports (F4 F3 F2 F1 … F8 F7 F6 F5) and command
// acknowledgements (FD FC FB FA … 04 03 02 01). Noise, truncated or corrupt frames are
// dropped and counted and the parser resynchronises on the next header found — in the bytes
// it already holds too — so it never wedges. Fixed buffer, no heap: the node runs it per byte.

/// What a target report says is in front of the sensor.
public enum LD2410TargetState: UInt8, Sendable, Equatable {
    case none = 0
    case moving = 1
    case stationary = 2
    case movingAndStationary = 3
}

/// A target report (basic or engineering mode; the engineering mode's per-gate energies are
/// skipped).
public struct LD2410Target: Sendable, Equatable {
    public var state: LD2410TargetState
    public var movingCm: UInt16
    public var movingEnergy: UInt8
    public var stationaryCm: UInt16
    public var stationaryEnergy: UInt8
    public var detectionCm: UInt16
    /// Sent in engineering mode (data type 0x01) rather than basic mode (0x02).
    public var engineering: Bool

    public init(
        state: LD2410TargetState, movingCm: UInt16 = 0, movingEnergy: UInt8 = 0, stationaryCm: UInt16 = 0,
        stationaryEnergy: UInt8 = 0, detectionCm: UInt16 = 0, engineering: Bool = false
    ) {
        self.state = state
        self.movingCm = movingCm
        self.movingEnergy = movingEnergy
        self.stationaryCm = stationaryCm
        self.stationaryEnergy = stationaryEnergy
        self.detectionCm = detectionCm
        self.engineering = engineering
    }

    /// Someone is there (moving or still).
    public var present: Bool { state != .none }

    /// Distance to the nearest target seen, in cm (nil when none).
    public var distanceCm: UInt16? {
        switch state {
        case .none: nil
        case .moving: movingCm
        case .stationary: stationaryCm
        case .movingAndStationary: min(movingCm, stationaryCm)
        }
    }
}

/// The radar's range settings, as its "read parameters" command (0x0061) returns them.
public struct LD2410Parameters: Sendable, Equatable {
    /// The farthest gate the radar has (8).
    public var gates: UInt8
    /// The farthest gate for moving and for still targets (0.75 m each).
    public var movingGate: UInt8
    public var stillGate: UInt8
    /// Seconds it keeps reporting someone after it last saw them.
    public var noOneSeconds: UInt16

    public init(gates: UInt8, movingGate: UInt8, stillGate: UInt8, noOneSeconds: UInt16) {
        self.gates = gates
        self.movingGate = movingGate
        self.stillGate = stillGate
        self.noOneSeconds = noOneSeconds
    }
}

/// A complete, valid frame.
public enum LD2410Frame: Sendable, Equatable {
    case target(LD2410Target)
    /// A command's acknowledgement: the command word (with 0x0100 set) and its status (0 = success).
    case ack(command: UInt16, status: UInt16)
    /// The successful acknowledgement of "read parameters" (0x0061), with what it read.
    case parameters(LD2410Parameters)
}

/// Byte-at-a-time LD2410 frame parser.
public struct LD2410Parser: Sendable {
    /// Largest payload accepted (an engineering report is 35 bytes).
    public static let maxPayload = 48
    /// The payload of a target report: 13 bytes in basic mode, 35 in engineering mode (8 gates).
    /// Nothing else is accepted: a header made by noise, with a length in between, could
    /// otherwise end on a real frame's footer and swallow two real frames into one made up.
    static let basicPayload = 13
    static let engineeringPayload = 35
    static let capacity = 4 + 2 + maxPayload + 4

    static let dataHeader: (UInt8, UInt8, UInt8, UInt8) = (0xF4, 0xF3, 0xF2, 0xF1)
    static let dataFooter: (UInt8, UInt8, UInt8, UInt8) = (0xF8, 0xF7, 0xF6, 0xF5)
    static let ackHeader: (UInt8, UInt8, UInt8, UInt8) = (0xFD, 0xFC, 0xFB, 0xFA)
    static let ackFooter: (UInt8, UInt8, UInt8, UInt8) = (0x04, 0x03, 0x02, 0x01)

    var buffer = InlineArray<58, UInt8>(repeating: 0)
    var count = 0

    /// Valid frames parsed.
    public private(set) var frames: UInt32 = 0
    /// Frames that had a header but a bad length, footer or content.
    public private(set) var badFrames: UInt32 = 0
    /// Bytes thrown away while looking for a header.
    public private(set) var droppedBytes: UInt32 = 0

    public init() {}

    /// Feeds one received byte; returns a frame when this byte completes a valid one.
    public mutating func feed(_ byte: UInt8) -> LD2410Frame? {
        append(byte)
        return scan()
    }

    mutating func append(_ byte: UInt8) {
        if count == Self.capacity {
            // Cannot happen (a frame is judged before it outgrows the buffer); stay safe.
            restart(from: 1)
        }
        buffer[count] = byte
        count += 1
    }

    /// Judges the bytes held: waits for more, returns a frame, or drops what cannot be one
    /// and looks again in what is left.
    mutating func scan() -> LD2410Frame? {
        while count > 0 {
            switch judge() {
            case .needMore:
                return nil
            case .frame(let frame, let length):
                frames &+= 1
                // Bytes after the frame (the start of the next one) stay held.
                restart(from: length)
                return frame
            case .noHeader:
                droppedBytes &+= 1
                restart(from: 1)
            case .bad:
                badFrames &+= 1
                restart(from: 1)
            }
        }
        return nil
    }

    enum Verdict {
        case needMore
        /// A frame, and the bytes it took.
        case frame(LD2410Frame, Int)
        case noHeader
        case bad
    }

    func judge() -> Verdict {
        let isData = matches(Self.dataHeader, upTo: min(count, 4))
        let isAck = !isData && matches(Self.ackHeader, upTo: min(count, 4))
        guard isData || isAck else { return .noHeader }
        guard count >= 6 else { return .needMore }
        let length = Int(buffer[4]) | Int(buffer[5]) << 8
        guard length <= Self.maxPayload, length >= (isData ? 13 : 4) else { return .bad }
        let total = 6 + length + 4
        guard count >= total else { return .needMore }
        let footer = isData ? Self.dataFooter : Self.ackFooter
        guard buffer[total - 4] == footer.0, buffer[total - 3] == footer.1, buffer[total - 2] == footer.2,
            buffer[total - 1] == footer.3
        else { return .bad }
        let frame = isData ? target(length: length) : ack(length: length)
        guard let frame else { return .bad }
        return .frame(frame, total)
    }

    func matches(_ header: (UInt8, UInt8, UInt8, UInt8), upTo n: Int) -> Bool {
        if n > 0, buffer[0] != header.0 { return false }
        if n > 1, buffer[1] != header.1 { return false }
        if n > 2, buffer[2] != header.2 { return false }
        if n > 3, buffer[3] != header.3 { return false }
        return true
    }

    func word(_ at: Int) -> UInt16 { UInt16(buffer[at]) | UInt16(buffer[at + 1]) << 8 }

    func target(length: Int) -> LD2410Frame? {
        let p = 6
        let type = buffer[p]
        guard type == 0x01 || type == 0x02, buffer[p + 1] == 0xAA else { return nil }
        guard buffer[p + length - 2] == 0x55, buffer[p + length - 1] == 0x00 else { return nil }
        guard length == (type == 0x01 ? Self.engineeringPayload : Self.basicPayload) else { return nil }
        guard let state = LD2410TargetState(rawValue: buffer[p + 2]) else { return nil }
        return .target(
            LD2410Target(
                state: state, movingCm: word(p + 3), movingEnergy: buffer[p + 5], stationaryCm: word(p + 6),
                stationaryEnergy: buffer[p + 8], detectionCm: word(p + 9), engineering: type == 0x01))
    }

    func ack(length: Int) -> LD2410Frame? {
        // 0x0161: status, 0xAA, the gate count N, the farthest moving and still gates, N + 1
        // moving and N + 1 still sensitivities, the no-one duration (protocol V1.02 §2.2.4).
        if word(6) == 0x0161, word(8) == 0, length >= 10, buffer[10] == 0xAA {
            let gates = buffer[11]
            let duration = 14 + 2 * (Int(gates) + 1)
            guard duration + 2 <= 6 + length else { return nil }
            return .parameters(
                LD2410Parameters(
                    gates: gates, movingGate: buffer[12], stillGate: buffer[13], noOneSeconds: word(duration)))
        }
        return .ack(command: word(6), status: word(8))
    }

    /// Drops the first `n` bytes held, keeping the rest to look for a header in.
    mutating func restart(from n: Int) {
        var i = n
        while i < count {
            buffer[i - n] = buffer[i]
            i += 1
        }
        count -= n
    }
}
