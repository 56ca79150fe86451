// The pinout (Hardware/pinout.toml): the single source of truth for the board's GPIO — each
// door's Wiegand D0/D1, strike relay, door contact and exit button, each wired desk sensor —
// with what the wiring needs to be safe: the input voltage and its level shifting, the relay
// driver and flyback diode, the strike type (fail-secure or fail-safe), a hard-wired exit.
// `cantine hardware check FILE` runs the checks; the daemon reads the lines from it when
// `[gpio] pinout` names it, and refuses a pinout that fails a check.

import CantineCore
import Foundation
import TOMLKit

/// A site's GPIO pinout.
public struct Pinout: Decodable, Equatable, Sendable {
    /// Board family: `raspberry-pi-40pin` (BCM lines 0–27 of the header's chip).
    public var board: String
    /// The GPIO chip the lines belong to; by default the 40-pin header's, found by its label
    /// (`pinctrl-rp1`, `pinctrl-bcm2711`, `pinctrl-bcm2835`) whatever its number.
    public var chip: String?
    /// Lines the board uses for something else (console UART, I²C …): never assigned.
    public var reserved: [Int]?
    public var doors: [Door]?
    public var desks: [Desk]?

    /// One door's lines and the hardware behind them.
    public struct Door: Decodable, Equatable, Sendable {
        public var id: String
        public var d0: Int
        public var d1: Int
        public var relay: Int
        public var relayActiveLow: Bool?
        public var contact: Int?
        public var contactActiveLow: Bool?
        public var exitButton: Int?
        public var exitButtonActiveLow: Bool?
        /// The strike locks when unpowered (fail-secure) or unlocks (fail-safe, maglocks).
        public var failSecure: Bool
        /// Volts on the reader's data lines (5 for most 12 V Wiegand readers).
        public var inputLevelV: Volts
        /// How inputs above 3.3 V reach the GPIO: `opto`, `buffer` or `divider`.
        public var levelShifting: String?
        /// What drives the strike: `relay-module-opto`, `relay-transistor`, `mosfet` or `ssr`.
        public var relayDriver: String
        /// A flyback diode across the strike's coil (required for inductive loads).
        public var flybackDiode: Bool?
        /// The exit button also cuts the strike's power by wire, whatever the software does.
        public var exitButtonHardwired: Bool?
        /// The strike's own fused supply (never the board's).
        public var strikeSupply: String?
        /// Pulls requested on D0/D1, the contact and the exit button (`pull-up`, `pull-down`,
        /// `disabled`); defaults: `Pinout.defaultDataBias`, `Bias.resting`.
        public var dataBias: String?
        public var contactBias: String?
        public var exitButtonBias: String?
        enum CodingKeys: String, CodingKey {
            case dataBias = "data_bias", contactBias = "contact_bias", exitButtonBias = "exit_button_bias"
            case id, d0, d1, relay, relayActiveLow = "relay_active_low", contact
            case contactActiveLow = "contact_active_low", exitButton = "exit_button"
            case exitButtonActiveLow = "exit_button_active_low", failSecure = "fail_secure"
            case inputLevelV = "input_level_v", levelShifting = "level_shifting", relayDriver = "relay_driver"
            case flybackDiode = "flyback_diode", exitButtonHardwired = "exit_button_hardwired"
            case strikeSupply = "strike_supply"
        }
    }

    /// A desk sensor wired to the board (a PIR or an mmWave OUT pin, a seat mat).
    public struct Desk: Decodable, Equatable, Sendable {
        public var id: String
        public var line: Int
        public var activeLow: Bool?
        public var inputLevelV: Volts
        public var levelShifting: String?
        /// The pull requested on the line; by default towards "nobody there", none behind a buffer.
        public var bias: String?
        enum CodingKeys: String, CodingKey {
            case id, line, activeLow = "active_low", inputLevelV = "input_level_v", levelShifting = "level_shifting"
            case bias
        }
    }

    /// The pull of an input that rests high (Wiegand data, a switch to ground) behind
    /// `shifting`: none behind a buffer or divider (a driven output sets the level), else up
    /// (an optocoupler's or a reader's open collector, a bare switch).
    public static func restingBias(activeLow: Bool, shifting: String?) -> Bias {
        ["buffer", "divider"].contains(shifting ?? "none") ? .disabled : Bias.resting(activeLow: activeLow)
    }

