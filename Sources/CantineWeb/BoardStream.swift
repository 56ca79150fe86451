// Server-sent events for /display: one task watches the engine's notices, renders the board
// once per change (never per screen) and hands the same frame to every open screen; each
// screen gets the current board when it connects or reconnects (its catch-up), a welcome
// line when a member badges in at an entry door, and a keep-alive comment otherwise.

import CantineCore
import Foundation
import Synchronization

/// Fans the blackboard out to every connected screen.
public final class BoardStream: Sendable {
    struct Clients {
        var next = 0
        var streams: [Int: AsyncStream<String>.Continuation] = [:]
        /// The last board sent: its frame and JSON (a new render equal to it is not sent).
        var frame: String?
        var json: String?
        var sent = 0
    }

    let engine: Engine
    let bus: NoticeBus
    let settings: BoardSettings
    let names: @Sendable (MemberID) -> String?
    let clients = Mutex(Clients())

    public init(
        engine: Engine, bus: NoticeBus, settings: BoardSettings,
        names: @escaping @Sendable (MemberID) -> String? = { _ in nil }
    ) {
        self.engine = engine
        self.bus = bus
        self.settings = settings
        self.names = names
    }

    /// Screens connected now.
    public var clientCount: Int { clients.withLock { $0.streams.count } }
    /// Boards sent so far (each counted once, however many screens got it).
    public var boardsSent: Int { clients.withLock { $0.sent } }

    /// Watches the notices until the bus finishes (the daemon stops); every `tick` looks again
    /// (the site's minute moves the clock and sessions along: each screen's clock is the
    /// board's, the demo's accelerated one included) and every `keepAlive` sends a keep-alive
    /// when nothing changed.
    public func run(tick: Duration = .seconds(1), keepAlive: Duration = .seconds(15)) async {
        let notices = bus.subscribe()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await item in notices { self.handle(item) }
            }
            group.addTask {
                var quiet: Duration = .zero
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    quiet += tick
                    if !Task.isCancelled {
                        self.refresh(ping: quiet >= keepAlive)
                        if quiet >= keepAlive { quiet = .zero }
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        // Finished outside the lock: a stream's termination handler takes it.
        let open = clients.withLock { c in
            defer { c.streams = [:] }
            return Array(c.streams.values)
        }
        for stream in open { stream.finish() }
    }

    /// Takes one notice: a changed board goes out, a granted entry greets the member.
    func handle(_ item: NoticeBus.Item) {
        if item.notice.changesBoard {
            refresh()
        } else if settings.welcome, case .access(let record) = item.notice, record.granted,
            let member = record.member,
            engine.read({ $0.layout?.door(record.door)?.direction }) == .entry,
            let name = names(member)?.split(separator: " ").first
        {
            let data = (try? JSONEncoder.sorted.encode(["name": String(name)])) ?? Data()
            broadcast("event: welcome\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
        }
    }

    /// Renders the board now; sends it when it differs from the last one sent (the minute
    /// moving sessions from next to now, or a change), else a keep-alive comment when `ping`.
    public func refresh(ping: Bool = false) {
        let (seq, json) = render()
        let frame = clients.withLock { c -> String? in
            guard c.json != json else { return nil }
            c.json = json
            c.frame = "id: \(seq)\nevent: board\ndata: \(json)\n\n"
            c.sent += 1
            return c.frame
        }
        if let frame {
            broadcast(frame)
        } else if ping {
            broadcast(": keep-alive\n\n")
        }
    }

    /// The board as JSON now (the page embeds it so the screen is right before the stream
    /// connects).
    public var currentJSON: String { render().1 }

    func render() -> (Int64, String) {
        let now = engine.now
        let (board, seq) = engine.readWithSeq { (Board.make($0.0, now: now, settings: settings), $0.1) }
        let data = (try? JSONEncoder.sorted.encode(board)) ?? Data()
        return (seq, String(decoding: data, as: UTF8.self))
    }

    func broadcast(_ frame: String) {
        clients.withLock { c in
            for s in c.streams.values { s.yield(frame) }
        }
    }

    /// A new screen: its stream of SSE frames, starting with the current board (whatever
    /// `Last-Event-ID` it sends: a whole board is the catch-up) and a reconnect delay.
    public func connect() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(16))
        refresh()
        let id = clients.withLock { c in
            c.next += 1
            c.streams[c.next] = continuation
            continuation.yield("retry: 2000\n\n" + (c.frame ?? ""))
            return c.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.clients.withLock { $0.streams.removeValue(forKey: id) }
        }
        return stream
    }
}
