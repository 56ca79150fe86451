// Telling a session taken over by another client with our client id from other lost
// connections, and how long to wait before connecting again. Pure: fed the connection's
// events with their times. An MQTT v5 broker that says so (reason 0x8E: mosquitto from 2.0.15,
// EMQX, HiveMQ) is believed at once; mosquitto 2.0.11 (Debian 12, Raspberry Pi OS bookworm)
// just closes the old connection, so the sign there is a broker that keeps closing the
// connection right after accepting it: two clients with one id take the session from each
// other every second or so, and the one that sees it first steps back.

import Foundation

/// Another client connected with our client id and the broker gave it our session.
public struct SessionTakeover: Sendable, Equatable {
    /// Takeovers since the client started.
    public var count: Int
    /// The last one.
    public var at: Date
    /// Seconds waited before connecting again.
    public var backoff: Int
    /// The broker said so (v5 reason 0x8E); else inferred from the connection being closed
    /// again and again right after it was accepted.
    public var certain: Bool

    public init(count: Int, at: Date, backoff: Int, certain: Bool) {
        self.count = count
        self.at = at
        self.backoff = backoff
        self.certain = certain
    }
}

/// Watches one client's connection for takeovers (see the file header).
public struct SessionWatch: Sendable, Equatable {
    /// The broker's reason code for "session taken over" (MQTT v5 DISCONNECT).
    public static let sessionTakenOver: Int32 = 0x8E
    /// Closed by the broker this many times within `window` seconds, each within `shortHold`
    /// seconds of accepting the connection: taken over.
    public static let drops = 3
    public static let window: TimeInterval = 60
    /// A connection closed this soon after it was accepted is one a fight ends.
    public static let shortHold: TimeInterval = 5
    /// A takeover is forgotten after this long connected; one that comes sooner doubles the wait.
    public static let settle: TimeInterval = 600
    /// The longest wait before connecting again.
    public static let maxBackoff = 600

    /// Seconds to wait after a first takeover.
    public var backoff: Int
    var connectedAt: Date?
    /// Times the broker closed the connection soon after accepting it, within the window.
    var recentDrops: [Date] = []
    /// The last takeover, until the connection has held for `settle` seconds.
    public private(set) var takeover: SessionTakeover?

    public init(backoff: Int) { self.backoff = max(1, backoff) }

    /// The connection was accepted at `now`.
    public mutating func connected(at now: Date) {
        connectedAt = now
    }

    /// The connection ended at `now` with libmosquitto's `reason` (0: we closed it; a v5 reason
    /// code when the broker sent one; an error code when it just closed). Returns the takeover
    /// when this was one: the caller waits `backoff` seconds before connecting again.
    public mutating func disconnected(reason: Int32, at now: Date) -> SessionTakeover? {
        let since = connectedAt
        connectedAt = nil
        guard reason != 0, let since else { return nil }
        var certain = false
        if reason == Self.sessionTakenOver {
            certain = true
        } else {
            // A connection the broker closed within seconds of accepting it counts (two clients
            // fighting hold it for about their reconnect delay, 1 s); three within the window
            // is a fight. A broker restarted three times within seconds looks the same: the
            // daemon then waits once, and says "probably".
            guard now.timeIntervalSince(since) < Self.shortHold else { return nil }
            recentDrops = recentDrops.filter { now.timeIntervalSince($0) < Self.window } + [now]
            guard recentDrops.count >= Self.drops else { return nil }
        }
        recentDrops = []
        let again = takeover != nil && now.timeIntervalSince(since) < Self.settle
        let wait = again ? min(Self.maxBackoff, (takeover?.backoff ?? backoff) * 2) : backoff
        takeover = SessionTakeover(count: (takeover?.count ?? 0) + 1, at: now, backoff: wait, certain: certain)
        return takeover
    }

    /// The takeover to report at `now`: none once the connection has held `settle` seconds.
    public mutating func current(at now: Date) -> SessionTakeover? {
        if let since = connectedAt, let t = takeover, since > t.at, now.timeIntervalSince(since) >= Self.settle {
            takeover = nil
        }
        return takeover
    }
}
