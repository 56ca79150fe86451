// `cantine bench door`: the door path end to end, with 100k members in the database and the
// sensor path under load. Simulated edges at real reader timing go through the edge port
// (SimulatedEdgeSource), the reader thread, the Wiegand decoder, the policy and the relay
// port; latency runs from the frame's last bit edge to the relay write, minus the gap
// timeout that has to pass before a frame is known to be over. Then a pure decoder run over
// jittered frames counts misdecodes and corrupted frames that would have opened the door.

import CantineCore
import CantineGPIO
import CantineProtocol
import CantineStore
import Foundation
import Logging
import Synchronization

/// Figures of the door bench.
public struct DoorBenchResult: Codable, Sendable {
    public struct DecoderRun: Codable, Sendable {
        public var bitPeriodMs: Int
        public var frames: Int
        public var corrupted: Int
        public var misdecodes: Int
        public var parityGrants: Int
        enum CodingKeys: String, CodingKey {
            case bitPeriodMs = "bit_period_ms", frames, corrupted, misdecodes, parityGrants = "parity_grants"
        }
    }

    public var members: Int
    public var seedS: Double
    public var samples: Int
    public var gapTimeoutMs: Int
    public var p50Us: Double
    public var p99Us: Double
    public var maxUs: Double
    /// Of the latency: how late the reader thread woke after the gap (the OS's timer slack),
    /// and from then to the relay write (decode, tokenize, decide, drive).
    public var wakeP50Us: Double
    public var decideP50Us: Double
    public var decideP99Us: Double
    public var grants: Int
    public var droppedEdges: Int
    public var sensorReportsPerS: Double
    public var frames: Int
    public var misdecodes: Int
    public var parityGrants: Int
    public var decoder: [DecoderRun]

    enum CodingKeys: String, CodingKey {
        case members, seedS = "seed_s", samples, gapTimeoutMs = "gap_timeout_ms", p50Us = "p50_us", p99Us = "p99_us"
        case maxUs = "max_us", wakeP50Us = "wake_p50_us", decideP50Us = "decide_p50_us"
        case decideP99Us = "decide_p99_us", grants, droppedEdges = "dropped_edges", sensorReportsPerS =
            "sensor_reports_per_s"
        case frames, misdecodes, parityGrants = "parity_grants", decoder
    }
}

/// An output line that notes the monotonic time of each unlock it is driven to.
final class TimedRelayLine: OutputLine, Sendable {
    let unlockedLevel: Bool
    let writes = Mutex<[UInt64]>([])
    let signal = DispatchSemaphore(value: 0)
    let clock = SystemTime()

    init(failSecure: Bool) { unlockedLevel = !RelayDriver.lockedLevel(failSecure: failSecure) }

    func set(active: Bool) throws(GPIOError) {
        guard active == unlockedLevel else { return }
        let now = clock.monotonicNanos()
        writes.withLock { $0.append(now) }
        signal.signal()
    }
}

