// The opened site on a real SQLite file with an injected clock: replay equals live, restarts
// recover the same state, a second daemon is refused, operations keep personal data apart.

import CantineConfig
import CantineCore
import CantineGPIO
import CantineProtocol
import CantineSite
import Foundation
import GRDB
import Logging
import Testing

@testable import CantineDaemon
@testable import CantineStore

/// A temporary site: config + database in a fresh directory.
final class TestSite: Sendable {
    let dir: String
    let config: Config
    let time = ManualTime(Instant(seconds: 1_795_251_600))  // 2026-11-21 10:00 Paris
    /// The relays' own re-lock deadlines, fired only when the test moves them: a slow machine
    /// never re-locks a door in the middle of a test.
    let deadlines = MonotonicDeadlines()

    /// `edit` changes the sample config text before it is parsed.
    init(edit: (String) -> String = { $0 }) throws {
        dir = NSTemporaryDirectory() + "cantine-site-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let text = SampleConfig.text(databasePath: dir + "/cantine.db", simulated: true)
            .replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
        config = try Config.parse(edit(text), file: "test.toml")
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// The simulated doors' relays, claimed locked, their re-lock deadlines on `deadlines`.
    func bootHardware() throws(GPIOError) -> DoorHardware {
        try DoorHardware.boot(config, logger: Logger(label: "t"), deadline: deadlines.deadline)
    }

    func open(_ role: Site.Role = .daemon, relays: [DoorID: RelayDriver] = [:]) throws(DaemonError) -> Site {
        try Site.open(
            config: config, role: role, mode: .create, time: time, relays: relays, version: "test",
            logger: Logger(label: "test"))
    }
}

func card(_ n: UInt64) -> WiegandFrame { try! Wiegand.encode(CardRead(format: .h10301, facility: 42, card: n)) }

/// Relay deadlines captured on a monotonic scale the test moves (the relay's own cap).
final class MonotonicDeadlines: @unchecked Sendable {
    private let lock = NSLock()
    private var due: [(at: Int64, body: @Sendable () -> Void)] = []
    private var now: Int64 = 0

    var deadline: RelayDriver.Deadline {
        { delay, body in self.lock.withLock { self.due.append((self.now + delay.micros, body)) } }
    }

    /// The delays still pending, from the current instant.
    var pending: [Span] { lock.withLock { due.map { Span(micros: $0.at - now) } } }

