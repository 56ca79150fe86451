// iCalendar (RFC 5545) reading through libical: VEVENTs expanded into occurrences over a
// window (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides), times read in their VTIMEZONE, a
// built-in zone or the site's zone when floating, all-day events as whole local days.
// libical does the parsing (fed line by line, ICSLines.swift); this file walks what it built.

import CICal
import CantineCore
import Foundation

/// One occurrence of a calendar event.
public struct CalendarEvent: Equatable, Sendable {
    public var uid: String
    /// Identifies the occurrence across imports: the UID, plus `@` and the occurrence's
    /// original start (UTC, or a date for all-day events) for a recurring event.
    public var key: String
    public var summary: String
    public var location: String?
    public var description: String?
    public var categories: [String]
    /// The organizer's address without `mailto:`.
    public var organizer: String?
    public var start: Instant
    public var end: Instant
    public var allDay: Bool
    /// Line of the event's `BEGIN:VEVENT` in the file.
    public var line: Int
}

/// A one-line import error.
public struct ImportError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    /// Control characters quoted from the input are escaped: the message stays one line.
    public init(_ message: String) { self.message = message.oneLine }
    public var description: String { message }
}

/// Reads iCalendar text with libical.
public enum ICSReader {
    /// Most occurrences one recurring event may produce in a window (a guard against an
    /// hourly rule over a long window).
    public static let maxOccurrences = 5_000
    /// The longest event read, in seconds: a year (a booking is at most three weeks; an
    /// event of centuries is a typo in DTEND, and would overlap any window from every one
    /// of its occurrences).
    public static let maxLength: Int64 = 366 * 86_400
    /// Most occurrences the series of one calendar expand to, up to the window's end: from
    /// a series' start, or for a series without COUNT from just before the window (see
    /// `rebased`), so only sub-daily rules, COUNTs or starts before 1583 reach it (eighty
    /// yearly series from 985, 83,000 occurrences, took 2.3 s under ASan; a real calendar's
    /// few hundred series over a 90-day window make a few thousand).
    public static let maxExpansions = 20_000

    /// The occurrences of the VEVENTs of `text` that overlap `window`, in file order then
    /// time. Cancelled events (STATUS:CANCELLED) are left out. Floating times and all-day
    /// dates are read in `timeZone`.
    public static func events(
        in text: String, timeZone: String = "Europe/Paris", window: (start: Instant, end: Instant)? = nil
    ) throws(ImportError) -> [CalendarEvent] {
        try events(in: text, timeZone: timeZone, window: window, shortcuts: true)
    }

