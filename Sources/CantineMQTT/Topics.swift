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
        guard let levels = levels(topic) else { return false }
        switch levels.count {
        case 1: return levels[0].is("status") || levels[0].is("occupancy") || levels[0].is("health")
        case 3:
            return (levels[0].is("desks") || levels[0].is("rooms") || levels[0].is("doors")) && levels[2].is("state")
        default: return false
        }
    }

    /// The levels of `topic` under the site's prefix (nil: not under it), split on `/` bytes as
    /// the broker matches them. Every inbound message is asked about: no String is made.
    func levels(_ topic: String) -> [Substring.UTF8View]? {
        let utf8 = topic.utf8
        guard utf8.starts(with: prefix.utf8) else { return nil }
        return utf8.dropFirst(prefix.utf8.count).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
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
        guard let levels = levels(topic), levels.count == 3 else { return nil }
        let id = String(Substring(levels[1]))
        guard Slug.isValid(id) else { return nil }
        if levels[0].is("desks"), levels[2].is("report") { return .deskReport(DeskID(id)) }
        if levels[0].is("rooms"), levels[2].is("report") { return .roomReport(RoomID(id)) }
        if levels[0].is("nodes"), levels[2].is("status") { return .nodeStatus(NodeID(id)) }
        return nil
    }
}

extension Substring.UTF8View {
    /// Whether these bytes are `name`'s.
    fileprivate func `is`(_ name: StaticString) -> Bool {
        name.withUTF8Buffer { elementsEqual($0) }
    }
}
