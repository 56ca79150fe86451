// `cantine demo`: the whole daemon on this machine with simulated hardware. A seeded La
// Cantine (30 members, 24 desks in two zones, a meeting room, a barcamp grid today), a
// deterministic day of traffic at `--speed`× (arrivals, lunch, departures, a no-show, a
// walk-in, denied badges) played day after day, a local mosquitto if there is one or can be
// started.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineGPIO
import CantineMQTT
import CantineProtocol
import CantineSite
import CantineStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Demo settings.
public struct DemoOptions: Sendable {
    public var dataDirectory: String
    public var httpPort: Int
    public var mqttPort: Int
    public var mqtt: Bool
    public var speed: Double
    /// Past days played before today (at once, on a manual clock): the dashboard's history.
    public var historyDays: Int
    /// The commit linger of a real site, in ms (nil: the config's); the demo divides it by `speed`.
    public var commitLingerMs: Int?
    /// Desks in the layout (half in each zone): beyond the cast's 24, a crowd nobody scripted
    /// takes them (`DemoCrowd`), their nodes reporting as the firmware does.
    public var desks = 24
    public init(dataDirectory: String, httpPort: Int, mqttPort: Int, mqtt: Bool, speed: Double, historyDays: Int = 7) {
        self.dataDirectory = dataDirectory
        self.httpPort = httpPort
        self.mqttPort = mqttPort
        self.mqtt = mqtt
        self.speed = speed
        self.historyDays = historyDays
    }
}

/// Time that starts at a chosen instant and runs `speed` times faster than real time.
public struct AcceleratedTime: TimeSource {
    let origin: Instant
    let startNanos: UInt64
    let speed: Double
    let system = SystemTime()

    public init(origin: Instant, speed: Double) {
        self.origin = origin
        self.speed = speed
        startNanos = system.monotonicNanos()
    }

    public func now() -> Instant {
        let elapsed = Double(system.monotonicNanos() - startNanos) / 1000 * speed
        return Instant(micros: origin.micros + Int64(elapsed))
    }

    public func monotonicNanos() -> UInt64 { system.monotonicNanos() }
}

/// What happens in the demo day.
public enum DemoAction: Sendable, Equatable {
    /// A card presented at a door's reader; `opens` when the person will push the door.
    case badge(door: String, frame: WiegandFrame, opens: Bool)
    case desk(String, occupied: Bool)
    /// Every desk node says again what it sees (nodes report at least every minute or two;
    /// a silent one makes its desk unknown).
    case heartbeat
}

/// The seeded site and its day of traffic.
public enum DemoSite {
    static let names = [
        "Amélie Durand", "Bastien Moreau", "Camille Laurent", "Damien Petit", "Élodie Garnier", "Fabien Roux",
        "Gaëlle Fournier", "Hugo Girard", "Inès Bonnet", "Julien Dupont", "Karima Benali", "Louis Lambert",
        "Manon Fontaine", "Nicolas Rousseau", "Océane Vincent", "Pierre Muller", "Quentin Lefèvre", "Rose Faure",
        "Samuel André", "Tiphaine Mercier", "Ulysse Blanc", "Valérie Guérin", "William Boyer", "Yasmine Chevalier",
        "Zoé Garcia", "Antoine Robin", "Bérénice Clément", "Cyril Morin", "Diane Nicolas", "Marion Henry",
    ]
    static let facility: UInt32 = 42

    /// Members' roles in the demo day, by index.
    enum Role {
        case resident(desk: String?), absentResident, day(desk: String), am(desk: String), pm(desk: String), noShow(
            desk: String), walkIn(desk: String), expired, staff
    }

    static func role(_ i: Int) -> Role {
        let residentDesks = ["f01", "f02", "f03", "f04", "f05", "f06", "f07", "f08", "f09", "j01", "j02"]
        switch i {
        case 0..<11: return .resident(desk: residentDesks[i])
        case 11: return .noShow(desk: "j03")
        case 12: return .walkIn(desk: "j10")
        case 13..<17: return .absentResident
        case 17..<23: return .day(desk: "j0\(i - 13)")
        case 23..<26: return .am(desk: "f\(i - 13)")
        case 26, 27: return .pm(desk: "f\(i - 16)")
        case 28: return .expired
        default: return .staff
        }
    }

