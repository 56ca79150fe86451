// One key of the config with what the program knows about it: its default, the range it
// accepts and the line `cantine init`'s sample writes for it. `Defaults` lists them all.

import Foundation

/// A value a setting can hold, written as TOML writes it.
public protocol SettingValue: Sendable, Equatable {
    /// The value as a TOML literal (`5`, `2.5`, `true`, `"text"`, `["a", "b"]`).
    var toml: String { get }
    /// The value as a number, for range checks (nil for text and flags).
    var number: Double? { get }
}

extension Int: SettingValue {
    public var toml: String { "\(self)" }
    public var number: Double? { Double(self) }
}

extension Double: SettingValue {
    public var toml: String { self == rounded() && abs(self) < 1e15 ? "\(Int(self))" : "\(self)" }
    public var number: Double? { self }
}

extension Bool: SettingValue {
    public var toml: String { "\(self)" }
    public var number: Double? { nil }
}

extension String: SettingValue {
    public var toml: String {
        "\"" + replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
    public var number: Double? { nil }
}

extension Array: SettingValue where Element: SettingValue {
    public var toml: String { "[" + map(\.toml).joined(separator: ", ") + "]" }
    public var number: Double? { nil }
}

/// What the sample config shows for a setting.
public enum SampleLine<Value: SettingValue>: Sendable {
    /// `key = default`.
    case value
    /// `# key = default`: a section the sample leaves out.
    case commentedValue
    /// `key = example`: a key with no default the sample sets.
    case example(Value)
    /// `# key = example`: a key with no default the sample leaves out.
    case commented(Value)
    /// Not in the generated sections (a key of `[[doors]]`, `[[desks]]`…: the sample's
    /// examples of those are written out whole).
    case none
}

/// A setting of the config: its key, its default, its range and how the sample shows it.
public struct Setting<Value: SettingValue>: Sendable {
    /// The dotted key: `sensors.vacant_after_s`, `access.hours.day`, `doors.pulse_s`.
    public let key: String
    /// The value when the key is left out; nil when there is none (the key is required, or its
    /// absence means something: no TLS, no PIN keypad, a value derived from another key).
    public let value: Value?
    /// The accepted range of a number, and its unit for messages (`minutes`).
    public let range: ClosedRange<Double>?
    public let unit: String
    /// The sample's comment on the key (a `\n` continues it on the next line).
    public let note: String
    public let sample: SampleLine<Value>

    /// A number with the range it must be in.
    init(
        _ key: String, _ value: Value?, _ range: ClosedRange<Double>, _ unit: String,
        sample: SampleLine<Value> = .value, _ note: String = ""
    ) {
        self.key = key
        self.value = value
        self.range = range
        self.unit = unit
        self.sample = sample
        self.note = note
    }

    init(_ key: String, _ value: Value?, sample: SampleLine<Value> = .value, _ note: String = "") {
        self.key = key
        self.value = value
        self.range = nil
        self.unit = ""
        self.sample = sample
        self.note = note
    }

    /// The key's value in the file, else the default.
    public func or(_ given: Value?) -> Value where Value: Sendable {
        guard let resolved = given ?? value else { preconditionFailure("\(key) has no default") }
        return resolved
    }

    /// Throws when `given` is outside the range: `config F: KEY: expected 5 to 240 minutes (30
    /// by default)`. `at` names an entry of a list (`doors[2].held_open_s`).
    public func check(_ given: Value?, at: String? = nil, file: String) throws(ConfigError) {
        guard let range, let number = given?.number, !range.contains(number) else { return }
        let bounds =
            "\(range.lowerBound.formatted(.number.grouping(.never))) to \(range.upperBound.formatted(.number.grouping(.never)))"
        let byDefault = value.map { " (\($0.toml) by default)" } ?? ""
        throw ConfigError(
            "config \(file): \(at ?? key): expected \(bounds)\(unit.isEmpty ? "" : " \(unit)")\(byDefault)")
    }
}

/// A setting seen without its value's type: what the sample and the tests read.
public protocol AnySetting: Sendable {
    var key: String { get }
    /// The default as TOML, if there is one.
    var defaultTOML: String? { get }
    /// The sample's line for the key (without its comment), nil when the sample leaves it out.
    var sampleTOML: (line: String, commented: Bool)? { get }
    var note: String { get }
}

extension Setting: AnySetting {
    public var defaultTOML: String? { value?.toml }

    public var sampleTOML: (line: String, commented: Bool)? {
        let name = String(key.split(separator: ".").last ?? "")
        switch sample {
        case .value: return value.map { ("\(name) = \($0.toml)", false) }
        case .commentedValue: return value.map { ("\(name) = \($0.toml)", true) }
        case .example(let v): return ("\(name) = \(v.toml)", false)
        case .commented(let v): return ("\(name) = \(v.toml)", true)
        case .none: return nil
        }
    }
}
