// Sensor input from MQTT: on its own thread, takes what the network thread queued and turns
// desk and room reports and node status into journaled events. Every report is either accepted
// (one journal event; a heartbeat, a share of its minute's batch: Engine.sense) or rejected
// with a reason code, counted, and logged at a bounded rate: retained, malformed, flooding,
// unknown desk or room, duplicate, out of order, stale — or shed while the journal is too far
// behind (a failing disk): doors never are, and a node's next report after the journal
// catches up restores its desk.

import CantineCore
import CantineProtocol
import Foundation
import Logging
import Metrics
import Synchronization

/// Reports of one site's desk and room nodes, into the engine.
public final class SensorIngest: Sendable {
    /// Why a message on a sensor topic was not taken in (beyond `ReportRefusal`).
    public enum Rejection: String, Sendable, CaseIterable {
        /// Delivered from the broker's retained store: old news, never acted on.
        case retained
        /// A node sending more than its share (see `Limits`).
        case flood
        /// A status payload other than `online` / `offline`.
        case badStatus = "bad_status"
        /// A status from a node no desk or room of the config names.
        case unknownNode = "unknown_node"
        /// A topic under the prefix this version does not read.
        case unknownTopic = "unknown_topic"
        /// The journal is `Limits.maxBacklog` entries or more behind (the disk failing): reports
        /// are shed rather than held in memory without a bound.
        case journalBacklog = "journal_backlog"
    }

    /// Per-desk (and per-room) flood limit: a token bucket of `burst` reports refilled at `perSecond`
    /// (0 turns it off: the ingest bench measures the pipeline without it).
    public struct Limits: Sendable {
        public var perSecond: Double
        public var burst: Double
        /// Journal entries not yet written past which reports are shed (a few hundred bytes each
        /// in memory: the default holds some 10–20 MB, hours of a site's reports; an estimate).
        public var maxBacklog: Int64
        public init(perSecond: Double = 2, burst: Double = 20, maxBacklog: Int64 = 50_000) {
            self.perSecond = perSecond
            self.burst = burst
            self.maxBacklog = maxBacklog
        }
    }

    let engine: Engine
    let topics: Topics
    let limits: Limits
    let logger: Logger
    let onHomeAssistantOnline: @Sendable () -> Void
    /// Journal entries applied but not yet written.
    let backlog: @Sendable () -> Int64
    let state = Mutex(Counts())
    let accepted = Counter(label: "cantine_mqtt_reports_total", dimensions: [("result", "accepted")])

    struct Counts {
        var accepted = 0
        var rejected: [String: Int] = [:]
        var buckets: [String: (tokens: Double, at: Instant)] = [:]
        /// Per place: recent out-of-order refusals, and when a conflict was last journaled.
        var outOfOrder: [String: [Instant]] = [:]
        var conflictSent: [String: Instant] = [:]
        /// Per reason: when it was last logged, and how many since.
        var logged: [String: (at: Instant, suppressed: Int)] = [:]
    }

    /// - Parameter backlog: journal entries applied but not yet written (the daemon's: the
    ///   engine's last sequence number less the writer's durable one).
    public init(
        engine: Engine, limits: Limits = Limits(), logger: Logger, backlog: @escaping @Sendable () -> Int64 = { 0 },
        onHomeAssistantOnline: @escaping @Sendable () -> Void = {}
    ) {
        self.engine = engine
        self.backlog = backlog
        self.topics = Topics(site: engine.site)
        self.limits = limits
        self.logger = logger
        self.onHomeAssistantOnline = onHomeAssistantOnline
    }

    /// Reports accepted so far.
    public var acceptedCount: Int { state.withLock { $0.accepted } }
    /// Rejections so far by reason code.
    public var rejections: [String: Int] { state.withLock { $0.rejected } }

    /// Runs on the calling thread until `queue` is closed.
    public func drain(_ queue: MessageQueue) {
        while true {
            let batch = queue.takeAll()
            if batch.isEmpty { return }
            for message in batch { handle(message) }
        }
    }

    /// Takes in one message.
    public func handle(_ message: InboundMessage) {
        if message.topic == topics.homeAssistantStatus {
            if message.payload == Array("online".utf8) { onHomeAssistantOnline() }
            return
        }
        switch topics.parse(message.topic) {
        case .deskReport(let desk):
            report(message, key: desk.rawValue, source: EventSource("sensor:\(desk)")) {
                .deskReported(DeskReport(desk: desk, reading: $0))
            }
        case .roomReport(let room):
            report(message, key: "room:\(room)", source: EventSource("sensor:room:\(room)")) {
                .roomReported(RoomReport(room: room, reading: $0))
            }
        case .nodeStatus(let node): status(node, message)
        case nil: reject(Rejection.unknownTopic.rawValue, message.topic, "no such topic in the contract (docs/mqtt.md)")
        }
    }

