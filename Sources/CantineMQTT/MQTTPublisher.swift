// The outbound side of MQTT. Notices from the engine become work (events in order; desks,
// doors and the summary marked dirty), and one task sends the work whenever the doorbell
// rings: under load, many changes of a desk cost one message. While the broker is away
// messages go to the SQLite outbox (state collapsed by topic) and are sent, in order, on the
// next connect, before the full retained state and the Home Assistant discovery.

import CantineCore
import CantineStore
import Foundation
import Logging
import Synchronization

/// What the publisher may publish, beyond the topic contract.
public struct PublishOptions: Sendable {
    /// Announce entities to Home Assistant.
    public var discovery: Bool
    /// Put the member's name in access events (off by default: ids only).
    public var namesInEvents: Bool
    /// Outbox messages older than this are dropped.
    public var outboxMaxAge: Span
    public var version: String
    /// The language of the entities' names (`fr` or `en`).
    public var locale: String

    public init(
        discovery: Bool = true, namesInEvents: Bool = false, outboxMaxAge: Span = .seconds(24 * 3600),
        version: String = "0", locale: String = "en"
    ) {
        self.locale = locale
        self.discovery = discovery
        self.namesInEvents = namesInEvents
        self.outboxMaxAge = outboxMaxAge
        self.version = version
    }
}

/// Publishes live state and events; see the file header.
public final class MQTTPublisher: Sendable {
    struct Work {
        var connected = false
        var discovery = false
        /// Access and alarm notices, in order (encoded at flush, off the engine's lock).
        var events: [NoticeBus.Item] = []
        var desks: Set<DeskID> = []
        var rooms: Set<RoomID> = []
        var doors: Set<DoorID> = []
        var occupancy = false
        /// The journal started or stopped failing.
        var health = false
        /// The wall clock stopped or started being trusted.
        var clock = false
        /// Own retained topics another client overwrote: published again.
        var repairs: Set<String> = []
    }

    /// What the daemon last published on one of its own retained topics, and what it published
    /// there whose echo has not come back from the broker yet (in order: the broker forwards a
    /// topic's messages in the order it took them).
    struct Truth {
        var latest: [UInt8]?
        var pending: [[UInt8]] = []
        var repairedAt: ContinuousClock.Instant?
    }

    let client: MosquittoClient
    let engine: Engine
    let store: Store?
    let topics: Topics
    let options: PublishOptions
    let logger: Logger
    let names: @Sendable (MemberID) -> String?
    let work = Mutex(Work())
    let bell: AsyncStream<Void>.Continuation
    let rings: AsyncStream<Void>
    /// When the summary was last sent, and whether a ring to send it again is due.
    let summaryTimer = Mutex<(last: ContinuousClock.Instant?, armed: Bool)>((nil, false))
    static let summaryInterval = Duration.milliseconds(100)
    /// QoS 1 messages handed to libmosquitto and not acknowledged yet, by message id.
    let inflight = Mutex<[Int32: OutboxMessage]>([:])
    /// Whether the outbox may hold messages (then new ones queue behind them).
    let outboxPending = Mutex(true)
    /// Why the journal cannot write (disk full, read-only), nil while it writes.
    let journalError = Mutex<String?>(nil)
    /// Why the wall clock is not trusted (nil: it is).
    let clockUnsynced = Mutex<String?>(nil)
    /// Held while sending: one flush at a time, so batches leave in the order they were taken.
    let sending = Mutex(())
    let counts = Mutex(Counts())
    /// The daemon's truth on each of its own retained topics (`echo`).
    let truths = Mutex<[String: Truth]>([:])

    /// What the publisher has done so far.
    public struct Counts: Sendable, Equatable {
        /// Messages written to the outbox (broker away).
        public var kept = 0
        /// Outbox messages handed to the broker after a reconnect.
        public var drained = 0
        /// Messages on the daemon's own retained topics that it did not publish.
        public var overwritten = 0
        /// Own retained topics published again after another client overwrote them.
        public var repaired = 0
    }

