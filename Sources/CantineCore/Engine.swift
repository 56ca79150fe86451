// The engine: the one place inputs enter. Under one lock it numbers the event, applies the
// reducer, hands the effects to the edges and queues the entry for the journal — in that
// order, so a door decision never waits on the disk. While the wall clock is not trusted (a Pi
// boots without a real-time clock after a power cut) no entry is stamped before the last one:
// the site's time runs on from the journal's last entry, on the monotonic clock. A sensor
// node's report that only repeats its place's reading is held and journaled with the others of
// its minute (Heartbeats.swift), before anything that could depend on it.

import Synchronization

/// Serializes every input through the reducer. Thread-safe; never blocks on I/O.
public final class Engine: Sendable {
    /// An event as applied: its journal entry and the effects it produced.
    public struct Applied: Sendable {
        public let entry: JournalEntry
        public let effects: [Effect]
    }

    struct Inner {
        var state: State
        var lastSeq: Int64
        /// Heartbeats taken in, journaled together within a minute (see `sense`).
        var beats = HeartbeatBuffer()
    }

    /// What became of a sensor node's report (`sense`).
    public enum Sensed: Equatable, Sendable {
        /// Applied and journaled: it changed what its place shows, or is news of its own.
        case applied
        /// Taken in as a heartbeat: journaled with the others of its minute.
        case heartbeat
        /// Not taken in, and why.
        case refused(ReportRefusal)
    }

    public let site: SiteID
    let inner: Mutex<Inner>
    let time: any TimeSource
    /// Whether the wall clock is trusted (a time server keeps it): set by the clock watch.
    let wallTrusted: Atomic<Bool>
    /// The last entry's wall time less the monotonic time it was stamped at (µs): the site's
    /// time while the clock is not trusted is this plus the monotonic clock. One value, written
    /// under the lock and read without it (a reader of `now` may be called from an effect).
    let origin: Atomic<Int64>
    /// The last entry's wall time.
    let lastWallMicros: Atomic<Int64>
    /// The last sequence number applied (mirrors `Inner.lastSeq`, for lock-free reads).
    let seq: Atomic<Int64>
    let journal: any JournalSink
    let onEffects: @Sendable (JournalEntry, [Effect]) -> Void

    /// - Parameters:
    ///   - state: the state rebuilt from the journal up to `lastSeq`.
    ///   - lastWall: the wall time of the journal's last entry: while the clock is not trusted
    ///     and behind it, the site's time runs on from there.
    ///   - onEffects: called synchronously, in sequence order, with each event's effects;
    ///     must not block (drive a relay, enqueue for others).
    public init(
        site: SiteID, state: State, lastSeq: Int64, lastWall: Instant = Instant(micros: 0), time: any TimeSource,
        journal: any JournalSink, onEffects: @escaping @Sendable (JournalEntry, [Effect]) -> Void = { _, _ in }
    ) {
        self.site = site
        self.inner = Mutex(Inner(state: state, lastSeq: lastSeq))
        self.seq = Atomic(lastSeq)
        self.time = time
        self.wallTrusted = Atomic(time.wallSynchronized())
        self.lastWallMicros = Atomic(lastWall.micros)
        self.origin = Atomic(lastWall.micros &- Int64(time.monotonicNanos() / 1000))
        self.journal = journal
        self.onEffects = onEffects
    }

    /// Applies a sensed input now and queues it for the journal. `attach` may add records to
    /// write in the same transaction, knowing what the event did (it runs under the lock: keep
    /// it to building a value).
    @discardableResult
    public func submit(
        _ event: Event, source: EventSource, attach: ((Applied) -> (any JournalAttachment)?)? = nil
    ) -> Applied {
        inner.withLock { inner in
            let (applied, all) = applyReconciled(&inner, event, source: source)
            journal.enqueue(all.map(\.entry), attachment: attach?(applied))
            return applied
        }
    }

