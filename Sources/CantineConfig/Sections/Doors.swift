// `[[doors]]`: each door's reader, strike relay, contact and exit button — what the core
// decides with, and the lines the GPIO edge claims.

import CantineCore
import CantineProtocol

extension Config {
    /// A `[[doors]]` entry as written (a pinout file may have filled in its lines).
    public struct DoorSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        public var direction: String?
        public var chip: String?
        public var d0Line: Int
        public var d1Line: Int
        public var relayLine: Int
        public var relayActiveLow: Bool?
        public var contactLine: Int?
        public var contactActiveLow: Bool?
        public var exitButtonLine: Int?
        public var exitButtonActiveLow: Bool?
        public var pulseS: Seconds?
        public var failSecure: Bool?
        public var wiegand37: String?
        public var heldOpenS: Seconds?
        public var relockOnClose: Bool?
        /// Pulls requested on D0/D1, the contact and the exit button (`pull-up`, `pull-down`,
        /// `disabled`); by default up for lines that rest high, down for lines that rest low.
        public var dataBias: String?
        public var contactBias: String?
        public var exitButtonBias: String?
        enum CodingKeys: String, CodingKey {
            case dataBias = "data_bias", contactBias = "contact_bias", exitButtonBias = "exit_button_bias"
            case id, name, direction, chip, d0Line = "d0_line", d1Line = "d1_line", relayLine = "relay_line"
            case relayActiveLow = "relay_active_low", contactLine = "contact_line", contactActiveLow =
                "contact_active_low"
            case exitButtonLine = "exit_button_line", exitButtonActiveLow = "exit_button_active_low"
            case pulseS = "pulse_s", failSecure = "fail_secure", wiegand37 = "wiegand_37"
            case heldOpenS = "held_open_s", relockOnClose = "relock_on_close"
        }
    }
}

extension Settings {
    /// A door's lines, resolved: what the GPIO edge claims and how.
    public struct DoorWiring: Equatable, Sendable {
        public var door: DoorID
        public var chip: String
        public var d0: Int
        public var d1: Int
        public var relay: Int
        /// The relay's polarity; nil when not stated (real GPIO refuses it, the simulated twin
        /// takes active high).
        public var relayActiveLow: Bool?
        public var failSecure: Bool
        public var contact: Int?
        public var contactActiveLow: Bool
        public var exitButton: Int?
        public var exitButtonActiveLow: Bool
        public var dataBias: Bias
        public var contactBias: Bias
        public var exitButtonBias: Bias
        /// How 37-bit frames at this reader are read, when it sends them.
        public var wiegand37: WiegandFormat?
    }
}

extension Config.DoorSection {
    /// The door as the core sees it.
    var door: Door {
        Door(
            id: DoorID(id), name: name,
            direction: DoorDirection(rawValue: Defaults.direction.or(direction)) ?? .entry,
            failSecure: Defaults.failSecure.or(failSecure), pulse: Span(seconds: Defaults.pulse.or(pulseS?.value)),
            heldOpenAfter: Span(seconds: Defaults.heldOpen.or(heldOpenS?.value)),
            relockOnClose: Defaults.relockOnClose.or(relockOnClose))
    }

    func wiring(defaultChip: String) -> Settings.DoorWiring {
        let contactLow = Defaults.contactActiveLow.or(contactActiveLow)
        let exitLow = Defaults.exitButtonActiveLow.or(exitButtonActiveLow)
        return Settings.DoorWiring(
            door: DoorID(id), chip: chip ?? defaultChip, d0: d0Line, d1: d1Line, relay: relayLine,
            relayActiveLow: relayActiveLow, failSecure: Defaults.failSecure.or(failSecure), contact: contactLine,
            contactActiveLow: contactLow, exitButton: exitButtonLine, exitButtonActiveLow: exitLow,
            dataBias: dataBias.flatMap(Bias.init(rawValue:)) ?? .pullUp,
            contactBias: contactBias.flatMap(Bias.init(rawValue:)) ?? .resting(activeLow: contactLow),
            exitButtonBias: exitButtonBias.flatMap(Bias.init(rawValue:)) ?? .resting(activeLow: exitLow),
            wiegand37: wiegand37.flatMap(WiegandFormat.init(rawValue:)))
    }

    /// Checks the entry `doors[index]` on its own (its lines are checked against the others'
    /// by `Config.validate`).
    func validate(_ check: Checks, index: Int, gpio: Config.GPIOSection) throws(ConfigError) {
        let k = "doors[\(index)]"
        try check.slug("\(k).id", id)
        if let dir = direction, DoorDirection(rawValue: dir) == nil {
            throw check.fail("\(k).direction", "expected \"entry\" or \"exit\"")
        }
        let cap = Int(Door.maxPulse.seconds)
        if let p = pulseS?.value, !(Defaults.pulse.range ?? 0...0).contains(p) {
            throw check.fail(
                "\(k).pulse_s",
                "expected 0.1 to \(cap) seconds: an unlock is capped at \(cap) s (use relock_on_close or a hold-open schedule for longer)"
            )
        }
        try Defaults.heldOpen.check(heldOpenS?.value, at: "\(k).held_open_s", file: check.file)
        if let w = wiegand37, ![WiegandFormat.h10302, .h10304].map(\.rawValue).contains(w) {
            throw check.fail("\(k).wiegand_37", "expected \"h10302\" or \"h10304\"")
        }
        if !gpio.simulated && gpio.pinout == nil && relayActiveLow == nil {
            throw check.fail(
                "\(k).relay_active_low",
                "state the relay's polarity: true when its input switches it on low (most optocoupled relay modules), false when high; then check with the daemon stopped that the strike has no voltage"
            )
        }
        try check.bias("\(k).data_bias", dataBias, activeLow: true)
        try check.bias(
            "\(k).contact_bias", contactBias, activeLow: Defaults.contactActiveLow.or(contactActiveLow))
        try check.bias(
            "\(k).exit_button_bias", exitButtonBias, activeLow: Defaults.exitButtonActiveLow.or(exitButtonActiveLow))
    }
}
