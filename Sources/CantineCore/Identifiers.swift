// Typed identifiers: a slug string tagged with what it names, so a DeskID is never a DoorID.
// Ids appear in MQTT topics and URLs, hence the slug rule.

/// A string identifier tagged with the kind of thing it names.
public struct Identifier<Tag>: Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable,
    CustomStringConvertible, ExpressibleByStringLiteral
{
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var codingKey: any CodingKey { StringKey(rawValue) }

    public init?<T: CodingKey>(codingKey: T) { self.rawValue = codingKey.stringValue }

    /// True when the id is a slug: 1–64 of `a-z 0-9 - _`, starting with a letter or digit.
    public var isSlug: Bool { Slug.isValid(rawValue) }
}

struct StringKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The slug rule for ids used in topics and URLs.
public enum Slug {
    /// True for 1–64 characters of `a-z 0-9 - _`, the first a letter or digit.
    public static func isValid(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 64 else { return false }
        func ok(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
        return ok(first) && s.utf8.allSatisfy { ok($0) || $0 == 45 || $0 == 95 }
    }
}

public enum SiteTag {}
public enum ZoneTag {}
public enum DoorTag {}
public enum DeskTag {}
public enum RoomTag {}
public enum MemberTag {}
public enum CredentialTag {}
public enum PlanTag {}
public enum BookingTag {}
public enum SessionTag {}
public enum StaffTag {}
public enum NodeTag {}

public typealias SiteID = Identifier<SiteTag>
public typealias ZoneID = Identifier<ZoneTag>
public typealias DoorID = Identifier<DoorTag>
public typealias DeskID = Identifier<DeskTag>
public typealias RoomID = Identifier<RoomTag>
/// Opaque member id: the journal refers to people only through it (names live in member records).
public typealias MemberID = Identifier<MemberTag>
public typealias CredentialID = Identifier<CredentialTag>
public typealias PlanID = Identifier<PlanTag>
public typealias BookingID = Identifier<BookingTag>
public typealias SessionID = Identifier<SessionTag>
public typealias StaffID = Identifier<StaffTag>
/// A desk sensor node on MQTT (`nodes/<node>/status`).
public typealias NodeID = Identifier<NodeTag>

/// A keyed digest of a badge (format, facility, card): lets the core match badges without
/// the journal ever holding a badge number. Computed at the edge with the site's secret.
public typealias CredentialToken = Identifier<CredentialTag.Token>
extension CredentialTag { public enum Token {} }
