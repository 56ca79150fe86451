// Fan-out of notices to live consumers (MQTT publisher, SSE, logs). Each subscriber has a
// bounded buffer: a slow consumer loses its oldest notices (counted), never blocks intake.

import Synchronization

/// Multicasts notices to any number of subscribers without ever blocking the publisher.
public final class NoticeBus: Sendable {
    /// A notice with the journal position and time of the event that caused it.
    public struct Item: Sendable, Equatable {
        public let seq: Int64
        public let at: Instant
        public let notice: Notice
        public init(seq: Int64, at: Instant, notice: Notice) {
            self.seq = seq
            self.at = at
            self.notice = notice
        }
    }

    struct Subscribers {
        var next = 0
        var continuations: [Int: AsyncStream<Item>.Continuation] = [:]
        var observers: [Int: @Sendable (Item) -> Void] = [:]
        var dropped = 0
    }

    let subscribers = Mutex(Subscribers())

    public init() {}

    /// Publishes to every subscriber (non-blocking).
    public func publish(_ item: Item) {
        subscribers.withLock { s in
            for c in s.continuations.values {
                if case .dropped = c.yield(item) { s.dropped += 1 }
            }
            for observe in s.observers.values { observe(item) }
        }
    }

    /// Calls `handler` synchronously with every notice, in order, on the thread that caused
    /// it (under the engine's lock): it must only record (a lock and an append), never wait.
    /// Returns a token for `stopObserving`.
    @discardableResult
    public func observe(_ handler: @escaping @Sendable (Item) -> Void) -> Int {
        subscribers.withLock { s in
            s.next += 1
            s.observers[s.next] = handler
            return s.next
        }
    }

    /// Stops calling the handler registered as `token`.
    public func stopObserving(_ token: Int) {
        _ = subscribers.withLock { $0.observers.removeValue(forKey: token) }
    }

    /// A stream of notices from now on, keeping at most `buffer` undelivered ones.
    public func subscribe(buffer: Int = 1024) -> AsyncStream<Item> {
        let (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingNewest(buffer))
        let id = subscribers.withLock { s in
            s.next += 1
            s.continuations[s.next] = continuation
            return s.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    /// Notices dropped because a subscriber was too slow.
    public var dropped: Int { subscribers.withLock { $0.dropped } }

    /// Ends every subscription (shutdown).
    public func finish() {
        let all = subscribers.withLock { s in
            defer { s.continuations = [:] }
            return Array(s.continuations.values)
        }
        all.forEach { $0.finish() }
    }
}
