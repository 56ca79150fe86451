// What `cantine hardware watch` shows an installer: the doors' and wired desks' lines as the
// daemon reads them (the same decoders), and what each sign means for the wiring — a data line
// low at rest, every bit of a frame on one line, D0 and D1 swapped (the frame fails both
// parities and its inverse passes), a line that never rests (floating, or picking up noise),
// edges per second. Pure, like the decoders it wraps: edges and time in, events out.

import CantineCore
import CantineProtocol

/// One thing `LineWatch` saw, in words an installer can act on (`text`).
public enum WatchEvent: Sendable, Equatable {
    /// A line's level read at start; `expected` is what it should be at rest, when known.
    case resting(WatchLine, high: Bool, expected: Bool?)
    /// A frame, with what its bits say.
    case frame(DoorID, WiegandFrame, FrameVerdict)
    /// Fewer bits than any frame: a glitch or a loose wire.
    case noise(DoorID, bits: Int)
    case contact(DoorID, open: Bool)
    case exitButton(DoorID)
    case desk(DeskID, present: Bool)
    /// Edges per line over the last second (only lines that had some).
    case rates([(WatchLine, Int)])
    /// A line with edges in most of the last `LineWatch.windowSlices` slices: it never rests.
    case floating(WatchLine, edgesPerSecond: Int)

    public static func == (a: WatchEvent, b: WatchEvent) -> Bool { a.text == b.text }

    /// The line printed for it.
    public var text: String {
        switch self {
        case .resting(let line, let high, let expected):
            let level = high ? "high" : "low"
            guard let expected, expected != high else { return "\(line): \(level) at rest" }
            return line.role == .d0 || line.role == .d1
                ? "\(line): \(level) at rest, a Wiegand reader holds its data lines high: check the reader's power, this wire and the level shifter"
                : "\(line): \(level) at rest, expected \(expected ? "high" : "low"): check the wire and the line's *_active_low setting"
        case .frame(let door, let frame, let verdict):
            return "\(door) frame \(frame.count) bits \(Self.bits(frame)): \(verdict.text)"
        case .noise(let door, let bits):
            return "\(door) noise: \(bits) bit\(bits == 1 ? "" : "s") then silence (a glitch, or a loose D0/D1 wire)"
        case .contact(let door, let open): return "\(door) contact: \(open ? "open" : "closed")"
        case .exitButton(let door): return "\(door) exit button: pressed"
        case .desk(let desk, let present): return "desk \(desk): \(present ? "present" : "absent")"
        case .rates(let rates):
            return "edges/s: " + rates.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        case .floating(let line, let rate):
            return
                "\(line) never rests (\(rate) edges/s, no frame's silence between them): the line floats or picks up noise: check its wire, its ground and its pull (\(line.role.biasKey))"
        }
    }

    /// The bits as sent, first bit first (of a frame over 64 bits, its last 64, after `…`).
    static func bits(_ frame: WiegandFrame) -> String {
        let kept = min(frame.count, 64)
        return (frame.count > kept ? "…" : "")
            + String((frame.count - kept..<frame.count).map { frame.bit($0) ? "1" : "0" })
    }
}

/// A line as the installer knows it: whose it is, its role and its number.
public struct WatchLine: Sendable, Equatable, CustomStringConvertible {
    public enum Role: String, Sendable {
        case d0 = "D0", d1 = "D1", contact, exitButton = "exit button", desk

        /// The config key of its pull.
        var biasKey: String {
            switch self {
            case .d0, .d1: "data_bias"
            case .contact: "contact_bias"
            case .exitButton: "exit_button_bias"
            case .desk: "the sensor's pull"
            }
        }
    }
    /// The door's or desk's id.
    public var owner: String
    public var role: Role
    public var line: Int

    public var description: String { "\(owner) \(role.rawValue) (line \(line))" }
}

/// What a frame's bits say.
public struct FrameVerdict: Sendable, Equatable {
    /// What it reads as (a card with its format, facility and number; a key), or why not.
    public var reading: WiegandInput
    /// What the inverted bits read as, when the frame fails and they pass: D0/D1 swapped.
    public var swapped: CardRead?
    /// Every bit came on one line (all 0: D1 silent; all 1: D0 silent).
    public var oneLine: WiegandLine?

