// Access rules of a site: opening hours per plan, the booking margin, PIN after hours and the
// denied-badge alarm. Part of the layout (journaled), so a replay decides as the door did.

import Foundation

/// Weekly opening hours in the site's local time, written `mon-fri 08:00-20:00, sat 10:00-18:00`
/// or `always`. Ranges end before midnight (`24:00` is allowed as an end).
public struct WeeklyHours: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// One range: ISO weekdays (1 = Monday … 7 = Sunday), minutes since local midnight [open, close).
    public struct Range: Equatable, Hashable, Sendable {
        public var days: ClosedRange<Int>
        public var open: Int
        public var close: Int
    }

    /// Empty means always open.
    public var ranges: [Range]

    /// Open at every hour.
    public static let always = WeeklyHours(ranges: [])

    public init(ranges: [Range]) { self.ranges = ranges }

    /// Whether the hours include local ISO weekday `weekday` at `minute` past midnight.
    public func contains(weekday: Int, minute: Int) -> Bool {
        ranges.isEmpty || ranges.contains { $0.days.contains(weekday) && $0.open <= minute && minute < $0.close }
    }

    static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// Parses the text form; the error says what was wrong and shows the expected form.
    public init(parsing text: String) throws(CommandError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "always" {
            self = .always
            return
        }
        let example = "expected e.g. \"mon-fri 08:00-20:00, sat 10:00-18:00\" or \"always\""
        var ranges: [Range] = []
        for part in trimmed.split(separator: ",") {
            let words = part.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count == 2 else { throw CommandError("hours '\(text)': \(example)") }
            let dayParts = words[0].split(separator: "-").map(String.init)
            let timeParts = words[1].split(separator: "-").map(String.init)
            guard (1...2).contains(dayParts.count), timeParts.count == 2,
                let first = Self.dayNames.firstIndex(of: dayParts[0]),
                let last = Self.dayNames.firstIndex(of: dayParts[dayParts.count - 1]), first <= last
            else { throw CommandError("hours '\(text)': \(example)") }
            guard let open = Self.minutes(timeParts[0]), let close = Self.minutes(timeParts[1]), open < close else {
                throw CommandError("hours '\(text)': times are HH:MM-HH:MM, opening before closing (\(example))")
            }
            ranges.append(Range(days: (first + 1)...(last + 1), open: open, close: close))
        }
        guard !ranges.isEmpty else { throw CommandError("hours '\(text)': \(example)") }
        self.ranges = ranges
    }

    static func minutes(_ text: String) -> Int? {
        let p = text.split(separator: ":")
        guard p.count == 2, p[0].count == 2, p[1].count == 2, let h = Int(p[0]), let m = Int(p[1]),
            (0...59).contains(m), (0...23).contains(h) || (h == 24 && m == 0)
        else { return nil }
        return h * 60 + m
    }

    public var description: String {
        if ranges.isEmpty { return "always" }
        func hhmm(_ m: Int) -> String {
            let h = m / 60
            let mm = m % 60
            return "\(h < 10 ? "0" : "")\(h):\(mm < 10 ? "0" : "")\(mm)"
        }
        return ranges.map { r in
            let days =
                r.days.count == 1
                ? Self.dayNames[r.days.lowerBound - 1]
                : "\(Self.dayNames[r.days.lowerBound - 1])-\(Self.dayNames[r.days.upperBound - 1])"
            return "\(days) \(hhmm(r.open))-\(hhmm(r.close))"
        }.joined(separator: ", ")
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension PlanKind: CodingKeyRepresentable {}

/// How the doors decide beyond "is the plan valid now".
public struct AccessRules: Codable, Equatable, Sendable {
    /// Hours at which each kind of plan opens the doors, within the plan's own window.
    /// A kind not listed opens at any hour of its window.
    public var planHours: [PlanKind: WeeklyHours]
    /// Hours the space is open to the public (staffed). Outside them, `pinAfterHours` applies.
    public var publicHours: WeeklyHours
    /// Outside public hours, a badge must be followed by its PIN on the reader's keypad.
    public var pinAfterHours: Bool
    /// Time allowed to type the PIN after the badge.
    public var pinTimeout: Span
    /// A booking opens the doors from this long before its start until this long after its end.
    public var bookingMargin: Span
    /// Denied badges at one reader within `denialWindow` that raise an alarm.
    public var denialAlarmCount: Int
    public var denialWindow: Span

    /// The defaults: day-type plans 08:00–20:00 every day, residents and staff at any hour,
    /// public hours Monday to Friday 08:00–20:00, no PIN, 15 min booking margin, 5 denials a minute.
    public init(
        planHours: [PlanKind: WeeklyHours] = AccessRules.defaultPlanHours,
        publicHours: WeeklyHours = AccessRules.defaultPublicHours, pinAfterHours: Bool = false,
        pinTimeout: Span = .seconds(20), bookingMargin: Span = .seconds(15 * 60), denialAlarmCount: Int = 5,
        denialWindow: Span = .seconds(60)
    ) {
        self.planHours = planHours
        self.publicHours = publicHours
        self.pinAfterHours = pinAfterHours
        self.pinTimeout = pinTimeout
        self.bookingMargin = bookingMargin
        self.denialAlarmCount = denialAlarmCount
        self.denialWindow = denialWindow
    }

    static let daytime = WeeklyHours(ranges: [.init(days: 1...7, open: 8 * 60, close: 20 * 60)])
    public static let defaultPlanHours: [PlanKind: WeeklyHours] = [
        .halfDayAM: daytime, .halfDayPM: daytime, .dayPass: daytime, .multiDay: daytime,
        .residentMonthly: .always, .staff: .always,
    ]
    public static let defaultPublicHours = WeeklyHours(ranges: [.init(days: 1...5, open: 8 * 60, close: 20 * 60)])
}
