// The frab schedule.json format, as pretalx exports it (`schedule/export/schedule.json`):
// reading a conference or barcamp program, and writing a day's program for other displays.

import CantineCore
import Foundation

/// A talk (or any slot) read from a schedule.json.
public struct ScheduleTalk: Equatable, Sendable {
    /// The talk's guid (or `id:<id>` when the export has no guid): its identity across imports.
    public var key: String
    public var title: String
    /// The room's name as the schedule spells it.
    public var room: String
    public var start: Instant
    public var end: Instant
    public var type: String?
    public var track: String?
    public var persons: [String]
    public var abstract: String?
    /// JSON path of the talk, for messages: `$.schedule.conference.days[0].rooms["Salle 1"][2]`.
    public var path: String
}

/// Reads and writes frab-compatible schedule.json.
public enum FrabSchedule {
    /// The talks of a schedule.json, by start then room.
    public static func talks(in data: Data) throws(ImportError) -> [ScheduleTalk] {
        let root: Root
        do {
            root = try JSONDecoder().decode(Root.self, from: data)
        } catch let error as DecodingError {
            throw ImportError(describe(error))
        } catch {
            throw ImportError("not a schedule.json: \(error)")
        }
        var talks: [ScheduleTalk] = []
        for (d, day) in root.schedule.conference.days.enumerated() {
            for (roomName, list) in day.rooms.sorted(by: { $0.key < $1.key }) {
                for (i, t) in list.enumerated() {
                    let path = "$.schedule.conference.days[\(d)].rooms[\"\(roomName)\"][\(i)]"
                    guard let start = parseDate(t.date) else {
                        throw ImportError(
                            "\(path).date: '\(t.date)' is not a date-time with its offset (2026-11-21T10:00:00+01:00)")
                    }
                    guard let minutes = parseDuration(t.duration) else {
                        throw ImportError("\(path).duration: '\(t.duration)' is not a duration (HH:MM)")
                    }
                    let title = t.title.trimmingCharacters(in: .whitespacesAndNewlines)
                    guard !title.isEmpty else { throw ImportError("\(path).title: a talk needs a title") }
                    guard let key = t.guid ?? t.id.map({ "id:\($0.text)" }) else {
                        throw ImportError("\(path): a talk needs a guid or an id, which make re-imports update it")
                    }
                    talks.append(
                        ScheduleTalk(
                            key: key, title: title, room: t.room ?? roomName, start: start,
                            end: start + .minutes(Int64(minutes)), type: t.type, track: t.track,
                            persons: (t.persons ?? []).compactMap { $0.public_name ?? $0.name }, abstract: t.abstract,
                            path: path))
                }
            }
        }
        return talks.sorted { ($0.start, $0.room) < ($1.start, $1.room) }
    }

    /// A one-line description of a decoding error with its JSON path.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            "$"
                + keys.map { k in
                    if let i = k.intValue { return "[\(i)]" }
                    return k.stringValue.allSatisfy { $0.isLetter || $0 == "_" }
                        ? ".\(k.stringValue)" : "[\"\(k.stringValue)\"]"
                }.joined()
        }
        switch error {
        case .keyNotFound(let key, let c): return "\(path(c.codingPath + [key])): missing"
        case .typeMismatch(let type, let c): return "\(path(c.codingPath)): expected \(name(of: type))"
        case .valueNotFound(let type, let c): return "\(path(c.codingPath)): expected \(name(of: type)), found null"
        case .dataCorrupted(let c):
            if c.codingPath.isEmpty {
                let detail = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return "not valid JSON" + (detail.map { ": \($0)" } ?? "")
            }
            return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "not a schedule.json: \(error)"
        }
    }

    static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "a number"
        case is [Any].Type: "an array"
        default: "\(type)".hasPrefix("Dictionary") ? "an object" : "\(type)"
        }
    }

    static func parseDate(_ text: String) -> Instant? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: text) { return Instant(exactly: d) }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text).flatMap { Instant(exactly: $0) }
    }

    /// `HH:MM` or `HH:MM:SS` as minutes.
    static func parseDuration(_ text: String) -> Int? {
        let texts = text.split(separator: ":", omittingEmptySubsequences: false)
        let parts = texts.compactMap { Int($0) }
        guard parts.count == texts.count, parts.count == 2 || parts.count == 3, parts[0] >= 0,
            (0...59).contains(parts[1])
        else { return nil }
        return parts[0] * 60 + parts[1]
    }

    // MARK: The format

    struct Root: Codable {
        var schedule: Schedule
    }

    struct Schedule: Codable {
        var version: String?
        var base_url: String?
        var conference: Conference
    }

    struct Conference: Codable {
        var acronym: String?
        var title: String?
        var start: String?
        var end: String?
        var daysCount: Int?
        var timeslot_duration: String?
        var time_zone_name: String?
        var rooms: [RoomEntry]?
        var days: [Day]
    }

    struct RoomEntry: Codable {
        var name: String
        var guid: String?
    }

    struct Day: Codable {
        var index: Int?
        var date: String?
        var day_start: String?
        var day_end: String?
        var rooms: [String: [Talk]]
    }

    /// A talk id: pretalx writes numbers, some exports strings.
    struct FlexibleID: Codable {
        var text: String
        init(_ text: String) { self.text = text }
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) { text = String(n) } else { text = try c.decode(String.self) }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            if let n = Int(text) { try c.encode(n) } else { try c.encode(text) }
        }
    }

    struct Person: Codable {
        var public_name: String?
        var name: String?
    }

    struct Talk: Codable {
        var guid: String?
        var id: FlexibleID?
        var date: String
        var start: String?
        var duration: String
        var room: String?
        var slug: String?
        var title: String
        var subtitle: String?
        var track: String?
        var type: String?
        var language: String?
        var abstract: String?
        var description: String?
        var persons: [Person]?
        var links: [String]?
        var attachments: [String]?
    }
}

