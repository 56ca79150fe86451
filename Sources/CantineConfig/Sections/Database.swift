// `[database]`: where the SQLite file lives, how often the state is snapshotted, and how long
// entries may wait to share a commit.

extension Config {
    /// `[database]` as written.
    public struct DatabaseSection: Codable, Equatable, Sendable {
        public var path: String
        /// Events between automatic state snapshots.
        public var snapshotEvery: Int?
        /// Milliseconds entries nobody waits for may wait to share a commit.
        public var commitLingerMs: Int?
        enum CodingKeys: String, CodingKey {
            case path, snapshotEvery = "snapshot_every", commitLingerMs = "commit_linger_ms"
        }
    }
}

extension Settings {
    /// The database, resolved.
    public struct Database: Equatable, Sendable {
        public var path: String
        /// Events between automatic state snapshots (replay starts from the latest).
        public var snapshotEvery: Int
        /// Milliseconds entries nobody waits for may wait to share a commit.
        public var commitLingerMs: Int
    }
}

extension Config.DatabaseSection {
    var resolved: Settings.Database {
        Settings.Database(
            path: path, snapshotEvery: Defaults.snapshotEvery.or(snapshotEvery),
            commitLingerMs: Defaults.commitLingerMs.or(commitLingerMs))
    }

    func validate(_ check: Checks) throws(ConfigError) {
        guard !path.isEmpty else { throw check.fail("database.path", "expected the path of the SQLite file") }
        try Defaults.snapshotEvery.check(snapshotEvery, file: check.file)
        try Defaults.commitLingerMs.check(commitLingerMs, file: check.file)
    }
}
