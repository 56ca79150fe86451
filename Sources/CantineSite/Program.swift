// The program as the site publishes it: today and every coming day that has a session, as
// frab schedule.json, frab schedule.xml and iCalendar, each with a validator (ETag) and the
// time this version was first published (Last-Modified), for the web's /program files.

import CantineCore
import CantineImport
import Foundation
import Synchronization

/// The published program at one moment.
public struct PublishedProgram: Sendable {
    /// A day and its sessions by start, with each room's display name (nil: the whole site).
    public struct Day: Sendable {
        public var date: LocalDate
        public var sessions: [(session: ProgramSession, room: String?)]
    }

    public var siteName: String
    /// The site's IANA zone: the program is in its local time.
    public var zone: String
    public var days: [Day]
    public var scheduleJSON: [UInt8]
    public var scheduleXML: [UInt8]
    public var ics: [UInt8]
    /// Changes whenever any file's content does (a digest of the program).
    public var etag: String
    /// When this version of the program was first published by this daemon.
    public var modified: Instant
}

/// Builds the published program from the live state; remembers when each version appeared.
public final class ProgramPublisher: Sendable {
    private let identity: FrabSchedule.Site
    private let engine: Engine
    private let calendar: SiteCalendar
    private let seen = Mutex<(etag: String, since: Instant)?>(nil)
    /// Days published ahead at most (a conference announced months ahead stays in its files).
    public static let horizonDays = 90

    public init(site identity: FrabSchedule.Site, engine: Engine) {
        self.identity = identity
        self.engine = engine
        self.calendar = SiteCalendar.cached(identity.timeZone)
    }

    /// The program's page, as people reach it (`<public_url>/program`).
    public var pageURL: String { identity.baseURL + "/program" }

    /// The program from today (local; from yesterday while a session of last night runs) through
    /// the last day with a session.
    public func current() -> PublishedProgram {
        let now = engine.now
        let today = calendar.date(of: now)
        let from = calendar.instant(today, hour: 0)
        let horizon = calendar.instant(calendar.adding(days: Self.horizonDays, to: today), hour: 0)
        let (found, programRooms) = engine.read { state in
            // Today's and the coming days', and last night's still running past midnight.
            (state.sessions.values.filter { $0.end > from && $0.start < horizon }, state.programRooms ?? [:])
        }
        let sessions = found.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
        // The site's rooms, then the program's own.
        var identity = self.identity
        identity.rooms += programRooms.values.sorted { $0.name < $1.name }.map { ($0.id.rawValue, $0.name) }
        let last = sessions.last.map { calendar.date(of: $0.start) } ?? today
        var dates = [min(today, sessions.first.map { calendar.date(of: $0.start) } ?? today)]
        while let d = dates.last, d < last { dates.append(calendar.adding(days: 1, to: d)) }
        let json = FrabSchedule.export(sessions, days: dates, site: identity)
        let xml = FrabSchedule.exportXML(sessions, days: dates, site: identity)
        let etag = "\"" + String(FrabSchedule.numericID(String(decoding: json, as: UTF8.self) + xml), radix: 36) + "\""
        let modified = seen.withLock { seen -> Instant in
            if let seen, seen.etag == etag { return seen.since }
            seen = (etag, now)
            return now
        }
        // DTSTAMP is when this version appeared, so the same program is the same file.
        let ics = ICSWriter.calendar(sessions, site: identity, stamp: modified)
        let names = Dictionary(identity.rooms.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let days = dates.map { date in
            PublishedProgram.Day(
                date: date,
                sessions: sessions.filter { calendar.date(of: $0.start) == date }.map {
                    ($0, $0.room.map { names[$0.rawValue] ?? $0.rawValue })
                })
        }
        return PublishedProgram(
            siteName: identity.name, zone: identity.timeZone, days: days, scheduleJSON: Array(json),
            scheduleXML: Array(xml.utf8), ics: Array(ics.utf8), etag: etag,
            modified: modified)
    }
}
