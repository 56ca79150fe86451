// The simulated twin of the GPIO edge, used by tests and the demo: an output line that
// records every level it is driven to, and can be made to fail like a vanished chip.

import CantineProtocol
import Dispatch
import Foundation
import Synchronization

/// A simulated output line: remembers its level and history.
public final class SimulatedOutputLine: OutputLine, Sendable {
    struct Inner {
        var active: Bool
        var history: [Bool] = []
        var failure: GPIOError?
    }
    let inner: Mutex<Inner>

    public init(initiallyActive: Bool) { inner = Mutex(Inner(active: initiallyActive)) }

    public func set(active: Bool) throws(GPIOError) {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            if let f = s.failure { throw f }
            s.active = active
            s.history.append(active)
        }
    }

    /// Current logical level.
    public var active: Bool { inner.withLock { $0.active } }
    /// Every level set, in order.
    public var history: [Bool] { inner.withLock { $0.history } }
    /// Makes further `set` calls fail (nil to recover).
    public func fail(with error: GPIOError?) { inner.withLock { $0.failure = error } }
}

/// The simulated twin of a chip's input lines. Edges are scheduled with their timestamps and
/// "arrive" when the clock passes them; like the v1 kernel, each line buffers at most 16
/// events between reads and silently drops the rest (counted here), so a reader that does not
/// drain promptly loses edges exactly as it would on the board.
///
/// On a manual clock a test moves time, calls `wake()`, then `awaitIdle()`: the reader thread
/// has then taken everything due by the new time, with no race against the real clock.
public final class SimulatedEdgeSource: EdgeSource, Sendable {
    /// Events a line holds between reads (GPIO v1 kernel kfifo).
    public static let lineBuffer = GPIOEdge.lineBuffer

    struct Inner {
        var scheduled: [GPIOEdge] = []
        var buffers: [Int: [GPIOEdge]] = [:]
        /// The wire: each line's level after the edges that have arrived (low when never set).
        var wire: [Int: Bool] = [:]
        var dropped = 0
        var woken = false
        /// Wakes so far, and the count a reader had seen when it last blocked in `wait` (nil
        /// while it is not blocked there): what `isIdle` compares.
        var wakes = 0
        var parked: Int?
        var failure: GPIOError?
        /// Failed and not yet reopened: reads keep failing, like a released line request.
        var closed = false
        var reopened = 0
        var reopenTries = 0

        /// Moves the edges due by `now` onto the wire and into the line buffers.
        mutating func arrive(now: UInt64) {
            var arrived = 0
            for edge in scheduled {
                guard edge.nanos <= now else { break }
                arrived += 1
                wire[edge.line] = edge.rising
                if buffers[edge.line, default: []].count < SimulatedEdgeSource.lineBuffer {
                    buffers[edge.line, default: []].append(edge)
                } else {
                    dropped += 1
                }
            }
            scheduled.removeFirst(arrived)
        }
    }
    let inner: Mutex<Inner>
    let clock: @Sendable () -> UInt64
    let signal = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - clock: monotonic nanoseconds (the system's, or a test's manual clock).
    ///   - levels: resting wire levels of lines that are not low (a pulled-up line is high).
    public init(clock: @escaping @Sendable () -> UInt64, levels: [Int: Bool] = [:]) {
        self.clock = clock
        inner = Mutex(Inner(wire: levels))
    }

    public func levels(of lines: [Int]) throws(GPIOError) -> [Int: Bool] {
        let now = clock()
        return try inner.withLock { (s: inout Inner) throws(GPIOError) -> [Int: Bool] in
            if let f = s.failure { throw f }
            if s.closed { throw GPIOError("lines not requested: reopen first") }
            s.arrive(now: now)
            return Dictionary(uniqueKeysWithValues: lines.map { ($0, s.wire[$0] ?? false) })
        }
    }

    /// Makes reads fail like a chip that vanished (nil: it is back, once reopened).
    public func fail(with error: GPIOError?) {
        inner.withLock { s in
            s.failure = error
            if error != nil { s.closed = true }
        }
        signal.signal()
    }

    /// Times the lines were requested again, and times it was tried.
    public var reopened: (succeeded: Int, tried: Int) { inner.withLock { ($0.reopened, $0.reopenTries) } }

