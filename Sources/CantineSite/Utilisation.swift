// Utilisation history: the journal folded day by day (`UsageFold`, the reducer itself), the
// closed days kept in `usage_days` (they outlive compaction), and the report the dashboard,
// `/api/utilisation` and its CSV print: days, today's curve against the same weekday's, desks
// by weekday.

import CantineCore
import CantineStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Folds the journal into days as it grows and stores each day once it closes. Where the fold
/// stands is kept too (`usage_fold`), so a restart goes on from there, not from the journal's
/// beginning.
public final class UsageLedger: Sendable {
    let store: Store
    let site: SiteID
    let calendar: SiteCalendar
    let fold: Mutex<UsageFold?>
    /// The state the site opened with, and its entry: a fold saved there resumes without
    /// rebuilding it (dropped once the fold runs).
    let opened: Mutex<(state: State, seq: Int64)?>
    let how = Mutex<Start?>(nil)

    /// How the fold started, once it has.
    public enum Start: Equatable, Sendable {
        /// From its saved progress, on the state the site opened with.
        case resumed(at: Int64)
        /// From its saved progress, on a state rebuilt from a snapshot and the entries after it.
        case rebuilt(at: Int64)
        /// From the journal's beginning (nothing saved, or saved where the journal no longer goes).
        case fromBeginning
    }

    /// How the fold started (nil: not yet).
    public var started: Start? { how.withLock { $0 } }

    init(store: Store, site: SiteID, calendar: SiteCalendar, opened: (state: State, seq: Int64)? = nil) {
        self.store = store
        self.site = site
        self.calendar = calendar
        self.fold = Mutex(nil)
        self.opened = Mutex(opened)
    }

    /// Folds the entries on disk not folded yet, stores the days they close and where the fold
    /// stands, and returns the fold (a copy) for the running day. The first call resumes the
    /// fold where it was last saved, or folds from the journal's beginning (its base snapshot
    /// once compacted).
    @discardableResult
    public func catchUp() throws -> UsageFold {
        try fold.withLock { fold in
            if fold == nil { fold = try start() }
            var closed: [DayUsage] = []
            let from = fold!.seq
            try store.forEachEntry(after: from) { entry in
                closed += fold!.apply(entry.event, seq: entry.seq, at: entry.wall)
                if closed.count >= 32 {  // a long history is stored as it goes
                    try store.saveUsageDays(closed, site: site)
                    closed = []
                }
            }
            try store.saveUsageDays(closed, site: site)
            if fold!.seq != from { try store.saveUsageProgress(fold!.progress, site: site) }
            return fold!
        }
    }

    /// Catches up once more if the fold runs (the daemon, at its stop); a tool that never
    /// looked at the history does not start it.
    public func finish() throws {
        guard fold.withLock({ $0 != nil }) else { return }
        try catchUp()
    }

    /// The fold to go on with: the saved one on the state rebuilt at its entry, else a new one.
    func start() throws -> UsageFold {
        let opened = self.opened.withLock { o in
            defer { o = nil }
            return o
        }
        if let saved = try store.usageProgress(site: site) {
            if let opened, opened.seq == saved.seq {
                how.withLock { $0 = .resumed(at: saved.seq) }
                return UsageFold(state: opened.state, progress: saved, calendar: calendar)
            }
            // The journal may have been compacted past it, or cut short by a restore: start over.
            if let rebuilt = try? Replay.rebuild(store: store, site: site, useSnapshot: true, through: saved.seq),
                rebuilt.lastSeq == saved.seq
            {
                how.withLock { $0 = .rebuilt(at: saved.seq) }
                return UsageFold(state: rebuilt.state, progress: saved, calendar: calendar)
            }
        }
        how.withLock { $0 = .fromBeginning }
        let start = try store.replayStart(site: site, useSnapshot: false)
        return UsageFold(state: start?.state ?? State(), seq: start?.seq ?? 0, calendar: calendar)
    }

