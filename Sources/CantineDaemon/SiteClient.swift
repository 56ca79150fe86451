// How a one-shot CLI command reaches the site. Reads go straight to the database (WAL lets
// them run beside the daemon). Changes go through the daemon's inbox when a daemon holds
// the lock — it is the journal's only writer — and are performed locally otherwise.

import CantineConfig
import CantineCore
import CantineSite
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
        let runtime = try Site.open(config: config, role: .tool, version: cantineVersion, logger: logger)
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

    /// Whether a daemon holds the site (and so reads the doors).
    public var daemonRunning: Bool { ProcessLock.isHeld(databasePath: config.database.path) }

    /// Waits up to `timeout` seconds for a card nobody holds to be read at `door` by the running
    /// daemon, after journal entry `after` (default: the last one written now).
    public func nextUnknownCard(at door: String, after: Int64? = nil, timeout: Int) async throws -> UnknownRead {
        try checkDoor(door)
        guard daemonRunning else {
            throw DaemonError(
                "no daemon is running, so nothing reads the \(door) reader: start `cantine serve`, or give --card")
        }
        let store = try openStore()
        let start = try after ?? store.lastJournalSeq()
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let read = try store.unknownReads(afterSeq: start, door: door).first { return read }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DaemonError(
            "no unknown badge was read at \(door) within \(timeout) s: present it to the reader and try again (a badge already enrolled is not offered)"
        )
    }

    /// The last card nobody holds read within `within` (at `door` if given).
    public func lastUnknownCard(at door: String?, within: Span, now: Instant = Instant(Date())) throws -> UnknownRead {
        if let door { try checkDoor(door) }
        let reads = try openStore().unknownReads(afterSeq: 0, door: door, sinceUs: (now - within).micros)
        guard let read = reads.last else {
            let place = door.map { "at \($0) " } ?? ""
            throw DaemonError(
                "no unknown badge was read \(place)in the last \(Int(within.seconds / 60)) minutes: present it to a reader first, or use --reader to wait for it"
            )
        }
        return read
    }

    func checkDoor(_ door: String) throws(DaemonError) {
        guard config.doors.contains(where: { $0.id == door }) else {
            throw DaemonError("no door '\(door)': the doors are \(config.doors.map(\.id).joined(separator: ", "))")
        }
    }

    /// Opens the database for reading (migrating it if this build is newer).
    public func openStore() throws(StoreError) -> Store {
        try Store(path: config.database.path, mode: .existing)
    }
}
