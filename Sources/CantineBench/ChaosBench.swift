// `cantine bench chaos`: a site at high speed (ten seconds of its time per step: badges at both
// doors, contacts, desk reports through the MQTT ingest, staff commands answered once durable,
// timers) on the CSQLiteFaults VFS, with a real mosquitto, while faults come one after another
// at random (seeded): the broker killed and restarted, the disk full, I/O errors, the wall
// clock stepped an hour either way, a reader chip gone (its adapter reports the fault and reads
// nothing, as DoorReader does) and back, another client taking the daemon's MQTT id, and the
// power cut mid-write, the site reopened from what the disk kept. Throughout, it checks what a
// door and a journal promise: no relay unlocked but for a grant, no unlock beyond the cap,
// every door driven locked before anything else at each start, every acknowledged entry there
// after each restart, replay equal to the live state, descriptors and memory bounded. A run
// stuck for two minutes ends with a line naming where (`ChaosWatchdog`).

import CSQLiteFaults
import CantineConfig
import CantineCore
import CantineDaemon
import CantineDemo
import CantineGPIO
import CantineMQTT
import CantineProtocol
import CantineSite
import CantineStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Figures of the chaos bench: `invariant_violations` must be 0.
public struct ChaosResult: Codable, Sendable {
    public var minutes = 0.0
    public var seed: UInt64 = 0
    /// Whether a mosquitto was there (without one, the broker faults are not played).
    public var mqtt = false
    /// Faults injected, by kind.
    public var faults: [String: Int] = [:]
    public var invariantViolations = 0
    /// The first violations, one line each.
    public var violations: [String] = []
    /// Restarts of the site after a power cut.
    public var restarts = 0
    /// Steps played (ten seconds of the site's time each), and hours of the site's time.
    public var steps = 0
    public var siteHours = 0.0
    public var badges = 0
    public var grants = 0
    public var unlocks = 0
    /// Staff commands answered (durable), and the journal entries acknowledged through the last
    /// restart (each restart checks every one of them).
    public var commandsAnswered = 0
    public var acknowledgedChecked: Int64 = 0
    /// Times the daemon's MQTT health named the takeover while another client held its id.
    public var takeoversNamed = 0
    /// That the faults bite: steps with the journal failing to write, I/O errors SQLite was
    /// given, steps with the daemon's MQTT client not connected.
    public var journalFailingSteps = 0
    public var ioErrorsReturned: Int64 = 0
    public var mqttDownSteps = 0
    public var fdsStart = 0
    public var fdsEnd = 0
    /// What the descriptors open at the end and not at the start point to.
    public var fdsOpened: [String] = []
    public var rssStartMB = 0.0
    public var rssEndMB = 0.0
    /// Of it, the heap in use (malloc's) and SQLite's own part, at start and end.
    public var heapStartMB = 0.0
    public var heapEndMB = 0.0
    public var sqliteStartMB = 0.0
    public var sqliteEndMB = 0.0
    /// The site's state as canonical JSON at the end, in KB, and the findings it holds.
    public var stateEndKB = 0.0
    public var findings: [String: Int] = [:]
    public var seconds = 0.0

    enum CodingKeys: String, CodingKey {
        case minutes, seed, mqtt, faults, invariantViolations = "invariant_violations", violations, restarts, steps
        case siteHours = "site_hours", badges, grants, unlocks, commandsAnswered = "commands_answered"
        case acknowledgedChecked = "acknowledged_checked", takeoversNamed = "takeovers_named"
        case journalFailingSteps = "journal_failing_steps", ioErrorsReturned = "io_errors_returned"
        case mqttDownSteps = "mqtt_down_steps"
        case fdsStart = "fds_start", fdsEnd = "fds_end", fdsOpened = "fds_opened", rssStartMB = "rss_start_mb",
            rssEndMB = "rss_end_mb", seconds
        case heapStartMB = "heap_start_mb", heapEndMB = "heap_end_mb", sqliteStartMB = "sqlite_start_mb"
        case sqliteEndMB = "sqlite_end_mb", stateEndKB = "state_end_kb", findings
    }

    mutating func violate(_ line: String) {
        invariantViolations += 1
        if violations.count < 20 { violations.append(line) }
    }
}

/// The faults of a day of chaos. The raw value is the key in `faults`.
enum ChaosFault: String, CaseIterable {
    case brokerRestart = "broker_restart", diskFull = "disk_full", ioErrors = "io_errors", clockStep = "clock_step"
    case readerVanish = "reader_vanish", powerCut = "power_cut", duplicateClientID = "duplicate_client_id"
}

