// Publishes live state on MQTT: daemon status (birth + last will), occupancy summary, desk
// and door states (retained, re-sent in full on every reconnect) and access events (QoS 1,
// stable ids). A Service: runs until graceful shutdown, then says `offline` and disconnects.

import CantineCore
import Foundation
import Logging
import ServiceLifecycle

/// The MQTT side of live occupancy.
public final class MQTTPublisher: Service, Sendable {
    let client: MosquittoClient
    let engine: Engine
    let bus: NoticeBus
    let topics: Topics
    let logger: Logger

    public init(settings: MQTTSettings, engine: Engine, bus: NoticeBus, logger: Logger) throws(MQTTError) {
        topics = Topics(site: engine.site)
        client = try MosquittoClient(settings: settings, willTopic: topics.status, willPayload: "offline")
        self.engine = engine
        self.bus = bus
        self.logger = logger
    }

    public func run() async throws {
        let notices = bus.subscribe()
        try client.start { [self] in
            logger.info("mqtt connected", metadata: ["mqtt.broker": "\(client.settings.host):\(client.settings.port)"])
            client.publish(topics.status, "online", retain: true)
            publishAll()
        }
        for await item in notices.cancelOnGracefulShutdown() {
            handle(item)
        }
        client.publish(topics.status, "offline", retain: true)
        client.stop()
    }

    func handle(_ item: NoticeBus.Item) {
        switch item.notice {
        case .occupancyChanged: publishOccupancy(at: item.at)
        case .deskChanged(let desk):
            let label = engine.read { $0.desks[desk]?.occupancy.rawValue } ?? "unknown"
            client.publish(topics.deskState(desk), label, retain: true)
        case .doorChanged(let door):
            publishDoor(door)
        case .alarm(let door, let alarm), .alarmCleared(let door, let alarm):
            publishDoor(door)
            var active = false
            if case .alarm = item.notice { active = true }
            publishEvent(
                AlarmEvent(
                    id: "\(engine.site)/\(item.seq)", door: door.rawValue, alarm: alarm.rawValue, active: active,
                    at: item.at.description))
        case .access(let record):
            publishEvent(AccessEvent(id: "\(engine.site)/\(item.seq)", record: record))
        case .programChanged, .bookingsChanged, .membersChanged: break
        }
    }

    func publishDoor(_ door: DoorID) {
        let label = engine.read { $0.doors[door]?.label } ?? "locked"
        client.publish(topics.doorState(door), label, retain: true)
    }

    /// Events are QoS 1 and never retained: a late subscriber must not see old ones as new.
    func publishEvent(_ event: some Encodable) {
        if let json = try? String(decoding: JSONEncoder.sorted.encode(event), as: UTF8.self) {
            client.publish(topics.events, json, qos: 1, retain: false)
        }
    }

    /// Publishes every retained topic afresh (after a (re)connect).
    func publishAll() {
        let now = engine.now
        let (desks, doors) = engine.read { s in
            (s.desks.map { ($0.key, $0.value.occupancy.rawValue) }, s.doors.map { ($0.key, $0.value.label) })
        }
        for (desk, label) in desks { client.publish(topics.deskState(desk), label, retain: true) }
        for (door, label) in doors { client.publish(topics.doorState(door), label, retain: true) }
        publishOccupancy(at: now)
    }

    func publishOccupancy(at now: Instant) {
        let summary = engine.read { $0.occupancy(at: now) }
        if let data = try? JSONEncoder.sorted.encode(summary) {
            client.publish(topics.occupancy, String(decoding: data, as: UTF8.self), retain: true)
        }
    }
}

/// An access event as published on `events` (no names: members by opaque id only).
struct AccessEvent: Encodable {
    let id: String
    let type = "access"
    let door: String
    let member: String?
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

/// A door alarm raised (`active` true) or cleared, as published on `events`.
struct AlarmEvent: Encodable {
    let id: String
    let type = "alarm"
    let door: String
    let alarm: String
    let active: Bool
    let at: String
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
