// `cantine bench network`: three sites (Paris, Nantes, Rennes), each with its own SQLite
// file and its own mosquitto, bridged to a hub mosquitto — all on loopback, configured by the
// same generators as `cantine network bridge-config` and `hub-config`. Measures how long a
// revocation at Paris takes to reach Nantes's state (from the command at Paris), and an
// occupancy change at Paris to reach Nantes's network view. Figures, not assertions.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineDemo
import CantineMQTT
import CantineNetwork
import CantineProtocol
import CantineSite
import CantineStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Figures of the network bench.
public struct NetworkBenchResult: Codable, Sendable {
    public var samples: Int
    public var revocationP50Ms: Double
    public var revocationP99Ms: Double
    public var revocationMaxMs: Double
    public var occupancyP50Ms: Double
    public var occupancyP99Ms: Double
    public var occupancyMaxMs: Double
    /// Samples that did not arrive within 10 s (counted, not timed).
    public var lost: Int

    enum CodingKeys: String, CodingKey {
        case samples, revocationP50Ms = "revocation_p50_ms", revocationP99Ms = "revocation_p99_ms"
        case revocationMaxMs = "revocation_max_ms", occupancyP50Ms = "occupancy_p50_ms"
        case occupancyP99Ms = "occupancy_p99_ms", occupancyMaxMs = "occupancy_max_ms", lost
    }
}

extension Bench {
    static let benchSites = ["paris", "nantes", "rennes"]

    /// Runs the three-site network and takes `samples` revocations and occupancy changes.
    public static func network(samples: Int, directory: String, logger: Logger) async throws -> NetworkBenchResult {
        let dir = directory + "/cantine-bench-network-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var brokers: [MosquittoProcess] = []
        defer { brokers.forEach { $0.stop() } }

        // The hub: a user per site, the generated ACL.
        let passwords = benchSites.map { "\($0):pw-\($0)" }.joined(separator: "\n") + "\n"
        try passwords.write(toFile: dir + "/hub.passwd", atomically: true, encoding: .utf8)
        try MosquittoProcess.hashPasswords(dir + "/hub.passwd")
        try BridgeConfig.hubACL().write(toFile: dir + "/hub.acl", atomically: true, encoding: .utf8)
        let hub = try MosquittoProcess.start(directory: dir) {
            BridgeConfig.hub(port: $0, dir: dir, data: dir, tls: nil)
        }
        brokers.append(hub)

        var keys: [String: String] = [:]
        for site in benchSites { keys[site] = NetworkKeys.newPrivateKey() }
        let sitesSection = benchSites.map { "\($0) = \"\(NetworkKeys.publicKey(of: keys[$0]!)!)\"" }
            .joined(separator: "\n")
        var runtimes: [String: Site] = [:]
        var services: [any Service] = []
        let secret = CredentialTokenizer.newSecretHex()
        for site in benchSites {
            let bridge = BridgeConfig.bridge(
                .init(site: SiteID(site), hub: "127.0.0.1:\(hub.port)", password: "pw-\(site)", caFile: nil))
            let broker = try MosquittoProcess.start(directory: dir) {
                "listener \($0) 127.0.0.1\nallow_anonymous true\npersistence false\n" + bridge
            }
            brokers.append(broker)
            let port = broker.port
            try keys[site]!.write(toFile: "\(dir)/\(site).key", atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: "\(dir)/\(site)", withIntermediateDirectories: true)
            let text =
                SampleConfig.text(databasePath: "\(dir)/\(site)/cantine.db", simulated: true, mqttPort: port)
                .replacingOccurrences(of: "id = \"paris\"", with: "id = \"\(site)\"")
                + "\n[network]\nkey_file = \"\(dir)/\(site).key\"\ncredential_secret = \"\(secret)\"\n[network.sites]\n\(sitesSection)\n"
            let config = try Config.parse(text, file: "\(site).toml")
            let runtime = try Site.open(
                config: config, role: .daemon, mode: .create, version: cantineVersion, logger: logger)
            runtimes[site] = runtime
            services.append(
                try NetworkService(
                    settings: config.settings, network: config.settings.network!, runtime: runtime, logger: logger))
        }
        defer { runtimes.values.forEach { _ = $0.close() } }
        let paris = runtimes["paris"]!
        let nantes = runtimes["nantes"]!
        _ = try paris.apply(.addMember(id: "m-bench", name: "Bench", email: nil), source: "bench")
        _ = try paris.apply(.grantPlan(member: "m-bench", kind: .staff, from: "today", days: 1), source: "bench")
        _ = try paris.apply(
            .enrollBadge(member: "m-bench", format: .h10301, facility: 1, card: 1, id: nil, pin: nil), source: "bench")

        let group = ServiceGroup(
            services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Result<NetworkBenchResult, any Error>
            do {
                result = .success(try await measure(paris: paris, nantes: nantes, samples: samples))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    /// Times `samples` revocations (Paris's command to Nantes's state) and as many occupancy
    /// changes (a badge at Paris's door to Nantes's network view).
    static func measure(paris: Site, nantes: Site, samples: Int) async throws -> NetworkBenchResult {
        var lost = 0
        // Warm up: the record reaches Nantes once before timing.
        let first = await wait(nantes) { $0.network?.visitors["m-bench@paris"]?.record.credentials.isEmpty == false }
        guard first != nil else {
            throw DaemonError("bench network: the first record never reached Nantes (are the bridges up?)")
        }
        var revocations: [Double] = []
        for i in 0..<samples {
            let revoked = i % 2 == 0
            let start = ContinuousClock.now
            _ = try await paris.perform(.setMemberStatus(member: "m-bench", active: !revoked), source: "bench")
            let arrived = await wait(nantes) { $0.network?.visitors["m-bench@paris"]?.record.revoked == revoked }
            if let arrived { revocations.append(milliseconds(arrived - start)) } else { lost += 1 }
        }
        if samples % 2 == 1 {
            _ = try await paris.perform(.setMemberStatus(member: "m-bench", active: true), source: "bench")
        }
        var occupancy: [Double] = []
        let entree = DoorInput(door: "entree", runtime: paris)
        let sortie = DoorInput(door: "sortie", runtime: paris)
        let card = try Wiegand.encode(CardRead(format: .h10301, facility: 1, card: 1))
        for i in 0..<samples {
            let inside = i % 2 == 0
            let start = ContinuousClock.now
            if inside { entree.frame(card) } else { sortie.frame(card) }
            let arrived = await wait(nantes) { _ in
                let row = try? nantes.store.networkSites().first { $0.id == "paris" }
                let summary = row.flatMap { try? JSONDecoder().decode(SiteSummary.self, from: Data($0.summary.utf8)) }
                return summary?.peoplePresent == (inside ? 1 : 0)
            }
            if let arrived { occupancy.append(milliseconds(arrived - start)) } else { lost += 1 }
        }
        return NetworkBenchResult(
            samples: samples, revocationP50Ms: percentile(revocations, 0.5),
            revocationP99Ms: percentile(revocations, 0.99), revocationMaxMs: revocations.max() ?? 0,
            occupancyP50Ms: percentile(occupancy, 0.5), occupancyP99Ms: percentile(occupancy, 0.99),
            occupancyMaxMs: occupancy.max() ?? 0, lost: lost)
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// Waits (up to 10 s) on `runtime`'s notices until `done` holds; when it did, or nil.
    static func wait(_ runtime: Site, until done: @escaping @Sendable (State) -> Bool) async
        -> ContinuousClock.Instant?
    {
        await runtime.wait(until: done) ? .now : nil
    }
}
