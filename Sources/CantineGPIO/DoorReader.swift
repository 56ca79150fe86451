// From a chip's edges to door signals: Wiegand frames per reader (D0/D1 requested for falling
// edges only), the door contact (debounced, its level read at start and after a lossy batch)
// and the request-to-exit button. `DoorEdgeDecoder` is pure (edges and time in,
// signals out); `EdgeReader` runs it on a dedicated thread against an EdgeSource.

import CantineCore
import CantineProtocol

/// The input lines of one door on a chip.
public struct DoorLines: Sendable, Equatable {
    public var door: DoorID
    public var d0: Int
    public var d1: Int
    public var contact: Int?
    /// The contact line reads low when the door is closed (reed to ground, pulled up).
    public var contactActiveLow: Bool
    public var exitButton: Int?
    /// The button pulls its line low when pressed.
    public var exitButtonActiveLow: Bool
    /// The pulls requested on D0/D1, the contact and the button (nil: left as they are).
    public var dataBias: Bias?
    public var contactBias: Bias?
    public var exitButtonBias: Bias?

    public init(
        door: DoorID, d0: Int, d1: Int, contact: Int? = nil, contactActiveLow: Bool = true, exitButton: Int? = nil,
        exitButtonActiveLow: Bool = true, dataBias: Bias? = nil, contactBias: Bias? = nil,
        exitButtonBias: Bias? = nil
    ) {
        self.door = door
        self.d0 = d0
        self.d1 = d1
        self.contact = contact
        self.contactActiveLow = contactActiveLow
        self.exitButton = exitButton
        self.exitButtonActiveLow = exitButtonActiveLow
        self.dataBias = dataBias
        self.contactBias = contactBias
        self.exitButtonBias = exitButtonBias
    }

    /// Every input line of the door.
    public var lines: [Int] { [d0, d1] + [contact, exitButton].compactMap { $0 } }

    /// How the lines are requested. A Wiegand bit is the falling edge of a ~50 µs pulse: asked
    /// for both edges, the v1 kernel names an edge by the level its IRQ thread reads, which is
    /// often high again by then — the bit would be reported RISING and lost. Falling-only
    /// requests are stamped FALLING in the hard interrupt. Contact and button need both edges.
    public var requests: [InputRequest] {
        [
            InputRequest(line: d0, edges: .falling, bias: dataBias),
            InputRequest(line: d1, edges: .falling, bias: dataBias),
        ]
            + [contact.map { InputRequest(line: $0, edges: .both, bias: contactBias) }].compactMap { $0 }
            + [exitButton.map { InputRequest(line: $0, edges: .both, bias: exitButtonBias) }].compactMap { $0 }
    }
}

/// What a door's inputs say.
public enum DoorSignal: Sendable, Equatable {
    case frame(DoorID, WiegandFrame, lastEdgeNanos: UInt64)
    case noise(DoorID, bits: Int)
    case contact(DoorID, open: Bool, nanos: UInt64)
    case exitButton(DoorID, nanos: UInt64)
    /// The bits of a frame so far, waiting for the silence that ends it: the frame if no bit
    /// follows. A door may prepare for it (tokenize the card); only `.frame` is ever decided.
    case pending(DoorID, WiegandFrame)

    /// The door the signal is about.
    public var door: DoorID {
        switch self {
        case .frame(let door, _, _), .noise(let door, _), .contact(let door, _, _), .exitButton(let door, _),
            .pending(let door, _):
            door
        }
    }
}

/// Turns edges into door signals. Pure: the caller supplies edges (oldest first) and time.
public struct DoorEdgeDecoder: EdgeDecoding {
    /// A contact must be stable this long before its change counts (reed bounce).
    public static let contactSettleNanos: UInt64 = 20_000_000
    /// Presses of the exit button closer than this are one press.
    public static let exitDebounceNanos: UInt64 = 250_000_000

    enum Role { case d0, d1, contact, exit }

    let doors: [DoorLines]
    var roles: [Int: (door: Int, role: Role)] = [:]
    var decoders: [WiegandDecoder]
    /// Per door: the debounced contact state, and a change waiting to settle.
    var contactOpen: [Bool?]
    var contactPending: [(open: Bool, since: UInt64)?]
    /// Doors whose contact level must be read: at start, after a lossy batch or a failure.
    var contactUnread: Set<Int>
    var lastExit: [UInt64?]
    /// Per door: the frame so far last announced by `pending`.
    var announced: [WiegandFrame?]

