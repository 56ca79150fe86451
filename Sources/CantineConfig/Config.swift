// The configuration file (TOML): site, database, HTTP, MQTT, GPIO, access rules, doors, desks, rooms,
// the network of cantines.
// Loaded once at start and validated; every error names the file, the key and what is
// expected. Secrets can come from the environment with `${VARIABLE}` inside a string.

import CantineCore
import CantineProtocol
import Foundation
import TOMLKit

/// The whole configuration of one Cantine daemon.
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

    /// `[network]`: this site in a network of cantines (docs/network.md). Absent: a lone site.
    public struct NetworkSection: Codable, Equatable, Sendable {
        public var enabled: Bool?
        /// This site's Ed25519 private key (`cantine network keygen` writes it).
        public var keyFile: String
        /// The network's shared secret for badge tokens (hex, 128 bits or more): the same card
        /// gives the same token at every site, and never its number.
        public var credentialSecret: String
        /// How long other sites honour this site's members without hearing from it.
        public var visitorTtlHours: Seconds?
        /// A site not heard for this long is shown stale.
        public var staleAfterS: Seconds?
        /// This site's summary at least this often.
        public var summaryEveryS: Seconds?
        /// Publish this site's members' records so they can badge in elsewhere.
        public var publishMembers: Bool?
        /// The hub (`host:port`) and its CA, for `cantine network bridge-config`.
        public var hub: String?
        public var hubCaFile: String?
        /// Every site's public key, by site id (this site's own included or not).
        public var sites: [String: String]
        enum CodingKeys: String, CodingKey {
            case enabled, keyFile = "key_file", credentialSecret = "credential_secret"
            case visitorTtlHours = "visitor_ttl_hours", staleAfterS = "stale_after_s", summaryEveryS = "summary_every_s"
            case publishMembers = "publish_members", hub, hubCaFile = "hub_ca_file", sites
        }
    }

    /// The network section when it is on.
    public var activeNetwork: NetworkSection? { network.flatMap { $0.enabled ?? true ? $0 : nil } }

    /// `[retention]`: how long each kind of personal data is kept, in days (see
    /// docs/privacy.md for the defaults against the CNIL's guidance). Enforced daily.
    public struct RetentionSection: Codable, Equatable, Sendable {
        /// Access log (who badged where, when): 90 days (CNIL: a few months at most).
        public var accessLogDays: Int?
        /// The journal's per-event detail (presence per person, desk reports): 30 days, then
        /// compacted into the base snapshot and counted per desk and day.
        public var journalDays: Int?
        /// Booking records, after their end: 3,653 days (ten years of accounting records).
        public var bookingsDays: Int?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case accessLogDays = "access_log_days", journalDays = "journal_days", bookingsDays = "bookings_days"
        }
    }

    /// Days kept, by kind of data.
    public var accessLogDays: Int { retention.accessLogDays ?? 90 }
    public var journalDays: Int { retention.journalDays ?? 30 }
    public var bookingsDays: Int { retention.bookingsDays ?? 3_653 }

    /// The entrance blackboard (`/display`).
    public struct DisplaySection: Codable, Equatable, Sendable {
        /// Greet members by first name when they badge in (true by default).
        public var welcome: Bool?
        /// Minutes a session stays "just started: come in" after its start (10 by default).
        public var lateStartMin: Int?
        public init() {}
        enum CodingKeys: String, CodingKey { case welcome, lateStartMin = "late_start_min" }
    }

    /// What `/spaceapi.json` says about the space (SpaceAPI v15); without it, no SpaceAPI.
    public struct SpaceAPISection: Codable, Equatable, Sendable {
        public var url: String
        public var logo: String
        public var address: String?
        public var lat: Double
        public var lon: Double
        public var email: String?
        public var phone: String?
        /// Where the program's .ics is published (`feeds.calendar`).
        public var calendarURL: String?
        enum CodingKeys: String, CodingKey {
            case url, logo, address, lat, lon, email, phone, calendarURL = "calendar_url"
        }
    }

    /// The day's program: the barcamp grid's time slots.
    public struct ProgramSection: Codable, Equatable, Sendable {
        /// Slots of the barcamp grid, `"HH:MM-HH:MM"` in order: `--slot 1` is the first.
        public var slots: [String]?
        public init() {}
    }

    /// Reconciliation of bookings with doors and sensors.
    public struct ReconcileSection: Codable, Equatable, Sendable {
        /// Minutes after a desk booking starts before an absent booker is a no-show.
        public var noShowGraceMin: Int?
        /// Occupancy changes within `flapping_window_min` that make a sensor flapping.
        public var flappingChanges: Int?
        public var flappingWindowMin: Int?
        /// Minutes a room with a sensor may stay occupied past its booking (or with none).
        public var overstayGraceMin: Int?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case noShowGraceMin = "no_show_grace_min", flappingChanges = "flapping_changes"
            case flappingWindowMin = "flapping_window_min", overstayGraceMin = "overstay_grace_min"
        }
    }

    /// The barcamp slots as (start, end) `HH:MM` texts; validated by `validate`.
    public var programSlots: [(start: String, end: String)] {
        (program.slots ?? []).map { slot in
            let parts = slot.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
            return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
        }
    }

    /// The reconciliation rules (ranges checked by `validate`).
    public var reconcileRules: ReconcileRules {
        var rules = ReconcileRules()
        if let m = reconcile.noShowGraceMin { rules.noShowGrace = .minutes(Int64(m)) }
        if let n = reconcile.flappingChanges { rules.flappingChanges = n }
        if let m = reconcile.flappingWindowMin { rules.flappingWindow = .minutes(Int64(m)) }
        if let m = reconcile.overstayGraceMin { rules.overstayGrace = .minutes(Int64(m)) }
        return rules
    }

    public struct SiteSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        public var timeZone: String?
        public var locale: String?
        public var capacity: Int?
        enum CodingKeys: String, CodingKey { case id, name, timeZone = "time_zone", locale, capacity }
    }

    public struct DatabaseSection: Codable, Equatable, Sendable {
        public var path: String
        /// Events between automatic state snapshots.
        public var snapshotEvery: Int?
        enum CodingKeys: String, CodingKey { case path, snapshotEvery = "snapshot_every" }
    }

    public struct HTTPSection: Codable, Equatable, Sendable {
        public var host: String?
        public var port: Int?
        /// Mark the staff session cookie Secure: set it when a TLS proxy serves the dashboard.
        public var secureCookies: Bool?

        enum CodingKeys: String, CodingKey { case host, port, secureCookies = "secure_cookies" }
    }

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

    /// `[sensors]`: how desk sensor observations become desk states (see `SensorRules`).
    public struct SensorsSection: Codable, Equatable, Sendable {
        public var occupiedAfterS: Seconds?
        public var vacantAfterS: Seconds?
        public var silentAfterS: Seconds?
        public var maxReportAgeS: Seconds?
        public var presenceHours: Seconds?
        /// Reports per second a desk may send on average (0: no limit), and its burst.
        public var maxReportsPerS: Seconds?
        public var burst: Int?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case occupiedAfterS = "occupied_after_s", vacantAfterS = "vacant_after_s", silentAfterS = "silent_after_s"
            case maxReportAgeS = "max_report_age_s", presenceHours = "presence_hours"
            case maxReportsPerS = "max_reports_per_s", burst
        }
    }

    public struct GPIOSection: Codable, Equatable, Sendable {
        /// `real` (libgpiod) or `simulated`.
        public var mode: String?
        public var chip: String?
        /// Silence that ends a Wiegand frame.
        public var gapTimeoutMs: Int?
        /// How long a wired desk sensor's level must hold before it counts (switch bounce).
        public var deskSettleMs: Int?
        /// The pinout file giving every door's and wired desk's lines (relative to this file).
        public var pinout: String?
        enum CodingKeys: String, CodingKey {
            case mode, chip, gapTimeoutMs = "gap_timeout_ms", deskSettleMs = "desk_settle_ms", pinout
        }
    }

    /// `[access]`: how the doors decide beyond a valid plan (see `AccessRules`).
    public struct AccessSection: Codable, Equatable, Sendable {
        /// Opening hours by plan kind (`resident = "always"`, `day = "mon-sat 08:00-20:00"`).
        public var hours: [String: String]?
        public var publicHours: String?
        public var pinAfterHours: Bool?
        public var pinTimeoutS: Seconds?
        public var bookingMarginMin: Int?
        public var deniedAlarmCount: Int?
        public var deniedAlarmWindowS: Seconds?
        /// A remote unlock request older than this is refused, never carried out late.
        public var remoteUnlockMaxAgeS: Seconds?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case hours, publicHours = "public_hours", pinAfterHours = "pin_after_hours", pinTimeoutS = "pin_timeout_s"
            case bookingMarginMin = "booking_margin_min", deniedAlarmCount = "denied_alarm_count"
            case deniedAlarmWindowS = "denied_alarm_window_s", remoteUnlockMaxAgeS = "remote_unlock_max_age_s"
        }
    }

    public struct ZoneSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        /// Most desks of the zone booked at once; the others stay for walk-ins.
        public var bookable: Int?
    }

    public struct DoorSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        public var direction: String?
        public var chip: String?
        public var d0Line: Int
        public var d1Line: Int
        public var relayLine: Int
        public var relayActiveLow: Bool?
        public var contactLine: Int?
        public var contactActiveLow: Bool?
        public var exitButtonLine: Int?
        public var exitButtonActiveLow: Bool?
        public var pulseS: Seconds?
        public var failSecure: Bool?
        public var wiegand37: String?
        public var heldOpenS: Seconds?
        public var relockOnClose: Bool?
        /// Pulls requested on D0/D1, the contact and the exit button (`pull-up`, `pull-down`,
        /// `disabled`); by default up for lines that rest high, down for lines that rest low.
        public var dataBias: String?
        public var contactBias: String?
        public var exitButtonBias: String?
        enum CodingKeys: String, CodingKey {
            case dataBias = "data_bias", contactBias = "contact_bias", exitButtonBias = "exit_button_bias"
            case id, name, direction, chip, d0Line = "d0_line", d1Line = "d1_line", relayLine = "relay_line"
            case relayActiveLow = "relay_active_low", contactLine = "contact_line", contactActiveLow =
                "contact_active_low"
            case exitButtonLine = "exit_button_line", exitButtonActiveLow = "exit_button_active_low"
            case pulseS = "pulse_s", failSecure = "fail_secure", wiegand37 = "wiegand_37"
            case heldOpenS = "held_open_s", relockOnClose = "relock_on_close"
        }
    }

    public struct DeskSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String?
        public var zone: String
        /// MQTT node id of the desk's sensor node.
        public var node: String?
        /// GPIO line of a wired sensor (on `chip` or the default chip).
        public var gpioLine: Int?
        public var chip: String?
        /// The wired sensor's line reads low when someone is present (default: high).
        public var gpioActiveLow: Bool?
        /// The pull requested on the wired sensor's line (by default towards "nobody there").
        public var gpioBias: String?
        enum CodingKeys: String, CodingKey {
            case id, name, zone, node, gpioLine = "gpio_line", chip, gpioActiveLow = "gpio_active_low"
            case gpioBias = "gpio_bias"
        }
    }

    public struct RoomSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        public var capacity: Int?
        /// Bookings are whole slots of this many minutes from the opening hour.
        public var slotMin: Int?
        /// MQTT node id of the room's occupancy sensor (reports on `rooms/<id>/report`); none by default.
        public var node: String?
        enum CodingKeys: String, CodingKey { case id, name, capacity, slotMin = "slot_min", node }
    }
}

