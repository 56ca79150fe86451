// Privacy on a real site (SQLite file, injected clock): a member's export, their erasure
// checked on the raw bytes of the database file and its WAL, crypto-shredding of the sealed
// profile in the journal, compaction with the same replay digest, retention dropping exactly
// what is due, names published only with consent. (Badge numbers kept out of the daemon's log:
// ServeTests.)

import CantineCore
import CantineProtocol
import CantineSite
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

@testable import CantineDaemon
@testable import CantineStore

@Suite struct PrivacyTests {
    static let name = "Grace Brewster Hopperzz"
    static let email = "grace.hopperzz@example.org"
    /// A 37-bit H10302 card: 11 digits that occur nowhere else by chance.
    static let read = CardRead(format: .h10302, facility: 0, card: 31_415_926_535)

    /// The needles a raw scan looks for: name, email, the card number in digits and as the
    /// 6-byte big-endian integer SQLite stores.
    static var needles: [(String, Data)] {
        let n = read.card
        let int48 = Data((0..<6).reversed().map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) })
        return [
            ("name", Data(name.utf8)), ("email", Data(email.utf8)), ("card digits", Data("\(n)".utf8)),
            ("card integer", int48),
        ]
    }

    /// The sample site, its doors reading 37-bit frames as H10302 (Grace's card format).
    static func site(edit: @escaping (String) -> String = { $0 }) throws -> TestSite {
        try TestSite {
            edit($0).replacingOccurrences(of: "id = \"entree\"\n", with: "id = \"entree\"\nwiegand_37 = \"h10302\"\n")
                .replacingOccurrences(of: "id = \"sortie\"\n", with: "id = \"sortie\"\nwiegand_37 = \"h10302\"\n")
        }
    }

    /// What of the needles is in the file at `path` (a missing file holds nothing).
    static func found(in path: String) -> [String] {
        guard let bytes = FileManager.default.contents(atPath: path) else { return [] }
        return needles.filter { bytes.range(of: $0.1) != nil }.map {
            "\($0.0) in \((path as NSString).lastPathComponent)"
        }
    }

    /// Grace: a member with a plan, a badge first seen as an unknown card, a booking, entries.
    func seedGrace(_ runtime: Site, _ time: ManualTime) async throws -> String {
        let entree = DoorInput(door: "entree", runtime: runtime)
        let frame = try Wiegand.encode(Self.read)
        #expect(entree.frame(frame)?.entry.access?.granted == false)  // unknown card: kept for enrollment
        let id = try await runtime.perform(.addMember(id: nil, name: Self.name, email: Self.email), source: "test").id
        _ = try await runtime.perform(.grantPlan(member: id, kind: .staff, from: "today", days: 1), source: "test")
        _ = try await runtime.perform(
            .enrollBadge(
                member: id, format: Self.read.format, facility: Self.read.facility, card: Self.read.card, id: nil,
                pin: nil), source: "test")
        _ = try await runtime.perform(
            .bookDesk(member: id, desk: "f02", date: "today", period: .day, days: 1, id: nil), source: "test")
        time.advance(.seconds(60))
        #expect(entree.frame(frame)?.entry.access?.granted == true)
        runtime.journal.flush()
        return id
    }

    @Test func anExportHoldsEverythingAndTheJournalsSealedProfileOpensWithTheMembersKey() async throws {
        let site = try Self.site()
        let runtime = try site.open()
        defer { runtime.close() }
        let id = try await seedGrace(runtime, site.time)
        let export = try runtime.export(member: id)
        #expect(export.profile.name == Self.name && export.profile.email == Self.email)
        #expect(export.journalProfile == SealedProfile(name: Self.name, email: Self.email))
        #expect(export.credentials.map(\.cardNumber) == [Int64(Self.read.card)])
        #expect(export.plans.count == 1 && export.bookings.count == 1)
        #expect(export.access.map(\.granted) == [true])
        #expect(export.presentSince != nil)
        #expect(Set(export.journal.map(\.kind)).isSuperset(of: ["member.registered", "badge.presented"]))
        // The journal itself never holds the name or the email, only the sealed box.
        let journalText = try runtime.store.read { db in
            try String.fetchAll(db, sql: "SELECT CAST(payload AS TEXT) FROM journal").joined()
        }
        #expect(!journalText.contains("Hopperzz") && !journalText.contains(Self.email))
        #expect(throws: SiteError.self) { try runtime.export(member: "m-nobody") }
    }

    @Test func anErasedMemberLeavesNoNameEmailOrBadgeNumberInTheFileTheWALOrTheJournal() async throws {
        let site = try Self.site()
        let runtime = try site.open()
        let id = try await seedGrace(runtime, site.time)
        try await playADay(runtime, site.time)  // another member, who stays
        let db = site.config.database.path
        // Before: the name is in the file or its WAL (the scan can find what it looks for).
        #expect(!(Self.found(in: db) + Self.found(in: db + "-wal")).isEmpty)

        // Deleted rows are zeroed, not left in free pages (Debian's SQLite does it by default; the
        // store asks for it on every connection anyway).
        #expect(try runtime.store.read { try Int.fetchOne($0, sql: "PRAGMA secure_delete") } == 1)
        let erased = try await runtime.perform(.eraseMember(member: id), source: "test")
        #expect(erased.message.contains("erased") && erased.message.contains("1 badge(s)"))
        #expect(Self.found(in: db) + Self.found(in: db + "-wal") == [])
        // The journal keeps an anonymous entry; the sealed profile stays but no key opens it.
        let (kinds, keys) = try runtime.store.read { d in
            (
                try String.fetchAll(d, sql: "SELECT kind FROM journal WHERE kind = 'member.erased'"),
                try Int.fetchOne(d, sql: "SELECT count(*) FROM member_keys WHERE member_id = ?", arguments: [id])
            )
        }
        #expect(kinds == ["member.erased"] && keys == 0)
        #expect(runtime.engine.read { s in s.members[MemberID(id)] == nil && s.present[MemberID(id)] == nil })
        #expect(runtime.engine.read { s in s.credentials.values.allSatisfy { $0.member.rawValue != id } })
        // The other member is untouched; replay gives the live state.
        #expect(runtime.store.memberName("m-ada") == "Ada Lovelace")
        let live = runtime.engine.read { $0 }
        #expect(try Replay.rebuild(store: runtime.store, site: site.config.siteID, useSnapshot: false).state == live)
        #expect(runtime.close())
        #expect(Self.found(in: db) + Self.found(in: db + "-wal") == [])

        // Erasing someone unknown (or twice): a clear error, nothing changes.
        let reopened = try site.open()
        defer { reopened.close() }
        reopened.journal.flush()
        let before = try reopened.store.journalCount()
        await #expect(throws: CommandError(.notFound, "no member '\(id)': nothing erased (see `cantine members list`)"))
        {
            try await reopened.perform(.eraseMember(member: id), source: "test")
        }
        #expect(try reopened.store.journalCount() == before)
        // Their badge is a stranger's card now (kept a day as an unknown read, like any other).
        let again = DoorInput(door: "entree", runtime: reopened).frame(try Wiegand.encode(Self.read))
        #expect(again?.entry.access?.granted == false)
    }

    @Test func replayGivesTheSameDigestBeforeAndAfterCompaction() async throws {
        let site = try Self.site()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        _ = try await seedGrace(runtime, site.time)
        site.time.advance(.seconds(2 * 86_400))
        try await playADay2(runtime, site.time)
        runtime.journal.flush()
        let full = try Replay.rebuild(store: runtime.store, site: site.config.siteID, useSnapshot: false)
        let count = try runtime.store.journalCount()

        // Into the future: refused, nothing changed.
        await #expect(throws: CommandError.self) {
            try await runtime.perform(.compactJournal(before: "2027-01-01"), source: "test")
        }
        #expect(try runtime.store.journalCount() == count && runtime.store.journalBase() == 0)

        let result = try await runtime.perform(.compactJournal(before: "today"), source: "test")
        let base = try runtime.store.journalBase()
        #expect(base > 0 && result.id == "\(base)")
        // Exactly the entries written before today's midnight are gone.
        let midnight = runtime.calendar.instant(runtime.calendar.date(of: site.time.now()), hour: 0)
        let (oldest, olderLeft) = try runtime.store.read { db in
            (
                try Int64.fetchOne(db, sql: "SELECT min(seq) FROM journal") ?? 0,
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM journal WHERE wall_us < ?", arguments: [midnight.micros])
                    ?? -1
            )
        }
        #expect(oldest == base + 1 && olderLeft == 0)
        #expect(try runtime.store.journalCount() < count)
        let after = try Replay.rebuild(store: runtime.store, site: site.config.siteID, useSnapshot: false)
        #expect(after.fromSnapshot == base && after.digest == full.digest && after.lastSeq == full.lastSeq)
        // Desk use per day outlives the entries, without anyone's id.
        let (deskDays, columns) = try runtime.store.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM desk_days WHERE occupied_reports > 0") ?? 0,
                try db.columns(in: "desk_days").map(\.name)
            )
        }
        #expect(deskDays > 0 && columns == ["site", "day", "desk", "check_ins", "occupied_reports"])
        // Again: nothing more to fold. And what follows the base can still never be deleted.
        let again = try await runtime.perform(.compactJournal(before: "today"), source: "test")
        #expect(again.message.hasPrefix("nothing to compact"))
        #expect(try runtime.store.journalBase() == base)
        #expect(throws: DatabaseError.self) {
            try runtime.store.pool.write { db in
                try db.execute(sql: "DELETE FROM journal WHERE seq = ?", arguments: [base + 1])
            }
        }
        #expect(runtime.close())
        // Restarted: recovered from the base and what follows (then journals its start).
        let reopened = try site.open()
        reopened.journal.flush()
        let recovered = try Replay.rebuild(store: reopened.store, site: site.config.siteID, useSnapshot: false)
        #expect(recovered.fromSnapshot == base && recovered.state == reopened.engine.read { $0 })
        #expect(reopened.close())

        // A base snapshot from another site: a clear error, not a wrong state.
        let store = try Store(path: site.config.database.path)
        try await store.pool.write { db in
            try db.execute(sql: "UPDATE snapshots SET site = 'nantes' WHERE seq = ?", arguments: [base])
            try db.execute(sql: "DELETE FROM snapshots WHERE seq <> ?", arguments: [base])
        }
        #expect(throws: StoreError.self) {
            try Replay.rebuild(store: store, site: site.config.siteID, useSnapshot: false)
        }
        do {
            _ = try Replay.rebuild(store: store, site: site.config.siteID, useSnapshot: false)
        } catch let error as StoreError {
            #expect(error.message.contains("from site 'nantes', this site is 'paris'"))
        }
    }

    @Test func retentionDropsExactlyWhatIsDue() async throws {
        let site = try Self.site { $0.replacingOccurrences(of: "bookings_days = 3653", with: "bookings_days = 10") }
        let runtime = try site.open()
        defer { runtime.close() }
        let id = try await seedGrace(runtime, site.time)  // day 0: a grant, a booking ending today
        func days(_ n: Int64) -> Span { .seconds(86_400 * n) }
        let entree = DoorInput(door: "entree", runtime: runtime)
        let frame = try Wiegand.encode(Self.read)
        site.time.advance(days(60))
        #expect(entree.frame(frame)?.entry.access?.granted == true)  // day 60
        site.time.advance(days(25))
        _ = try await runtime.perform(
            .bookDesk(member: id, desk: "f03", date: "today", period: .day, days: 1, id: "bk-85"), source: "test")
        site.time.advance(days(6))  // day 91
        runtime.journal.flush()
        let today = runtime.calendar.date(of: site.time.now())
        func midnight(_ daysAgo: Int) -> Instant {
            runtime.calendar.instant(runtime.calendar.adding(days: -daysAgo, to: today), hour: 0)
        }
        func count(_ sql: String, _ t: Instant) throws -> Int {
            try runtime.store.read { db in try Int.fetchOne(db, sql: sql, arguments: [t.micros]) ?? -1 }
        }
        let accessSQL = "SELECT count(*) FROM access_log WHERE at_us < ?"
        let bookingSQL = "SELECT count(*) FROM bookings WHERE end_us < ?"
        let (accessDue, accessAll) = (try count(accessSQL, midnight(90)), try count(accessSQL, Instant(micros: .max)))
        let (bookingsDue, bookingsAll) = (
            try count(bookingSQL, midnight(10)), try count(bookingSQL, Instant(micros: .max))
        )
        // Day 0: the unknown card's denial and Grace's grant, her booking (and Ada's none).
        #expect(accessDue == 2 && accessAll == 3 && bookingsDue == 1 && bookingsAll == 2)

        let report = try await runtime.enforceRetention()
        // Access log: 90 days. Bookings: 10 days after their end (this config). Exactly those.
        #expect(report.pruned.accessLog == accessDue && report.pruned.bookings == bookingsDue)
        #expect(
            try count(accessSQL, midnight(90)) == 0 && count(accessSQL, Instant(micros: .max)) == accessAll - accessDue)
        #expect(
            try count(bookingSQL, midnight(10)) == 0
                && count(bookingSQL, Instant(micros: .max)) == bookingsAll - bookingsDue)
        let left = try runtime.store.accessLog(AccessLogQuery(member: id, limit: 100))
        #expect(left.count == 1 && left.allSatisfy { $0.granted })
        // Journal: 30 days. Everything before day 61's midnight is folded into the base.
        let base = try runtime.store.journalBase()
        let firstKept = try runtime.store.read { db in
            try Int64.fetchOne(db, sql: "SELECT min(wall_us) FROM journal") ?? .max
        }
        #expect(report.compaction?.base == base && base > 0 && firstKept >= midnight(30).micros)
        // Applied again at once: nothing more is due.
        let again = try await runtime.enforceRetention()
        #expect(again.compaction == nil && again.pruned == RetentionCounts())
    }

    @Test func namesGoOnMQTTOnlyWithConsent() async throws {
        let site = try Self.site()
        let runtime = try site.open()
        defer { runtime.close() }
        let id = try await seedGrace(runtime, site.time)
        #expect(runtime.store.publishableName(id) == nil)
        _ = try await runtime.perform(.setNamePublishing(member: id, allowed: true), source: "test")
        #expect(runtime.store.publishableName(id) == Self.name)
        _ = try await runtime.perform(.setNamePublishing(member: id, allowed: false), source: "test")
        #expect(runtime.store.publishableName(id) == nil)
        await #expect(throws: CommandError.self) {
            try await runtime.perform(.setNamePublishing(member: "m-nobody", allowed: true), source: "test")
        }
    }
}

/// A second day after `playADay`: Ada comes back, a desk is used, she leaves.
func playADay2(_ runtime: Site, _ time: ManualTime) async throws {
    _ = try await runtime.perform(
        .grantPlan(member: "m-ada", kind: .dayPass, from: "today", days: 1), source: "test")
    let entree = DoorInput(door: "entree", runtime: runtime)
    entree.frame(card(1234))
    time.advance(.seconds(30))
    runtime.engine.submit(.deskReported(DeskReport(desk: "f01", occupied: true)), source: "test")
    time.advance(.seconds(3_600))
    runtime.engine.submit(.deskReported(DeskReport(desk: "f01", occupied: false)), source: "test")
}
