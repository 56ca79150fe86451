// Hardware wiring: the only place that picks the real (libgpiod) or simulated GPIO adapter.
// Relays are requested with their locked level as initial value, so a door is driven locked
// the moment its line is claimed, before anything else of the daemon starts.

import CantineConfig
import CantineCore
import CantineGPIO
import CantineProtocol
import CantineSite
import CantineStore
import Foundation
import Logging
import Metrics
import Synchronization

/// The input lines of one chip and the decoder of their signals.
public struct ChipInputs: Sendable {
    public let chip: String
    public let source: any EdgeSource
    /// The same source when simulated (the demo and tests inject edges into it).
    public let simulated: SimulatedEdgeSource?
    public let decoder: ChipDecoder
    /// The lines of each door on this chip.
    public let doors: [DoorID: DoorLines]
    /// The line of each wired desk sensor on this chip.
    public let desks: [DeskID: DeskLines]
}

/// The doors' GPIO: relays driven locked, and their input lines.
public struct DoorHardware: Sendable {
    public var relays: [DoorID: RelayDriver]
    /// Simulated lines by door (empty with real hardware): tests and the demo inspect them.
    public var simulatedRelays: [DoorID: SimulatedOutputLine]
    /// The chip spec each relay is on (its relays are requested again when the chip returns).
    public var relayChips: [DoorID: String] = [:]
    /// Relay lines whose polarity is not known, held undriven (as inputs) rather than guessed.
    public var floated: [DoorID: any HeldLine] = [:]
    /// Input lines, one entry per chip.
    public var inputs: [ChipInputs] = []
    /// Where chips come from: libgpiod, or the simulated board.
    public let board: any GPIOBoard
    /// Open chips by spec, kept alive while their lines are in use.
    var chips: [String: any GPIOChipPort]

    /// Requests every input line (after the relays are locked): the doors' readers, contacts
    /// and exit buttons, and wired desk sensors. `monotonic` is the clock of simulated edges.
    public mutating func openInputs(
        _ config: Config, monotonic: @escaping @Sendable () -> UInt64 = { SystemTime().monotonicNanos() }
    ) throws(GPIOError) {
        var doorsByChip: [String: [DoorLines]] = [:]
        var desksByChip: [String: [DeskLines]] = [:]
        let settings = config.settings
        for door in settings.doors { doorsByChip[door.chip, default: []].append(DoorLines(door)) }
        for desk in settings.desks { desksByChip[desk.chip, default: []].append(DeskLines(desk)) }
        for name in Set(doorsByChip.keys).union(desksByChip.keys).sorted() {
            let doors = doorsByChip[name] ?? []
            let desks = desksByChip[name] ?? []
            let decoder = ChipDecoder(
                doors: DoorEdgeDecoder(doors: doors, end: settings.gpio.frameEnd),
                desks: DeskEdgeDecoder(desks: desks, settleNanos: settings.gpio.deskSettleNanos))
            let chip = try chip(name)
            let source: any EdgeSource
            var simulated: SimulatedEdgeSource?
            if let sim = chip as? SimulatedChip {
                let twin = try sim.inputSource(
                    decoder.requests, consumer: "cantine", resting: Self.restingLevels(doors: doors, desks: desks),
                    clock: monotonic)
                simulated = twin
                source = twin
            } else {
                source = try chip.inputs(decoder.requests, consumer: "cantine")
            }
            inputs.append(
                ChipInputs(
                    chip: name, source: source, simulated: simulated, decoder: decoder,
                    doors: Dictionary(uniqueKeysWithValues: doors.map { ($0.door, $0) }),
                    desks: Dictionary(uniqueKeysWithValues: desks.map { ($0.desk, $0) })))
        }
    }

    /// The chip `spec` names, opened once and checked to be what it claims.
    mutating func chip(_ spec: String) throws(GPIOError) -> any GPIOChipPort {
        if let open = chips[spec] { return open }
        let chip = try ChipSelection.open(spec, on: board)
        chips[spec] = chip
        return chip
    }

