// `[reconcile]`: how bookings are reconciled with doors and sensors.

import CantineCore

extension Config {
    /// `[reconcile]` as written (see `ReconcileRules`).
    public struct ReconcileSection: Codable, Equatable, Sendable {
        /// Local `HH:MM` by which a day, morning, afternoon or multi-day desk booking is checked in.
        public var checkInDay: String?
        public var checkInMorning: String?
        public var checkInAfternoon: String?
        public var checkInMultiDay: String?
        /// Minutes after a room slot starts by which it is checked in.
        public var roomCheckInMin: Int?
        /// Minutes after any other booking starts before an absent booker is a no-show.
        public var noShowGraceMin: Int?
        /// Occupancy changes within `flapping_window_min` that make a sensor flapping.
        public var flappingChanges: Int?
        public var flappingWindowMin: Int?
        /// Minutes a room with a sensor may stay occupied past its booking (or with none).
        public var overstayGraceMin: Int?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case checkInDay = "check_in_day", checkInMorning = "check_in_morning"
            case checkInAfternoon = "check_in_afternoon", checkInMultiDay = "check_in_multi_day"
            case roomCheckInMin = "room_check_in_min"
            case noShowGraceMin = "no_show_grace_min", flappingChanges = "flapping_changes"
            case flappingWindowMin = "flapping_window_min", overstayGraceMin = "overstay_grace_min"
        }
    }
}

extension Config.ReconcileSection {
    var rules: ReconcileRules {
        var rules = ReconcileRules()
        for (setting, given, rule, _) in times {
            rules[keyPath: rule] = Self.minutes(setting.or(given)) ?? rules[keyPath: rule]
        }
        rules.roomCheckIn = .minutes(Int64(Defaults.roomCheckIn.or(roomCheckInMin)))
        rules.noShowGrace = .minutes(Int64(Defaults.noShowGrace.or(noShowGraceMin)))
        rules.flappingChanges = Defaults.flappingChanges.or(flappingChanges)
        rules.flappingWindow = .minutes(Int64(Defaults.flappingWindow.or(flappingWindowMin)))
        rules.overstayGrace = .minutes(Int64(Defaults.overstayGrace.or(overstayGraceMin)))
        return rules
    }

    /// The check-in times: their setting, the value given, the rule they set, and the hours
    /// (local, in minutes) they must fall within: their period.
    private var times: [(Setting<String>, String?, WritableKeyPath<ReconcileRules, Int>, ClosedRange<Int>)] {
        let (open, midday, close) = (SiteCalendar.dayStart * 60, SiteCalendar.midday * 60, SiteCalendar.dayEnd * 60)
        return [
            (Defaults.dayCheckIn, checkInDay, \.dayCheckIn, open...close),
            (Defaults.morningCheckIn, checkInMorning, \.morningCheckIn, open...midday),
            (Defaults.afternoonCheckIn, checkInAfternoon, \.afternoonCheckIn, midday...close),
            (Defaults.multiDayCheckIn, checkInMultiDay, \.multiDayCheckIn, open...close),
        ]
    }

    /// Minutes after midnight of `HH:MM`, nil when it is not one.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
            (0..<24).contains(h), (0..<60).contains(m)
        else { return nil }
        return h * 60 + m
    }

    func validate(_ check: Checks) throws(ConfigError) {
        func hhmm(_ minute: Int) -> String {
            (minute < 600 ? "0" : "") + "\(minute / 60):" + (minute % 60 < 10 ? "0" : "") + "\(minute % 60)"
        }
        for (setting, given, _, within) in times {
            guard let given else { continue }
            guard let minute = Self.minutes(given), within.contains(minute) else {
                throw check.fail(
                    setting.key,
                    "expected a time from \(hhmm(within.lowerBound)) to \(hhmm(within.upperBound)) as \"HH:MM\" (\(setting.value ?? "") by default)"
                )
            }
        }
        try Defaults.roomCheckIn.check(roomCheckInMin, file: check.file)
        try Defaults.noShowGrace.check(noShowGraceMin, file: check.file)
        try Defaults.flappingChanges.check(flappingChanges, file: check.file)
        try Defaults.flappingWindow.check(flappingWindowMin, file: check.file)
        try Defaults.overstayGrace.check(overstayGraceMin, file: check.file)
    }
}
