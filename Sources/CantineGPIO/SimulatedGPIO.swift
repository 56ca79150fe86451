// The simulated twin of the GPIO edge, used by tests, the demo and the benches. It is as
// unkind as the kernel it stands for (read against gpiolib-cdev.c's v1 line events, the
// Raspberry Pi pinctrl drivers and libgpiod 1.6): an edge's type is named by the level its IRQ
// thread reads some microseconds later on both-edge requests; edges during that thread
// coalesce; each line buffers 16 events; a thread can be preempted between poll and read; an
// undriven line floats to its pull (the SoC's power-on pulls unless a bias is requested); a
// released output keeps its level where the driver persists outputs; chips carry labels that
// differ by board, and one that vanishes does not wake its readers.

import CantineCore
import CantineProtocol
import Dispatch
import Foundation
import Synchronization

/// How the simulated kernel and scheduler treat edges.
public struct KernelTiming: Sendable {
    /// Delay from an edge's hard interrupt to its IRQ thread, usually.
    public var irqThreadNanos: ClosedRange<UInt64>
    /// One interrupt in `lateEvery` waits longer for its thread (a busy core, another IRQ).
    public var lateEvery: UInt64
    public var lateNanos: ClosedRange<UInt64>
    /// One poll in `preemptEvery` is followed by a preemption of the reader thread before it
    /// reads, of up to `preemptNanos`; 0 never.
    public var preemptEvery: UInt64
    public var preemptNanos: ClosedRange<UInt64>
    public var seed: UInt64

    public init(
        irqThreadNanos: ClosedRange<UInt64>, lateEvery: UInt64, lateNanos: ClosedRange<UInt64>,
        preemptEvery: UInt64, preemptNanos: ClosedRange<UInt64>, seed: UInt64
    ) {
        self.irqThreadNanos = irqThreadNanos
        self.lateEvery = lateEvery
        self.lateNanos = lateNanos
        self.preemptEvery = preemptEvery
        self.preemptNanos = preemptNanos
        self.seed = seed
    }

    /// A Raspberry Pi under ordinary load (the default): IRQ threads run 5–40 µs after their
    /// edge, one in 30 up to 400 µs late (longer than a Wiegand pulse, shorter than a bit
    /// period); one poll in 10 is followed by a preemption of up to 3 ms.
    public static let loadedPi = KernelTiming(
        irqThreadNanos: 5_000...40_000, lateEvery: 30, lateNanos: 40_000...400_000, preemptEvery: 10,
        preemptNanos: 200_000...3_000_000, seed: 0x6B65_726E)
    /// Instant threads and no preemption: what the twin was before it learnt the kernel.
    public static let instant = KernelTiming(
        irqThreadNanos: 0...0, lateEvery: 0, lateNanos: 0...0, preemptEvery: 0, preemptNanos: 0...0, seed: 0)

    /// The delay of one interrupt's thread.
    func threadDelay(_ rng: inout SplitMix64) -> UInt64 {
        if lateEvery > 0, rng.next() % lateEvery == 0 { return UInt64.random(in: lateNanos, using: &rng) }
        return UInt64.random(in: irqThreadNanos, using: &rng)
    }

    /// The preemption after one poll.
    func preemption(_ rng: inout SplitMix64) -> UInt64 {
        guard preemptEvery > 0, rng.next() % preemptEvery == 0 else { return 0 }
        return UInt64.random(in: preemptNanos, using: &rng)
    }
}

/// A simulated board: its chips, by name, each with the label its driver gives it.
public final class SimulatedBoard: GPIOBoard, Sendable {
    public let chips: [SimulatedChip]

    public init(chips: [SimulatedChip]) { self.chips = chips }

    /// A Raspberry Pi 4: the header is gpiochip0 (`pinctrl-bcm2711`), the firmware's expander gpiochip1.
    public static func raspberryPi4(
        clock: @escaping @Sendable () -> UInt64, persistOutputs: Bool = true, kernel: KernelTiming = .loadedPi
    ) -> SimulatedBoard {
        SimulatedBoard(chips: [
            SimulatedChip(
                name: "gpiochip0", label: "pinctrl-bcm2711", lineCount: 58, clock: clock,
                persistOutputs: persistOutputs, kernel: kernel),
            SimulatedChip(name: "gpiochip1", label: "raspberrypi-exp-gpio", lineCount: 8, clock: clock),
        ])
    }