    static func card(_ i: Int) -> CardRead { CardRead(format: .h10301, facility: facility, card: UInt64(1001 + i)) }

    /// Seeds members, badges and their standing plans from `first`, plays the days from
    /// `first` to today on `time` (`playPast`), then books `today` (`seedDay`).
    static func seed(_ runtime: Site, time: ManualTime, from first: LocalDate, today: LocalDate) throws {
        let yesterday = runtime.calendar.adding(days: -1, to: first)
        let firstOfMonth = LocalDate(year: first.year, month: first.month, day: 1)
        func run(_ op: SiteOperation) throws { _ = try runtime.apply(op, source: "demo") }
        for (i, name) in names.enumerated() {
            let member = member(i)
            let first = name.split(separator: " ")[0].lowercased().folding(options: .diacriticInsensitive, locale: nil)
            try run(.addMember(id: member, name: name, email: "\(first)@example.org"))
            let read = card(i)
            try run(
                .enrollBadge(
                    member: member, format: read.format, facility: read.facility, card: read.card, id: "b-demo\(i)",
                    pin: nil))
            switch role(i) {
            case .resident, .absentResident, .noShow, .walkIn:
                try run(.grantPlan(member: member, kind: .residentMonthly, from: firstOfMonth.description, days: 1))
            case .staff:
                try run(.grantPlan(member: member, kind: .staff, from: firstOfMonth.description, days: 1))
            case .expired:
                try run(.grantPlan(member: member, kind: .dayPass, from: yesterday.description, days: 1))
            case .day, .am, .pm:
                break
            }
        }
        try playPast(runtime, time: time, from: first, until: today)
        try seedDay(runtime, day: today)
        runtime.journal.flush()
    }

    /// Plays each day from `first` up to `today` through the engine on the manual clock: its
    /// bookings, then its traffic in order (badges as the door's decoded frames, desk reports,
    /// due timers at their time, a reconciliation pass with each heartbeat), as fast as it
    /// goes, and staff confirming its findings at night. The clock ends at `today` 07:30.
    static func playPast(_ runtime: Site, time: ManualTime, from first: LocalDate, until today: LocalDate) throws {
        let doors = Dictionary(
            uniqueKeysWithValues: runtime.settings.layout.doors.map {
                ($0.id.rawValue, DoorInput(door: $0.id, runtime: runtime))
            })
        let nodes = DemoHardware(runtime: runtime, inputs: [], opensDoors: false)
        func move(to t: Instant) {
            while let next = runtime.timers.earliest(now: runtime.engine.now), next <= t {
                if next > time.now() { time.advance(next - time.now()) }
                for id in runtime.timers.takeDue(now: time.now()) {
                    runtime.engine.submit(.timerFired(id), source: "timer")
                }
            }
            if t > time.now() { time.advance(t - time.now()) }
        }
        var day = first
        var variant: UInt64 = 1
        while day < today {
            try seedDay(runtime, day: day)
            for (at, action) in DemoSite.day(runtime.calendar, today: day, variant: variant) {
                move(to: at)
                switch action {
                case .badge(let door, let frame, _): doors[door]?.frame(frame)
                case .heartbeat:
                    nodes.perform(action)
                    runtime.engine.reconcile()
                case .desk: nodes.perform(action)
                }
            }
            // Before leaving, staff go through the day's findings (the demo's today starts clean).
            let open = runtime.engine.read { $0.findings.values.filter(\.open).map(\.id.rawValue).sorted() }
            for id in open {
                _ = try runtime.apply(
                    .resolveFinding(id: id, action: .confirm, member: nil, by: "demo"), source: "demo")
            }
            day = runtime.calendar.adding(days: 1, to: day)
            variant += 1
        }
        move(to: runtime.calendar.instant(today, hour: 7, minute: 30))
    }

    static func member(_ i: Int) -> String { "m-demo\(i < 10 ? "0" : "")\(i)" }

