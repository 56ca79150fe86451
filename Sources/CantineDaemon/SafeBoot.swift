// Safe boot: the first thing `cantine serve` does is drive every door's relay to its locked
// level. Only the `[gpio]` and `[[doors]]` tables of the config file are read for it — cut
// out of the text and parsed alone, so a mistake anywhere else in the file (a typo in
// [mqtt], a bad desk) cannot stop the doors from being locked. The whole file is parsed after.
// When the door tables (or the pinout) are themselves wrong, every relay that can still be
// read from them — table by table, then line by line — is locked before the error: on a
// Raspberry Pi a released output keeps its last level, so a door left unlocked by a crash
// would otherwise stay unlocked while the config is being fixed.

import CantineConfig
import CantineCore
import CantineGPIO
import Foundation
import Logging

/// What locking the relays needs to know: for each door, its relay line and levels.
public struct RelayPlan: Decodable, Equatable, Sendable {
    public struct GPIO: Decodable, Equatable, Sendable {
        public var mode: String?
        public var chip: String?
        public var pinout: String?
    }

    struct GPIOOnly: Decodable {
        var gpio: GPIO?
    }

    public struct Relay: Decodable, Equatable, Sendable {
        public var id: String
        public var chip: String?
        public var relayLine: Int
        public var relayActiveLow: Bool?
        public var failSecure: Bool?
        enum CodingKeys: String, CodingKey {
            case id, chip, relayLine = "relay_line", relayActiveLow = "relay_active_low", failSecure = "fail_secure"
        }
    }

    public var gpio: GPIO?
    public var doors: [Relay]?

    public init(gpio: GPIO?, doors: [Relay]) {
        self.gpio = gpio
        self.doors = doors
    }

    public var simulated: Bool { gpio?.mode == "simulated" }
    public var defaultChip: String { gpio?.chip ?? ChipSelection.header }
    public var relays: [Relay] { doors ?? [] }

    /// The plan of an already loaded config (tests, the demo).
    public init(_ config: Config) {
        gpio = GPIO(mode: config.gpio.mode, chip: config.gpio.chip)
        doors = config.doors.map {
            Relay(
                id: $0.id, chip: $0.chip, relayLine: $0.relayLine, relayActiveLow: $0.relayActiveLow,
                failSecure: $0.failSecure)
        }
    }

    /// The `[gpio]` and `[[doors]]` tables of a config text, and nothing else.
    public static func doorTables(of text: String) -> String {
        tableChunks(of: text).filter { $0.header == "[gpio]" || $0.header == "[[doors]]" }.map(\.text)
            .joined(separator: "\n")
    }

    /// Reads the relay plan from a config text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> RelayPlan {
        let plan: RelayPlan
        do {
            let tables = doorTables(of: text)
            try Config.checkCharacters(tables, file: "config \(file)")
            let gpio = try TOML.decode(GPIOOnly.self, from: tables).gpio
            if let named = gpio?.pinout {
                // The pinout holds the relays: read them from it alone.
                plan = RelayPlan(gpio: gpio, pinout: try Pinout.loadChecked(named, configFile: file))
            } else {
                plan = try TOML.decode(RelayPlan.self, from: tables)
            }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(
                "config \(file): cannot read the [[doors]] relays to lock them (\(error)): fix the [[doors]] tables")
        }
        var used: [String: String] = [:]
        for (i, door) in plan.relays.enumerated() {
            if door.relayActiveLow == nil && !plan.simulated {
                throw ConfigError(
                    "config \(file): doors[\(i)].relay_active_low: state the relay's polarity (true when its input switches it on low, as optocoupled relay modules do); the line is left undriven until then"
                )
            }
            let line = "\(door.chip ?? plan.defaultChip):\(door.relayLine)"
            if let other = used[line] {
                throw ConfigError(
                    "config \(file): doors[\(i)].relay_line: line \(door.relayLine) of \(ChipSelection.describe(door.chip ?? plan.defaultChip)) is already used by \(other)"
                )
            }
            used[line] = "doors[\(i)].relay_line"
        }
        return plan
    }
}

