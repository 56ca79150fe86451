// `[display]`: the entrance blackboard (`/display`).

import CantineCore

extension Config {
    /// `[display]` as written.
    public struct DisplaySection: Codable, Equatable, Sendable {
        /// Greet members by first name when they badge in.
        public var welcome: Bool?
        /// Minutes a session stays "just started: come in" after its start.
        public var lateStartMin: Int?
        public init() {}
        enum CodingKeys: String, CodingKey { case welcome, lateStartMin = "late_start_min" }
    }
}

extension Settings {
    /// The blackboard, resolved.
    public struct Display: Equatable, Sendable {
        /// Members are greeted by first name when they badge in.
        public var welcome: Bool
        /// How long a session stays "just started: come in".
        public var lateStart: Span
    }
}

extension Config.DisplaySection {
    var resolved: Settings.Display {
        Settings.Display(
            welcome: Defaults.welcome.or(welcome), lateStart: .minutes(Int64(Defaults.lateStart.or(lateStartMin))))
    }

    func validate(_ check: Checks) throws(ConfigError) {
        try Defaults.lateStart.check(lateStartMin, file: check.file)
    }
}
