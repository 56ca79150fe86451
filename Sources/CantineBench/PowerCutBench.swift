// `cantine bench powercut`: the power cut, the way SQLite tests itself (its crash tests). A site
// plays a few days of realistic load — badges, contacts, desk reports, staff commands through
// the inbox, calendar imports, snapshots, the MQTT outbox, compaction, retention and an
// erasure that checkpoints the WAL — on the CSQLiteFaults VFS, which at a chosen write
// stops the disk and then gives each block written since its last sync its new or its old
// content. The site is then opened again from what is left and checked: it opens, SQLite finds
// it whole, every acknowledged entry is there as it was written, replay equals the recovered
// state, the relays come up locked, and it serves again.

import CSQLiteFaults
import CantineConfig
import CantineCore
import CantineDaemon
import CantineGPIO
import CantineProtocol
import CantineSite
import CantineStore
import Foundation
import Logging
import Synchronization

/// Figures of the power-cut bench: each count but `cuts` must be 0.
public struct PowerCutResult: Codable, Sendable {
    public var cuts = 0
    /// Acknowledged journal entries (reported durable) missing or changed after a cut.
    public var lostAcknowledged = 0
    /// Cuts after which the site did not open.
    public var openFailures = 0
    /// Cuts after which `PRAGMA integrity_check` was not `ok`.
    public var integrityFailures = 0
    /// Cuts after which the journal replayed from its beginning differed from the state recovered.
    public var replayMismatches = 0
    /// Cuts after which a relay was not driven locked, or one was unlocked, at the restart.
    public var relayFailures = 0
    /// Cuts after which the site did not decide a badge, journal it and answer a command.
    public var serveFailures = 0
    /// Cuts before which a step of the load failed while the disk still had power (a broken load).
    public var loadFailures = 0
    /// Cuts by the kind of step whose write the power failed in.
    public var cutsByStep: [String: Int] = [:]
    /// Cuts by the file written: the WAL (commits) or the database (checkpoints).
    public var cutsByFile: [String: Int] = [:]
    /// Cuts by how unsynced writes were lost: in order, reordered, with a torn block.
    public var cutsByMode: [String: Int] = [:]
    /// Blocks written since a sync that the cuts took back (new content lost), in all.
    public var blocksLost: Int64 = 0
    /// Write operations (writes, syncs, truncates) of the whole load, uncut.
    public var writesPerLoad: Int64 = 0
    /// Cuts the load ended before reaching (the last steps wrote less this time): drawn again
    /// for the same kind of step.
    public var missed = 0
    public var seconds = 0.0
    /// The first failures, one line each.
    public var failures: [String] = []

    enum CodingKeys: String, CodingKey {
        case cuts, lostAcknowledged = "lost_acknowledged", openFailures = "open_failures"
        case integrityFailures = "integrity_failures", replayMismatches = "replay_mismatches"
        case relayFailures = "relay_failures", serveFailures = "serve_failures", loadFailures = "load_failures"
        case cutsByStep = "cuts_by_step"
        case cutsByFile = "cuts_by_file", cutsByMode = "cuts_by_mode", blocksLost = "blocks_lost"
        case writesPerLoad = "writes_per_load", missed, seconds, failures
    }

    /// Whether every promise held.
    public var clean: Bool {
        lostAcknowledged == 0 && openFailures == 0 && integrityFailures == 0 && replayMismatches == 0
            && relayFailures == 0 && serveFailures == 0 && loadFailures == 0
    }

    mutating func fail(_ line: String) {
        if failures.count < 10 { failures.append(line) }
    }
}

/// The kinds of step of the power-cut load (the label of the writes they make).
enum PowerCutStep: Int32, CaseIterable, Sendable {
    case badge, contact, deskReport, command, calendarImport, snapshot, outbox, compaction, retention, erasure
    case restart

    var name: String {
        switch self {
        case .badge: "badge"
        case .contact: "contact"
        case .deskReport: "desk_report"
        case .command: "cli_command"
        case .calendarImport: "import"
        case .snapshot: "snapshot"
        case .outbox: "outbox"
        case .compaction: "compaction"
        case .retention: "retention"
        case .erasure: "erasure"
        case .restart: "restart"
        }
    }
}

