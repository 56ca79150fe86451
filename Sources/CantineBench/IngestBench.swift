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
    /// Reports queued at the broker for each persistent session while its client was away.
    public var backlog: Int
    /// Reports per second the daemon took in from its backlog on reconnecting (applied,
    /// journaled durably), and `mosquitto_sub -q 1 -c` from the same backlog (printed).
    public var drainPerS: Double
    public var subDrainPerS: Double
    public var drainRatio: Double
    /// Backlog reports the daemon dropped (its inbound queue full past its wait).
    public var drainDropped: Int

    enum CodingKeys: String, CodingKey {
        case reports, nodes, ingestPerS = "ingest_per_s", mosquittoSubPerS = "mosquitto_sub_per_s", ratio
        case p50Ms = "p50_ms", p99Ms = "p99_ms", probes, pacedPerS = "paced_per_s", pacedP50Ms = "paced_p50_ms"
        case pacedP99Ms = "paced_p99_ms", pacedProbes = "paced_probes", rejected, dropped, backlog
        case drainPerS = "drain_per_s", subDrainPerS = "sub_drain_per_s", drainRatio = "drain_ratio"
        case drainDropped = "drain_dropped"
    }
}

extension Bench {
    /// Runs the ingest bench: `reports` reports from `nodes` nodes (one desk each) at full
    /// speed, then `pacedSeconds` at `pacedPerS` reports/s, with a probe node on a desk of its
    /// own timing report → state in both phases.
    public static func ingest(
        reports: Int, nodes: Int, pacedPerS: Int = 2000, pacedSeconds: Int = 5, backlog: Int = 100_000,
        directory: String, logger: Logger
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

            // mosquitto_sub on the same stream, started (and subscribed) before the load: it is
            // ready once the first of our markers comes through.
            let probeTopic = topics.deskReport(DeskID(probeDesk))
            let reportTopics = topics.prefix + "desks/+/report"
            let sub = try SubCounter(
                port: port, id: "bench-sub", topic: reportTopics, expected: reports, ignoring: probeTopic)
            let marker = SensorReport(occupied: false, seq: 1, uptimeS: 1, fw: "bench").encoded()
            repeat {
                _ = probe.client.publish(probeTopic, marker)
            } while sub.ready.wait(timeout: .now() + .milliseconds(100)) == .timedOut

            // The load: each thread drives a share of the nodes, publishing as fast as it can.
            let start = DispatchTime.now().uptimeNanoseconds
            let perNode = reports / clients.count
            let extra = reports - perNode * clients.count
            let loadDone = publish(reports, from: clients, desks: loadDesks, firstSeq: 1, topics: topics)

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
            _ = sub.done.wait(timeout: .now() + 60)
            sub.stop()
            let subSeconds = Double(sub.end - start) / 1e9
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
            // Backlog: the daemon away (stopped, its persistent session kept at the broker) and
            // mosquitto_sub's persistent session too; `backlog` reports queue for both. Then
            // each drains them on reconnecting, one after the other.
            await group.triggerGracefulShutdown()
            _ = try await tasks.next()
            let drainSub = "bench-drain-sub"
            let session = try SubCounter(
                port: port, id: drainSub, topic: reportTopics, expected: .max, ignoring: probeTopic, persistent: true)
            repeat {
                _ = probe.client.publish(probeTopic, marker)
            } while session.ready.wait(timeout: .now() + .milliseconds(100)) == .timedOut
            session.stop()
            let counter = try BenchClient(port: port, id: "bench-backlog-count", subscribe: [reportTopics])
            let backlogSeq = perNode + 1_000_000
            publish(backlog, from: clients, desks: loadDesks, firstSeq: backlogSeq, topics: topics).wait()
            guard counter.wait(count: backlog, timeout: 300) else {
                throw DaemonError("bench ingest: the broker did not take the backlog of \(backlog) reports in 300 s")
            }
            let backlogPerNode = backlog / clients.count
            let backlogExtra = backlog - backlogPerNode * clients.count
            let drained = Dictionary(
                uniqueKeysWithValues: loadDesks.enumerated().map {
                    (DeskID($1), Int64(backlogSeq - 1 + backlogPerNode + ($0 < backlogExtra ? 1 : 0)))
                })
            let allDrained: @Sendable (State) -> Bool = { s in
                drained.allSatisfy { s.desks[$0.key]?.lastSeq == $0.value }
            }

            let drainService = try MQTTService(settings: config.settings, runtime: runtime, logger: logger)
            let drainGroup = ServiceGroup(
                services: [drainService], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
            let drainStart = DispatchTime.now().uptimeNanoseconds
            tasks.addTask { try await drainGroup.run() }
            // Watched through the sequence number, which needs no lock: the state is looked at
            // once there are as many new entries as reports (each applied one makes one), or
            // when nothing moved for a millisecond. Reading it under the engine's lock every
            // millisecond took the lock from the ingest thread hundreds of times a second.
            let seqAtStart = runtime.engine.lastSeq
            var progress = (seq: seqAtStart, at: drainStart)
            var drainEnd: UInt64?
            while true {
                usleep(1000)
                let now = DispatchTime.now().uptimeNanoseconds
                let seq = runtime.engine.lastSeq
                let moved = seq != progress.seq
                if moved { progress = (seq, now) }
                if seq - seqAtStart >= Int64(backlog) || !moved, runtime.engine.read(allDrained) { break }
                if now - progress.at > 10_000_000_000 {  // stalled: reports were dropped or refused
                    drainEnd = progress.at
                    break
                }
            }
            runtime.journal.flush()
            let drainSeconds = Double((drainEnd ?? DispatchTime.now().uptimeNanoseconds) - drainStart) / 1e9
            // What was taken in: each node's reports applied, counted from its desk's last seq.
            let applied = runtime.engine.read { s in
                drained.map { desk, last in
                    max(0, min(last, s.desks[desk]?.lastSeq ?? 0) - Int64(backlogSeq - 1))
                }
                .reduce(0, +)
            }
            let drainDropped = drainService.dropped
            await drainGroup.triggerGracefulShutdown()
            _ = try await tasks.next()

            let subDrainStart = DispatchTime.now().uptimeNanoseconds
            let subDrain = try SubCounter(
                port: port, id: drainSub, topic: reportTopics, expected: backlog, ignoring: probeTopic,
                persistent: true)
            _ = subDrain.done.wait(timeout: .now() + 300)
            subDrain.stop()
            let subDrainSeconds = Double(subDrain.end - subDrainStart) / 1e9
            let drainPerS = Double(applied) / drainSeconds
            let subDrainPerS = Double(subDrain.count) / subDrainSeconds

            let ingestPerS = Double(reports) / ingestSeconds
            let subPerS = Double(reports) / subSeconds
            return IngestBenchResult(
                reports: reports, nodes: clients.count, ingestPerS: ingestPerS, mosquittoSubPerS: subPerS,
                ratio: ingestPerS / subPerS, p50Ms: pct(latencies, 0.5), p99Ms: pct(latencies, 0.99),
                probes: latencies.count, pacedPerS: pacedPerS, pacedP50Ms: pct(pacedLatencies, 0.5),
                pacedP99Ms: pct(pacedLatencies, 0.99), pacedProbes: pacedLatencies.count,
                rejected: service.ingest.rejections.values.reduce(0, +), dropped: service.dropped, backlog: backlog,
                drainPerS: drainPerS, subDrainPerS: subDrainPerS, drainRatio: drainPerS / subDrainPerS,
                drainDropped: drainDropped)
        }
    }

