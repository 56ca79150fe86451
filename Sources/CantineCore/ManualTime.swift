// A time source moved by hand: the injected clock of tests (and of replays of a scenario).

import Synchronization

/// Time that only moves when told to. Wall and monotonic time advance together.
public final class ManualTime: TimeSource {
    let state: Mutex<(wall: Instant, mono: UInt64, synchronized: Bool)>

    public init(_ start: Instant, synchronized: Bool = true) { state = Mutex((start, 1_000_000_000, synchronized)) }

    public func now() -> Instant { state.withLock { $0.wall } }
    public func monotonicNanos() -> UInt64 { state.withLock { $0.mono } }
    public func wallSynchronized() -> Bool { state.withLock { $0.synchronized } }

    /// What the kernel would say of the wall clock: set by a time server or not.
    public func setSynchronized(_ value: Bool) {
        state.withLock { $0.synchronized = value }
    }

    /// Moves both clocks forward.
    public func advance(_ span: Span) {
        state.withLock {
            $0.wall = $0.wall + span
            $0.mono += UInt64(max(0, span.micros)) * 1000
        }
    }

    /// Steps the wall clock only (NTP correction, a wrong RTC): monotonic time does not move.
    public func stepWall(_ span: Span) {
        state.withLock { $0.wall = $0.wall + span }
    }
}