    /// Takes in a sensor node's report (a desk or room report): refused if the policy says so
    /// (`SensorPolicy.admit`), held as a heartbeat if it only repeats its place's last reading
    /// (journaled with the others within `HeartbeatBuffer.maxWait`, and before the place's
    /// timer), applied otherwise. `accepted` runs under the lock before anything is applied.
    @discardableResult
    public func sense(_ event: Event, source: EventSource, accepted: () -> Void = {}) -> Sensed {
        guard let report = event.observation else {
            submit(event, source: source)
            return .applied
        }
        return inner.withLock { inner in
            let now = siteTime(mono: time.monotonicNanos())
            let heard = inner.beats[report.place]
            if let refusal = SensorPolicy.admit(report, in: inner.state, now: now, heard: heard) {
                return .refused(refusal)
            }
            accepted()
            if let beat = SensorPolicy.heartbeat(report, in: inner.state, heard: heard, now: now) {
                let flushed = flushBeats(&inner, before: nil)
                if !flushed.isEmpty { journal.enqueue(flushed.map(\.entry), attachment: nil) }
                inner.beats.absorb(beat)
                return .heartbeat
            }
            inner.beats.drop(report.place)
            journal.enqueue(applyReconciled(&inner, event, source: source).all.map(\.entry), attachment: nil)
            return .applied
        }
    }

    /// Journals the heartbeats taken in if one has waited `HeartbeatBuffer.maxWait` (or all of
    /// them, `force`: at shutdown). The daemon's timer loop calls it, for a quiet site.
    public func flushHeartbeats(force: Bool = false) {
        inner.withLock { inner in
            let flushed = force ? takeBeats(&inner) : flushBeats(&inner, before: nil)
            if !flushed.isEmpty { journal.enqueue(flushed.map(\.entry), attachment: nil) }
        }
    }

    /// Applies a sensed input unless `refuse`, run under the lock on the current state and
    /// time, gives a reason not to; a refused input changes nothing and is not journaled.
    /// Returns the refusal, or nil when the event was applied.
    public func submit<Refusal: Sendable>(
        _ event: Event, source: EventSource, unless refuse: (State, Instant) -> Refusal?
    ) -> Refusal? {
        inner.withLock { inner in
            if let refusal = refuse(inner.state, siteTime(mono: time.monotonicNanos())) { return refusal }
            journal.enqueue(applyReconciled(&inner, event, source: source).all.map(\.entry), attachment: nil)
            return nil
        }
    }

    /// Validates a command against the current state and applies its events atomically,
    /// queuing them with `attachment` for one commit. Throws without any change when refused.
    public func execute(
        _ command: Command, source: EventSource, attachment: (any JournalAttachment)? = nil
    ) throws(CommandError) -> [Applied] {
        try inner.withLock { (inner: inout Inner) throws(CommandError) -> [Applied] in
            let events = try CommandRules.events(
                for: command, in: inner.state, now: siteTime(mono: time.monotonicNanos()))
            let applied = events.flatMap { applyReconciled(&inner, $0, source: source).all }
            journal.enqueue(applied.map(\.entry), attachment: attachment)
            return applied.filter { if case .sensorHeartbeats = $0.entry.event { false } else { true } }
        }
    }

    /// Reads the state consistently.
    public func read<T: Sendable>(_ body: (State) -> T) -> T {
        inner.withLock { body($0.state) }
    }

    /// Reads the state together with the sequence number of the last event folded into it.
    public func readWithSeq<T: Sendable>(_ body: ((State, Int64)) -> T) -> T {
        inner.withLock { body(($0.state, $0.lastSeq)) }
    }

    /// Sequence number of the last applied event.
    /// Read without the lock (the ingest thread asks for every report, the publisher and
    /// benches poll it): the number is stored once its event is applied. Use `readWithSeq`
    /// for a state and the number that goes with it.
    public var lastSeq: Int64 { seq.load(ordering: .acquiring) }

    /// The site's time: the wall clock; while the clock is not trusted, never before the last
    /// entry (see `siteTime`).
    public var now: Instant { siteTime(mono: time.monotonicNanos()) }

