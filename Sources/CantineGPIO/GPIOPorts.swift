// Ports of the GPIO edge: a board's chips (found by label, since chip numbers move between
// boards and kernels), an output line (the relay) and a chip's input lines delivering edges
// (readers, contacts, exit buttons, wired desk sensors). Implemented by libgpiod (the board)
// and by a simulated twin that behaves like the v1 kernel (tests, the demo).

import CantineCore

/// A one-line GPIO error naming the chip or line and the likely fix.
public struct GPIOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure; the simulated chips answer the same codes as the kernel.
    public enum Code: Sendable, Equatable {
        /// No such chip or line (a wrong name or number in the config).
        case notFound
        /// The line is held by another program or a kernel driver.
        case busy
        /// The user may not open the chip (not in group gpio).
        case denied
        /// The chip went away (unplugged, driver unbound): wait for it to come back.
        case gone
        /// The request itself is wrong (a chip that is not what it claims, bias on an old kernel).
        case invalid
        /// Anything else.
        case failed
    }
    public let code: Code
    public let message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public init(_ message: String) { self.init(.failed, message) }
    public var description: String { message }
}

/// A GPIO output line. `active` is the logical level (active-low is handled by the line).
public protocol OutputLine: Sendable {
    func set(active: Bool) throws(GPIOError)
    /// Requests the line again at `initiallyActive` after its chip went away and came back
    /// (the old request is dead); throws while the chip is still gone.
    func reclaim(initiallyActive: Bool) throws(GPIOError)
}

/// Which edges of an input line the kernel reports.
public enum EdgeKind: Sendable, Equatable {
    /// Falling edges only: the kernel stamps FALLING in the hard interrupt, whatever the level
    /// is by the time its thread runs (Wiegand D0/D1, whose ~50 µs pulses may be over by then).
    case falling
    /// Both edges: the v1 kernel reads the line's level in its IRQ thread to name the edge,
    /// so a short pulse read late comes out RISING, or two edges merge into one.
    case both
}

/// How one input line is requested.
public struct InputRequest: Sendable, Equatable {
    public var line: Int
    public var edges: EdgeKind
    /// Nil leaves the line's pull as it is (the SoC's power-on default on a Pi).
    public var bias: Bias?
    public init(line: Int, edges: EdgeKind, bias: Bias?) {
        self.line = line
        self.edges = edges
        self.bias = bias
    }
}

/// An edge on an input line, with the kernel's CLOCK_MONOTONIC timestamp.
public struct GPIOEdge: Sendable, Equatable {
    /// Events a line holds between reads in the v1 kernel (a 16-event kfifo); more are dropped.
    public static let lineBuffer = 16

    /// Line offset on its chip.
    public var line: Int
    /// Rising (low → high) or falling (high → low), as the kernel reported it.
    public var rising: Bool
    public var nanos: UInt64

    public init(line: Int, rising: Bool, nanos: UInt64) {
        self.line = line
        self.rising = rising
        self.nanos = nanos
    }
}

/// Input lines of one chip delivering edge events: libgpiod, or its simulated twin. Called
/// from one dedicated thread, never from the cooperative pool. `EdgeBatch` is how they are read.
public protocol EdgeSource: AnyObject, Sendable {
    /// Blocks until some line has events, `deadline` (monotonic ns) passes or `wake()` is
    /// called; returns the lines that have events (empty on timeout or wake). A chip that goes
    /// away may never wake it (older v1 kernels): callers always give a deadline.
    func poll(until deadline: UInt64) throws(GPIOError) -> [Int]
    /// The events buffered for `line` (at most `GPIOEdge.lineBuffer`), oldest first.
    func read(line: Int) throws(GPIOError) -> [GPIOEdge]
    /// Interrupts `poll` (shutdown).
    func wake()
    /// Now, on the clock of the edges' timestamps.
    func nowNanos() -> UInt64
    /// The wire level (true = high) of each of `lines`, read now.
    func levels(of lines: [Int]) throws(GPIOError) -> [Int: Bool]
    /// Throws when the chip is gone. Asked of the chip itself: on older kernels a line of a
    /// removed chip still reads (as low) without an error.
    func probe() throws(GPIOError)
    /// Opens the chip and requests the lines again after a failure (a chip that vanished and
    /// came back); throws while it is still gone. Edges in flight are lost.
    func reopen() throws(GPIOError)
}

/// One read of a chip's input lines: wait for events, then drain every line until none has
/// any left, so edges of two lines are decoded in timestamp order even when the thread was
/// preempted between `poll` and the reads. It also says how far the lines are known to be
/// quiet: the time of the last poll that found nothing, not the time the thread runs again
/// (a thread preempted after that poll would otherwise end a frame whose next bits are
/// waiting unread).
public enum EdgeBatch {
    /// Longest single wait: a chip that vanished without waking the poll is noticed within it.
    public static let maxWaitNanos: UInt64 = 1_000_000_000
    /// Rounds of zero-timeout polls at most (an edge storm cannot hold the thread forever).
    static let maxRounds = 64