    /// - Parameter end: when a Wiegand frame is over (`gpio.frame_end`).
    public init(doors: [DoorLines], end: FrameEnd = .adaptive) {
        self.doors = doors
        decoders = doors.map { _ in WiegandDecoder(end: end) }
        contactOpen = doors.map { _ in nil }
        contactPending = doors.map { _ in nil }
        lastExit = doors.map { _ in nil }
        announced = doors.map { _ in nil }
        contactUnread = Set(doors.indices.filter { doors[$0].contact != nil })
        for (i, d) in doors.enumerated() {
            roles[d.d0] = (i, .d0)
            roles[d.d1] = (i, .d1)
            if let c = d.contact { roles[c] = (i, .contact) }
            if let e = d.exitButton { roles[e] = (i, .exit) }
        }
    }

    /// Every line the decoder listens to.
    public var lines: [Int] { doors.flatMap(\.lines) }
    public var requests: [InputRequest] { doors.flatMap(\.requests) }
    /// Contacts whose level is not known: a door propped open when the daemon starts sends
    /// no edge until it closes, so its level is read.
    public var linesToRead: [Int] { contactUnread.sorted().compactMap { doors[$0].contact } }

    /// A contact's level read at start (or after a lossy batch): the door's state at once.
    public mutating func take(levels: [Int: Bool], now: UInt64) -> [DoorSignal] {
        var out: [DoorSignal] = []
        for i in contactUnread.sorted() {
            guard let line = doors[i].contact, let high = levels[line] else { continue }
            contactUnread.remove(i)
            let open = high == doors[i].contactActiveLow
            contactPending[i] = nil
            if contactOpen[i] != open {
                contactOpen[i] = open
                out.append(.contact(doors[i].door, open: open, nanos: now))
            }
        }
        return out
    }

    /// The source failed: contacts are read again once it is back.
    public mutating func lostTrack() {
        contactUnread = Set(doors.indices.filter { doors[$0].contact != nil })
        contactPending = doors.map { _ in nil }
        contactOpen = doors.map { _ in nil }
    }

    /// The earliest time `poll` has something to complete (a frame end, a contact settling).
    public var deadline: UInt64? {
        let frames = decoders.compactMap(\.deadlineNanos)
        let contacts = contactPending.compactMap { $0.map { $0.since + Self.contactSettleNanos } }
        return (frames + contacts).min()
    }

    /// Feeds edges in timestamp order.
    public mutating func handle(_ edges: [GPIOEdge]) -> [DoorSignal] {
        var out: [DoorSignal] = []
        var contactEdges: [Int: Int] = [:]
        defer {
            // A full buffer may have dropped the contact's last edges: its level will be read.
            for (i, n) in contactEdges where n >= GPIOEdge.lineBuffer { contactUnread.insert(i) }
        }
        for edge in edges {
            guard let (i, role) = roles[edge.line] else { continue }
            let door = doors[i]
            switch role {
            case .d0, .d1:
                guard !edge.rising else { continue }  // a bit is the falling edge of its pulse
                if let burst = decoders[i].edge(role == .d0 ? .d0 : .d1, atNanos: edge.nanos) {
                    out.append(signal(door.door, burst))
                }
            case .contact:
                contactEdges[i, default: 0] += 1
                let active = edge.rising != door.contactActiveLow
                let open = !active
                if contactOpen[i] == open {
                    contactPending[i] = nil  // bounced back before settling
                } else {
                    contactPending[i] = (open, edge.nanos)
                }
            case .exit:
                let pressed = edge.rising != door.exitButtonActiveLow
                guard pressed else { continue }
                if let last = lastExit[i], edge.nanos >= last, edge.nanos - last < Self.exitDebounceNanos { continue }
                lastExit[i] = edge.nanos
                out.append(.exitButton(door.door, nanos: edge.nanos))
            }
        }
        return out
    }

    /// Completes what is due at `now`: frames whose gap has passed, settled contacts.
    public mutating func poll(now: UInt64) -> [DoorSignal] {
        var out: [DoorSignal] = []
        for i in doors.indices {
            if let burst = decoders[i].poll(nowNanos: now) { out.append(signal(doors[i].door, burst)) }
            if let pending = contactPending[i], now >= pending.since + Self.contactSettleNanos {
                contactOpen[i] = pending.open
                contactPending[i] = nil
                out.append(.contact(doors[i].door, open: pending.open, nanos: pending.since))
            }
        }
        return out
    }

    /// Each door's frame so far, once per change: the reader delivers it before it waits for
    /// the frame's silence, so the door can tokenize the card meanwhile.
    public mutating func pending() -> [DoorSignal] {
        var out: [DoorSignal] = []
        for i in doors.indices {
            let frame = decoders[i].frameSoFar
            if let frame, frame != announced[i] { out.append(.pending(doors[i].door, frame)) }
            announced[i] = frame
        }
        return out
    }

    func signal(_ door: DoorID, _ burst: WiegandBurst) -> DoorSignal {
        switch burst {
        case .frame(let frame, let last): .frame(door, frame, lastEdgeNanos: last)
        case .noise(let bits): .noise(door, bits: bits)
        }
    }
}