    /// Moves the scale on and runs what fell due, in order.
    func advance(_ span: Span) {
        let fire = lock.withLock {
            now += span.micros
            let fire = due.filter { $0.at <= now }.sorted { $0.at < $1.at }
            due.removeAll { $0.at <= now }
            return fire
        }
        fire.forEach { $0.body() }
    }
}

/// Plays a little day: a member with a badge and bookings, badges, contacts, desks, timers.
func playADay(_ runtime: Site, _ time: ManualTime) async throws {
    _ = try await runtime.perform(
        .addMember(id: "m-ada", name: "Ada Lovelace", email: "ada@example.org"), source: "test")
    _ = try await runtime.perform(
        .grantPlan(member: "m-ada", kind: .residentMonthly, from: "today", days: 1), source: "test")
    _ = try await runtime.perform(
        .enrollBadge(member: "m-ada", format: .h10301, facility: 42, card: 1234, id: "b-ada", pin: nil), source: "test")
    _ = try await runtime.perform(
        .bookDesk(member: "m-ada", desk: "f01", date: "today", period: .day, days: 1, id: "bk-1"), source: "test")
    // She comes at 11:00, as the day's check-in closes: bk-1 is released as a no-show, and
    // her desk taken without a booking is a walk-in.
    time.advance(.seconds(3600))
    for id in runtime.timers.takeDue(now: time.now()) { runtime.engine.submit(.timerFired(id), source: "timer") }
    let entree = DoorInput(door: "entree", runtime: runtime)
    let sortie = DoorInput(door: "sortie", runtime: runtime)
    entree.frame(card(1234))
    entree.contact(open: true)
    time.advance(.seconds(5))
    entree.contact(open: false)
    for id in runtime.timers.takeDue(now: time.now()) { runtime.engine.submit(.timerFired(id), source: "timer") }
    runtime.engine.submit(.deskReported(DeskReport(desk: "f01", occupied: true)), source: "sensor:node-f01")
    entree.frame(card(9999))  // unknown badge
    entree.frame(WiegandFrame(bits: card(1234).bits ^ 1, count: 26))  // garbled
    time.advance(.seconds(3600))
    runtime.engine.submit(.deskReported(DeskReport(desk: "f01", occupied: false)), source: "sensor:node-f01")
    sortie.frame(card(1234))
    sortie.exitButton()
    time.advance(.seconds(10))
    for id in runtime.timers.takeDue(now: time.now()) { runtime.engine.submit(.timerFired(id), source: "timer") }
}

@Suite struct RuntimeTests {
    @Test func theBookingRecordsFollowTimersSensorsAndStaff() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        defer { runtime.close() }
        func fireDue() {
            for id in runtime.timers.takeDue(now: site.time.now()) {
                runtime.engine.submit(.timerFired(id), source: "timer")
            }
        }
        try await playADay(runtime, site.time)  // Ada's booking of f01 is released as a no-show
        // Bob comes in; f02 occupied, then booked for Ada while she is out: checked in by the
        // sensor, and a ghost (her desk taken while she is not inside).
        _ = try await runtime.perform(.addMember(id: "m-bob", name: "Bob", email: nil), source: "test")
        _ = try await runtime.perform(
            .grantPlan(member: "m-bob", kind: .residentMonthly, from: "today", days: 1), source: "test")
        _ = try await runtime.perform(
            .enrollBadge(member: "m-bob", format: .h10301, facility: 42, card: 4321, id: "b-bob", pin: nil),
            source: "test")
        #expect(DoorInput(door: "entree", runtime: runtime).frame(card(4321))?.entry.access?.granted == true)
        runtime.engine.submit(.deskReported(DeskReport(desk: "f02", occupied: true)), source: "sensor:node-f02")
        site.time.advance(.seconds(60))
        fireDue()
        _ = try await runtime.perform(
            .bookDesk(member: "m-ada", desk: "f02", date: "today", period: .day, days: 1, id: "bk-2"), source: "test")
        runtime.engine.reconcile()
        let ghost = try #require(
            runtime.engine.read { $0.findings.values.first { $0.kind == .ghost && $0.booking == "bk-2" } })
        func status(_ id: String) throws -> String? {
            try runtime.store.read { try BookingRecord.fetchOne($0, key: id)?.status }
        }
        #expect(runtime.journal.flush())
        #expect(try status("bk-1") == "released" && status("bk-2") == "checked-in")
        _ = try await runtime.perform(
            .resolveFinding(id: ghost.id.rawValue, action: .release, member: nil, by: "staff:alice"), source: "test")
        #expect(runtime.journal.flush())
        #expect(runtime.engine.read { $0.bookings["bk-2"]?.status } == .cancelled)
        #expect(try status("bk-2") == "cancelled")
    }

    @Test func anIdGivenByHandIsCheckedAgainstTheRecordsMemoryLetGoOf() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        defer { runtime.close() }
        try await playADay(runtime, site.time)  // bk-1: Ada's f01, released as a no-show
        _ = try await runtime.perform(
            .addSession(
                title: "Open data", room: nil, date: "today", start: "18:00", end: "19:00", kind: .talk, track: nil,
                speakers: [], id: "s-open"), source: "test")
        #expect(runtime.journal.flush())
        // Ten days on, a new booking and session: memory lets go of the old ones (a week after
        // they ended); their records stay.
        site.time.advance(.seconds(10 * 86_400))
        _ = try await runtime.perform(
            .grantPlan(member: "m-ada", kind: .residentMonthly, from: "today", days: 1), source: "test")
        let added = try await runtime.perform(
            .bookDesk(member: "m-ada", desk: "f02", date: "today", period: .am, days: 1, id: nil), source: "test")
        _ = try await runtime.perform(
            .addSession(
                title: "Barcamp", room: nil, date: "today", start: "10:00", end: "11:00", kind: .talk, track: nil,
                speakers: [], id: nil), source: "test")
        #expect(added.id != "bk-1" && runtime.engine.read { $0.bookings[BookingID(added.id)] } != nil)
        #expect(runtime.engine.read { $0.bookings["bk-1"] == nil && $0.sessions["s-open"] == nil })
        await #expect(
            throws: CommandError(
                .conflict,
                "booking 'bk-1' already exists (desk f01 from 2026-11-21 08:00, released): give another id, or leave --id out"
            )
        ) {
            try await runtime.perform(
                .bookDesk(member: "m-ada", desk: "f02", date: "today", period: .pm, days: 1, id: "bk-1"),
                source: "test")
        }
        await #expect(
            throws: CommandError(
                .conflict,
                "session 's-open' already exists ('Open data' on 2026-11-21 18:00): give another id, or leave --id out")
        ) {
            try await runtime.perform(
                .addSession(
                    title: "Other", room: nil, date: "today", start: "18:00", end: "19:00", kind: .talk, track: nil,
                    speakers: [], id: "s-open"), source: "test")
        }
        #expect(runtime.journal.flush())
        let old = try runtime.store.read { try BookingRecord.fetchOne($0, key: "bk-1") }
        #expect(old?.resourceId == "f01" && old?.status == "released")
        #expect(try runtime.store.read { try SessionRecord.fetchOne($0, key: "s-open")?.title } == "Open data")
    }

    @Test func replayingTheJournalGivesTheLiveState() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        let live = runtime.engine.read { $0 }
        #expect(live.counters.granted == 3 && live.counters.denied == 2)  // two badges and the exit button
        #expect(live.doors.values.allSatisfy { $0.lock == .locked })
        runtime.journal.flush()
        let replay = try Replay.rebuild(store: runtime.store, useSnapshot: false)
        #expect(replay.lastSeq == runtime.engine.lastSeq)
        #expect(replay.state == live)
        #expect(replay.digest == StateDigest.of(live))
        runtime.close()
    }

    @Test func aRestartRecoversTheStateFromSnapshotAndTail() async throws {
        let site = try TestSite()
        var runtime = try site.open()
        try await playADay(runtime, site.time)
        try runtime.snapshot()
        runtime.engine.submit(.deskReported(DeskReport(desk: "f02", occupied: true)), source: "sensor:node-f02")
        let live = runtime.engine.read { $0 }
        #expect(runtime.close())

        runtime = try site.open(.tool)
        #expect(runtime.recovered.fromSnapshot != nil)
        // The report, and the ghost it shows: a desk occupied while nobody is inside.
        #expect(runtime.recovered.applied == 2)
        #expect(live.findings.values.contains { $0.kind == .ghost && $0.desk == "f02" && $0.detail == "nobody inside" })
        #expect(runtime.engine.read { $0 } == live)
        let full = try Replay.rebuild(store: runtime.store, useSnapshot: false)
        #expect(full.state == live)
        runtime.close()
    }

    /// The utilisation fold is kept where it stands: a clean restart goes on from the state the
    /// site opened with, a start after a cut from a state rebuilt at the fold's last save, and
    /// either ends on the same days as a fold of the whole journal.
    @Test func theUtilisationHistoryGoesOnWhereItStoppedAcrossRestarts() async throws {
        let site = try TestSite()
        var runtime = try site.open()
        try await playADay(runtime, site.time)
        runtime.journal.flush()
        try runtime.usage.catchUp()
        #expect(runtime.usage.started == .fromBeginning)
        #expect(runtime.close())

        runtime = try site.open()
        let opened = runtime.recovered.lastSeq
        try runtime.usage.catchUp()
        #expect(runtime.usage.started == .resumed(at: opened))
        #expect(runtime.close())  // kept at the last entry again

        // Past midnight, written by a tool that never folds: the saved fold is behind the journal.
        runtime = try site.open(.tool)
        site.time.advance(.seconds(86_400))
        runtime.engine.submit(.deskReported(DeskReport(desk: "f02", occupied: true)), source: "sensor:node-f02")
        try runtime.snapshot()
        runtime.engine.submit(.deskReported(DeskReport(desk: "f02", occupied: false)), source: "sensor:node-f02")
        let saved = try #require(try runtime.store.usageProgress(site: runtime.settings.site).map(\.seq))
        #expect(runtime.close())

        runtime = try site.open()
        defer { runtime.close() }
        runtime.journal.flush()
        let fold = try runtime.usage.catchUp()
        #expect(runtime.usage.started == .rebuilt(at: saved))
        var whole = UsageFold(state: State(), seq: 0, calendar: runtime.calendar)
        var days: [DayUsage] = []
        try runtime.store.forEachEntry { days += whole.apply($0.event, seq: $0.seq, at: $0.wall) }
        let now = site.time.now()
        #expect(days.count == 1 && days[0].complete)
        #expect(fold.running(at: now) == whole.running(at: now))
        let stored = try runtime.store.usageDays(site: runtime.settings.site, from: "2000-01-01", through: "2100-01-01")
        #expect(stored.first == days.first)
    }

    @Test func aSecondDaemonOnTheSameDatabaseIsRefused() throws {
        let site = try TestSite()
        let first = try site.open()
        do {
            _ = try site.open()
            Issue.record("a second runtime opened the same database")
        } catch {
            #expect(error.message.contains("is in use by another cantine process"))
        }
        first.close()
        try site.open().close()
    }

    @Test func theLayoutIsJournaledOnlyWhenItChanges() throws {
        let site = try TestSite()
        try site.open(.tool).close()
        let runtime = try site.open(.tool)
        #expect(runtime.engine.lastSeq == 1)
        runtime.close()
    }

    @Test func aDatabaseOfAnotherSiteIsRefused() throws {
        let site = try TestSite()
        try site.open(.tool).close()
        var other = site.config
        other.site.id = "nantes"
        #expect(throws: DaemonError.self) {
            try Site.open(config: other, role: .tool, time: site.time, version: "t", logger: Logger(label: "t"))
        }
    }

    @Test func badgeNumbersAndNamesStayOutOfTheJournal() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        runtime.journal.flush()
        let payloads = try runtime.store.read { db in
            try String.fetchAll(db, sql: "SELECT CAST(payload AS TEXT) FROM journal")
        }.joined()
        // The badge number as a value of its own: inside a random token or a timestamp, "1234"
        // is chance (a fresh CI clone once found it in one), not the number leaking.
        let token = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/_-".utf8)
        let text = payloads.utf8
        let alone = payloads.ranges(of: "1234").contains { r in
            (r.lowerBound == text.startIndex || !token.contains(text[text.index(before: r.lowerBound)]))
                && (r.upperBound == text.endIndex || !token.contains(text[r.upperBound]))
        }
        #expect(!payloads.contains("Ada") && !payloads.contains("ada@example.org") && !alone)
        let record = try runtime.store.read { try CredentialRecord.fetchOne($0, key: "b-ada") }
        #expect(record?.cardNumber == 1234)
        runtime.close()
    }

    @Test func refusedOperationsSayWhyAndStoreNothing() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        let before = runtime.engine.lastSeq
        for (op, message) in [
            (
                SiteOperation.grantPlan(member: "m-nobody", kind: .dayPass, from: "today", days: 1),
                "no member 'm-nobody': see `cantine members list`"
            ),
            (.addMember(id: nil, name: "  ", email: nil), "a member name needs 1 to 200 characters"),
            (.addMember(id: nil, name: "Bob", email: "bob"), "'bob' is not an email address"),
            (
                .bookDesk(member: "m-x", desk: "f01", date: "21/11/2026", period: .day, days: 1, id: nil),
                "'21/11/2026' is not a date: use YYYY-MM-DD, today or tomorrow"
            ),
            (
                .enrollBadge(member: "m-x", format: .h10301, facility: 300, card: 1, id: nil, pin: nil),
                "card 300/1 does not fit h10301: facility ≤ 255, card ≤ 65535"
            ),
            (
                .bookRoom(member: "m-x", room: "salle-1", date: "today", start: "25:00", end: "26:00", id: nil),
                "'25:00' is not a time: use HH:MM (24 h), e.g. 14:30"
            ),
        ] {
            await #expect {
                try await runtime.perform(op, source: "test")
            } throws: {
                ($0 as? CommandError)?.message == message
            }
        }
        #expect(runtime.engine.lastSeq == before)
        #expect(try runtime.store.read { try MemberRecord.fetchCount($0) } == 0)
        runtime.close()
    }
}