    /// What drives the wire at rest, for the simulated twin: readers idle their data lines
    /// high, contacts closed, nobody at the wired desks. Buttons at rest drive nothing: the
    /// line floats to its pull, as a real open switch leaves it.
    static func restingLevels(doors: [DoorLines], desks: [DeskLines]) -> [Int: Bool] {
        var levels: [Int: Bool] = [:]
        for d in doors {
            if let c = d.contact { levels[c] = !d.contactActiveLow }
            levels[d.d0] = true
            levels[d.d1] = true
        }
        for d in desks { levels[d.line] = d.activeLow }
        return levels
    }

    /// The relays' own re-lock deadlines on the machine's monotonic clock.
    public static let monotonicDeadline: RelayDriver.Deadline = { delay, body in
        DispatchQueue.global().asyncAfter(deadline: .now() + .microseconds(Int(delay.micros)), execute: body)
    }

    /// The board a plan runs on: libgpiod's chips, or a simulated Raspberry Pi 4.
    public static func board(simulated: Bool) -> any GPIOBoard {
        simulated ? SimulatedBoard.raspberryPi4(clock: { SystemTime().monotonicNanos() }) : LibgpiodBoard()
    }

    /// Claims every door's relay line at its locked level; `deadline` schedules each relay's
    /// own re-lock (tests pass a manual one).
    public static func boot(
        _ config: Config, logger: Logger, deadline: @escaping RelayDriver.Deadline = monotonicDeadline,
        board: (any GPIOBoard)? = nil
    ) throws(GPIOError) -> DoorHardware {
        try boot(RelayPlan(config), logger: logger, deadline: deadline, board: board)
    }

    /// Claims every relay line of `plan` at its locked level (before the rest of the config is
    /// read). Every relay is tried even when one fails (a busy line, a missing chip): the
    /// others are locked, then the first failure is thrown. A relay whose polarity is not
    /// stated (real GPIO) is not driven to a guess: its line is held as an input, which leaves
    /// every accepted relay driver off (a fail-secure strike locked).
    public static func boot(
        _ plan: RelayPlan, logger: Logger, deadline: @escaping RelayDriver.Deadline = monotonicDeadline,
        board: (any GPIOBoard)? = nil
    ) throws(GPIOError) -> DoorHardware {
        var hardware = DoorHardware(
            relays: [:], simulatedRelays: [:], board: board ?? Self.board(simulated: plan.simulated), chips: [:])
        var failures: [GPIOError] = []
        for door in plan.relays {
            let id = DoorID(door.id)
            let failSecure = Defaults.failSecure.or(door.failSecure)
            let locked = RelayDriver.lockedLevel(failSecure: failSecure)
            let spec = door.chip ?? plan.defaultChip
            if door.relayActiveLow == nil && !plan.simulated {
                do throws(GPIOError) {
                    hardware.floated[id] = try hardware.chip(spec).float(
                        line: door.relayLine, consumer: "cantine-\(door.id)")
                    logger.critical(
                        "relay polarity not stated: line left undriven (relay off)", metadata: ["door": "\(id)"])
                } catch {
                    logger.critical("relay not claimed", metadata: ["door": "\(id)", "error": "\(error)"])
                    failures.append(error)
                }
                continue
            }
            let line: any OutputLine
            do throws(GPIOError) {
                line = try hardware.chip(spec).output(
                    line: door.relayLine, consumer: "cantine-\(door.id)", activeLow: door.relayActiveLow ?? false,
                    initiallyActive: locked)
            } catch {
                logger.critical("relay not claimed", metadata: ["door": "\(id)", "error": "\(error)"])
                failures.append(error)
                continue
            }
            if let sim = line as? SimulatedOutputLine { hardware.simulatedRelays[id] = sim }
            hardware.relayChips[id] = spec
            hardware.relays[id] = RelayDriver(
                door: id, line: line, failSecure: failSecure, deadline: deadline,
                onError: { logger.critical("relay failure", metadata: ["door": "\(id)", "error": "\($0)"]) })
            logger.info(
                "relay driven locked", metadata: ["door": "\(id)", "gpio": plan.simulated ? "simulated" : "libgpiod"])
        }
        if let first = failures.first { throw first }
        return hardware
    }