    /// One day's passes, desk and room bookings and barcamp grid (ids end with the date: the
    /// demo plays day after day); a resident whose monthly plan has run out gets the next one.
    static func seedDay(_ runtime: Site, day: LocalDate) throws {
        func run(_ op: SiteOperation) throws { _ = try runtime.apply(op, source: "demo") }
        let date = day.description
        for i in names.indices {
            let member = member(i)
            switch role(i) {
            case .resident, .absentResident, .noShow, .walkIn:
                let plans = runtime.engine.read { $0.members[MemberID(member)]?.plans ?? [] }
                let start = runtime.calendar.instant(day, hour: 12)
                if !plans.contains(where: { $0.validFrom <= start && ($0.validUntil.map { start < $0 } ?? true) }) {
                    try run(.grantPlan(member: member, kind: .residentMonthly, from: date, days: 1))
                }
            case .day: try run(.grantPlan(member: member, kind: .dayPass, from: date, days: 1))
            case .am: try run(.grantPlan(member: member, kind: .halfDayAM, from: date, days: 1))
            case .pm: try run(.grantPlan(member: member, kind: .halfDayPM, from: date, days: 1))
            case .expired, .staff: break
            }
            let id = "bk-demo\(i)-\(date)"
            switch role(i) {
            case .resident(let desk?), .day(let desk), .noShow(let desk):
                try run(.bookDesk(member: member, desk: desk, date: date, period: .day, days: 1, id: id))
            case .am(let desk):
                try run(.bookDesk(member: member, desk: desk, date: date, period: .am, days: 1, id: id))
            case .pm(let desk):
                try run(.bookDesk(member: member, desk: desk, date: date, period: .pm, days: 1, id: id))
            default: break
            }
        }
        try run(
            .bookRoom(
                member: "m-demo01", room: "salle-1", date: date, start: "10:00", end: "12:00", id: "bk-room-am-\(date)")
        )
        try run(
            .bookRoom(
                member: "m-demo02", room: "salle-1", date: date, start: "14:00", end: "16:00", id: "bk-room-pm-\(date)")
        )

        let titles = [
            ("Open data et vin", "grande-salle"), ("Cartographie OpenStreetMap", "mezzanine"),
            ("Tiers-lieux et territoires", "grande-salle"), ("Swift sur Raspberry Pi", "mezzanine"),
            ("Coopératives numériques", "grande-salle"), ("Accessibilité du web", "mezzanine"),
            ("Low-tech au bureau", "grande-salle"), ("Facilitation graphique", "mezzanine"),
            ("Communs numériques", "grande-salle"), ("Objets connectés et vie privée", "mezzanine"),
        ]
        let slots = [
            ("10:00", "10:45"), ("11:00", "11:45"), ("14:00", "14:45"), ("15:00", "15:45"), ("16:00", "16:45"),
        ]
        for (n, (title, room)) in titles.enumerated() {
            let slot = slots[n / 2]
            try run(
                .addSession(
                    title: title, room: room, date: date, start: slot.0, end: slot.1, kind: .barcamp,
                    track: nil, speakers: [], id: "s-demo\(n)-\(date)"))
        }
        try run(
            .addSession(
                title: "Déjeuner", room: nil, date: date, start: "12:30", end: "13:30", kind: .break,
                track: nil, speakers: [], id: "s-demo-lunch-\(date)"))
    }

