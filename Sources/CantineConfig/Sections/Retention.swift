// `[retention]`: how long each kind of personal data is kept (docs/privacy.md), enforced daily.

extension Config {
    /// `[retention]` as written, in days.
    public struct RetentionSection: Codable, Equatable, Sendable {
        /// Access log (who badged where, when).
        public var accessLogDays: Int?
        /// The journal's per-event detail (presence per person, desk reports), then compacted
        /// into the base snapshot and counted per desk and day.
        public var journalDays: Int?
        /// Booking records, after their end.
        public var bookingsDays: Int?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case accessLogDays = "access_log_days", journalDays = "journal_days", bookingsDays = "bookings_days"
        }
    }
}

extension Settings {
    /// Days kept, by kind of data.
    public struct Retention: Equatable, Sendable {
        public var accessLogDays: Int
        public var journalDays: Int
        public var bookingsDays: Int
    }
}

extension Config.RetentionSection {
    var resolved: Settings.Retention {
        Settings.Retention(
            accessLogDays: Defaults.accessLogDays.or(accessLogDays), journalDays: Defaults.journalDays.or(journalDays),
            bookingsDays: Defaults.bookingsDays.or(bookingsDays))
    }

    func validate(_ check: Checks) throws(ConfigError) {
        try Defaults.accessLogDays.check(accessLogDays, file: check.file)
        try Defaults.journalDays.check(journalDays, file: check.file)
        try Defaults.bookingsDays.check(bookingsDays, file: check.file)
    }
}
