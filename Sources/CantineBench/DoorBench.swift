// `cantine bench door`: the door path end to end, with 100k members in the database and the
// sensor path under load. Simulated edges at real reader timing go through the edge port
// (SimulatedEdgeSource), the reader thread, the Wiegand decoder, the policy and the relay
// port, once with each way a frame can end (adaptive: the frame's own rhythm; fixed: the
// 25 ms gap). What a member waits is from the frame's last bit edge to the relay write; of
// it, the silence that has to pass before a frame is known to be over, then ours. Then
// jittered frames from readers of every pace the standard allows (1 ms to 20 ms between bits,
// and one drifting within the frame) go through the twin of a loaded Pi's kernel (late IRQ
// threads, preemption between poll and read), read as the adapter reads them (`EdgeBatch`,
// falling-only D0/D1) and decoded in both modes: misdecodes and corrupted frames that would
// have opened the door are counted, and so are the frames a both-edge request of D0/D1 would
// have lost on the same edges and the same kernel.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineGPIO
import CantineProtocol
import CantineSite
import CantineStore
import Foundation
import Logging
import Synchronization

/// Figures of the door bench.
public struct DoorBenchResult: Codable, Sendable {
    /// Frames through the reader thread to the relay with one way of ending frames.
    public struct LatencyRun: Codable, Sendable {
        /// `adaptive` or `fixed`.
        public var frameEnd: String
        public var gapTimeoutMs: Int?
        public var samples: Int
        /// What the member waits: the frame's last bit edge to the relay write.
        public var lastBitToRelayP50Ms: Double
        public var lastBitToRelayP99Ms: Double
        public var lastBitToRelayMaxMs: Double
        /// Of it, the silence that ends the frame (the gap, or the frame's own), p50.
        public var silenceP50Ms: Double
        /// The rest, after the silence: the reader thread's wake-up, then decode → relay.
        public var afterSilenceP50Us: Double
        public var afterSilenceP99Us: Double
        public var wakeP50Us: Double
        public var decideP50Us: Double
        public var decideP99Us: Double
        public var droppedEdges: Int
        enum CodingKeys: String, CodingKey {
            case frameEnd = "frame_end", gapTimeoutMs = "gap_timeout_ms", samples
            case lastBitToRelayP50Ms = "last_bit_to_relay_p50_ms", lastBitToRelayP99Ms = "last_bit_to_relay_p99_ms"
            case lastBitToRelayMaxMs = "last_bit_to_relay_max_ms", silenceP50Ms = "silence_p50_ms"
            case afterSilenceP50Us = "after_silence_p50_us", afterSilenceP99Us = "after_silence_p99_us"
            case wakeP50Us = "wake_p50_us", decideP50Us = "decide_p50_us", decideP99Us = "decide_p99_us"
            case droppedEdges = "dropped_edges"
        }
    }

    /// Frames from one kind of reader through the loaded kernel's twin and the decoder.
    public struct DecoderRun: Codable, Sendable {
        /// The reader's pace: `1ms`, `2ms`, `10ms`, `20ms` or `drift_1_4ms`.
        public var reader: String
        public var frameEnd: String
        public var frames: Int
        public var corrupted: Int
        public var misdecodes: Int
        public var parityGrants: Int
        /// Frames that did not come out as sent when D0/D1 were requested for both edges.
        public var bothEdgeLost: Int
        enum CodingKeys: String, CodingKey {
            case reader, frameEnd = "frame_end", frames, corrupted, misdecodes, parityGrants = "parity_grants"
            case bothEdgeLost = "both_edge_lost"
        }
    }

    public var members: Int
    public var seedS: Double
    /// Of the adaptive run (the default): what a member waits, and decode → relay.
    public var lastBitToRelayP50Ms: Double
    public var lastBitToRelayP99Ms: Double
    public var decideP50Us: Double
    public var decideP99Us: Double
    public var latency: [LatencyRun]
    public var grants: Int
    public var droppedEdges: Int
    public var sensorReportsPerS: Double
    public var frames: Int
    public var misdecodes: Int
    public var parityGrants: Int
    /// Of `frames`, how many a both-edge request of D0/D1 would have lost (same edges, same kernel).
    public var bothEdgeLost: Int
    public var decoder: [DecoderRun]