extension RelayPlan {
    /// The relays of a pinout (on its chip).
    init(gpio: GPIO?, pinout: Pinout) {
        self.init(
            gpio: gpio,
            doors: (pinout.doors ?? []).map {
                Relay(
                    id: $0.id, chip: pinout.chip, relayLine: $0.relay, relayActiveLow: $0.relayActiveLow,
                    failSecure: $0.failSecure)
            })
    }

    /// Every relay that can still be read from a config text whose door tables (or pinout)
    /// were refused: table by table, and in a table that is not TOML, line by line. A line
    /// named by two doors is left out (its locked level is not known).
    public static func salvage(_ text: String, file: String) -> RelayPlan {
        let chunks = tableChunks(of: doorTables(of: text))
        var gpio: GPIO?
        var relays: [Relay] = []
        for chunk in chunks {
            if chunk.header == "[gpio]" {
                gpio = (try? TOML.decode(GPIOOnly.self, from: chunk.text))?.gpio ?? salvageGPIO(chunk.text)
            } else if let relay = salvageRelay(chunk.text) {
                relays.append(relay)
            }
        }
        if let named = gpio?.pinout {
            let path = Pinout.path(named, configFile: file)
            if let pinout = try? Pinout.load(path: path) {
                relays = RelayPlan(gpio: gpio, pinout: pinout).relays
            } else if let pinoutText = try? Pinout.text(path: path) {
                let chip = pinoutText.split(separator: "\n").lazy.compactMap { keyValue($0) }
                    .first { $0.key == "chip" }.flatMap { stringValue($0.value) }
                relays = tableChunks(of: pinoutText).filter { $0.header == "[[doors]]" }.compactMap {
                    salvageRelay($0.text, lineKey: "relay")
                }.map {
                    Relay(
                        id: $0.id, chip: chip, relayLine: $0.relayLine, relayActiveLow: $0.relayActiveLow,
                        failSecure: $0.failSecure)
                }
            } else {
                relays = []
            }
        }
        let plan = RelayPlan(gpio: gpio, doors: relays)
        var count: [String: Int] = [:]
        for r in plan.relays { count["\(r.chip ?? plan.defaultChip):\(r.relayLine)", default: 0] += 1 }
        return RelayPlan(
            gpio: gpio, doors: plan.relays.filter { count["\($0.chip ?? plan.defaultChip):\($0.relayLine)"] == 1 })
    }