extension Bench {
    /// Runs the door bench. `samples` frames go through the threaded path; `decoderFrames`
    /// frames per bit period through the pure decoder.
    public static func door(
        members: Int, samples: Int, decoderFrames: Int, sensorRate: Int, directory: String, logger: Logger
    ) throws -> DoorBenchResult {
        let dir = directory + "/cantine-bench-door-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = SampleConfig.text(databasePath: dir + "/bench.db", simulated: true)
            .replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
        let config = try Config.parse(text, file: "bench.toml")
        let gap = config.gapTimeoutNanos
        let line = TimedRelayLine(failSecure: true)
        let relay = RelayDriver(door: "entree", line: line, failSecure: true, deadline: { _, _ in })
        let runtime = try Runtime.open(
            config: config, role: .daemon, mode: .create, relays: ["entree": relay], version: cantineVersion,
            logger: logger)
        defer { runtime.close() }

        // 1. Members: a resident plan and an H10301 badge each, through the same operations as the CLI.
        let seedStart = ContinuousClock.now
        var cards: [CardRead] = []
        cards.reserveCapacity(members)
        for n in 0..<members {
            let id = "m-\(n)"
            let read = CardRead(format: .h10301, facility: UInt32(n / 65_536 + 1), card: UInt64(n % 65_536))
            cards.append(read)
            _ = try runtime.apply(.addMember(id: id, name: "Member \(n)", email: nil), source: "bench")
            _ = try runtime.apply(
                .grantPlan(member: id, kind: .residentMonthly, from: "today", days: 1), source: "bench")
            _ = try runtime.apply(
                .enrollBadge(
                    member: id, format: .h10301, facility: read.facility, card: read.card, id: "b-\(n)", pin: nil),
                source: "bench")
            if n % 10_000 == 0 { runtime.journal.flush() }
        }
        runtime.journal.flush()
        let seedS = seconds(ContinuousClock.now - seedStart)

        // 2. Sensor load on the engine, on its own thread, paced to `sensorRate` reports/s.
        let desks = config.desks.map { DeskID($0.id) }
        let stop = Mutex(false)
        let sent = Mutex(0)
        let sensorsDone = DispatchSemaphore(value: 0)
        let sensorStart = ContinuousClock.now
        let sensors = Thread {
            var i = 0
            while !stop.withLock({ $0 }) {
                let due = Int(seconds(ContinuousClock.now - sensorStart) * Double(sensorRate))
                while i < due {
                    runtime.engine.submit(
                        .deskReported(DeskReport(desk: desks[i % desks.count], occupied: (i / desks.count) % 2 == 0)),
                        source: "sensor:bench")
                    i += 1
                }
                sent.withLock { $0 = i }
                usleep(500)
            }
            sensorsDone.signal()
        }
        sensors.start()

        // 3. Frames at reader timing through the edge port, the reader thread and the engine.
        let clock = SystemTime()
        let source = SimulatedEdgeSource(clock: { clock.monotonicNanos() })
        let lines = DoorLines(door: "entree", d0: 17, d1: 27)
        let input = DoorInput(door: "entree", runtime: runtime)
        let delivered = Mutex<[UInt64]>([])
        let reader = EdgeReader(
            source: source, decoder: DoorEdgeDecoder(doors: [lines], gapTimeoutNanos: gap),
            deliver: { signal in
                if case .frame = signal { delivered.withLock { $0.append(clock.monotonicNanos()) } }
                input.handle(signal)
            })
        reader.start(name: "cantine-bench-reader")
        var rng = SplitMix64(seed: 2026)
        var latencies: [Double] = []
        var wakes: [Double] = []
        var decisions: [Double] = []
        for _ in 0..<samples {
            let read = cards[Int.random(in: 0..<cards.count, using: &rng)]
            let frame = try Wiegand.encode(read)
            let start = clock.monotonicNanos() + UInt64.random(in: 1_000_000...5_000_000, using: &rng)
            let edges = WiegandSignal.edges(frame, d0: 17, d1: 27, start: start, using: &rng)
            let lastBit = edges.last { !$0.rising }?.nanos ?? start
            let before = line.writes.withLock { $0.count }
            source.inject(edges)
            guard line.signal.wait(timeout: .now() + .seconds(2)) == .success else {
                throw DaemonError("bench door: a frame did not unlock the door within 2 s")
            }
            let written = line.writes.withLock { $0[before] }
            let woke = delivered.withLock { $0.last ?? written }
            latencies.append(Double(Int64(written) - Int64(lastBit) - Int64(gap)) / 1000)
            wakes.append(Double(Int64(woke) - Int64(lastBit) - Int64(gap)) / 1000)
            decisions.append(Double(Int64(written) - Int64(woke)) / 1000)
        }
        reader.stop()
        stop.withLock { $0 = true }
        sensorsDone.wait()
        let sensorRateAchieved = Double(sent.withLock { $0 }) / seconds(ContinuousClock.now - sensorStart)

        // 4. The pure decoder over jittered frames at 1 ms and 2 ms bit periods.
        let state = runtime.engine.read { $0 }
        let runs = [1, 2].map { ms in
            decoderRun(
                bitPeriodMs: ms, frames: decoderFrames, gap: gap, cards: cards, state: state,
                tokenizer: runtime.tokenizer, seed: UInt64(ms))
        }
        return DoorBenchResult(
            members: members, seedS: seedS, samples: latencies.count, gapTimeoutMs: Int(gap / 1_000_000),
            p50Us: percentile(latencies, 0.50), p99Us: percentile(latencies, 0.99), maxUs: latencies.max() ?? 0,
            wakeP50Us: percentile(wakes, 0.50), decideP50Us: percentile(decisions, 0.50),
            decideP99Us: percentile(decisions, 0.99),
            grants: line.writes.withLock { $0.count }, droppedEdges: source.dropped,
            sensorReportsPerS: sensorRateAchieved, frames: runs.map(\.frames).reduce(0, +),
            misdecodes: runs.map(\.misdecodes).reduce(0, +), parityGrants: runs.map(\.parityGrants).reduce(0, +),
            decoder: runs)
    }