    /// `events(in:timeZone:window:)`; `shortcuts: false` expands every series from its own
    /// start with its rule as written, neither `rebased` nor `bounded` (what the tests
    /// compare the expansion with).
    static func events(
        in text: String, timeZone: String, window: (start: Instant, end: Instant)?, shortcuts: Bool
    ) throws(ImportError) -> [CalendarEvent] {
        let lines = eventLines(text)
        guard text.range(of: "BEGIN:VCALENDAR", options: .caseInsensitive) != nil else {
            throw ImportError("not an iCalendar file: expected BEGIN:VCALENDAR … END:VCALENDAR")
        }
        let roots = try parse(text)
        defer { roots.forEach { icalcomponent_free($0) } }
        guard let root = roots.first else {
            throw ImportError("not an iCalendar file: expected BEGIN:VCALENDAR … END:VCALENDAR")
        }
        guard roots.count == 1, icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT else {
            throw ImportError("not an iCalendar file: the top component is not one VCALENDAR")
        }
        if let message = firstError(root) {
            throw ImportError("calendar header: \(message)")
        }
        try checkZones(root)
        guard let siteZone = icaltimezone_get_builtin_timezone(timeZone) else {
            throw ImportError("unknown time zone '\(timeZone)'")
        }
        let window = window ?? (Instant(seconds: 0), Instant(seconds: 4_102_444_800))
        let reader = Reader(
            root: root, siteZone: siteZone, siteCalendar: SiteCalendar.cached(timeZone), shortcuts: shortcuts)

        // Read every VEVENT first: overrides (RECURRENCE-ID) replace their master's occurrence.
        var components: [(OpaquePointer, Int)] = []
        var c = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT)
        var index = 0
        while let event = c {
            let line = index < lines.count ? lines[index] : 0
            index += 1
            if let message = firstError(event) {
                throw ImportError("line \(line): \(message)")
            }
            components.append((event, line))
            c = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)
        }
        var overridden: Set<String> = []
        var futures: [String: [Reader.Future]] = [:]
        for (event, line) in components {
            let rid = icalcomponent_get_recurrenceid(event)
            guard icaltime_is_null_time(rid) == 0 else { continue }
            let ridProperty = icalcomponent_get_first_property(event, ICAL_RECURRENCEID_PROPERTY)
            let ridZone = ridProperty.flatMap(reader.tzid)
            guard let uid = string(icalcomponent_get_uid(event)) else {
                throw ImportError("line \(line): a RECURRENCE-ID event needs the UID of its series")
            }
            overridden.insert(uid + "@" + reader.stamp(rid, tzid: ridZone))
            // RANGE=THISANDFUTURE: the later occurrences move by as much and take the
            // override's length, title and place (RFC 5545 §3.8.4.4).
            let range = ridProperty.flatMap { string(icalproperty_get_parameter_as_string($0, "RANGE")) }
            if range?.uppercased() == "THISANDFUTURE" {
                let from = reader.instant(rid, tzid: ridZone)
                let start = reader.instant(icalcomponent_get_dtstart(event))
                let dtend = icalcomponent_get_dtend(event)
                futures[uid, default: []].append(
                    Reader.Future(
                        from: from, shift: start - from,
                        length: icaltime_is_null_time(dtend) == 0 ? reader.instant(dtend) - start : nil,
                        summary: string(icalcomponent_get_summary(event)),
                        location: string(icalcomponent_get_location(event))))
            }
        }

        var out: [CalendarEvent] = []
        for (event, line) in components {
            out += try reader.occurrences(
                of: event, line: line, window: window, overridden: overridden, futures: futures)
        }
        return out
    }

    /// Most zone changes the VTIMEZONEs of one calendar may hold, counted as a year each
    /// for every yearly observance from its DTSTART to 2583 (libical's last year): Outlook's
    /// zones start in 1601, two observances each: twenty such zones fit.
    public static let maxZoneChanges = 20_000

    /// Refuses VTIMEZONEs that libical would take seconds and hundreds of megabytes to work
    /// out: libical expands a zone's changes step by step from each observance's DTSTART to
    /// the year read. An observance that repeats other than yearly (`FREQ=HOURLY` from 1900:
    /// 4.5 s and 130 MB), or more than twice in its first two years (a yearly rule of every
    /// day of the year: 1.9 s, 97 MB), or zones of more than `maxZoneChanges` in all (sixty
    /// observances from the year 1: 0.9 s). A real zone changes once a year an observance.
    static func checkZones(_ root: OpaquePointer) throws(ImportError) {
        var changes = 0
        var z = icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT)
        while let zone = z {
            let tzid =
                icalcomponent_get_first_property(zone, ICAL_TZID_PROPERTY).flatMap {
                    string(icalproperty_get_tzid($0))
                } ?? ""
            for kind in [ICAL_XSTANDARD_COMPONENT, ICAL_XDAYLIGHT_COMPONENT] {
                var o = icalcomponent_get_first_component(zone, kind)
                while let observance = o {
                    let start = icalcomponent_get_dtstart(observance)
                    var p = icalcomponent_get_first_property(observance, ICAL_RRULE_PROPERTY)
                    while let prop = p {
                        var rule = icalproperty_get_rrule(prop)
                        guard rule.freq == ICAL_YEARLY_RECURRENCE else {
                            throw ImportError(
                                "time zone '\(tzid)' changes FREQ=\(String(cString: icalrecur_freq_to_string(rule.freq))): a zone's observances repeat yearly (RRULE:FREQ=YEARLY;...)"
                            )
                        }
                        if let reason = barren(rule) {
                            throw ImportError("time zone '\(tzid)' has an RRULE that never occurs: \(reason)")
                        }
                        // Its first two calendar years.
                        var sample = rule
                        sample.count = 0
                        sample.until = start
                        (sample.until.year, sample.until.month, sample.until.day) = (start.year + 1, 12, 31)
                        if isReal(start), let iterator = icalrecur_iterator_new(sample, start) {
                            defer { icalrecur_iterator_free(iterator) }
                            var n = 0
                            while n <= 2, icaltime_is_null_time(icalrecur_iterator_next(iterator)) == 0 { n += 1 }
                            guard n <= 2 else {
                                throw ImportError(
                                    "time zone '\(tzid)' changes more than twice in the first two years of RRULE:\(string(icalrecurrencetype_as_string(&rule)) ?? ""): a zone's observance changes once a year"
                                )
                            }
                        }
                        changes += 2583 - min(max(Int(start.year), 0), 2583)
                        guard changes <= maxZoneChanges else {
                            throw ImportError(
                                "time zone '\(tzid)': the calendar's zones hold over \(maxZoneChanges) changes from their observances' starts: start them nearer our time (Outlook's start in 1601)"
                            )
                        }
                        p = icalcomponent_get_next_property(observance, ICAL_RRULE_PROPERTY)
                    }
                    o = icalcomponent_get_next_component(zone, kind)
                }
            }
            z = icalcomponent_get_next_component(root, ICAL_VTIMEZONE_COMPONENT)
        }
    }

    /// Refuses what a coworking calendar never means and libical would step through for
    /// minutes: repeats under an hour (an unproductive `FREQ=MINUTELY` rule took libical
    /// 8 minutes to find nothing), repeats under a day for an all-day event, and rules that
    /// never occur (`barren`).
    static func check(_ rule: icalrecurrencetype, allDay: Bool, line: Int, uid: String) throws(ImportError) {
        let name = String(cString: icalrecur_freq_to_string(rule.freq))
        switch rule.freq {
        case ICAL_SECONDLY_RECURRENCE, ICAL_MINUTELY_RECURRENCE:
            throw ImportError(
                "line \(line): event '\(uid)' repeats FREQ=\(name): the most frequent repeat read is HOURLY (bookings are by the slot)"
            )
        case ICAL_HOURLY_RECURRENCE where allDay:
            throw ImportError(
                "line \(line): event '\(uid)' is all-day (its DTSTART is a date) but repeats FREQ=HOURLY: give it a time, or repeat it DAILY"
            )
        default:
            if let reason = barren(rule) {
                throw ImportError("line \(line): event '\(uid)' has an RRULE that never occurs: \(reason)")
            }
        }
    }

    /// Most steps libical is let take through the rules of one calendar (~1–2 µs each; a
    /// file of eighty rules that each found nothing in 100,000 steps took 8 s).
    public static let maxSteps = 100_000

    /// What is left of `maxSteps` and `maxExpansions` while a calendar is read.
    final class StepBudget {
        var left = maxSteps
        var expansions = maxExpansions
    }

    /// The period of `rule` in seconds (a month as 31 days, a year as 366).
    static func period(_ rule: icalrecurrencetype) -> Double {
        let unit: Double =
            switch rule.freq {
            case ICAL_SECONDLY_RECURRENCE: 1
            case ICAL_MINUTELY_RECURRENCE: 60
            case ICAL_HOURLY_RECURRENCE: 3_600
            case ICAL_DAILY_RECURRENCE: 86_400
            case ICAL_WEEKLY_RECURRENCE: 7 * 86_400
            case ICAL_MONTHLY_RECURRENCE: 31 * 86_400
            default: 366 * 86_400
            }
        return unit * Double(max(1, rule.interval))
    }

    /// How far a time's fields read as UTC may be from its instant, in seconds: five days (a
    /// UTC offset as written is at most 99:59; a real zone's, 14 h).
    static let fieldsMargin: Double = 5 * 86_400

    /// The fields of `t` read as UTC (within `fieldsMargin` of its instant).
    static func fieldSeconds(_ t: icaltimetype) -> Double {
        Double(daysFromCivil(Int(t.year), Int(t.month), Int(t.day))) * 86_400
            + Double(t.is_date != 0 ? 0 : t.hour * 3_600 + t.minute * 60 + t.second)
    }

    /// About how many steps libical takes through `rule` from `first` to `t`.
    static func steps(_ rule: icalrecurrencetype, from first: icaltimetype, to t: icaltimetype) -> Int {
        let n = (fieldSeconds(t) - fieldSeconds(first)) / period(rule)
        return n.isFinite ? Int(min(max(n.rounded(.up), 0), Double(maxSteps))) : maxSteps
    }

    /// `rule` as libical is given it: without COUNT (the caller counts) and with an UNTIL no
    /// later than two days after `end` (in UTC for a zoned start, which libical compares as
    /// instants; a floating or all-day start is read in the site's zone) nor than `steps`
    /// periods after `first`. libical steps a rule until an occurrence passes UNTIL (or the
    /// year 2582), whether its steps produce or not: `FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30`
    /// took 8 s to find nothing, and a COUNT series (never rebased) may start in the year 1.
    /// The UNTIL is a date for an all-day start, floating for a floating one, else UTC.
    /// `stepCapped`: the step bound is the one that holds, so a series that ends before the
    /// window may not really end there.
    static func bounded(_ rule: icalrecurrencetype, from first: icaltimetype, to end: Instant, steps: Int) -> (
        rule: icalrecurrencetype, stepCapped: Bool
    ) {
        let stepsEnd = fieldSeconds(first) + Double(steps) * period(rule)
        let horizon = Double(end.micros / 1_000_000 + 2 * 86_400)
        let allDay = first.is_date != 0
        var until = icaltime_from_timet_with_zone(
            time_t(min(stepsEnd, horizon)), allDay ? 1 : 0, icaltimezone_get_utc_timezone())
        if allDay || first.zone == nil { until.zone = nil }
        var bounded = rule
        bounded.count = 0
        let written = icaltime_is_null_time(rule.until) == 0
        if !written || icaltime_compare(rule.until, until) > 0 {
            bounded.until = until
            return (bounded, stepsEnd < horizon)
        }
        return (bounded, false)
    }

    /// Years in which the Gregorian calendar repeats itself: 146,097 days, 20,871 weeks.
    static let cycleYears = 400

    /// `dtstart` moved forward by whole periods of `rule` to the last one on or before
    /// `limit` (in UTC): libical iterates a series from its start at ~2–4 µs a step, so a
    /// weekly meeting begun in 1656 cost 19,000 steps for one week of window. Only where
    /// that moves no occurrence from the limit on: no COUNT (it counts from the real start);
    /// daily and weekly periods (whole days or weeks keep the weekday, the time and the
    /// week's phase); monthly periods from a day of month up to 28 (the day exists in every
    /// month). Other monthly and yearly series move by whole 400-year cycles (weekdays,
    /// leap days and week numbers repeat), at most 400 years of steps left. Not moved:
    /// starts before 1583 (libical's calendar is Julian to October 1582, and its weeks
    /// across the change keep no fixed phase) and sub-daily series (libical's HOURLY with
    /// day filters keeps none either); `maxSteps` and `maxExpansions` bound those.
    /// libical's `icalrecur_iterator_set_start` is not used: in 3.0 it loses the phase of
    /// hourly rules and of BYHOUR in daily ones.
    static func rebased(_ dtstart: icaltimetype, _ rule: icalrecurrencetype, notAfter limit: Instant) -> icaltimetype {
        guard rule.count == 0, isReal(dtstart), dtstart.year >= 1583 else { return dtstart }
        let interval = max(1, Int(rule.interval))
        let (q, r) = limit.micros.quotientAndRemainder(dividingBy: 86_400_000_000)
        let limitDay = Int(r < 0 ? q - 1 : q)
        let (ly, lm, _) = civilFromDays(limitDay)
        var moved = dtstart
        switch rule.freq {
        case ICAL_DAILY_RECURRENCE, ICAL_WEEKLY_RECURRENCE:
            let period = rule.freq == ICAL_WEEKLY_RECURRENCE ? 7 * interval : interval
            let startDay = daysFromCivil(Int(dtstart.year), Int(dtstart.month), Int(dtstart.day))
            let gap = limitDay - startDay
            guard gap >= period else { return dtstart }
            let (y, m, d) = civilFromDays(startDay + gap / period * period)
            (moved.year, moved.month, moved.day) = (Int32(y), Int32(m), Int32(d))
        case ICAL_MONTHLY_RECURRENCE, ICAL_YEARLY_RECURRENCE:
            // Up to the month before the limit's (monthly) or the year before (yearly): the
            // moved start's whole first period is before the limit.
            let startMonth = Int(dtstart.year) * 12 + Int(dtstart.month) - 1
            let monthly = rule.freq == ICAL_MONTHLY_RECURRENCE
            var period = monthly ? interval : 12 * interval
            if !monthly || dtstart.day > 28 {
                // The least common multiple of the period and the cycle, in months.
                var (a, b) = (period, cycleYears * 12)
                while b != 0 { (a, b) = (b, a % b) }
                period = period / a * cycleYears * 12
            }
            let gap = (monthly ? ly * 12 + lm - 2 : ly * 12 - 1) - startMonth
            guard gap >= period else { return dtstart }
            let month = startMonth + gap / period * period
            (moved.year, moved.month) = (Int32(month / 12), Int32(month % 12 + 1))
        default:
            return dtstart
        }
        return moved
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (proleptic Gregorian).
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The line number of each `BEGIN:VEVENT`, in order (for messages only).
    static func eventLines(_ text: String) -> [Int] {
        var result: [Int] = []
        var n = 0
        text.enumerateLines { line, _ in
            n += 1
            if line.trimmingCharacters(in: .whitespaces).uppercased() == "BEGIN:VEVENT" { result.append(n) }
        }
        return result
    }

    /// libical's first X-LIC-ERROR in `component` (its own properties only), if any. An
    /// unknown parameter is tolerated (libical drops it); any other error refuses the file.
    static func firstError(_ component: OpaquePointer) -> String? {
        var p = icalcomponent_get_first_property(component, ICAL_XLICERROR_PROPERTY)
        while let prop = p {
            let type = icalproperty_get_first_parameter(prop, ICAL_XLICERRORTYPE_PARAMETER).map {
                icalparameter_get_xlicerrortype($0)
            }
            if type != ICAL_XLICERRORTYPE_PARAMETERNAMEPARSEERROR && type != ICAL_XLICERRORTYPE_PARAMETERVALUEPARSEERROR
            {
                // libical says what it did ("Removing entire property: X"); we refuse the file.
                var message = string(icalproperty_get_xlicerror(prop)) ?? "unreadable content"
                if let r = message.range(of: ". Removing entire property") {
                    message = message[..<r.lowerBound] + ": " + message[r.upperBound...].drop { $0 == ":" || $0 == " " }
                }
                return message.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ":")))
            }
            p = icalcomponent_get_next_property(component, ICAL_XLICERROR_PROPERTY)
        }
        return nil
    }

    /// Seconds from 1970 to the date-time `t` read in `zone`. libical keeps a zone's
    /// transitions up to the year 2582 and works them out again on every call after it
    /// (9 ms a call: a file of RDATEs in the year 2826 held the import for seconds), then
    /// gives the standard offset whatever the season. Such a time is read 400·k years
    /// earlier, between 2101 and 2500, and moved back by as many 146,097-day cycles: the
    /// Gregorian calendar repeats every 400 years, and a zone's rules there are its last
    /// ones, summer time included.
    static func seconds(_ t: icaltimetype, in zone: OpaquePointer?) -> Int64 {
        var t = t
        let cycles = t.year > 2500 ? (Int(t.year) - 2101) / cycleYears : 0
        t.year -= Int32(cycles * cycleYears)
        return Int64(icaltime_as_timet_with_zone(t, zone)) + Int64(cycles) * 146_097 * 86_400
    }

    /// Whether libical's reading of a date or date-time is a real one (libical takes
    /// `2026-13-45` as the date 20261345).
    /// `20261124`: the local day of a time's fields.
    static func day(_ t: icaltimetype) -> String {
        String(format: "%04d%02d%02d", Int(t.year), Int(t.month), Int(t.day))
    }

    static func isReal(_ t: icaltimetype) -> Bool {
        guard (1...12).contains(t.month), t.year >= 1, t.day >= 1,
            t.day <= icaltime_days_in_month(t.month, t.year)
        else { return false }
        return t.is_date != 0
            || ((0...23).contains(t.hour) && (0...59).contains(t.minute) && (0...60).contains(t.second))
    }

    static func string(_ p: UnsafePointer<CChar>?) -> String? {
        guard let p else { return nil }
        let s = String(cString: p).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    struct Reader {
        /// A `RANGE=THISANDFUTURE` override: occurrences of its series from `from` on.
        struct Future {
            var from: Instant
            var shift: Span
            var length: Span?
            var summary: String?
            var location: String?
        }

        let root: OpaquePointer
        let siteZone: OpaquePointer
        let siteCalendar: SiteCalendar
        let shortcuts: Bool
        let budget = StepBudget()
        let utc = icaltimezone_get_utc_timezone()

        /// The zone a time is in: its own (TZID resolved by libical, or UTC), a TZID parameter
        /// resolved against the file's VTIMEZONEs then libical's built-in zones, else floating:
        /// the site's zone.
        func zone(_ t: icaltimetype, tzid: String? = nil) -> OpaquePointer {
            if let z = t.zone { return z }
            if let tzid {
                if let z = icalcomponent_get_timezone(root, tzid) { return z }
                if let z = icaltimezone_get_builtin_timezone(tzid) { return z }
            }
            return siteZone
        }

        /// The instant of a date-time (a date: local midnight in the site's zone).
        func instant(_ t: icaltimetype, tzid: String? = nil) -> Instant {
            if t.is_date != 0 {
                return siteCalendar.instant(LocalDate(year: Int(t.year), month: Int(t.month), day: Int(t.day)), hour: 0)
            }
            // libical makes a time_t of whatever fields it read (an RDATE on day 0 of a month
            // gave one past what an Instant holds: a trap, found by the fuzzer): kept within
            // ±31,000 years, far outside any window, where the length checks refuse it.
            let seconds = ICSReader.seconds(t, in: zone(t, tzid: tzid))
            return Instant(seconds: min(max(seconds, -1_000_000_000_000), 1_000_000_000_000))
        }

        /// An occurrence's identity: `20261121` for a date, `20261121T130000Z` for a time.
        func stamp(_ t: icaltimetype, tzid: String? = nil) -> String {
            func pad(_ n: Int32, _ w: Int) -> String {
                let s = String(n)
                return String(repeating: "0", count: max(0, w - s.count)) + s
            }
            if t.is_date != 0 { return pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2) }
            let seconds = ICSReader.seconds(t, in: zone(t, tzid: tzid))
            let u = icaltime_from_timet_with_zone(time_t(seconds), 0, utc)
            return pad(u.year, 4) + pad(u.month, 2) + pad(u.day, 2) + "T" + pad(u.hour, 2) + pad(u.minute, 2)
                + pad(u.second, 2) + "Z"
        }

        func tzid(_ p: OpaquePointer) -> String? {
            ICSReader.string(icalproperty_get_parameter_as_string(p, "TZID"))
        }

        /// Every value of the properties of `kind` (EXDATE, RDATE) as icaltimetypes with
        /// their TZID parameter.
        func times(_ event: OpaquePointer, _ kind: icalproperty_kind) -> [(icaltimetype, String?)] {
            var out: [(icaltimetype, String?)] = []
            var p = icalcomponent_get_first_property(event, kind)
            while let prop = p {
                let t =
                    kind == ICAL_RDATE_PROPERTY ? icalproperty_get_rdate(prop).time : icalproperty_get_exdate(prop)
                if icaltime_is_null_time(t) == 0 { out.append((t, tzid(prop))) }
                p = icalcomponent_get_next_property(event, kind)
            }
            return out
        }

        func occurrences(
            of event: OpaquePointer, line: Int, window: (start: Instant, end: Instant), overridden: Set<String>,
            futures: [String: [Future]] = [:]
        ) throws(ImportError) -> [CalendarEvent] {
            if icalcomponent_get_status(event) == ICAL_STATUS_CANCELLED { return [] }
            guard let uid = ICSReader.string(icalcomponent_get_uid(event)) else {
                throw ImportError("line \(line): the event has no UID; a UID is what makes re-imports update it")
            }
            let dtstart = icalcomponent_get_dtstart(event)
            guard icaltime_is_null_time(dtstart) == 0 else {
                throw ImportError("line \(line): event '\(uid)' has no DTSTART: every VEVENT needs a start")
            }
            let allDay = dtstart.is_date != 0
            let dtend = icalcomponent_get_dtend(event)
            for (name, t) in [("DTSTART", dtstart), ("DTEND", dtend)]
            where icaltime_is_null_time(t) == 0 && !ICSReader.isReal(t) {
                throw ImportError(
                    "line \(line): event '\(uid)' has a \(name) that is not a real date or time (\(String(cString: icaltime_as_ical_string(t))))"
                )
            }
            let start0 = instant(dtstart)
            // A DURATION (without DTEND) of days or weeks is nominal — so many calendar days
            // later at the same local time, 23 or 25 hours across a DST change — and its hours,
            // minutes and seconds exact (RFC 5545 §3.3.6); DTEND is exact. Read here rather
            // than from libical's DTEND, which adds every field to the local time and wraps
            // huge values.
            var nominalDays: Int32 = 0
            var exactSeconds: Int64 = 0
            let duration =
                icalcomponent_get_first_property(event, ICAL_DTEND_PROPERTY) == nil
                ? icalcomponent_get_first_property(event, ICAL_DURATION_PROPERTY) : nil
            if let p = duration {
                let d = icalproperty_get_duration(p)
                let days = Int64(d.weeks) * 7 + Int64(d.days)
                let exact = Int64(d.hours) * 3600 + Int64(d.minutes) * 60 + Int64(d.seconds)
                guard d.is_neg == 0 else { throw ImportError("line \(line): event '\(uid)' ends before it starts") }
                guard days * 86_400 + exact <= maxLength else {
                    throw ImportError(
                        "line \(line): event '\(uid)' lasts over \(maxLength / 86_400) days: check its DURATION")
                }
                nominalDays = Int32(days)
                exactSeconds = exact
            }
            // DTEND (or DTSTART + DURATION); none: a day for an all-day event, else no length.
            let length: Int64
            if duration != nil && !allDay {
                var end = dtstart
                end.day += nominalDays
                end = icaltime_normalize(end)
                end.zone = dtstart.zone
                length = (instant(end) - start0).micros / 1_000_000 + exactSeconds
            } else if icaltime_is_null_time(dtend) == 0 {
                length = (instant(dtend) - start0).micros / 1_000_000
            } else {
                length = allDay ? 86_400 : 0
            }
            guard length >= 0 else {
                throw ImportError("line \(line): event '\(uid)' ends before it starts")
            }
            guard length <= maxLength else {
                throw ImportError(
                    "line \(line): event '\(uid)' lasts \(length / 86_400) days (at most \(maxLength / 86_400)): check its DTEND or DURATION"
                )
            }
            let days = Int((length + 43_200) / 86_400)
            let summary = ICSReader.string(icalcomponent_get_summary(event)) ?? ""
            var categories: [String] = []
            var cp = icalcomponent_get_first_property(event, ICAL_CATEGORIES_PROPERTY)
            while let p = cp {
                // libical's parser splits a list at its unescaped commas, one property per
                // category, and unescapes each: a comma left in a value is the category's own.
                if let c = ICSReader.string(icalproperty_get_categories(p))?.trimmingCharacters(in: .whitespaces),
                    !c.isEmpty
                {
                    categories.append(c)
                }
                cp = icalcomponent_get_next_property(event, ICAL_CATEGORIES_PROPERTY)
            }
            let organizer = icalcomponent_get_first_property(event, ICAL_ORGANIZER_PROPERTY)
                .flatMap { ICSReader.string(icalproperty_get_organizer($0)) }
                .map { $0.lowercased().hasPrefix("mailto:") ? String($0.dropFirst(7)) : $0 }
            let template = CalendarEvent(
                uid: uid, key: uid, summary: summary, location: ICSReader.string(icalcomponent_get_location(event)),
                description: ICSReader.string(icalcomponent_get_description(event)), categories: categories,
                organizer: organizer, start: start0, end: start0, allDay: allDay, line: line)

            /// The occurrence starting at `t` (local fields in DTSTART's zone).
            func occurrence(_ t: icaltimetype, key: String) -> CalendarEvent {
                var e = template
                e.key = key
                e.start = instant(t)
                if allDay {
                    let date = LocalDate(year: Int(t.year), month: Int(t.month), day: Int(t.day))
                    e.end = siteCalendar.instant(siteCalendar.adding(days: max(1, days), to: date), hour: 0)
                } else if nominalDays > 0 {
                    var end = t
                    end.day += nominalDays
                    end = icaltime_normalize(end)
                    end.zone = t.zone
                    e.end = instant(end) + .seconds(exactSeconds)
                } else {
                    e.end = e.start + .seconds(length)
                }
                return e
            }
            func overlaps(_ e: CalendarEvent) -> Bool {
                e.start < window.end && (e.end > window.start || (e.end == e.start && e.start >= window.start))
            }

            let rid = icalcomponent_get_recurrenceid(event)
            if icaltime_is_null_time(rid) == 0 {
                // An override of one occurrence of a series.
                let ridZone = icalcomponent_get_first_property(event, ICAL_RECURRENCEID_PROPERTY).flatMap(tzid)
                let e = occurrence(dtstart, key: uid + "@" + stamp(rid, tzid: ridZone))
                return overlaps(e) ? [e] : []
            }
            let rrule = icalcomponent_get_first_property(event, ICAL_RRULE_PROPERTY)
            let rdates = times(event, ICAL_RDATE_PROPERTY)
            if rrule == nil && rdates.isEmpty {
                let e = occurrence(dtstart, key: uid)
                return overlaps(e) ? [e] : []
            }
            // A series: DTSTART, the RRULE's occurrences and the RDATEs, less the EXDATEs and
            // the occurrences that an override replaces.
            let exdates = times(event, ICAL_EXDATE_PROPERTY)
            let excluded = Set(exdates.map { stamp($0.0, tzid: $0.1) })
            // `EXDATE;VALUE=DATE` on a timed series: every occurrence of that local day.
            let excludedDays = allDay ? [] : Set(exdates.filter { $0.0.is_date != 0 }.map { stamp($0.0) })
            // THISANDFUTURE moves: occurrences this far outside the window may move into it.
            let moves = (futures[uid] ?? []).sorted { $0.from < $1.from }
            let slack = moves.map { abs($0.shift.micros) / 1_000_000 + ($0.length?.micros ?? 0) / 1_000_000 }.max() ?? 0
            var starts: [icaltimetype] = [dtstart]
            let end = Double((window.end.micros / 1_000_000) + slack)
            if let rrule {
                let written = icalproperty_get_rrule(rrule)
                try ICSReader.check(written, allDay: allDay, line: line, uid: uid)
                // Occurrences starting over `fieldsMargin` before the window, less the event's
                // length, cannot reach it, whatever the zone.
                let first =
                    shortcuts
                    ? ICSReader.rebased(
                        dtstart, written,
                        notAfter: window.start - .seconds(length + slack + Int64(ICSReader.fieldsMargin)))
                    : dtstart
                let allowance = budget.left
                let (rule, stepCapped) =
                    shortcuts
                    ? ICSReader.bounded(written, from: first, to: window.end + .seconds(slack), steps: allowance)
                    : (written, false)
                guard let iterator = icalrecur_iterator_new(rule, first) else {
                    throw ImportError("line \(line): event '\(uid)' has an RRULE libical cannot expand")
                }
                defer { icalrecur_iterator_free(iterator) }
                starts = []
                // COUNT is counted here (`bounded` gives libical an UNTIL instead).
                let count = written.count > 0 ? Int(written.count) : Int.max
                var produced = 0
                var pastWindow = false
                var last = first
                while produced < count {
                    let t = icalrecur_iterator_next(iterator)
                    guard icaltime_is_null_time(t) == 0 else {
                        last = rule.until  // stepped to it, finding nothing more
                        break
                    }
                    produced += 1
                    last = t
                    var local = t
                    local.zone = dtstart.zone
                    // The zone is asked only near the window's end (libical's conversion is most
                    // of what an occurrence costs).
                    let fields = ICSReader.fieldSeconds(local)
                    if fields >= end + ICSReader.fieldsMargin
                        || (fields > end - ICSReader.fieldsMargin && instant(local) >= window.end + .seconds(slack))
                    {
                        pastWindow = true
                        break
                    }
                    starts.append(local)
                    budget.expansions -= 1
                    guard budget.expansions >= 0 else {
                        throw ImportError(
                            "line \(line): event '\(uid)' repeats too often to expand (the calendar's series reach over \(maxExpansions) occurrences from their starts to the end of the window)"
                        )
                    }
                }
                if shortcuts { budget.left -= min(allowance, ICSReader.steps(rule, from: first, to: last)) }
                if stepCapped && !pastWindow && produced < count {
                    throw ImportError(
                        "line \(line): event '\(uid)' repeats too rarely to expand (\(allowance) steps of its rule from its DTSTART found \(produced) of its occurrences; a calendar's rules get \(maxSteps) in all): move its DTSTART nearer the window"
                    )
                }
            }
            for (t, tzid) in rdates {
                var local = t
                if local.zone == nil, let tzid { local.zone = zone(t, tzid: tzid) }
                if local.zone == nil { local.zone = dtstart.zone }
                starts.append(local)
            }
            var seen: Set<String> = []
            var out: [CalendarEvent] = []
            let start = Double(window.start.micros / 1_000_000)
            for t in starts {
                // Long before the window: no occurrence to build, no zone to ask.
                if ICSReader.fieldSeconds(t) + Double(length + slack) + ICSReader.fieldsMargin < start { continue }
                var e = occurrence(t, key: uid)
                if let move = moves.last(where: { $0.from < e.start }) {
                    let length = move.length ?? (e.end - e.start)
                    e.start = e.start + move.shift
                    e.end = e.start + length
                    e.summary = move.summary ?? e.summary
                    e.location = move.location ?? e.location
                }
                guard overlaps(e) else { continue }
                let s = stamp(t)
                guard !excluded.contains(s), !excludedDays.contains(ICSReader.day(t)),
                    !overridden.contains(uid + "@" + s), seen.insert(s).inserted
                else {
                    continue
                }
                e.key = uid + "@" + s
                out.append(e)
                guard out.count <= maxOccurrences else {
                    throw ImportError(
                        "line \(line): event '\(uid)' has over \(maxOccurrences) occurrences in the window: shorten the window with --days"
                    )
                }
            }
            return out.sorted { $0.start < $1.start }
        }
    }
}