/// One site under the load, and what it acknowledged.
final class PowerCutLoad {
    let site: Site
    let time: ManualTime
    let entree: DoorInput
    let sortie: DoorInput
    let desks: [DeskID]
    /// Called after each step; false stops the load (the power failed).
    let after: (PowerCutStep) -> Bool
    /// Called as each step begins (the bench arms its cut there).
    var before: (PowerCutStep) -> Void = { _ in }
    /// The highest sequence number reported durable.
    var acknowledged: Int64 { written.acknowledged }
    /// Commands the CLI was answered, with the last journal entry each made.
    var answered: [(String, Int64)] = []

    init(site: Site, time: ManualTime, after: @escaping (PowerCutStep) -> Bool) {
        self.site = site
        self.time = time
        self.after = after
        entree = DoorInput(door: "entree", runtime: site)
        sortie = DoorInput(door: "sortie", runtime: site)
        desks = site.settings.layout.desks.map(\.id)
    }

    static let members = 8
    static func card(_ n: Int) -> WiegandFrame {
        (try? Wiegand.encode(CardRead(format: .h10301, facility: 7, card: UInt64(100 + n))))!
    }

    /// Members with badges and plans: the base every cut starts from.
    static func seed(_ site: Site) throws {
        for n in 0..<members {
            _ = try site.apply(.addMember(id: "m\(n)", name: "Membre \(n)", email: "m\(n)@example.org"), source: "seed")
            _ = try site.apply(
                .grantPlan(member: "m\(n)", kind: n == 0 ? .staff : .residentMonthly, from: "2026-03-01", days: 31),
                source: "seed")
            _ = try site.apply(
                .enrollBadge(member: "m\(n)", format: .h10301, facility: 7, card: UInt64(100 + n), id: nil, pin: nil),
                source: "seed")
        }
        site.journal.flush()
        try site.snapshot()
    }

    /// Acknowledged entries as the database held them before any cut.
    var written = AcknowledgedRows()

    /// Ends a step: records what is acknowledged now, as written; false when the disk has gone.
    func done(_ step: PowerCutStep) -> Bool {
        // Each step's writes land within it (the journal writer is otherwise still writing the
        // last steps' entries while the next runs, a little differently from run to run, and a
        // cut aimed at one step would land in another): what it journaled is written now.
        if cfault_dead() == 0 { site.journal.flush() }
        // Read back before the power cut's effect is applied (the files are intact until then).
        written.record(site.store, durable: site.journal.durableSeq)
        return after(step) && cfault_dead() == 0
    }

    /// Steps that failed while the disk still had power: a broken load, which the bench reports
    /// (a step failing because the power went is expected and not counted).
    var errors: [String] = []

    func step(_ kind: PowerCutStep, _ body: () throws -> Void) -> Bool {
        before(kind)
        cfault_set_label(kind.rawValue)
        do { try body() } catch { failed(kind, error) }
        return done(kind)
    }

    func asyncStep(_ kind: PowerCutStep, _ body: () async throws -> Void) async -> Bool {
        before(kind)
        cfault_set_label(kind.rawValue)
        do { try await body() } catch { failed(kind, error) }
        return done(kind)
    }

    func failed(_ kind: PowerCutStep, _ error: any Error) {
        if cfault_dead() == 0 { errors.append("\(kind.name): \(error)") }
    }

    func fireTimers() {
        for id in site.timers.takeDue(now: time.now()) { site.engine.submit(.timerFired(id), source: "timer") }
    }