// MARK: - Export

extension FrabSchedule {
    /// A site as the exports name it.
    public struct Site: Sendable {
        public var id: String
        public var name: String
        public var timeZone: String
        /// Room ids with their display names, in layout order.
        public var rooms: [(id: String, name: String)]
        public var language: String

        public init(id: String, name: String, timeZone: String, rooms: [(id: String, name: String)], language: String) {
            self.id = id
            self.name = name
            self.timeZone = timeZone
            self.rooms = rooms
            self.language = language
        }

        func roomName(_ id: RoomID?) -> String? { id.flatMap { r in rooms.first { $0.id == r.rawValue }?.name } }
    }

    /// The program of `date` as a frab schedule.json (one day). A site-wide break appears in
    /// every room, as frab has no site-wide slots.
    public static func export(_ sessions: [ProgramSession], date: LocalDate, site: Site) -> Data {
        let calendar = SiteCalendar.cached(site.timeZone)
        let zone = TimeZone(identifier: site.timeZone) ?? .gmt
        let iso = ISO8601DateFormatter()
        iso.timeZone = zone
        func hm(_ t: Instant) -> String { String(calendar.text(t).suffix(5)) }
        func duration(_ a: Instant, _ b: Instant) -> String {
            let m = Int((b - a).seconds / 60)
            return (m / 60 < 10 ? "0" : "") + "\(m / 60):" + (m % 60 < 10 ? "0" : "") + "\(m % 60)"
        }
        let ordered = sessions.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
        var byRoom: [String: [Talk]] = [:]
        for room in site.rooms { byRoom[room.name] = [] }
        var number = 0
        for s in ordered {
            let rooms = s.room.flatMap { site.roomName($0) }.map { [$0] } ?? site.rooms.map(\.name)
            for room in rooms {
                number += 1
                byRoom[room, default: []].append(
                    Talk(
                        guid: stableUUID("\(site.id)/\(s.id)/\(room)"), id: FlexibleID(String(number)),
                        date: iso.string(from: s.start.date), start: hm(s.start), duration: duration(s.start, s.end),
                        room: room, slug: "\(site.id)-\(s.id)", title: s.title, subtitle: "", track: s.track,
                        type: s.kind.rawValue, language: site.language, abstract: "", description: "",
                        persons: s.speakers.map { Person(public_name: $0, name: nil) }, links: [], attachments: []))
            }
        }
        let dayStart = calendar.instant(date, hour: 0)
        let dayEnd = calendar.instant(calendar.adding(days: 1, to: date), hour: 0)
        let root = Root(
            schedule: Schedule(
                version: "\(date)", base_url: nil,
                conference: Conference(
                    acronym: site.id, title: "\(site.name) — \(date)", start: "\(date)", end: "\(date)", daysCount: 1,
                    timeslot_duration: "00:15", time_zone_name: site.timeZone,
                    rooms: site.rooms.map { RoomEntry(name: $0.name, guid: stableUUID("\(site.id)/room/\($0.id)")) },
                    days: [
                        Day(
                            index: 1, date: "\(date)", day_start: iso.string(from: dayStart.date),
                            day_end: iso.string(from: dayEnd.date), rooms: byRoom)
                    ])))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(root)) ?? Data()
    }

    /// A UUID-shaped id derived from `text` (version 8, "custom"): the same text, the same id.
    public static func stableUUID(_ text: String) -> String {
        func fnv(_ seed: UInt64) -> UInt64 {
            var h = seed
            for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
            return h
        }
        let a = fnv(0xcbf2_9ce4_8422_2325)
        let b = fnv(0x84222325_cbf29ce4)
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, digits - s.count)) + s.suffix(digits)
        }
        let timeHi = (a & 0x0fff) | 0x8000
        let clock = (b >> 48 & 0x3fff) | 0x8000
        return "\(hex(a >> 32, 8))-\(hex(a >> 16 & 0xffff, 4))-\(hex(timeHi, 4))-\(hex(clock, 4))-\(hex(b, 12))"
    }
}
