// Time in the core: wall-clock instants as integer microseconds since the Unix epoch.
// The reducer never reads a clock; it is handed `now` as an Instant.

import Foundation

/// A wall-clock instant, microseconds since 1970-01-01T00:00:00Z.
public struct Instant: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var micros: Int64

    public init(micros: Int64) { self.micros = micros }
    public init(seconds: Int64) { self.micros = seconds * 1_000_000 }
    public init(_ date: Date) { self.micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The instant of a date read from outside (an imported file), nil unless it falls in the
    /// years 1 to 9999 (beyond, microseconds since 1970 would not fit — found by fuzzing).
    public init?(exactly date: Date) {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, (-62_135_596_800...253_402_300_799).contains(seconds) else { return nil }
        self.init(date)
    }

    public var date: Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

    public static func < (a: Instant, b: Instant) -> Bool { a.micros < b.micros }

    public static func + (a: Instant, d: Span) -> Instant { Instant(micros: a.micros + d.micros) }
    public static func - (a: Instant, d: Span) -> Instant { Instant(micros: a.micros - d.micros) }
    public static func - (a: Instant, b: Instant) -> Span { Span(micros: a.micros - b.micros) }

    public init(from decoder: any Decoder) throws { micros = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(micros)
    }

    /// ISO 8601 with seconds, UTC.
    public var description: String { date.formatted(.iso8601) }
}

/// A length of time in microseconds (a Codable-friendly Duration).
public struct Span: Hashable, Comparable, Sendable, Codable {
    public var micros: Int64
    public init(micros: Int64) { self.micros = micros }
    public static func seconds(_ s: Int64) -> Span { Span(micros: s * 1_000_000) }
    public static func milliseconds(_ ms: Int64) -> Span { Span(micros: ms * 1000) }
    public static func minutes(_ m: Int64) -> Span { .seconds(m * 60) }
    /// Whole or fractional seconds, rounded to the microsecond.
    public init(seconds: Double) { micros = Int64((seconds * 1_000_000).rounded()) }
    public static func < (a: Span, b: Span) -> Bool { a.micros < b.micros }
    public var seconds: Double { Double(micros) / 1_000_000 }

    public init(from decoder: any Decoder) throws { micros = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(micros)
    }
}
