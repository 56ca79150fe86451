// Ports of the GPIO edge: an output line (the relay). Implemented by libgpiod (the board)
// and by a simulated twin (tests, the demo). Input edges (Wiegand, contact, exit button)
// are added by the door-access work through the same pattern.

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
