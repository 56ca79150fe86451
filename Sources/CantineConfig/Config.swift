// The configuration file (TOML), as written: one optional field per key, one file per
// section under Sections/. Loaded once at start: the text is guarded (TOMLGuard.swift),
// `${VARIABLE}`s are substituted, a pinout file may fill in the lines, then every section is
// validated and the whole resolved into `Settings` with the defaults of `Defaults`. Every
// error names the file, the key and what is expected.

import CantineCore
import Foundation
import TOMLKit

/// The configuration file of one Cantine daemon, as written (see `settings` for it resolved).
public struct Config: Codable, Equatable, Sendable {
    public var site: SiteSection
    public var database: DatabaseSection
    public var http: HTTPSection
    public var mqtt: MQTTSection
    public var gpio: GPIOSection
    public var access: AccessSection
    public var sensors: SensorsSection
    public var zones: [ZoneSection]
    public var doors: [DoorSection]
    public var desks: [DeskSection]
    public var rooms: [RoomSection]
    public var program: ProgramSection
    public var reconcile: ReconcileSection
    public var display: DisplaySection
    public var spaceapi: SpaceAPISection?
    public var retention: RetentionSection
    public var network: NetworkSection?

    enum CodingKeys: String, CodingKey {
        case site, database, http, mqtt, gpio, access, sensors, zones, doors, desks, rooms, program, reconcile
        case display, spaceapi, retention, network
    }