    public init(_ frame: WiegandFrame, thirtySevenBit: WiegandFormat = .h10304) {
        reading = WiegandInput.classify(frame, thirtySevenBit: thirtySevenBit)
        swapped = nil
        if case .invalid = reading, [26, 34, 37].contains(frame.count) {
            let mask = (UInt64(1) << UInt64(frame.count)) - 1
            let inverted = WiegandFrame(bits: ~frame.bits & mask, count: frame.count)
            if case .card(let read) = WiegandInput.classify(inverted, thirtySevenBit: thirtySevenBit) {
                swapped = read
            }
        }
        // A frame longer than 64 bits keeps its last 64 only (noise, a floating line).
        let kept = min(frame.count, 64)
        let ones = (0..<kept).filter { frame.bit(frame.count - kept + $0) }.count
        // Only for a frame that reads as nothing: keypad key 0 is 0000 on D0, legitimately.
        if case .invalid = reading, frame.count >= WiegandDecoder.minimumBits {
            oneLine = ones == 0 ? .d0 : ones == kept ? .d1 : nil
        } else {
            oneLine = nil
        }
    }

    /// In words, with the fix when there is one.
    public var text: String {
        var out: String
        switch reading {
        case .card(let read):
            out =
                "\(read.format.rawValue.uppercased())\(read.format.facilityBits > 0 ? " facility \(read.facility)" : "") card \(read.card), parity ok"
        case .key(.digit(let d)): out = "keypad key \(d)"
        case .key(.star): out = "keypad key *"
        case .key(.hash): out = "keypad key #"
        case .invalid(.unknownLength(let n)): out = "\(n) bits is no card format this site reads (26, 34, 37)"
        case .invalid(.leadingParity): out = "leading parity fails"
        case .invalid(.trailingParity): out = "trailing parity fails"
        case .invalid(.outOfRange): out = "out of range"
        }
        if let read = swapped {
            out +=
                "; D0 and D1 look swapped: inverted, the bits read \(read.format.rawValue.uppercased()) facility \(read.facility) card \(read.card) with both parities right: exchange the D0 and D1 wires (or d0_line and d1_line)"
        }
        if let line = oneLine {
            let silent = line == .d0 ? "D1" : "D0"
            out += "; every bit came on \(line == .d0 ? "D0" : "D1"): is \(silent) connected?"
        }
        return out
    }
}

/// The doors' and wired desks' lines of one chip, watched.
public struct LineWatch: EdgeDecoding {
    /// The floating check looks at the last `windowSlices` slices of `sliceNanos`: a line with
    /// edges in `floatingSlices` of them never rested for long. A Wiegand frame, even from a
    /// reader at the slow end of the standard (37 bits 20 ms apart), fills at most 8.
    public static let sliceNanos: UInt64 = 100_000_000
    public static let windowSlices = 20
    public static let floatingSlices = 15

    var inner: ChipDecoder
    let named: [Int: WatchLine]
    let expectedAtRest: [Int: Bool]
    let thirtySevenBit: WiegandFormat
    /// Edges per line in the current second, and since when it counts.
    var counts: [Int: Int] = [:]
    var second: UInt64?
    /// Per line: the slices (100 ms since the clock's start) in which it had edges, with how
    /// many, over the last `windowSlices`.
    var active: [Int: [(slice: UInt64, edges: Int)]] = [:]
    /// Lines already reported floating (again only after they rest a whole window).
    var floating: Set<Int> = []
    /// Per door: the slice in which a frame last read as a card or a key. A reader repeating
    /// its frame while a card is held keeps its lines busy, and is not floating.
    var readable: [String: UInt64] = [:]
    var unread = true

    public init(
        doors: [DoorLines], desks: [DeskLines], end: FrameEnd = .adaptive, thirtySevenBit: WiegandFormat = .h10304
    ) {
        inner = ChipDecoder(doors: DoorEdgeDecoder(doors: doors, end: end), desks: DeskEdgeDecoder(desks: desks))
        self.thirtySevenBit = thirtySevenBit
        var named: [Int: WatchLine] = [:]
        var expected: [Int: Bool] = [:]
        for d in doors {
            named[d.d0] = WatchLine(owner: "\(d.door)", role: .d0, line: d.d0)
            named[d.d1] = WatchLine(owner: "\(d.door)", role: .d1, line: d.d1)
            expected[d.d0] = true
            expected[d.d1] = true
            if let c = d.contact { named[c] = WatchLine(owner: "\(d.door)", role: .contact, line: c) }
            if let e = d.exitButton {
                named[e] = WatchLine(owner: "\(d.door)", role: .exitButton, line: e)
                expected[e] = d.exitButtonActiveLow  // released
            }
        }
        for d in desks { named[d.line] = WatchLine(owner: "\(d.desk)", role: .desk, line: d.line) }
        self.named = named
        expectedAtRest = expected
    }

