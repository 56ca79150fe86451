// The daemon's own long-running services: the inbox (CLI requests while the daemon runs),
// the timer service (feeds due timers back as events, reconciles every minute), periodic
// state snapshots and the heap trim. Each is a swift-service-lifecycle Service with a single
// run().

import CMemoryStats
import CantineCore
import CantineGPIO
import CantineStore
import CantineWeb
import Foundation
import Logging
import ServiceLifecycle

/// Processes CLI requests queued in the database's inbox, in order.
struct InboxService: Service {
    let runtime: Runtime
    let interval: Duration

    func run() async throws {
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

/// Feeds timers back to the engine when due (checked at least every 250 ms), and runs a full
/// reconciliation pass every minute for what changes without an event (a badge-in aging past
/// `presence_hours`).
struct TimerService: Service {
    let runtime: Runtime

    func run() async throws {
        var lastPass = runtime.engine.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = runtime.engine.now
            if now - lastPass >= .seconds(60) {
                runtime.engine.reconcile()
                lastPass = now
            }
            for id in runtime.timers.takeDue(now: now) {
                runtime.engine.submit(.timerFired(id), source: "timer")
            }
            // Sleep until the earliest deadline, at most 250 ms (the relay re-locks by itself anyway).
            let wait = runtime.timers.earliest.map { max(0, min(($0 - now).seconds, 0.25)) } ?? 0.25
            await pause(.milliseconds(Int(wait * 1000) + 1))
        }
    }
}

/// Writes a state snapshot every `every` events and at shutdown.
struct SnapshotService: Service {
    let runtime: Runtime
    let every: Int64

    func run() async throws {
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

/// Every ten minutes, gives the heap pages freed since back to the system: glibc keeps them
/// in its arenas otherwise (one per thread that allocated), and the RSS creeps up by the pages
/// a burst of requests or a snapshot once needed.
struct HeapTrimService: Service {
    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await pause(.seconds(600))
            malloc_trim(0)
        }
    }
}

/// Sleeps for `duration`, returning early on graceful shutdown (and at once when cancelled:
/// loops around it check `Task.isCancelled` too, or a cancelled group would spin).
public func pause(_ duration: Duration) async {
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}

/// Runs a reader thread per chip of door inputs until shutdown.
struct EdgeReaderService: Service {
    let readers: [(name: String, reader: EdgeReader<ChipDecoder>)]

    func run() async throws {
        for (name, reader) in readers { reader.start(name: name) }
        try? await gracefulShutdown()
        for (_, reader) in readers { reader.stop() }
    }
}

/// The live streams (the blackboard, the API's journal stream) until the daemon stops.
struct LiveStreamsService: Service {
    let board: BoardStream
    let events: JournalStream

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await board.run() }
            group.addTask { await events.run() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