    /// A Raspberry Pi 5 on an early bookworm kernel (before 6.6.45): gpiochip0 is an unrelated
    /// SoC bank on which every header line number exists; the header is gpiochip4 (`pinctrl-rp1`).
    public static func raspberryPi5Early(
        clock: @escaping @Sendable () -> UInt64, persistOutputs: Bool = true, kernel: KernelTiming = .loadedPi
    ) -> SimulatedBoard {
        SimulatedBoard(chips: [
            SimulatedChip(name: "gpiochip0", label: "gpio-brcmstb@107d508500", lineCount: 32, clock: clock),
            SimulatedChip(name: "gpiochip1", label: "gpio-brcmstb@107d508500", lineCount: 4, clock: clock),
            SimulatedChip(name: "gpiochip2", label: "gpio-brcmstb@107d517c00", lineCount: 17, clock: clock),
            SimulatedChip(name: "gpiochip3", label: "gpio-brcmstb@107d517c00", lineCount: 6, clock: clock),
            SimulatedChip(
                name: "gpiochip4", label: "pinctrl-rp1", lineCount: 54, clock: clock, persistOutputs: persistOutputs,
                kernel: kernel),
        ])
    }

    public func chipNames() -> [String] { chips.map(\.name) }

    public func open(name: String) throws(GPIOError) -> any GPIOChipPort {
        let bare = name.hasPrefix("/dev/") ? String(name.dropFirst(5)) : name
        guard let chip = chips.first(where: { $0.name == bare }), chip.isPresent else {
            throw GPIOError(
                .notFound,
                "GPIO chip \(name) not found: check the chip name (`gpiodetect` lists chips) or set gpio.mode = \"simulated\""
            )
        }
        return chip
    }

    /// The chip called `name` (tests).
    public func chip(_ name: String) -> SimulatedChip? { chips.first { $0.name == name } }
}

/// A simulated GPIO chip: lines requested as outputs or inputs, the SoC's pulls, outputs that
/// persist after release (Raspberry Pi OS's `persist_gpio_outputs`, on unless
/// `dtparam=strict_gpiod`), and a chip that can vanish and come back.
public final class SimulatedChip: GPIOChipPort, Sendable {
    public let name: String
    public let label: String
    public let lineCount: Int
    let clock: @Sendable () -> UInt64
    let kernel: KernelTiming

    struct Inner {
        var persistOutputs: Bool
        var present = true
        /// Lines configured as outputs, with the physical level they drive (persisting ones too).
        var outputs: [Int: Bool] = [:]
        /// Lines held by a request, with its consumer.
        var held: [Int: String] = [:]
        /// The pull each line was last requested with (the pull register keeps it).
        var bias: [Int: Bias] = [:]
        var requests: [SimulatedOutputLine] = []
        var sources: [SimulatedEdgeSource] = []
    }
    let inner: Mutex<Inner>

    public init(
        name: String, label: String, lineCount: Int, clock: @escaping @Sendable () -> UInt64,
        persistOutputs: Bool = true, kernel: KernelTiming = .loadedPi
    ) {
        self.name = name
        self.label = label
        self.lineCount = lineCount
        self.clock = clock
        self.kernel = kernel
        inner = Mutex(Inner(persistOutputs: persistOutputs))
    }

    /// The pull a BCM283x/BCM2711 line has from power-on: GPIO 0–8 up, 9 and above down.
    public static func powerOnPull(_ line: Int) -> Bias { line <= 8 ? .pullUp : .pullDown }

    var isPresent: Bool { inner.withLock { $0.present } }

    /// Whether a released output keeps its level (the pinctrl driver's `persist_gpio_outputs`).
    public var persistOutputs: Bool {
        get { inner.withLock { $0.persistOutputs } }
        set { inner.withLock { $0.persistOutputs = newValue } }
    }

    /// The physical level of an output line, or nil when it is an input (it floats to its pull
    /// and the driver's own input circuit decides).
    public func drivenLevel(_ line: Int) -> Bool? { inner.withLock { $0.outputs[line] } }

    /// The level a line's pull holds it at when nothing drives it.
    public func pullLevel(_ line: Int) -> Bool {
        inner.withLock { ($0.bias[line] ?? Self.powerOnPull(line)) == .pullUp }
    }