/// The relays as the chaos sees them: every command, checked as it comes, against the grants
/// the site decided (its access notices) and the cap.
final class ChaosRelays: Sendable {
    struct Doors {
        var lockedAtStart: Set<DoorID> = []
        var unlocks: [DoorID: Int] = [:]
        var grants: [DoorID: Int] = [:]
        var offline: Set<DoorID> = []
        var violations: [String] = []
        /// Unlocks of the lives before this one.
        var earlier = 0
    }
    let doors = Mutex(Doors())

    func command(_ door: DoorID, _ command: RelayCommand) {
        doors.withLock { d in
            switch command {
            case .lock: d.lockedAtStart.insert(door)
            case .unlock(let pulse):
                d.unlocks[door, default: 0] += 1
                if pulse > Door.maxPulse {
                    d.violations.append("\(door): unlocked for \(pulse.seconds) s, over the cap")
                }
                if !d.lockedAtStart.contains(door) { d.violations.append("\(door): unlocked before driven locked") }
                if d.offline.contains(door) { d.violations.append("\(door): unlocked while its reader was gone") }
            }
        }
    }

    /// A grant the site decided (the applied entry, journaled): the relay may open once for it.
    func granted(_ door: DoorID) { doors.withLock { $0.grants[door, default: 0] += 1 } }

    /// After each step: no door opened more often than it was granted in it (a grant that did
    /// not open the relay leaves no credit for a later step).
    func check() {
        doors.withLock { d in
            for (door, n) in d.unlocks where n > d.grants[door, default: 0] {
                d.violations.append("\(door): \(n) unlocks for \(d.grants[door, default: 0]) grants")
            }
            d.grants = d.unlocks
        }
    }

    func setOffline(_ door: DoorID, _ offline: Bool) {
        doors.withLock { if offline { $0.offline.insert(door) } else { $0.offline.remove(door) } }
    }

    var unlocks: Int { doors.withLock { $0.earlier + $0.unlocks.values.reduce(0, +) } }

    /// A new life: the site opens and must drive every door locked first.
    func restart() {
        doors.withLock {
            $0.earlier += $0.unlocks.values.reduce(0, +)
            $0.lockedAtStart = []
            $0.unlocks = [:]
            $0.grants = [:]
        }
    }

    func takeViolations() -> [String] {
        doors.withLock { d in
            defer { d.violations = [] }
            return d.violations
        }
    }
}

/// Says where the chaos run is stuck, instead of letting it hang until CI's own limit: every
/// step and every fault's start and end note where the run is; nothing noted for `limit`
/// seconds, and the process ends (status 2) with one line naming that place.
final class ChaosWatchdog: Sendable {
    /// Where the run is and since when; nil once it is over.
    let place = Mutex<(what: String, since: ContinuousClock.Instant)?>(("start", .now))

    init(limit: Duration = .seconds(120), seed: UInt64) {
        Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 5)
                guard let (what, since) = place.withLock({ $0 }) else { return }
                guard ContinuousClock.now - since > limit else { continue }
                let line = "chaos: stuck for \(limit) in \(what) (seed \(seed)): a hang, not a slow machine\n"
                FileHandle.standardError.write(Data(line.utf8))
                _exit(2)
            }
        }.start()
    }

    func at(_ what: String) { place.withLock { $0 = (what, .now) } }

    /// The run is over: the watchdog ends.
    func stop() { place.withLock { $0 = nil } }
}