    /// A staff command as the CLI sends it while the daemon runs: into the inbox, performed,
    /// answered once durable, the answer read by the CLI.
    func command(_ op: SiteOperation) throws {
        let request = try site.store.inboxSubmit(try JSONEncoder().encode(op), now: time.now().micros)
        for pending in try site.store.inboxPending() {
            let op = try JSONDecoder().decode(SiteOperation.self, from: pending.body)
            let (ok, response, last): (Bool, String, Int64)
            do {
                let (result, seq) = try site.apply(op, source: "cli")
                guard site.journal.flush() else { return }  // not durable: no answer
                if case .eraseMember = op { try site.store.truncateWAL() }
                (ok, response, last) = (true, result.message, seq)
            } catch {
                (ok, response, last) = (false, "\(error)", 0)
            }
            try site.store.inboxComplete(pending.id, ok: ok, response: response)
            if pending.id == request, case .done = try site.store.inboxOutcome(request) {
                answered.append((response, last))
            }
        }
    }

    static func calendar(day: String, title: String) -> String {
        let d = day.replacingOccurrences(of: "-", with: "")
        return [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Cantine//powercut//EN", "BEGIN:VEVENT",
            "UID:pc-\(d)@cantine.example", "DTSTAMP:20260301T000000Z", "DTSTART:\(d)T130000Z",
            "DTEND:\(d)T150000Z", "SUMMARY:\(title)", "LOCATION:salle-1", "END:VEVENT", "BEGIN:VEVENT",
            "UID:pc-bar-\(d)@cantine.example", "DTSTAMP:20260301T000000Z", "DTSTART:\(d)T170000Z",
            "DTEND:\(d)T190000Z", "SUMMARY:Apéro", "END:VEVENT", "END:VCALENDAR", "",
        ].joined(separator: "\r\n")
    }

    /// Plays `days` days; stops early when `after` says so or the power fails.
    func play(days: Int) async -> Bool {
        for day in 0..<days {
            let date = site.calendar.date(of: time.now()).description
            for hour in 0..<10 {
                let n = (day * 10 + hour) % Self.members
                guard
                    step(
                        .badge,
                        {
                            entree.frame(Self.card(n)); fireTimers()
                        }),
                    step(
                        .contact,
                        {
                            entree.contact(open: true); entree.contact(open: false); site.journal.flush()
                        }),
                    step(
                        .badge,
                        {
                            entree.frame(Self.card(40 + hour)); site.journal.flush()
                        }),  // unknown: denied
                    step(
                        .deskReport,
                        {
                            for (i, desk) in desks.prefix(4).enumerated() {
                                site.engine.submit(
                                    .deskReported(DeskReport(desk: desk, occupied: (hour + i) % 3 != 0)), source: "mqtt"
                                )
                            }
                            site.journal.flush()
                        }),
                    step(
                        .outbox,
                        {
                            let now = time.now().micros
                            let message = OutboxMessage(
                                createdUs: now, topic: "cantine/paris/occupancy",
                                payload: Array("{\"h\":\(hour)}".utf8),
                                qos: 1, retain: true, collapse: "occupancy")
                            try site.store.outboxAppend([message], site: "paris", nowUs: now, maxAgeUs: 86_400_000_000)
                            if hour % 2 == 1 { try site.store.outboxDelete(ids: try site.store.outboxPeek().map(\.id)) }
                        })
                else { return false }
                if hour == 3 {
                    guard
                        step(
                            .command,
                            {
                                try command(.addMember(id: "v\(day)", name: "Visiteur \(day)", email: nil))
                                try command(.grantPlan(member: "v\(day)", kind: .dayPass, from: date, days: 1))
                                try command(
                                    .enrollBadge(
                                        member: "v\(day)", format: .h10301, facility: 7, card: UInt64(500 + day),
                                        id: nil,
                                        pin: nil))
                                try command(
                                    .bookDesk(
                                        member: "m1", desk: desks[day % desks.count].rawValue, date: date,
                                        period: .pm, days: 1, id: "b\(day)"))
                            }),
                        step(
                            .calendarImport,
                            {
                                for title in ["Atelier", "Atelier (salle changée)"] {
                                    try command(
                                        .importCalendar(
                                            text: Self.calendar(day: date, title: title), feed: "agenda",
                                            target: .sessions, member: nil, from: date, days: 1, dryRun: false,
                                            unmatched: .site))
                                }
                            })
                    else { return false }
                }
                if hour == 6 {
                    guard step(.snapshot, { try site.snapshot() }) else { return false }
                }
                if hour == 8, day > 0 {
                    guard step(.erasure, { try command(.eraseMember(member: "v\(day - 1)")) }) else { return false }
                }
                sortie.frame(Self.card(n))
                time.advance(.seconds(50 * 60))
                fireTimers()
            }
            // The night, then the morning's housekeeping.
            time.advance(.seconds(14 * 3600 - 500 * 60))
            fireTimers()
            let today = site.calendar.date(of: time.now()).description
            guard
                await asyncStep(
                    .compaction, { _ = try await site.perform(.compactJournal(before: today), source: "cli") }),
                await asyncStep(.retention, { _ = try await site.enforceRetention() })
            else { return false }
        }
        return true
    }
}