    func check(_ line: Int, consumer: String, _ s: inout Inner) throws(GPIOError) {
        guard s.present else { throw GPIOError(.gone, "GPIO chip \(name) not found: it went away") }
        guard line >= 0, line < lineCount else {
            throw GPIOError(
                .notFound,
                "line \(line) does not exist on \(name) (it has \(lineCount) lines): fix the line number in the config")
        }
        if let holder = s.held[line] {
            throw GPIOError(
                .busy, "line \(line) of \(name) is busy (held by \(holder)): see `gpioinfo \(name)`")
        }
        s.held[line] = consumer
    }

    public func output(
        line: Int, consumer: String, activeLow: Bool, initiallyActive: Bool
    ) throws(GPIOError) -> any OutputLine {
        try request(output: line, consumer: consumer, activeLow: activeLow, initiallyActive: initiallyActive)
    }

    /// Requests `line` as an output (the concrete twin, for tests).
    public func request(
        output line: Int, consumer: String, activeLow: Bool, initiallyActive: Bool
    ) throws(GPIOError) -> SimulatedOutputLine {
        let out = SimulatedOutputLine(
            initiallyActive: initiallyActive, chip: self, line: line, consumer: consumer, activeLow: activeLow)
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            try check(line, consumer: consumer, &s)
            s.outputs[line] = initiallyActive != activeLow
            s.requests.append(out)
        }
        return out
    }

    public func inputs(_ requests: [InputRequest], consumer: String) throws(GPIOError) -> any EdgeSource {
        try inputSource(requests, consumer: consumer)
    }

    /// Requests input lines (the concrete twin, for tests). `resting`: what drives each line
    /// at rest (unlisted lines float to their pull); `clock`: the edges' clock (the chip's).
    public func inputSource(
        _ requests: [InputRequest], consumer: String, resting: [Int: Bool] = [:],
        clock: (@Sendable () -> UInt64)? = nil
    ) throws(GPIOError) -> SimulatedEdgeSource {
        let pulls = try inner.withLock { (s: inout Inner) throws(GPIOError) -> [Int: Bool] in
            var claimed: [Int] = []
            for r in requests {
                do throws(GPIOError) {
                    try check(r.line, consumer: consumer, &s)
                } catch {
                    claimed.forEach { s.held[$0] = nil }
                    throw error
                }
                claimed.append(r.line)
                s.outputs[r.line] = nil
                if let b = r.bias { s.bias[r.line] = b }
            }
            return Dictionary(
                uniqueKeysWithValues: requests.map {
                    ($0.line, (s.bias[$0.line] ?? Self.powerOnPull($0.line)) == .pullUp)
                })
        }
        let source = SimulatedEdgeSource(
            clock: clock ?? self.clock, drive: resting, pulls: pulls, requests: requests, kernel: kernel, chip: self)
        inner.withLock { $0.sources.append(source) }
        return source
    }

    public func float(line: Int, consumer: String) throws(GPIOError) -> any HeldLine {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            try check(line, consumer: consumer, &s)
            s.outputs[line] = nil
        }
        return SimulatedHeldLine(chip: self, line: line)
    }

    func releaseHeld(_ line: Int) { inner.withLock { _ = $0.held.removeValue(forKey: line) } }

    /// Writes an output's level (from its line's request).
    func drive(_ line: Int, physical: Bool, by request: SimulatedOutputLine) throws(GPIOError) {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            guard s.present, s.requests.contains(where: { $0 === request }) else {
                throw GPIOError(.gone, "line \(line) of \(name): the request is gone (the chip went away?)")
            }
            s.outputs[line] = physical
        }
    }

    /// Every request the process held is released, without driving anything: a crash, a
    /// kill -9, or a clean exit (the kernel closes the process's line fds the same way).
    /// Outputs keep their level where the driver persists them; else they become inputs.
    public func processDied() {
        inner.withLock { s in
            if !s.persistOutputs {
                for line in s.requests.map(\.line) { s.outputs[line] = nil }
            }
            s.held = [:]
            s.requests = []
            s.sources = []
        }
    }

    /// The chip goes away (a cable, a driver unbound): requests die; readers are not woken.
    public func vanish() {
        let sources = inner.withLock { s -> [SimulatedEdgeSource] in
            s.present = false
            s.held = [:]
            s.requests = []
            return s.sources
        }
        sources.forEach { $0.fail(with: GPIOError(.gone, "GPIO chip \(name) went away"), wake: false) }
    }

    /// The chip is back: its lines can be requested again (old requests stay dead).
    public func reappear() {
        let sources = inner.withLock { s -> [SimulatedEdgeSource] in
            s.present = true
            return s.sources
        }
        sources.forEach { $0.fail(with: nil, wake: false) }
    }

    func reclaim(_ request: SimulatedOutputLine, physical: Bool) throws(GPIOError) {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            s.requests.removeAll { $0 === request }
            if s.held[request.line] == request.consumer { s.held[request.line] = nil }
            try check(request.line, consumer: request.consumer, &s)
            s.outputs[request.line] = physical
            s.requests.append(request)
        }
    }

    func reopen(_ source: SimulatedEdgeSource) throws(GPIOError) {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            guard s.present else { throw GPIOError(.gone, "GPIO chip \(name) not found: it went away") }
            for r in source.requests where s.held[r.line] == nil { s.held[r.line] = "cantine" }
        }
    }
}