    /// The `[table]` / `[[array]]` sections of a TOML text, each with its header line.
    static func tableChunks(of text: String) -> [(header: String, text: String)] {
        var out: [(header: String, text: String)] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            // Only a line opening with `[` can be a header (the test below costs at boot).
            let header =
                trimmed.hasPrefix("[")
                ? trimmed.prefix { $0 != "#" }.trimmingCharacters(in: .whitespaces).replacingOccurrences(
                    of: " ", with: "") : ""
            if trimmed.hasPrefix("[") && header.hasSuffix("]") && !header.contains("=") {
                out.append((header, String(line)))
            } else if !out.isEmpty {
                out[out.count - 1].text += "\n" + line
            }
        }
        return out
    }

    /// One relay from a `[[doors]]` chunk: decoded whole, else key by key from its lines. Its
    /// line or chip written twice or unreadable (odd quotes) leaves the relay out. A polarity
    /// or strike type that is missing, written twice or unreadable (`fail_secure = flase`) is
    /// not guessed: the relay comes back with neither, and its line is held undriven — the
    /// relay off, the lock in its unpowered state, as the building's choice of lock intends.
    static func salvageRelay(_ chunk: String, lineKey: String = "relay_line") -> Relay? {
        struct One: Decodable { var doors: [Relay] }
        if lineKey == "relay_line", let one = try? TOML.decode(One.self, from: chunk), let relay = one.doors.first {
            return relay
        }
        var keys: [String: String] = [:]
        var twice: Set<String> = []
        for line in chunk.split(separator: "\n") {
            guard let (key, value) = keyValue(line) else { continue }
            if keys[key] != nil { twice.insert(key) }
            keys[key] = value
        }
        guard twice.isDisjoint(with: ["id", lineKey, "chip"]), let id = keys["id"].flatMap(stringValue),
            let line = keys[lineKey].flatMap({ Int($0) })
        else { return nil }
        let chip = keys["chip"].map(stringValue)
        if chip == .some(nil) { return nil }
        let activeLow = keys["relay_active_low"].flatMap { Bool($0) }
        let failSecure = keys["fail_secure"].map { Bool($0) }
        let sure =
            activeLow != nil && failSecure != .some(nil) && twice.isDisjoint(with: ["relay_active_low", "fail_secure"])
        return Relay(
            id: id, chip: chip ?? nil, relayLine: line, relayActiveLow: sure ? activeLow : nil,
            failSecure: sure ? failSecure ?? nil : nil)
    }

    static func salvageGPIO(_ chunk: String) -> GPIO {
        var keys: [String: String] = [:]
        for line in chunk.split(separator: "\n") {
            if let (key, value) = keyValue(line) { keys[key] = value }
        }
        return GPIO(
            mode: keys["mode"].flatMap(stringValue), chip: keys["chip"].flatMap(stringValue),
            pinout: keys["pinout"].flatMap(stringValue))
    }

    /// `key = value` of one line, the value without its comment.
    static func keyValue(_ line: Substring) -> (key: String, value: String)? {
        guard let eq = line.firstIndex(of: "=") else { return nil }
        let key = line[..<eq].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        if !value.hasPrefix("\""), let hash = value.firstIndex(of: "#") {
            value = value[..<hash].trimmingCharacters(in: .whitespaces)
        }
        return (key, value)
    }

    /// A basic TOML string `"…"` without escapes, or nil.
    static func stringValue(_ value: String) -> String? {
        guard value.hasPrefix("\""), let end = value.dropFirst().firstIndex(of: "\"") else { return nil }
        let inner = value[value.index(after: value.startIndex)..<end]
        return inner.contains("\\") ? nil : String(inner)
    }
}

/// The start of `cantine serve`: relays locked, then the whole config loaded.
public enum SafeBoot {
    /// Locks every relay named in the config file at `path`, then loads and validates the
    /// whole file. When the rest of the file is wrong, the doors are locked before the error.
    /// `board`: where the chips come from (nil: libgpiod, or a simulated Pi when the config
    /// says so); tests pass a simulated board that outlives a "crash".
    public static func start(
        configPath path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger, board: (any GPIOBoard)? = nil
    ) throws -> (DoorHardware, Config) {
        guard let data = FileManager.default.contents(atPath: path) else {
            _ = try Config.load(path: path, environment: environment)  // words the error: missing, unreadable
            throw ConfigError("config \(path): cannot read the file (permissions?)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let plan: RelayPlan
        do {
            plan = try RelayPlan.parse(text, file: path)
        } catch {
            // Lock what can be read, then refuse: the doors never wait for the fix unlocked.
            let salvaged = RelayPlan.salvage(text, file: path)
            _ = try? DoorHardware.boot(salvaged, logger: logger, board: board)
            logger.critical(
                "door tables refused; every relay that could be read is locked",
                metadata: ["error": "\(error.message)", "locked": "\(salvaged.relays.map(\.id))"])
            throw error
        }
        let hardware: DoorHardware
        do throws(GPIOError) {
            hardware = try DoorHardware.boot(plan, logger: logger, board: board)
        } catch {
            throw DaemonError(error.message)
        }
        BootMark.relaysLocked.log(logger, ["relays": "\(plan.relays.count)"])
        do {
            return (hardware, try Config.parse(text, file: path, environment: environment))
        } catch {
            logger.critical("config refused; doors stay locked", metadata: ["error": "\(error.message)"])
            throw error
        }
    }
}