extension Bench {
    /// Cuts the power `cuts` times across the load (seeded), each on a fresh copy of the same
    /// base site, and checks what the site promised after each.
    public static func powercut(cuts: Int, seed: UInt64, days: Int = 3, directory: String, logger: Logger) async throws
        -> PowerCutResult
    {
        cfault_install()
        let dir = URL(fileURLWithPath: directory).appendingPathComponent("cantine-powercut-\(getpid())")
            .standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        cfault_scope(dir + "/")
        defer {
            cfault_scope(nil)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let path = dir + "/site.db"
        let base = dir + "/base.db"
        let text = SampleConfig.text(databasePath: path, simulated: true, desksPerZone: 4)
            .replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
        var settings = try Config.parse(text, file: "powercut.toml").settings.siteSettings
        settings.retention = .init(accessLogDays: 2, journalDays: 1, bookingsDays: 2)
        // Each step's writes land within the step (the cuts are drawn by step); what a linger
        // keeps in memory was never acknowledged, and a waiter's entries commit at once anyway.
        settings.commitLinger = .seconds(0)
        let start = Instant(Date(timeIntervalSince1970: 1_772_438_400))  // Monday 2026-03-02 08:00 in Paris
        let quiet = Logger(label: "powercut", factory: { _ in SwiftLogNoOpLogHandler() })

        // The base: members, badges, plans, one snapshot; closed cleanly.
        do {
            let site = try Site.open(
                settings, role: .daemon, mode: .create, time: ManualTime(start), version: cantineVersion, logger: quiet)
            try PowerCutLoad.seed(site)
            site.close()
            try site.store.truncateWAL()  // everything in the database file: the copy is the site
            try site.store.close()
            try FileManager.default.copyItem(atPath: path, toPath: base)
        }
        func fresh() throws {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            try FileManager.default.copyItem(atPath: base, toPath: path)
            cfault_reset()
        }

        // The load uncut: where each step's writes fall.
        try fresh()
        var stepOps: [(PowerCutStep, ClosedRange<Int64>)] = []
        do {
            let time = ManualTime(start)
            let site = try Site.open(settings, role: .daemon, time: time, version: cantineVersion, logger: quiet)
            var opsBefore = cfault_ops()
            let load = PowerCutLoad(site: site, time: time) { step in
                let ops = cfault_ops()
                if ops > opsBefore { stepOps.append((step, (opsBefore + 1)...ops)) }
                opsBefore = ops
                return true
            }
            _ = await load.play(days: days)
            site.close()
            try site.store.close()
            if let error = load.errors.first {
                throw DaemonError(
                    "the power-cut load failed without a cut (\(load.errors.count) steps), first: \(error)")
            }
        }
        var result = PowerCutResult()
        result.writesPerLoad = stepOps.last?.1.upperBound ?? 0
        let byKind = Dictionary(grouping: stepOps, by: \.0)
        let kinds = PowerCutStep.allCases.filter { byKind[$0] != nil }
        guard !kinds.isEmpty else { throw DaemonError("the power-cut load wrote nothing") }

        var rng = SplitMix64(seed: seed)
        let began = ContinuousClock.now
        var attempt = 0
        while result.cuts < cuts && attempt < 3 * cuts {
            let cut = attempt
            attempt += 1
            // Spread over every kind of step, then over its writes (a missed draw is drawn
            // again for the same kind and mode).
            let turn = result.cuts
            let kind = kinds[turn % kinds.count]
            let steps = byKind[kind]!
            let occurrence = Int(rng.next() % UInt64(steps.count))
            let range = steps[occurrence].1
            let offset = Int64(rng.next() % UInt64(range.count))
            let flags = Int32(turn / kinds.count % 4)  // in order, reordered, torn, both
            try fresh()
            let time = ManualTime(start)
            let site = try Site.open(settings, role: .daemon, time: time, version: cantineVersion, logger: quiet)
            let load = PowerCutLoad(site: site, time: time) { _ in true }
            // Armed as that step begins, at the same write within it as in the uncut run: the
            // load's writes drift a little from run to run (group commit), a step's own less.
            // Where the cut lands is what is counted (a step that wrote less this time passes
            // it on to the next).
            var seen = 0
            var op: Int64 = 0
            load.before = { step in
                guard step == kind else { return }
                if seen == occurrence {
                    op = cfault_ops() + 1 + offset
                    cfault_arm(op)
                }
                seen += 1
            }
            let finished = await load.play(days: days)
            _ = load.done(.restart)  // what was reported durable as the power went
            try site.abandon()
            if let error = load.errors.first {
                result.loadFailures += 1
                result.fail("cut \(cut): a step failed before the power did: \(error)")
            }
            if finished && cfault_dead() == 0 {
                // The load wrote a little less this time (timing in the journal's group commit).
                result.missed += 1
                continue
            }
            let step = PowerCutStep(rawValue: cfault_cut_label()).map(\.name) ?? "?"
            let file =
                cfault_cut_file() == CFAULT_MAIN_DB ? "database" : cfault_cut_file() == CFAULT_WAL ? "wal" : "other"
            let mode = ["in_order", "reordered", "torn", "reordered_torn"][Int(flags)]
            let lost = cfault_crash(UInt32(truncatingIfNeeded: rng.next()), flags)
            guard lost >= 0 else { throw DaemonError("the power-cut bench left a database file open") }
            result.cuts += 1
            result.blocksLost += lost
            result.cutsByStep[step, default: 0] += 1
            result.cutsByFile[file, default: 0] += 1
            result.cutsByMode[mode, default: 0] += 1
            check(
                &result, "cut \(cut) (write \(op), \(step), \(file), \(mode))", settings: settings, time: time,
                written: load.written, logger: quiet)
        }
        result.seconds = seconds(ContinuousClock.now - began)
        return result
    }

    /// Reopens the site after a cut and checks every promise, counting what failed.
    static func check(
        _ result: inout PowerCutResult, _ name: String, settings: SiteSettings, time: ManualTime,
        written: AcknowledgedRows, logger: Logger
    ) {
        let acknowledged = written.acknowledged
        let relays = Mutex<[(DoorID, RelayCommand)]>([])
        let site: Site
        do {
            site = try Site.open(
                settings, role: .daemon, time: time,
                relays: { door, command in relays.withLock { $0.append((door, command)) } },
                version: cantineVersion, logger: logger)
        } catch {
            result.openFailures += 1
            result.fail("\(name): the site did not open: \(error)")
            return
        }
        defer {
            site.close()
            try? site.store.close()
        }
        let integrity = (try? site.store.integrityCheck()) ?? "unreadable"
        if integrity != "ok" {
            result.integrityFailures += 1
            result.fail("\(name): integrity_check says \(integrity)")
        }
        // Every acknowledged entry is there, as written before the cut (those compacted are in
        // the base snapshot). One reported durable but not in the database before the cut was
        // acknowledged too early: lost as well.
        do {
            let base = try site.store.journalBase()
            let lost = acknowledged <= base ? 0 : try written.lost(in: site.store, after: base)
            if lost > 0 {
                result.lostAcknowledged += lost
                result.fail(
                    "\(name): \(lost) of the entries through seq \(acknowledged), acknowledged, are missing or changed (the site recovered through \(site.recovered.lastSeq))"
                )
            }
        } catch {
            result.lostAcknowledged += 1
            result.fail("\(name): the journal could not be read: \(error)")
        }
        // Replay from the journal's beginning equals the state the site recovered.
        if let replay = try? Replay.rebuild(store: site.store, useSnapshot: false, through: site.recovered.lastSeq),
            replay.digest == site.recovered.digest
        {
        } else {
            result.replayMismatches += 1
            result.fail("\(name): replay from the beginning differs from the recovered state")
        }
        // The relays: every door driven locked at the restart, none unlocked.
        let driven = relays.withLock { $0 }
        let doors = Set(settings.layout.doors.map(\.id))
        if Set(driven.filter { $0.1 == .lock }.map(\.0)) != doors || driven.contains(where: { $0.1 != .lock })
            || !site.engine.read({ $0.doors.values.allSatisfy { $0.lock == .locked } })
        {
            result.relayFailures += 1
            result.fail("\(name): the relays did not all come up locked: \(driven)")
        }
        // It serves again: a member's badge opens, is journaled, and a command is answered.
        time.advance(.seconds(3600))
        let granted = DoorInput(door: "entree", runtime: site).frame(PowerCutLoad.card(0))?.entry.access?.granted
        let answered =
            (try? site.apply(.addMember(id: nil, name: "Après la coupure", email: nil), source: "cli")) != nil
        if granted != true || !answered || !site.journal.flush() || site.journal.durableSeq != site.engine.lastSeq {
            result.serveFailures += 1
            result.fail("\(name): the site did not serve again (badge: \(String(describing: granted)))")
        }
    }
}

/// What a bench keeps of every acknowledged journal row: a 64-bit digest (FNV-1a) of the row as
/// written (seq, kind, source, time, payload), 8 bytes a row, so an hour-long run's record stays
/// small and a check after a cut streams the journal instead of loading it.
struct AcknowledgedRows {
    /// The highest seq reported durable: every row through it must survive a cut.
    private(set) var acknowledged: Int64 = 0
    /// Rows 1 through `through` are recorded as written; those after it, up to `acknowledged`,
    /// could not be read yet (an I/O error): of them only presence is checked.
    var through: Int64 { Int64(digests.count) }
    private var digests: [UInt64] = []
    /// Rows through this one were compacted into the base snapshot before they were read.
    private var compacted: Int64 = 0