    /// The report from `from` through `to` at `now`: stored days, and today as it runs.
    public func report(from: LocalDate, to: LocalDate, now: Instant, layout: SiteLayout) throws -> UtilisationReport {
        let running = try catchUp().running(at: now)
        let today = calendar.date(of: now)
        var days = try store.usageDays(site: site, from: from.description, through: to.description)
            .filter { $0.day != today.description }
        if let running, running.day == today.description, from <= today, today <= to { days.append(running) }
        let weekday = calendar.clock(now).weekday
        let past = try store.usageDays(
            site: site, from: calendar.adding(days: -7 * UtilisationReport.typicalWeeks, to: today).description,
            through: calendar.adding(days: -1, to: today).description
        ).filter { $0.weekday == weekday && $0.complete }
        return UtilisationReport(
            from: from, to: to, days: days, today: running?.day == today.description ? running : nil,
            reached: calendar.clock(now).minute / 15 + 1, sameWeekday: past, layout: layout)
    }
}

/// The utilisation history as the API and the dashboard show it: hours, rates and curves.
public struct UtilisationReport: Codable, Equatable, Sendable {
    /// How many past weeks make the typical curve of a weekday.
    public static let typicalWeeks = 8

    public struct Day: Codable, Equatable, Sendable {
        public var day: String
        public var weekday: Int
        public var peakPeople: Int
        public var deskHoursUsed: Double
        public var deskHoursBooked: Double
        public var checkIns: Int
        public var noShows: Int
        /// No-shows over bookings that were due a check-in (nil: none were).
        public var noShowRate: Double?
        public var walkIns: Int
        /// False for a day seen in part (the running day, the first day after compaction).
        public var complete: Bool
        enum CodingKeys: String, CodingKey {
            case day, weekday, peakPeople = "peak_people", deskHoursUsed = "desk_hours_used"
            case deskHoursBooked = "desk_hours_booked", checkIns = "check_ins", noShows = "no_shows"
            case noShowRate = "no_show_rate", walkIns = "walk_ins", complete
        }
    }

    public struct Totals: Codable, Equatable, Sendable {
        public var days: Int
        public var peakPeople: Int
        public var deskHoursUsed: Double
        public var deskHoursBooked: Double
        public var checkIns: Int
        public var noShows: Int
        public var walkIns: Int
        enum CodingKeys: String, CodingKey {
            case days, peakPeople = "peak_people", deskHoursUsed = "desk_hours_used"
            case deskHoursBooked = "desk_hours_booked", checkIns = "check_ins", noShows = "no_shows"
            case walkIns = "walk_ins"
        }
    }

    /// A zone's occupied desks through today, per quarter-hour (the mean over the quarter),
    /// beside the same weekday's typical curve (the mean of the past weeks that have one).
    public struct ZoneCurve: Codable, Equatable, Sendable {
        public var zone: String
        public var name: String
        public var desks: Int
        /// 96 quarters from local midnight; the quarters not reached yet are left out.
        public var today: [Double]
        public var typical: [Double]?
    }

    /// A desk's mean occupied hours per weekday over the complete days in range (Monday first;
    /// nil: no such day).
    public struct DeskWeek: Codable, Equatable, Sendable {
        public var desk: String
        public var name: String
        public var zone: String
        public var hours: [Double?]
    }

    public var from: String
    public var to: String
    public var days: [Day]
    public var totals: Totals
    /// Today's weekday (1 = Monday) and how many past weeks its typical curve averages.
    public var weekday: Int
    public var typicalWeeks: Int
    public var zones: [ZoneCurve]
    public var desks: [DeskWeek]

    enum CodingKeys: String, CodingKey {
        case from, to, days, totals, weekday, typicalWeeks = "typical_weeks", zones, desks
    }

