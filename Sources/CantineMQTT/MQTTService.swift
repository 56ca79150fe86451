// MQTT as one Service: a libmosquitto client (last will, persistent session, reconnect with
// capped backoff) whose network thread only queues (bounded) what arrives; a thread of its
// own takes sensor messages into the engine; a task sends what the engine announces.
// Doors never wait on any of it: a broker that is down or refuses us only costs MQTT.

import CantineCore
import CantineStore
import Foundation
import Logging
import ServiceLifecycle

/// Desk sensors in, live state out, over one broker connection.
public final class MQTTService: Service, Sendable {
    public let client: MosquittoClient
    public let ingest: SensorIngest
    public let publisher: MQTTPublisher
    let queue: MessageQueue
    let bus: NoticeBus
    let topics: Topics
    let logger: Logger
    /// The outbox's store (nil: no outbox).
    let store: Store?

    /// - Parameters:
    ///   - store: where the outbox and the announced discovery topics are kept (nil: no outbox).
    ///   - queueCapacity: inbound messages waiting for the ingest thread before new ones are dropped.
    ///   - journalBacklog: journal entries not yet written; reports are shed past `limits.maxBacklog`.
    public init(
        settings: MQTTSettings, engine: Engine, bus: NoticeBus, store: Store?,
        options: PublishOptions = PublishOptions(),
        limits: SensorIngest.Limits = SensorIngest.Limits(), discoveryPrefix: String = "homeassistant",
        queueCapacity: Int = 8192, logger: Logger, names: @escaping @Sendable (MemberID) -> String? = { _ in nil },
        journalBacklog: @escaping @Sendable () -> Int64 = { 0 }
    ) throws(MQTTError) {
        let topics = Topics(site: engine.site, discoveryPrefix: discoveryPrefix)
        self.topics = topics
        client = try MosquittoClient(settings: settings, will: (topics.status, "offline"))
        publisher = MQTTPublisher(
            client: client, engine: engine, store: store, topics: topics, options: options, logger: logger, names: names
        )
        let publisher = self.publisher
        ingest = SensorIngest(engine: engine, limits: limits, logger: logger, backlog: journalBacklog) {
            publisher.homeAssistantOnline()
        }
        queue = MessageQueue(capacity: queueCapacity)
        self.bus = bus
        self.logger = logger
        self.store = store
    }

    /// Inbound messages dropped because the ingest thread was `queueCapacity` behind.
    public var dropped: Int { queue.dropped }

    public func run() async throws {
        let ingestThread = Thread { [ingest, queue] in ingest.drain(queue) }
        ingestThread.name = "cantine-mqtt-ingest"
        ingestThread.start()
        let (client, publisher, queue, logger, topics) = (
            self.client, self.publisher, self.queue, self.logger, self.topics
        )
        let broker = client.settings.broker
        var subscriptions = topics.sensorSubscriptions
        if publisher.options.discovery { subscriptions.append(topics.homeAssistantStatus) }
        // A start that throws still stops the client (its callbacks hold the publisher, which
        // holds it) and the ingest thread.
        var started = false
        defer {
            if !started {
                client.stop()
                queue.close()
            }
        }
        try await client.startDetached(
            subscriptions: subscriptions,
            // QoS 0: what was said there while the daemon was away (its own last will, its last
            // messages before a restart) is not queued for it and taken for someone else's.
            watched: topics.ownStateSubscriptions,
            onConnect: {
                logger.info("mqtt connected", metadata: ["mqtt.broker": "\(broker)"])
                publisher.connected()
            },
            onMessage: { message in
                if topics.isOwnState(message.topic) { return publisher.echo(message) }
                if !queue.push(message) {
                    logger.warning("mqtt inbound queue full: message dropped", metadata: ["topic": "\(message.topic)"])
                }
            },
            onPublished: { publisher.acknowledged($0) },
            onRefused: { reason in
                logger.error(
                    "mqtt broker refused the connection; doors keep working without MQTT",
                    metadata: [
                        "mqtt.broker": "\(broker)", "reason": "\(reason)",
                        "fix": "check [mqtt] username/password and the broker's ACL",
                    ])
            },
            onTakenOver: { takeover in
                logger.critical(
                    "mqtt session taken over: another client connected to the broker with this daemon's client id; waiting before connecting again instead of fighting for it",
                    metadata: [
                        "alarm": "mqtt_session_taken_over", "mqtt.broker": "\(broker)",
                        "mqtt.client_id": "\(client.settings.clientID)", "takeovers": "\(takeover.count)",
                        "retry_in_s": "\(takeover.backoff)",
                        "fix":
                            "give each daemon (and tool) its own [mqtt] client_id; the broker's log names the other client's address; `cantine doctor` finds a daemon online with this id",
                    ])
            })
        started = true
        let observer = bus.observe { publisher.take($0) }
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await publisher.run() }
            try? await gracefulShutdown()
            bus.stopObserving(observer)
            publisher.finish()
        }
        await publisher.shutDown()
        client.stop()
        queue.close()
    }
}

extension MQTTService: HealthReporting {
    /// How the broker connection is doing, for /healthz and /metrics: connected or not (and
    /// why not), and how many messages wait in the outbox for the broker to return.
    public func health() -> ComponentHealth {
        let depth = (try? store?.outboxCount()) ?? 0
        var values: [String: Double] = [
            "connected": client.isConnected ? 1 : 0, "outbox_depth": Double(depth), "inbound_dropped": Double(dropped),
            "retained_overwrites": Double(publisher.stats.overwritten),
        ]
        let takeover = client.takeover
        values["session_takeovers"] = Double(takeover?.count ?? 0)
        if let takeover {
            // The alarm: said as it is, not as "unreachable" (the broker is up).
            let at = takeover.at.formatted(.iso8601)
            let how =
                takeover.certain
                ? "the broker says another client connected to \(client.settings.broker) with this daemon's client id '\(client.settings.clientID)'"
                : "the broker at \(client.settings.broker) kept closing this daemon's connection right after accepting it: another client is connected with this daemon's client id '\(client.settings.clientID)' (mosquitto from 2.0.15 says so outright)"
            return ComponentHealth(
                name: "mqtt", status: "degraded",
                detail:
                    "mqtt_session_taken_over: \(how) (\(takeover.count) times, last \(at)); \(client.isConnected ? "connected again" : "connecting again \(takeover.backoff) s after it, not fighting for it"); doors keep working. Give each daemon its own [mqtt] client_id (the broker's log names the other client's address; `cantine doctor` finds a daemon online with this id)",
                values: values)
        }
        if client.isConnected {
            return ComponentHealth(name: "mqtt", status: "ok", values: values)
        }
        let why = client.refusal ?? client.lastError ?? "broker unreachable"
        return ComponentHealth(
            name: "mqtt", status: "degraded",
            detail: "\(why): doors keep working; check the broker at \(client.settings.host):\(client.settings.port)",
            values: values)
    }
}
