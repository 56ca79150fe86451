// The hand-off from libmosquitto's network thread to the Swift side: a bounded FIFO. When the
// consumer falls `capacity` behind, the network thread waits for room (back-pressure: TCP
// then holds the broker, which keeps our QoS 1 session's messages), at most `maxWait`; past
// that the message is dropped and counted. Memory never grows without end.

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
    public let maxWait: Double
    let condition = NSCondition()
    var inner = Inner()

    public init(capacity: Int = 8192, maxWait: Double = 2) {
        self.capacity = max(1, capacity)
        self.maxWait = maxWait
    }

    /// Appends, waiting up to `maxWait` seconds for room; false (and counted) when there was
    /// none, or the queue is closed.
    @discardableResult
    public func push(_ message: InboundMessage) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if inner.items.count >= capacity && !inner.closed {
            let deadline = Date(timeIntervalSinceNow: maxWait)
            while inner.items.count >= capacity && !inner.closed {
                if !condition.wait(until: deadline) { break }
            }
        }
        guard !inner.closed, inner.items.count < capacity else {
            inner.dropped += 1
            return false
        }
        inner.items.append(message)
        condition.broadcast()
        return true
    }

    /// Waits for messages and takes all of them, oldest first; empty once closed and drained.
    public func takeAll() -> [InboundMessage] {
        condition.lock()
        defer { condition.unlock() }
        while inner.items.isEmpty && !inner.closed { condition.wait() }
        defer {
            inner.items = []
            condition.broadcast()  // room again for a waiting network thread
        }
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