/// A line of a simulated chip held as an input (released when dropped).
final class SimulatedHeldLine: HeldLine {
    let chip: SimulatedChip
    let line: Int
    init(chip: SimulatedChip, line: Int) {
        self.chip = chip
        self.line = line
    }
    deinit { chip.releaseHeld(line) }
}

/// A simulated output line: remembers its logical level and history; on a chip, drives the
/// chip's line (active-low handled), and dies with the chip's requests.
public final class SimulatedOutputLine: OutputLine, Sendable {
    struct Inner {
        var active: Bool
        var history: [Bool] = []
        var failure: GPIOError?
    }
    let inner: Mutex<Inner>
    let chip: SimulatedChip?
    let line: Int
    let consumer: String
    let activeLow: Bool

    /// A line on no chip (tests of the relay driver alone).
    public convenience init(initiallyActive: Bool) {
        self.init(initiallyActive: initiallyActive, chip: nil, line: -1, consumer: "test", activeLow: false)
    }

    init(initiallyActive: Bool, chip: SimulatedChip?, line: Int, consumer: String, activeLow: Bool) {
        inner = Mutex(Inner(active: initiallyActive))
        self.chip = chip
        self.line = line
        self.consumer = consumer
        self.activeLow = activeLow
    }

    public func set(active: Bool) throws(GPIOError) {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            if let f = s.failure { throw f }
            try chip?.drive(line, physical: active != activeLow, by: self)
            s.active = active
            s.history.append(active)
        }
    }

    public func reclaim(initiallyActive: Bool) throws(GPIOError) {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            if let f = s.failure { throw f }
            try chip?.reclaim(self, physical: initiallyActive != activeLow)
            s.active = initiallyActive
        }
    }

    /// Current logical level.
    public var active: Bool { inner.withLock { $0.active } }
    /// Every level set, in order.
    public var history: [Bool] { inner.withLock { $0.history } }
    /// Makes further `set` calls fail (nil to recover).
    public func fail(with error: GPIOError?) { inner.withLock { $0.failure = error } }
}

/// The simulated twin of a chip's input lines. What the wire does is scheduled with
/// timestamps (edges, or a line let go to float) and happens when the clock passes it; the
/// kernel's view of it follows `KernelTiming`: an edge raises an interrupt whose thread runs
/// later, names the edge (falling-only requests: FALLING; both: by the level it reads then)
/// and queues it in the line's 16-event buffer, dropping what does not fit (counted here).
///
/// On a manual clock a test moves time, calls `wake()`, then `awaitIdle()`: the reader thread
/// has then taken everything due by the new time, with no race against the real clock.
public final class SimulatedEdgeSource: EdgeSource, Sendable {
    /// Events a line holds between reads (GPIO v1 kernel kfifo).
    public static let lineBuffer = GPIOEdge.lineBuffer

    struct Line {
        var edges: EdgeKind
        /// The level a pull holds it at when nothing drives it.
        var pull: Bool
        /// What drives the line now (nil: nobody, it floats to its pull).
        var drive: Bool?
        /// Scheduled changes of the drive, oldest first; those before `head` have happened.
        var scheduled: [(nanos: UInt64, drive: Bool?)] = []
        var head = 0
        /// The IRQ thread of the last interrupt runs at this time; an edge before it is latched.
        var busyUntil: UInt64?
        var latched = false
        /// Events named, waiting for their thread's time.
        var inFlight: [(arrival: UInt64, edge: GPIOEdge)] = []
        var buffer: [GPIOEdge] = []

