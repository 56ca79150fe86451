// Records: the queryable side of the store. Personal data (names, emails, badge numbers)
// lives only here, never in the journal. Records are written in the same transaction as the
// journal entries of the command that changed them (see RecordWrite).

import Foundation
import GRDB

/// Shared column naming: Swift camelCase ↔ SQL snake_case.
public protocol CantineRecord: Codable, FetchableRecord, PersistableRecord, Sendable {}

extension CantineRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}

public struct MemberRecord: CantineRecord, Equatable {
    public static let databaseTableName = "members"
    public var id: String
    public var site: String
    public var name: String
    public var email: String?
    public var status: String
    public var createdUs: Int64
    /// The member agreed to their name on MQTT events.
    public var publishName: Bool
    public init(
        id: String, site: String, name: String, email: String?, status: String, createdUs: Int64,
        publishName: Bool = false
    ) {
        self.id = id
        self.site = site
        self.name = name
        self.email = email
        self.status = status
        self.createdUs = createdUs
        self.publishName = publishName
    }
}

public struct CredentialRecord: CantineRecord, Equatable {
    public static let databaseTableName = "credentials"
    public var id: String
    public var site: String
    public var memberId: String
    public var format: String
    public var facility: Int64
    public var cardNumber: Int64
    public var token: String
    public var enrolledUs: Int64
    public var revokedUs: Int64?
    public init(
        id: String, site: String, memberId: String, format: String, facility: Int64, cardNumber: Int64, token: String,
        enrolledUs: Int64, revokedUs: Int64? = nil
    ) {
        self.id = id
        self.site = site
        self.memberId = memberId
        self.format = format
        self.facility = facility
        self.cardNumber = cardNumber
        self.token = token
        self.enrolledUs = enrolledUs
        self.revokedUs = revokedUs
    }
}

public struct PlanRecord: CantineRecord, Equatable {
    public static let databaseTableName = "plans"
    public var id: String
    public var site: String
    public var memberId: String
    public var kind: String
    public var validFromUs: Int64
    public var validUntilUs: Int64?
    public init(id: String, site: String, memberId: String, kind: String, validFromUs: Int64, validUntilUs: Int64?) {
        self.id = id
        self.site = site
        self.memberId = memberId
        self.kind = kind
        self.validFromUs = validFromUs
        self.validUntilUs = validUntilUs
    }
}

public struct BookingRecord: CantineRecord, Equatable {
    public static let databaseTableName = "bookings"
    public var id: String
    public var site: String
    public var memberId: String
    public var resourceKind: String
    public var resourceId: String
    public var startUs: Int64
    public var endUs: Int64
    public var status: String
    public var createdUs: Int64
    public init(
        id: String, site: String, memberId: String, resourceKind: String, resourceId: String, startUs: Int64,
        endUs: Int64, status: String, createdUs: Int64
    ) {
        self.id = id
        self.site = site
        self.memberId = memberId
        self.resourceKind = resourceKind
        self.resourceId = resourceId
        self.startUs = startUs
        self.endUs = endUs
        self.status = status
        self.createdUs = createdUs
    }
}

public struct SessionRecord: CantineRecord, Equatable {
    public static let databaseTableName = "sessions"
    public var id: String
    public var site: String
    public var title: String
    public var roomId: String?
    public var startUs: Int64
    public var endUs: Int64
    public var kind: String
    public var track: String?
    /// JSON array of names.
    public var speakers: String
    /// The whole ProgramSession as JSON (nil in rows written before schema v9).
    public var session: Data?
    public init(
        id: String, site: String, title: String, roomId: String?, startUs: Int64, endUs: Int64, kind: String,
        track: String?, speakers: String, session: Data? = nil
    ) {
        self.session = session
        self.id = id
        self.site = site
        self.title = title
        self.roomId = roomId
        self.startUs = startUs
        self.endUs = endUs
        self.kind = kind
        self.track = track
        self.speakers = speakers
    }
}

extension Store {
    /// Reads records with a GRDB request closure.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// A member's name (personal data, never in the journal); nil when unknown or erased.
    public func memberName(_ id: String) -> String? {
        try? pool.read { db in try String.fetchOne(db, sql: "SELECT name FROM members WHERE id = ?", arguments: [id]) }
    }

    /// A member's name if they agreed to it being published (MQTT events); nil otherwise.
    public func publishableName(_ id: String) -> String? {
        try? pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT name FROM members WHERE id = ? AND publish_name = 1", arguments: [id])
        }
    }
}
