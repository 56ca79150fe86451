// iCalendar (RFC 5545) reading through libical: VEVENTs with their summary, location and
// start/end as instants. The bookings and program import builds on this.

import CICal
import CantineCore
import Foundation

/// A calendar event read from an .ics file.
public struct CalendarEvent: Equatable, Sendable {
    public var uid: String?
    public var summary: String
    public var location: String?
    public var start: Instant
    /// DTEND, or DTSTART + DURATION; equal to `start` when neither is given (RFC 5545 §3.6.1).
    public var end: Instant?
}

/// A one-line import error.
public struct ImportError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads iCalendar text with libical.
public enum ICSReader {
    /// The VEVENTs of `text`, in file order. Floating times are read in `timeZone`.
    public static func events(in text: String, timeZone: String = "Europe/Paris") throws(ImportError) -> [CalendarEvent]
    {
        guard let root = icalparser_parse_string(text) else {
            throw ImportError("not an iCalendar file: expected BEGIN:VCALENDAR … END:VCALENDAR")
        }
        defer { icalcomponent_free(root) }
        guard icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT else {
            throw ImportError("not an iCalendar file: the top component is not VCALENDAR")
        }
        let zone = icaltimezone_get_builtin_timezone(timeZone)
        var out: [CalendarEvent] = []
        var c = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT)
        var index = 0
        while let event = c {
            index += 1
            let start = icalcomponent_get_dtstart(event)
            guard icaltime_is_null_time(start) == 0 else {
                throw ImportError("event \(index) has no DTSTART: every VEVENT needs a start")
            }
            let end = icalcomponent_get_dtend(event)
            func instant(_ t: icaltimetype) -> Instant {
                Instant(seconds: Int64(icaltime_as_timet_with_zone(t, t.zone == nil ? zone : t.zone)))
            }
            func string(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
            out.append(
                CalendarEvent(
                    uid: string(icalcomponent_get_uid(event)),
                    summary: string(icalcomponent_get_summary(event)) ?? "",
                    location: string(icalcomponent_get_location(event)),
                    start: instant(start),
                    end: icaltime_is_null_time(end) == 0 ? instant(end) : nil))
            c = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)
        }
        return out
    }
}