    /// Feeds `frames` jittered frames (26, 34 and 37 bits; one in a hundred with a flipped bit)
    /// to the decoder, then classifies and decides each one as the door would.
    static func decoderRun(
        bitPeriodMs: Int, frames: Int, gap: UInt64, cards: [CardRead], state: State, tokenizer: CredentialTokenizer,
        seed: UInt64
    ) -> DoorBenchResult.DecoderRun {
        var rng = SplitMix64(seed: seed)
        var timing = ReaderTiming()
        let period = UInt64(bitPeriodMs) * 1_000_000
        timing.bitPeriodNanos = period...period
        var decoder = WiegandDecoder(gapTimeoutNanos: gap)
        var run = DoorBenchResult.DecoderRun(
            bitPeriodMs: bitPeriodMs, frames: 0, corrupted: 0, misdecodes: 0, parityGrants: 0)
        var t: UInt64 = 1_000_000_000
        for i in 0..<frames {
            let read: CardRead
            switch i % 3 {
            case 0: read = cards[Int.random(in: 0..<cards.count, using: &rng)]  // enrolled: would open
            case 1:
                read = CardRead(
                    format: .h10306, facility: UInt32.random(in: 0...65_535, using: &rng),
                    card: UInt64.random(in: 0...65_535, using: &rng))
            default:
                read = CardRead(
                    format: .h10304, facility: UInt32.random(in: 0...65_535, using: &rng),
                    card: UInt64.random(in: 0...524_287, using: &rng))
            }
            guard var frame = try? Wiegand.encode(read) else { continue }
            let corrupt = i % 100 == 99
            if corrupt {
                frame = WiegandFrame(
                    bits: frame.bits ^ (1 << UInt64.random(in: 0..<UInt64(frame.count), using: &rng)),
                    count: frame.count)
                run.corrupted += 1
            }
            var bursts: [WiegandBurst] = []
            var last = t
            for edge in WiegandSignal.edges(frame, d0: 0, d1: 1, start: t, timing: timing, using: &rng)
            where !edge.rising {
                if let b = decoder.edge(edge.line == 0 ? .d0 : .d1, atNanos: edge.nanos) { bursts.append(b) }
                last = edge.nanos
            }
            if let b = decoder.poll(nowNanos: last + gap) { bursts.append(b) }
            t = last + gap + UInt64.random(in: 1_000_000...50_000_000, using: &rng)
            run.frames += 1
            guard bursts.count == 1, case .frame(let got, _) = bursts[0] else {
                run.misdecodes += 1
                continue
            }
            let input = WiegandInput.classify(got)
            switch (input, corrupt) {
            case (.card(let decoded), false) where decoded == read: break
            case (.invalid, true): break
            case (.card(let decoded), true):
                // A corrupted frame read as a card: a misdecode, and a parity grant if it opens.
                run.misdecodes += 1
                let badge = BadgePresented(door: "entree", token: tokenizer.token(for: decoded), format: decoded.format)
                if case .granted = AccessPolicy.decide(badge, in: state, now: Instant(Date())) { run.parityGrants += 1 }
            default: run.misdecodes += 1
            }
        }
        return run
    }
}
