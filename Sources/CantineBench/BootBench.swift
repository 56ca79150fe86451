// `cantine bench boot`: how long after a power cut the doors work again on a large site.
// A site with N members (a resident plan and a badge each) and a journal of M events is kept
// as the daemon keeps it: a snapshot every `snapshot_every` events and, after the last one, the
// longest tail a cut can leave. Then `cantine serve` is exec'd on it, again and again from the
// same copy of the database; its boot marks (CLOCK_MONOTONIC, in its log) are read against the
// clock noted just before exec, and /healthz is polled until it answers. Figures, not assertions.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineDemo
import CantineGPIO
import CantineProtocol
import CantineSite
import CantineStore
import Foundation
import Logging
import Synchronization

/// Figures of the boot bench.
public struct BootBenchResult: Codable, Sendable {
    /// One start of the daemon on the same database.
    public struct Run: Codable, Sendable {
        /// exec → every relay claimed at its locked level.
        public var relaysLockedMs: Double
        /// exec → state rebuilt and the door readers running (a badge can be decided).
        public var readyMs: Double
        /// exec → the HTTP server listening.
        public var httpMs: Double
        /// exec → the first answer of /healthz (the bench polls every millisecond).
        public var healthzMs: Double
        /// Entries replayed after the snapshot.
        public var replayed: Int64

        enum CodingKeys: String, CodingKey {
            case relaysLockedMs = "relays_locked_ms", readyMs = "ready_ms", httpMs = "http_ms"
            case healthzMs = "healthz_ms", replayed
        }
    }

    public var members: Int
    public var events: Int64
    /// Entries after the newest snapshot (what a start replays).
    public var tail: Int64
    public var dbMB: Double
    public var snapshotMB: Double
    public var seedS: Double
    /// Medians over the runs.
    public var relaysLockedMs: Double
    public var readyMs: Double
    public var httpMs: Double
    public var runs: [Run]

    enum CodingKeys: String, CodingKey {
        case members, events, tail, dbMB = "db_mb", snapshotMB = "snapshot_mb", seedS = "seed_s"
        case relaysLockedMs = "relays_locked_ms", readyMs = "ready_ms", httpMs = "http_ms", runs
    }
}

extension Bench {
    /// Runs the boot bench: seeds the site once, then starts `executable serve` on a fresh copy
    /// of its database `runs` times.
    /// - Parameter cache: a directory that keeps the seeded site for the next run with the same
    ///   `members` and `events` (seeding 1M events takes minutes); nil seeds a scratch one.
    public static func boot(
        members: Int, events: Int, runs: Int, executable: String, directory: String, cache: String? = nil,
        logger: Logger
    ) throws -> BootBenchResult {
        let dir = directory + "/cantine-bench-boot-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = MosquittoProcess.freePort()
        let text = SampleConfig.text(databasePath: dir + "/site.db", simulated: true, httpPort: port)
            .replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
        let configPath = dir + "/cantine.toml"
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try Config.parse(text, file: configPath)

        let names = ["site.db", "site.db-wal", "site.db-shm"]
        let pristine = cache.map { "\($0)/site-\(members)-\(events)" } ?? dir + "/pristine"
        let seededFile = pristine + "/seeded.json"
        if let cache {  // before a seed of minutes, not after it
            do {
                try FileManager.default.createDirectory(atPath: pristine, withIntermediateDirectories: true)
            } catch {
                throw DaemonError("--site-cache \(cache): cannot create \(pristine) there: give a writable directory")
            }
        }
        let seeded: SeedFigures
        if let data = FileManager.default.contents(atPath: seededFile),
            let kept = try? JSONDecoder().decode(SeedFigures.self, from: data)
        {
            seeded = kept
            for f in names where FileManager.default.fileExists(atPath: pristine + "/" + f) {
                try FileManager.default.copyItem(atPath: pristine + "/" + f, toPath: dir + "/" + f)
            }
        } else {
            let seedStart = ContinuousClock.now
            var figures = try seed(config: config, members: members, events: events, logger: logger)
            figures.seconds = seconds(ContinuousClock.now - seedStart)
            seeded = figures
            try? FileManager.default.removeItem(atPath: pristine)
            try FileManager.default.createDirectory(atPath: pristine, withIntermediateDirectories: true)
            for f in names where FileManager.default.fileExists(atPath: dir + "/" + f) {
                try FileManager.default.copyItem(atPath: dir + "/" + f, toPath: pristine + "/" + f)
            }
            try JSONEncoder().encode(seeded).write(to: URL(fileURLWithPath: seededFile))
        }
        let seedS = seeded.seconds
        let files = names.filter { FileManager.default.fileExists(atPath: dir + "/" + $0) }
        let size = files.compactMap { try? FileManager.default.attributesOfItem(atPath: dir + "/" + $0)[.size] as? Int }
            .reduce(0, +)

        var results: [BootBenchResult.Run] = []
        for n in 0..<runs {
            if n > 0 {
                // The same database each time: the previous start's clean stop wrote a snapshot.
                for f in ["site.db", "site.db-wal", "site.db-shm"] {
                    try? FileManager.default.removeItem(atPath: dir + "/" + f)
                }
                for f in files { try FileManager.default.copyItem(atPath: pristine + "/" + f, toPath: dir + "/" + f) }
            }
            results.append(try start(executable: executable, config: configPath, port: port))
        }
        func median(_ key: KeyPath<BootBenchResult.Run, Double>) -> Double {
            percentile(results.map { $0[keyPath: key] }, 0.5)
        }
        return BootBenchResult(
            members: members, events: seeded.events, tail: seeded.tail, dbMB: Double(size) / 1_048_576,
            snapshotMB: Double(seeded.snapshotBytes) / 1_048_576, seedS: seedS,
            relaysLockedMs: median(\.relaysLockedMs), readyMs: median(\.readyMs), httpMs: median(\.httpMs),
            runs: results)
    }

