// The site's own long-running services: the inbox (CLI requests while the daemon runs), the
// timer service (feeds due timers back as events, reconciles every minute) and periodic state
// snapshots. Each is a swift-service-lifecycle Service with a single run().

import CantineCore
import CantineStore
import Foundation
import Logging
import ServiceLifecycle

/// Processes CLI requests queued in the database's inbox, in order.
public struct InboxService: Service {
    let runtime: Site
    let interval: Duration

    public init(runtime: Site, interval: Duration) {
        self.runtime = runtime
        self.interval = interval
    }

    public func run() async throws {
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                for request in try runtime.store.inboxPending() {
                    let (ok, response): (Bool, String)
                    do {
                        let op = try decoder.decode(SiteOperation.self, from: request.body)
                        let result = try await runtime.perform(op, source: "cli")
                        (ok, response) = (true, String(decoding: try encoder.encode(result), as: UTF8.self))
                    } catch let error as CommandError {
                        (ok, response) = (false, error.message)
                    } catch {
                        (ok, response) = (false, "unreadable request: is this cantine the same version as the daemon?")
                    }
                    try runtime.store.inboxComplete(request.id, ok: ok, response: response)
                }
            } catch {
                runtime.logger.warning("inbox unavailable", metadata: ["error": "\(error)"])
            }
            await pause(interval)
        }
    }
}

/// Feeds timers back to the engine when due (checked at least every 250 ms), runs a full
/// reconciliation pass every minute for what changes without an event (a badge-in aging past
/// `presence_hours`), journals the heartbeats of a quiet site within their minute, and checks
/// the wall clock every 5 s.
public struct TimerService: Service {
    let runtime: Site

    public init(runtime: Site) { self.runtime = runtime }

    public func run() async throws {
        var lastPass = runtime.engine.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            runtime.clock.check()  // every 5 s at most
            let now = runtime.engine.now
            if now - lastPass >= .seconds(60) {
                runtime.engine.reconcile()
                lastPass = now
            }
            for id in runtime.timers.takeDue(now: now) {
                runtime.engine.submit(.timerFired(id), source: "timer")
            }
            runtime.engine.flushHeartbeats()
            // Sleep until the earliest deadline, at most 250 ms (the relay re-locks by itself anyway).
            let wait = runtime.timers.earliest(now: now).map { max(0, min(($0 - now).seconds, 0.25)) } ?? 0.25
            await pause(.milliseconds(Int(wait * 1000) + 1))
        }
        runtime.engine.flushHeartbeats(force: true)
    }
}

/// Writes a state snapshot every `every` events and at shutdown.
public struct SnapshotService: Service {
    let runtime: Site
    let every: Int64

    public init(runtime: Site, every: Int64) {
        self.runtime = runtime
        self.every = every
    }

    public func run() async throws {
        var last = runtime.engine.lastSeq
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await pause(.seconds(5))
            let seq = runtime.engine.lastSeq
            if seq - last >= every {
                do {
                    try runtime.snapshot()
                    last = seq
                } catch {
                    runtime.logger.warning("snapshot failed", metadata: ["error": "\(error)"])
                }
            }
        }
        _ = try? runtime.snapshot()
    }
}

/// Sleeps for `duration`, returning early on graceful shutdown (and at once when cancelled:
/// loops around it check `Task.isCancelled` too, or a cancelled group would spin).
public func pause(_ duration: Duration) async {
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}