    /// Drives every relay locked (shutdown).
    public func lockAll() { relays.values.forEach { $0.lockNow() } }

    /// Requests the relays on chip `spec` again, locked (the chip went away and came back).
    public func reclaimRelays(on spec: String) {
        for (id, chip) in relayChips where chip == spec { relays[id]?.reclaim() }
    }
}

/// Routes a chip's signals: door signals to their `DoorInput`, wired desk levels to the
/// engine as `desk.reported` (the same event as a node's report, without seq or uptime).
public final class InputRouter: Sendable {
    let doors: [DoorID: DoorInput]
    let engine: Engine

    public init(runtime: Site) {
        doors = Dictionary(
            uniqueKeysWithValues: runtime.settings.layout.doors.map {
                ($0.id, DoorInput(door: $0.id, runtime: runtime))
            })
        engine = runtime.engine
    }

    /// Carries out a signal (called on the chip's reader thread).
    public func handle(_ signal: InputSignal) {
        switch signal {
        case .door(let s): doors[s.door]?.handle(s)
        case .desk(let s): desk(s)
        }
    }

    /// A wired sensor's debounced level: journaled, then the core's hysteresis decides.
    @discardableResult
    public func desk(_ signal: DeskSignal) -> Engine.Applied {
        engine.submit(.deskReported(DeskReport(desk: signal.desk, occupied: signal.present)), source: "sensor:gpio")
    }
}

/// Metrics of the doors' inputs (swift-metrics; exported once a backend is bootstrapped).
struct DoorMetrics: Sendable {
    let decision = Metrics.Timer(label: "cantine_access_decision_seconds")
    let noise = Counter(label: "cantine_wiegand_noise_total")
    let keys = Counter(label: "cantine_keypad_keys_total")
}

/// The input side of one door: frames, keys, exit button and contact become journaled events.
public final class DoorInput: Sendable {
    public let door: DoorID
    let engine: Engine
    let tokenizer: CredentialTokenizer
    let networkTokenizer: CredentialTokenizer?
    let thirtySevenBit: WiegandFormat
    let metrics = DoorMetrics()
    let site: String
    /// The PIN being typed and the badge it will go with.
    let keypad = Mutex<Keypad>(Keypad())
    /// The card of the frame waiting for its silence, tokenized meanwhile (`prepare`).
    let prepared = Mutex<Prepared?>(nil)

    struct Prepared {
        var frame: WiegandFrame
        var token: CredentialToken
        var network: CredentialToken?
    }

    struct Keypad {
        var entry = PINEntry()
        var badge: (token: CredentialToken, nanos: UInt64)?
    }

    public init(door: DoorID, runtime: Site) {
        self.door = door
        engine = runtime.engine
        tokenizer = runtime.tokenizer
        networkTokenizer = runtime.networkTokenizer
        site = runtime.settings.site.rawValue
        thirtySevenBit = runtime.settings.wiegand37[door] ?? .h10304
    }

    /// Carries out what the door's inputs said (called on the reader thread).
    public func handle(_ signal: DoorSignal) {
        switch signal {
        case .frame(_, let f, let nanos): frame(f, atNanos: nanos)
        case .noise: metrics.noise.increment()
        case .contact(_, let open, _): contact(open: open)
        case .exitButton: exitButton()
        case .pending(_, let f): prepare(f)
        }
    }

