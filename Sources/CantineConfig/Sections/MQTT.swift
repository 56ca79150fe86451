// `[mqtt]`: the broker the desk nodes, Home Assistant and the other sites talk through.

import CantineCore
import Foundation

extension Config {
    /// `[mqtt]` as written.
    public struct MQTTSection: Codable, Equatable, Sendable {
        public var enabled: Bool?
        public var host: String?
        public var port: Int?
        public var clientId: String?
        public var username: String?
        public var password: String?
        public var keepalive: Int?
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        /// Keep the broker session (subscriptions, queued reports) across reconnects.
        public var persistentSession: Bool?
        /// Announce entities to Home Assistant (MQTT discovery).
        public var discovery: Bool?
        public var discoveryPrefix: String?
        /// Put members' names in access events (off: opaque ids only).
        public var namesInEvents: Bool?
        /// Undelivered messages older than this are dropped from the outbox.
        public var outboxMaxAgeH: Seconds?
        /// Inbound messages waiting for the ingest thread before new ones are dropped.
        public var queueSize: Int?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case enabled, host, port, clientId = "client_id", username, password, keepalive = "keepalive_s"
            case caFile = "ca_file", certFile = "cert_file", keyFile = "key_file"
            case persistentSession = "persistent_session", discovery, discoveryPrefix = "discovery_prefix"
            case namesInEvents = "names_in_events", outboxMaxAgeH = "outbox_max_age_h", queueSize = "queue_size"
        }
    }
}

extension Settings {
    /// The broker and what is published on it, resolved.
    public struct MQTT: Equatable, Sendable {
        public var enabled: Bool
        public var host: String
        public var port: Int
        /// Unique per broker: `cantine-<site id>` unless given.
        public var clientID: String
        public var username: String?
        public var password: String?
        /// Seconds between keepalive pings.
        public var keepalive: Int
        /// TLS when `caFile` is set.
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        public var persistentSession: Bool
        public var discovery: Bool
        public var discoveryPrefix: String
        public var namesInEvents: Bool
        public var outboxMaxAge: Span
        public var queueSize: Int
    }
}

extension Config.MQTTSection {
    func resolved(site: String) -> Settings.MQTT {
        Settings.MQTT(
            enabled: Defaults.mqttEnabled.or(enabled), host: Defaults.mqttHost.or(host),
            port: Defaults.mqttPort.or(port),
            clientID: clientId ?? "cantine-\(site)", username: username, password: password,
            keepalive: Defaults.keepalive.or(keepalive), caFile: caFile, certFile: certFile, keyFile: keyFile,
            persistentSession: Defaults.persistentSession.or(persistentSession),
            discovery: Defaults.discovery.or(discovery), discoveryPrefix: Defaults.discoveryPrefix.or(discoveryPrefix),
            namesInEvents: Defaults.namesInEvents.or(namesInEvents),
            outboxMaxAge: Span(seconds: Defaults.outboxMaxAge.or(outboxMaxAgeH?.value) * 3600),
            queueSize: Defaults.queueSize.or(queueSize))
    }

    func validate(_ check: Checks) throws(ConfigError) {
        try Defaults.mqttPort.check(port, file: check.file)
        try Defaults.keepalive.check(keepalive, file: check.file)
        if let p = discoveryPrefix, p.isEmpty || p.contains("#") || p.contains("+") || p.hasSuffix("/") {
            throw check.fail(
                "mqtt.discovery_prefix", "expected a topic prefix such as \"homeassistant\" (no wildcards)")
        }
        try Defaults.outboxMaxAge.check(outboxMaxAgeH?.value, file: check.file)
        try Defaults.queueSize.check(queueSize, file: check.file)
        for (key, file) in [("mqtt.ca_file", caFile), ("mqtt.cert_file", certFile), ("mqtt.key_file", keyFile)] {
            if let file, !FileManager.default.fileExists(atPath: file) {
                throw check.fail(key, "file \(file) does not exist")
            }
        }
    }
}
