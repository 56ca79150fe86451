// The hand-off from libmosquitto's network thread to the Swift side: a bounded FIFO. The
// network thread only appends (never waits); when the consumer falls behind by `capacity`
// messages, new ones are dropped and counted instead of growing memory without end.

import Foundation
import Synchronization

/// A bounded multi-producer, single-consumer queue of inbound messages.
public final class MessageQueue: @unchecked Sendable {
    struct Inner {
        var items: [InboundMessage] = []
        var dropped = 0
        var closed = false
    }

    public let capacity: Int
    let condition = NSCondition()
    var inner = Inner()

    public init(capacity: Int = 8192) {
        self.capacity = max(1, capacity)
    }

    /// Appends without blocking; false (and counted) when the queue is full or closed.
    @discardableResult
    public func push(_ message: InboundMessage) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !inner.closed, inner.items.count < capacity else {
            inner.dropped += 1
            return false
        }
        inner.items.append(message)
        condition.signal()
        return true
    }

    /// Waits for messages and takes all of them, oldest first; empty once closed and drained.
    public func takeAll() -> [InboundMessage] {
        condition.lock()
        defer { condition.unlock() }
        while inner.items.isEmpty && !inner.closed { condition.wait() }
        defer { inner.items = [] }
        return inner.items
    }

    /// Messages dropped because the consumer was `capacity` behind.
    public var dropped: Int {
        condition.lock()
        defer { condition.unlock() }
        return inner.dropped
    }

    /// Wakes the consumer for good; later pushes are dropped.
    public func close() {
        condition.lock()
        inner.closed = true
        condition.broadcast()
        condition.unlock()
    }
}
