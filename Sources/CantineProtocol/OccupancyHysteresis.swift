// Desk occupancy hysteresis: a sensor's raw "someone is there" becomes a stable occupied /
// vacant only after holding for a while, so a member who steps out for a coffee keeps the
// desk and a passer-by does not take it. Pure, Embedded-Swift compatible, generic over the
// clock's integer: the daemon counts Int64 microseconds, the firmware a UInt32 millisecond
// tick that wraps every 49.7 days — elapsed time is always a wrapping difference.

/// Time hysteresis over presence observations, on a clock of integer ticks.
public struct OccupancyHysteresis<Tick: FixedWidthInteger & Sendable>: Sendable, Equatable {
    /// Presence must hold this long before a vacant desk becomes occupied.
    public var occupyAfter: Tick
    /// Absence must hold this long before an occupied desk becomes vacant.
    public var releaseAfter: Tick
    /// The stable state: nil while unknown (the first observation is taken at once).
    public var stable: Bool?
    /// A change observed but not yet held long enough, and since when.
    public var pending: Bool?
    public var pendingSince: Tick

    public init(
        occupyAfter: Tick, releaseAfter: Tick, stable: Bool? = nil, pending: Bool? = nil, pendingSince: Tick = 0
    ) {
        self.occupyAfter = occupyAfter
        self.releaseAfter = releaseAfter
        self.stable = stable
        self.pending = pending
        self.pendingSince = pendingSince
    }

    /// Feeds an observation at `now`; true when the stable state changed.
    public mutating func observe(_ present: Bool, at now: Tick) -> Bool {
        guard let current = stable else {
            stable = present
            pending = nil
            return true
        }
        if present == current {
            pending = nil
            return false
        }
        if pending != present {
            pending = present
            pendingSince = now
        }
        return advance(to: now)
    }

    /// Lets time pass without an observation; true when a pending change became stable.
    public mutating func advance(to now: Tick) -> Bool {
        guard let change = pending else { return false }
        // A wrapping difference: right across a wrap of an unsigned tick; negative (never
        // due) if a signed clock stepped back.
        let elapsed = now &- pendingSince
        guard elapsed >= 0, elapsed >= (change ? occupyAfter : releaseAfter) else { return false }
        stable = change
        pending = nil
        return true
    }

    /// When the pending change becomes stable if nothing else is observed (wrapping).
    public var deadline: Tick? {
        guard let change = pending else { return nil }
        return pendingSince &+ (change ? occupyAfter : releaseAfter)
    }

    /// Ticks left until the pending change becomes stable at `now` (nil when none is pending).
    public func remaining(at now: Tick) -> Tick? {
        guard let change = pending else { return nil }
        let hold = change ? occupyAfter : releaseAfter
        let elapsed = now &- pendingSince
        return elapsed >= hold ? 0 : hold &- elapsed
    }

    /// Forgets everything (the sensor went offline or silent).
    public mutating func reset() {
        stable = nil
        pending = nil
    }
}
