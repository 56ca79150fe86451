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
    public var track: String?
    /// Everything else the schedule says (type, persons, abstract, links, ids), kept.
    public var details: SessionDetails
    /// JSON path of the talk, for messages: `$.schedule.conference.days[0].rooms["Salle 1"][2]`.
    public var path: String

    /// Speakers' names as printed.
    public var persons: [String] { details.persons.map(\.name) }
}

/// Reads and writes frab-compatible schedule.json.
public enum FrabSchedule {
    /// The talks of a schedule.json (frab's and pretalx's format, as the c3voc schema describes
    /// it), by start then room. Unknown fields are ignored; links and attachments may be URLs
    /// or `{url, title}` objects, tracks names or `{name}` objects, persons `{id, public_name}`
    /// (frab) or `{code, name}` (pretalx).
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
        if let events = root.schedule.events {
            talks = try version2(
                events, rooms: root.schedule.conference.rooms ?? [], tracks: root.schedule.conference.tracks ?? [])
        }
        for (d, day) in root.schedule.conference.days.enumerated() where root.schedule.events == nil {
            guard let rooms = day.rooms else {
                throw ImportError(
                    "$.schedule.conference.days[\(d)].rooms: missing (schedule v1 lists talks in each day's rooms; v2 in schedule.events)"
                )
            }
            for (roomName, list) in rooms.sorted(by: { $0.key < $1.key }) {
                for (i, t) in list.enumerated() {
                    let path = "$.schedule.conference.days[\(d)].rooms[\"\(roomName)\"][\(i)]"
                    talks.append(try talk(t, room: t.room ?? roomName, path: path))
                }
            }
        }
        return talks.sorted { ($0.start, $0.room) < ($1.start, $1.room) }
    }

    /// Schedule v2 (c3voc `schedule2`): one flat list of events with start and end, rooms and
    /// tracks as references, participants instead of persons, breaks as meta events.
    static func version2(_ events: [EventV2], rooms: [RoomEntry], tracks: [TrackEntry]) throws(ImportError)
        -> [ScheduleTalk]
    {
        var talks: [ScheduleTalk] = []
        for (i, e) in events.enumerated() {
            let path = "$.schedule.events[\(i)]"
            guard let start = parseDate(e.start) else {
                throw ImportError(
                    "\(path).start: '\(e.start)' is not a date-time with its offset (2026-11-21T10:00:00+01:00)")
            }
            guard let end = parseDate(e.end), end > start, end - start <= .seconds(ICSReader.maxLength) else {
                throw ImportError("\(path).end: '\(e.end)' is not a date-time after the start, within a year")
            }
            let title = e.title.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !title.isEmpty else { throw ImportError("\(path).title: an event needs a title") }
            let room = e.room.flatMap { r in r.name ?? rooms.first { $0.guid != nil && $0.guid == r.guid }?.name }
            if e.room != nil && room == nil {
                throw ImportError("\(path).room: guid '\(e.room?.guid ?? "")' is not in schedule.conference.rooms")
            }
            let key = e.guid ?? "meta:\(e.start)/\(title)"
            let text = { (s: String?) in
                s.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
            }
            let details = SessionDetails(
                guid: e.guid, slug: text(e.slug), url: webURL(e.url), subtitle: text(e.subtitle),
                abstract: text(e.abstract?.text), description: text(e.description?.text), language: text(e.language),
                type: text(e.type),
                persons: (e.participants ?? []).compactMap { p in text(p.name).map { SessionDetails.Person(name: $0) }
                },
                links: (e.links ?? []).compactMap(\.link), attachments: (e.attachments ?? []).compactMap(\.link))
            talks.append(
                ScheduleTalk(
                    key: key, title: title, room: room ?? "", start: start, end: end,
                    track: text(
                        e.track?.name ?? tracks.first { $0.slug != nil && $0.slug == e.track?.slug }?.name
                            ?? e.track?.slug),
                    details: details, path: path))
        }
        return talks
    }

    static func talk(_ t: Talk, room: String, path: String) throws(ImportError) -> ScheduleTalk {
        guard let start = parseDate(t.date) else {
            throw ImportError(
                "\(path).date: '\(t.date)' is not a date-time with its offset (2026-11-21T10:00:00+01:00)")
        }
        guard let minutes = parseDuration(t.duration), minutes > 0 else {
            throw ImportError(
                "\(path).duration: '\(t.duration)' is not a length: HH:MM, from 00:01 to \(maxHours):00")
        }
        let title = t.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw ImportError("\(path).title: a talk needs a title") }
        guard let key = t.guid ?? t.id.map({ "id:\($0.text)" }) else {
            throw ImportError("\(path): a talk needs a guid or an id, which make re-imports update it")
        }
        func text(_ s: String?) -> String? {
            s.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        }
        let details = SessionDetails(
            sourceID: t.id.flatMap { Int($0.text) }, guid: t.guid, slug: text(t.slug), url: webURL(t.url),
            subtitle: text(t.subtitle), abstract: text(t.abstract), description: text(t.description),
            language: text(t.language), type: text(t.type),
            persons: (t.persons ?? []).compactMap { p in
                text(p.public_name ?? p.name).map { SessionDetails.Person(name: $0, id: p.id, code: p.code) }
            },
            links: (t.links ?? []).compactMap(\.link), attachments: (t.attachments ?? []).compactMap(\.link))
        return ScheduleTalk(
            key: key, title: title, room: room, start: start, end: start + .minutes(Int64(minutes)),
            track: text(t.track?.name), details: details, path: path)
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
        guard parts.count == texts.count, parts.count == 2 || parts.count == 3, (0...maxHours).contains(parts[0]),
            (0...59).contains(parts[1]), parts[0] < maxHours || parts[1] == 0
        else { return nil }
        return parts[0] * 60 + parts[1]
    }

    /// The longest talk read, in hours (a year, as calendars).
    static let maxHours = 366 * 24

    /// `text` if it is a clean http(s) URL (no spaces or control characters: it is written
    /// into other formats as it is), else nil.
    public static func webURL(_ text: String?) -> String? {
        guard let t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty,
            t.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }),
            let url = URL(string: t), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil
        else { return nil }
        return t
    }

    // MARK: The format

    struct Root: Codable {
        var schedule: Schedule
        var generator: Generator?
    }

    struct Generator: Codable {
        var name: String
        var version: String?
    }

    struct Schedule: Codable {
        var version: String?
        var base_url: String?
        var conference: Conference
        /// Schedule v2's events (v1 lists them in the days' rooms).
        var events: [EventV2]?
    }

    struct Conference: Codable {
        var acronym: String?
        var title: String?
        var start: String?
        var end: String?
        var daysCount: Int?
        var timeslot_duration: String?
        var time_zone_name: String?
        var url: String?
        var rooms: [RoomEntry]?
        var tracks: [TrackEntry]?
        var days: [Day]
    }

    struct TrackEntry: Codable {
        var name: String?
        var slug: String?
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
        /// Talks by room name (v1; absent in v2).
        var rooms: [String: [Talk]]?
    }

    /// A v2 event or meta event (a break).
    struct EventV2: Codable {
        var guid: String?
        var title: String
        var start: String
        var end: String
        var room: Reference?
        var track: Reference?
        var type: String?
        var slug: String?
        var url: String?
        var subtitle: String?
        var language: String?
        var abstract: Localized?
        var description: Localized?
        var participants: [Participant]?
        var links: [LinkItem]?
        var attachments: [LinkItem]?
    }

    /// A v2 room or track reference: `{guid, name, slug}`, or a bare name.
    struct Reference: Codable {
        var guid: String?
        var name: String?
        var slug: String?
        init(from decoder: any Decoder) throws {
            if let name = try? decoder.singleValueContainer().decode(String.self) {
                (guid, self.name, slug) = (nil, name, nil)
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guid = try c.decodeIfPresent(String.self, forKey: .guid)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            slug = try c.decodeIfPresent(String.self, forKey: .slug)
        }
    }

    struct Participant: Codable {
        var name: String?
        var guid: String?
        var role: String?
    }

    /// v2 text that may be given per language (`{"en": …, "de": …}`): English, else the first.
    struct Localized: Codable {
        var text: String?
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                text = nil
            } else if let s = try? c.decode(String.self) {
                text = s
            } else {
                let byLanguage = try c.decode([String: String?].self)
                text =
                    byLanguage["en"].flatMap { $0 } ?? byLanguage.sorted { $0.key < $1.key }.compactMap(\.value).first
            }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(text)
        }
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

    /// A person: `{id, public_name}` (frab), `{code, name, public_name}` (pretalx), or a bare name.
    struct Person: Codable {
        var id: Int?
        var code: String?
        var public_name: String?
        var name: String?
        init(id: Int?, code: String?, public_name: String?, name: String?) {
            (self.id, self.code, self.public_name, self.name) = (id, code, public_name, name)
        }
        init(from decoder: any Decoder) throws {
            if let name = try? decoder.singleValueContainer().decode(String.self) {
                self.init(id: nil, code: nil, public_name: name, name: nil)
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let id = try c.decodeIfPresent(FlexibleID.self, forKey: .id)
            self.init(
                id: id.flatMap { Int($0.text) }, code: try c.decodeIfPresent(String.self, forKey: .code),
                public_name: try c.decodeIfPresent(String.self, forKey: .public_name),
                name: try c.decodeIfPresent(String.self, forKey: .name))
        }
    }

    /// A link or attachment: `{url, title}` as the schema has it, or a bare URL (older exports).
    struct LinkItem: Codable {
        var url: String
        var title: String
        /// The link, when its URL is a clean http(s) one (others are left out).
        var link: SessionDetails.Link? { webURL(url).map { SessionDetails.Link(url: $0, title: title) } }
        init(url: String, title: String) { (self.url, self.title) = (url, title) }
        init(from decoder: any Decoder) throws {
            if let url = try? decoder.singleValueContainer().decode(String.self) {
                self.init(url: url, title: url)
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let url = try c.decode(String.self, forKey: .url)
            self.init(url: url, title: try c.decodeIfPresent(String.self, forKey: .title) ?? url)
        }
    }

    /// A track: a name, or an object with one (`{name, color, slug}`).
    struct Track: Codable {
        var name: String?
        init(_ name: String?) { self.name = name }
        init(from decoder: any Decoder) throws {
            if let name = try? decoder.singleValueContainer().decode(String.self) {
                self.name = name
                return
            }
            if (try? decoder.singleValueContainer().decodeNil()) == true {
                self.name = nil
                return
            }
            self.name = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .name)
        }
        enum CodingKeys: String, CodingKey { case name }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(name)
        }
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
        var url: String?
        var track: Track?
        var type: String?
        var language: String?
        var abstract: String?
        var description: String?
        var persons: [Person]?
        var links: [LinkItem]?
        var attachments: [LinkItem]?
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
        /// Where the program is published (`https://cantine.example.org`): event URLs point
        /// to `<base>/program#<id>` unless the source gave one.
        public var baseURL: String

        public init(
            id: String, name: String, timeZone: String, rooms: [(id: String, name: String)], language: String,
            baseURL: String = "http://localhost"
        ) {
            self.id = id
            self.name = name
            self.timeZone = timeZone
            self.rooms = rooms
            self.language = language
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        }

        func roomName(_ id: RoomID?) -> String? { id.flatMap { r in rooms.first { $0.id == r.rawValue }?.name } }

        /// The frab room that holds site-wide sessions (breaks): the site itself, which an
        /// import of the export reads back as site-wide.
        var wholeSite: String { name }
    }

    /// The program over `days` as a frab schedule.json (the c3voc schema): each session once,
    /// on the day it starts; a site-wide break once, in a room named after the site.
    public static func export(_ sessions: [ProgramSession], days: [LocalDate], site: Site) -> Data {
        let program = Program(sessions, days: days, site: site)
        let root = Root(
            schedule: Schedule(
                version: program.version, base_url: site.baseURL + "/program/",
                conference: Conference(
                    acronym: program.acronym, title: site.name, start: program.days.first.map { "\($0.date)" } ?? "",
                    end: program.days.last.map { "\($0.date)" } ?? "", daysCount: program.days.count,
                    timeslot_duration: "00:15", time_zone_name: program.zoneName, url: site.baseURL + "/program",
                    rooms: program.rooms.map { RoomEntry(name: $0.name, guid: $0.guid) }, tracks: nil,
                    days: program.days.map { day in
                        Day(
                            index: day.index, date: "\(day.date)", day_start: day.start, day_end: day.end,
                            rooms: Dictionary(
                                day.rooms.map { room in (room.name, room.events.map(\.talk)) },
                                uniquingKeysWith: { a, b in a + b }))
                    })),
            generator: Generator(name: "cantine", version: program.generator))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(root)) ?? Data()
    }

    /// One day's program (see `export(_:days:site:)`).
    public static func export(_ sessions: [ProgramSession], date: LocalDate, site: Site) -> Data {
        export(sessions, days: [date], site: site)
    }

    /// The program as both exports lay it out: days, rooms, events with every field the
    /// c3voc schema and frab's XSD require.
    struct Program {
        struct Event {
            var id: Int
            var guid: String
            var date: String
            var start: String
            var duration: String
            var room: String
            var slug: String
            var url: String
            var title: String
            var subtitle: String
            var track: String?
            var type: String
            var language: String
            var abstract: String
            var description: String
            var persons: [SessionDetails.Person]
            var links: [SessionDetails.Link]
            var attachments: [SessionDetails.Link]

            var talk: Talk {
                Talk(
                    guid: guid, id: FlexibleID(String(id)), date: date, start: start, duration: duration, room: room,
                    slug: slug, title: title, subtitle: subtitle, url: url, track: Track(track), type: type,
                    language: language, abstract: abstract, description: description,
                    // One shape or the other (the schema's oneOf refuses a person that is both).
                    persons: persons.map { p in
                        p.code != nil
                            ? Person(id: p.id, code: p.code, public_name: nil, name: p.name)
                            : Person(id: p.id ?? personID(p.name), code: nil, public_name: p.name, name: nil)
                    },
                    links: links.map { LinkItem(url: $0.url, title: $0.title) },
                    attachments: attachments.map { LinkItem(url: $0.url, title: $0.title) })
            }
        }
        struct Room {
            /// The site's room id; nil for the room standing for the whole site.
            var id: String?
            var name: String
            var guid: String
            var events: [Event]
        }
        struct Day {
            var index: Int
            var date: LocalDate
            var start: String
            var end: String
            var rooms: [Room]
        }

        var acronym: String
        /// The site's zone where the schema's pattern takes it (`Area/City` or `UTC`; the
        /// field is optional, and every time carries its offset anyway).
        var zoneName: String?
        var version: String
        var generator: String
        var rooms: [(name: String, guid: String)]
        var days: [Day]

        init(_ sessions: [ProgramSession], days dates: [LocalDate], site: Site) {
            let calendar = SiteCalendar.cached(site.timeZone)
            let iso = ISO8601DateFormatter()
            iso.timeZone = TimeZone(identifier: site.timeZone) ?? .gmt
            func hhmm(_ minutes: Int64) -> String {
                let (h, m) = (minutes / 60, minutes % 60)
                return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
            }
            let language = String(site.language.prefix { $0.isLetter }).lowercased()
            let base = String(
                site.id.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.drop { !$0.isLetter }.prefix(40))
            // The schema's acronym: at least 4 of a-z 0-9 _ (a dash only first).
            self.acronym = base.count >= 4 ? base : base + (base.isEmpty ? "" : "_") + "cantine"
            self.zoneName =
                site.timeZone == "UTC"
                    || site.timeZone.wholeMatch(of: /[A-Z][a-z]+\/[A-Z][a-z_]+(\/[A-Za-z_]+)?/) != nil
                ? site.timeZone : nil
            let hasSiteWide = sessions.contains { $0.room == nil }
            // Rooms are keyed by name in both formats: two with one name (or one named like the
            // site) are told apart by their id.
            var rooms = site.rooms.map {
                (id: Optional($0.id), name: $0.name, guid: stableUUID("\(site.id)/room/\($0.id)"))
            }
            if hasSiteWide { rooms.append((nil, site.wholeSite, stableUUID("\(site.id)/room/*"))) }
            var named: [String: Int] = [:]
            for r in rooms { named[r.name.lowercased(), default: 0] += 1 }
            rooms = rooms.map { r in
                (named[r.name.lowercased()] ?? 0) > 1 ? (r.id, "\(r.name) (\(r.id ?? "*"))", r.guid) : r
            }
            self.rooms = rooms.map { ($0.name, $0.guid) }
            let acronym = self.acronym
            let wanted = Set(dates)
            var byDay: [LocalDate: [ProgramSession]] = [:]
            for s in sessions where wanted.contains(calendar.date(of: s.start)) {
                byDay[calendar.date(of: s.start), default: []].append(s)
            }
            let known = Set(site.rooms.map(\.id))
            // Ids, guids and slugs are unique in an export (frab's XSD checks it): a source's
            // own is kept unless another session took it first (two feeds' `id: 101`).
            var ids: Set<Int> = []
            var guids: Set<String> = []
            var slugs: Set<String> = []
            func unique<T: Hashable>(_ own: T?, _ derived: T, in used: inout Set<T>) -> T {
                let value = own.flatMap { used.contains($0) ? nil : $0 } ?? derived
                used.insert(value)
                return value
            }
            self.days = dates.sorted().enumerated().map { i, date in
                let list = (byDay[date] ?? []).sorted { ($0.start, $0.id) < ($1.start, $1.id) }
                let opens = calendar.instant(date, hour: 0)
                let closes = max(
                    calendar.instant(calendar.adding(days: 1, to: date), hour: 0),
                    list.map(\.end).max() ?? opens)
                let dayRooms = rooms.map { room in
                    Room(
                        id: room.id, name: room.name, guid: room.guid,
                        events: list.filter { s in
                            if let r = s.room, known.contains(r.rawValue) { return r.rawValue == room.id }
                            return s.room == nil && room.id == nil
                        }.map { s in
                            let d = s.details ?? SessionDetails()
                            let id = unique(d.sourceID, numericID("\(site.id)/\(s.id)"), in: &ids)
                            let guid = unique(
                                d.guid.flatMap { UUID(uuidString: $0) == nil ? nil : $0.lowercased() },
                                stableUUID("\(site.id)/session/\(s.id)"), in: &guids)
                            let slug = unique(
                                d.slug, slug("\(acronym)-\(id)-\(s.title)"), in: &slugs)
                            return Event(
                                id: id, guid: guid,
                                date: iso.string(from: s.start.date), start: calendar.hhmm(s.start),
                                duration: hhmm((s.end - s.start).micros / 60_000_000), room: room.name,
                                slug: slug,
                                url: d.url ?? "\(site.baseURL)/program#s-\(s.id)", title: s.title,
                                subtitle: d.subtitle ?? "", track: s.track,
                                type: d.type ?? s.kind.rawValue.prefix(1).uppercased() + s.kind.rawValue.dropFirst(),
                                language: d.language ?? language, abstract: d.abstract ?? "",
                                description: d.description ?? "",
                                persons: d.persons.isEmpty
                                    ? s.speakers.map { SessionDetails.Person(name: $0) } : d.persons,
                                links: d.links, attachments: d.attachments)
                        })
                }
                return Day(
                    index: i + 1, date: date, start: iso.string(from: opens.date), end: iso.string(from: closes.date),
                    rooms: dayRooms)
            }
            // The version changes when the program does (frab consumers re-read on a new version).
            let digest = FrabSchedule.numericID(
                sessions.sorted { $0.id < $1.id }.map { "\($0)" }.joined(separator: "|"))
            self.version = "\(dates.first.map { "\($0)" } ?? "") #\(String(digest, radix: 36))"
            self.generator = "1"
        }
    }

    /// A positive 31-bit number derived from `text`: the export's stable event id.
    public static func numericID(_ text: String) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return Int(h % 2_000_000_000) + 1
    }

    /// A person without an id of their own gets one from their name (frab persons need one).
    static func personID(_ name: String) -> Int { numericID("person/" + name) }

    /// `barcamp-2026-101-ouverture`: lower-case ASCII letters, digits and dashes.
    public static func slug(_ text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased()
        var out = ""
        for c in folded.unicodeScalars {
            if c.isASCII && (CharacterSet.alphanumerics.contains(c)) {
                out.unicodeScalars.append(c)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        return String(out.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(80))
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
