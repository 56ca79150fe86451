// The network's records (schema v6): the versions this site published per member, the
// network view (each site's last verified summary and when it was heard), refused messages.
// None of it is journaled: it mirrors what other sites say, and is rebuilt from their
// retained messages on reconnect.

import CantineCore
import Foundation
import GRDB

/// A site of the network as last heard: its verified summary (JSON) and the local time it
/// arrived.
public struct NetworkSiteRow: Codable, FetchableRecord, Sendable, Equatable {
    public var id: String
    public var summary: String
    public var heardUs: Int64
    public init(id: String, summary: String, heardUs: Int64) {
        self.id = id
        self.summary = summary
        self.heardUs = heardUs
    }
    enum CodingKeys: String, CodingKey { case id, summary, heardUs = "heard_us" }
}

/// A message refused by this site (bad signature, unknown site, wrong prefix, malformed).
public struct NetworkRejectionRow: Codable, FetchableRecord, Sendable, Equatable {
    public var atUs: Int64
    public var topic: String
    public var reason: String
    enum CodingKeys: String, CodingKey { case atUs = "at_us", topic, reason }
}

extension Store {
    /// Refused messages kept for the network view.
    static let keptRejections = 100

    /// Member id → (version, content digest) of the records this site published.
    public func networkPublished() throws -> [String: (version: Int64, digest: String)] {
        try pool.read { db in
            var out: [String: (Int64, String)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT member_id, version, digest FROM network_published") {
                out[row["member_id"]] = (row["version"], row["digest"])
            }
            return out
        }
    }

    /// Remembers the records about to be published (before publishing them).
    public func setNetworkPublished(_ records: [(member: String, version: Int64, digest: String)], site: String)
        throws
    {
        try pool.write { db in
            for r in records {
                try db.execute(
                    sql: """
                        INSERT INTO network_published(member_id, site, version, digest) VALUES (?,?,?,?)
                        ON CONFLICT(member_id) DO UPDATE SET version = excluded.version, digest = excluded.digest
                        """,
                    arguments: [r.member, site, r.version, r.digest])
            }
        }
    }

    /// Stores a site's verified summary, heard at `heardUs` (local clock).
    public func upsertNetworkSite(_ row: NetworkSiteRow, site: String) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO network_sites(id, site, summary, heard_us) VALUES (?,?,?,?)
                    ON CONFLICT(id) DO UPDATE SET summary = excluded.summary, heard_us = excluded.heard_us
                    """,
                arguments: [row.id, site, row.summary, row.heardUs])
        }
    }

    /// Every site heard of, by id.
    public func networkSites() throws -> [NetworkSiteRow] {
        try pool.read { db in
            try NetworkSiteRow.fetchAll(db, sql: "SELECT id, summary, heard_us FROM network_sites ORDER BY id")
        }
    }

    /// Records a refused message (the newest hundred are kept).
    public func addNetworkRejection(atUs: Int64, topic: String, reason: String, site: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO network_rejections(site, at_us, topic, reason) VALUES (?,?,?,?)",
                arguments: [site, atUs, topic, reason])
            try db.execute(
                sql: "DELETE FROM network_rejections WHERE id <= (SELECT max(id) FROM network_rejections) - ?",
                arguments: [Self.keptRejections])
        }
    }

    /// The newest refused messages, newest first.
    public func networkRejections(limit: Int = 20) throws -> [NetworkRejectionRow] {
        try pool.read { db in
            try NetworkRejectionRow.fetchAll(
                db, sql: "SELECT at_us, topic, reason FROM network_rejections ORDER BY id DESC LIMIT ?",
                arguments: [limit])
        }
    }

    /// Keeps messages for the broker (visit reports while it is away), in order; beyond
    /// `maxRows` the oldest go.
    public func networkOutboxAppend(
        _ messages: [(topic: String, payload: [UInt8])], atUs: Int64, site: String, maxRows: Int = 10_000
    )
        throws
    {
        try pool.write { db in
            for m in messages {
                try db.execute(
                    sql: "INSERT INTO network_outbox(site, created_us, topic, payload) VALUES (?,?,?,?)",
                    arguments: [site, atUs, m.topic, Data(m.payload)])
            }
            try db.execute(
                sql: "DELETE FROM network_outbox WHERE id <= (SELECT max(id) FROM network_outbox) - ?",
                arguments: [maxRows])
        }
    }

    /// The oldest waiting messages, in order.
    public func networkOutbox(limit: Int = 500) throws -> [(id: Int64, topic: String, payload: [UInt8])] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, topic, payload FROM network_outbox ORDER BY id LIMIT ?", arguments: [limit]
            )
            .map { row in (row["id"], row["topic"], [UInt8]((row["payload"] as Data?) ?? Data())) }
        }
    }

    /// Forgets messages the broker took.
    public func networkOutboxDelete(ids: [Int64]) throws {
        guard let last = ids.max() else { return }
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM network_outbox WHERE id <= ? AND id >= ?", arguments: [last, ids.min() ?? last])
        }
    }

    /// The badges in use (not revoked), with their card numbers: the home site computes their
    /// network tokens from these.
    public func activeCredentials() throws -> [CredentialRecord] {
        try pool.read { db in try CredentialRecord.filter(sql: "revoked_us IS NULL").fetchAll(db) }
    }
}

/// The network view: every site heard of (stale when silent), and the newest refused messages.
public struct NetworkStatus: Codable, Sendable, Equatable {
    public var sites: [NetworkSite]
    public var refused: [NetworkRejectionRow]

    public init(sites: [NetworkSite], refused: [NetworkRejectionRow]) {
        self.sites = sites
        self.refused = refused
    }

    /// Reads the view from `store` as of `now`.
    public static func read(store: Store, now: Instant, staleAfter: Span) throws -> NetworkStatus {
        let sites = try store.networkSites().compactMap {
            NetworkSite.decode(summary: $0.summary, heardUs: $0.heardUs, now: now, staleAfter: staleAfter)
        }
        return NetworkStatus(sites: sites, refused: try store.networkRejections())
    }
}
