// `[database]`: where the SQLite file lives and how often the state is snapshotted.

extension Config {
    /// `[database]` as written.
    public struct DatabaseSection: Codable, Equatable, Sendable {
        public var path: String
        /// Events between automatic state snapshots.
        public var snapshotEvery: Int?
        enum CodingKeys: String, CodingKey { case path, snapshotEvery = "snapshot_every" }
    }
}

extension Settings {
    /// The database, resolved.
    public struct Database: Equatable, Sendable {
        public var path: String
        /// Events between automatic state snapshots (replay starts from the latest).
        public var snapshotEvery: Int
    }
}

extension Config.DatabaseSection {
    var resolved: Settings.Database {
        Settings.Database(path: path, snapshotEvery: Defaults.snapshotEvery.or(snapshotEvery))
    }

    func validate(_ check: Checks) throws(ConfigError) {
        guard !path.isEmpty else { throw check.fail("database.path", "expected the path of the SQLite file") }
        try Defaults.snapshotEvery.check(snapshotEvery, file: check.file)
    }
}
