// `[access]`: how the doors decide beyond a valid plan — opening hours per plan, public hours,
// the PIN after hours, the booking margin, the denied-badge alarm, remote unlocks.

import CantineCore

extension Config {
    /// `[access]` as written (see `AccessRules`).
    public struct AccessSection: Codable, Equatable, Sendable {
        /// Opening hours by plan kind (`resident = "always"`, `day = "mon-sat 08:00-20:00"`).
        public var hours: [String: String]?
        public var publicHours: String?
        public var pinAfterHours: Bool?
        public var pinTimeoutS: Seconds?
        public var bookingMarginMin: Int?
        public var deniedAlarmCount: Int?
        public var deniedAlarmWindowS: Seconds?
        /// A remote unlock request older than this is refused, never carried out late.
        public var remoteUnlockMaxAgeS: Seconds?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case hours, publicHours = "public_hours", pinAfterHours = "pin_after_hours", pinTimeoutS = "pin_timeout_s"
            case bookingMarginMin = "booking_margin_min", deniedAlarmCount = "denied_alarm_count"
            case deniedAlarmWindowS = "denied_alarm_window_s", remoteUnlockMaxAgeS = "remote_unlock_max_age_s"
        }
    }
}

extension Config.AccessSection {
    /// The rules; every hours text was parsed by `validate`, so none fails here.
    var rules: AccessRules {
        func hours(_ text: String) -> WeeklyHours { (try? WeeklyHours(parsing: text)) ?? .always }
        var planHours: [PlanKind: WeeklyHours] = [:]
        for (kind, setting) in Defaults.planHours { planHours[kind] = hours(setting.or(self.hours?[kind.rawValue])) }
        return AccessRules(
            planHours: planHours, publicHours: hours(Defaults.publicHours.or(publicHours)),
            pinAfterHours: Defaults.pinAfterHours.or(pinAfterHours),
            pinTimeout: Span(seconds: Defaults.pinTimeout.or(pinTimeoutS?.value)),
            bookingMargin: .minutes(Int64(Defaults.bookingMargin.or(bookingMarginMin))),
            denialAlarmCount: Defaults.deniedAlarmCount.or(deniedAlarmCount),
            denialWindow: Span(seconds: Defaults.deniedAlarmWindow.or(deniedAlarmWindowS?.value)))
    }

    /// The age beyond which a remote unlock request is refused.
    var remoteUnlockMaxAge: Span { Span(seconds: Defaults.remoteUnlockMaxAge.or(remoteUnlockMaxAgeS?.value)) }

    func validate(_ check: Checks) throws(ConfigError) {
        for (kind, text) in (hours ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard PlanKind(rawValue: kind) != nil else {
                let kinds = PlanKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw check.fail("access.hours.\(kind)", "no plan kind '\(kind)': expected one of \(kinds)")
            }
            do { _ = try WeeklyHours(parsing: text) } catch { throw check.fail("access.hours.\(kind)", error.message) }
        }
        if let text = publicHours {
            do { _ = try WeeklyHours(parsing: text) } catch { throw check.fail("access.public_hours", error.message) }
        }
        try Defaults.pinTimeout.check(pinTimeoutS?.value, file: check.file)
        try Defaults.bookingMargin.check(bookingMarginMin, file: check.file)
        try Defaults.deniedAlarmCount.check(deniedAlarmCount, file: check.file)
        try Defaults.deniedAlarmWindow.check(deniedAlarmWindowS?.value, file: check.file)
        try Defaults.remoteUnlockMaxAge.check(remoteUnlockMaxAgeS?.value, file: check.file)
    }
}