        var level: Bool { drive ?? pull }

        /// The level at `t`, from the drive now and the changes scheduled by then.
        func level(at t: UInt64) -> Bool {
            var d = drive
            for c in scheduled[head...] {
                guard c.nanos <= t else { break }
                d = c.drive
            }
            return d ?? pull
        }

        /// The next change still to happen.
        var nextChange: UInt64? { head < scheduled.count ? scheduled[head].nanos : nil }

        /// Forgets the changes that have happened, now and then (long benches schedule many).
        mutating func compact() {
            if head > 4096 && head * 2 > scheduled.count {
                scheduled.removeFirst(head)
                head = 0
            }
        }
    }

    struct Inner {
        var lines: [Int: Line]
        var rng: SplitMix64
        var dropped = 0
        var woken = false
        /// Wakes so far, and the count a reader had seen when it last blocked in `poll` (nil
        /// while it is not blocked there): what `isIdle` compares.
        var wakes = 0
        var parked: Int?
        var failure: GPIOError?
        /// Failed and not yet reopened: reads keep failing, like a released line request.
        var closed = false
        var reopened = 0
        var reopenTries = 0
        /// Reads after a poll see the wire up to this time (the thread was preempted).
        var readHorizon: UInt64 = 0
    }
    let inner: Mutex<Inner>
    let clock: @Sendable () -> UInt64
    let kernel: KernelTiming
    let requests: [InputRequest]
    let chip: SimulatedChip?
    let signal = DispatchSemaphore(value: 0)

    /// Lines of no chip (tests of decoders): each of `requests` (every line in `levels`, for
    /// both edges, when nil) with the BCM power-on pull unless it asks for a bias.
    /// - Parameters:
    ///   - clock: monotonic nanoseconds (the system's, or a test's manual clock).
    ///   - levels: what drives each line at rest (a reader idles its data lines high); a line
    ///     not listed floats to its pull.
    public convenience init(
        clock: @escaping @Sendable () -> UInt64, levels: [Int: Bool] = [:], requests: [InputRequest]? = nil,
        kernel: KernelTiming = .loadedPi
    ) {
        let requests = requests ?? levels.keys.sorted().map { InputRequest(line: $0, edges: .both, bias: nil) }
        let pulls = Dictionary(
            uniqueKeysWithValues: requests.map { ($0.line, ($0.bias ?? SimulatedChip.powerOnPull($0.line)) == .pullUp) }
        )
        self.init(clock: clock, drive: levels, pulls: pulls, requests: requests, kernel: kernel, chip: nil)
    }

    init(
        clock: @escaping @Sendable () -> UInt64, drive: [Int: Bool], pulls: [Int: Bool], requests: [InputRequest],
        kernel: KernelTiming, chip: SimulatedChip?
    ) {
        self.clock = clock
        self.kernel = kernel
        self.requests = requests
        self.chip = chip
        var lines: [Int: Line] = [:]
        for r in requests {
            lines[r.line] = Line(edges: r.edges, pull: pulls[r.line] ?? false, drive: drive[r.line])
        }
        inner = Mutex(Inner(lines: lines, rng: SplitMix64(seed: kernel.seed)))
    }

    public func levels(of lines: [Int]) throws(GPIOError) -> [Int: Bool] {
        let now = clock()
        return try inner.withLock { (s: inout Inner) throws(GPIOError) -> [Int: Bool] in
            if let f = s.failure { throw f }
            if s.closed { throw GPIOError(.invalid, "lines not requested: reopen first") }
            Self.arrive(&s, now: now, kernel: kernel)
            var out: [Int: Bool] = [:]
            for l in lines {
                guard let line = s.lines[l] else { throw GPIOError(.invalid, "line \(l) was not requested for input") }
                out[l] = line.level
            }
            return out
        }
    }

    /// Makes reads fail like a chip that vanished (nil: it is back, once reopened). Like an
    /// older kernel, this does not wake a reader blocked in `poll` unless `wake` says so.
    public func fail(with error: GPIOError?, wake: Bool = false) {
        inner.withLock { s in
            s.failure = error
            if error != nil { s.closed = true }
        }
        if wake { signal.signal() }
    }

    /// Times the lines were requested again, and times it was tried.
    public var reopened: (succeeded: Int, tried: Int) { inner.withLock { ($0.reopened, $0.reopenTries) } }