extension Bench {
    /// Plays a site for `minutes` of real time under faults drawn from `seed`, checking its
    /// promises throughout.
    public static func chaos(minutes: Double, seed: UInt64, directory: String, logger: Logger) async throws
        -> ChaosResult
    {
        cfault_install()
        let dir = URL(fileURLWithPath: directory).appendingPathComponent("cantine-chaos-\(getpid())")
            .standardizedFileURL.path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        cfault_scope(dir + "/")
        cfault_reset()
        defer {
            cfault_ioerr(0, 0, 0)
            cfault_scope(nil)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let quiet = Logger(label: "chaos", factory: { _ in SwiftLogNoOpLogHandler() })
        let conf = { (port: Int) in "listener \(port) 127.0.0.1\nallow_anonymous true\npersistence false\n" }
        var broker = try? MosquittoProcess.start(directory: dir, conf: conf)
        defer { broker?.stop() }
        let port = broker?.port ?? 1
        let path = dir + "/site.db"
        var text = SampleConfig.text(databasePath: path, simulated: true, mqttPort: port, desksPerZone: 6)
        if broker == nil {
            text = text.replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
        }
        let config = try Config.parse(text, file: "chaos.toml")
        let settings = config.settings.siteSettings
        var mqttSettings = MQTTSettings(config.settings)
        mqttSettings.takeoverBackoff = 2

        var result = ChaosResult()
        result.minutes = minutes
        result.seed = seed
        result.mqtt = broker != nil
        var rng = SplitMix64(seed: seed)
        let watchdog = ChaosWatchdog(seed: seed)
        defer { watchdog.stop() }
        let time = ManualTime(Instant(Date(timeIntervalSince1970: 1_772_438_400)))  // Monday 2026-03-02 08:00 Paris
        let relays = ChaosRelays()
        let chaos = ChaosLoad(settings: settings, time: time, relays: relays, logger: quiet)
        // Installed (`cantine init`, members added), then the daemon starts on it.
        try chaos.open(mode: .create)
        try chaos.seed()
        chaos.close()
        try chaos.open(mode: .existing)
        chaos.startMQTT(broker == nil ? nil : mqttSettings)

        let began = ContinuousClock.now
        let end = began + .milliseconds(Int(minutes * 60_000))
        let fdsStart = ProcessUsage.fdTargets()
        result.fdsStart = fdsStart.count
        result.rssStartMB = ProcessUsage.rssMB()
        result.heapStartMB = ProcessUsage.heapInUseMB()
        result.sqliteStartMB = ProcessUsage.sqliteMB()
        // Faults last, and come after one another, in real time (the writer's retries, the
        // broker client's reconnects and the takeover backoff run on it): 1–5 s each, 1–4 s apart.
        func after(_ ms: ClosedRange<Int>, _ rng: inout SplitMix64) -> ContinuousClock.Instant {
            .now + .milliseconds(ms.lowerBound + Int(rng.next() % UInt64(ms.count)))
        }
        var nextFault = after(1_000...4_000, &rng)
        var current: (fault: ChaosFault, until: ContinuousClock.Instant)?
        var intruder: MosquittoClient?
        /// Whether the daemon's health named the takeover during the duplicate id's stretch.
        var named = false
        while ContinuousClock.now < end {
            result.steps += 1
            let step = result.steps
            watchdog.at("step \(step)")
            chaos.step(&rng, &result)
            relays.check()
            for v in relays.takeViolations() { result.violate("step \(step): \(v)") }
            if chaos.site.journal.lastError != nil { result.journalFailingSteps += 1 }
            if let mqtt = chaos.mqtt, !mqtt.client.isConnected { result.mqttDownSteps += 1 }
            if current?.fault == .duplicateClientID, !named, step % 20 == 0 {
                named = chaos.mqtt?.health().detail?.contains("mqtt_session_taken_over") == true
            }

            // The fault under way ends; a new one comes.
            if let c = current, ContinuousClock.now >= c.until {
                watchdog.at("the end of \(c.fault.rawValue) at step \(step)")
                switch c.fault {
                case .brokerRestart:
                    broker = try? MosquittoProcess.start(port: port, directory: dir, conf: conf)
                    if broker == nil { result.violate("step \(step): mosquitto did not restart on \(port)") }
                case .diskFull: await chaos.setDiskFull(false)
                case .ioErrors: cfault_ioerr(0, 0, 0)
                case .readerVanish: chaos.reader(back: true)
                case .duplicateClientID:
                    if named { result.takeoversNamed += 1 }
                    intruder?.stop()
                    intruder = nil
                case .clockStep, .powerCut: break
                }
                current = nil
                // Once the disk is whole again, what was decided is all written: replay equals live.
                if let mismatch = await chaos.replayMismatch() { result.violate("step \(step): \(mismatch)") }
                nextFault = after(1_000...4_000, &rng)
            }
            if current == nil, ContinuousClock.now >= nextFault {
                let kinds = ChaosFault.allCases.filter {
                    broker != nil || ($0 != .brokerRestart && $0 != .duplicateClientID)
                }
                let fault = kinds[Int(rng.next() % UInt64(kinds.count))]
                watchdog.at("the start of \(fault.rawValue) at step \(step)")
                result.faults[fault.rawValue, default: 0] += 1
                let lasting = after(1_000...5_000, &rng)
                switch fault {
                case .brokerRestart:
                    broker?.stop()
                    current = (fault, lasting)
                case .diskFull:
                    await chaos.setDiskFull(true)
                    current = (fault, lasting)
                case .ioErrors:
                    cfault_ioerr(50_000, 300_000, UInt32(truncatingIfNeeded: rng.next()))
                    current = (fault, lasting)
                case .clockStep:
                    time.stepWall(.seconds(rng.next() % 2 == 0 ? 3600 : -3600))
                    current = (fault, .now)
                case .readerVanish:
                    chaos.reader(back: false)
                    current = (fault, lasting)
                case .duplicateClientID:
                    named = false
                    var s = mqttSettings
                    s.persistentSession = false
                    intruder = try? MosquittoClient(settings: s, will: nil)
                    try? intruder?.start()
                    current = (fault, lasting)
                case .powerCut:
                    result.restarts += 1
                    let lines = await chaos.powerCut(&rng, &result, mqtt: broker == nil ? nil : mqttSettings)
                    for line in lines { result.violate("step \(step): power cut: \(line)") }
                    current = (fault, .now)
                }
            }
            await pause(.milliseconds(2))
        }
        // The last fault ends, and the site is closed cleanly.
        watchdog.at("the end of the run")
        cfault_ioerr(0, 0, 0)
        intruder?.stop()
        await chaos.setDiskFull(false)
        chaos.reader(back: true)
        if let mismatch = await chaos.replayMismatch() { result.violate("end: \(mismatch)") }
        await chaos.stopMQTT()
        result.stateEndKB = Double(chaos.site.engine.read { $0.canonicalJSON().count }) / 1024
        result.findings = chaos.site.engine.read { s in
            Dictionary(grouping: s.findings.values) { "\($0.kind)" + ($0.resolution == nil ? "" : " resolved") }
                .mapValues(\.count)
        }
        chaos.close()
        result.acknowledgedChecked = chaos.checked
        result.ioErrorsReturned = cfault_ioerr_count()
        result.commandsAnswered = chaos.answered
        result.unlocks = relays.unlocks
        result.siteHours = Double(result.steps) * 10 / 3600
        let fdsEnd = ProcessUsage.fdTargets()
        result.fdsEnd = fdsEnd.count
        result.fdsOpened = ProcessUsage.difference(fdsEnd, fdsStart)
        result.rssEndMB = ProcessUsage.rssMB()
        result.heapEndMB = ProcessUsage.heapInUseMB()
        result.sqliteEndMB = ProcessUsage.sqliteMB()
        // A fault that did not bite is a bench that tests nothing.
        let bites: [(Bool, Bool, String)] = [
            (
                (result.faults["disk_full"] ?? 0) + (result.faults["io_errors"] ?? 0) > 0,
                result.journalFailingSteps > 0,
                "the disk faults never made the journal fail"
            ),
            (
                (result.faults["broker_restart"] ?? 0) > 0, result.mqttDownSteps > 0,
                "the broker restarts never took the daemon's client down"
            ),
            ((result.faults["io_errors"] ?? 0) > 0, result.ioErrorsReturned > 0, "no I/O error reached SQLite"),
        ]
        for (played, bit, what) in bites where played && !bit { result.violate(what) }
        if result.fdsEnd > result.fdsStart + 16 {
            result.violate("descriptors grew from \(result.fdsStart) to \(result.fdsEnd)")
        }
        if result.rssEndMB > result.rssStartMB + 128 {
            result.violate(String(format: "memory grew from %.0f to %.0f MB", result.rssStartMB, result.rssEndMB))
        }
        result.seconds = seconds(ContinuousClock.now - began)
        return result
    }
}

/// The site under chaos: its life between power cuts, its load, and what it acknowledged.
final class ChaosLoad {
    let settings: SiteSettings
    let time: ManualTime
    let relays: ChaosRelays
    let logger: Logger
    var site: Site!
    var mqtt: MQTTService?
    var group: ServiceGroup?
    var running: Task<Void, Never>?
    /// The ingest desk reports go through (the MQTT service's, or one of its own without a broker).
    var ingest: SensorIngest!
    /// Acknowledged entries as written (read back while the disk was whole), and the highest.
    var written = AcknowledgedRows()
    var acknowledged: Int64 { written.acknowledged }
    var checked: Int64 = 0
    var answered = 0
    var diskFull = false
    var gone: DoorID?
    var commands = 0
    /// Each desk node's report count and what it last said.
    var nodes: [DeskID: (seq: Int64, occupied: Bool)] = [:]
    /// When the nodes booted, on the site's monotonic clock.
    let bootedAt: UInt64

