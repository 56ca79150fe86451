// `[display]`: the entrance blackboard (`/display`).

import CantineCore

extension Config {
    /// `[display]` as written.
    public struct DisplaySection: Codable, Equatable, Sendable {
        /// Greet members by first name when they badge in.
        public var welcome: Bool?
        /// Minutes a session stays "just started: come in" after its start.
        public var lateStartMin: Int?
        /// This Pi drives the entrance TV over HDMI-CEC.
        public var cec: Bool?
        public var cecDevice: String?
        public var cecMarginMin: Int?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case welcome, lateStartMin = "late_start_min", cec, cecDevice = "cec_device", cecMarginMin =
                "cec_margin_min"
        }
    }
}

extension Settings {
    /// The blackboard, resolved.
    public struct Display: Equatable, Sendable {
        /// Members are greeted by first name when they badge in.
        public var welcome: Bool
        /// How long a session stays "just started: come in".
        public var lateStart: Span
        /// The CEC adapter to put the TV in standby through when closed (nil: not this Pi's TV).
        public var cecDevice: String?
        /// The TV wakes this long before opening and sleeps this long after closing.
        public var cecMargin: Span
    }
}

extension Config.DisplaySection {
    var resolved: Settings.Display {
        Settings.Display(
            welcome: Defaults.welcome.or(welcome), lateStart: .minutes(Int64(Defaults.lateStart.or(lateStartMin))),
            cecDevice: Defaults.cec.or(cec) ? Defaults.cecDevice.or(cecDevice) : nil,
            cecMargin: .minutes(Int64(Defaults.cecMargin.or(cecMarginMin))))
    }

    func validate(_ check: Checks) throws(ConfigError) {
        try Defaults.lateStart.check(lateStartMin, file: check.file)
        try Defaults.cecMargin.check(cecMarginMin, file: check.file)
        if let device = cecDevice, !device.hasPrefix("/dev/") {
            throw check.fail("display.cec_device", "expected a device path such as \"/dev/cec0\", got \"\(device)\"")
        }
    }
}
