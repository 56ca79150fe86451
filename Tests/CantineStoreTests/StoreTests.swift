// The store on real SQLite files: opening errors, migrations, the append-only journal,
// group commit with record attachments, recovery from write failures, the process lock.

import CantineCore
import Foundation
import GRDB
import Testing

@testable import CantineStore

/// A fresh directory per test, removed afterwards.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "cantine-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    var db: String { path + "/cantine.db" }
}

func entry(_ seq: Int64, _ event: Event, at micros: Int64 = 1_795_251_600_000_000) -> JournalEntry {
    JournalEntry(
        seq: seq, site: "paris", wall: Instant(micros: micros + seq), monotonicNanos: UInt64(seq) * 7, source: "test",
        event: event)
}

@Suite struct StoreOpeningTests {
    /// Commits sync the WAL: GRDB turns WAL on with `synchronous = NORMAL` (durable only at the
    /// next checkpoint); the store sets FULL after it. The power-cut bench loses acknowledged
    /// entries without it.
    @Test func theWriterSyncsEveryCommit() throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        #expect(try store.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2)
        #expect(try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func refusesAMissingDirectoryNamingIt() {
        #expect(
            throws: StoreError(
                .notFound,
                "database directory /nonexistent/cantine does not exist: create it (mkdir -p /nonexistent/cantine) or change [database] path"
            )
        ) {
            try Store(path: "/nonexistent/cantine/cantine.db", mode: .create)
        }
    }

    @Test func refusesAMissingDatabaseUnlessCreating() throws {
        let dir = TempDir()
        #expect(throws: StoreError(.notFound, "no database at \(dir.db): run `cantine init` first")) {
            try Store(path: dir.db)
        }
        _ = try Store(path: dir.db, mode: .create)
        _ = try Store(path: dir.db)
    }

    @Test func refusesAFileThatIsNotADatabaseAndLeavesItAlone() throws {
        let dir = TempDir()
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try garbage.write(to: URL(fileURLWithPath: dir.db))
        #expect(
            throws: StoreError(
                .corrupt,
                "database \(dir.db) is corrupted or not a Cantine database: restore a backup, or move it aside and run `cantine init`"
            )
        ) {
            try Store(path: dir.db)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.db)) == garbage)
    }

    @Test func refusesADatabaseFromANewerSchemaWithoutTouchingIt() throws {
        let dir = TempDir()
        do {
            let store = try Store(path: dir.db, mode: .create)
            try store.pool.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('v9-future')")
            }
        }
        #expect(
            throws: StoreError(
                "database \(dir.db) was written by a newer cantine (schema v9-future): upgrade cantine, or restore a backup"
            )
        ) {
            try Store(path: dir.db)
        }
    }

    @Test func opensInWALModeAtTheLatestSchema() throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        #expect(try store.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try store.appliedMigrations() == ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10"])
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func theConnectionsKeepSmallPageCachesAndAtMostThreeReaders() throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        #expect(try store.pool.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -512)
        #expect(try store.pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -128)
        #expect(store.pool.configuration.maximumReaderCount == 3)
    }
}