    static let members = 12

    init(settings: SiteSettings, time: ManualTime, relays: ChaosRelays, logger: Logger) {
        self.settings = settings
        self.time = time
        self.relays = relays
        self.logger = logger
        bootedAt = time.monotonicNanos()
    }

    func open(mode: Store.Mode) throws {
        relays.restart()
        let relays = self.relays
        site = try Site.open(
            settings, role: .daemon, mode: mode, time: time, relays: { relays.command($0, $1) },
            version: cantineVersion, logger: logger)
        ingest = SensorIngest(
            engine: site.engine, limits: SensorIngest.Limits(perSecond: 0), logger: logger,
            backlog: { [site] in site?.journalBacklog ?? 0 })
    }

    /// Members with badges (`PowerCutLoad.card`) and plans for the year: m0 is staff.
    func seed() throws {
        for n in 0..<Self.members {
            _ = try site.apply(.addMember(id: "m\(n)", name: "Membre \(n)", email: nil), source: "seed")
            for year in 0..<3 {
                let from = site.calendar.adding(days: 366 * year, to: site.calendar.date(of: time.now())).description
                _ = try site.apply(
                    .grantPlan(member: "m\(n)", kind: n == 0 ? .staff : .residentMonthly, from: from, days: 366),
                    source: "seed")
            }
            _ = try site.apply(
                .enrollBadge(member: "m\(n)", format: .h10301, facility: 7, card: UInt64(100 + n), id: nil, pin: nil),
                source: "seed")
        }
        acknowledge()
    }