    public var lines: [Int] { inner.lines }
    public var requests: [InputRequest] { inner.requests }
    /// Every line's level at start (then what the decoders need).
    public var linesToRead: [Int] { unread ? lines.sorted() : inner.linesToRead }
    public var deadline: UInt64? {
        [inner.deadline, second.map { $0 + 1_000_000_000 }].compactMap { $0 }.min()
    }

    public mutating func take(levels: [Int: Bool], now: UInt64) -> [WatchEvent] {
        var out: [WatchEvent] = []
        if unread {
            unread = false
            for line in lines.sorted() {
                guard let high = levels[line], let name = named[line] else { continue }
                out.append(.resting(name, high: high, expected: expectedAtRest[line]))
            }
        }
        return out + inner.take(levels: levels, now: now).compactMap(event)
    }

    public mutating func lostTrack() { inner.lostTrack() }

    public mutating func handle(_ edges: [GPIOEdge]) -> [WatchEvent] {
        var out: [WatchEvent] = []
        for edge in edges {
            out += roll(to: edge.nanos)
            counts[edge.line, default: 0] += 1
            let slice = edge.nanos / Self.sliceNanos
            var slices = active[edge.line] ?? []
            if slices.last?.slice == slice { slices[slices.count - 1].edges += 1 } else { slices.append((slice, 1)) }
            slices.removeAll { $0.slice + UInt64(Self.windowSlices) <= slice }
            active[edge.line] = slices
            let reading = named[edge.line].flatMap { readable[$0.owner] }.map { $0 + UInt64(Self.windowSlices) > slice }
            if let name = named[edge.line], !floating.contains(edge.line), slices.count >= Self.floatingSlices,
                reading != true
            {
                floating.insert(edge.line)
                let perSecond = slices.reduce(0) { $0 + $1.edges } * 10 / Self.windowSlices
                out.append(.floating(name, edgesPerSecond: perSecond))
            }
        }
        return out + noting(inner.handle(edges).compactMap(event), at: edges.last?.nanos ?? 0)
    }

    public mutating func poll(now: UInt64) -> [WatchEvent] {
        roll(to: now) + noting(inner.poll(now: now).compactMap(event), at: now)
    }

    /// Notes the doors whose frames read as something, at `now`; returns `events`.
    mutating func noting(_ events: [WatchEvent], at now: UInt64) -> [WatchEvent] {
        for case .frame(let door, _, let verdict) in events {
            if case .invalid = verdict.reading { continue }
            readable["\(door)"] = now / Self.sliceNanos
        }
        return events
    }

    /// Closes the second when `now` is past it: the rates, and lines that rested again.
    mutating func roll(to now: UInt64) -> [WatchEvent] {
        guard let start = second else {
            second = now
            return []
        }
        guard now >= start + 1_000_000_000 else { return [] }
        var out: [WatchEvent] = []
        let rates = counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.compactMap { line, n in
            named[line].map { ($0, n) }
        }
        if !rates.isEmpty { out.append(.rates(rates)) }
        counts = [:]
        second = now
        let slice = now / Self.sliceNanos
        for line in floating where (active[line]?.last).map({ $0.slice + UInt64(Self.windowSlices) <= slice }) ?? true {
            floating.remove(line)
        }
        return out
    }

    func event(_ signal: InputSignal) -> WatchEvent? {
        switch signal {
        case .door(.frame(let door, let frame, _)):
            .frame(door, frame, FrameVerdict(frame, thirtySevenBit: thirtySevenBit))
        case .door(.noise(let door, let bits)): .noise(door, bits: bits)
        case .door(.contact(let door, let open, _)): .contact(door, open: open)
        case .door(.exitButton(let door, _)): .exitButton(door)
        case .door(.pending): nil  // a frame still being received: shown once it ends
        case .desk(let s): .desk(s.desk, present: s.present)
        }
    }
}
