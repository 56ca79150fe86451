// Power cuts and a failing SD card, on a real SQLite file through the CSQLiteFaults VFS: cuts
// at seeded writes across a realistic load (`cantine bench powercut`, here with fewer cuts than
// CI's release run of 1,000), and random I/O errors on reads and writes while the doors decide.

import CSQLiteFaults
import CantineConfig
import CantineCore
import CantineSite
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

@testable import CantineBench
@testable import CantineDaemon
@testable import CantineStore

@Suite(.serialized) struct PowerCutTests {
    /// Every promise holds after each cut. Breaking it was seen to fail: `synchronous = NORMAL`
    /// (what GRDB sets by default) loses acknowledged entries at most cuts, and so does moving
    /// the journal's durable mark before its commit.
    @Test func powerCutsAtSeededWritesLoseNothingAcknowledged() async throws {
        let result = try await Bench.powercut(
            cuts: 150, seed: 20_261_204, days: 2, directory: NSTemporaryDirectory(), logger: Logger(label: "t"))
        #expect(result.cuts == 150)
        #expect(result.clean, "\(result.failures)")
        #expect(result.lostAcknowledged == 0 && result.openFailures == 0 && result.integrityFailures == 0)
        #expect(result.replayMismatches == 0 && result.relayFailures == 0 && result.serveFailures == 0)
        // The cuts fell on every kind of step, on the WAL and on the database file, in each mode,
        // and took back written blocks.
        let steps: Set = [
            "badge", "contact", "desk_report", "cli_command", "import", "snapshot", "outbox", "compaction", "erasure",
        ]
        #expect(steps.isSubset(of: Set(result.cutsByStep.keys)), "\(result.cutsByStep)")
        #expect((result.cutsByFile["wal"] ?? 0) > 0 && (result.cutsByFile["database"] ?? 0) > 0, "\(result.cutsByFile)")
        #expect(result.cutsByMode.count == 4 && result.blocksLost > 0)
    }

