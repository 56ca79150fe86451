// `[[rooms]]`: the rooms rented by the slot, their capacity, and an optional occupancy sensor.

import CantineCore

extension Config {
    /// A `[[rooms]]` entry as written.
    public struct RoomSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        public var capacity: Int?
        /// Bookings are whole slots of this many minutes from the opening hour.
        public var slotMin: Int?
        /// MQTT node id of the room's occupancy sensor (reports on `rooms/<id>/report`); none by default.
        public var node: String?
        /// Where the room is drawn on the floor plan, and its size (plan units: a desk is 1 × 1).
        public var x: Number?
        public var y: Number?
        public var width: Number?
        public var height: Number?
        /// Other names calendars and schedules give the room (`["Salle 1", "Room 1"]`).
        public var aliases: [String]?
        enum CodingKeys: String, CodingKey {
            case id, name, capacity, slotMin = "slot_min", node, x, y, width, height, aliases
        }
    }
}

extension Config.RoomSection {
    /// The room as the core sees it.
    var room: Room {
        Room(
            id: RoomID(id), name: name, capacity: Defaults.roomCapacity.or(capacity),
            slot: slotMin.map { .minutes(Int64($0)) },
            sensor: node.map { .node(NodeID($0)) },
            position: x.flatMap { x in
                y.map { PlanPosition(x: x.value, y: $0.value, width: width?.value ?? 3, height: height?.value ?? 2) }
            }, aliases: aliases ?? [])
    }

    func validate(_ check: Checks, index: Int) throws(ConfigError) {
        let k = "rooms[\(index)]"
        try check.slug("\(k).id", id)
        try Defaults.roomCapacity.check(capacity, at: "\(k).capacity", file: check.file)
        try Defaults.slotMinutes.check(slotMin, at: "\(k).slot_min", file: check.file)
        if let node { try check.slug("\(k).node", node) }
        for (i, alias) in (aliases ?? []).enumerated()
        where alias.trimmingCharacters(in: .whitespaces).isEmpty || alias.contains(",") {
            throw check.fail("\(k).aliases[\(i)]", "an alias is a room's other name, not empty and without a comma")
        }
        try check.position(k, x: x?.value, y: y?.value, width: width?.value, height: height?.value)
    }
}