    /// The pulls a door's inputs are requested with: stated, or the default.
    public static func biases(_ d: Door) -> (data: String, contact: String, exit: String) {
        (
            d.dataBias ?? restingBias(activeLow: true, shifting: d.levelShifting).rawValue,
            d.contactBias ?? Bias.resting(activeLow: Defaults.contactActiveLow.or(d.contactActiveLow)).rawValue,
            d.exitButtonBias ?? Bias.resting(activeLow: Defaults.exitButtonActiveLow.or(d.exitButtonActiveLow)).rawValue
        )
    }

    /// Reads a pinout file; errors are one line naming the file and what is wrong.
    public static func load(path: String) throws(ConfigError) -> Pinout {
        let text = try text(path: path)
        return try parse(text, file: path)
    }

    /// A pinout file's text: a regular file of at most 1 MB (never a device that reads forever).
    public static func text(path: String) throws(ConfigError) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let attributes,
            attributes[.type] as? FileAttributeType != .typeRegular
                || (attributes[.size] as? Int ?? 0) > 1 << 20
        {
            throw ConfigError(
                "pinout \(path): not a regular text file of at most 1 MB: name Hardware/pinout.toml or a copy")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigError(
                .unreadable, "pinout \(path): cannot read the file (does it exist? see Hardware/pinout.toml)")
        }
        return text
    }

    /// Parses pinout text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> Pinout {
        try Config.checkCharacters(text, file: "pinout \(file)")
        do {
            return try TOML.decode(Pinout.self, from: text, strict: true)
        } catch let error as TOMLParseError {
            throw ConfigError("pinout \(file):\(error.source.begin.line): \(error.description)")
        } catch let error as UnexpectedKeysError {
            let keys = error.keys.map { key, path in (path.map(\.stringValue) + [key]).joined(separator: ".") }.sorted()
            throw ConfigError("pinout \(file): unknown key \(keys.joined(separator: ", ")): see Hardware/pinout.toml")
        } catch let error as DecodingError {
            throw ConfigError("pinout \(file): \(TOML.describe(error, in: text))")
        } catch {
            throw ConfigError("pinout \(file): \(error)")
        }
    }
}

/// A voltage written `5` or `3.3`.
public struct Volts: Decodable, Equatable, Sendable {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Double.self) {
            value = v
        } else if let v = try? c.decode(Int.self) {
            value = Double(v)
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected volts as a number (3.3, 5, 12)")
        }
    }
}

/// One check of a pinout: what was checked and, when it failed, why.
public struct PinoutCheck: Equatable, Sendable {
    public var name: String
    /// Nil when the check passed; else one line naming the pin and its use.
    public var failure: String?
    public var passed: Bool { failure == nil }
}

extension Pinout {
    /// Lines of the 40-pin header's GPIO (BCM numbering).
    static let headerLines = 0...27
    /// BCM 0 and 1 carry the HAT ID EEPROM: never use them.
    static let boardReserved: [Int: String] = [0: "ID_SD (HAT EEPROM)", 1: "ID_SC (HAT EEPROM)"]
    static let shifters = ["opto", "buffer", "divider"]
    static let drivers = ["relay-module-opto", "relay-transistor", "mosfet", "ssr"]

