// `cantine bench ingest`: a real mosquitto on loopback, simulated desk nodes publishing QoS 1
// reports at full speed, the daemon's MQTT service taking them in (validated, applied,
// journaled, states published) while `mosquitto_sub` receives the same stream; a probe
// node meanwhile times report → desk state leaving the daemon. Figures, not assertions.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineDemo
import CantineMQTT
import CantineProtocol
import CantineSite
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Figures of the ingest bench.
public struct IngestBenchResult: Codable, Sendable {
    public var reports: Int
    public var nodes: Int
    /// Reports per second taken in by the daemon until the last one was journaled durably.
    public var ingestPerS: Double
    /// Reports per second `mosquitto_sub` received from the same stream.
    public var mosquittoSubPerS: Double
    public var ratio: Double
    /// Report published → its desk's new state received from the broker, under the load.
    public var p50Ms: Double
    public var p99Ms: Double
    public var probes: Int
    /// The same timing under a paced load (`pacedPerS` reports/s offered, below saturation).
    public var pacedPerS: Int
    public var pacedP50Ms: Double
    public var pacedP99Ms: Double
    public var pacedProbes: Int
    public var rejected: Int
    public var dropped: Int

    enum CodingKeys: String, CodingKey {
        case reports, nodes, ingestPerS = "ingest_per_s", mosquittoSubPerS = "mosquitto_sub_per_s", ratio
        case p50Ms = "p50_ms", p99Ms = "p99_ms", probes, pacedPerS = "paced_per_s", pacedP50Ms = "paced_p50_ms"
        case pacedP99Ms = "paced_p99_ms", pacedProbes = "paced_probes", rejected, dropped
    }
}

