// The MQTT outbox: messages kept in SQLite while the broker cannot take them, read back in
// order. Bounded by age (default 24 h) and count; state messages collapse to the latest.

import Foundation
import GRDB

/// An outbound MQTT message waiting in the outbox.
public struct OutboxMessage: Equatable, Sendable {
    /// Position in the outbox (delivery order); 0 before it is stored.
    public var id: Int64
    public var createdUs: Int64
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool
    /// Messages with the same key replace each other (retained state: only the latest matters).
    public var collapse: String?

    public init(
        id: Int64 = 0, createdUs: Int64, topic: String, payload: [UInt8], qos: Int, retain: Bool,
        collapse: String? = nil
    ) {
        self.id = id
        self.createdUs = createdUs
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.collapse = collapse
    }
}

extension Store {
    /// Appends messages in order (a message with a collapse key first removes the older one
    /// with that key), then drops rows older than `maxAgeUs` before `nowUs` and beyond
    /// `maxRows`, oldest first. Returns how many rows were dropped by the bounds.
    @discardableResult
    public func outboxAppend(
        _ messages: [OutboxMessage], site: String, nowUs: Int64, maxAgeUs: Int64, maxRows: Int = 100_000
    ) throws -> Int {
        try pool.write { db in
            for m in messages {
                if let key = m.collapse {
                    try db.execute(sql: "DELETE FROM mqtt_outbox WHERE collapse = ?", arguments: [key])
                }
                try db.execute(
                    sql: """
                        INSERT INTO mqtt_outbox (site, created_us, topic, payload, qos, retain, collapse)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [site, m.createdUs, m.topic, Data(m.payload), m.qos, m.retain, m.collapse])
            }
            try db.execute(sql: "DELETE FROM mqtt_outbox WHERE created_us < ?", arguments: [nowUs - maxAgeUs])
            var dropped = db.changesCount
            try db.execute(
                sql: "DELETE FROM mqtt_outbox WHERE id <= (SELECT max(id) FROM mqtt_outbox) - ?", arguments: [maxRows])
            dropped += db.changesCount
            return dropped
        }
    }

    /// The oldest `limit` messages, in delivery order.
    public func outboxPeek(limit: Int = 500) throws -> [OutboxMessage] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT id, created_us, topic, payload, qos, retain, collapse FROM mqtt_outbox ORDER BY id LIMIT ?",
                arguments: [limit]
            ).map { r in
                OutboxMessage(
                    id: r["id"], createdUs: r["created_us"], topic: r["topic"], payload: [UInt8](r["payload"] as Data),
                    qos: r["qos"], retain: r["retain"], collapse: r["collapse"])
            }
        }
    }

    /// Removes delivered messages.
    public func outboxDelete(ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try pool.write { db in
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ ids[$0..<min($0 + 500, ids.count)] }) {
                try db.execute(
                    sql: "DELETE FROM mqtt_outbox WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments(Array(chunk)))
            }
        }
    }

    /// Messages waiting.
    public func outboxCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM mqtt_outbox") ?? 0 }
    }

    /// Sets a meta value (replacing any).
    public func metaSet(_ key: String, _ value: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }
}
