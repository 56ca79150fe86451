// The floor's use per day (`usage_days`): what the site's usage fold closes, kept through
// compaction, read back for the utilisation history; and where the fold stands (`usage_fold`).

import CantineCore
import Foundation
import GRDB

extension Store {
    /// The stored days from `from` through `to` (`YYYY-MM-DD`, inclusive), in order.
    public func usageDays(site: SiteID, from: String, through to: String) throws -> [DayUsage] {
        let decoder = JSONDecoder()
        return try pool.read { db in
            try Data.fetchAll(
                db, sql: "SELECT usage FROM usage_days WHERE site = ? AND day >= ? AND day <= ? ORDER BY day",
                arguments: [site.rawValue, from, to]
            ).map { try decoder.decode(DayUsage.self, from: $0) }
        }
    }

    /// Stores `days`; a day seen only in part never replaces one seen whole.
    public func saveUsageDays(_ days: [DayUsage], site: SiteID) throws {
        guard !days.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let rows = try days.map { ($0.day, $0.complete, try encoder.encode($0)) }
        try pool.write { db in
            for (day, complete, data) in rows {
                try db.execute(
                    sql: """
                        INSERT INTO usage_days(site, day, complete, usage) VALUES (?,?,?,?)
                        ON CONFLICT(site, day) DO UPDATE SET complete = excluded.complete, usage = excluded.usage
                        WHERE excluded.complete >= usage_days.complete
                        """, arguments: [site.rawValue, day, complete, data])
            }
        }
    }
}

extension Store {
    /// Where the usage fold stood when last saved; nil if never saved or unreadable (the fold
    /// then starts over).
    public func usageProgress(site: SiteID) throws -> UsageFold.Progress? {
        let data = try pool.read { db in
            try Data.fetchOne(db, sql: "SELECT progress FROM usage_fold WHERE site = ?", arguments: [site.rawValue])
        }
        return data.flatMap { try? JSONDecoder().decode(UsageFold.Progress.self, from: $0) }
    }

    /// Keeps where the usage fold stands.
    public func saveUsageProgress(_ progress: UsageFold.Progress, site: SiteID) throws {
        let data = try JSONEncoder().encode(progress)
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO usage_fold(site, seq, progress) VALUES (?,?,?)",
                arguments: [site.rawValue, progress.seq, data])
        }
    }
}
