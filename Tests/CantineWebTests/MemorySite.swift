// An in-memory SiteService for the web's tests (as the Hummingbird examples test against a
// memory repository): a real engine on a manual clock over a journal that only remembers, the
// records and accounts as arrays, and every operation the web hands it recorded, answered by
// a scripted result.

import CantineCore
import CantineSite
import CantineStore
import Foundation
import Synchronization

/// A journal sink that keeps what it is given.
final class KeptJournal: JournalSink, Sendable {
    let entries = Mutex<[JournalEntry]>([])
    func enqueue(_ entries: [JournalEntry], attachment: (any JournalAttachment)?) {
        self.entries.withLock { $0.append(contentsOf: entries) }
    }
}

/// Records and accounts in memory.
final class MemoryRecords: SiteRecords, AccountRecords, Sendable {
    struct Data {
        var members: [MemberRecord] = []
        var credentials: [CredentialRecord] = []
        var plans: [PlanRecord] = []
        var bookings: [BookingRecord] = []
        var access: [AccessLogRow] = []
        var unknown: [UnknownRead] = []
        var staff: [String: StaffRecord] = [:]
        var sessions: [String: WebSessionRecord] = [:]
        var tokens: [String: APITokenRecord] = [:]
    }
    let data = Mutex(Data())

    func memberName(_ id: String) -> String? { data.withLock { d in d.members.first { $0.id == id }?.name } }
    func members() throws -> [MemberRecord] {
        data.withLock { $0.members.sorted { ($0.name, $0.id) < ($1.name, $1.id) } }
    }
    func credentials(member: String?) throws -> [CredentialRecord] {
        data.withLock { $0.credentials.filter { member == nil || $0.memberId == member } }
    }
    func plans(member: String?) throws -> [PlanRecord] {
        data.withLock { $0.plans.filter { member == nil || $0.memberId == member } }
    }
    func bookings(overlapping from: Instant, _ to: Instant) throws -> [BookingRecord] {
        data.withLock { $0.bookings.filter { $0.startUs < to.micros && $0.endUs > from.micros } }
    }
    func accessLog(_ query: AccessLogQuery) throws -> [AccessLogRow] {
        data.withLock { d in
            Array(
                d.access.filter { query.door == nil || $0.door == query.door }.sorted { $0.seq > $1.seq }
                    .prefix(query.limit))
        }
    }
    func unknownReads(afterSeq: Int64, door: String?, sinceUs: Int64) throws -> [UnknownRead] {
        data.withLock { $0.unknown.filter { $0.seq > afterSeq && $0.atUs >= sinceUs } }
    }
    func networkStatus(now: Instant, staleAfter: Span) throws -> NetworkStatus {
        NetworkStatus(sites: [], refused: [])
    }
    func rawEntries(after afterSeq: Int64, through throughSeq: Int64, limit: Int) throws -> [Store.RawEntry] { [] }

    func addStaff(_ record: StaffRecord) throws { data.withLock { $0.staff[record.username] = record } }
    func setStaffPassword(_ username: String, hash: String) throws {
        data.withLock { $0.staff[username]?.passwordHash = hash }
    }
    func staff(_ username: String) throws -> StaffRecord? { data.withLock { $0.staff[username] } }
    func openWebSession(_ record: WebSessionRecord) throws { data.withLock { $0.sessions[record.tokenHash] = record } }
    func webSession(tokenHash: String, nowUs: Int64) throws -> (WebSessionRecord, StaffRecord)? {
        data.withLock { d in
            guard let s = d.sessions[tokenHash], s.expiresUs > nowUs, let staff = d.staff[s.username] else {
                return nil
            }
            return (s, staff)
        }
    }
    func closeWebSession(tokenHash: String) throws { _ = data.withLock { $0.sessions.removeValue(forKey: tokenHash) } }
    func addAPIToken(_ record: APITokenRecord) throws { data.withLock { $0.tokens[record.tokenHash] = record } }
    func apiToken(hash: String) throws -> APITokenRecord? { data.withLock { $0.tokens[hash] } }
}

/// The site the web is tested against.
final class MemorySite: SiteService, Sendable {
    let time: ManualTime
    let engine: Engine
    let bus = NoticeBus()
    let memory = MemoryRecords()
    let journal = KeptJournal()
    var records: any SiteRecords { memory }
    /// What the journal says of itself (a test sets an error to see the web report it).
    let progress = Mutex(JournalProgress(durableSeq: 0, error: nil))
    var journalProgress: JournalProgress { progress.withLock { $0 } }
    /// The operations the web handed over, with who asked.
    let performed = Mutex<[(op: SiteOperation, source: EventSource)]>([])
    /// How the next operation is answered: a result, or a refusal.
    let answer = Mutex<Result<OperationResult, CommandError>>(.success(OperationResult(message: "done", id: "x")))
    /// What `exportJSON` returns.
    let exports = Mutex<[String: [UInt8]]>([:])

    /// A site of `layout` at `now`, with `events` applied.
    init(layout: SiteLayout, now: Instant, events: [Event] = []) {
        time = ManualTime(now)
        engine = Engine(site: layout.site, state: State(), lastSeq: 0, time: time, journal: journal)
        engine.submit(.layoutApplied(layout), source: "test")
        for event in events { engine.submit(event, source: "test") }
    }

    func waitDurable(through seq: Int64) async {}

    func perform(_ op: SiteOperation, source: EventSource) async throws(CommandError) -> OperationResult {
        performed.withLock { $0.append((op, source)) }
        return try answer.withLock { $0 }.get()
    }

    func exportJSON(member: String) throws(SiteError) -> [UInt8] {
        guard let data = exports.withLock({ $0[member] }) else { throw SiteError(.notFound, "no member '\(member)'") }
        return data
    }

    /// The journal kept so far folded into days, as a site would (no days stored before).
    func utilisation(from: LocalDate, to: LocalDate) throws(SiteError) -> UtilisationReport {
        let calendar = SiteCalendar.cached(engine.read { $0.layout?.timeZone } ?? "UTC")
        var fold = UsageFold(state: State(), seq: 0, calendar: calendar)
        var days: [DayUsage] = []
        for entry in journal.entries.withLock({ $0 }) {
            days += fold.apply(entry.event, seq: entry.seq, at: entry.wall)
        }
        let now = engine.now
        let today = fold.running(at: now)
        let inRange = (days + [today].compactMap { $0 }).filter {
            from.description <= $0.day && $0.day <= to.description
        }
        return UtilisationReport(
            from: from, to: to, days: inRange, today: today, reached: calendar.clock(now).minute / 15 + 1,
            sameWeekday: days.filter { $0.weekday == today?.weekday }, layout: engine.read { $0.layout! })
    }
}
