// The inbox: how a CLI command reaches a running daemon. The CLI inserts a request and
// waits; the daemon (the journal's only writer while it runs) processes requests in order
// and writes the response. Request bodies are cleared once processed.

import Foundation
import GRDB

/// A request waiting in the inbox.
public struct InboxRequest: Sendable {
    public var id: Int64
    public var body: Data
}

/// What became of an inbox request.
public enum InboxOutcome: Sendable, Equatable {
    case pending
    case done(String)
    case failed(String)
}

extension Store {
    /// Queues a request for the daemon; returns its id.
    public func inboxSubmit(_ body: Data, now: Int64) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO inbox(created_us, request) VALUES (?, ?)", arguments: [now, body])
            return db.lastInsertedRowID
        }
    }

    /// Requests not processed yet, oldest first.
    public func inboxPending(limit: Int = 100) throws -> [InboxRequest] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, request FROM inbox WHERE status = 'pending' ORDER BY id LIMIT ?",
                arguments: [limit]
            ).map { InboxRequest(id: $0[0], body: $0[1] ?? Data()) }
        }
    }

    /// Records the outcome of a request and clears its body.
    public func inboxComplete(_ id: Int64, ok: Bool, response: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE inbox SET status = ?, response = ?, request = NULL WHERE id = ?",
                arguments: [ok ? "done" : "failed", response, id])
        }
    }

    /// The outcome of a request (and deletes it once final).
    public func inboxOutcome(_ id: Int64) throws -> InboxOutcome {
        try pool.write { db in
            guard
                let row = try Row.fetchOne(db, sql: "SELECT status, response FROM inbox WHERE id = ?", arguments: [id])
            else { return .failed("request \(id) vanished from the inbox") }
            let status: String = row[0]
            let response: String = row[1] ?? ""
            switch status {
            case "pending": return .pending
            default:
                try db.execute(sql: "DELETE FROM inbox WHERE id = ?", arguments: [id])
                return status == "done" ? .done(response) : .failed(response)
            }
        }
    }

    /// Drops a request that was never processed (the CLI gave up waiting).
    public func inboxWithdraw(_ id: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM inbox WHERE id = ? AND status = 'pending'", arguments: [id])
        }
    }
}
