// The LD2410's configuration at boot. At its factory setting the radar sees people ~6 m away
// (8 gates of 0.75 m), so the next desk would count as present. The node opens the radar's
// configuration mode (0x00FF), reads its settings (0x0061) and, only where they differ (the
// radar keeps them across power cuts: rewriting them at every boot, each watchdog reboot
// included, would wear its storage), sets the farthest gate for moving and still targets to
// the provisioned `radar_max_gate` and the no-one duration (0x0060), and closes configuration
// mode (0x00FE), each step waiting for its ACK (the command word with 0x0100 set, status 0),
// asked again when none comes. Configuration mode is always closed once it may have opened
// (the radar reports nothing while in it), and target frames coming again after the close
// stand for its ACK. It starts a second after boot, once the radar is up. Frames per the
// HLK-LD2410 serial protocol V1.02, §2.2. Pure, no heap: bytes out through a ByteSink, ACKs
// and target frames in, a wrapping millisecond tick.

import CantineProtocol

/// Configures the LD2410 once, at boot.
public struct RadarSetup {
    public enum Step: Equatable {
        case enable, read, parameters, end
        /// Configured.
        case done
        /// Not configured: no ACK after `attempts` tries, or a step refused. The radar keeps
        /// what it had (its factory range unless configured before).
        case failed
    }

    /// How long an ACK may take before the command is sent again.
    public static let ackTimeoutMs: UInt32 = 1_000
    /// Tries per command.
    public static let attempts: UInt32 = 3
    /// From the first poll to the first command: the radar boots with the node.
    public static let startDelayMs: UInt32 = 1_000
    /// Seconds the radar keeps reporting someone after it last saw them (its factory 5 s);
    /// the node's own hysteresis does the rest.
    public static let holdS: UInt8 = 5

    public private(set) var step: Step = .enable
    /// ACKs that did not come in time.
    public private(set) var missedAcks: UInt32 = 0
    /// The settings were written (not already as provisioned).
    public private(set) var wrote = false
    let maxGate: UInt8
    var waiting = false
    var startAt: UInt32?
    var sentAt: UInt32 = 0
    var tries: UInt32 = 0
    /// A step went wrong after configuration mode was opened: it is still closed, then `failed`.
    var spoiled = false

    /// - Parameter maxGate: the farthest gate (2–8, 0.75 m each) for moving and still targets.
    public init(maxGate: UInt8) {
        self.maxGate = maxGate
    }

    /// Configured or given up.
    public var finished: Bool { step == .done || step == .failed }

    /// Sends the next command when due, or again when its ACK is late.
    public mutating func poll<Sink: ByteSink>(at now: UInt32, radar: inout Sink) {
        guard !finished else { return }
        guard let startAt else {
            startAt = now
            return
        }
        guard now &- startAt >= Self.startDelayMs else { return }
        if waiting {
            guard now &- sentAt >= Self.ackTimeoutMs else { return }
            waiting = false
            missedAcks &+= 1
            if tries >= Self.attempts {
                giveUp()
                guard !finished else { return }
            }
        }
        send(at: now, radar: &radar)
    }

    /// An ACK frame from the radar.
    public mutating func ack(command: UInt16, status: UInt16) {
        guard waiting, command == Self.command(step) | 0x0100 else { return }
        waiting = false
        tries = 0
        if status != 0 {
            giveUp(refused: true)
            return
        }
        switch step {
        case .enable: step = .read
        case .read: step = .parameters  // acknowledged without its parameters: written anyway
        case .parameters: step = .end
        case .end: step = spoiled ? .failed : .done
        case .done, .failed: break
        }
    }

    /// The radar's settings, read: written only if they differ from what is provisioned.
    public mutating func read(_ parameters: LD2410Parameters) {
        guard step == .read, waiting else { return }
        waiting = false
        tries = 0
        let set =
            parameters.movingGate == maxGate && parameters.stillGate == maxGate
            && parameters.noOneSeconds == UInt16(Self.holdS)
        step = set ? .end : .parameters
    }

    /// A target frame from the radar: while the close of configuration mode waits for its
    /// ACK, the radar reporting again says it is closed (its ACK was lost).
    public mutating func sawTarget() {
        guard step == .end, waiting else { return }
        waiting = false
        step = spoiled ? .failed : .done
    }

    /// A step failed. Unless the radar refused to open configuration mode, it may be open
    /// (only its ACK lost): it is closed all the same, and the setup ends `failed`.
    mutating func giveUp(refused: Bool = false) {
        tries = 0
        switch step {
        case .enable where refused: step = .failed
        case .read: step = .parameters  // not read: written anyway
        case .enable, .parameters:
            spoiled = true
            step = .end
        case .end, .done, .failed: step = .failed
        }
    }

    static func command(_ step: Step) -> UInt16 {
        switch step {
        case .enable: 0x00FF
        case .read: 0x0061
        case .parameters: 0x0060
        case .end: 0x00FE
        case .done, .failed: 0
        }
    }

    mutating func send<Sink: ByteSink>(at now: UInt32, radar: inout Sink) {
        tries += 1
        waiting = true
        sentAt = now
        let word = Self.command(step)
        let length: UInt8 =
            switch step {
            case .enable: 4
            case .parameters: 20
            default: 2
            }
        Self.put(0xFD, 0xFC, 0xFB, 0xFA, to: &radar)
        radar.put(length)
        radar.put(0)
        radar.put(UInt8(word & 0xFF))
        radar.put(UInt8(word >> 8))
        switch step {
        case .enable:
            radar.put(0x01)  // value 0x0001
            radar.put(0x00)
        case .parameters:
            wrote = true
            // Parameter words 0 (farthest moving gate), 1 (farthest still gate), 2 (no-one
            // duration, s), each with a 32-bit little-endian value.
            Self.put(0, 0, maxGate, 0, to: &radar)
            Self.put(0, 0, 1, 0, to: &radar)
            Self.put(maxGate, 0, 0, 0, to: &radar)
            Self.put(2, 0, Self.holdS, 0, to: &radar)
            radar.put(0)
            radar.put(0)
        default: break
        }
        Self.put(0x04, 0x03, 0x02, 0x01, to: &radar)
    }

    /// Four bytes in order (no array: the node has no heap).
    static func put<Sink: ByteSink>(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, to sink: inout Sink) {
        sink.put(a)
        sink.put(b)
        sink.put(c)
        sink.put(d)
    }
}