@Suite struct DoorHardwareTests {
    @Test func theRelayReLocksByItselfCappedAtTenSeconds() {
        let line = SimulatedOutputLine(initiallyActive: false)
        let deadlines = MonotonicDeadlines()
        let relay = RelayDriver(door: "entree", line: line, failSecure: true, deadline: deadlines.deadline)
        relay.apply(.unlock(.seconds(600)))
        #expect(line.active == true)  // fail-secure strike: energized = unlocked
        #expect(deadlines.pending == [Door.maxPulse])
        deadlines.advance(.milliseconds(9_999))
        #expect(line.active == true)
        deadlines.advance(.milliseconds(1))
        #expect(line.active == false)
    }

    @Test func anOlderDeadlineDoesNotCutANewerPulseShort() {
        let line = SimulatedOutputLine(initiallyActive: false)
        let deadlines = MonotonicDeadlines()
        let relay = RelayDriver(door: "entree", line: line, failSecure: true, deadline: deadlines.deadline)
        relay.apply(.unlock(.seconds(5)))
        deadlines.advance(.seconds(2))
        relay.apply(.unlock(.seconds(5)))
        deadlines.advance(.seconds(3))  // the first pulse's end
        #expect(line.active == true)
        deadlines.advance(.seconds(2))
        #expect(line.active == false)
    }

