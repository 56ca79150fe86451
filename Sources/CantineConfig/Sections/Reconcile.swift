// `[reconcile]`: how bookings are reconciled with doors and sensors.

import CantineCore

extension Config {
    /// `[reconcile]` as written (see `ReconcileRules`).
    public struct ReconcileSection: Codable, Equatable, Sendable {
        /// Minutes after a desk booking starts before an absent booker is a no-show.
        public var noShowGraceMin: Int?
        /// Occupancy changes within `flapping_window_min` that make a sensor flapping.
        public var flappingChanges: Int?
        public var flappingWindowMin: Int?
        /// Minutes a room with a sensor may stay occupied past its booking (or with none).
        public var overstayGraceMin: Int?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case noShowGraceMin = "no_show_grace_min", flappingChanges = "flapping_changes"
            case flappingWindowMin = "flapping_window_min", overstayGraceMin = "overstay_grace_min"
        }
    }
}

extension Config.ReconcileSection {
    var rules: ReconcileRules {
        var rules = ReconcileRules()
        rules.noShowGrace = .minutes(Int64(Defaults.noShowGrace.or(noShowGraceMin)))
        rules.flappingChanges = Defaults.flappingChanges.or(flappingChanges)
        rules.flappingWindow = .minutes(Int64(Defaults.flappingWindow.or(flappingWindowMin)))
        rules.overstayGrace = .minutes(Int64(Defaults.overstayGrace.or(overstayGraceMin)))
        return rules
    }

    func validate(_ check: Checks) throws(ConfigError) {
        try Defaults.noShowGrace.check(noShowGraceMin, file: check.file)
        try Defaults.flappingChanges.check(flappingChanges, file: check.file)
        try Defaults.flappingWindow.check(flappingWindowMin, file: check.file)
        try Defaults.overstayGrace.check(overstayGraceMin, file: check.file)
    }
}