    /// Every check, in order; each fails with a line naming the pin and its use.
    public func check() -> [PinoutCheck] {
        var checks: [PinoutCheck] = []
        func record(_ name: String, _ problems: [String]) {
            // Values quoted from the file (a driver's name…) may hold control characters.
            checks.append(
                PinoutCheck(name: name, failure: problems.isEmpty ? nil : problems.joined(separator: "; ").oneLine))
        }
        let doors = doors ?? []
        let desks = desks ?? []
        var uses: [(line: Int, use: String)] = []
        for d in doors {
            uses += [
                (d.d0, "door \(d.id) Wiegand D0"), (d.d1, "door \(d.id) Wiegand D1"), (d.relay, "door \(d.id) relay"),
            ]
            if let c = d.contact { uses.append((c, "door \(d.id) contact")) }
            if let e = d.exitButton { uses.append((e, "door \(d.id) exit button")) }
        }
        for d in desks { uses.append((d.line, "desk \(d.id) sensor")) }

        record(
            "board is known",
            board == "raspberry-pi-40pin" ? [] : ["board \"\(board)\": expected \"raspberry-pi-40pin\""])
        record("ids are unique", duplicates(doors.map(\.id), "door") + duplicates(desks.map(\.id), "desk"))
        record(
            "every pin is a GPIO of the header (BCM 0-27)",
            uses.filter { !Self.headerLines.contains($0.line) }.map {
                "GPIO\($0.line) (\($0.use)): not on the 40-pin header"
            }
                + (reserved ?? []).filter { !Self.headerLines.contains($0) }.map {
                    "reserved GPIO\($0): not on the header"
                })
        var byLine: [Int: String] = [:]
        var twice: [String] = []
        for u in uses {
            if let other = byLine[u.line] {
                twice.append("GPIO\(u.line) used twice: \(other) and \(u.use)")
            } else {
                byLine[u.line] = u.use
            }
        }
        record("no pin is used twice", twice)
        let reservedLines = Dictionary(uniqueKeysWithValues: Self.boardReserved.map { ($0.key, $0.value) })
            .merging((reserved ?? []).map { ($0, "reserved in this pinout") }) { a, _ in a }
        record(
            "no reserved pin is used",
            uses.compactMap { u in reservedLines[u.line].map { "GPIO\(u.line) (\(u.use)) is reserved: \($0)" } })
        var shifting: [String] = []
        for d in doors {
            shifting += levelProblems(
                "door \(d.id) reader (GPIO\(d.d0), GPIO\(d.d1))", d.inputLevelV.value, d.levelShifting)
        }
        for d in desks {
            shifting += levelProblems("desk \(d.id) sensor (GPIO\(d.line))", d.inputLevelV.value, d.levelShifting)
        }
        record("inputs above 3.3 V declare their level shifting", shifting)
        var drive: [String] = []
        for d in doors {
            if !Self.drivers.contains(d.relayDriver) {
                drive.append(
                    "door \(d.id) relay (GPIO\(d.relay)): relay_driver \"\(d.relayDriver)\": expected one of \(Self.drivers.joined(separator: ", "))"
                )
            } else if d.relayDriver != "ssr" && d.flybackDiode != true {
                drive.append(
                    "door \(d.id) relay (GPIO\(d.relay)): set flyback_diode = true (a diode across the strike coil)")
            }
            if (d.strikeSupply ?? "").isEmpty {
                drive.append("door \(d.id): strike_supply: name the strike's own fused supply (never the board's 5 V)")
            }
        }
        record("every relay declares its driver, flyback diode and strike supply", drive)
        record(
            "every relay states its polarity",
            doors.filter { $0.relayActiveLow == nil }.map {
                "door \($0.id) relay (GPIO\($0.relay)): set relay_active_low (true for optocoupled relay modules such as the SRD-05VDC boards, which switch on when IN is low), then check that the strike has no voltage with the daemon stopped (SAFETY.md)"
            })
        var pulls: [String] = []
        func pull(_ what: String, _ value: String?, activeLow: Bool) {
            guard let value else { return }
            guard let bias = Bias(rawValue: value) else {
                pulls.append("\(what): bias \"\(value)\": expected pull-up, pull-down or disabled")
                return
            }
            if let problem = bias.problem(activeLow: activeLow) { pulls.append("\(what): \(problem)") }
        }
        for d in doors {
            pull("door \(d.id) data_bias (GPIO\(d.d0), GPIO\(d.d1))", d.dataBias, activeLow: true)
            if let c = d.contact {
                pull(
                    "door \(d.id) contact_bias (GPIO\(c))", d.contactBias,
                    activeLow: Defaults.contactActiveLow.or(d.contactActiveLow))
            }
            if let e = d.exitButton {
                pull(
                    "door \(d.id) exit_button_bias (GPIO\(e))", d.exitButtonBias,
                    activeLow: Defaults.exitButtonActiveLow.or(d.exitButtonActiveLow))
            }
        }
        for d in desks {
            pull("desk \(d.id) bias (GPIO\(d.line))", d.bias, activeLow: Defaults.gpioActiveLow.or(d.activeLow))
        }
        record("every input's pull holds it at rest when its wire is cut", pulls)
        record(
            "every exit button is hard-wired for egress",
            doors.filter { $0.exitButtonHardwired != true }.map {
                "door \($0.id): set exit_button_hardwired = true once the button cuts the strike's power by wire (egress must not depend on software)"
            })
        return checks
    }

    func duplicates(_ ids: [String], _ kind: String) -> [String] {
        var seen = Set<String>()
        return ids.filter { !seen.insert($0).inserted }.map { "\(kind) id '\($0)' appears twice" }
    }

    func levelProblems(_ what: String, _ volts: Double, _ shifting: String?) -> [String] {
        guard volts > 0, volts <= 24 else {
            return ["\(what): input_level_v \(volts): expected the line's volts (3.3, 5, 12)"]
        }
        if volts <= 3.3 {
            if let s = shifting, !Self.shifters.contains(s) && s != "none" {
                return ["\(what): level_shifting \"\(s)\": expected none, \(Self.shifters.joined(separator: ", "))"]
            }
            return []
        }
        guard let s = shifting, Self.shifters.contains(s) else {
            return [
                "\(what): \(volts) V input needs level_shifting = \(Self.shifters.map { "\"\($0)\"" }.joined(separator: " or ")) (3.3 V GPIO are not 5 V tolerant)"
            ]
        }
        return []
    }
}