    enum CodingKeys: String, CodingKey {
        case members, seedS = "seed_s", lastBitToRelayP50Ms = "last_bit_to_relay_p50_ms"
        case lastBitToRelayP99Ms = "last_bit_to_relay_p99_ms", decideP50Us = "decide_p50_us"
        case decideP99Us = "decide_p99_us", latency, grants, droppedEdges = "dropped_edges"
        case sensorReportsPerS = "sensor_reports_per_s"
        case frames, misdecodes, parityGrants = "parity_grants", bothEdgeLost = "both_edge_lost", decoder
    }
}

/// The readers the decoder runs play: every pace the standard allows, and one drifting.
enum ReaderPace: CaseIterable {
    case ms1, ms2, ms10, ms20, drifting

    var name: String {
        switch self {
        case .ms1: "1ms"
        case .ms2: "2ms"
        case .ms10: "10ms"
        case .ms20: "20ms"
        case .drifting: "drift_1_4ms"
        }
    }

    /// Bit periods with ±200 µs jitter; the drifting one slows from 1 ms by 83 µs a bit (4 ms
    /// by the 37th).
    var timing: ReaderTiming {
        switch self {
        case .ms1: ReaderTiming(period: 1_000_000)
        case .ms2: ReaderTiming(period: 2_000_000)
        case .ms10: ReaderTiming(period: 10_000_000)
        case .ms20: ReaderTiming(period: 20_000_000)
        case .drifting: ReaderTiming(period: 1_000_000, drift: 83_000)
        }
    }

    /// Slow readers play a tenth of the frames (each lasts up to 0.7 s of simulated time).
    func frames(_ n: Int) -> Int { self == .ms10 || self == .ms20 ? max(n / 10, 10) : n }
}