    /// Only `[site]` and `[database]` are required; other sections and lists may be left out.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        site = try c.decode(SiteSection.self, forKey: .site)
        database = try c.decode(DatabaseSection.self, forKey: .database)
        http = try c.decodeIfPresent(HTTPSection.self, forKey: .http) ?? HTTPSection()
        mqtt = try c.decodeIfPresent(MQTTSection.self, forKey: .mqtt) ?? MQTTSection()
        gpio = try c.decodeIfPresent(GPIOSection.self, forKey: .gpio) ?? GPIOSection()
        access = try c.decodeIfPresent(AccessSection.self, forKey: .access) ?? AccessSection()
        sensors = try c.decodeIfPresent(SensorsSection.self, forKey: .sensors) ?? SensorsSection()
        zones = try c.decodeIfPresent([ZoneSection].self, forKey: .zones) ?? []
        doors = try c.decodeIfPresent([DoorSection].self, forKey: .doors) ?? []
        desks = try c.decodeIfPresent([DeskSection].self, forKey: .desks) ?? []
        rooms = try c.decodeIfPresent([RoomSection].self, forKey: .rooms) ?? []
        program = try c.decodeIfPresent(ProgramSection.self, forKey: .program) ?? ProgramSection()
        reconcile = try c.decodeIfPresent(ReconcileSection.self, forKey: .reconcile) ?? ReconcileSection()
        display = try c.decodeIfPresent(DisplaySection.self, forKey: .display) ?? DisplaySection()
        spaceapi = try c.decodeIfPresent(SpaceAPISection.self, forKey: .spaceapi)
        retention = try c.decodeIfPresent(RetentionSection.self, forKey: .retention) ?? RetentionSection()
        network = try c.decodeIfPresent(NetworkSection.self, forKey: .network)
    }

    /// The site's id.
    public var siteID: SiteID { SiteID(site.id) }
    /// The site's time zone (what most commands need of the settings).
    public var timeZone: String { Defaults.timeZone.or(site.timeZone) }

    /// Loads and validates the config file at `path`; `environment` resolves `${VAR}`.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> Config {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError(
                .unreadable, "config \(path): file not found: create one with `cantine init --config \(path)`")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigError(.unreadable, "config \(path): cannot read the file (permissions? UTF-8?)")
        }
        return try parse(text, file: path, environment: environment)
    }

    /// Parses and validates config text; `file` names it in errors.
    public static func parse(
        _ text: String, file: String, environment: [String: String] = [:]
    ) throws(ConfigError) -> Config {
        try checkCharacters(text, file: "config \(file)")
        let expanded = try substitute(text, file: file, environment: environment)
        try checkCharacters(expanded, file: "config \(file) (after ${…} substitution)")
        let config: Config
        do {
            config = try TOML.parse(expanded) { table in
                try Pinout.apply(to: table, configFile: file)
                return try TOMLDecoder(strictDecoding: true).decode(Config.self, from: table)
            }
        } catch let error as ConfigError {
            throw error
        } catch let error as TOMLParseError {
            throw ConfigError("config \(file):\(error.source.begin.line): \(error.description)")
        } catch let error as UnexpectedKeysError {
            let keys = error.keys.map { key, path in (path.map(\.stringValue) + [key]).joined(separator: ".") }.sorted()
            throw ConfigError(
                "config \(file): unknown key \(keys.joined(separator: ", ")): check the spelling against `cantine init` 's sample"
            )
        } catch let error as DecodingError {
            throw ConfigError("config \(file): \(TOML.describe(error, in: expanded))")
        } catch {
            throw ConfigError("config \(file): \(error)")
        }
        try config.validate(file: file)
        return config
    }

    /// Checks what decoding cannot: ids, ranges, references between sections, GPIO line and
    /// node clashes. Each section checks itself; what spans sections is checked here.
    public func validate(file: String) throws(ConfigError) {
        let check = Checks(file: file)
        try site.validate(check)
        let mqttEnabled = Defaults.mqttEnabled.or(mqtt.enabled)
        try network?.validate(check, mqttEnabled: mqttEnabled)
        try database.validate(check)
        try http.validate(check)
        try mqtt.validate(check)
        try gpio.validate(check)
        try reconcile.validate(check)
        try display.validate(check)
        try spaceapi?.validate(check)
        try program.validate(check)
        try access.validate(check)
        try retention.validate(check)
        try sensors.validate(check)

        try check.unique("zones", zones.map(\.id))
        try check.unique("doors", doors.map(\.id))
        try check.unique("desks", desks.map(\.id))
        try check.unique("rooms", rooms.map(\.id))
        for (i, z) in zones.enumerated() { try z.validate(check, index: i) }
        for (i, r) in rooms.enumerated() { try r.validate(check, index: i) }

        var lines: [String: String] = [:]  // "chip:line" -> key using it
        func claim(_ key: String, chip: String?, line: Int?) throws(ConfigError) {
            guard let line else { return }
            let chip = chip ?? gpio.defaultChip
            guard (0...511).contains(line) else {
                throw check.fail(key, "expected a GPIO line offset between 0 and 511")
            }
            if let other = lines["\(chip):\(line)"] {
                throw check.fail(key, "line \(line) of \(ChipSpec.describe(chip)) is already used by \(other)")
            }
            lines["\(chip):\(line)"] = key
        }
        for (i, d) in doors.enumerated() {
            try d.validate(check, index: i, gpio: gpio)
            let k = "doors[\(i)]"
            try claim("\(k).d0_line", chip: d.chip, line: d.d0Line)
            try claim("\(k).d1_line", chip: d.chip, line: d.d1Line)
            try claim("\(k).relay_line", chip: d.chip, line: d.relayLine)
            try claim("\(k).contact_line", chip: d.chip, line: d.contactLine)
            try claim("\(k).exit_button_line", chip: d.chip, line: d.exitButtonLine)
        }
        let zoneIDs = Set(zones.map(\.id))
        var nodes: [String: String] = [:]  // node id -> the desk or room it serves
        func serve(_ key: String, node: String, by place: String) throws(ConfigError) {
            if let other = nodes[node] { throw check.fail(key, "node '\(node)' already serves \(other)") }
            nodes[node] = place
        }
        for (i, d) in desks.enumerated() {
            let k = "desks[\(i)]"
            try d.validate(check, index: i)
            guard zoneIDs.contains(d.zone) else {
                throw check.fail("\(k).zone", "no zone '\(d.zone)': add a [[zones]] entry with id = \"\(d.zone)\"")
            }
            if let line = d.gpioLine {
                try claim("\(k).gpio_line", chip: d.chip, line: line)
            } else {
                try serve("\(k).node", node: d.node ?? d.id, by: k)
            }
        }
        for (i, r) in rooms.enumerated() {
            guard let node = r.node else { continue }
            try serve("rooms[\(i)].node", node: node, by: "rooms[\(i)]")
        }
    }
}

/// A number of seconds (or hours), written as an integer (`5`) or a decimal (`2.5`).
public typealias Seconds = Number

/// A TOML number, integer or float (`x = 3`, `x = 2.5`): TOMLKit decodes an integer only as one.
public struct Number: Codable, Equatable, Sendable {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) {
            value = Double(i)
        } else {
            value = try c.decode(Double.self)
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
