// A config error: one line naming the file, the key and what is expected — and the helpers
// that word them (a decoding error's key path and the type its key holds).

import CantineCore
import Foundation
import TOMLKit

/// A configuration error: one line naming the file, the key and what is expected.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: Sendable, Equatable {
        /// The file is missing or cannot be read.
        case unreadable
        /// The file says something wrong (syntax, an unknown key, a value out of range, a clash).
        case invalid
    }
    public let code: Code
    public let message: String
    /// Control characters quoted from the input are escaped: the message stays one line.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message.oneLine
    }
    public init(_ message: String) { self.init(.invalid, message) }
    public var description: String { message }
}

/// What the sections' `validate` share: the file they name and the checks every section makes.
struct Checks {
    let file: String

    func fail(_ key: String, _ what: String) -> ConfigError { ConfigError("config \(file): \(key): \(what)") }

    /// A place on the floor plan: x and y together, each from 0 to 500 plan units; a size from
    /// 0.5 to 100, and only with a place.
    func position(_ entry: String, x: Double?, y: Double?, width: Double?, height: Double?) throws(ConfigError) {
        if (x == nil) != (y == nil) {
            throw fail(entry, "a place on the floor plan needs both x and y (plan units: a desk is 1 × 1)")
        }
        for (key, value) in [("x", x), ("y", y)] {
            if let value, !(0...500).contains(value) { throw fail("\(entry).\(key)", "expected 0 to 500 plan units") }
        }
        for (key, value) in [("width", width), ("height", height)] {
            guard let value else { continue }
            if x == nil { throw fail("\(entry).\(key)", "a size needs a place: set x and y too") }
            if !(0.5...100).contains(value) { throw fail("\(entry).\(key)", "expected 0.5 to 100 plan units") }
        }
    }

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

    func bias(_ key: String, _ value: String?, activeLow: Bool) throws(ConfigError) {
        guard let value else { return }
        guard let b = Bias(rawValue: value) else {
            throw fail(key, "expected \"pull-up\", \"pull-down\" or \"disabled\"")
        }
        if let problem = b.problem(activeLow: activeLow) { throw fail(key, problem) }
    }
}

extension Config {
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
        case _ where key.hasSuffix("_line"), "port", "capacity", "keepalive_s", "snapshot_every", "commit_linger_ms",
            "gap_timeout_ms",
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
        case "x", "y", "width", "height":
            return "a number of plan units (a desk is 1 × 1)"
        case "site", "database", "http", "mqtt", "gpio", "access", "sensors", "program", "reconcile", "display",
            "spaceapi", "retention", "network":
            return "a table ([\(key)])"
        case "zones", "doors", "desks", "rooms":
            return "an array of tables ([[\(key)]])"
        default:
            return "a string in quotes"
        }
    }
}
