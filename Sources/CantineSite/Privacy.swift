// Personal data, the daemon's side: a member's export (everything held about them), journal
// compaction (a base snapshot, older entries dropped), retention enforced daily. Erasure is an
// operation (Operations.swift); the SQL and the keys are the store's (CantineStore/Privacy).

import CantineCore
import CantineStore
import Foundation
import ServiceLifecycle

/// Everything Cantine holds about one member (`cantine members export`, the dashboard).
public struct MemberExport: Codable, Sendable {
    public struct JournalItem: Codable, Sendable {
        public var seq: Int64
        public var at: String
        public var kind: String
        public var payload: String
    }
    public var site: String
    public var exportedAt: String
    public var profile: MemberRecord
    /// The profile as sealed into the journal on registration, opened with their key.
    public var journalProfile: SealedProfile?
    public var credentials: [CredentialRecord]
    public var plans: [PlanRecord]
    public var bookings: [BookingRecord]
    public var access: [AccessLogRow]
    /// Journal entries that name them (by id or badge token): presence, check-ins, findings.
    public var journal: [JournalItem]
    /// Inside now, since.
    public var presentSince: String?

    enum CodingKeys: String, CodingKey {
        case site, exportedAt = "exported_at", profile, journalProfile = "journal_profile", credentials, plans
        case bookings, access, journal, presentSince = "present_since"
    }

    /// The export as people get it: pretty JSON, snake_case keys throughout.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }
}

/// What a retention run did.
public struct RetentionReport: Codable, Sendable {
    public var compaction: CompactionResult?
    public var pruned: RetentionCounts
    public var result: OperationResult {
        let base = compaction.map { "journal compacted through seq \($0.base) (\($0.deleted) entries dropped)" }
        return OperationResult(
            message: [
                base ?? "journal: nothing older than the retention period",
                "\(pruned.accessLog) access log row(s), \(pruned.bookings) booking(s), \(pruned.unknownReads) unknown read(s) deleted",
            ].joined(separator: "; "), id: "\(compaction?.base ?? 0)")
    }
}

extension Site {
    /// Everything held about `member`, or an error naming the unknown member.
    public func export(member: String) throws -> MemberExport {
        try Self.export(
            member: member, store: store, site: settings.site, calendar: calendar, state: engine.read { $0 })
    }

