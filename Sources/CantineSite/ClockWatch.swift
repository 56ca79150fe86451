// Whether the wall clock can be trusted. A Pi has no real-time clock: after a power cut it
// boots with the time fake-hwclock saved (or 1970), and NTP corrects it minutes later if the
// network is up. This watches the kernel's view (what `timedatectl` calls "System clock
// synchronized"), tells the engine (which, while the clock is not trusted, never stamps an
// entry before the journal's last: Engine.swift), and says so: the `clock_unsynced` alarm on
// /healthz, in the log and on MQTT.

import CantineCore
import Logging
import Synchronization

/// Watches the wall clock (`check`, called by the timer service every few seconds).
public final class ClockWatch: HealthReporting, Sendable {
    struct Watch {
        /// Why the clock is not trusted now (nil: it is, or no check ran yet).
        var unsynced: String?
        var lastCheck: UInt64?
        var watchers: [@Sendable (String?) -> Void] = []
    }

    let time: any TimeSource
    let engine: Engine
    let logger: Logger
    let state = Mutex(Watch())
    /// The least time between two checks (monotonic), however often `check` is called.
    static let interval: UInt64 = 5_000_000_000

    init(time: any TimeSource, engine: Engine, logger: Logger) {
        self.time = time
        self.engine = engine
        self.logger = logger
    }

    /// Why the clock is not trusted, or nil when it is.
    public var unsynced: String? { state.withLock { $0.unsynced } }

    /// Calls `watcher` now if the clock is not trusted, then at every change.
    public func watch(_ watcher: @escaping @Sendable (String?) -> Void) {
        let current = state.withLock { s in
            s.watchers.append(watcher)
            return s.unsynced
        }
        if let current { watcher(current) }
    }

    /// Reads the kernel's view (at most every 5 s unless `force`) and tells the engine; on a
    /// change, logs it and tells the watchers.
    public func check(force: Bool = false) {
        let mono = time.monotonicNanos()
        let due = state.withLock { s in
            if !force, let last = s.lastCheck, mono &- last < Self.interval { return false }
            s.lastCheck = mono
            return true
        }
        guard due else { return }
        let synchronized = time.wallSynchronized()
        engine.setWallTrusted(synchronized)
        let clock = time.now()
        let reason: String? =
            synchronized
            ? nil
            : "no time server has set the clock (the kernel says unsynchronised): entries are never stamped before the journal's last (\(engine.lastWall.description)), the site's time runs on from there while the clock is behind it; check NTP (timedatectl timesync-status) and the network"
        let (changed, watchers) = state.withLock { s -> (Bool, [@Sendable (String?) -> Void]) in
            let changed = (s.unsynced == nil) != (reason == nil)
            s.unsynced = reason
            return (changed, s.watchers)
        }
        guard changed else { return }
        if let reason {
            logger.critical(
                "clock not trusted: doors decide at the site's time, never before the journal's last entry",
                metadata: ["alarm": "clock_unsynced", "reason": "\(reason)", "clock": "\(clock)"])
        } else {
            logger.notice("clock synchronised", metadata: ["clock": "\(clock)"])
        }
        watchers.forEach { $0(reason) }
    }

    /// `clock`: `degraded` with `clock_unsynced` while the clock is not trusted; gauges
    /// `synchronized` (0 or 1) and `site_ahead_s` (how far the site's time runs ahead of the clock).
    public func health() -> ComponentHealth {
        let reason = unsynced
        let ahead = max(0, (engine.now - time.now()).seconds)
        return ComponentHealth(
            name: "clock", status: reason == nil ? "ok" : "degraded",
            detail: reason.map { "clock_unsynced: \($0)" },
            values: ["synchronized": reason == nil ? 1 : 0, "site_ahead_s": ahead.rounded()])
    }
}