    /// Builds the report from folded days.
    /// - Parameters:
    ///   - days: the days in range, in order (today's running one included when in range).
    ///   - today: the running day, for its curve.
    ///   - reached: the quarters of today begun so far.
    ///   - elapsed: seconds gone of the last of them (its mean is over those, not 900).
    ///   - sameWeekday: past complete days of today's weekday (its typical curve).
    public init(
        from: LocalDate, to: LocalDate, days raw: [DayUsage], today: DayUsage?, reached: Int, elapsed: Double = 900,
        sameWeekday: [DayUsage],
        layout: SiteLayout
    ) {
        func hours(_ seconds: Int64) -> Double { (Double(seconds) / 36.0).rounded() / 100 }
        self.from = from.description
        self.to = to.description
        days = raw.map { d in
            let due = d.checkIns + d.noShows
            return Day(
                day: d.day, weekday: d.weekday, peakPeople: d.peakPeople, deskHoursUsed: hours(d.occupiedSeconds),
                deskHoursBooked: hours(d.bookedSeconds), checkIns: d.checkIns, noShows: d.noShows,
                noShowRate: due > 0 ? (Double(d.noShows) / Double(due) * 1000).rounded() / 1000 : nil,
                walkIns: d.walkIns, complete: d.complete)
        }
        totals = Totals(
            days: raw.count, peakPeople: raw.map(\.peakPeople).max() ?? 0,
            deskHoursUsed: hours(raw.map(\.occupiedSeconds).reduce(0, +)),
            deskHoursBooked: hours(raw.map(\.bookedSeconds).reduce(0, +)), checkIns: raw.map(\.checkIns).reduce(0, +),
            noShows: raw.map(\.noShows).reduce(0, +), walkIns: raw.map(\.walkIns).reduce(0, +))
        weekday = today?.weekday ?? 0
        typicalWeeks = sameWeekday.count
        func curve(_ seconds: [Int64]) -> [Double] { seconds.map { (Double($0) / 9.0).rounded() / 100 } }
        // The quarter still running is a mean over the part of it gone, not over 900 s.
        func running(_ values: [Double]) -> [Double] {
            guard let last = values.last, elapsed > 0, elapsed < 900 else { return values }
            return values.dropLast() + [(last * 900 / elapsed * 100).rounded() / 100]
        }
        zones = layout.zones.map { zone in
            let count = layout.desks.filter { $0.zone == zone.id }.count
            let mine = today?.zones[zone.id.rawValue] ?? [Int64](repeating: 0, count: DayUsage.quarters)
            let past = sameWeekday.map { $0.zones[zone.id.rawValue] ?? [Int64](repeating: 0, count: DayUsage.quarters) }
            let typical: [Double]? =
                past.isEmpty
                ? nil
                : (0..<DayUsage.quarters).map { q in
                    (past.map { Double($0[q]) }.reduce(0, +) / Double(past.count) / 9.0).rounded() / 100
                }
            return ZoneCurve(
                zone: zone.id.rawValue, name: zone.name, desks: count,
                today: today == nil ? [] : running(Array(curve(mine).prefix(reached))),
                typical: typical)
        }
        desks = layout.desks.map { desk in
            let perDay = (1...7).map { wd -> Double? in
                let same = raw.filter { $0.weekday == wd && $0.complete }  // a day half gone is not a typical one
                guard !same.isEmpty else { return nil }
                let total = same.map { $0.desks[desk.id.rawValue] ?? 0 }.reduce(0, +)
                return (Double(total) / Double(same.count) / 36.0).rounded() / 100
            }
            return DeskWeek(desk: desk.id.rawValue, name: desk.name, zone: desk.zone.rawValue, hours: perDay)
        }
    }

    /// One row per day, with a header (the API's `/api/utilisation.csv`).
    public var csv: String {
        let header =
            "day,weekday,peak_people,desk_hours_used,desk_hours_booked,check_ins,no_shows,no_show_rate,walk_ins,complete"
        let rows = days.map { d in
            [
                d.day, "\(d.weekday)", "\(d.peakPeople)", "\(d.deskHoursUsed)", "\(d.deskHoursBooked)", "\(d.checkIns)",
                "\(d.noShows)", d.noShowRate.map { "\($0)" } ?? "", "\(d.walkIns)", d.complete ? "true" : "false",
            ].joined(separator: ",")
        }
        return ([header] + rows).map { $0 + "\r\n" }.joined()
    }
}

/// Keeps the usage fold near the journal's head: at start (so the first look at the history
/// does not fold weeks of journal while staff wait) and then every ten minutes (a day is
/// stored soon after it closes, whether or not anyone looks).
public struct UsageService: Service {
    let runtime: Site

    public init(runtime: Site) { self.runtime = runtime }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try runtime.usage.catchUp()
            } catch {
                runtime.logger.warning("utilisation history not updated", metadata: ["error": "\(error)"])
            }
            await pause(.seconds(600))
        }
    }
}