    public func reopen() throws(GPIOError) {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            s.reopenTries += 1
            if let f = s.failure { throw f }
            // A fresh request: what the kernel buffered for the old one is gone.
            s.buffers = [:]
            s.closed = false
            s.reopened += 1
        }
    }

    public func nowNanos() -> UInt64 { clock() }

    /// Schedules edges (any order); they arrive when the clock reaches their timestamps.
    public func inject(_ edges: [GPIOEdge]) {
        inner.withLock { s in
            s.scheduled.append(contentsOf: edges)
            s.scheduled.sort { $0.nanos < $1.nanos }
        }
        signal.signal()
    }

    /// Edges lost to full line buffers so far.
    public var dropped: Int { inner.withLock { $0.dropped } }

    /// Everything that has arrived by `now`, oldest first, without blocking.
    public func drain(now: UInt64) -> [GPIOEdge] {
        inner.withLock { s in
            s.arrive(now: now)
            let out = s.buffers.values.flatMap { $0 }.sorted { $0.nanos < $1.nanos }
            s.buffers = [:]
            return out
        }
    }

    public func wait(until deadline: UInt64?) throws(GPIOError) -> [GPIOEdge] {
        while true {
            if let f = inner.withLock({ $0.failure }) { throw f }
            if inner.withLock({ $0.closed }) { throw GPIOError("lines not requested: reopen first") }
            let now = clock()
            let edges = drain(now: now)
            if !edges.isEmpty { return edges }
            let (next, woken) = inner.withLock { s -> (UInt64?, Bool) in
                defer { s.woken = false }
                return (s.scheduled.first?.nanos, s.woken)
            }
            if woken { return [] }
            if let deadline, deadline <= now { return [] }
            let until = [next, deadline].compactMap { $0 }.min()
            let blocking = inner.withLock { s -> Bool in
                guard !s.woken else { return false }
                s.parked = s.wakes
                return true
            }
            guard blocking else { continue }
            if let until {
                _ = signal.wait(timeout: .now() + .nanoseconds(Int(min(until - now, 1_000_000_000))))
            } else {
                signal.wait()
            }
            inner.withLock { $0.parked = nil }
        }
    }

    public func wake() {
        inner.withLock { s in
            s.woken = true
            s.wakes += 1
        }
        signal.signal()
    }

    /// True when a reader is blocked in `wait` having seen the last `wake()`, and nothing has
    /// arrived or is due by the clock's time: the reader has handled everything up to now.
    public var isIdle: Bool {
        let now = clock()
        return inner.withLock { s in
            s.parked == s.wakes && s.buffers.values.allSatisfy(\.isEmpty)
                && !(s.scheduled.first.map { $0.nanos <= now } ?? false)
        }
    }

    /// Waits (real time, up to `seconds`) until `isIdle`; false if it never was.
    public func awaitIdle(seconds: Double = 30) -> Bool {
        let end = DispatchTime.now() + seconds
        while !isIdle {
            if DispatchTime.now() > end { return false }
            usleep(100)
        }
        return true
    }
}

/// Timing of a real Wiegand reader, for the simulated twin.
public struct ReaderTiming: Sendable {
    /// Low pulse width of a bit.
    public var pulseNanos: ClosedRange<UInt64> = 40_000...100_000
    /// Period from one bit to the next.
    public var bitPeriodNanos: ClosedRange<UInt64> = 1_000_000...2_000_000
    /// Extra jitter on each bit, ±.
    public var jitterNanos: UInt64 = 200_000
    public init() {}
}

/// The edges a reader puts on D0/D1 for a frame: for each bit, a falling edge (pulse start)
/// and a rising edge (pulse end) on the line of the bit's value.
public enum WiegandSignal {
    public static func edges<R: RandomNumberGenerator>(
        _ frame: WiegandFrame, d0: Int, d1: Int, start: UInt64, timing: ReaderTiming = ReaderTiming(),
        using rng: inout R
    ) -> [GPIOEdge] {
        var out: [GPIOEdge] = []
        var t = start
        for i in 0..<frame.count {
            let line = frame.bit(i) ? d1 : d0
            let pulse = UInt64.random(in: timing.pulseNanos, using: &rng)
            out.append(GPIOEdge(line: line, rising: false, nanos: t))
            out.append(GPIOEdge(line: line, rising: true, nanos: t + pulse))
            let period = UInt64.random(in: timing.bitPeriodNanos, using: &rng)
            let jitter = Int64.random(in: -Int64(timing.jitterNanos)...Int64(timing.jitterNanos), using: &rng)
            // Never earlier than the end of this pulse plus a little idle time.
            t = max(t + pulse + 10_000, UInt64(Int64(t + period) + jitter))
        }
        return out
    }
}

/// A small deterministic random generator (SplitMix64): simulated hardware that behaves the
/// same on every run, in tests and in the demo.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