    /// `export(member:)` from the database alone (the CLI, with or without a daemon).
    public static func export(member: String, store: Store, site: SiteID, calendar: SiteCalendar, state: State?)
        throws -> MemberExport
    {
        guard let rows = try store.memberRecords(member) else {
            throw SiteError(.notFound, "no member '\(member)': nothing to export (see `cantine members list`)")
        }
        let access = try store.accessLog(AccessLogQuery(member: member, limit: Int.max))
        // Journal entries naming them: by id, or by one of their badge tokens.
        let needles = ([#""\#(member)""#] + rows.credentials.map { #""\#($0.token)""# }).map { Data($0.utf8) }
        var journal: [MemberExport.JournalItem] = []
        var sealed: String?
        var after: Int64 = 0
        while true {
            let batch = try store.rawEntries(after: after, through: .max, limit: 5_000)
            guard let last = batch.last else { break }
            for entry in batch where needles.contains(where: { entry.payload.range(of: $0) != nil }) {
                let text = String(decoding: entry.payload, as: UTF8.self)
                journal.append(
                    MemberExport.JournalItem(
                        seq: entry.seq, at: calendar.text(Instant(micros: entry.wallUs)), kind: entry.kind,
                        payload: text))
                if entry.kind == "member.registered",
                    let ref = try? JSONDecoder().decode(MemberRef.self, from: entry.payload)
                {
                    sealed = ref.sealed
                }
            }
            after = last.seq
        }
        var opened: SealedProfile?
        if let sealed, let key = rows.key { opened = MemberKeys.open(sealed, key: key, member: member) }
        return MemberExport(
            site: site.rawValue, exportedAt: calendar.text(Instant(Date())), profile: rows.profile,
            journalProfile: opened,
            credentials: rows.credentials, plans: rows.plans, bookings: rows.bookings, access: access,
            journal: journal, presentSince: state?.present[MemberID(member)].map(calendar.text))
    }

    /// Folds the journal before `date` (local midnight) into a base snapshot and drops those
    /// entries. Refuses a date in the future; compacting what is already compacted does nothing.
    func compact(before date: LocalDate) async throws(CommandError) -> OperationResult {
        let now = engine.now
        let today = calendar.date(of: now)
        guard !(today < date) else {
            throw CommandError("cannot compact up to \(date): it is in the future (today is \(today)); nothing changed")
        }
        let cutoff = calendar.instant(date, hour: 0)
        do {
            let result = try await compact(through: try lastSeq(before: cutoff))
            return OperationResult(
                message: result.deleted == 0
                    ? "nothing to compact before \(date): the journal starts at seq \(result.base + 1)"
                    : "journal compacted before \(date): \(result.deleted) entries folded into the base snapshot at seq \(result.base)",
                id: "\(result.base)")
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError(.unavailable, "cannot compact the journal: \(error); nothing changed")
        }
    }

    /// The last entry of the journal's prefix written before `cutoff` (a wall-clock step makes
    /// later entries look older: the prefix stops at the first entry at or after the cutoff).
    func lastSeq(before cutoff: Instant) throws -> Int64 {
        try store.lastSeq(before: cutoff)
    }

    /// Makes the fold of the journal through `seq` its base snapshot and drops those entries.
    func compact(through seq: Int64) async throws -> CompactionResult {
        await journal.waitDurable(through: min(seq, engine.lastSeq))
        let base = try store.journalBase()
        guard seq > base else { return CompactionResult(base: base, deleted: 0, deskDays: 0) }
        try usage.catchUp()  // the days those entries make are stored before they go
        let replay = try Replay.rebuild(store: store, site: settings.site, useSnapshot: true, through: seq)
        let result = try store.compact(
            through: replay.lastSeq, site: settings.site, taken: engine.now, state: replay.state, calendar: calendar)
        logger.notice(
            "journal compacted",
            metadata: ["base": "\(result.base)", "deleted": "\(result.deleted)", "desk_days": "\(result.deskDays)"])
        return result
    }

    /// Applies the config's retention periods at the engine's `now`: the journal compacted
    /// before `journal_days`, access log rows older than `access_log_days`, bookings ended more
    /// than `bookings_days` ago, unknown card reads older than a day.
    public func enforceRetention() async throws(CommandError) -> RetentionReport {
        let now = engine.now
        let today = calendar.date(of: now)
        func daysAgo(_ n: Int) -> Instant { calendar.instant(calendar.adding(days: -n, to: today), hour: 0) }
        do {
            let compaction = try await compact(through: try lastSeq(before: daysAgo(settings.retention.journalDays)))
            let pruned = try store.pruneRecords(
                accessBefore: daysAgo(settings.retention.accessLogDays),
                bookingsBefore: daysAgo(settings.retention.bookingsDays),
                unknownBefore: now - .seconds(86_400))
            return RetentionReport(compaction: compaction.deleted > 0 ? compaction : nil, pruned: pruned)
        } catch {
            throw CommandError(.unavailable, "retention could not be applied: \(error); run `cantine doctor`")
        }
    }
}

/// Applies retention at start and then every day.
public struct RetentionService: Service {
    let runtime: Site

    public init(runtime: Site) { self.runtime = runtime }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let report = try await runtime.enforceRetention()
                runtime.logger.info("retention applied", metadata: ["result": "\(report.result.message)"])
            } catch {
                runtime.logger.error("retention failed", metadata: ["error": "\(error.message)"])
            }
            await pause(.seconds(86_400))
        }
    }
}
