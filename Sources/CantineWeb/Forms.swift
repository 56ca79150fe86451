// Form bodies of the dashboard's actions (URL-encoded, or a JSON object of strings from an
// API client) and their checking: every field is checked before anything is done, and a
// refused form answers 422 with one message per field, having changed nothing.

import CantineCore
import Foundation
import Hummingbird

/// The fields of a submitted form, and the problems found in them. (SPI for the fuzz
/// targets: the form parsers are an external input.)
@_spi(Fuzzing) public struct Form {
    @_spi(Fuzzing) public var values: [String: String]
    @_spi(Fuzzing) public var errors: [String: String] = [:]

    @_spi(Fuzzing) public init(_ values: [String: String]) { self.values = values }

    /// Reads the body (at most the context's upload size: larger is 413).
    static func read(_ request: Request, context: some RequestContext) async throws -> Form {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return try decode(
            String(buffer: buffer), json: request.headers[.contentType]?.hasPrefix("application/json") == true)
    }

    /// The most fields a body may have: the dashboard's largest form has ten; a body of
    /// hundreds is refused before any is decoded or checked (as web frameworks bound them).
    @_spi(Fuzzing) public static let maxFields = 64

    /// A body as its fields: a JSON object of strings (and numbers), or URL-encoded.
    @_spi(Fuzzing) public static func decode(_ text: String, json: Bool) throws -> Form {
        func tooMany(_ count: Int) -> WebError {
            WebError(
                .badRequest, "the form has \(count) fields (at most \(maxFields)): send only the form's own fields")
        }
        if json {
            guard let data = text.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { throw WebError(.badRequest, "the body is not a JSON object: send {\"field\": \"value\", ...}") }
            guard object.count <= maxFields else { throw tooMany(object.count) }
            var values: [String: String] = [:]
            for (k, v) in object {
                if let s = v as? String { values[k] = s } else if let n = v as? NSNumber { values[k] = n.stringValue }
            }
            return Form(values)
        }
        let pairs = text.utf8.split(separator: UInt8(ascii: "&")).count
        guard pairs <= maxFields else { throw tooMany(pairs) }
        return Form(parse(text))
    }

    /// `a=1&b=x+y` → ["a": "1", "b": "x y"] (the last of a repeated field wins).
    @_spi(Fuzzing) public static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            out[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    /// A field trimmed, nil when absent or empty.
    @_spi(Fuzzing) public func optional(_ name: String) -> String? {
        guard let v = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
    }

    /// A required field of at most `max` characters.
    @_spi(Fuzzing) public mutating func required(_ name: String, _ what: String, max: Int = 200) -> String {
        guard let v = optional(name) else {
            errors[name] = "\(what) is required"
            return ""
        }
        guard v.count <= max else {
            errors[name] = "\(what) is too long (at most \(max) characters)"
            return ""
        }
        return v
    }

    /// A required field that must be one of `choices`.
    @_spi(Fuzzing) public mutating func choice<T: RawRepresentable & CaseIterable>(
        _ name: String, _ type: T.Type, _ what: String
    ) -> T?
    where T.RawValue == String {
        let v = required(name, what)
        guard !v.isEmpty else { return nil }
        guard let c = T(rawValue: v) else {
            errors[name] = "\(what) must be one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))"
            return nil
        }
        return c
    }

    /// A required `YYYY-MM-DD` date (ASCII digits, a day the calendar has).
    @_spi(Fuzzing) public mutating func date(_ name: String, _ what: String = "the date") -> String {
        let v = required(name, what, max: 10)
        guard !v.isEmpty else { return v }
        let shaped =
            v.utf8.count == 10
            && v.utf8.enumerated().allSatisfy { i, b in
                i == 4 || i == 7 ? b == UInt8(ascii: "-") : (48...57).contains(b)
            }
        if !shaped {
            errors[name] = "\(what) must be written YYYY-MM-DD"
        } else if LocalDate(v) == nil {
            errors[name] = "\(what) \(v) is not a day of the calendar"
        }
        return v
    }

    /// A required local `HH:MM` time.
    @_spi(Fuzzing) public mutating func time(_ name: String, _ what: String) -> String {
        let v = required(name, what, max: 5)
        if !v.isEmpty {
            let parts = v.split(separator: ":").compactMap { Int($0) }
            if parts.count != 2 || !(0...23).contains(parts[0]) || !(0...59).contains(parts[1]) {
                errors[name] = "\(what) must be a time HH:MM"
            }
        }
        return v
    }

    /// An integer field within `range` (`fallback` when absent).
    @_spi(Fuzzing) public mutating func integer(
        _ name: String, _ what: String, in range: ClosedRange<Int>, fallback: Int? = nil
    ) -> Int {
        guard let v = optional(name) else {
            if let fallback { return fallback }
            errors[name] = "\(what) is required"
            return 0
        }
        guard let n = Int(v), range.contains(n) else {
            errors[name] = "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
            return 0
        }
        return n
    }

    /// Throws the 422 listing every problem, if there is any.
    @_spi(Fuzzing) public func check() throws {
        guard errors.isEmpty else {
            let first = errors.keys.sorted().first.flatMap { errors[$0] } ?? "invalid form"
            throw WebError(.unprocessableContent, "the form has errors: \(first)", fields: errors)
        }
    }
}
