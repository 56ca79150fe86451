// The simulated twin of the GPIO edge, used by tests and the demo: an output line that
// records every level it is driven to, and can be made to fail like a vanished chip.

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