    /// Notes `durable` as acknowledged and records the rows after `through` up to it, read
    /// back from the store, all or none (none when they cannot all be read now: a later call
    /// tries again).
    mutating func record(_ store: Store, durable: Int64) {
        acknowledged = max(acknowledged, durable)
        guard acknowledged > through, let base = try? store.journalBase() else { return }
        if base > through {
            compacted = min(base, acknowledged)
            digests += repeatElement(0, count: Int(compacted - through))
            if acknowledged <= through { return }
        }
        guard let rows = try? store.rawEntries(after: through, through: acknowledged, limit: .max),
            rows.count == Int(acknowledged - through), rows.first?.seq == through + 1
        else { return }
        digests += rows.map(Self.digest)
    }

    /// How many acknowledged rows after `base` the store does not hold as they were written
    /// (missing, or changed where recorded), read in batches.
    func lost(in store: Store, after base: Int64) throws -> Int {
        var lost = 0
        var next = base + 1
        while next <= acknowledged {
            let rows = try store.rawEntries(after: next - 1, through: acknowledged, limit: 4096)
            for row in rows {
                lost += Int(row.seq - next)  // a gap
                if row.seq <= through && row.seq > compacted && digests[Int(row.seq - 1)] != Self.digest(row) {
                    lost += 1
                }
                next = row.seq + 1
            }
            if rows.isEmpty { break }
        }
        return lost + Int(max(0, acknowledged + 1 - next))
    }

    static func digest(_ row: Store.RawEntry) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
            for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        withUnsafeBytes(of: row.seq.littleEndian) { mix($0) }
        withUnsafeBytes(of: row.wallUs.littleEndian) { mix($0) }
        mix(row.kind.utf8)
        mix([0])
        mix(row.source.utf8)
        mix([0])
        mix(row.payload)
        return h
    }
}