    func startMQTT(_ settings: MQTTSettings?) {
        guard let settings,
            let service = try? MQTTService(
                settings: settings, engine: site.engine, bus: site.bus, store: site.store,
                limits: SensorIngest.Limits(perSecond: 0), logger: logger,
                journalBacklog: { [site] in site?.journalBacklog ?? 0 })
        else { return }
        mqtt = service
        ingest = service.ingest
        let group = ServiceGroup(
            services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        self.group = group
        running = Task { try? await group.run() }
    }

    func stopMQTT() async {
        await group?.triggerGracefulShutdown()
        await running?.value
        group = nil
        running = nil
        mqtt = nil
    }

    func close() {
        _ = site.close()
        try? site.store.close()
    }

    /// Records what the writer reports durable, read back as written; `flush` first unless the
    /// power has gone (the files are intact until the cut is applied). Rows that cannot be read
    /// now (an I/O error) are recorded on a later call.
    func acknowledge(flush: Bool = true) {
        if flush && cfault_dead() == 0 { _ = site.journal.flush() }
        written.record(site.store, durable: site.journal.durableSeq)
    }

    /// Ten seconds of the site: a badge, maybe the door pushed, a desk node's report, now and
    /// then a staff command answered once durable, timers.
    func step(_ rng: inout SplitMix64, _ result: inout ChaosResult) {
        for id in site.timers.takeDue(now: time.now()) { site.engine.submit(.timerFired(id), source: "timer") }
        let door: DoorID = rng.next() % 3 == 0 ? "sortie" : "entree"
        if door != gone {
            let known = rng.next() % 5 != 0
            let n = Int(rng.next() % UInt64(Self.members))
            let applied = DoorInput(door: door, runtime: site).frame(PowerCutLoad.card(known ? n : 40 + n))
            result.badges += 1
            if applied?.entry.access?.granted == true {
                relays.granted(door)
                result.grants += 1
                if door == "entree", rng.next() % 2 == 0 {
                    let input = DoorInput(door: door, runtime: site)
                    input.contact(open: true)
                    input.contact(open: false)
                }
            }
        }
        // Two desks' nodes report each step, in turn: each every minute, as the firmware's
        // heartbeat; now and then one's reading changes.
        let desks = settings.layout.desks
        for k in 0..<min(2, desks.count) {
            let desk = desks[(result.steps * 2 + k) % desks.count].id
            var node = nodes[desk] ?? (0, false)
            node.seq += 1
            if rng.next() % 20 == 0 { node.occupied.toggle() }
            nodes[desk] = node
            // The node's own clock: monotonic (a wall step does not move it).
            let uptime = Int64((time.monotonicNanos() - bootedAt) / 1_000_000_000) + 600
            let json =
                #"{"occupied":\#(node.occupied),"seq":\#(node.seq),"uptime_s":\#(uptime),"fw":"1.0.0","rssi":-61}"#
            ingest.handle(
                InboundMessage(topic: "cantine/\(site.engine.site)/desks/\(desk)/report", payload: Array(json.utf8)))
        }
        if rng.next() % 40 == 0 {
            commands += 1
            if (try? site.apply(.addMember(id: "c\(commands)", name: "Visiteur \(commands)", email: nil), source: "cli"))
                != nil, site.journal.flush()
            {
                answered += 1
            }
        }
        // Staff go through the findings once a day, as they do (the demo's do at night); left
        // alone they would pile up for `Finding.keepUnresolved`.
        if result.steps % 8640 == 0 {
            let open = site.engine.read { $0.findings.values.filter { $0.resolution == nil }.map(\.id.rawValue) }
            for id in open.sorted() {
                _ = try? site.apply(.resolveFinding(id: id, action: .confirm, member: nil, by: "chaos"), source: "cli")
            }
        }
        if result.steps % 10 == 0 { acknowledge() }
        time.advance(.seconds(10))
    }

    /// The disk full (SQLite's own condition: no page beyond the file's) or free again.
    func setDiskFull(_ full: Bool) async {
        guard full != diskFull else { return }
        diskFull = full
        try? await site.store.pinSize(full)
    }

    /// The entrance's reader chip gone (its adapter reports the fault; nothing is read there)
    /// or back.
    func reader(back: Bool) {
        if back {
            guard let door = gone else { return }
            gone = nil
            relays.setOffline(door, false)
            site.engine.submit(.readerFault(ReaderFault(door: door, failing: false, detail: "back")), source: "gpio")
        } else {
            gone = "entree"
            relays.setOffline("entree", true)
            site.engine.submit(
                .readerFault(ReaderFault(door: "entree", failing: true, detail: "gpiochip0 vanished")), source: "gpio")
        }
    }

    /// Once the disk is whole again (the writer's next retry, within seconds): everything is
    /// written, and the state replayed from the last snapshot and the journal's tail — as at a
    /// restart — equals the live state; a snapshot is taken for the next check. (Each power cut
    /// replays from the journal's first entry.)
    func replayMismatch() async -> String? {
        var caughtUp = false
        for _ in 0..<200 where !caughtUp {
            caughtUp = site.journal.flush()
            if !caughtUp { await pause(.milliseconds(50)) }
        }
        guard caughtUp else {
            return "the journal did not catch up 10 s after the disk was whole: \(site.journal.lastError ?? "?")"
        }
        acknowledge()
        guard let replay = try? Replay.rebuild(store: site.store, useSnapshot: true) else {
            return "the journal could not be replayed"
        }
        guard replay.state == site.engine.read({ $0 }) else { return "replay differs from the live state" }
        do { try site.snapshot() } catch { return "no snapshot once the disk was whole: \(error)" }
        return nil
    }

    /// Cuts the power a few writes on, plays on until it goes, then reopens the site from what
    /// the disk kept and checks it as the power-cut bench does; returns the failures.
    func powerCut(_ rng: inout SplitMix64, _ result: inout ChaosResult, mqtt: MQTTSettings?) async -> [String] {
        cfault_arm(cfault_ops() + 1 + Int64(rng.next() % 200))
        for _ in 0..<5_000 where cfault_dead() == 0 {
            result.steps += 1
            step(&rng, &result)
            relays.check()
        }
        if cfault_dead() == 0 { cfault_arm(cfault_ops() + 1) }  // a quiet stretch: cut at the next write
        _ = site.journal.flush()  // fails: the power has gone
        acknowledge(flush: false)
        await stopMQTT()
        var failures: [String] = relays.takeViolations()
        do { try site.abandon() } catch { failures.append("the site could not be abandoned: \(error)") }
        let lost = cfault_crash(UInt32(truncatingIfNeeded: rng.next()), Int32(rng.next() % 4))
        if lost < 0 { return failures + ["a database file was still open at the cut"] }
        var check = PowerCutResult()
        Bench.check(
            &check, "cut", settings: settings, time: time, written: written, logger: logger)
        failures += check.failures
        checked = acknowledged
        do {
            try open(mode: .existing)
            acknowledge()
            startMQTT(mqtt)
        } catch {
            failures.append("the site did not open again: \(error)")
        }
        return failures
    }
}