/// A number of seconds, written as an integer (`5`) or a decimal (`2.5`).
public struct Seconds: Codable, Equatable, Sendable {
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

/// A configuration error: one line naming the file, the key and what is expected.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    /// Control characters quoted from the input are escaped: the message stays one line.
    public init(_ message: String) { self.message = message.oneLine }
    public var description: String { message }
}

extension Config {
    public var siteID: SiteID { SiteID(site.id) }
    public var timeZone: String { site.timeZone ?? "Europe/Paris" }
    public var locale: String { site.locale ?? "fr" }
    public var httpHost: String { http.host ?? "127.0.0.1" }
    public var httpPort: Int { http.port ?? 8080 }
    public var secureCookies: Bool { http.secureCookies ?? false }
    public var mqttEnabled: Bool { mqtt.enabled ?? true }
    public var mqttHost: String { mqtt.host ?? "127.0.0.1" }
    public var mqttPort: Int { mqtt.port ?? 1883 }
    public var gpioSimulated: Bool { (gpio.mode ?? "real") == "simulated" }
    /// The chip lines are on unless a door or desk names another: by default the 40-pin
    /// header's, found by its label (`ChipSpec`).
    public var defaultChip: String { gpio.chip ?? ChipSpec.header }

    public var gapTimeoutNanos: UInt64 { UInt64(gpio.gapTimeoutMs ?? 25) * 1_000_000 }
    /// The settle time of wired desk sensors (`[gpio] desk_settle_ms`, 50 ms by default).
    public var deskSettleNanos: UInt64 {
        UInt64(gpio.deskSettleMs ?? 50) * 1_000_000
    }