    /// Builds the site: `members` members through the CLI's operations, then door traffic
    /// (members in at the entrance and out by the exit, the door opening and closing) and desk reports up to
    /// `events` entries, with a snapshot every `snapshot_every` entries as the daemon takes
    /// them; the last one is left `snapshot_every - 1` entries behind the end, the most a
    /// power cut leaves to replay.
    static func seed(config: Config, members: Int, events: Int, logger: Logger) throws -> SeedFigures {
        let every = Int64(config.settings.database.snapshotEvery)
        let line = TimedRelayLine(failSecure: true)
        let relay = RelayDriver(door: "entree", line: line, failSecure: true, deadline: { _, _ in })
        let runtime = try Site.open(
            config: config, role: .daemon, mode: .create, relays: ["entree": relay], version: cantineVersion,
            logger: logger)
        defer { runtime.close() }
        var lastSnapshot: Int64 = 0
        var snapshotBytes = 0
        let lastSnapshotAt = Int64(events) - (every - 1)
        /// A snapshot whenever `every` entries have passed since the last, as SnapshotService
        /// takes them, and the last one at `lastSnapshotAt`.
        func keep() throws {
            let seq = runtime.engine.lastSeq
            guard lastSnapshot < lastSnapshotAt,
                seq >= lastSnapshotAt || (seq - lastSnapshot >= every && seq < lastSnapshotAt)
            else { return }
            lastSnapshot = try runtime.snapshot()
            if lastSnapshot >= lastSnapshotAt {
                snapshotBytes = try SnapshotCoding.encode(runtime.engine.read { $0 }).count
            }
        }
        var cards: [WiegandFrame] = []
        cards.reserveCapacity(members)
        for n in 0..<members {
            cards.append(try Wiegand.encode(enrollMember(n, in: runtime)))
            try keep()
        }
        // A busy day's door, over and over: members come in at the entrance and leave by the
        // exit some 300 badges later, so a few hundred are inside at any time.
        let entrance = DoorInput(door: "entree", runtime: runtime)
        let exit = DoorInput(door: "sortie", runtime: runtime)
        let desks = config.desks.map { DeskID($0.id) }
        var rng = SplitMix64(seed: 32)
        var inside: [Int] = []
        var i = 0
        while runtime.engine.lastSeq < Int64(events) {
            switch i % 4 {
            case 0:
                if inside.count < 300 || i % 8 == 0 {
                    let n = Int.random(in: 0..<cards.count, using: &rng)
                    inside.append(n)
                    entrance.frame(cards[n])
                } else {
                    exit.frame(cards[inside.removeFirst()])
                }
            case 1: entrance.contact(open: true)
            case 2: entrance.contact(open: false)
            default:
                runtime.engine.submit(
                    .deskReported(DeskReport(desk: desks[i % desks.count], occupied: i % 8 == 3)), source: "bench")
            }
            i += 1
            try keep()
            // The daemon's UsageService folds the journal into the utilisation ledger as it goes.
            if i % 100_000 == 0 { _ = try runtime.usage.catchUp() }
            if i % 50_000 == 0 { while runtime.engine.lastSeq - runtime.journal.durableSeq > 200_000 { usleep(1000) } }
        }
        runtime.journal.flush()
        _ = try runtime.usage.catchUp()
        return SeedFigures(
            events: runtime.engine.lastSeq, tail: runtime.engine.lastSeq - lastSnapshot, snapshotBytes: snapshotBytes)
    }

