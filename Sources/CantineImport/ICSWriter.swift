// iCalendar export of a day's program, built and serialized by libical (the calendar feed
// SpaceAPI and other displays point to).

import CICal
import CantineCore
import Foundation

/// Writes program sessions as an iCalendar file.
public enum ICSWriter {
    /// A VCALENDAR with one VEVENT per session (times in UTC, UIDs stable per site and
    /// session, so a calendar client updates rather than duplicates on refresh).
    public static func calendar(_ sessions: [ProgramSession], site: FrabSchedule.Site, stamp: Instant) -> String {
        let utc = icaltimezone_get_utc_timezone()
        func time(_ t: Instant) -> icaltimetype {
            icaltime_from_timet_with_zone(time_t(t.micros / 1_000_000), 0, utc)
        }
        guard let root = icalcomponent_new(ICAL_VCALENDAR_COMPONENT) else { return "" }
        defer { icalcomponent_free(root) }
        icalcomponent_add_property(root, icalproperty_new_version("2.0"))
        icalcomponent_add_property(root, icalproperty_new_prodid("-//Cantine//\(site.id)//EN"))
        icalcomponent_add_property(root, icalproperty_new_method(ICAL_METHOD_PUBLISH))
        for (name, value) in [("X-WR-CALNAME", site.name), ("X-WR-TIMEZONE", site.timeZone)] {
            guard let p = icalproperty_new_x(value) else { continue }
            icalproperty_set_x_name(p, name)
            icalcomponent_add_property(root, p)
        }
        for s in sessions.sorted(by: { ($0.start, $0.id) < ($1.start, $1.id) }) {
            guard let e = icalcomponent_new(ICAL_VEVENT_COMPONENT) else { continue }
            icalcomponent_add_property(e, icalproperty_new_uid("\(s.id)@\(site.id).cantine"))
            icalcomponent_add_property(e, icalproperty_new_dtstamp(time(stamp)))
            icalcomponent_add_property(e, icalproperty_new_dtstart(time(s.start)))
            icalcomponent_add_property(e, icalproperty_new_dtend(time(s.end)))
            icalcomponent_add_property(e, icalproperty_new_summary(s.title))
            if let room = site.roomName(s.room) { icalcomponent_add_property(e, icalproperty_new_location(room)) }
            let about = [s.speakers.joined(separator: ", "), s.details?.abstract ?? ""].filter { !$0.isEmpty }
            if !about.isEmpty {
                icalcomponent_add_property(e, icalproperty_new_description(about.joined(separator: "\n\n")))
            }
            // libical writes a URI as given: only a clean http(s) URL, never a line of its own.
            icalcomponent_add_property(
                e, icalproperty_new_url(FrabSchedule.webURL(s.details?.url) ?? "\(site.baseURL)/program#s-\(s.id)"))
            // CATEGORIES is a list: libical escapes backslashes and newlines but writes commas
            // and semicolons as they are, so a category's own go through as placeholders
            // written `\,` and `\;` at the end (RFC 5545 §3.3.11).
            let categories = [s.kind.rawValue] + [s.track].compactMap { $0 }
            icalcomponent_add_property(
                e,
                icalproperty_new_categories(
                    categories.map {
                        $0.replacingOccurrences(of: ",", with: Self.comma).replacingOccurrences(
                            of: ";", with: Self.semicolon)
                    }.joined(separator: ",")))
            icalcomponent_add_component(root, e)
        }
        guard let text = icalcomponent_as_ical_string_r(root) else { return "" }
        defer { free(text) }
        return String(cString: text).replacingOccurrences(of: Self.comma, with: "\\,")
            .replacingOccurrences(of: Self.semicolon, with: "\\;")
    }

    /// A comma and a semicolon inside a category while libical writes it (private-use characters).
    static let comma = "\u{E000}"
    static let semicolon = "\u{E001}"
}
