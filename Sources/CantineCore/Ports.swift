// Ports: the protocols through which the core meets the edges (clocks, journal).
// Real and simulated adapters implement them; the core never knows which it has.

/// Wall and monotonic time. Production reads the system clocks; tests inject a manual one.
public protocol TimeSource: Sendable {
    /// Wall-clock now.
    func now() -> Instant
    /// CLOCK_MONOTONIC nanoseconds (never steps).
    func monotonicNanos() -> UInt64
    /// Whether the wall clock is kept by a time server (NTP), as the kernel says; true when
    /// it cannot tell. A Pi has no real-time clock: it boots unsynchronised.
    func wallSynchronized() -> Bool
}

extension TimeSource {
    public func wallSynchronized() -> Bool { true }
}

/// Something that must be written in the same transaction as a batch of journal entries
/// (personal records that go with a command). Defined by the store; opaque to the core.
public protocol JournalAttachment: Sendable {}

/// Where entries go once applied. `enqueue` must not block on I/O: the store group-commits.
public protocol JournalSink: Sendable {
    /// Queues entries (consecutive, one command's worth) and their attachment for one commit.
    func enqueue(_ entries: [JournalEntry], attachment: (any JournalAttachment)?)
}

/// How one part of the daemon is doing (/healthz and /metrics).
public struct ComponentHealth: Codable, Sendable, Equatable {
    public var name: String
    /// `ok`, `degraded` or `down`.
    public var status: String
    /// What is wrong, and what to do about it, when it is not ok.
    public var detail: String?
    /// Figures exported as `cantine_<name>_<key>` gauges (`connected`, `outbox_depth`).
    public var values: [String: Double]

    public init(name: String, status: String, detail: String? = nil, values: [String: Double] = [:]) {
        self.name = name
        self.status = status
        self.detail = detail
        self.values = values
    }
}

/// A part of the daemon that says how it is doing (MQTT, the network of cantines).
public protocol HealthReporting: Sendable {
    func health() -> ComponentHealth
}