    /// What the seed built (kept beside a cached site).
    struct SeedFigures: Codable {
        var events: Int64
        var tail: Int64
        var snapshotBytes: Int
        var seconds: Double = 0
    }

    /// Execs `executable serve --config config`, reads its boot marks, polls /healthz, stops it.
    static func start(executable: String, config: String, port: Int) throws -> BootBenchResult.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--config", config, "--log-level", "info"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        let marks = Mutex<[String: UInt64]>([:])
        let replayed = Mutex<Int64>(0)
        let log = Mutex<[String]>([])
        let reading = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var rest = ""
            while true {
                let data = err.fileHandleForReading.availableData
                if data.isEmpty { break }
                rest += String(decoding: data, as: UTF8.self)
                let lines = rest.split(separator: "\n", omittingEmptySubsequences: false)
                rest = String(lines.last ?? "")
                for line in lines.dropLast() {
                    log.withLock { $0.append(String(line)) }
                    if let applied = Self.field("replay.applied", in: line) {
                        replayed.withLock { $0 = Int64(applied) ?? 0 }
                    }
                    guard let nanos = Self.field(BootMark.clockKey, in: line).flatMap(UInt64.init) else { continue }
                    for mark in BootMark.allCases where line.hasSuffix(" " + mark.rawValue) {
                        marks.withLock { $0[mark.rawValue] = nanos }
                    }
                }
            }
            reading.signal()
        }
        let clock = SystemTime()
        let exec = clock.monotonicNanos()
        try process.run()
        var healthz: UInt64?
        let deadline = exec + 120_000_000_000
        while healthz == nil && process.isRunning && clock.monotonicNanos() < deadline {
            if LoopbackHTTP.get(port: port, path: "/healthz") != 0 {
                healthz = clock.monotonicNanos()
            } else {
                usleep(1000)
            }
        }
        // The marks are logged before /healthz can answer; give the log a moment to arrive.
        let all = BootMark.allCases.map(\.rawValue)
        while marks.withLock({ m in !all.allSatisfy { m[$0] != nil } }) && process.isRunning
            && clock.monotonicNanos() < deadline
        {
            usleep(1000)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        reading.wait()
        let got = marks.withLock { $0 }
        guard let healthz, all.allSatisfy({ got[$0] != nil }) else {
            let tail = log.withLock { $0.suffix(5).joined(separator: "\n") }
            throw DaemonError("bench boot: the daemon did not start (exit \(process.terminationStatus)):\n\(tail)")
        }
        func ms(_ at: UInt64) -> Double { Double(Int64(at) - Int64(exec)) / 1e6 }
        return BootBenchResult.Run(
            relaysLockedMs: ms(got[BootMark.relaysLocked.rawValue]!), readyMs: ms(got[BootMark.doorsReady.rawValue]!),
            httpMs: ms(got[BootMark.serving.rawValue]!), healthzMs: ms(healthz), replayed: replayed.withLock { $0 })
    }

    /// The value of `key=` in a logfmt-ish log line.
    static func field(_ key: String, in line: Substring) -> String? {
        guard let range = line.range(of: key + "=") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != " " })
    }
}
