// How a one-shot CLI command reaches the site. Reads go straight to the database (WAL lets
// them run beside the daemon). Changes go through the daemon's inbox when a daemon holds
// the lock — it is the journal's only writer — and are performed locally otherwise.

import CantineCore
import CantineStore
import Foundation
import Logging

/// Performs operations and reads for the CLI.
public struct SiteClient: Sendable {
    public let config: Config
    let logger: Logger

    public init(config: Config, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Performs `op`, through the running daemon if there is one.
    public func perform(_ op: SiteOperation, timeout: Duration = .seconds(10)) async throws -> OperationResult {
        let path = config.database.path
        if ProcessLock.isHeld(databasePath: path) {
            return try await viaDaemon(op, timeout: timeout)
        }
        let runtime = try Runtime.open(config: config, role: .tool, version: cantineVersion, logger: logger)
        defer { runtime.close() }
        return try await runtime.perform(op, source: "cli")
    }

    func viaDaemon(_ op: SiteOperation, timeout: Duration) async throws -> OperationResult {
        let store = try openStore()
        let id = try store.inboxSubmit(try JSONEncoder().encode(op), now: Instant(Date()).micros)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch try store.inboxOutcome(id) {
            case .pending: try await Task.sleep(for: .milliseconds(50))
            case .done(let json): return try JSONDecoder().decode(OperationResult.self, from: Data(json.utf8))
            case .failed(let message): throw CommandError(message)
            }
        }
        try store.inboxWithdraw(id)
        throw DaemonError("the running daemon did not answer within \(timeout): check `systemctl status cantine`")
    }

    /// Opens the database for reading (migrating it if this build is newer).
    public func openStore() throws(StoreError) -> Store {
        try Store(path: config.database.path, mode: .existing)
    }
}