    /// The wall clock as the system has it (what a request stamped elsewhere on this machine
    /// was stamped with), whatever the site's time.
    public var wallClock: Instant { time.now() }

    /// The wall time of the last entry.
    public var lastWall: Instant { Instant(micros: lastWallMicros.load(ordering: .acquiring)) }

    /// Tells the engine whether a time server keeps the wall clock (the clock watch does).
    public func setWallTrusted(_ trusted: Bool) { wallTrusted.store(trusted, ordering: .relaxed) }

    /// The wall clock when it is trusted (a time server may step it back: it is right, the
    /// entries before were stamped by a clock that ran ahead). Otherwise the later of the wall
    /// clock and the last entry's time plus the monotonic time since it: a board that booted
    /// behind decides as of the moment the journal stopped, and its time runs on at the real
    /// rate (door timers measure durations), until the clock catches up or is set.
    func siteTime(mono: UInt64) -> Instant {
        let clock = time.now()
        guard !wallTrusted.load(ordering: .relaxed) else { return clock }
        let (flowed, overflow) = origin.load(ordering: .acquiring).addingReportingOverflow(Int64(mono / 1000))
        return max(clock, Instant(micros: overflow ? .max : flowed))
    }

    private func apply(_ inner: inout Inner, _ event: Event, source: EventSource) -> Applied {
        inner.lastSeq += 1
        let mono = time.monotonicNanos()
        let wall = siteTime(mono: mono)
        origin.store(wall.micros &- Int64(mono / 1000), ordering: .releasing)
        lastWallMicros.store(wall.micros, ordering: .releasing)
        var entry = JournalEntry(
            seq: inner.lastSeq, site: site, wall: wall, monotonicNanos: mono,
            source: source, event: event)
        let effects = Reducer.apply(&inner.state, event, now: entry.wall)
        seq.store(inner.lastSeq, ordering: .releasing)
        for case .notify(.access(let record)) in effects {
            entry.access = record
        }
        onEffects(entry, effects)
        return Applied(entry: entry, effects: effects)
    }

    /// Applies `event`, then what reconciling it calls for (journaled after it, as
    /// `reconcile`); returns the input as applied and every applied event in order (the
    /// heartbeats it had to wait for first).
    private func applyReconciled(
        _ inner: inout Inner, _ event: Event, source: EventSource
    ) -> (input: Applied, all: [Applied]) {
        let beats = flushBeats(&inner, before: event)
        let first = apply(&inner, event, source: source)
        guard let scope = ReconcileScope.after(event, effects: first.effects) else { return (first, beats + [first]) }
        let derived = Reconciler.events(scope, in: inner.state, now: first.entry.wall)
        return (first, beats + [first] + derived.map { apply(&inner, $0, source: "reconcile") })
    }

    /// The heartbeats' batch, applied, if it is due before `event` (`HeartbeatBuffer.due`).
    private func flushBeats(_ inner: inout Inner, before event: Event?) -> [Applied] {
        guard inner.beats.due(before: event, now: siteTime(mono: time.monotonicNanos())) else { return [] }
        return takeBeats(&inner)
    }

    private func takeBeats(_ inner: inout Inner) -> [Applied] {
        guard let batch = inner.beats.take() else { return [] }
        return [apply(&inner, .sensorHeartbeats(batch), source: "sensor:heartbeats")]
    }

    /// Runs a reconciliation of `scope` now (the daemon's pass every minute); returns the events
    /// it journaled (none when everything agrees).
    @discardableResult
    public func reconcile(_ scope: ReconcileScope = .all) -> [Applied] {
        inner.withLock { inner in
            let applied = Reconciler.events(scope, in: inner.state, now: siteTime(mono: time.monotonicNanos())).map {
                apply(&inner, $0, source: "reconcile")
            }
            if !applied.isEmpty { journal.enqueue(applied.map(\.entry), attachment: nil) }
            return applied
        }
    }
}