extension Bench {
    /// Runs the ingest bench: `reports` reports from `nodes` nodes (one desk each) at full
    /// speed, then `pacedSeconds` at `pacedPerS` reports/s, with a probe node on a desk of its
    /// own timing report → state in both phases.
    public static func ingest(
        reports: Int, nodes: Int, pacedPerS: Int = 2000, pacedSeconds: Int = 5, directory: String, logger: Logger
    ) async throws -> IngestBenchResult {
        let dir = directory + "/cantine-ingest-\(getpid())"
        try FileManager.default.createDirectory(
            atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mosquitto_sub") else {
            throw DaemonError("mosquitto_sub not found: apt install mosquitto-clients")
        }
        // Unlimited queues and in-flight windows: the broker drops nothing and paces no one.
        let broker = try MosquittoProcess.start(directory: dir) {
            "listener \($0) 127.0.0.1\nallow_anonymous true\npersistence false\n"
                + "max_inflight_messages 0\nmax_queued_messages 0\nmax_queued_bytes 0\nset_tcp_nodelay true\n"
        }
        defer { broker.stop() }
        let port = broker.port

        // One desk per node plus the probe's; no hysteresis, no flood limit: every report counts.
        let perZone = (nodes + 2) / 2
        let text =
            SampleConfig.text(
                databasePath: dir + "/bench.db", simulated: true, mqttPort: port, desksPerZone: perZone
            )
            .replacingOccurrences(of: "occupied_after_s = 5 ", with: "occupied_after_s = 0 ")
            .replacingOccurrences(of: "vacant_after_s = 120 ", with: "vacant_after_s = 0   ")
            .replacingOccurrences(of: "max_reports_per_s = 2 ", with: "max_reports_per_s = 0 ")
        let config = try Config.parse(text, file: "bench.toml")
        let desks = config.desks.map(\.id)
        let probeDesk = desks.last!
        let loadDesks = Array(desks.prefix(nodes))
        let runtime = try Site.open(
            config: config, role: .daemon, mode: .create, version: cantineVersion, logger: logger)
        defer { runtime.close() }
        let service = try MQTTService(settings: config.settings, runtime: runtime, logger: logger)
        let group = ServiceGroup(
            services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        let topics = Topics(site: config.siteID)

        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { Task { await group.triggerGracefulShutdown() } }
            guard service.client.wait(connected: true, timeout: 10) else {
                throw DaemonError("the daemon did not connect to the bench broker")
            }
            // The state of the probe's desk, as it leaves the daemon.
            let probeWatch = try BenchClient(
                port: port, id: "bench-probe-watch", subscribe: [topics.deskState(DeskID(probeDesk))])
            let probe = try BenchClient(port: port, id: "bench-probe", subscribe: [])
            let clients = try loadDesks.map { try BenchClient(port: port, id: "bench-node-\($0)", subscribe: []) }

            // mosquitto_sub on the same stream, started (and subscribed) before the load.
            let sub = Process()
            sub.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
            sub.arguments = [
                "-oL", "/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-i", "bench-sub",
                "-t", topics.prefix + "desks/+/report", "-F", "%t",
            ]
            let out = Pipe()
            sub.standardOutput = out
            try sub.run()
            // Counts the load's reports it receives (not the probe's), and when it has them all;
            // it is ready once the first of our markers comes through.
            let subReady = DispatchSemaphore(value: 0)
            let subDone = DispatchSemaphore(value: 0)
            let subEnd = Mutex<UInt64>(0)
            let probeTopic = topics.deskReport(DeskID(probeDesk))
            Thread.detachNewThread {
                var count = 0
                var ready = false
                var rest = ""
                while count < reports {
                    let data = out.fileHandleForReading.availableData
                    if data.isEmpty { break }
                    rest += String(decoding: data, as: UTF8.self)
                    let lines = rest.split(separator: "\n", omittingEmptySubsequences: false)
                    rest = String(lines.last ?? "")
                    if !ready, lines.count > 1 {
                        ready = true
                        subReady.signal()
                    }
                    count += lines.dropLast().filter { !$0.isEmpty && $0 != probeTopic }.count
                }
                subEnd.withLock { $0 = DispatchTime.now().uptimeNanoseconds }
                subDone.signal()
            }
            let marker = SensorReport(occupied: false, seq: 1, uptimeS: 1, fw: "bench").encoded()
            repeat {
                _ = probe.client.publish(probeTopic, marker)
            } while subReady.wait(timeout: .now() + .milliseconds(100)) == .timedOut

            // The load: each thread drives a share of the nodes, publishing as fast as it can.
            let start = DispatchTime.now().uptimeNanoseconds
            let threads = 4
            let perNode = reports / clients.count
            let extra = reports - perNode * clients.count
            let loadDone = DispatchGroup()
            for t in 0..<threads {
                loadDone.enter()
                Thread.detachNewThread {
                    let mine = stride(from: t, to: clients.count, by: threads).map { ($0, clients[$0]) }
                    let count = perNode + 1
                    for seq in 1...count {
                        for (i, c) in mine where seq <= perNode || i < extra {
                            let report = SensorReport(
                                occupied: seq % 2 == 1, seq: UInt32(seq), uptimeS: UInt32(1000 + seq), fw: "bench")
                            while c.client.publish(topics.deskReport(DeskID(loadDesks[i])), report.encoded()) == nil {
                                usleep(1000)
                            }
                        }
                    }
                    loadDone.leave()
                }
            }

            // Probes meanwhile: flip the probe desk, time until its new state comes back.
            let probeSeq = Mutex<UInt32>(1)
            /// One probe: its latency in ms, nil when the state did not come back in `timeout` s.
            func probeOnce(timeout: Double) -> Double? {
                let seq = probeSeq.withLock { s in
                    s += 1
                    return s
                }
                let occupied = seq % 2 == 0
                let sent = DispatchTime.now().uptimeNanoseconds
                _ = probe.client.publish(
                    topics.deskReport(DeskID(probeDesk)),
                    SensorReport(occupied: occupied, seq: seq, uptimeS: 1000 + seq, fw: "bench").encoded())
                guard let at = probeWatch.waitFor(occupied ? "occupied" : "vacant", after: sent, timeout: timeout)
                else { return nil }
                return Double(at - sent) / 1_000_000
            }
            var latencies: [Double] = []
            let finalSeq = Dictionary(
                uniqueKeysWithValues: loadDesks.enumerated().map { (DeskID($1), Int64(perNode + ($0 < extra ? 1 : 0))) }
            )
            let allIn: @Sendable (State) -> Bool = { s in finalSeq.allSatisfy { s.desks[$0.key]?.lastSeq == $0.value } }
            while !runtime.engine.read(allIn) || latencies.count < 20 {
                guard let ms = probeOnce(timeout: 60) else { break }
                latencies.append(ms)
                if latencies.count >= 2000 { break }
                usleep(5000)
            }

            loadDone.wait()
            // Fully processed: every report applied, the journal durable, the states sent.
            while !runtime.engine.read(allIn), service.dropped == 0 {
                usleep(1000)
                if DispatchTime.now().uptimeNanoseconds - start > 600_000_000_000 { break }
            }
            runtime.journal.flush()
            service.publisher.flush()
            let end = DispatchTime.now().uptimeNanoseconds
            _ = subDone.wait(timeout: .now() + 60)
            kill(sub.processIdentifier, SIGKILL)
            sub.waitUntilExit()
            let subSeconds = Double(subEnd.withLock { $0 } - start) / 1e9
            let ingestSeconds = Double(end - start) / 1e9

            // Paced: the nodes offer `pacedPerS` reports/s in 10 ms ticks (a busy site is
            // ~10/s), the probe times report → state every 20 ms meanwhile.
            let pacing = Mutex(true)
            let paced = Thread {
                var next = DispatchTime.now().uptimeNanoseconds
                var n = 0
                let perTick = max(1, pacedPerS / 100)
                while pacing.withLock({ $0 }) {
                    for _ in 0..<perTick {
                        let i = n % clients.count
                        let seq = perNode + 2 + n / clients.count
                        let report = SensorReport(
                            occupied: seq % 2 == 1, seq: UInt32(seq), uptimeS: UInt32(1000 + seq), fw: "bench")
                        _ = clients[i].client.publish(topics.deskReport(DeskID(loadDesks[i])), report.encoded())
                        n += 1
                    }
                    next += 10_000_000
                    let now = DispatchTime.now().uptimeNanoseconds
                    if next > now { usleep(UInt32((next - now) / 1000)) }
                }
            }
            paced.start()
            var pacedLatencies: [Double] = []
            let pacedEnd = DispatchTime.now().uptimeNanoseconds + UInt64(pacedSeconds) * 1_000_000_000
            while DispatchTime.now().uptimeNanoseconds < pacedEnd, let ms = probeOnce(timeout: 5) {
                pacedLatencies.append(ms)
                usleep(20_000)
            }
            pacing.withLock { $0 = false }

            func pct(_ values: [Double], _ p: Double) -> Double {
                let sorted = values.sorted()
                return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            }
            let ingestPerS = Double(reports) / ingestSeconds
            let subPerS = Double(reports) / subSeconds
            return IngestBenchResult(
                reports: reports, nodes: clients.count, ingestPerS: ingestPerS, mosquittoSubPerS: subPerS,
                ratio: ingestPerS / subPerS, p50Ms: pct(latencies, 0.5), p99Ms: pct(latencies, 0.99),
                probes: latencies.count, pacedPerS: pacedPerS, pacedP50Ms: pct(pacedLatencies, 0.5),
                pacedP99Ms: pct(pacedLatencies, 0.99), pacedProbes: pacedLatencies.count,
                rejected: service.ingest.rejections.values.reduce(0, +), dropped: service.dropped)
        }
    }
}