    /// Waits up to `deadline` (capped at `maxWaitNanos` from now) and returns every pending
    /// edge, oldest first, and `quiet`: no edge delivered before it is left unread, so a
    /// decoder may end what has been silent until then (0 when an edge storm left some
    /// unread). When the cap passes with nothing, the chip is probed: a vanished chip then
    /// throws instead of being waited on forever.
    public static func take(
        from source: some EdgeSource, until deadline: UInt64?
    ) throws(GPIOError) -> (edges: [GPIOEdge], quiet: UInt64) {
        let now = source.nowNanos()
        let cap = now &+ maxWaitNanos
        let until = min(deadline ?? cap, cap)
        var ready = try source.poll(until: until)
        if ready.isEmpty {
            let after = source.nowNanos()
            if deadline.map({ $0 > until }) ?? true, after >= until { try source.probe() }
            // Nothing was pending when the wait ended: at `until` if it timed out, whenever
            // this thread runs again.
            return ([], min(until, after))
        }
        var edges: [GPIOEdge] = []
        var rounds = 0
        var quiet: UInt64 = 0
        while !ready.isEmpty && rounds < maxRounds {
            for line in ready { edges += try source.read(line: line) }
            quiet = source.nowNanos()
            ready = try source.poll(until: 0)
            rounds += 1
        }
        return (edges.sorted { $0.nanos < $1.nanos }, ready.isEmpty ? quiet : 0)
    }
}

/// An open GPIO chip: libgpiod's, or one of the simulated board's.
public protocol GPIOChipPort: AnyObject, Sendable {
    /// The name it was opened by (`gpiochip0`).
    var name: String { get }
    /// The driver's label (`pinctrl-bcm2711`): stable across kernels, unlike the number.
    var label: String { get }
    var lineCount: Int { get }
    /// Requests `line` as an output, at `initiallyActive` from the first instant.
    func output(line: Int, consumer: String, activeLow: Bool, initiallyActive: Bool) throws(GPIOError)
        -> any OutputLine
    /// Requests input lines for edge events.
    func inputs(_ requests: [InputRequest], consumer: String) throws(GPIOError) -> any EdgeSource
    /// Requests `line` as a plain input and holds it (released when the result is dropped): a
    /// relay line whose polarity is not known is left undriven — every relay driver this
    /// project accepts is off then — rather than driven to a guess.
    func float(line: Int, consumer: String) throws(GPIOError) -> any HeldLine
}

/// A line held by a request and driven by nothing.
public protocol HeldLine: AnyObject, Sendable {}

/// Where chips come from: `/dev/gpiochip*` through libgpiod, or the simulated board.
public protocol GPIOBoard: Sendable {
    /// Chips present, by name.
    func chipNames() -> [String]
    /// Opens a chip by name (`gpiochip0`) or path.
    func open(name: String) throws(GPIOError) -> any GPIOChipPort
}

/// Which chip a config means: the 40-pin header's (found by label), a chip by label, or a
/// chip by name — which must then be the header's, since numbers move between boards and
/// kernels (on an early Raspberry Pi 5 kernel `gpiochip0` is an unrelated SoC bank on which
/// every line exists: the relay would drive the wrong pin and no badge would ever arrive).
public enum ChipSelection {
    /// The spec meaning the header's chip, whatever its number.
    public static let header = ChipSpec.header
    /// Labels of the 40-pin header's chip: Pi 5 (RP1), Pi 4, Pi 0–3.
    public static let headerLabels = ["pinctrl-rp1", "pinctrl-bcm2711", "pinctrl-bcm2835"]

    /// A spec as errors name it.
    public static func describe(_ spec: String) -> String { ChipSpec.describe(spec) }

    /// Opens the chip `spec` names on `board`, refusing one that is not what it claims.
    public static func open(_ spec: String, on board: any GPIOBoard) throws(GPIOError) -> any GPIOChipPort {
        let byName = spec.hasPrefix("/") || spec.hasPrefix("gpiochip")
        if byName {
            let chip = try board.open(name: spec)
            guard headerLabels.contains(chip.label) else {
                throw GPIOError(
                    .invalid,
                    "\(spec) is '\(chip.label)', not the 40-pin header's chip (\(headerLabels.joined(separator: ", "))): remove `chip` from the config to find the header by its label, or name this chip by its label to use it"
                )
            }
            return chip
        }
        let wanted = spec == header ? headerLabels : [spec]
        var seen: [String] = []
        for name in board.chipNames() {
            guard let chip = try? board.open(name: name) else { continue }
            if wanted.contains(chip.label) { return chip }
            seen.append("\(name) '\(chip.label)'")
        }
        let what =
            spec == header
            ? "the 40-pin header's chip (\(headerLabels.joined(separator: ", ")))" : "a chip labelled '\(spec)'"
        throw GPIOError(
            .notFound,
            "no GPIO chip here is \(what): \(seen.isEmpty ? "no /dev/gpiochip* at all (not a Pi? set gpio.mode = \"simulated\")" : "present: \(seen.joined(separator: ", ")); set chip to one of their labels")"
        )
    }
}
