// `[sensors]`: how desk sensor observations become desk states, and the flood limit per desk.

import CantineCore

extension Config {
    /// `[sensors]` as written (see `SensorRules`).
    public struct SensorsSection: Codable, Equatable, Sendable {
        public var occupiedAfterS: Seconds?
        public var vacantAfterS: Seconds?
        public var silentAfterS: Seconds?
        public var maxReportAgeS: Seconds?
        public var presenceHours: Seconds?
        /// Reports per second a desk may send on average (0: no limit), and its burst.
        public var maxReportsPerS: Seconds?
        public var burst: Int?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case occupiedAfterS = "occupied_after_s", vacantAfterS = "vacant_after_s", silentAfterS = "silent_after_s"
            case maxReportAgeS = "max_report_age_s", presenceHours = "presence_hours"
            case maxReportsPerS = "max_reports_per_s", burst
        }
    }
}

extension Settings {
    /// How many reports a desk may send before it is flooding.
    public struct SensorLimits: Equatable, Sendable {
        /// On average, per second (0: no limit).
        public var perSecond: Double
        public var burst: Int
    }
}

extension Config.SensorsSection {
    var rules: SensorRules {
        var rules = SensorRules()
        rules.occupiedAfter = Span(seconds: Defaults.occupiedAfter.or(occupiedAfterS?.value))
        rules.vacantAfter = Span(seconds: Defaults.vacantAfter.or(vacantAfterS?.value))
        rules.silentAfter = Span(seconds: Defaults.silentAfter.or(silentAfterS?.value))
        rules.maxReportAge = Span(seconds: Defaults.maxReportAge.or(maxReportAgeS?.value))
        rules.presenceTTL = Span(seconds: Defaults.presenceHours.or(presenceHours?.value) * 3600)
        return rules
    }

    var limits: Settings.SensorLimits {
        Settings.SensorLimits(
            perSecond: Defaults.maxReportsPerSecond.or(maxReportsPerS?.value), burst: Defaults.burst.or(burst))
    }

    func validate(_ check: Checks) throws(ConfigError) {
        try Defaults.occupiedAfter.check(occupiedAfterS?.value, file: check.file)
        try Defaults.vacantAfter.check(vacantAfterS?.value, file: check.file)
        try Defaults.silentAfter.check(silentAfterS?.value, file: check.file)
        try Defaults.maxReportAge.check(maxReportAgeS?.value, file: check.file)
        try Defaults.presenceHours.check(presenceHours?.value, file: check.file)
        try Defaults.maxReportsPerSecond.check(maxReportsPerS?.value, file: check.file)
        try Defaults.burst.check(burst, file: check.file)
    }
}