/// A bench client: publishes, and records when each payload on its topics arrives.
final class BenchClient: @unchecked Sendable {
    let client: MosquittoClient
    let arrived = NSCondition()
    var last: (payload: String, at: UInt64)?

    init(port: Int, id: String, subscribe: [String]) throws {
        client = try MosquittoClient(
            settings: MQTTSettings(
                host: "127.0.0.1", port: port, clientID: id, persistentSession: false, maxInflight: 0))
        try client.start(
            subscriptions: subscribe,
            onMessage: { [weak self] m in
                guard let self else { return }
                let at = DispatchTime.now().uptimeNanoseconds
                self.arrived.lock()
                self.last = (String(decoding: m.payload, as: UTF8.self), at)
                self.arrived.broadcast()
                self.arrived.unlock()
            })
        guard client.wait(connected: true, timeout: 10) else { throw DaemonError("bench client \(id) did not connect") }
    }

    /// When `payload` arrived after `after` (waiting for it up to `timeout` seconds).
    func waitFor(_ payload: String, after: UInt64, timeout: Double) -> UInt64? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        arrived.lock()
        defer { arrived.unlock() }
        while last.map({ $0.payload != payload || $0.at < after }) ?? true {
            if !arrived.wait(until: deadline) { return nil }
        }
        return last?.at
    }

    deinit { client.stop() }
}