extension FrameEnd {
    var name: String {
        switch self {
        case .adaptive: "adaptive"
        case .fixed: "fixed"
        }
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

    func reclaim(initiallyActive: Bool) throws(GPIOError) {}
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
        let fixed = FrameEnd.fixed(gapNanos: UInt64(Defaults.gapTimeout.or(nil)) * 1_000_000)
        let line = TimedRelayLine(failSecure: true)
        let relay = RelayDriver(door: "entree", line: line, failSecure: true, deadline: { _, _ in })
        let runtime = try Site.open(
            config: config, role: .daemon, mode: .create, relays: ["entree": relay], version: cantineVersion,
            logger: logger)
        defer { runtime.close() }

        // 1. Members: a resident plan and an H10301 badge each, through the same operations as the CLI.
        let seedStart = ContinuousClock.now
        var cards: [CardRead] = []
        cards.reserveCapacity(members)
        for n in 0..<members {
            cards.append(try enrollMember(n, in: runtime))
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

        // 3. Frames at reader timing through the edge port, the reader thread and the engine,
        // with each way of ending a frame.
        let latency = try [FrameEnd.adaptive, fixed].map { end in
            try timedRun(end: end, samples: samples, cards: cards, runtime: runtime, line: line)
        }
        stop.withLock { $0 = true }
        sensorsDone.wait()
        let sensorRateAchieved = Double(sent.withLock { $0 }) / seconds(ContinuousClock.now - sensorStart)

        // 4. Jittered frames from every reader through the kernel's twin and the decoder, both ways.
        let state = runtime.engine.read { $0 }
        var runs: [DoorBenchResult.DecoderRun] = []
        for (n, pace) in ReaderPace.allCases.enumerated() {
            for end in [FrameEnd.adaptive, fixed] {
                runs.append(
                    decoderRun(
                        pace: pace, end: end, frames: pace.frames(decoderFrames), cards: cards, state: state,
                        tokenizer: runtime.tokenizer, seed: UInt64(n + 1)))
            }
        }
        let adaptive = latency[0]
        return DoorBenchResult(
            members: members, seedS: seedS, lastBitToRelayP50Ms: adaptive.lastBitToRelayP50Ms,
            lastBitToRelayP99Ms: adaptive.lastBitToRelayP99Ms, decideP50Us: adaptive.decideP50Us,
            decideP99Us: adaptive.decideP99Us, latency: latency, grants: line.writes.withLock { $0.count },
            droppedEdges: latency.map(\.droppedEdges).reduce(0, +), sensorReportsPerS: sensorRateAchieved,
            frames: runs.map(\.frames).reduce(0, +), misdecodes: runs.map(\.misdecodes).reduce(0, +),
            parityGrants: runs.map(\.parityGrants).reduce(0, +), bothEdgeLost: runs.map(\.bothEdgeLost).reduce(0, +),
            decoder: runs)
    }

    /// Member `m-<n>` with a resident plan from today and an H10301 badge, through the same
    /// operations as the CLI; returns the badge.
    static func enrollMember(_ n: Int, in runtime: Site) throws -> CardRead {
        let id = "m-\(n)"
        let read = CardRead(format: .h10301, facility: UInt32(n / 65_536 + 1), card: UInt64(n % 65_536))
        _ = try runtime.apply(.addMember(id: id, name: "Member \(n)", email: nil), source: "bench")
        _ = try runtime.apply(.grantPlan(member: id, kind: .residentMonthly, from: "today", days: 1), source: "bench")
        _ = try runtime.apply(
            .enrollBadge(member: id, format: .h10301, facility: read.facility, card: read.card, id: "b-\(n)", pin: nil),
            source: "bench")
        return read
    }

    /// `samples` enrolled badges presented one by one at reader timing (1–2 ms between bits,
    /// jittered) through the edge port, the reader thread ending frames with `end`, the engine
    /// and the relay; each one's unlock timed from its last bit edge.
    static func timedRun(
        end: FrameEnd, samples: Int, cards: [CardRead], runtime: Site, line: TimedRelayLine
    ) throws -> DoorBenchResult.LatencyRun {
        let clock = SystemTime()
        let lines = DoorLines(door: "entree", d0: 17, d1: 27, dataBias: .pullUp)
        // Instant IRQ threads here: the latency measured is this code's, not the kernel model's.
        let source = SimulatedEdgeSource(
            clock: { clock.monotonicNanos() }, levels: [17: true, 27: true], requests: lines.requests, kernel: .instant)
        let input = DoorInput(door: "entree", runtime: runtime)
        let delivered = Mutex<[UInt64]>([])
        let reader = EdgeReader(
            source: source, decoder: DoorEdgeDecoder(doors: [lines], end: end),
            deliver: { signal in
                if case .frame = signal { delivered.withLock { $0.append(clock.monotonicNanos()) } }
                input.handle(signal)
            })
        // Real-time, as the daemon's readers run when the system allows it (refused: normal).
        reader.start(name: "cantine-bench-reader", realtimePriority: ReaderPriority.realtime)
        defer { reader.stop() }
        var rng = SplitMix64(seed: 2026)
        var waits: [Double] = []
        var silences: [Double] = []
        var after: [Double] = []
        var wakes: [Double] = []
        var decisions: [Double] = []
        for _ in 0..<samples {
            let read = cards[Int.random(in: 0..<cards.count, using: &rng)]
            let frame = try Wiegand.encode(read)
            let start = clock.monotonicNanos() + UInt64.random(in: 1_000_000...5_000_000, using: &rng)
            let edges = WiegandSignal.edges(frame, d0: 17, d1: 27, start: start, using: &rng)
            let bits = edges.filter { !$0.rising }.map(\.nanos)
            let lastBit = bits.last ?? start
            let longest = zip(bits.dropFirst(), bits).map { $0 - $1 }.max()
            let silence = end.silence(longest: longest)
            let before = line.writes.withLock { $0.count }
            source.inject(edges)
            guard line.signal.wait(timeout: .now() + .seconds(2)) == .success else {
                throw DaemonError("bench door: a frame did not unlock the door within 2 s")
            }
            let written = line.writes.withLock { $0[before] }
            let woke = delivered.withLock { $0.last ?? written }
            waits.append(Double(Int64(written) - Int64(lastBit)) / 1e6)
            silences.append(Double(silence) / 1e6)
            after.append(Double(Int64(written) - Int64(lastBit) - Int64(silence)) / 1000)
            wakes.append(Double(Int64(woke) - Int64(lastBit) - Int64(silence)) / 1000)
            decisions.append(Double(Int64(written) - Int64(woke)) / 1000)
        }
        var gapMs: Int?
        if case .fixed(let gap) = end { gapMs = Int(gap / 1_000_000) }
        return DoorBenchResult.LatencyRun(
            frameEnd: end.name, gapTimeoutMs: gapMs, samples: waits.count,
            lastBitToRelayP50Ms: percentile(waits, 0.50), lastBitToRelayP99Ms: percentile(waits, 0.99),
            lastBitToRelayMaxMs: waits.max() ?? 0, silenceP50Ms: percentile(silences, 0.50),
            afterSilenceP50Us: percentile(after, 0.50), afterSilenceP99Us: percentile(after, 0.99),
            wakeP50Us: percentile(wakes, 0.50), decideP50Us: percentile(decisions, 0.50),
            decideP99Us: percentile(decisions, 0.99), droppedEdges: source.dropped)
    }

    /// Plays `frames` jittered frames (26, 34 and 37 bits; one in a hundred with a flipped bit)
    /// from a reader of `pace` through the twin of a loaded Pi's kernel, read as the adapter
    /// reads (`EdgeBatch`) and decoded as the door decodes with `end`, then classifies and
    /// decides each one as the door would. The same edges on the same kernel with D0/D1
    /// requested for both edges give `bothEdgeLost`.
    static func decoderRun(
        pace: ReaderPace, end: FrameEnd, frames: Int, cards: [CardRead], state: State,
        tokenizer: CredentialTokenizer, seed: UInt64
    ) -> DoorBenchResult.DecoderRun {
        var rng = SplitMix64(seed: seed)
        var run = DoorBenchResult.DecoderRun(
            reader: pace.name, frameEnd: end.name, frames: 0, corrupted: 0, misdecodes: 0, parityGrants: 0,
            bothEdgeLost: 0)
        let lines = DoorLines(door: "entree", d0: 17, d1: 27, dataBias: .pullUp)
        var sent: [(read: CardRead, frame: WiegandFrame, corrupt: Bool)] = []
        var edges: [GPIOEdge] = []
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
            let frameEdges = WiegandSignal.edges(
                frame, d0: lines.d0, d1: lines.d1, start: t, timing: pace.timing, using: &rng)
            edges += frameEdges
            sent.append((read, frame, corrupt))
            // The next badge a moment after this frame is surely over.
            t =
                (frameEdges.last?.nanos ?? t) + end.longestSilence
                + UInt64.random(in: 1_000_000...50_000_000, using: &rng)
        }
        run.frames = sent.count
        let until = t
        /// One signal per frame (frames are further apart than any silence), in order. The
        /// reader thread's time moves as its poll would: by 0.5 ms while edges are on the wire
        /// or in flight, else straight to the next edge or to the decoder's deadline.
        func play(_ requests: [InputRequest]) -> [DoorSignal] {
            let clock = Mutex<UInt64>(1_000_000_000)
            let source = SimulatedEdgeSource(
                clock: { clock.withLock { $0 } }, levels: [lines.d0: true, lines.d1: true], requests: requests,
                kernel: .loadedPi)
            source.inject(edges)
            var decoder = DoorEdgeDecoder(doors: [lines], end: end)
            var signals: [DoorSignal] = []
            var now: UInt64 = 1_000_000_000
            var next = 0  // the first edge not yet on the wire at `now`
            while now <= until {
                clock.withLock { $0 = now }
                let batch = (try? EdgeBatch.take(from: source, until: now)) ?? (edges: [], quiet: now)
                signals += decoder.handle(batch.edges) + decoder.poll(now: batch.quiet)
                while next < edges.count && edges[next].nanos <= now { next += 1 }
                let recent = next > 0 && now - edges[next - 1].nanos < 1_000_000
                let step = now + 500_000
                if recent || (next < edges.count && edges[next].nanos <= step) {
                    now = step
                } else {
                    let due = [decoder.deadline, next < edges.count ? edges[next].nanos : until + 1].compactMap { $0 }
                    now = max(due.min() ?? step, now + 1)
                }
            }
            return signals
        }
        let got = play(lines.requests)
        let both = play(
            lines.requests.map { InputRequest(line: $0.line, edges: .both, bias: $0.bias) })
        for (i, expected) in sent.enumerated() {
            if i >= both.count || both[i] != .frame("entree", expected.frame, lastEdgeNanos: both[i].lastEdge) {
                run.bothEdgeLost += 1
            }
            guard i < got.count, case .frame(_, let frame, _) = got[i] else {
                run.misdecodes += 1
                continue
            }
            switch (WiegandInput.classify(frame), expected.corrupt) {
            case (.card(let decoded), false) where decoded == expected.read: break
            case (.invalid, true): break
            case (.card(let decoded), _):
                // A corrupted (or cut) frame read as another card: a misdecode, and a parity
                // grant if it opens.
                run.misdecodes += 1
                let badge = BadgePresented(door: "entree", token: tokenizer.token(for: decoded), format: decoded.format)
                if case .granted = AccessPolicy.decide(badge, in: state, now: Instant(Date())) { run.parityGrants += 1 }
            default: run.misdecodes += 1
            }
        }
        run.misdecodes += max(0, got.count - sent.count)
        return run
    }
}

extension DoorSignal {
    /// A frame's last edge (0 for other signals).
    var lastEdge: UInt64 { if case .frame(_, _, let last) = self { last } else { 0 } }
}