    /// The day's traffic, sorted by time. `variant` 0 is the scripted day the demo plays
    /// live; a past day has its own (other times, and a few residents who booked and stayed
    /// home).
    static func day(_ calendar: SiteCalendar, today: LocalDate, variant: UInt64 = 0) -> [(Instant, DemoAction)] {
        var rng = SplitMix64(seed: 2026 &+ variant &* 7919)
        var out: [(Instant, DemoAction)] = []
        func at(_ h: Int, _ m: Int, plus minutes: Int = 0) -> Instant {
            calendar.instant(today, hour: h, minute: m) + .minutes(Int64(minutes))
        }
        func jitter(_ range: Int) -> Int { Int(rng.next(upperBound: UInt64(range))) }
        func badge(_ t: Instant, _ door: String, _ i: Int, opens: Bool = true) {
            let frame = (try? Wiegand.encode(card(i))) ?? WiegandFrame(bits: 0, count: 26)
            out.append((t, .badge(door: door, frame: frame, opens: opens)))
        }
        func visit(_ i: Int, desk: String?, arrive: Instant, leave: Instant, lunch: Bool) {
            badge(arrive, "entree", i)
            if let desk { out.append((arrive + .minutes(Int64(3 + jitter(4))), .desk(desk, occupied: true))) }
            if lunch {
                let out1 = at(12, 15, plus: jitter(40))
                if let desk { out.append((out1 - .minutes(2), .desk(desk, occupied: false))) }
                badge(out1, "sortie", i)
                let back = out1 + .minutes(Int64(50 + jitter(25)))
                badge(back, "entree", i)
                if let desk { out.append((back + .minutes(4), .desk(desk, occupied: true))) }
            }
            if let desk { out.append((leave - .minutes(2), .desk(desk, occupied: false))) }
            badge(leave, "sortie", i)
        }
        for i in names.indices {
            switch role(i) {
            case .resident where variant > 0 && (UInt64(i) + variant) % 5 == 0:
                break  // booked, and stayed home
            case .resident(let desk):
                visit(
                    i, desk: desk, arrive: at(8, 20, plus: jitter(120)), leave: at(17, 0, plus: jitter(150)),
                    lunch: jitter(10) < 6)
            case .day(let desk):
                visit(
                    i, desk: desk, arrive: at(8, 40, plus: jitter(90)), leave: at(17, 30, plus: jitter(120)),
                    lunch: jitter(10) < 6)
            case .walkIn(let desk):
                visit(i, desk: desk, arrive: at(10, 10), leave: at(16, 30), lunch: false)
            case .am(let desk):
                visit(
                    i, desk: desk, arrive: at(8, 30, plus: jitter(40)), leave: at(12, 40, plus: jitter(15)),
                    lunch: false)
            case .pm(let desk):
                visit(
                    i, desk: desk, arrive: at(13, 5, plus: jitter(30)), leave: at(18, 30, plus: jitter(60)),
                    lunch: false)
            case .staff:
                visit(i, desk: nil, arrive: at(8, 0), leave: at(19, 45), lunch: true)
            case .expired:
                badge(at(9, 20), "entree", i, opens: false)
            case .absentResident, .noShow:
                break
            }
        }
        // An unknown card, then a frame garbled on the wire (parity error).
        let unknown =
            (try? Wiegand.encode(CardRead(format: .h10301, facility: facility, card: 9999)))
            ?? WiegandFrame(bits: 0, count: 26)
        out.append((at(9, 40), .badge(door: "entree", frame: unknown, opens: false)))
        out.append(
            (
                at(10, 5),
                .badge(door: "entree", frame: WiegandFrame(bits: unknown.bits ^ 0b100, count: 26), opens: false)
            ))
        // Nodes never stop: a heartbeat round all day and all night (before, they stopped four
        // hours after the day's last action and began with its first, so from the demo's
        // start at 07:30 to 08:00 every desk fell silent and the screen said "sensors silent").
        var tick = calendar.instant(today, hour: 0)
        let midnight = calendar.instant(calendar.adding(days: 1, to: today), hour: 0)
        while tick < midnight {
            out.append((tick, .heartbeat))
            tick = tick + .seconds(120)
        }
        return out.sorted { $0.0 < $1.0 }
    }
}

/// The demo's simulated hardware: badges and door contacts go onto the simulated GPIO lines as
/// timed edges (decoded by the daemon's reader threads like a real reader's), desk nodes report
/// straight to the engine as the firmware's reports would arrive (seq, uptime, firmware).
final class DemoHardware: Sendable {
    let runtime: Site
    let wires: [String: (source: SimulatedEdgeSource, lines: DoorLines)]
    let rng = Mutex(SplitMix64(seed: 26))
    /// Whether people push doors open after a grant. The wire runs in real time (a frame takes
    /// ~65 ms) while the engine's clock is accelerated: above ×100 a 5 s pulse is shorter than
    /// a frame in real time, and every opening would look forced.
    let opensDoors: Bool

    init(runtime: Site, inputs: [ChipInputs], opensDoors: Bool = true) {
        self.runtime = runtime
        self.opensDoors = opensDoors
        bootedAt = runtime.engine.now - .seconds(60)
        var wires: [String: (SimulatedEdgeSource, DoorLines)] = [:]
        for chip in inputs {
            guard let source = chip.simulated else { continue }
            for (door, lines) in chip.doors { wires[door.rawValue] = (source, lines) }
        }
        self.wires = wires
    }

    /// What each desk's node last saw.
    let seen = Mutex<[String: Bool]>([:])

    /// Every node reports what it sees (at the start: nobody is in yet).
    func heartbeat() {
        let seen = self.seen.withLock { $0 }
        for desk in runtime.settings.layout.desks where !DemoCrowd.plays(desk.id) {
            report(desk.id.rawValue, occupied: seen[desk.id.rawValue] ?? false)
        }
    }

