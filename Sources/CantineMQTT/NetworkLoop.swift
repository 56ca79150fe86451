// The network thread of a `MosquittoClient`: ours, not libmosquitto's (`loop_start`).
// libmosquitto 2.0.11 (Debian bookworm, Raspberry Pi OS) loses a disconnect that lands while
// its thread is inside a reconnect's connect(): the reconnect overwrites the state its loop
// checks, the loop goes on reconnecting, and `loop_stop` waits for it forever
// (eclipse-mosquitto#2545; reproduced against 2.0.11, and how a chaos run never ended in CI).
// This loop ends on a flag of its own, checked after every step; it reconnects without
// blocking (a broker that drops SYNs cannot hold up a stop); it never gives up (libmosquitto's
// ends on a TLS or protocol error, leaving a daemon without its broker until restarted); and
// it backs off 1, 2, 4 then 5 s, or as long as a session takeover asks.

import CMosquitto
import Foundation

/// When to try connecting again: 1, 2, 4, then 5 s apart; after a session takeover, as long as
/// it asks; from the start again once connected.
struct Backoff: Equatable, Sendable {
    var failures = 0
    /// The wait a takeover asked for, used once.
    var asked: Int?

    /// The seconds to wait before the next attempt.
    mutating func next() -> Int {
        defer {
            failures += 1
            asked = nil
        }
        return asked ?? min(5, 1 << min(failures, 3))
    }

    mutating func connected() { self = Backoff() }
}

/// The loop's flags and backoff, shared by the network thread and whoever stops it; every
/// access is under `condition`.
final class NetworkLoop: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopping = false
    private var running = false
    private var backoff = Backoff()
    /// The network thread (`pthread_self()`), nil when none runs: a thread cannot wait for itself.
    private var thread: pthread_t?

    /// Runs the loop on a new thread until `stop`. `link` is kept alive by that thread: the
    /// handle is destroyed once both its client and the thread are done with it.
    func start(_ link: MosquittoLink) {
        condition.withLock {
            guard !running, !stopping else { return }
            running = true
            let thread = Thread { [self] in
                condition.withLock { self.thread = pthread_self() }
                run(link.handle)
                condition.withLock {
                    self.thread = nil
                    running = false
                    condition.broadcast()
                }
            }
            thread.name = "mosquitto loop"
            thread.start()
        }
    }

    private func run(_ handle: OpaquePointer) {
        while !isStopping {
            // Waits for the socket, a keepalive, or a publish or disconnect from another thread
            // (libmosquitto wakes it through its socket pair); dispatches the callbacks.
            if mosquitto_loop(handle, 1000, 1) == MOSQ_ERR_SUCCESS.rawValue { continue }
            // Not connected (lost, refused, never made): wait, then try again.
            guard pause(seconds: condition.withLock { backoff.next() }) else { break }
            _ = mosquitto_reconnect_async(handle)
            // Stopped meanwhile (its name lookup may block for seconds): the CONNECT is only
            // queued, so leave without sending it, or this connection would take the session
            // of the client that replaces this one.
            if isStopping { return }
        }
        // Leaving: a clean DISCONNECT if still connected (the broker then drops our last
        // will), given a second to go out; the loop fails at once when the socket is closed.
        mosquitto_disconnect(handle)
        var steps = 0
        while steps < 10, mosquitto_loop(handle, 100, 1) == MOSQ_ERR_SUCCESS.rawValue { steps += 1 }
    }

    /// Whether the loop was asked to end (a stopped client cannot start again).
    var isStopping: Bool { condition.withLock { stopping } }

    /// Waits `seconds`, or until `stop`; false when stopping.
    private func pause(seconds: Int) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(seconds))
        return condition.withLock {
            while !stopping, condition.wait(until: deadline) {}
            return !stopping
        }
    }

    /// Connected: the next loss waits 1 s again.
    func connected() { condition.withLock { backoff.connected() } }

    /// The next attempt waits `seconds` (another client took the session over).
    func waitBeforeReconnecting(_ seconds: Int) { condition.withLock { backoff.asked = seconds } }

    /// True on the network thread (inside a callback).
    var isNetworkThread: Bool { condition.withLock { thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false } }

    /// Asks the loop to end; it ends after the step under way (a callback, a backoff wait is
    /// cut short). The caller wakes a `mosquitto_loop` waiting on the socket (a disconnect).
    func requestStop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }

    /// Waits up to `timeout` seconds for the loop to end (at once if it never started); false
    /// if it had not. Never called on the network thread.
    @discardableResult
    func waitUntilEnded(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        return condition.withLock {
            while running, condition.wait(until: deadline) {}
            return !running
        }
    }
}
