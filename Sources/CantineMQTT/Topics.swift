// The MQTT topic contract (docs/mqtt.md): every topic lives under `cantine/<site>/`.

import CantineCore

/// Topic names for one site.
public struct Topics: Sendable {
    public let prefix: String
    public init(site: SiteID) { prefix = "cantine/\(site)/" }

    /// Daemon last will / birth: `online` or `offline`, retained.
    public var status: String { prefix + "status" }
    /// Occupancy summary JSON, retained.
    public var occupancy: String { prefix + "occupancy" }
    /// Access and finding events, QoS 1, not retained.
    public var events: String { prefix + "events" }
    public func deskState(_ desk: DeskID) -> String { prefix + "desks/\(desk)/state" }
    public func deskReport(_ desk: DeskID) -> String { prefix + "desks/\(desk)/report" }
    public func doorState(_ door: DoorID) -> String { prefix + "doors/\(door)/state" }
    public func nodeStatus(_ node: String) -> String { prefix + "nodes/\(node)/status" }
}
