// `[[desks]]`: each desk, its zone, and its sensor — a node on MQTT or a line wired to the board.

import CantineCore

extension Config {
    /// A `[[desks]]` entry as written.
    public struct DeskSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String?
        public var zone: String
        /// MQTT node id of the desk's sensor node (the desk's id by default).
        public var node: String?
        /// GPIO line of a wired sensor (on `chip` or the default chip).
        public var gpioLine: Int?
        public var chip: String?
        /// The wired sensor's line reads low when someone is present (default: high).
        public var gpioActiveLow: Bool?
        /// The pull requested on the wired sensor's line (by default towards "nobody there").
        public var gpioBias: String?
        /// Where the desk is drawn on the floor plan (plan units: a desk is 1 × 1).
        public var x: Number?
        public var y: Number?
        enum CodingKeys: String, CodingKey {
            case id, name, zone, node, gpioLine = "gpio_line", chip, gpioActiveLow = "gpio_active_low"
            case gpioBias = "gpio_bias", x, y
        }
    }
}

extension Settings {
    /// A wired desk sensor's line, resolved.
    public struct DeskWiring: Equatable, Sendable {
        public var desk: DeskID
        public var chip: String
        public var line: Int
        public var activeLow: Bool
        public var bias: Bias
    }
}

extension Config.DeskSection {
    /// The desk as the core sees it.
    var desk: Desk {
        Desk(
            id: DeskID(id), name: name ?? id, zone: ZoneID(zone),
            sensor: gpioLine != nil ? .wired : .node(NodeID(node ?? id)),
            position: x.flatMap { x in y.map { PlanPosition(x: x.value, y: $0.value) } })
    }

    /// The wired sensor's line, nil for a desk with a node.
    func wiring(defaultChip: String) -> Settings.DeskWiring? {
        guard let gpioLine else { return nil }
        let activeLow = Defaults.gpioActiveLow.or(gpioActiveLow)
        return Settings.DeskWiring(
            desk: DeskID(id), chip: chip ?? defaultChip, line: gpioLine, activeLow: activeLow,
            bias: gpioBias.flatMap(Bias.init(rawValue:)) ?? .resting(activeLow: activeLow))
    }

    /// Checks the entry `desks[index]` on its own (its zone, node and line are checked
    /// against the others by `Config.validate`).
    func validate(_ check: Checks, index: Int) throws(ConfigError) {
        let k = "desks[\(index)]"
        try check.slug("\(k).id", id)
        if node != nil && gpioLine != nil {
            throw check.fail(k, "a desk has one sensor: set node or gpio_line, not both")
        }
        if gpioLine == nil && gpioActiveLow != nil {
            throw check.fail(
                "\(k).gpio_active_low", "only a wired sensor has a line: set gpio_line, or remove gpio_active_low")
        }
        if let node { try check.slug("\(k).node", node) }
        try check.position(k, x: x?.value, y: y?.value, width: nil, height: nil)
        try check.bias("\(k).gpio_bias", gpioBias, activeLow: Defaults.gpioActiveLow.or(gpioActiveLow))
    }
}
