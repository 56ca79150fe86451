// Local-time rules of a site: plan windows and booking periods computed in its time zone
// (Europe/Paris by default), turned into absolute instants before they reach the reducer.

import Foundation
import Synchronization

/// A calendar date in the site's time zone (`2026-11-21`).
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; nil when malformed or not a real date.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = .gmt
        guard let date = utc.date(from: DateComponents(year: y, month: m, day: d)),
            utc.component(.day, from: date) == d
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(m)-\(d)"
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

/// A bookable desk period.
public enum DeskPeriod: String, Sendable, CaseIterable, Codable {
    case am, pm, day
}

/// Calendar computations in the site's time zone.
public struct SiteCalendar: Sendable {
    public let timeZone: TimeZone
    let calendar: Calendar
    let offsets: ZoneOffsets

    /// Opening of a working day and the AM/PM split and closing, local hours.
    public static let dayStart = 8
    public static let midday = 13
    public static let dayEnd = 20
    /// Longest multi-day plan or desk booking.
    public static let maxDays = 21

    /// Fails for an unknown IANA time zone name.
    public init?(timeZone identifier: String) {
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        self.init(zone: tz)
    }

    init(zone: TimeZone) {
        timeZone = zone
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        calendar = c
        offsets = ZoneOffsets(zone)
    }

    /// The calendar in UTC (when a site has no layout yet).
    public static let utc = SiteCalendar(zone: .gmt)

    private static let cache = Mutex<[String: SiteCalendar]>([:])

    /// The calendar of a time zone, built once per process (badge decisions ask for it often).
    /// Falls back to UTC for an unknown zone (the config loader refuses those).
    public static func cached(_ identifier: String) -> SiteCalendar {
        cache.withLock { cache in
            if let c = cache[identifier] { return c }
            let c = SiteCalendar(timeZone: identifier) ?? .utc
            cache[identifier] = c
            return c
        }
    }