    /// The layout the core works with.
    public var layout: SiteLayout {
        SiteLayout(
            site: siteID, name: site.name, timeZone: timeZone, capacity: site.capacity ?? 50,
            zones: zones.map { Zone(id: ZoneID($0.id), name: $0.name, bookable: $0.bookable) },
            doors: doors.map { d in
                Door(
                    id: DoorID(d.id), name: d.name,
                    direction: DoorDirection(rawValue: d.direction ?? "entry") ?? .entry,
                    failSecure: d.failSecure ?? true,
                    pulse: Span(seconds: d.pulseS?.value ?? 5),
                    heldOpenAfter: Span(seconds: d.heldOpenS?.value ?? Door.defaultHeldOpen.seconds),
                    relockOnClose: d.relockOnClose ?? false)
            },
            desks: desks.map { d in
                Desk(
                    id: DeskID(d.id), name: d.name ?? d.id, zone: ZoneID(d.zone),
                    sensor: d.gpioLine != nil ? .wired : .node(NodeID(d.node ?? d.id)))
            },
            rooms: rooms.map {
                Room(
                    id: RoomID($0.id), name: $0.name, capacity: $0.capacity ?? 8,
                    slot: $0.slotMin.map { .minutes(Int64($0)) }, sensor: $0.node.map { .node(NodeID($0)) })
            },
            access: accessRules, sensors: sensorRules, reconcile: reconcileRules)
    }

    /// The sensor rules (ranges checked by `validate`).
    public var sensorRules: SensorRules {
        var rules = SensorRules()
        if let t = sensors.occupiedAfterS { rules.occupiedAfter = Span(seconds: t.value) }
        if let t = sensors.vacantAfterS { rules.vacantAfter = Span(seconds: t.value) }
        if let t = sensors.silentAfterS { rules.silentAfter = Span(seconds: t.value) }
        if let t = sensors.maxReportAgeS { rules.maxReportAge = Span(seconds: t.value) }
        if let h = sensors.presenceHours { rules.presenceTTL = Span(seconds: h.value * 3600) }
        return rules
    }

