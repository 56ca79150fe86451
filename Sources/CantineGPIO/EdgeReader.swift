// One chip's input lines, decoded on one thread: `EdgeDecoding` is what a pure decoder offers
// (edges and time in, signals out), `ChipDecoder` joins the doors and wired desks that share a
// chip (a line can be requested once per process), and `EdgeReader` runs a decoder on its own
// thread against an EdgeSource, starting from the lines' levels read once, reading every
// line until none has events left before decoding (`EdgeBatch`).

import CantineCore
import Foundation
import Synchronization

/// A pure decoder of one chip's edges.
public protocol EdgeDecoding: Sendable {
    associatedtype Signal: Sendable
    /// Every line the decoder listens to.
    var lines: [Int] { get }
    /// How each line is requested: its edges and its bias.
    var requests: [InputRequest] { get }
    /// Lines whose level the decoder needs read now: a wired sensor's resting level at start,
    /// or after a batch that may have overflowed the kernel's buffer.
    var linesToRead: [Int] { get }
    /// The earliest time `poll` has something to complete.
    var deadline: UInt64? { get }
    /// Takes the wire levels (true = high) of `linesToRead`, read at `now`.
    mutating func take(levels: [Int: Bool], now: UInt64) -> [Signal]
    /// The source failed: levels must be read again once it is back.
    mutating func lostTrack()
    /// Feeds edges in timestamp order.
    mutating func handle(_ edges: [GPIOEdge]) -> [Signal]
    /// Completes what is due at `now`.
    mutating func poll(now: UInt64) -> [Signal]
    /// What will be complete if nothing else comes (a frame waiting for its silence), each
    /// announced once: for the consumer to prepare, never to act on.
    mutating func pending() -> [Signal]
}

extension EdgeDecoding {
    public var linesToRead: [Int] { [] }
    public mutating func take(levels: [Int: Bool], now: UInt64) -> [Signal] { [] }
    public mutating func lostTrack() {}
    public mutating func pending() -> [Signal] { [] }
}

/// What a chip's inputs say: about a door, or about a wired desk.
public enum InputSignal: Sendable, Equatable {
    case door(DoorSignal)
    case desk(DeskSignal)
}

/// The doors and wired desk sensors of one chip.
public struct ChipDecoder: EdgeDecoding {
    public var doors: DoorEdgeDecoder
    public var desks: DeskEdgeDecoder

    public init(doors: DoorEdgeDecoder, desks: DeskEdgeDecoder) {
        self.doors = doors
        self.desks = desks
    }

    public var lines: [Int] { doors.lines + desks.lines }
    public var requests: [InputRequest] { doors.requests + desks.requests }
    public var linesToRead: [Int] { doors.linesToRead + desks.linesToRead }
    public var deadline: UInt64? { [doors.deadline, desks.deadline].compactMap { $0 }.min() }

    public mutating func take(levels: [Int: Bool], now: UInt64) -> [InputSignal] {
        doors.take(levels: levels, now: now).map(InputSignal.door)
            + desks.take(levels: levels, now: now).map(InputSignal.desk)
    }

    public mutating func lostTrack() {
        doors.lostTrack()
        desks.lostTrack()
    }

    public mutating func handle(_ edges: [GPIOEdge]) -> [InputSignal] {
        doors.handle(edges).map(InputSignal.door) + desks.handle(edges).map(InputSignal.desk)
    }

    public mutating func poll(now: UInt64) -> [InputSignal] {
        doors.poll(now: now).map(InputSignal.door) + desks.poll(now: now).map(InputSignal.desk)
    }

    public mutating func pending() -> [InputSignal] { doors.pending().map(InputSignal.door) }
}

/// The door readers' scheduling.
public enum ReaderPriority {
    /// SCHED_FIFO priority of a reader thread: low among real-time priorities (1–99), above
    /// every normal thread, below the kernel's own (its IRQ threads run at 50).
    public static let realtime: Int32 = 10
}

