// `[gpio]`: real lines (libgpiod) or the simulated twin, the chip, and the timings of the inputs.

import CantineCore

extension Config {
    /// `[gpio]` as written.
    public struct GPIOSection: Codable, Equatable, Sendable {
        /// `real` (libgpiod) or `simulated`.
        public var mode: String?
        public var chip: String?
        /// Silence that ends a Wiegand frame.
        public var gapTimeoutMs: Int?
        /// How long a wired desk sensor's level must hold before it counts (switch bounce).
        public var deskSettleMs: Int?
        /// The pinout file giving every door's and wired desk's lines (relative to this file).
        public var pinout: String?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case mode, chip, gapTimeoutMs = "gap_timeout_ms", deskSettleMs = "desk_settle_ms", pinout
        }
    }
}

extension Settings {
    /// The GPIO edge, resolved.
    public struct GPIO: Equatable, Sendable {
        /// The simulated twin rather than libgpiod.
        public var simulated: Bool
        /// The chip lines are on unless a door or desk names another: by default the 40-pin
        /// header's, found by its label (`ChipSpec`).
        public var chip: String
        /// Silence that ends a Wiegand frame.
        public var gapTimeoutNanos: UInt64
        /// How long a wired desk sensor's level must hold before it counts.
        public var deskSettleNanos: UInt64
    }
}

extension Config.GPIOSection {
    /// Whether the lines are the simulated twin's.
    public var simulated: Bool { Defaults.gpioMode.or(mode) == "simulated" }
    /// The chip of lines that name none.
    public var defaultChip: String { chip ?? ChipSpec.header }

    var resolved: Settings.GPIO {
        Settings.GPIO(
            simulated: simulated, chip: defaultChip,
            gapTimeoutNanos: UInt64(Defaults.gapTimeout.or(gapTimeoutMs)) * 1_000_000,
            deskSettleNanos: UInt64(Defaults.deskSettle.or(deskSettleMs)) * 1_000_000)
    }

    func validate(_ check: Checks) throws(ConfigError) {
        if let mode, !["real", "simulated"].contains(mode) {
            throw check.fail("gpio.mode", "expected \"real\" or \"simulated\"")
        }
        try Defaults.gapTimeout.check(gapTimeoutMs, file: check.file)
        try Defaults.deskSettle.check(deskSettleMs, file: check.file)
    }
}
