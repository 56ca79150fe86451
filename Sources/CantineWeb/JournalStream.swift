// /api/stream: the journal as server-sent events, for the staff dashboard and machine
// clients. Each message is one journal entry (`id:` its seq, its kind in the data), sent
// once it is durable; a client
// reconnecting with Last-Event-ID gets every entry it missed, from the journal itself, so
// catch-up and live delivery are one code path. One task watches the notices and wakes every
// client; each client reads what is new.

import CantineCore
import CantineSite
import CantineStore
import Foundation
import Synchronization

/// Fans the journal out to API clients.
public final class JournalStream: Sendable {
    let site: any SiteService
    let engine: Engine
    let bus: NoticeBus
    let clients = Mutex<(next: Int, wakes: [Int: AsyncStream<Bool>.Continuation])>((0, [:]))

    /// A client further behind than this is told to reload (`event: reset`) instead.
    public static let maxCatchUp = 5000

    public init(site: some SiteService) {
        self.site = site
        engine = site.engine
        bus = site.bus
    }

    /// Clients connected now.
    public var clientCount: Int { clients.withLock { $0.wakes.count } }

    /// Wakes the clients on every notice, and every `tick` for a keep-alive, until the bus
    /// finishes or the task is cancelled; then ends every client's stream.
    public func run(tick: Duration = .seconds(15)) async {
        let notices = bus.subscribe(buffer: 1)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in notices { self.wake(ping: false) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    if !Task.isCancelled { self.wake(ping: true) }
                }
            }
            await group.next()
            group.cancelAll()
        }
        let open = clients.withLock { c in
            defer { c.wakes = [:] }
            return Array(c.wakes.values)
        }
        for wake in open { wake.finish() }
    }

    func wake(ping: Bool) {
        clients.withLock { c in
            for w in c.wakes.values { w.yield(ping) }
        }
    }

    /// A new client: its SSE frames, starting after `lastEventID` (catch-up) or from now.
    public func connect(lastEventID: Int64?) -> AsyncStream<String> {
        let (wakes, wake) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
        let (frames, out) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4096))
        let id = clients.withLock { c in
            c.next += 1
            c.wakes[c.next] = wake
            return c.next
        }
        let task = Task {
            var last = site.journalProgress.durableSeq
            out.yield("retry: 2000\n\n")
            if let after = lastEventID {
                if after > last || last - after > Int64(Self.maxCatchUp) {
                    out.yield("event: reset\ndata: {\"last_seq\":\(last)}\n\n")
                } else {
                    last = send(after: after, out)
                }
            }
            for await ping in wakes {
                let target = engine.lastSeq
                let progress = site.journalProgress
                if target > progress.durableSeq && progress.error == nil {
                    await site.waitDurable(through: target)
                }
                let before = last
                last = send(after: last, out)
                if ping && last == before { out.yield(": keep-alive\n\n") }
            }
            out.finish()
        }
        out.onTermination = { [weak self] _ in
            task.cancel()
            let w = self?.clients.withLock { $0.wakes.removeValue(forKey: id) }
            w?.finish()
        }
        return frames
    }

    /// Sends the durable entries after `after`; returns the last seq sent.
    func send(after: Int64, _ out: AsyncStream<String>.Continuation) -> Int64 {
        var last = after
        let durable = site.journalProgress.durableSeq
        while last < durable {
            guard let rows = try? site.records.rawEntries(after: last, through: durable, limit: 500), !rows.isEmpty
            else {
                break
            }
            for row in rows {
                let payload = String(decoding: row.payload, as: UTF8.self)
                let head =
                    (try? JSONEncoder.sorted.encode(
                        ["at": Instant(micros: row.wallUs).description, "kind": row.kind, "source": row.source]))
                    ?? Data()
                // {"at":…,"kind":…,"source":…} + "seq" and the event's own JSON payload.
                let fields = String(decoding: head.dropLast(), as: UTF8.self)
                out.yield("id: \(row.seq)\ndata: \(fields),\"seq\":\(row.seq),\"event\":\(payload)}\n\n")
                last = row.seq
            }
        }
        return last
    }
}