@Suite struct JournalTests {
    @Test func theJournalIsAppendOnly() throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        let writer = JournalWriter(store: store, durableSeq: 0)
        writer.enqueue([entry(1, .memberRegistered(MemberRef(member: "ada")))], attachment: nil)
        #expect(writer.close())
        #expect(throws: DatabaseError.self) {
            try store.pool.write { try $0.execute(sql: "UPDATE journal SET kind = 'x'") }
        }
        #expect(throws: DatabaseError.self) { try store.pool.write { try $0.execute(sql: "DELETE FROM journal") } }
        #expect(try store.journalCount() == 1)
    }

    /// Entries nobody waits for share a commit while the linger lasts (one transaction for a
    /// hundred here: the linger is an hour), and a waiter, `flush` or `close` has them written
    /// at once (else the test would wait out the hour and hit its limit). Without the linger
    /// each enqueue may be its own commit.
    @Test(.timeLimit(.minutes(1))) func entriesLingerToShareACommitUntilSomeoneWaits() async throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        let writer = JournalWriter(store: store, durableSeq: 0, linger: .seconds(3600))
        for seq in Int64(1)...100 {
            writer.enqueue([entry(seq, .memberRegistered(MemberRef(member: MemberID("m\(seq)"))))], attachment: nil)
        }
        #expect(writer.durableSeq == 0 && writer.batches == 0)  // gathering
        await writer.waitDurable(through: 100)  // someone waits: written now
        #expect(writer.durableSeq == 100 && writer.batches == 1)
        writer.enqueue([entry(101, .memberRegistered(MemberRef(member: "m101")))], attachment: nil)
        #expect(writer.flush() && writer.durableSeq == 101 && writer.batches == 2)
        writer.enqueue([entry(102, .memberRegistered(MemberRef(member: "m102")))], attachment: nil)
        #expect(writer.close() && writer.durableSeq == 102)
        #expect(try store.journalCount() == 102)
    }

    @Test func entriesComeBackExactlyAsWritten() async throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        let writer = JournalWriter(store: store, durableSeq: 0)
        let events: [Event] = [
            .daemonStarted(DaemonStarted(version: "t")),
            .badgePresented(BadgePresented(door: "entree", token: "abc", format: .h10306)),
            .badgePresented(
                BadgePresented(door: "entree", token: nil, format: nil, unreadable: "leadingParity (26 bits)")),
            .doorContact(DoorContact(door: "entree", open: true)),
            .timerFired(.relock("entree")),
            .sessionScheduled(
                ProgramSession(
                    id: "s1", title: "Café «crème» ☕", room: nil, start: Instant(seconds: 1), end: Instant(seconds: 2),
                    kind: .break)),
            .bookingCreated(
                Booking(
                    id: "b1", member: "ada", resource: .room("salle-1"), start: Instant(seconds: 1),
                    end: Instant(seconds: 2))),
        ]
        let written = events.enumerated().map { entry(Int64($0.offset + 1), $0.element) }
        writer.enqueue(written, attachment: nil)
        await writer.waitDurable(through: Int64(events.count))
        var read: [JournalEntry] = []
        try store.forEachEntry { read.append($0) }
        #expect(read == written)
        #expect(try store.lastSeq() == Int64(events.count))
        writer.close()
    }

    @Test func recordsCommitWithTheirEntriesAndAFailingRecordLosesNoEntry() async throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        final class Errors: @unchecked Sendable { var messages: [String] = [] }
        let errors = Errors()
        let writer = JournalWriter(store: store, durableSeq: 0, onRecordError: { errors.messages.append($0) })
        let member = MemberRecord(
            id: "ada", site: "paris", name: "Ada Lovelace", email: nil, status: "active", createdUs: 0)
        writer.enqueue(
            [entry(1, .memberRegistered(MemberRef(member: "ada")))], attachment: RecordWrite { try member.insert($0) })
        // The same primary key again: the record write fails, the journal entry must still land.
        writer.enqueue(
            [entry(2, .memberRegistered(MemberRef(member: "ada")))], attachment: RecordWrite { try member.insert($0) })
        await writer.waitDurable(through: 2)
        #expect(try store.read { try MemberRecord.fetchAll($0) } == [member])
        #expect(try store.journalCount() == 2)
        #expect(errors.messages.count == 1)
        writer.close()
    }

    @Test func bookingAndSessionRecordsFollowTheJournalWhateverBroughtTheEvent() async throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        final class Errors: @unchecked Sendable { var messages: [String] = [] }
        let errors = Errors()
        let writer = JournalWriter(store: store, durableSeq: 0, onRecordError: { errors.messages.append($0) })
        let ada = MemberRecord(id: "ada", site: "paris", name: "Ada", email: nil, status: "active", createdUs: 0)
        try await store.pool.write { try ada.insert($0) }
        let t = Instant(seconds: 1_795_251_600)
        func booking(_ id: BookingID, _ desk: DeskID, status: BookingStatus = .booked, member: MemberID = "ada")
            -> Booking
        {
            Booking(
                id: id, member: member, resource: .desk(desk), start: t, end: t + .seconds(3600), status: status)
        }
        let session = ProgramSession(
            id: "s-1", title: "Open data", room: "salle-1", start: t, end: t + .seconds(2700), speakers: ["Ada"])
        let events: [Event] = [
            .bookingCreated(booking("bk-badge", "f01")),
            .bookingCreated(booking("bk-noshow", "f02")),
            .bookingCreated(booking("bk-cancel", "f03")),
            .bookingCheckedIn(BookingCheckIn(booking: "bk-badge", by: "badge")),  // a badge at the door
            .findingRaised(  // a timer: the no-show's grace is over
                Finding(id: "fd-1", kind: .noShow, desk: "f02", booking: "bk-noshow", detail: "", raisedAt: t)),
            .bookingCancelled(BookingRef(booking: "bk-cancel")),
            .bookingCreated(booking("bk-attach", "f04", status: .checkedIn)),  // staff attach a walk-in
            .bookingChanged(booking("bk-cancel", "f05")),  // booked again by an import, elsewhere
            .bookingCreated(booking("bk-badge", "f09")),  // an old id again: the record stays as it was
            .findingRaised(
                Finding(id: "fd-2", kind: .noShow, desk: "f01", booking: "bk-badge", detail: "", raisedAt: t)),
            .sessionScheduled(session),
            .sessionScheduled(ProgramSession(id: "s-2", title: "Gone", room: nil, start: t, end: t + .seconds(60))),
            .sessionRemoved(SessionRef(session: "s-2")),
            .bookingCreated(booking("bk-nobody", "f06", member: "ghost")),  // no such member record
        ]
        for (i, e) in events.enumerated() { writer.enqueue([entry(Int64(i + 1), e)], attachment: nil) }
        await writer.waitDurable(through: Int64(events.count))
        let records = try store.read { try BookingRecord.order(Column("id")).fetchAll($0) }
        #expect(
            records.map { "\($0.id) \($0.resourceId) \($0.status)" } == [
                "bk-attach f04 checked-in", "bk-badge f01 checked-in", "bk-cancel f05 booked", "bk-noshow f02 released",
            ])
        #expect(records.allSatisfy { $0.site == "paris" && $0.startUs == t.micros && $0.memberId == "ada" })
        let stored = try store.read { try SessionRecord.fetchAll($0) }
        #expect(stored.map(\.programSession) == [session])
        // The record that could not be written is reported; its entry is in the journal anyway.
        #expect(errors.messages.count == 1 && errors.messages[0].hasPrefix("records for paris/\(events.count)"))
        #expect(try store.journalCount() == events.count)
        writer.close()
    }

    @Test func aFailingDiskKeepsEntriesQueuedAndWritesThemOnceItRecovers() async throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        // Simulated fault: any insert into the journal aborts while the `fault` table has a row.
        try await store.pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE fault (x);
                    INSERT INTO fault VALUES (1);
                    CREATE TRIGGER journal_fault BEFORE INSERT ON journal WHEN EXISTS (SELECT 1 FROM fault)
                        BEGIN SELECT RAISE(ABORT, 'simulated disk fault'); END;
                    """)
        }
        let (failures, failed) = AsyncStream.makeStream(of: String?.self)
        let writer = JournalWriter(store: store, durableSeq: 0, onError: { failed.yield($0) })
        writer.enqueue([entry(1, .memberRegistered(MemberRef(member: "ada")))], attachment: nil)
        var reports = failures.makeAsyncIterator()
        let first = await reports.next()
        #expect(first??.contains("simulated disk fault") == true)
        #expect(writer.durableSeq == 0)
        #expect(writer.flush() == false)
        #expect(writer.lastError != nil)
        try await store.pool.write { try $0.execute(sql: "DELETE FROM fault") }
        await writer.waitDurable(through: 1)
        let recovered = await reports.next()
        #expect(recovered == .some(nil))
        #expect(try store.journalCount() == 1)
        #expect(writer.lastError == nil)
        writer.close()
    }

    @Test func snapshotsRoundTripAndTheNewestWins() throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        var state = State()
        state.counters.granted = 3
        try store.saveSnapshot(seq: 10, site: "paris", taken: Instant(seconds: 1), digest: "d10", state: State())
        try store.saveSnapshot(seq: 20, site: "paris", taken: Instant(seconds: 2), digest: "d20", state: state)
        let snap = try #require(try store.latestSnapshot())
        #expect(snap.seq == 20 && snap.digest == "d20" && snap.state == state)
        for seq in [30, 40, 50] as [Int64] {
            try store.saveSnapshot(
                seq: seq, site: "paris", taken: Instant(seconds: seq), digest: "d\(seq)", state: state)
        }
        #expect(
            try store.read { try Int64.fetchAll($0, sql: "SELECT seq FROM snapshots ORDER BY seq") } == [30, 40, 50])
    }
}

@Suite struct ProcessLockTests {
    @Test func aSecondHolderIsRefusedWithThePidUntilTheFirstReleases() throws {
        let dir = TempDir()
        let first = try ProcessLock(databasePath: dir.db)
        #expect(ProcessLock.isHeld(databasePath: dir.db))
        #expect(
            throws: StoreError(
                .unavailable,
                "database \(dir.db) is in use by another cantine process (pid \(getpid())): stop it first (e.g. systemctl stop cantine)"
            )
        ) {
            try ProcessLock(databasePath: dir.db)
        }
        first.release()
        #expect(!ProcessLock.isHeld(databasePath: dir.db))
        _ = try ProcessLock(databasePath: dir.db)
    }
}

@Suite struct InboxTests {
    @Test func aRequestIsAnsweredOnceAndItsBodyCleared() throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        let id = try store.inboxSubmit(Data("secret name".utf8), now: 1)
        #expect(try store.inboxOutcome(id) == .pending)
        #expect(try store.inboxPending().map(\.id) == [id])
        try store.inboxComplete(id, ok: false, response: "no member 'x'")
        #expect(try store.inboxPending().isEmpty)
        #expect(
            try store.read { try Data?.fetchOne($0, sql: "SELECT request FROM inbox WHERE id = ?", arguments: [id]) }
                == .some(nil))
        #expect(try store.inboxOutcome(id) == .failed("no member 'x'"))
        #expect(try store.inboxOutcome(id) == .failed("request \(id) vanished from the inbox"))
    }
}