    /// Publishes `count` reports from `clients` (one desk each), on four threads as fast as
    /// they go, each node's reports numbered from `firstSeq` and flipping its desk each time.
    @discardableResult
    static func publish(
        _ count: Int, from clients: [BenchClient], desks: [String], firstSeq: Int, topics: Topics
    ) -> DispatchGroup {
        let perNode = count / clients.count
        let extra = count - perNode * clients.count
        let done = DispatchGroup()
        for t in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                let mine = stride(from: t, to: clients.count, by: 4).map { ($0, clients[$0]) }
                for n in 0...perNode {
                    let seq = firstSeq + n
                    for (i, c) in mine where n < perNode || i < extra {
                        let report = SensorReport(
                            occupied: seq % 2 == 1, seq: UInt32(seq), uptimeS: UInt32(1000 + seq), fw: "bench")
                        while c.client.publish(topics.deskReport(DeskID(desks[i])), report.encoded()) == nil {
                            usleep(1000)
                        }
                    }
                }
                done.leave()
            }
        }
        return done
    }
}

/// `mosquitto_sub` at QoS 1 printing each message's topic, its lines counted as they come.
final class SubCounter: @unchecked Sendable {
    let process = Process()
    /// Signalled at the first line.
    let ready = DispatchSemaphore(value: 0)
    /// Signalled once `expected` lines (not `ignoring`'s) are counted, or the output ends.
    let done = DispatchSemaphore(value: 0)
    let state = Mutex<(count: Int, end: UInt64)>((0, 0))

    /// Starts it; `persistent`: with a session the broker keeps (`-c`) under client id `id`.
    init(port: Int, id: String, topic: String, expected: Int, ignoring: String, persistent: Bool = false) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mosquitto_sub") else {
            throw DaemonError("mosquitto_sub not found: apt install mosquitto-clients")
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        process.arguments =
            ["-oL", "/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-i", id]
            + (persistent ? ["-c"] : []) + ["-t", topic, "-F", "%t"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        Thread.detachNewThread { [self] in
            var count = 0
            var first = true
            var rest = ""
            while count < expected {
                let data = out.fileHandleForReading.availableData
                if data.isEmpty { break }
                rest += String(decoding: data, as: UTF8.self)
                let lines = rest.split(separator: "\n", omittingEmptySubsequences: false)
                rest = String(lines.last ?? "")
                if first, lines.count > 1 {
                    first = false
                    ready.signal()
                }
                count += lines.dropLast().filter { !$0.isEmpty && $0 != ignoring }.count
                state.withLock { $0.count = count }
            }
            state.withLock { $0.end = DispatchTime.now().uptimeNanoseconds }
            done.signal()
        }
    }

    /// Lines counted, and when the count was reached.
    var count: Int { state.withLock { $0.count } }
    var end: UInt64 { state.withLock { $0.end } }

    /// Stops the process (a persistent session stays at the broker). SIGKILL: SIGTERM was
    /// seen not to stop it when started from here (an ignored disposition inherited, it seems).
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A bench client: publishes, and records when each payload on its topics arrives.
final class BenchClient: @unchecked Sendable {
    let client: MosquittoClient
    let arrived = NSCondition()
    var last: (payload: String, at: UInt64)?
    var count = 0

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
                self.count += 1
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

    /// Whether `count` messages arrived in all (waiting for them up to `timeout` seconds).
    func wait(count expected: Int, timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        arrived.lock()
        defer { arrived.unlock() }
        while count < expected {
            if !arrived.wait(until: deadline) { return false }
        }
        return true
    }

    deinit { client.stop() }
}
