// Safe boot: the first thing `cantine serve` does is drive every door's relay to its locked
// level. Only the `[gpio]` and `[[doors]]` tables of the config file are read for it — cut
// out of the text and parsed alone, so a mistake anywhere else in the file (a typo in
// [mqtt], a bad desk) cannot stop the doors from being locked. The whole file is parsed after.

import CantineCore
import CantineGPIO
import Foundation
import Logging
import TOMLKit

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
    public var defaultChip: String { gpio?.chip ?? "gpiochip0" }
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
        var keep = false
        var out: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("[") {
                let header = trimmed.prefix { $0 != "#" }.trimmingCharacters(in: .whitespaces)
                    .replacingOccurrences(of: " ", with: "")
                if header.hasSuffix("]") && !header.contains("=") {
                    keep = header == "[gpio]" || header == "[[doors]]"
                }
            }
            if keep { out.append(line) }
        }
        return out.joined(separator: "\n")
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
                let pinout = try Pinout.loadChecked(named, configFile: file)
                plan = RelayPlan(
                    gpio: gpio,
                    doors: (pinout.doors ?? []).map {
                        Relay(
                            id: $0.id, chip: pinout.chipName, relayLine: $0.relay, relayActiveLow: $0.relayActiveLow,
                            failSecure: $0.failSecure)
                    })
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
            let line = "\(door.chip ?? plan.defaultChip):\(door.relayLine)"
            if let other = used[line] {
                throw ConfigError(
                    "config \(file): doors[\(i)].relay_line: line \(door.relayLine) of \(door.chip ?? plan.defaultChip) is already used by \(other)"
                )
            }
            used[line] = "doors[\(i)].relay_line"
        }
        return plan
    }
}

/// The start of `cantine serve`: relays locked, then the whole config loaded.
public enum SafeBoot {
    /// Locks every relay named in the config file at `path`, then loads and validates the
    /// whole file. When the rest of the file is wrong, the doors are locked before the error.
    public static func start(
        configPath path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger
    ) throws -> (DoorHardware, Config) {
        guard let data = FileManager.default.contents(atPath: path) else {
            _ = try Config.load(path: path, environment: environment)  // words the error: missing, unreadable
            throw ConfigError("config \(path): cannot read the file (permissions?)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let plan = try RelayPlan.parse(text, file: path)
        let hardware: DoorHardware
        do throws(GPIOError) {
            hardware = try DoorHardware.boot(plan, logger: logger)
        } catch {
            throw DaemonError(error.message)
        }
        do {
            return (hardware, try Config.parse(text, file: path, environment: environment))
        } catch {
            logger.critical("config refused; doors stay locked", metadata: ["error": "\(error.message)"])
            throw error
        }
    }
}
