// The MQTT topic contract (docs/mqtt.md): every topic lives under `cantine/<site>/`;
// Home Assistant's discovery lives under its own prefix (`homeassistant/` by default).

import CantineCore

/// Topic names for one site.
public struct Topics: Sendable {
    public let prefix: String
    /// Home Assistant's discovery prefix.
    public let discoveryPrefix: String

    public init(site: SiteID, discoveryPrefix: String = "homeassistant") {
        prefix = "cantine/\(site)/"
        self.discoveryPrefix = discoveryPrefix
    }

    /// Daemon last will / birth: `online` or `offline`, retained.
    public var status: String { prefix + "status" }
    /// Occupancy summary JSON, retained.
    public var occupancy: String { prefix + "occupancy" }
    /// Access and alarm events, QoS 1, not retained.
    public var events: String { prefix + "events" }
    /// The daemon's own health (retained JSON: the journal writing or failing).
    public var health: String { prefix + "health" }
    public func deskState(_ desk: DeskID) -> String { prefix + "desks/\(desk)/state" }
    public func deskReport(_ desk: DeskID) -> String { prefix + "desks/\(desk)/report" }
    /// A meeting room's sensed occupancy (`occupied` / `vacant` / `unknown`), retained.
    public func roomState(_ room: RoomID) -> String { prefix + "rooms/\(room)/state" }
    /// Where a room's sensor node reports (the desk nodes' payload).
    public func roomReport(_ room: RoomID) -> String { prefix + "rooms/\(room)/report" }
    public func doorState(_ door: DoorID) -> String { prefix + "doors/\(door)/state" }
    public func nodeStatus(_ node: NodeID) -> String { prefix + "nodes/\(node)/status" }

    /// What the daemon subscribes to: every desk and room report and node status of the site.
    public var sensorSubscriptions: [String] {
        [prefix + "desks/+/report", prefix + "rooms/+/report", prefix + "nodes/+/status"]
    }
    /// The daemon's own retained state topics, which it watches to put its truth back when
    /// another client overwrites one.
    public var ownStateSubscriptions: [String] {
        [
            status, occupancy, health, prefix + "desks/+/state", prefix + "rooms/+/state",
            prefix + "doors/+/state",
        ]
    }

    /// Whether `topic` is one of the daemon's own retained state topics.
    public func isOwnState(_ topic: String) -> Bool {
        guard topic.hasPrefix(prefix) else { return false }
        let parts = topic.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return parts[0] == "status" || parts[0] == "occupancy" || parts[0] == "health"
        case 3: return ["desks", "rooms", "doors"].contains(parts[0]) && parts[2] == "state"
        default: return false
        }
    }

    /// Home Assistant's birth / last will: `online` means re-send discovery.
    public var homeAssistantStatus: String { discoveryPrefix + "/status" }

    /// A discovery config topic (`homeassistant/binary_sensor/cantine_paris_desk_f01/config`).
    public func discovery(_ component: String, _ objectID: String) -> String {
        "\(discoveryPrefix)/\(component)/\(objectID)/config"
    }

    /// An inbound topic of the contract.
    public enum Inbound: Equatable, Sendable {
        case deskReport(DeskID)
        case roomReport(RoomID)
        case nodeStatus(NodeID)
    }

    /// Reads an inbound topic; nil when it is not one the daemon takes in (or ids are not slugs).
    public func parse(_ topic: String) -> Inbound? {
        guard topic.hasPrefix(prefix) else { return nil }
        let parts = topic.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, Slug.isValid(String(parts[1])) else { return nil }
        switch (parts[0], parts[2]) {
        case ("desks", "report"): return .deskReport(DeskID(String(parts[1])))
        case ("rooms", "report"): return .roomReport(RoomID(String(parts[1])))
        case ("nodes", "status"): return .nodeStatus(NodeID(String(parts[1])))
        default: return nil
        }
    }
}