/// Runs a decoder on its own thread against an `EdgeSource`, delivering signals synchronously
/// on that thread (so a frame reaches the relay without a task hop). Levels the decoder asks
/// for are read before waiting: at start, after a possibly lossy batch, after a failure.
public final class EdgeReader<Decoder: EdgeDecoding>: Sendable {
    let source: any EdgeSource
    let decoder: Mutex<Decoder>
    let deliver: @Sendable (Decoder.Signal) -> Void
    let onError: @Sendable (GPIOError) -> Void
    let onRecovered: @Sendable () -> Void
    let retryNanos: UInt64
    let stopping = Mutex(false)
    let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - onError: called once when the lines fail (the chip vanished, a read error).
    ///   - onRecovered: called once when they work again (reopened).
    ///   - retryNanos: how long to wait between attempts to reopen a failed source.
    public init(
        source: any EdgeSource, decoder: Decoder, deliver: @escaping @Sendable (Decoder.Signal) -> Void,
        onError: @escaping @Sendable (GPIOError) -> Void = { _ in }, onRecovered: @escaping @Sendable () -> Void = {},
        retryNanos: UInt64 = 1_000_000_000
    ) {
        self.source = source
        self.decoder = Mutex(decoder)
        self.deliver = deliver
        self.onError = onError
        self.onRecovered = onRecovered
        self.retryNanos = retryNanos
    }

    /// Starts the reader thread. With `realtimePriority`, the thread first asks to run
    /// SCHED_FIFO at that priority, so a badge is decided the moment its frame ends, whatever
    /// else the daemon is doing; returns 0 once granted, the errno when refused (EPERM: the
    /// process may not, see the unit's `LimitRTPRIO`), nil when not asked.
    @discardableResult
    public func start(name: String, realtimePriority: Int32? = nil) -> Int32? {
        let scheduled = Mutex<Int32?>(nil)
        let asked = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            // The kernel's name for the thread (top, perf, /proc), at most 15 bytes: Foundation
            // names only its own Thread object.
            let comm = open("/proc/thread-self/comm", O_WRONLY)
            if comm >= 0 {
                _ = Array(name.utf8.prefix(15)).withUnsafeBytes { write(comm, $0.baseAddress, $0.count) }
                close(comm)
            }
            if let priority = realtimePriority {
                var param = sched_param()
                param.sched_priority = priority
                let result = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param)
                scheduled.withLock { $0 = result }
            }
            asked.signal()
            run()
        }
        thread.name = name
        thread.start()
        asked.wait()
        return scheduled.withLock { $0 }
    }

    /// Stops the thread and waits for it.
    public func stop() {
        stopping.withLock { $0 = true }
        source.wake()
        finished.wait()
    }

    func run() {
        var failing = false
        while !stopping.withLock({ $0 }) {
            do throws(GPIOError) {
                if failing {
                    try source.reopen()
                    failing = false
                    onRecovered()
                }
                let lines = decoder.withLock { $0.linesToRead }
                if !lines.isEmpty {
                    let levels = try source.levels(of: lines)
                    let now = source.nowNanos()
                    decoder.withLock { $0.take(levels: levels, now: now) }.forEach(deliver)
                }
                let deadline = decoder.withLock { $0.deadline }
                // Due as of when the lines were last seen quiet, not as of now.
                let (edges, quiet) = try EdgeBatch.take(from: source, until: deadline)
                let signals = decoder.withLock { d in d.handle(edges) + d.poll(now: quiet) + d.pending() }
                signals.forEach(deliver)
            } catch {
                if !failing { onError(error) }
                failing = true
                decoder.withLock { $0.lostTrack() }
                // Retries after `retryNanos` on the source's clock, checking for stop() often.
                let until = source.nowNanos() &+ retryNanos
                while !stopping.withLock({ $0 }) && source.nowNanos() < until { Thread.sleep(forTimeInterval: 0.01) }
            }
        }
        finished.signal()
    }
}
