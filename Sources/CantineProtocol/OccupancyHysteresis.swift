// Desk occupancy hysteresis: a sensor's raw "someone is there" becomes a stable occupied /
// vacant only after holding for a while, so a member who steps out for a coffee keeps the
// desk and a passer-by does not take it. Pure, Embedded-Swift compatible, time in any unit
// (the daemon uses microseconds, the firmware milliseconds).

/// Time hysteresis over presence observations.
public struct OccupancyHysteresis: Sendable, Equatable {
    /// Presence must hold this long before a vacant desk becomes occupied.
    public var occupyAfter: Int64
    /// Absence must hold this long before an occupied desk becomes vacant.
    public var releaseAfter: Int64
    /// The stable state: nil while unknown (the first observation is taken at once).
    public var stable: Bool?
    /// A change observed but not yet held long enough, and since when.
    public var pending: Bool?
    public var pendingSince: Int64

    public init(
        occupyAfter: Int64, releaseAfter: Int64, stable: Bool? = nil, pending: Bool? = nil, pendingSince: Int64 = 0
    ) {
        self.occupyAfter = occupyAfter
        self.releaseAfter = releaseAfter
        self.stable = stable
        self.pending = pending
        self.pendingSince = pendingSince
    }

    /// Feeds an observation at `now`; true when the stable state changed.
    public mutating func observe(_ present: Bool, at now: Int64) -> Bool {
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
    public mutating func advance(to now: Int64) -> Bool {
        guard let change = pending, let deadline else { return false }
        guard now >= deadline else { return false }
        stable = change
        pending = nil
        return true
    }

    /// When the pending change becomes stable if nothing else is observed.
    public var deadline: Int64? {
        guard let change = pending else { return nil }
        return pendingSince + (change ? occupyAfter : releaseAfter)
    }

    /// Forgets everything (the sensor went offline or silent).
    public mutating func reset() {
        stable = nil
        pending = nil
    }
}
