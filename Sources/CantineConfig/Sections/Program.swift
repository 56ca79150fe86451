// `[program]`: the barcamp grid's time slots.

import Foundation

extension Config {
    /// `[program]` as written.
    public struct ProgramSection: Codable, Equatable, Sendable {
        /// Slots of the barcamp grid, `"HH:MM-HH:MM"` in order: `--slot 1` is the first.
        public var slots: [String]?
        public init() {}
    }
}

extension Settings {
    /// A slot of the barcamp grid, as `HH:MM` texts (checked by `validate`).
    public struct Slot: Equatable, Sendable {
        public var start: String
        public var end: String
    }
}

extension Config.ProgramSection {
    var resolved: [Settings.Slot] {
        Defaults.slots.or(slots).map { slot in
            let parts = slot.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
            return Settings.Slot(start: parts.first ?? "", end: parts.count > 1 ? parts[1] : "")
        }
    }

    func validate(_ check: Checks) throws(ConfigError) {
        func minute(_ t: String) -> Int? {
            let p = t.split(separator: ":")
            guard p.count == 2, p[1].count == 2, let h = Int(p[0]), let m = Int(p[1]), (0...23).contains(h),
                (0...59).contains(m)
            else { return nil }
            return h * 60 + m
        }
        var lastEnd = -1
        for (i, slot) in resolved.enumerated() {
            guard let a = minute(slot.start), let b = minute(slot.end), a < b else {
                throw check.fail(
                    "program.slots[\(i)]",
                    "'\(slots?[i] ?? "")' is not a slot: use \"HH:MM-HH:MM\", e.g. \"10:00-10:45\"")
            }
            guard a >= lastEnd else {
                throw check.fail("program.slots[\(i)]", "slots must be in order and must not overlap")
            }
            lastEnd = b
        }
    }
}
