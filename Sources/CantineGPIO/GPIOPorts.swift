// Ports of the GPIO edge: an output line (the relay) and a chip's input lines delivering
// edges (readers, contacts, exit buttons, wired desk sensors). Implemented by libgpiod (the
// board) and by a simulated twin (tests, the demo).

import CantineCore

/// A one-line GPIO error naming the chip or line and the likely fix.
public struct GPIOError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A GPIO output line. `active` is the logical level (active-low is handled by the line).
public protocol OutputLine: Sendable {
    func set(active: Bool) throws(GPIOError)
}

/// An edge on an input line, with the kernel's CLOCK_MONOTONIC timestamp.
public struct GPIOEdge: Sendable, Equatable {
    /// Events a line holds between reads in the v1 kernel (a 16-event kfifo); more are dropped.
    public static let lineBuffer = 16

    /// Line offset on its chip.
    public var line: Int
    /// Rising (low → high) or falling (high → low), as seen on the wire.
    public var rising: Bool
    public var nanos: UInt64

    public init(line: Int, rising: Bool, nanos: UInt64) {
        self.line = line
        self.rising = rising
        self.nanos = nanos
    }
}

/// Input lines of one chip delivering edge events: libgpiod, or its simulated twin.
/// `wait` is called from one dedicated thread, never from the cooperative pool.
public protocol EdgeSource: AnyObject, Sendable {
    /// Blocks until edges are available, `deadline` (monotonic ns) passes or `wake()` is
    /// called; returns every pending edge, oldest first (empty on timeout or wake).
    func wait(until deadline: UInt64?) throws(GPIOError) -> [GPIOEdge]
    /// Interrupts `wait` (shutdown).
    func wake()
    /// Now, on the clock of the edges' timestamps.
    func nowNanos() -> UInt64
    /// The wire level (true = high) of each of `lines`, read now.
    func levels(of lines: [Int]) throws(GPIOError) -> [Int: Bool]
    /// Opens the chip and requests the lines again after a failure (a chip that vanished and
    /// came back); throws while it is still gone. Edges in flight are lost.
    func reopen() throws(GPIOError)
}
