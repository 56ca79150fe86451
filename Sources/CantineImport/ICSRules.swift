// Recurrence rules whose filters can never match, refused before libical sees them: libical's
// monthly and yearly iterators look for the next period with a match up to the year 2582
// whatever the UNTIL (`FREQ=MONTHLY;BYDAY=6SU`: 0.7 s; `FREQ=YEARLY;BYMONTH=10;BYDAY=21SU` in a
// VTIMEZONE: 80 ms each time the zone is worked out), and its sub-daily ones step every hour.
// Checked on the rule's text as parsed: what the filters allow, not what a date does.

import CICal

extension ICSReader {
    /// Why `rule`'s filters can never (or, for its frequency, should never) select a time,
    /// or nil. RFC 5545's own limits (numbered BYDAY only in MONTHLY and YEARLY rules) and
    /// the sizes of months, years and weeks.
    static func barren(_ rule: icalrecurrencetype) -> String? {
        guard rule.rscale == nil else { return "RSCALE (a non-Gregorian calendar) is not read" }
        // Each BYDAY's number: 0 for every such weekday of the period, n for the nth.
        let days = values(rule.by_day).map { Int(icalrecurrencetype_day_position($0)) }
        let months = values(rule.by_month).map { Int(icalrecurrencetype_month_month($0)) }
        let monthDays = values(rule.by_month_day).map(Int.init)
        let yearDays = values(rule.by_year_day).map(Int.init)
        let weeks = values(rule.by_week_no).map(Int.init)
        let positions = values(rule.by_set_pos).map(Int.init)
        let monthly = rule.freq == ICAL_MONTHLY_RECURRENCE
        let yearly = rule.freq == ICAL_YEARLY_RECURRENCE
        let inMonth = monthly || (yearly && !months.isEmpty)

        if let position = days.first(where: { $0 != 0 }) {
            let limit = inMonth ? 5 : 53
            guard monthly || yearly else {
                return "a numbered BYDAY (\(position)) is only for MONTHLY and YEARLY rules"
            }
            guard abs(position) <= limit else {
                return
                    "BYDAY=\(position)… asks for a weekday past the \(inMonth ? "5th of a month" : "53rd of a year")"
            }
            guard monthDays.isEmpty, yearDays.isEmpty, weeks.isEmpty else {
                return "a numbered BYDAY with BYMONTHDAY, BYYEARDAY or BYWEEKNO: say the day one way"
            }
        }
        // Most days in each month a rule may name (a leap February).
        let lengths = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let named = months.isEmpty ? Array(1...12) : months.filter { (1...12).contains($0) }
        if !monthDays.isEmpty, !named.contains(where: { m in monthDays.contains { abs($0) <= lengths[m - 1] } }) {
            return "BYMONTHDAY=\(monthDays[0]) is in none of its months"
        }
        if !yearDays.isEmpty, !months.isEmpty {
            // The months each day of the year may fall in, leap year or not.
            func monthsOf(_ yearDay: Int) -> Set<Int> {
                var found: Set<Int> = []
                for leap in [false, true] {
                    let total = leap ? 366 : 365
                    let day = yearDay > 0 ? yearDay : total + yearDay + 1
                    var start = 0
                    for (i, n) in lengths.enumerated() {
                        let length = i == 1 && !leap ? 28 : n
                        if day > start && day <= start + length { found.insert(i + 1) }
                        start += length
                    }
                }
                return found
            }
            guard yearDays.contains(where: { !monthsOf($0).isDisjoint(with: months) }) else {
                return "BYYEARDAY=\(yearDays[0]) is in none of its months"
            }
        }
        if !weeks.isEmpty, !months.isEmpty {
            // Week n holds days 7n−9 to 7n+3 of its year, whatever weekday the year begins on
            // (a week more either side: another WKST, a year of 52 weeks for a negative n).
            func monthsOf(_ week: Int) -> Set<Int> {
                let n = week > 0 ? week : 53 + week + 1
                let (first, last) = (max(1, 7 * n - 16), min(366, 7 * n + 10))
                var found: Set<Int> = []
                var start = 0
                for (i, length) in lengths.enumerated() {
                    if first <= start + length && last > start { found.insert(i + 1) }
                    start += length
                }
                return found
            }
            guard weeks.contains(where: { !monthsOf($0).isDisjoint(with: months) }) else {
                return "BYWEEKNO=\(weeks[0]) is in none of its months"
            }
        }
        if let position = positions.map(abs).max() {
            // The most times one period can hold: its days times BYHOUR, BYMINUTE, BYSECOND.
            let periodDays: Int =
                switch rule.freq {
                case ICAL_YEARLY_RECURRENCE: 366
                case ICAL_MONTHLY_RECURRENCE: 31
                case ICAL_WEEKLY_RECURRENCE: 7
                default: 1
                }
            var most = periodDays
            if !monthDays.isEmpty {
                most = min(most, monthDays.count * (yearly ? named.count : 1))
            } else if !days.isEmpty && yearDays.isEmpty && weeks.isEmpty {
                let perDay = days.map { $0 != 0 ? 1 : (monthly ? 5 : yearly ? 53 : 1) }
                most = min(most, perDay.reduce(0, +) * (yearly && !months.isEmpty ? months.count : 1))
            }
            for count in [values(rule.by_hour).count, values(rule.by_minute).count, values(rule.by_second).count]
            where count > 0 {
                most *= count
            }
            guard position <= most else {
                return "BYSETPOS=\(position) asks for more than the \(most) times a period holds"
            }
        }
        return nil
    }

    /// The values of one of libical's `BY…` arrays: `array` is the C `short` array, imported
    /// as a tuple of `Int16` (not an `Any`: its bytes would be the box's), ended by
    /// `ICAL_RECURRENCE_ARRAY_MAX` unless full.
    static func values<T>(_ array: T) -> [Int16] {
        withUnsafeBytes(of: array) { raw in
            Array(raw.bindMemory(to: Int16.self).prefix { $0 != Int16(ICAL_RECURRENCE_ARRAY_MAX.rawValue) })
        }
    }
}