    @Test func failSafeDoorsAreEnergizedToLock() {
        let line = SimulatedOutputLine(initiallyActive: true)
        let relay = RelayDriver(door: "issue", line: line, failSecure: false, deadline: { _, _ in })
        relay.apply(.unlock(.seconds(3)))
        #expect(line.active == false)
        relay.lockNow()
        #expect(line.active == true)
    }

    @Test func bootClaimsEveryRelayAtItsLockedLevel() throws {
        let site = try TestSite()
        let hardware = try site.bootHardware()
        #expect(hardware.simulatedRelays.count == 2)
        #expect(
            hardware.simulatedRelays.values.allSatisfy {
                $0.active == RelayDriver.lockedLevel(failSecure: true) && $0.history.isEmpty
            })
    }

    @Test func aGrantDrivesTheRelayThroughTheEngineAndTheTimerRelocksIt() async throws {
        let site = try TestSite()
        let hardware = try site.bootHardware()
        let runtime = try site.open(relays: hardware.relays)
        try await playADay(runtime, site.time)
        let history = try #require(hardware.simulatedRelays["entree"]?.history)
        // Claimed locked at boot (no history), unlocked by the grant, locked by the relock timer.
        #expect(history == [true, false])
        // The exit reader's grant and the exit button each unlock, one relock ends both.
        #expect(hardware.simulatedRelays["sortie"]?.history == [true, true, false])
        runtime.close()
    }

    @Test func realGPIOWithoutAChipSaysWhichChipAndWhatToDo() throws {
        let site = try TestSite()
        var config = site.config
        config.gpio.mode = "real"
        config.gpio.chip = "gpiochip-missing"
        #expect(
            throws: GPIOError(
                .notFound,
                "GPIO chip gpiochip-missing not found: check the chip name (`gpiodetect` lists chips) or set gpio.mode = \"simulated\""
            )
        ) {
            try DoorHardware.boot(config, logger: Logger(label: "t"))
        }
    }
}