    func perform(_ action: DemoAction) {
        switch action {
        case .badge(let door, let frame, let opens):
            guard let (source, lines) = wires[door] else { return }
            var edges = rng.withLock { rng in
                WiegandSignal.edges(
                    frame, d0: lines.d0, d1: lines.d1, start: source.nowNanos() + 1_000_000, using: &rng)
            }
            // The person pushes the door once the strike clicks (the frame ends 25 ms after its
            // last edge), and lets it close behind them.
            if opens, opensDoors, let contact = lines.contact, let last = edges.last?.nanos {
                let ms: UInt64 = 1_000_000
                edges.append(GPIOEdge(line: contact, rising: lines.contactActiveLow, nanos: last + 35 * ms))
                edges.append(GPIOEdge(line: contact, rising: !lines.contactActiveLow, nanos: last + 80 * ms))
            }
            source.inject(edges)
        case .desk(let desk, let occupied):
            seen.withLock { $0[desk] = occupied }
            report(desk, occupied: occupied)
        case .heartbeat:
            heartbeat()
        }
    }

    /// Each desk node's report count since the demo's nodes booted (with it).
    let seqs = Mutex<[String: Int64]>([:])
    let bootedAt: Instant

    /// A report as the firmware sends it: seq and uptime, so a repeat is a heartbeat.
    private func report(_ desk: String, occupied: Bool) {
        let seq = seqs.withLock { seqs in
            seqs[desk, default: 0] += 1
            return seqs[desk, default: 0]
        }
        let uptime = Int64(max(0, (runtime.engine.now - bootedAt).seconds))
        runtime.engine.sense(
            .deskReported(DeskReport(desk: DeskID(desk), occupied: occupied, seq: seq, uptimeS: uptime, fw: "demo")),
            source: EventSource("sensor:node-\(desk)"))
    }
}

/// Plays the demo day against the engine at `speed`× real time, then the next day (seeded once
/// the night's heartbeats are over), and so on until the daemon stops.
struct DemoTraffic: Service {
    let runtime: Site
    let hardware: DemoHardware
    let firstDay: LocalDate
    let speed: Double

    func run() async throws {
        hardware.heartbeat()
        var day = firstDay
        while true {
            let actions = DemoSite.day(runtime.calendar, today: day)
            var index = actions.firstIndex { $0.0 >= runtime.engine.now } ?? actions.endIndex
            while index < actions.endIndex {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                let (at, action) = actions[index]
                let now = runtime.engine.now
                if at > now {
                    let realSeconds = min((at - now).seconds / speed, 0.5)
                    await pause(.milliseconds(Int(realSeconds * 1000) + 1))
                    continue
                }
                hardware.perform(action)
                index += 1
            }
            day = runtime.calendar.adding(days: 1, to: day)
            do {
                try DemoSite.seedDay(runtime, day: day)
            } catch {
                runtime.logger.error("demo: cannot seed \(day) (\(error)); still serving until Ctrl-C")
                try? await gracefulShutdown()
                return
            }
            runtime.logger.info("demo: day over; \(day) is booked, its traffic starts at 08:00")
        }
    }
}

