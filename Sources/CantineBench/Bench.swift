// `cantine bench journal`: durable, group-committed append throughput through the engine,
// and the time to replay the journal from the first entry. Figures, not assertions.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineProtocol
import CantineSite
import CantineStore
import Foundation
import Logging

/// Figures of the journal bench.
public struct JournalBenchResult: Codable, Sendable {
    public var events: Int
    public var appendPerS: Double
    public var replayS: Double
    public var replayPerS: Double
    public var batches: Int64
    public var dbMB: Double
    public var digestMatches: Bool

    enum CodingKeys: String, CodingKey {
        case events, appendPerS = "append_per_s", replayS = "replay_s", replayPerS = "replay_per_s", batches
        case dbMB = "db_mb", digestMatches = "digest_matches"
    }
}

/// The value below which a fraction `p` of `values` lie (nearest rank).
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
}

public enum Bench {
    /// Appends `events` realistic events (badges, door contacts, desk reports) through the engine,
    /// waits until they are durable, then replays them all.
    public static func journal(events: Int, directory: String, logger: Logger) throws -> JournalBenchResult {
        let dir = directory + "/cantine-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = SampleConfig.text(databasePath: dir + "/bench.db", simulated: true)
            .replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
        let config = try Config.parse(text, file: "bench.toml")
        let runtime = try Site.open(
            config: config, role: .daemon, mode: .create, version: cantineVersion, logger: logger)
        _ = try runtime.apply(.addMember(id: "m-bench", name: "Bench", email: nil), source: "bench")
        _ = try runtime.apply(.grantPlan(member: "m-bench", kind: .staff, from: "2026-01-01", days: 1), source: "bench")
        _ = try runtime.apply(
            .enrollBadge(member: "m-bench", format: .h10301, facility: 1, card: 1, id: nil, pin: nil), source: "bench")
        runtime.journal.flush()

        let door = DoorInput(door: "entree", runtime: runtime)
        let good = try Wiegand.encode(CardRead(format: .h10301, facility: 1, card: 1))
        let desks = config.desks.map { DeskID($0.id) }
        let start = ContinuousClock.now
        for i in 0..<events {
            switch i % 4 {
            case 0: door.frame(good)
            case 1: door.contact(open: true)
            case 2: door.contact(open: false)
            default:
                runtime.engine.submit(
                    .deskReported(DeskReport(desk: desks[i % desks.count], occupied: i % 8 == 3)), source: "bench")
            }
            // Keep the queue bounded the way a real site never fills it.
            if i % 50_000 == 0 { while runtime.engine.lastSeq - runtime.journal.durableSeq > 200_000 { usleep(1000) } }
        }
        runtime.journal.flush()
        let appendSeconds = seconds(ContinuousClock.now - start)
        let batches = runtime.journal.batches
        let live = StateDigest.of(runtime.engine.read { $0 })
        runtime.close()

        let store = try Store(path: dir + "/bench.db")
        let replay = try Replay.rebuild(store: store, useSnapshot: false)
        let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/bench.db")[.size] as? Int) ?? 0
        return JournalBenchResult(
            events: events, appendPerS: Double(events) / appendSeconds, replayS: replay.seconds,
            replayPerS: Double(replay.applied) / replay.seconds, batches: batches, dbMB: Double(size) / 1_048_576,
            digestMatches: replay.digest == live)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