extension Pinout {
    /// The pinout a config file names in `[gpio] pinout`, relative to the config's folder.
    public static func path(_ named: String, configFile: String) -> String {
        named.hasPrefix("/")
            ? named : URL(fileURLWithPath: configFile).deletingLastPathComponent().appendingPathComponent(named).path
    }

    /// Loads the pinout a config names and refuses it when a check fails (a door is a safety
    /// device: an unsafe wiring declaration does not start).
    public static func loadChecked(_ named: String, configFile: String) throws(ConfigError) -> Pinout {
        let path = path(named, configFile: configFile)
        let pinout = try load(path: path)
        if let failure = pinout.check().compactMap(\.failure).first {
            throw ConfigError("pinout \(path): \(failure): run `cantine hardware check \(path)`")
        }
        return pinout
    }

    /// When the config table's `[gpio] pinout` names a pinout, writes its lines into the
    /// matching `[[doors]]` and `[[desks]]` tables (by id). A line given in both places, or a
    /// pinout entry with no config entry, is an error: the pinout is the only source of lines.
    static func apply(to table: TOMLTable, configFile file: String) throws(ConfigError) {
        guard let named = table["gpio"]?.table?["pinout"]?.string else { return }
        let pinout = try loadChecked(named, configFile: file)
        func entries(_ key: String) -> [String: (Int, TOMLTable)] {
            var out: [String: (Int, TOMLTable)] = [:]
            for (i, value) in (table[key]?.array ?? TOMLArray()).enumerated() {
                if let t = value.table, let id = t["id"]?.string { out[id] = (i, t) }
            }
            return out
        }
        func set(_ t: TOMLTable, _ key: String, _ value: (any TOMLValueConvertible)?, at path: String)
            throws(ConfigError)
        {
            guard let value else { return }
            guard t[key] == nil else {
                throw ConfigError(
                    "config \(file): \(path).\(key): the pinout \(named) gives this line: remove it from the config")
            }
            t[key] = value
        }
        let doors = entries("doors")
        for d in pinout.doors ?? [] {
            guard let (i, t) = doors[d.id] else {
                throw ConfigError(
                    "pinout \(named): door '\(d.id)' has no [[doors]] entry in \(file): add one with id = \"\(d.id)\"")
            }
            let k = "doors[\(i)]"
            let biases = Self.biases(d)
            if t["chip"] != nil {
                throw ConfigError(
                    "config \(file): \(k).chip: the pinout \(named) gives the chip of every line: remove it from the config"
                )
            }
            try set(t, "chip", pinout.chip, at: k)
            try set(t, "data_bias", biases.data, at: k)
            try set(t, "contact_bias", d.contact == nil ? nil : biases.contact, at: k)
            try set(t, "exit_button_bias", d.exitButton == nil ? nil : biases.exit, at: k)
            try set(t, "d0_line", d.d0, at: k)
            try set(t, "d1_line", d.d1, at: k)
            try set(t, "relay_line", d.relay, at: k)
            try set(t, "relay_active_low", d.relayActiveLow, at: k)
            try set(t, "contact_line", d.contact, at: k)
            try set(t, "contact_active_low", d.contactActiveLow, at: k)
            try set(t, "exit_button_line", d.exitButton, at: k)
            try set(t, "exit_button_active_low", d.exitButtonActiveLow, at: k)
            try set(t, "fail_secure", d.failSecure, at: k)
        }
        let desks = entries("desks")
        for d in pinout.desks ?? [] {
            guard let (i, t) = desks[d.id] else {
                throw ConfigError(
                    "pinout \(named): desk '\(d.id)' has no [[desks]] entry in \(file): add one with id = \"\(d.id)\"")
            }
            let k = "desks[\(i)]"
            let bias =
                d.bias
                ?? Self.restingBias(activeLow: Defaults.gpioActiveLow.or(d.activeLow), shifting: d.levelShifting)
                .rawValue
            if t["chip"] != nil {
                throw ConfigError(
                    "config \(file): \(k).chip: the pinout \(named) gives the chip of every line: remove it from the config"
                )
            }
            try set(t, "chip", pinout.chip, at: k)
            try set(t, "gpio_bias", bias, at: k)
            try set(t, "gpio_line", d.line, at: k)
            try set(t, "gpio_active_low", d.activeLow, at: k)
        }
    }
}