    /// The access rules (validated by `validate`: unparsable hours never get here).
    public var accessRules: AccessRules {
        var rules = AccessRules()
        for (kind, text) in access.hours ?? [:] {
            if let kind = PlanKind(rawValue: kind), let hours = try? WeeklyHours(parsing: text) {
                rules.planHours[kind] = hours
            }
        }
        if let text = access.publicHours, let hours = try? WeeklyHours(parsing: text) { rules.publicHours = hours }
        rules.pinAfterHours = access.pinAfterHours ?? false
        if let t = access.pinTimeoutS { rules.pinTimeout = Span(seconds: t.value) }
        if let m = access.bookingMarginMin { rules.bookingMargin = .minutes(Int64(m)) }
        if let n = access.deniedAlarmCount { rules.denialAlarmCount = n }
        if let w = access.deniedAlarmWindowS { rules.denialWindow = Span(seconds: w.value) }
        return rules
    }

    /// The age beyond which a remote unlock request is refused.
    public var remoteUnlockMaxAge: Span { Span(seconds: access.remoteUnlockMaxAgeS?.value ?? 30) }

    /// Loads and validates the config file at `path`; `environment` resolves `${VAR}`.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> Config {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError("config \(path): file not found: create one with `cantine init --config \(path)`")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigError("config \(path): cannot read the file (permissions? UTF-8?)")
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