    /// The local ISO weekday (1 = Monday … 7 = Sunday) and minutes since local midnight at `t`.
    /// Every badge asks: two divisions by the zone's offset, which is looked up once per span
    /// between its transitions (a trip through ICU each time cost the door ~10 µs).
    public func clock(_ t: Instant) -> (weekday: Int, minute: Int) {
        let seconds = Self.floorDiv(t.micros, 1_000_000)
        let local = seconds + offsets.offset(at: seconds)
        let days = Self.floorDiv(local, 86_400)
        // 1970-01-01 was a Thursday (ISO 4).
        let weekday = Int((days % 7 + 10) % 7) + 1
        return (weekday, Int((local - days * 86_400) / 60))
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Whether `hours` are open at `t`, in this calendar's zone.
    public func isOpen(_ hours: WeeklyHours, at t: Instant) -> Bool {
        if hours.ranges.isEmpty { return true }
        let (weekday, minute) = clock(t)
        return hours.contains(weekday: weekday, minute: minute)
    }

    /// The first instant after `t` at which `hours` open (nil: always open, or never).
    public func nextOpening(_ hours: WeeklyHours, after t: Instant) -> Instant? {
        guard !hours.ranges.isEmpty else { return nil }
        let today = date(of: t)
        for offset in 0...7 {
            let day = adding(days: offset, to: today)
            let weekday = clock(instant(day, hour: 12)).weekday
            let opens = hours.ranges.filter { $0.days.contains(weekday) }.map {
                instant(day, hour: $0.open / 60, minute: $0.open % 60)
            }
            .filter { $0 > t }.min()
            if let opens { return opens }
        }
        return nil
    }

    /// The instant of `hour:minute` local time on `date`.
    public func instant(_ date: LocalDate, hour: Int, minute: Int = 0) -> Instant {
        let comps = DateComponents(year: date.year, month: date.month, day: date.day, hour: hour, minute: minute)
        return Instant(calendar.date(from: comps) ?? Date(timeIntervalSince1970: 0))
    }

    /// Local `HH:MM` of an instant.
    public func hhmm(_ t: Instant) -> String {
        let minute = clock(t).minute
        let h = minute / 60
        let m = minute % 60
        return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }

    /// `2026-11-21 14:30` in the site's time zone.
    public func text(_ instant: Instant) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: instant.date)
        func two(_ n: Int?) -> String { (n ?? 0) < 10 ? "0\(n ?? 0)" : "\(n ?? 0)" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute))"
    }

    /// The local date at `instant`.
    public func date(of instant: Instant) -> LocalDate {
        let c = calendar.dateComponents([.year, .month, .day], from: instant.date)
        return LocalDate(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1)
    }

    /// `date` plus `days` days.
    public func adding(days: Int, to date: LocalDate) -> LocalDate {
        let noon = instant(date, hour: 12)
        let moved = calendar.date(byAdding: .day, value: days, to: noon.date) ?? noon.date
        return self.date(of: Instant(moved))
    }

    /// A moment as people write it on a command line: `2026-11-21`, `2026-11-21 14:30`,
    /// `today`, `yesterday`, or an age such as `30m`, `2h`, `7d` (that long before `now`).
    public func moment(_ text: String, now: Instant) throws(CommandError) -> Instant {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch t {
        case "today": return instant(date(of: now), hour: 0)
        case "yesterday": return instant(adding(days: -1, to: date(of: now)), hour: 0)
        default: break
        }
        if let unit = t.last, let n = Int64(t.dropLast()), n >= 0 {
            switch unit {
            case "m": return now - .minutes(n)
            case "h": return now - .minutes(n * 60)
            case "d": return now - .seconds(n * 86_400)
            default: break
            }
        }
        let parts = t.split(separator: " ")
        if let day = parts.first.flatMap({ LocalDate(String($0)) }) {
            if parts.count == 1 { return instant(day, hour: 0) }
            let hm = parts[1].split(separator: ":")
            if parts.count == 2, hm.count == 2, hm[1].count == 2, let h = Int(hm[0]), let m = Int(hm[1]),
                (0...23).contains(h), (0...59).contains(m)
            {
                return instant(day, hour: h, minute: m)
            }
        }
        throw CommandError(
            "'\(text)' is not a time: use YYYY-MM-DD, \"YYYY-MM-DD HH:MM\", today, or an age like 2h or 7d")
    }

    /// The access window of a plan starting on `date` (`days` counts for multi-day plans).
    public func planWindow(_ kind: PlanKind, from date: LocalDate, days: Int = 1) throws(CommandError) -> (
        Instant, Instant?
    ) {
        switch kind {
        case .halfDayAM:
            return (instant(date, hour: Self.dayStart), instant(date, hour: Self.midday))
        case .halfDayPM:
            return (instant(date, hour: Self.midday), instant(date, hour: Self.dayEnd))
        case .dayPass:
            return (instant(date, hour: Self.dayStart), instant(date, hour: Self.dayEnd))
        case .multiDay:
            guard (2...Self.maxDays).contains(days) else {
                throw CommandError("a multi-day pass covers 2 to \(Self.maxDays) days, not \(days): use --days 2…21")
            }
            return (instant(date, hour: Self.dayStart), instant(adding(days: days - 1, to: date), hour: Self.dayEnd))
        case .residentMonthly:
            let start = instant(date, hour: 0)
            let end = calendar.date(byAdding: .month, value: 1, to: start.date) ?? start.date
            return (start, Instant(end))
        case .staff:
            return (instant(date, hour: 0), nil)
        }
    }

    /// The window of a desk booking: a half-day, a day, or `days` consecutive days.
    public func deskWindow(_ period: DeskPeriod, on date: LocalDate, days: Int = 1) throws(CommandError) -> (
        Instant, Instant
    ) {
        guard (1...Self.maxDays).contains(days) else {
            throw CommandError("a desk booking covers 1 to \(Self.maxDays) days, not \(days): use --days 1…21")
        }
        guard days == 1 || period == .day else {
            throw CommandError("half-day bookings cover one day: use --period day with --days \(days)")
        }
        switch period {
        case .am: return (instant(date, hour: Self.dayStart), instant(date, hour: Self.midday))
        case .pm: return (instant(date, hour: Self.midday), instant(date, hour: Self.dayEnd))
        case .day:
            return (instant(date, hour: Self.dayStart), instant(adding(days: days - 1, to: date), hour: Self.dayEnd))
        }
    }
}

/// A zone's offset from UTC over the span it last held: from the instant it was looked up at
/// to the zone's next transition. Instants outside that span look it up again.
final class ZoneOffsets: Sendable {
    struct Held {
        var from: Int64
        var until: Int64
        var offset: Int64
    }
    let zone: TimeZone
    let held = Mutex<Held?>(nil)

    init(_ zone: TimeZone) { self.zone = zone }

    /// The offset in seconds at `seconds` since the epoch.
    func offset(at seconds: Int64) -> Int64 {
        if let h = held.withLock({ $0 }), h.from <= seconds, seconds < h.until { return h.offset }
        let date = Date(timeIntervalSince1970: Double(seconds))
        let offset = Int64(zone.secondsFromGMT(for: date))
        let next = zone.nextDaylightSavingTimeTransition(after: date).map {
            Int64($0.timeIntervalSince1970.rounded(.down))
        }
        held.withLock { $0 = Held(from: seconds, until: max(next ?? .max, seconds + 1), offset: offset) }
        return offset
    }
}