    /// A node's report: decoded, rate-limited per place (`key`), admitted by the core's
    /// policy and journaled as the event `event` makes of it.
    func report(
        _ message: InboundMessage, key: String, source: EventSource, event: (SensorReport) -> Event
    ) {
        let topic = message.topic
        guard !message.retained else {
            return reject(
                Rejection.retained.rawValue, topic, "retained report ignored: nodes must publish retain=false")
        }
        let wire: SensorReport
        do {
            wire = try SensorReport.decode(message.payload)
        } catch {
            return reject(error.reason, topic, error.message)
        }
        let behind = backlog()
        guard behind < limits.maxBacklog else {
            return reject(
                Rejection.journalBacklog.rawValue, topic,
                "the journal is \(behind) entries behind (is the disk full or failing?): reports shed until it catches up; doors still decide"
            )
        }
        guard admitRate(key) else {
            return reject(Rejection.flood.rawValue, topic, "more than \(limits.perSecond) reports/s: dropped")
        }
        let event = event(wire)
        // Counted before the event is applied, so whoever sees its effects sees the count.
        let sensed = engine.sense(event, source: source) { self.state.withLock { $0.accepted += 1 } }
        if case .refused(let refusal) = sensed {
            reject(refusal.rawValue, topic, "seq \(wire.seq) uptime \(wire.uptimeS) s")
            if refusal == .outOfOrder, let place = event.observation?.place, let refused = conflicting(key) {
                engine.submit(.sensorConflict(SensorConflict(place, refused: refused)), source: source)
            }
        } else {
            accepted.increment()
        }
    }

    func status(_ node: NodeID, _ message: InboundMessage) {
        let text = String(decoding: message.payload, as: UTF8.self)
        guard text == "online" || text == "offline" else {
            return reject(Rejection.badStatus.rawValue, message.topic, "expected online or offline")
        }
        let online = text == "online"
        // The same status again (a retained copy after a reconnect) changes nothing: not journaled.
        let refusal = engine.submit(
            .nodeStatus(NodeStatus(node: node, online: online)), source: EventSource("node:\(node)")
        ) { state, _ -> StatusRefusal? in
            guard let layout = state.layout,
                layout.desks.contains(where: { $0.node == node }) || layout.rooms.contains(where: { $0.node == node })
            else { return .unknownNode }
            return state.nodes[node]?.online == online ? .unchanged : nil
        }
        if refusal == .unknownNode {
            reject(Rejection.unknownNode.rawValue, message.topic, "no desk or room in the config has node '\(node)'")
        }
    }

    enum StatusRefusal: Sendable { case unknownNode, unchanged }

    /// Out-of-order reports that keep coming for one place are not a redelivery but a second
    /// stream on its topic (two nodes flashed for one desk, a node replaying old data). Counts
    /// them over `conflictWindow`; from `conflictThreshold` on, returns the count, at most once
    /// a minute per place, for a journaled `sensor.conflict` (a sensor finding for staff).
    func conflicting(_ key: String) -> Int? {
        let now = engine.now
        return state.withLock { s in
            var recent = (s.outOfOrder[key] ?? []).filter { now - $0 < Self.conflictWindow }
            recent.append(now)
            s.outOfOrder[key] = Array(recent.suffix(Self.conflictThreshold * 4))
            guard recent.count >= Self.conflictThreshold else { return nil }
            if let sent = s.conflictSent[key], now - sent < .seconds(60) { return nil }
            s.conflictSent[key] = now
            return recent.count
        }
    }

    static let conflictThreshold = 5
    static let conflictWindow = Span.minutes(10)

    /// Token bucket per desk or room.
    func admitRate(_ key: String) -> Bool {
        guard limits.perSecond > 0 else { return true }
        let now = engine.now
        return state.withLock { s in
            var bucket = s.buckets[key] ?? (limits.burst, now)
            bucket.tokens = min(limits.burst, bucket.tokens + max(0, (now - bucket.at).seconds) * limits.perSecond)
            bucket.at = now
            let ok = bucket.tokens >= 1
            if ok { bucket.tokens -= 1 }
            s.buckets[key] = bucket
            return ok
        }
    }

    /// Counts a rejection; logs the first of a reason, then at most one line per 10 s with
    /// how many were not logged in between.
    func reject(_ reason: String, _ topic: String, _ detail: String) {
        Counter(label: "cantine_mqtt_reports_total", dimensions: [("result", "rejected"), ("reason", reason)])
            .increment()
        let now = engine.now
        let suppressed: Int? = state.withLock { s in
            s.rejected[reason, default: 0] += 1
            if let last = s.logged[reason], now - last.at < .seconds(10) {
                s.logged[reason]?.suppressed += 1
                return nil
            }
            let count = s.logged[reason]?.suppressed ?? 0
            s.logged[reason] = (now, 0)
            return count
        }
        if let suppressed {
            logger.warning(
                "sensor message rejected",
                metadata: [
                    "reason": "\(reason)", "topic": "\(topic)", "detail": "\(detail)",
                    "more_since_last_log": "\(suppressed)",
                ])
        }
    }
}

extension DeskReport {
    /// A desk node's decoded payload as the core's observation.
    init(desk: DeskID, reading r: SensorReport) {
        self.init(
            desk: desk, occupied: r.occupied, seq: Int64(r.seq), uptimeS: Int64(r.uptimeS), fw: r.fw,
            rssi: r.rssi.map(Int.init))
    }
}

extension RoomReport {
    /// A room node's decoded payload as the core's observation.
    init(room: RoomID, reading r: SensorReport) {
        self.init(
            room: room, occupied: r.occupied, seq: Int64(r.seq), uptimeS: Int64(r.uptimeS), fw: r.fw,
            rssi: r.rssi.map(Int.init))
    }
}