    /// What the publisher has done so far.
    public var stats: Counts { counts.withLock { $0 } }

    public init(
        client: MosquittoClient, engine: Engine, store: Store?, topics: Topics, options: PublishOptions,
        logger: Logger, names: @escaping @Sendable (MemberID) -> String? = { _ in nil }
    ) {
        self.client = client
        self.engine = engine
        self.store = store
        self.topics = topics
        self.options = options
        self.logger = logger
        self.names = names
        (rings, bell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: inputs (any thread, never blocking)

    /// Takes in a notice of the engine. Called under the engine's lock: only records.
    public func take(_ item: NoticeBus.Item) {
        work.withLock { w in
            switch item.notice {
            case .occupancyChanged: w.occupancy = true
            case .deskChanged(let desk): w.desks.insert(desk)
            case .roomChanged(let room): w.rooms.insert(room)
            case .doorChanged(let door): w.doors.insert(door)
            case .alarm(let door, _), .alarmCleared(let door, _):
                w.doors.insert(door)
                w.events.append(item)
            case .access, .finding: w.events.append(item)
            case .programChanged, .bookingsChanged, .membersChanged, .networkChanged: return
            }
        }
        bell.yield()
    }

    /// The `events` message of an access or alarm notice.
    func event(_ item: NoticeBus.Item) -> OutboxMessage? {
        let id = "\(engine.site)/\(item.seq)"
        switch item.notice {
        case .alarm(let door, let alarm), .alarmCleared(let door, let alarm):
            var active = false
            if case .alarm = item.notice { active = true }
            let event = AlarmEvent(
                id: id, alarm: alarm.label, active: active, door: door.rawValue, at: item.at.description)
            return message(event, at: item.at)
        case .access(let record):
            var event = AccessEvent(id: id, record: record)
            if options.namesInEvents, let member = record.member { event.name = names(member) }
            return message(event, at: item.at)
        case .finding(let fid):
            guard let f = engine.read({ $0.findings[fid] }) else { return nil }
            var event = FindingEvent(id: id, finding: f, at: item.at)
            if options.namesInEvents, let member = f.member { event.name = names(member) }
            return message(event, at: item.at)
        default:
            return nil
        }
    }

    /// The client (re)connected: status, outbox, full state and discovery follow.
    public func connected() {
        // Echoes of what was published before the connection dropped will not come.
        truths.withLock { t in for key in t.keys { t[key]?.pending = [] } }
        work.withLock { $0.connected = true }
        bell.yield()
    }

    /// The journal started failing (`message`) or writes again (nil): published as a retained
    /// `health` message and an alarm on `events`.
    public func journal(failing message: String?) {
        journalError.withLock { $0 = message }
        work.withLock { $0.health = true }
        bell.yield()
    }

    /// The wall clock stopped (`reason`) or started (nil) being trusted: the retained `health`
    /// message says it, and a `clock_unsynced` alarm goes out on `events`.
    public func clock(unsynced reason: String?) {
        clockUnsynced.withLock { $0 = reason }
        work.withLock { $0.clock = true }
        bell.yield()
    }

    /// Home Assistant (re)started: announce the entities again.
    public func homeAssistantOnline() {
        work.withLock { $0.discovery = true }
        bell.yield()
    }

    /// A message on one of the daemon's own retained topics, as the broker forwards it. One the
    /// daemon did not publish means another client overwrote its truth (a stale `unlocked`, a
    /// second daemon's `offline`): the daemon's payload is published again, at most once per
    /// topic every 5 s so that two writers do not spin, and the event is counted and logged.
    /// The broker's ACL (docs/mosquitto) is the real defence; this repairs what gets through.
    /// Messages delivered at subscribe time are left alone: every connect publishes all state.
    /// Called on the network thread: only records.
    public func echo(_ message: InboundMessage) {
        guard !message.retained else { return }
        let repair = truths.withLock { t -> Bool? in
            guard var truth = t[message.topic], let latest = truth.latest else { return nil }
            defer { t[message.topic] = truth }
            if let mine = truth.pending.firstIndex(of: message.payload) {
                truth.pending.removeFirst(mine + 1)  // ours (echoes before it were lost)
                return nil
            }
            if message.payload == latest { return false }
            let now = ContinuousClock.now
            if let at = truth.repairedAt, now - at < .seconds(5) { return false }
            truth.repairedAt = now
            return true
        }
        guard let repair else { return }
        counts.withLock { $0.overwritten += 1 }
        guard repair else { return }
        logger.warning(
            "mqtt: another client overwrote a retained topic of this daemon; publishing the daemon's state again",
            metadata: [
                "topic": "\(message.topic)",
                "payload": "\(String(decoding: message.payload.prefix(80), as: UTF8.self))",
                "fix": "the broker's ACL should let only this daemon write cantine/<site>/ (docs/mosquitto)",
            ])
        work.withLock { _ = $0.repairs.insert(message.topic) }
        bell.yield()
    }

    /// The broker acknowledged message `mid`.
    public func acknowledged(_ mid: Int32) {
        _ = inflight.withLock { $0.removeValue(forKey: mid) }
    }

    // MARK: the sending task

    /// Sends work as it comes until the stream of rings ends (`finish`).
    public func run() async {
        for await _ in rings {
            flush()
            // A change goes out at once; those that follow within `flushSpacing` go out
            // together after it. Under a flood (a backlog drained at reconnect) a desk's many
            // changes then cost one message, and the engine's lock is not taken per report.
            try? await Task.sleep(for: Self.flushSpacing)
        }
    }

    static let flushSpacing = Duration.milliseconds(1)

    /// Stops the sending task.
    public func finish() { bell.finish() }

    /// Sends everything pending now (the sending task calls it on every ring; a caller may
    /// too, to be sure what was announced so far has been sent or kept).
    public func flush() {
        sending.withLock { _ in flushLocked() }
    }

    func flushLocked() {
        let w = work.withLock { w in
            defer { w = Work() }
            return w
        }
        let now = engine.now
        if w.connected {
            _ = hand(state(topics.status, "online", at: now))
            drainOutbox()
            publishAll(at: now)
        }
        if w.connected || w.health || w.clock { publishHealth(at: now, alarm: w.health, clockAlarm: w.clock) }
        for item in w.events { if let m = event(item) { send(m) } }
        if !w.connected {
            let (desks, rooms, doors) = engine.read { s in
                (
                    w.desks.map { ($0, s.desks[$0]?.occupancy ?? .unknown) },
                    w.rooms.map { ($0, s.rooms[$0]?.occupancy ?? .unknown) }, w.doors.map { ($0, s.doors[$0]?.label) }
                )
            }
            for (desk, occupancy) in desks.sorted(by: { $0.0 < $1.0 }) {
                send(state(topics.deskState(desk), occupancy.rawValue, at: now))
            }
            for (room, occupancy) in rooms.sorted(by: { $0.0 < $1.0 }) {
                send(state(topics.roomState(room), occupancy.rawValue, at: now))
            }
            for (door, label) in doors.sorted(by: { $0.0 < $1.0 }) {
                if let label { send(state(topics.doorState(door), label, at: now)) }
            }
            if w.occupancy { publishOccupancySoon(at: now) }
        }
        if w.discovery && !w.connected { publishDiscovery(at: now) }
        if !w.connected {
            let again = truths.withLock { t in
                w.repairs.sorted().compactMap { topic in t[topic]?.latest.map { (topic, $0) } }
            }
            for (topic, payload) in again {
                counts.withLock { $0.repaired += 1 }
                send(
                    OutboxMessage(
                        createdUs: now.micros, topic: topic, payload: payload, qos: 1, retain: true, collapse: topic))
            }
        }
    }

    /// A retained state message (collapsed by topic in the outbox).
    func state(_ topic: String, _ payload: String, at now: Instant) -> OutboxMessage {
        OutboxMessage(
            createdUs: now.micros, topic: topic, payload: Array(payload.utf8), qos: 1, retain: true, collapse: topic)
    }

    func message(_ event: some Encodable, at now: Instant) -> OutboxMessage {
        let json = (try? JSONEncoder.sorted.encode(event)) ?? Data()
        return OutboxMessage(createdUs: now.micros, topic: topics.events, payload: Array(json), qos: 1, retain: false)
    }

    /// Publishes `m` now if the broker is there and nothing waits before it; else keeps it.
    func send(_ m: OutboxMessage) {
        if !outboxPending.withLock({ $0 }), hand(m) { return }
        keep([m])
    }

    /// Hands `m` to libmosquitto; false when it did not take it (not connected).
    func hand(_ m: OutboxMessage) -> Bool {
        let own = m.retain && topics.isOwnState(m.topic)
        if own {
            // Recorded before it leaves: its echo may come back before `publish` returns.
            truths.withLock { t in
                var truth = t[m.topic] ?? Truth()
                truth.latest = m.payload
                truth.pending.append(m.payload)
                if truth.pending.count > 16 { truth.pending.removeFirst() }
                t[m.topic] = truth
            }
        }
        let handed = inflight.withLock { inflight in
            guard let mid = client.publish(m.topic, m.payload, qos: m.qos, retain: m.retain) else { return false }
            if m.qos > 0 { inflight[mid] = m }
            return true
        }
        if own && !handed { truths.withLock { _ = $0[m.topic]?.pending.popLast() } }  // no echo will come
        return handed
    }

    /// Writes messages to the outbox (broker away).
    func keep(_ messages: [OutboxMessage]) {
        outboxPending.withLock { $0 = true }
        counts.withLock { $0.kept += messages.count }
        guard let store else { return }
        do {
            let dropped = try store.outboxAppend(
                messages, site: engine.site.rawValue, nowUs: engine.now.micros, maxAgeUs: options.outboxMaxAge.micros)
            if dropped > 0 {
                logger.warning("mqtt outbox full: oldest messages dropped", metadata: ["dropped": "\(dropped)"])
            }
        } catch {
            logger.error(
                "mqtt outbox not writable: message lost",
                metadata: ["error": "\(error)", "topic": "\(messages.first?.topic ?? "")"])
        }
    }

    /// Sends the outbox in order; stops (keeping the rest) if the connection drops.
    func drainOutbox() {
        guard let store else {
            outboxPending.withLock { $0 = false }
            return
        }
        do {
            var sent = 0
            while true {
                let batch = try store.outboxPeek(limit: 500)
                if batch.isEmpty { break }
                var delivered: [Int64] = []
                for m in batch {
                    guard hand(m) else { break }
                    delivered.append(m.id)
                }
                try store.outboxDelete(ids: delivered)
                sent += delivered.count
                counts.withLock { $0.drained += delivered.count }
                if delivered.count < batch.count { return }
            }
            outboxPending.withLock { $0 = false }
            if sent > 0 { logger.info("mqtt outbox delivered", metadata: ["messages": "\(sent)"]) }
        } catch {
            logger.error("mqtt outbox not readable", metadata: ["error": "\(error)"])
        }
    }

    /// Every retained topic afresh, then discovery (after a (re)connect).
    func publishAll(at now: Instant) {
        let (desks, rooms, doors) = engine.read { s in
            (
                s.desks.map { ($0.key, $0.value.occupancy.rawValue) },
                s.rooms.map { ($0.key, $0.value.occupancy.rawValue) }, s.doors.map { ($0.key, $0.value.label) }
            )
        }
        for (desk, label) in desks.sorted(by: { $0.0 < $1.0 }) { send(state(topics.deskState(desk), label, at: now)) }
        for (room, label) in rooms.sorted(by: { $0.0 < $1.0 }) { send(state(topics.roomState(room), label, at: now)) }
        for (door, label) in doors.sorted(by: { $0.0 < $1.0 }) { send(state(topics.doorState(door), label, at: now)) }
        publishOccupancy(at: now)
        publishDiscovery(at: now)
    }

    /// The retained health message, and on a change the alarm event. Sent straight to the
    /// broker when it is there: the outbox lives on the disk that may be what is failing.
    func publishHealth(at now: Instant, alarm: Bool, clockAlarm: Bool = false) {
        let error = journalError.withLock { $0 }
        let clock = clockUnsynced.withLock { $0 }
        let health = HealthState(
            journal: error == nil ? "ok" : "failing", detail: error, clock: clock == nil ? "synced" : "unsynced",
            clockDetail: clock, at: now.description, clientID: client.settings.clientID,
            host: ProcessInfo.processInfo.hostName)
        send(
            state(
                topics.health, String(decoding: (try? JSONEncoder.sorted.encode(health)) ?? Data(), as: UTF8.self),
                at: now))
        // The daemon's own alarms: raised while `detail` says why, cleared when it is nil.
        func alarmEvent(_ part: String, _ name: String, _ detail: String?) {
            send(
                message(
                    AlarmEvent(
                        id: "\(engine.site)/\(part)/\(now.micros)", alarm: name, active: detail != nil, detail: detail,
                        at: now.description),
                    at: now))
        }
        if alarm { alarmEvent("journal", "journal_failing", error) }
        if clockAlarm { alarmEvent("clock", "clock_unsynced", clock) }
    }

    /// Publishes the summary now, or once `summaryInterval` has passed since the last one: a
    /// flood of desk changes (a backlog drained at reconnect) would otherwise encode and send
    /// it for each. The last change always goes out.
    func publishOccupancySoon(at now: Instant) {
        let clock = ContinuousClock.now
        let wait = summaryTimer.withLock { t -> Duration? in
            if let last = t.last, clock - last < Self.summaryInterval {
                if t.armed { return nil }
                t.armed = true
                return Self.summaryInterval - (clock - last)
            }
            t.last = clock
            return .zero
        }
        guard wait != .zero else { return publishOccupancy(at: now) }
        work.withLock { $0.occupancy = true }  // still to send
        guard let wait else { return }  // a ring is already due
        Task { [self] in
            try? await Task.sleep(for: wait)
            summaryTimer.withLock { $0.armed = false }
            bell.yield()
        }
    }

    func publishOccupancy(at now: Instant) {
        let summary = engine.read { $0.occupancy(at: now) }
        if let data = try? JSONEncoder.sorted.encode(summary) {
            send(state(topics.occupancy, String(decoding: data, as: UTF8.self), at: now))
        }
    }

    /// Discovery configs for the layout; entities announced before and gone from the layout
    /// (a desk removed from the config) are removed with an empty retained config.
    func publishDiscovery(at now: Instant) {
        guard options.discovery, let layout = engine.read({ $0.layout }) else { return }
        let configs = Discovery.messages(
            for: layout, topics: topics, version: options.version, locale: options.locale)
        let current = Set(configs.map(\.topic))
        let key = "mqtt_discovery_topics"
        let before =
            (try? store?.meta(key)).flatMap { $0 }.map { Set($0.split(separator: "\n").map(String.init)) } ?? []
        for topic in before.subtracting(current).sorted() { send(state(topic, "", at: now)) }
        for config in configs { send(state(config.topic, config.payload, at: now)) }
        try? store?.metaSet(key, current.sorted().joined(separator: "\n"))
    }

    /// On a clean shutdown: desks and rooms say `unknown` (nobody watches them any more), the status says
    /// `offline`; waits up to `timeout` for the broker's acknowledgements, then keeps every
    /// event still unacknowledged in the outbox for the next start.
    public func shutDown(timeout: Duration = .seconds(2)) async {
        let now = engine.now
        let (desks, rooms) = engine.read { (Array($0.desks.keys), Array($0.rooms.keys)) }
        if client.isConnected && !outboxPending.withLock({ $0 }) {
            for desk in desks.sorted() { _ = hand(state(topics.deskState(desk), Occupancy.unknown.rawValue, at: now)) }
            for room in rooms.sorted() { _ = hand(state(topics.roomState(room), Occupancy.unknown.rawValue, at: now)) }
            _ = hand(state(topics.status, "offline", at: now))
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            while clock.now < deadline && !inflight.withLock({ $0.isEmpty }) && client.isConnected {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let unacknowledged = inflight.withLock { i in
            defer { i = [:] }
            return i.values.filter { !$0.retain }.sorted { $0.createdUs < $1.createdUs }
        }
        if !unacknowledged.isEmpty { keep(unacknowledged) }
    }
}

/// An access event as published on `events` (members by opaque id; a name only if allowed).
struct AccessEvent: Encodable {
    let id: String
    let type = "access"
    let door: String
    let member: String?
    var name: String?
    let granted: Bool
    let reason: String
    let plan: String?
    let at: String

    init(id: String, record: AccessRecord) {
        self.id = id
        door = record.door.rawValue
        member = record.member?.rawValue
        granted = record.granted
        reason = record.reason.rawValue
        plan = record.plan?.rawValue
        at = record.at.description
    }
}

/// The daemon's health, retained on `health`; with the client id and host it runs under, so
/// that `cantine doctor` elsewhere can tell when its client id is already held.
struct HealthState: Codable {
    let journal: String
    let detail: String?
    /// `synced`, or `unsynced` with why in `clock_detail`.
    var clock: String? = nil
    var clockDetail: String? = nil
    let at: String
    let clientID: String?
    let host: String?

    enum CodingKeys: String, CodingKey {
        case journal, detail, clock, clockDetail = "clock_detail", at, clientID = "client_id", host
    }
}

/// An alarm raised (`active` true) or cleared, as published on `events`: of a door (`door`),
/// of the daemon itself (`detail`: why the journal fails), or of the network (`topic` of a
/// refused message, `detail`: why). Absent fields are left out of the JSON.
public struct AlarmEvent: Encodable, Sendable {
    public let id: String
    public let type = "alarm"
    public let alarm: String
    public let active: Bool
    public let door: String?
    public let topic: String?
    public let detail: String?
    public let at: String

    public init(
        id: String, alarm: String, active: Bool, door: String? = nil, topic: String? = nil, detail: String? = nil,
        at: String
    ) {
        self.id = id
        self.alarm = alarm
        self.active = active
        self.door = door
        self.topic = topic
        self.detail = detail
        self.at = at
    }
}

/// A reconciliation finding raised, ended or resolved, as published on `events` (a no-show
/// tells the member's opaque id, and their name only with `names_in_events`).
struct FindingEvent: Encodable {
    let id: String
    let type = "finding"
    let finding: String
    let kind: String
    /// `raised`, `ended` or `resolved`.
    let state: String
    let desk: String?
    let room: String?
    let booking: String?
    let member: String?
    var name: String?
    let detail: String
    let action: String?
    let at: String

    /// The event of a finding's change, from its one view (`FindingView`).
    init(id: String, finding f: Finding, at: Instant) {
        let view = FindingView(f)
        self.id = id
        finding = view.id
        kind = view.kind
        state = view.state
        desk = view.desk
        room = view.room
        booking = view.booking
        member = view.member
        detail = view.detail
        action = view.resolution
        self.at = at.description
    }
}
