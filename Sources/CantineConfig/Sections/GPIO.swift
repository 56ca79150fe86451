// `[gpio]`: real lines (libgpiod) or the simulated twin, the chip, and the timings of the inputs.

import CantineCore
import CantineProtocol

extension Config {
    /// `[gpio]` as written.
    public struct GPIOSection: Codable, Equatable, Sendable {
        /// `real` (libgpiod) or `simulated`.
        public var mode: String?
        public var chip: String?
        /// `adaptive` (each frame's rhythm) or `fixed` (`gap_timeout_ms`).
        public var frameEnd: String?
        /// Silence that ends a Wiegand frame, when fixed.
        public var gapTimeoutMs: Int?
        /// How long a wired desk sensor's level must hold before it counts (switch bounce).
        public var deskSettleMs: Int?
        /// The pinout file giving every door's and wired desk's lines (relative to this file).
        public var pinout: String?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case mode, chip, frameEnd = "frame_end", gapTimeoutMs = "gap_timeout_ms", deskSettleMs = "desk_settle_ms",
                pinout
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
        /// When a Wiegand frame is over.
        public var frameEnd: FrameEnd
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
            frameEnd: resolvedFrameEnd,
            deskSettleNanos: UInt64(Defaults.deskSettle.or(deskSettleMs)) * 1_000_000)
    }

    /// `frame_end` as written; a `gap_timeout_ms` given alone keeps the fixed gap it set.
    var resolvedFrameEnd: FrameEnd {
        let fixed = FrameEnd.fixed(gapNanos: UInt64(Defaults.gapTimeout.or(gapTimeoutMs)) * 1_000_000)
        switch frameEnd {
        case "fixed": return fixed
        case nil where gapTimeoutMs != nil: return fixed
        default: return .adaptive
        }
    }

    func validate(_ check: Checks) throws(ConfigError) {
        if let mode, !["real", "simulated"].contains(mode) {
            throw check.fail("gpio.mode", "expected \"real\" or \"simulated\"")
        }
        if let frameEnd, !["adaptive", "fixed"].contains(frameEnd) {
            throw check.fail("gpio.frame_end", "expected \"adaptive\" or \"fixed\"")
        }
        if frameEnd == "adaptive", gapTimeoutMs != nil {
            throw check.fail(
                "gpio.gap_timeout_ms",
                "applies to frame_end = \"fixed\" only: remove it, or set frame_end = \"fixed\"")
        }
        try Defaults.gapTimeout.check(gapTimeoutMs, file: check.file)
        try Defaults.deskSettle.check(deskSettleMs, file: check.file)
    }
}