    /// The shim itself: a commit that was synced is always kept; one never synced may be taken
    /// back by a cut (it is, for some seeds), and the write the power failed in never lands whole.
    @Test func aCutTakesBackOnlyWhatWasNotSynced() throws {
        cfault_install()
        let dir = NSTemporaryDirectory() + "cantine-vfs-\(UUID().uuidString)/"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        cfault_scope(dir)
        defer {
            cfault_scope(nil)
            try? FileManager.default.removeItem(atPath: dir)
        }
        func open(_ path: String, _ synchronous: String) throws -> DatabaseQueue {
            var config = Configuration()
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            }
            return try DatabaseQueue(path: path, configuration: config)
        }
        var outcomes: [[Int]] = []
        for seed in UInt32(1)...12 {
            cfault_reset()
            let path = dir + "t\(seed).db"
            var queue = try open(path, "FULL")
            try queue.write { db in try db.execute(sql: "CREATE TABLE t(x)") }
            try queue.write { db in try db.execute(sql: "INSERT INTO t VALUES (1)") }  // synced at its commit
            try queue.close()
            queue = try open(path, "OFF")  // commits never synced
            try queue.write { db in try db.execute(sql: "INSERT INTO t VALUES (2)") }
            cfault_arm(cfault_ops() + 1)  // the power fails at the next write
            #expect(throws: (any Error).self) {
                try queue.write { db in try db.execute(sql: "INSERT INTO t VALUES (3)") }
            }
            #expect(cfault_dead() == 1)
            try? queue.close()
            #expect(cfault_crash(seed, seed % 2 == 0 ? Int32(CFAULT_REORDER) : 0) >= 0)
            let after = try open(path, "FULL")
            outcomes.append(try after.read { db in try Int.fetchAll(db, sql: "SELECT x FROM t ORDER BY x") })
            #expect(try after.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } == "ok")
            try after.close()
        }
        #expect(outcomes.allSatisfy { $0 == [1] || $0 == [1, 2] }, "\(outcomes)")
        #expect(outcomes.contains([1]), "\(outcomes)")
    }

    /// A checkpoint that truncates the WAL (as an erasure does) and the power failing in the
    /// writes after it: the truncation reaches the disk or not, the WAL is never left half-old,
    /// and every synced commit is there. The shim once tore blocks the truncation had only cut
    /// off, zeroing the middle of a synced WAL: SQLite then read an old prefix of it over the
    /// newer database and lost the commits after it (seen twice in CI's power-cut bench).
    @Test func aCutAfterTheWALIsTruncatedKeepsEverySyncedCommit() throws {
        cfault_install()
        let dir = NSTemporaryDirectory() + "cantine-vfs-\(UUID().uuidString)/"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        cfault_scope(dir)
        defer {
            cfault_scope(nil)
            try? FileManager.default.removeItem(atPath: dir)
        }
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let modes = [0, CFAULT_REORDER, CFAULT_TEAR, CFAULT_REORDER | CFAULT_TEAR].map(Int32.init)
        var failures: [String] = []
        for seed in UInt32(1)...64 {
            cfault_reset()
            let path = dir + "t\(seed).db"
            let queue = try DatabaseQueue(path: path, configuration: config)
            try queue.write { db in try db.execute(sql: "CREATE TABLE t(x, pad)") }
            for x in 1...40 {  // synced commits, several WAL blocks, then checkpointed
                try queue.write { db in try db.execute(sql: "INSERT INTO t VALUES (?, zeroblob(900))", arguments: [x]) }
                if x == 20 { try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint") } }
            }
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            cfault_arm(cfault_ops() + 1 + Int64(seed % 3))  // the WAL's new header, its sync, a frame
            _ = try? queue.write { db in try db.execute(sql: "INSERT INTO t VALUES (41, zeroblob(900))") }
            try? queue.close()
            #expect(cfault_crash(seed, modes[Int(seed) % 4]) >= 0)
            let after = try DatabaseQueue(path: path, configuration: config)
            let xs = try after.read { db in try Int.fetchAll(db, sql: "SELECT x FROM t ORDER BY x") }
            let check = try after.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
            if xs != Array(1...40) && xs != Array(1...41) || check != "ok" {
                failures.append(
                    "seed \(seed) mode \(modes[Int(seed) % 4]): \(xs.count) rows, last \(xs.last ?? 0), \(check ?? "")")
            }
            try after.close()
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    /// An SD card that fails reads and writes at random: the doors decide from memory, the
    /// journal's alarm goes out, nothing is half-written, and writing resumes with nothing lost
    /// once the errors stop.
    @Test func anSDCardReturningIOErrorsKeepsTheDoorsDecidingAndLosesNothing() async throws {
        cfault_install()
        let dir = NSTemporaryDirectory() + "cantine-ioerr-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        cfault_scope(dir + "/")
        defer {
            cfault_ioerr(0, 0, 0)
            cfault_scope(nil)
            try? FileManager.default.removeItem(atPath: dir)
        }
        cfault_reset()
        let text = SampleConfig.text(databasePath: dir + "/site.db", simulated: true, desksPerZone: 4)
            .replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
        var settings = try Config.parse(text, file: "ioerr.toml").settings.siteSettings
        settings.commitLinger = .seconds(0)  // the writer meets the errors while they last
        let time = ManualTime(Instant(Date(timeIntervalSince1970: 1_772_438_400)))
        let site = try Site.open(
            settings, role: .daemon, mode: .create, time: time, version: "test", logger: Logger(label: "t"))
        try PowerCutLoad.seed(site)
        let alarms = Mutex<[String?]>([])
        site.journalHealth.watch { message in alarms.withLock { $0.append(message) } }

        // One read in fifty and one write in twenty fail.
        cfault_ioerr(20_000, 50_000, 7)
        let entree = DoorInput(door: "entree", runtime: site)
        var decided = 0
        for n in 0..<300 {
            time.advance(.seconds(30))
            let granted = entree.frame(PowerCutLoad.card(n % PowerCutLoad.members))?.entry.access?.granted
            if granted == true { decided += 1 }
            entree.contact(open: true)
            entree.contact(open: false)
            for id in site.timers.takeDue(now: time.now()) { site.engine.submit(.timerFired(id), source: "timer") }
            usleep(200)  // let the writer meet some errors
        }
        #expect(decided == 300)  // every badge decided from memory
        #expect(cfault_ioerr_count() > 0)
        let live = site.engine.read { $0 }

        // The errors stop: the backlog is written, in order, whole.
        cfault_ioerr(0, 0, 0)
        await site.journal.waitDurable(through: site.engine.lastSeq)
        #expect(site.journal.lastError == nil)
        let raised = alarms.withLock { $0 }
        #expect(raised.contains { $0 != nil } && raised.last == .some(nil), "\(raised)")
        #expect(try site.store.integrityCheck() == "ok")
        let seqs = try site.store.read { db in try Int64.fetchAll(db, sql: "SELECT seq FROM journal ORDER BY seq") }
        #expect(seqs == Array(1...site.engine.lastSeq))
        // Each decision's access log row went with its journal entry, none without.
        let orphans = try site.store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM access_log WHERE seq NOT IN (SELECT seq FROM journal)")
        }
        let logged = try site.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM access_log") }
        #expect(orphans == 0 && logged == 300)
        #expect(try Replay.rebuild(store: site.store, useSnapshot: false).state == live)
        site.close()
    }
}