    public func reopen() throws(GPIOError) {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            s.reopenTries += 1
            if let f = s.failure { throw f }
            try chip?.reopen(self)
            // A fresh request: what the kernel buffered for the old one is gone.
            for l in s.lines.keys {
                s.lines[l]?.buffer = []
                s.lines[l]?.inFlight = []
                s.lines[l]?.busyUntil = nil
                s.lines[l]?.latched = false
            }
            s.closed = false
            s.reopened += 1
        }
    }

    public func nowNanos() -> UInt64 { clock() }

    /// Schedules edges (any order): at its time each drives its line to its direction.
    public func inject(_ edges: [GPIOEdge]) {
        schedule(edges.map { ($0.line, $0.nanos, $0.rising) })
    }

    /// Schedules a line let go at `nanos` (a reed switch opening, a wire cut): it floats to its pull.
    public func release(line: Int, at nanos: UInt64) { schedule([(line, nanos, nil)]) }

    func schedule(_ changes: [(line: Int, nanos: UInt64, drive: Bool?)]) {
        inner.withLock { s in
            for c in changes {
                s.lines[c.line]?.scheduled.append((c.nanos, c.drive))
            }
            for l in Set(changes.map(\.line)) {
                guard let head = s.lines[l]?.head else { continue }
                s.lines[l]?.scheduled[head...].sort { $0.nanos < $1.nanos }
            }
        }
        signal.signal()
    }

    /// Edges lost to full line buffers so far.
    public var dropped: Int { inner.withLock { $0.dropped } }

    /// Plays the wire and the kernel up to `now`: edges raise interrupts, threads name and
    /// queue the events whose time has come.
    static func arrive(_ s: inout Inner, now: UInt64, kernel: KernelTiming) {
        for l in s.lines.keys.sorted() {
            guard var line = s.lines.removeValue(forKey: l) else { continue }  // mutated alone, no copy
            while line.head < line.scheduled.count, line.scheduled[line.head].nanos <= now {
                let change = line.scheduled[line.head]
                line.head += 1  // happened: `level(at:)` starts after it
                let before = line.level
                line.drive = change.drive
                let after = line.level
                guard before != after else { continue }  // no transition, no interrupt
                interrupt(&line, l, at: change.nanos, rising: after, &s.rng, kernel)
            }
            line.compact()
            fireLatched(&line, l, before: now, &s.rng, kernel)
            var arrived = 0
            for (arrival, edge) in line.inFlight {
                guard arrival <= now else { break }
                arrived += 1
                if line.buffer.count < lineBuffer {
                    line.buffer.append(edge)
                } else {
                    s.dropped += 1  // "event FIFO is full - event dropped"
                }
            }
            line.inFlight.removeFirst(arrived)
            s.lines[l] = line
        }
    }

    /// A hard interrupt for an edge at `t`: masked lines latch it for later (IRQF_ONESHOT).
    static func interrupt(
        _ line: inout Line, _ l: Int, at t: UInt64, rising: Bool, _ rng: inout SplitMix64, _ kernel: KernelTiming
    ) {
        if line.edges == .falling && rising { return }
        fireLatched(&line, l, before: t, &rng, kernel)
        if let busy = line.busyUntil, t < busy {
            line.latched = true
            return
        }
        fire(&line, l, at: t, &rng, kernel)
    }

    /// The hard handler stamps `t`; the thread runs later and names the edge.
    static func fire(_ line: inout Line, _ l: Int, at t: UInt64, _ rng: inout SplitMix64, _ kernel: KernelTiming) {
        let run = t + kernel.threadDelay(&rng)
        let rising =
            switch line.edges {
            case .falling: false
            case .both: line.level(at: run)  // gpiod_get_value_cansleep in lineevent_irq_thread
            }
        line.inFlight.append((run, GPIOEdge(line: l, rising: rising, nanos: t)))
        line.busyUntil = run
    }

    /// A latched interrupt fires when the thread before it has finished (the line unmasked).
    static func fireLatched(
        _ line: inout Line, _ l: Int, before t: UInt64, _ rng: inout SplitMix64, _ kernel: KernelTiming
    ) {
        while line.latched, let busy = line.busyUntil, busy <= t {
            line.latched = false
            fire(&line, l, at: busy, &rng, kernel)
        }
    }

    /// Everything that has arrived by `now`, oldest first, without blocking (pure decoder tests).
    public func drain(now: UInt64) -> [GPIOEdge] {
        inner.withLock { s in
            Self.arrive(&s, now: now, kernel: kernel)
            var out: [GPIOEdge] = []
            for l in s.lines.keys {
                out += s.lines[l]?.buffer ?? []
                s.lines[l]?.buffer = []
            }
            return out.sorted { $0.nanos < $1.nanos }
        }
    }

    public func poll(until deadline: UInt64) throws(GPIOError) -> [Int] {
        while true {
            let now = clock()
            let (ready, next, woken) = inner.withLock { s -> ([Int], UInt64?, Bool) in
                defer { s.woken = false }
                // A chip that went away delivers nothing and, like an older kernel, does not
                // end the poll: only `read`, `levels` and `probe` fail.
                if s.closed { return ([], nil, s.woken) }
                Self.arrive(&s, now: now, kernel: kernel)
                let ready = s.lines.keys.sorted().filter { !(s.lines[$0]?.buffer.isEmpty ?? true) }
                if !ready.isEmpty {
                    s.readHorizon = now + kernel.preemption(&s.rng)
                }
                let next = s.lines.values.compactMap { l in
                    [l.nextChange, l.inFlight.first?.arrival, l.latched ? l.busyUntil : nil]
                        .compactMap { $0 }.min()
                }.min()
                return (ready, next, s.woken)
            }
            if !ready.isEmpty || woken { return ready }
            if deadline <= now { return [] }
            let until = [next, deadline].compactMap { $0 }.min() ?? deadline
            let blocking = inner.withLock { s -> Bool in
                guard !s.woken else { return false }
                s.parked = s.wakes
                return true
            }
            guard blocking else { continue }
            // Real time, briefly: a manual clock moves without signalling.
            let wait = until > now ? min(until - now, 20_000_000) : 0
            _ = signal.wait(timeout: .now() + .nanoseconds(Int(wait)))
            inner.withLock { $0.parked = nil }
        }
    }

    public func read(line l: Int) throws(GPIOError) -> [GPIOEdge] {
        let now = clock()
        return try inner.withLock { (s: inout Inner) throws(GPIOError) -> [GPIOEdge] in
            if let f = s.failure { throw f }
            if s.closed { throw GPIOError(.invalid, "lines not requested: reopen first") }
            // A preempted thread reads later than it polled: what arrived meanwhile is read too.
            Self.arrive(&s, now: max(now, s.readHorizon), kernel: kernel)
            guard let buffer = s.lines[l]?.buffer else { return [] }
            s.lines[l]?.buffer = []
            return buffer
        }
    }

    public func probe() throws(GPIOError) {
        try inner.withLock { (s: inout Inner) throws(GPIOError) in
            if let f = s.failure { throw f }
            if s.closed { throw GPIOError(.invalid, "lines not requested: reopen first") }
        }
    }

    public func wake() {
        inner.withLock { s in
            s.woken = true
            s.wakes += 1
        }
        signal.signal()
    }

    /// True when a reader is blocked in `poll` having seen the last `wake()`, and nothing has
    /// arrived or is due by the clock's time: the reader has handled everything up to now.
    public var isIdle: Bool {
        let now = clock()
        return inner.withLock { s in
            s.parked == s.wakes
                && s.lines.values.allSatisfy { l in
                    l.buffer.isEmpty && !(l.nextChange.map { $0 <= now } ?? false)
                        && !(l.inFlight.first.map { $0.arrival <= now } ?? false)
                        && !(l.latched && (l.busyUntil ?? .max) <= now)
                }
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
    /// Added to the period at each bit (a reader whose pace drifts within a frame), ±.
    public var driftNanosPerBit: Int64 = 0
    public init() {}

    /// A reader with a steady `period`, jittered by ±`jitter`, drifting by `drift` per bit.
    public init(period: UInt64, jitter: UInt64 = 200_000, drift: Int64 = 0) {
        bitPeriodNanos = period...period
        jitterNanos = jitter
        driftNanosPerBit = drift
    }
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
            let period =
                Int64(UInt64.random(in: timing.bitPeriodNanos, using: &rng)) + Int64(i) * timing.driftNanosPerBit
            let jitter = Int64.random(in: -Int64(timing.jitterNanos)...Int64(timing.jitterNanos), using: &rng)
            // Never earlier than the end of this pulse plus a little idle time.
            t = UInt64(max(Int64(t + pulse + 10_000), Int64(t) + period + jitter))
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