    /// A frame waiting for its silence: if it reads as a card, its tokens are computed now,
    /// while the door waits, and `frame` uses them if that frame is the one that ends. Nothing
    /// is decided here. The HMAC is the costliest step before the relay (~25 µs with cold
    /// caches, 1 µs warm): done in the silence, it is off the member's path.
    public func prepare(_ frame: WiegandFrame) {
        guard case .card(let read) = WiegandInput.classify(frame, thirtySevenBit: thirtySevenBit) else { return }
        let next = Prepared(
            frame: frame, token: tokenizer.token(for: read), network: networkTokenizer?.token(for: read))
        prepared.withLock { $0 = next }
    }

    /// A complete Wiegand frame from the reader (`atNanos`: its last edge, monotonic): a card
    /// is tokenized and decided; a keypad key goes to the PIN entry; anything else is denied
    /// with its raw bits. The time from frame to relay driven is `cantine_access_decision_seconds`.
    @discardableResult
    public func frame(_ frame: WiegandFrame, atNanos nanos: UInt64 = 0) -> Engine.Applied? {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { metrics.decision.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
        let badge: BadgePresented
        var card: CardRead?
        switch WiegandInput.classify(frame, thirtySevenBit: thirtySevenBit) {
        case .card(let read):
            card = read
            let ready = prepared.withLock { $0.take() }.flatMap { $0.frame == frame ? $0 : nil }
            let (token, network) =
                ready.map { ($0.token, $0.network) } ?? (tokenizer.token(for: read), networkTokenizer?.token(for: read))
            keypad.withLock { $0.badge = (token, nanos) }
            badge = BadgePresented(door: door, token: token, format: read.format, network: network)
        case .invalid(let error):
            // Never a badge number in the journal: the raw bits of a frame that decoded to none.
            let raw = "\(frame.count) bits: 0x\(String(frame.bits, radix: 16))"
            let fault: FrameFault = if case .unknownLength = error { .unknownLength } else { .parity }
            badge = BadgePresented(door: door, token: nil, format: nil, unreadable: "\(error) (\(raw))", fault: fault)
        case .key(let key):
            metrics.keys.increment()
            return pressed(key, atNanos: nanos)
        }
        let (door, site) = (self.door, self.site)
        return engine.submit(.badgePresented(badge), source: EventSource("door:\(door)")) { applied in
            // A card nobody holds: kept (outside the journal) for `badges enroll --reader/--last-denied`.
            guard let card, applied.entry.access?.reason == .unknownCard else { return nil }
            let read = UnknownRead(
                seq: applied.entry.seq, atUs: applied.entry.wall.micros, door: door.rawValue,
                format: card.format.rawValue, facility: Int64(card.facility), cardNumber: Int64(card.card))
            return RecordWrite.unknownRead(read, site: site)
        }
    }

    /// A key on the reader's keypad: `#` ends a PIN, which is journaled as a digest bound to
    /// the badge read just before (a PIN with no badge is dropped).
    func pressed(_ key: KeypadKey, atNanos nanos: UInt64) -> Engine.Applied? {
        let typed = keypad.withLock { pad -> (PINEntry.PIN, CredentialToken)? in
            guard let pin = pad.entry.press(key, atNanos: nanos), let badge = pad.badge else { return nil }
            pad.badge = nil
            return (pin, badge.token)
        }
        guard let (pin, token) = typed else { return nil }
        let digest = tokenizer.pinDigest(pin, badge: token)
        return engine.submit(.pinEntered(PINEntered(door: door, digest: digest)), source: EventSource("door:\(door)"))
    }

    /// The request-to-exit button was pressed.
    @discardableResult
    public func exitButton() -> Engine.Applied {
        engine.submit(.exitRequested(DoorRef(door: door)), source: EventSource("door:\(door)"))
    }

    /// The door contact changed.
    @discardableResult
    public func contact(open: Bool) -> Engine.Applied {
        engine.submit(.doorContact(DoorContact(door: door, open: open)), source: EventSource("door:\(door)"))
    }
}