    static func keyPath(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue, key.stringValue.hasPrefix("Index") || Int(key.stringValue) == i {
                out += "[\(i)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out
    }

    static func describe(_ error: DecodingError, in table: TOMLTable?) -> String {
        switch error {
        case .keyNotFound(let key, let ctx):
            let repeated = ctx.codingPath.last?.stringValue == key.stringValue
            let path = repeated ? ctx.codingPath : ctx.codingPath + [key]
            // TOMLKit reports a value of the wrong type as a missing key: tell them apart.
            if let table, value(at: path, in: table) != nil {
                return "\(keyPath(path)): expected \(expectedType(key.stringValue))"
            }
            return "missing key \(keyPath(path)): it is required"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            return "\(keyPath(ctx.codingPath)): expected \(expectedType(ctx.codingPath.last?.stringValue ?? ""))"
        case .dataCorrupted(let ctx):
            return "\(keyPath(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The raw TOML value at a coding path, if the document has one.
    static func value(at path: [any CodingKey], in table: TOMLTable) -> (any TOMLValueConvertible)? {
        var current: any TOMLValueConvertible = table
        for key in path {
            if let index = key.intValue, let array = current.array, index < array.count {
                current = array[index]
            } else if let t = current.table, let next = t[key.stringValue] {
                current = next
            } else {
                return nil
            }
        }
        return current
    }

    /// What a config key holds, from its name (the schema is small and regular).
    static func expectedType(_ key: String) -> String {
        switch key {
        case _ where key.hasSuffix("_line"), "port", "capacity", "keepalive_s", "snapshot_every", "gap_timeout_ms",
            "desk_settle_ms":
            return "an integer"
        case "max_reports_per_s":
            return "a number of reports per second"
        case "d0", "d1", "relay", "contact", "exit_button", "line":
            return "a GPIO line number (BCM)"
        case "input_level_v":
            return "the line's volts (3.3, 5, 12)"
        case _ where key.hasSuffix("_s"):
            return "a number of seconds"
        case "outbox_max_age_h", "presence_hours", "visitor_ttl_hours":
            return "a number of hours"
        case "booking_margin_min", "denied_alarm_count", "queue_size", "burst", "access_log_days", "journal_days",
            "bookings_days":
            return "an integer"
        case _ where key.hasSuffix("_active_low"), "enabled", "fail_secure", "pin_after_hours", "relock_on_close",
            "persistent_session", "discovery", "names_in_events", "flyback_diode", "exit_button_hardwired",
            "publish_members":
            return "true or false"
        case "no_show_grace_min", "flapping_changes", "flapping_window_min", "overstay_grace_min", "slot_min",
            "bookable":
            return "an integer"
        case "slots":
            return "an array of \"HH:MM-HH:MM\" strings"
        case "lat", "lon":
            return "a number of degrees"
        case "site", "database", "http", "mqtt", "gpio", "access", "sensors", "program", "reconcile", "display",
            "spaceapi", "retention", "network":
            return "a table ([\(key)])"
        case "zones", "doors", "desks", "rooms":
            return "an array of tables ([[\(key)]])"
        default:
            return "a string in quotes"
        }
    }

    /// Refuses control characters TOML never allows (all but tab, LF and CR), and what toml++
    /// asserts on (aborting the process) rather than failing — found by fuzzing: a table header
    /// that does not start with a name (`[é…]`, `[ # …`), and a `}` inside an array (`[3, }`).
    /// The text is read as toml++ reads it: code points (`[` and a combining mark after it are
    /// one Swift Character), strings and comments skipped, arrays and inline tables nested.
    public static func checkCharacters(_ text: String, file: String) throws(ConfigError) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }  // a byte-order mark, as toml++ skips it
        var i = 0
        var line = 1
        var lineStart = true  // nothing but blanks since the last line break
        var open: [Unicode.Scalar] = []  // the arrays and inline tables the value is in
        func at(_ k: Int) -> Unicode.Scalar { k < scalars.count ? scalars[k] : "\n" }
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "\n":
                line += 1
                lineStart = true
            case " ", "\t", "\r": break
            case "#":
                while i + 1 < scalars.count && scalars[i + 1] != "\n" { i += 1 }
            case "\"", "'":
                // A string, maybe multi-line (line breaks counted); escapes only in "…".
                let quotes = at(i + 1) == c && at(i + 2) == c ? 3 : 1
                i += quotes
                while i < scalars.count {
                    if scalars[i] == "\\" && c == "\"" {
                        i += 1
                        if at(i) == "\n" { line += 1 }
                    } else if scalars[i] == "\n" && quotes == 1 {
                        i -= 1  // an unterminated string ends with its line (toml++ says so)
                        break
                    } else if scalars[i] == "\n" {
                        line += 1
                    } else if scalars[i] == c && (quotes == 1 || (at(i + 1) == c && at(i + 2) == c)) {
                        // A closing """ may carry one or two more quotes of the string's own.
                        if quotes == 3 { while at(i + 3) == c && i + 3 < scalars.count { i += 1 } }
                        i += quotes - 1
                        break
                    }
                    i += 1
                }
                lineStart = false
            case "[" where open.isEmpty && lineStart:
                // A table header (`[name]` or `[[name]]`): a name must follow.
                var k = i + 1
                if at(k) == "[" { k += 1 }
                while at(k) == " " || at(k) == "\t" { k += 1 }
                let first = at(k)
                let bare =
                    first.isASCII
                    && (first.properties.isAlphabetic || ("0"..."9").contains(first) || first == "-" || first == "_")
                if !bare && first != "\"" && first != "'" {
                    throw ConfigError(
                        "\(file):\(line): a table header starts with '\(String(first).oneLine)': write [name] on one line, with ASCII letters, digits, - and _, or a quoted name"
                    )
                }
                i = k - 1
                lineStart = false
            case "[", "{":
                open.append(c)
                lineStart = false
            case "]":
                if open.last == "[" { open.removeLast() }
                lineStart = false
            case "}":
                if open.last == "[" {
                    throw ConfigError(
                        "\(file):\(line): '}' inside an array: an array is written [1, 2], a table {a = 1}")
                }
                if open.last == "{" { open.removeLast() }
                lineStart = false
            default:
                lineStart = false
            }
            i += 1
        }
        line = 1
        var column = 0
        for scalar in text.unicodeScalars {
            column += 1
            if scalar == "\n" {
                line += 1
                column = 0
            } else if scalar != "\t" && scalar != "\r" && String.breaksLine(scalar) && scalar.value < 0x80 {
                throw ConfigError(
                    "\(file):\(line):\(column): control character U+\(String(format: "%04X", scalar.value)) is not allowed in TOML: delete it"
                )
            }
        }
    }

    /// Replaces `${NAME}` with the environment variable NAME (escaped for a TOML string).
    /// Comments are left alone.
    static func substitute(_ text: String, file: String, environment: [String: String]) throws(ConfigError) -> String {
        guard text.contains("${") else { return text }
        var out: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let commentStart = Self.commentStart(line)
            var rest = line[..<commentStart]
            var done = ""
            while let open = rest.range(of: "${") {
                done += rest[..<open.lowerBound]
                guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                    throw ConfigError("config \(file):\(number + 1): unterminated ${…}: write ${VARIABLE}")
                }
                let name = String(rest[open.upperBound..<close])
                guard let value = environment[name] else {
                    throw ConfigError(
                        "config \(file):\(number + 1): environment variable \(name) is not set: export it, or write the value in the file"
                    )
                }
                done += value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                rest = rest[rest.index(after: close)...]
            }
            out.append(done + rest + line[commentStart...])
        }
        return out.joined(separator: "\n")
    }

    /// Index where a line's comment starts (a `#` outside quotes), or its end.
    static func commentStart(_ line: Substring) -> Substring.Index {
        var quote: Character?
        var escaped = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if let q = quote {
                if escaped {
                    escaped = false
                } else if c == "\\" && q == "\"" {
                    escaped = true
                } else if c == q {
                    quote = nil
                }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" {
                return i
            }
            i = line.index(after: i)
        }
        return line.endIndex
    }

    /// Checks what decoding cannot: ids, references, ranges, GPIO line clashes.
    public func validate(file: String) throws(ConfigError) {
        func fail(_ key: String, _ what: String) -> ConfigError { ConfigError("config \(file): \(key): \(what)") }
        func slug(_ key: String, _ value: String) throws(ConfigError) {
            guard Slug.isValid(value) else {
                throw fail(key, "'\(value)' is not a valid id: use 1–64 of a-z 0-9 - _ (lower case)")
            }
        }
        func unique(_ name: String, _ ids: [String]) throws(ConfigError) {
            var seen = Set<String>()
            for (i, id) in ids.enumerated() where !seen.insert(id).inserted {
                throw fail("\(name)[\(i)].id", "'\(id)' is used twice: ids must be unique")
            }
        }
        try slug("site.id", site.id)
        guard site.id != "network" else {
            throw fail("site.id", "'network' is reserved (cantine/network/ carries the other sites): choose another id")
        }
        if let network {
            try network.validate(file: file, mqttEnabled: mqttEnabled)
        }
        guard TimeZone(identifier: timeZone) != nil else {
            throw fail(
                "site.time_zone", "'\(timeZone)' is not a known time zone: use an IANA name such as Europe/Paris")
        }
        guard ["fr", "en"].contains(locale) else { throw fail("site.locale", "expected \"fr\" or \"en\"") }
        if let c = site.capacity, c < 1 { throw fail("site.capacity", "expected a positive number of people") }
        guard !database.path.isEmpty else { throw fail("database.path", "expected the path of the SQLite file") }
        if let n = database.snapshotEvery, n < 100 { throw fail("database.snapshot_every", "expected 100 or more") }
        guard (1...65535).contains(httpPort) else { throw fail("http.port", "expected a port between 1 and 65535") }
        guard (1...65535).contains(mqttPort) else { throw fail("mqtt.port", "expected a port between 1 and 65535") }
        if let k = mqtt.keepalive, !(5...3600).contains(k) {
            throw fail("mqtt.keepalive_s", "expected 5 to 3600 seconds")
        }
        if let gap = gpio.gapTimeoutMs, !(5...250).contains(gap) {
            throw fail("gpio.gap_timeout_ms", "expected 5 to 250 milliseconds (25 suits most readers)")
        }
        if let settle = gpio.deskSettleMs, !(0...5_000).contains(settle) {
            throw fail("gpio.desk_settle_ms", "expected 0 to 5000 milliseconds (50 suits switches and sensor outputs)")
        }
        if let m = reconcile.noShowGraceMin, !(5...240).contains(m) {
            throw fail("reconcile.no_show_grace_min", "expected 5 to 240 minutes (30 by default)")
        }
        if let n = reconcile.flappingChanges, !(3...100).contains(n) {
            throw fail("reconcile.flapping_changes", "expected 3 to 100 changes (6 by default)")
        }
        if let m = reconcile.flappingWindowMin, !(1...120).contains(m) {
            throw fail("reconcile.flapping_window_min", "expected 1 to 120 minutes (10 by default)")
        }
        if let m = display.lateStartMin, !(0...60).contains(m) {
            throw fail("display.late_start_min", "expected 0 to 60 minutes (10 by default)")
        }
        if let locale = site.locale, !["fr", "en"].contains(locale) {
            throw fail("site.locale", "expected \"fr\" or \"en\"")
        }
        if let space = spaceapi {
            if !(-90...90).contains(space.lat) { throw fail("spaceapi.lat", "expected -90 to 90 degrees") }
            if !(-180...180).contains(space.lon) { throw fail("spaceapi.lon", "expected -180 to 180 degrees") }
            for (key, value) in [("url", space.url), ("logo", space.logo)]
                + (space.calendarURL.map { [("calendar_url", $0)] } ?? [])
            where !(value.hasPrefix("https://") || value.hasPrefix("http://")) {
                throw fail("spaceapi.\(key)", "expected an http(s):// URL")
            }
        }
        if let m = reconcile.overstayGraceMin, !(0...120).contains(m) {
            throw fail("reconcile.overstay_grace_min", "expected 0 to 120 minutes (10 by default)")
        }
        var lastEnd = -1
        for (i, slot) in programSlots.enumerated() {
            func minute(_ t: String) -> Int? {
                let p = t.split(separator: ":")
                guard p.count == 2, p[1].count == 2, let h = Int(p[0]), let m = Int(p[1]), (0...23).contains(h),
                    (0...59).contains(m)
                else { return nil }
                return h * 60 + m
            }
            guard let a = minute(slot.start), let b = minute(slot.end), a < b else {
                throw fail(
                    "program.slots[\(i)]",
                    "'\(program.slots?[i] ?? "")' is not a slot: use \"HH:MM-HH:MM\", e.g. \"10:00-10:45\"")
            }
            guard a >= lastEnd else {
                throw fail("program.slots[\(i)]", "slots must be in order and must not overlap")
            }
            lastEnd = b
        }
        if let mode = gpio.mode, !["real", "simulated"].contains(mode) {
            throw fail("gpio.mode", "expected \"real\" or \"simulated\"")
        }
        for (key, file) in [
            ("mqtt.ca_file", mqtt.caFile), ("mqtt.cert_file", mqtt.certFile), ("mqtt.key_file", mqtt.keyFile),
        ] {
            if let file, !FileManager.default.fileExists(atPath: file) {
                throw fail(key, "file \(file) does not exist")
            }
        }

        for (kind, text) in (access.hours ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard PlanKind(rawValue: kind) != nil else {
                let kinds = PlanKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw fail("access.hours.\(kind)", "no plan kind '\(kind)': expected one of \(kinds)")
            }
            do { _ = try WeeklyHours(parsing: text) } catch { throw fail("access.hours.\(kind)", error.message) }
        }
        if let text = access.publicHours {
            do { _ = try WeeklyHours(parsing: text) } catch { throw fail("access.public_hours", error.message) }
        }
        if let t = access.pinTimeoutS?.value, !(3...120).contains(t) {
            throw fail("access.pin_timeout_s", "expected 3 to 120 seconds")
        }
        if let m = access.bookingMarginMin, !(0...240).contains(m) {
            throw fail("access.booking_margin_min", "expected 0 to 240 minutes")
        }
        if let n = access.deniedAlarmCount, !(2...100).contains(n) {
            throw fail("access.denied_alarm_count", "expected 2 to 100 denied badges")
        }
        if let w = access.deniedAlarmWindowS?.value, !(5...3600).contains(w) {
            throw fail("access.denied_alarm_window_s", "expected 5 to 3600 seconds")
        }
        for (key, days) in [
            ("access_log_days", retention.accessLogDays), ("journal_days", retention.journalDays),
            ("bookings_days", retention.bookingsDays),
        ] {
            if let days, !(1...36_500).contains(days) {
                throw fail("retention.\(key)", "expected 1 to 36500 days")
            }
        }
        if let a = access.remoteUnlockMaxAgeS?.value, !(1...300).contains(a) {
            throw fail("access.remote_unlock_max_age_s", "expected 1 to 300 seconds")
        }
        if let p = mqtt.discoveryPrefix, p.isEmpty || p.contains("#") || p.contains("+") || p.hasSuffix("/") {
            throw fail("mqtt.discovery_prefix", "expected a topic prefix such as \"homeassistant\" (no wildcards)")
        }
        if let h = mqtt.outboxMaxAgeH?.value, !(0...720).contains(h) {
            throw fail("mqtt.outbox_max_age_h", "expected 0 to 720 hours (24 is usual)")
        }
        if let q = mqtt.queueSize, !(16...1_000_000).contains(q) {
            throw fail("mqtt.queue_size", "expected 16 to 1000000 messages")
        }
        for (key, value, range) in [
            ("sensors.occupied_after_s", sensors.occupiedAfterS, 0.0...600),
            ("sensors.vacant_after_s", sensors.vacantAfterS, 0...3600),
            ("sensors.silent_after_s", sensors.silentAfterS, 10...86_400),
            ("sensors.max_report_age_s", sensors.maxReportAgeS, 1...86_400),
            ("sensors.presence_hours", sensors.presenceHours, 1...48),
            ("sensors.max_reports_per_s", sensors.maxReportsPerS, 0...10_000),
        ] {
            if let v = value?.value, !range.contains(v) {
                throw fail(key, "expected \(range.lowerBound.formatted()) to \(range.upperBound.formatted())")
            }
        }
        if let b = sensors.burst, !(1...10_000).contains(b) {
            throw fail("sensors.burst", "expected 1 to 10000 reports")
        }

        try unique("zones", zones.map(\.id))
        try unique("doors", doors.map(\.id))
        try unique("desks", desks.map(\.id))
        try unique("rooms", rooms.map(\.id))
        for (i, z) in zones.enumerated() { try slug("zones[\(i)].id", z.id) }
        for (i, r) in rooms.enumerated() {
            try slug("rooms[\(i)].id", r.id)
            if let c = r.capacity, c < 1 { throw fail("rooms[\(i)].capacity", "expected a positive number") }
            if let m = r.slotMin, !(15...480).contains(m) {
                throw fail("rooms[\(i)].slot_min", "expected 15 to 480 minutes (e.g. 120 for 2-hour blocks)")
            }
        }

        func bias(_ key: String, _ value: String?, activeLow: Bool) throws(ConfigError) {
            guard let value else { return }
            guard let b = Bias(rawValue: value) else {
                throw fail(key, "expected \"pull-up\", \"pull-down\" or \"disabled\"")
            }
            if let problem = b.problem(activeLow: activeLow) { throw fail(key, problem) }
        }
        var lines: [String: String] = [:]  // "chip:line" -> key using it
        func claim(_ key: String, chip: String, line: Int?) throws(ConfigError) {
            guard let line else { return }
            guard (0...511).contains(line) else { throw fail(key, "expected a GPIO line offset between 0 and 511") }
            if let other = lines["\(chip):\(line)"] {
                throw fail(key, "line \(line) of \(ChipSpec.describe(chip)) is already used by \(other)")
            }
            lines["\(chip):\(line)"] = key
        }
        for (i, d) in doors.enumerated() {
            let k = "doors[\(i)]"
            try slug("\(k).id", d.id)
            if let dir = d.direction, DoorDirection(rawValue: dir) == nil {
                throw fail("\(k).direction", "expected \"entry\" or \"exit\"")
            }
            if let p = d.pulseS?.value, !(p >= 0.1 && p <= Door.maxPulse.seconds) {
                throw fail(
                    "\(k).pulse_s",
                    "expected 0.1 to \(Int(Door.maxPulse.seconds)) seconds: an unlock is capped at \(Int(Door.maxPulse.seconds)) s (use relock_on_close or a hold-open schedule for longer)"
                )
            }
            if let h = d.heldOpenS?.value, !(1...3600).contains(h) {
                throw fail("\(k).held_open_s", "expected 1 to 3600 seconds (30 is usual)")
            }
            if let w = d.wiegand37, !["h10302", "h10304"].contains(w) {
                throw fail("\(k).wiegand_37", "expected \"h10302\" or \"h10304\"")
            }
            if !gpioSimulated && gpio.pinout == nil && d.relayActiveLow == nil {
                throw fail(
                    "\(k).relay_active_low",
                    "state the relay's polarity: true when its input switches it on low (most optocoupled relay modules), false when high; then check with the daemon stopped that the strike has no voltage"
                )
            }
            try bias("\(k).data_bias", d.dataBias, activeLow: true)
            try bias("\(k).contact_bias", d.contactBias, activeLow: d.contactActiveLow ?? true)
            try bias("\(k).exit_button_bias", d.exitButtonBias, activeLow: d.exitButtonActiveLow ?? true)
            let chip = d.chip ?? defaultChip
            try claim("\(k).d0_line", chip: chip, line: d.d0Line)
            try claim("\(k).d1_line", chip: chip, line: d.d1Line)
            try claim("\(k).relay_line", chip: chip, line: d.relayLine)
            try claim("\(k).contact_line", chip: chip, line: d.contactLine)
            try claim("\(k).exit_button_line", chip: chip, line: d.exitButtonLine)
        }
        let zoneIDs = Set(zones.map(\.id))
        var nodes: [String: String] = [:]
        for (i, d) in desks.enumerated() {
            let k = "desks[\(i)]"
            try slug("\(k).id", d.id)
            guard zoneIDs.contains(d.zone) else {
                throw fail("\(k).zone", "no zone '\(d.zone)': add a [[zones]] entry with id = \"\(d.zone)\"")
            }
            switch (d.node, d.gpioLine) {
            case (.some, .some): throw fail(k, "a desk has one sensor: set node or gpio_line, not both")
            case (_, nil) where d.gpioActiveLow != nil:
                throw fail(
                    "\(k).gpio_active_low", "only a wired sensor has a line: set gpio_line, or remove gpio_active_low")
            case (.some(let node), nil):
                try slug("\(k).node", node)
                if let other = nodes[node] { throw fail("\(k).node", "node '\(node)' already serves \(other)") }
                nodes[node] = k
            case (nil, .some(let line)):
                try claim("\(k).gpio_line", chip: d.chip ?? defaultChip, line: line)
            case (nil, nil):
                if let other = nodes[d.id] { throw fail("\(k).node", "node '\(d.id)' already serves \(other)") }
                nodes[d.id] = k
            }
        }
        for (i, r) in rooms.enumerated() {
            guard let node = r.node else { continue }
            let k = "rooms[\(i)].node"
            try slug(k, node)
            if let other = nodes[node] { throw fail(k, "node '\(node)' already serves \(other)") }
            nodes[node] = "rooms[\(i)]"
        }
    }
}