/// Runs the demo until Ctrl-C.
public enum Demo {
    /// - Parameters:
    ///   - extraServices: more services on the demo's runtime (the soak bench's probe).
    ///   - announce: print the banner with the URLs once serving.
    public static func run(
        _ options: DemoOptions, logger: Logger, announce: Bool = true,
        extraServices: @escaping @Sendable (Site) -> [any Service] = { _ in [] }
    ) async throws {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: options.dataDirectory).standardizedFileURL.path
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let dbPath = dir + "/cantine.db"
        if ProcessLock.isHeld(databasePath: dbPath) {
            throw DaemonError(
                "another demo is running on \(dbPath): stop it first, or use --data with another directory")
        }
        for suffix in ["", "-wal", "-shm"] where fm.fileExists(atPath: dbPath + suffix) {
            try fm.removeItem(atPath: dbPath + suffix)
        }
        let configPath = dir + "/cantine.toml"
        var text = SampleConfig.text(
            databasePath: dbPath, simulated: true, httpPort: options.httpPort, mqttPort: options.mqttPort,
            desksPerZone: max(12, (options.desks + 1) / 2))
        if !options.mqtt {
            text = text.replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
        }
        if options.desks > 24, let range = text.range(of: "\ncapacity = 50 ") {
            // A large site is sized for its crowd: everyone at a desk, and the cast, stay within the limit.
            text.replaceSubrange(range, with: "\ncapacity = \(options.desks + 60) ")
        }
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)

        // A broker already listening on the port is used; else the demo starts its own.
        var broker: MosquittoProcess?
        if options.mqtt && !MosquittoClient.reachable(host: "127.0.0.1", port: options.mqttPort) {
            do {
                broker = try MosquittoProcess.start(port: options.mqttPort, directory: dir) {
                    "listener \($0) 127.0.0.1\nallow_anonymous true\npersistence false\n"
                }
                logger.info(
                    "started mosquitto",
                    metadata: ["mqtt.port": "\(options.mqttPort)", "pid": "\(broker!.process.processIdentifier)"])
            } catch {
                logger.warning("no MQTT broker on 127.0.0.1:\(options.mqttPort) (\(error)): running without MQTT")
                text = text.replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
                try text.write(toFile: configPath, atomically: true, encoding: .utf8)
            }
        }
        defer { broker?.stop() }

        var loaded = try Config.load(path: configPath)
        // The demo's day runs `speed` times faster, and so does its commit linger: each commit
        // covers the same stretch of the day as on a real site (the soak's disk figures).
        loaded.database.commitLingerMs = Int(
            (Double(options.commitLingerMs ?? loaded.settings.database.commitLingerMs) / max(1, options.speed))
                .rounded())
        let config = loaded
        let settings = config.settings
        guard let calendar = SiteCalendar(timeZone: settings.site.timeZone) else { throw DaemonError("bad time zone") }
        let today = calendar.date(of: Instant(Date()))
        let morning = calendar.instant(today, hour: 7, minute: 30)

        // The past is played at once on a manual clock, then the daemon runs from today 07:30.
        let first = calendar.adding(days: -max(0, options.historyDays), to: today)
        let past = ManualTime(calendar.instant(first, hour: 7))
        let seeding = try Site.open(
            config: config, role: .tool, mode: .create, time: past, version: cantineVersion, logger: logger)
        try DemoSite.seed(seeding, time: past, from: first, today: today)
        if past.now() < morning { past.advance(morning - past.now()) }
        try seeding.snapshot()
        seeding.close()
        // Today's clock starts now, once the seeding is done (at 3000× a second of seeding
        // would be most of an hour of the day gone unplayed).
        let time = AcceleratedTime(origin: morning, speed: options.speed)

        let speed = options.speed
        let mqttLine =
            settings.mqtt.enabled
            ? "  mqtt      mosquitto_sub -h 127.0.0.1 -p \(options.mqttPort) -t 'cantine/\(config.site.id)/#' -v\n"
            : "  mqtt      off\n"
        // Staff sign in on the real clock: a session lasts its hours of theirs, not of the demo's.
        try await Daemon.run(
            config: config, logger: logger, time: time, peopleTime: SystemTime(),
            extraServices: { runtime, hardware in
                [
                    DemoTraffic(
                        runtime: runtime,
                        hardware: DemoHardware(runtime: runtime, inputs: hardware.inputs, opensDoors: speed <= 100),
                        firstDay: today, speed: speed),
                    DemoCrowd(runtime: runtime, desks: settings.layout.desks.map(\.id).filter(DemoCrowd.plays)),
                ]
                    + (settings.mqtt.enabled
                        ? [DemoNodes(layout: settings.layout, settings: MQTTSettings(settings), logger: logger)] : [])
                    + extraServices(runtime)
            },
            ready: { _ in
                guard announce else { return }
                let base = "http://\(settings.http.host):\(settings.http.port)"
                FileHandle.standardOutput.write(
                    Data(
                        """
                        Cantine demo: \(config.site.name), simulated doors and desk sensors, day from 07:30 at ×\(speed)
                          display   \(base)/display
                          health    \(base)/healthz
                          staff     \(base)/staff
                        \(mqttLine)  database  \(dbPath)
                          sign in   echo 'a long passphrase' | cantine staff add admin --role admin --password-stdin --config \(configPath)
                          try       cantine members list --config \(configPath)
                        Ctrl-C stops the demo and everything it started.

                        """.utf8))
            })
    }
}