/// Parsing TOML text with TOMLKit without keeping its memory: a parsed `TOMLTable` is never
/// freed (the class has no deinit), ~20 KB per parse of the sample config. Emptying the table
/// when done frees its nodes (about two thirds of that). Harmless for a config read once per
/// start; it is what let the fuzzer run the config and pinout targets for long.
public enum TOML {
    /// Parses `text` and hands the table to `body`, then empties it.
    /// Every text is first checked for what toml++ asserts on (`Config.checkCharacters`), so
    /// no path — the config, a pinout, safe boot's salvage of a refused one — can abort on it.
    public static func parse<T>(_ text: String, _ body: (TOMLTable) throws -> T) throws -> T {
        try Config.checkCharacters(text, file: "TOML")
        let table = try TOMLTable(string: text)
        defer { table.clear() }
        return try body(table)
    }

    /// Decodes `T` from `text` (with unknown keys refused when `strict`).
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, strict: Bool = false) throws -> T {
        try parse(text) { try TOMLDecoder(strictDecoding: strict).decode(type, from: $0) }
    }

    /// `Config.describe` on a fresh parse of `text` (the error came from decoding it).
    static func describe(_ error: DecodingError, in text: String) -> String {
        (try? parse(text) { Config.describe(error, in: $0) }) ?? Config.describe(error, in: nil)
    }
}

extension Config.NetworkSection {
    /// Checks `[network]`: key file, shared secret, site keys, periods.
    func validate(file: String, mqttEnabled: Bool) throws(ConfigError) {
        func fail(_ key: String, _ what: String) -> ConfigError {
            ConfigError("config \(file): network.\(key): \(what)")
        }
        guard enabled ?? true else { return }
        guard mqttEnabled else {
            throw ConfigError("config \(file): [network] needs MQTT (the bridge is the site's broker): enable [mqtt]")
        }
        guard FileManager.default.fileExists(atPath: keyFile) else {
            throw fail(
                "key_file", "file \(keyFile) does not exist: make it with `cantine network keygen -o \(keyFile)`")
        }
        guard credentialSecret.count >= 32, credentialSecret.count % 2 == 0,
            credentialSecret.allSatisfy(\.isHexDigit)
        else {
            throw fail(
                "credential_secret", "expected 32 or more hex digits, the same at every site (`openssl rand -hex 32`)")
        }
        for (id, key) in sites.sorted(by: { $0.key < $1.key }) {
            guard Slug.isValid(id), id != "network" else {
                throw fail("sites.\(id)", "'\(id)' is not a valid site id: use 1–64 of a-z 0-9 - _")
            }
            guard let raw = Data(base64Encoded: key), raw.count == 32 else {
                throw fail("sites.\(id)", "expected the site's public key, as `cantine network keygen` printed it")
            }
        }
        if let h = visitorTtlHours?.value, !(1...720).contains(h) {
            throw fail("visitor_ttl_hours", "expected 1 to 720 hours (24 is usual)")
        }
        if let s = staleAfterS?.value, !(10...86_400).contains(s) {
            throw fail("stale_after_s", "expected 10 to 86400 seconds")
        }
        if let s = summaryEveryS?.value, !(1...3600).contains(s) {
            throw fail("summary_every_s", "expected 1 to 3600 seconds")
        }
        if let hub, let problem = HubAddress.problem(hub) { throw fail("hub", problem) }
        if let ca = hubCaFile, !FileManager.default.fileExists(atPath: ca) {
            throw fail("hub_ca_file", "file \(ca) does not exist")
        }
    }
}
