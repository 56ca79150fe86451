// Group commit for the journal. The engine enqueues entries (never blocking on I/O); a
// dedicated thread writes everything queued so far in one transaction with synchronous=FULL,
// so an entry reported durable survives kill -9 and power loss. On a write error (disk full,
// read-only file) entries stay queued, the error is reported, and writing resumes once it can.
// Entries nobody waits for may linger up to `linger` to share a commit: an SD card wears by
// the page, and a commit per sensor report rewrites the same pages many times; anyone waiting
// for durability (a CLI command, `flush`) has its batch written at once.
// The access log and the booking and session records are projected from the entries in the
// same transaction.

import CantineCore
import Foundation
import GRDB
import Synchronization

/// Record writes that must commit with a batch of journal entries (a command's personal data).
public struct RecordWrite: JournalAttachment {
    let body: @Sendable (Database) throws -> Void
    init(_ body: @escaping @Sendable (Database) throws -> Void) { self.body = body }
}

/// The journal's writer: a `JournalSink` that group-commits on its own thread.
public final class JournalWriter: JournalSink, Sendable {
    struct Item {
        var entries: [JournalEntry]
        var attachment: (any JournalAttachment)?
    }

    struct Queue {
        var items: [Item] = []
        var durableSeq: Int64
        var lastError: String?
        var stopping = false
        /// Stop at once, writing nothing more (a power cut in the benches).
        var abandoned = false
        /// A batch has been taken off `items` and is being written.
        var writing = false
        var waiters: [(seq: Int64, continuation: CheckedContinuation<Void, Never>)] = []
        var batches: Int64 = 0
        /// When the oldest queued item came (monotonic nanoseconds), and whether someone
        /// waits for what is queued (write it now).
        var queuedSince: UInt64?
        var urgent = false
        /// The writer waits with nothing queued: the next entry must wake it. Otherwise it is
        /// writing, or lingering until a deadline it keeps itself, and an entry does not wake it
        /// (a wake per sensor report was a system call under the engine's lock, and a context
        /// switch for a writer that went back to lingering).
        var idle = false
    }

    let store: Store
    let queue: Mutex<Queue>
    let wake = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    /// Cuts a retry's wait short when the writer is abandoned.
    let interrupt = DispatchSemaphore(value: 0)
    /// Largest number of entries written in one transaction.
    let maxBatch: Int
    /// How long entries nobody waits for may wait to share a commit (nanoseconds; 0: none).
    let linger: UInt64
    let onError: @Sendable (String?) -> Void
    let onRecordError: @Sendable (String) -> Void

    /// - Parameters:
    ///   - durableSeq: last sequence number already in the journal.
    ///   - linger: how long entries nobody waits for may wait to share a commit.
    ///   - onError: told of a write failure (message) and of recovery (nil).
    ///   - onRecordError: told when a record attachment fails (the journal entry still commits).
    public init(
        store: Store, durableSeq: Int64, maxBatch: Int = 4096, linger: Duration = .zero,
        onError: @escaping @Sendable (String?) -> Void = { _ in },
        onRecordError: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.store = store
        self.queue = Mutex(Queue(durableSeq: durableSeq))
        self.maxBatch = maxBatch
        let (seconds, attoseconds) = linger.components
        self.linger = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        self.onError = onError
        self.onRecordError = onRecordError
        let thread = Thread { [self] in self.run() }
        thread.name = "cantine-journal"
        thread.start()
    }

    public func enqueue(_ entries: [JournalEntry], attachment: (any JournalAttachment)?) {
        guard !entries.isEmpty || attachment != nil else { return }
        let asleep = queue.withLock { q in
            if q.queuedSince == nil { q.queuedSince = Self.monotonic() }
            q.items.append(Item(entries: entries, attachment: attachment))
            // A full batch ends a linger.
            guard q.idle || q.items.count == maxBatch else { return false }
            q.idle = false
            return true
        }
        if asleep { wake.signal() }
    }

    static func monotonic() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Last sequence number known to be on disk.
    public var durableSeq: Int64 { queue.withLock { $0.durableSeq } }

    /// The current write error, if the journal is failing to write.
    public var lastError: String? { queue.withLock { $0.lastError } }

    /// Number of transactions committed so far.
    public var batches: Int64 { queue.withLock { $0.batches } }

    /// Suspends until every entry up to `seq` is on disk.
    public func waitDurable(through seq: Int64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = queue.withLock { q -> Bool in
                if q.durableSeq >= seq { return true }
                q.waiters.append((seq, c))
                q.urgent = true
                return false
            }
            if ready { c.resume() } else { wake.signal() }
        }
    }

    /// Blocks until everything queued so far is on disk (CLI, benches, shutdown).
    /// Returns false, leaving entries queued, if the journal is failing to write.
    @discardableResult
    public func flush() -> Bool {
        while true {
            let (pending, failing) = queue.withLock { q in
                let pending = !q.items.isEmpty || q.writing
                if pending { q.urgent = true }
                return (pending, q.lastError != nil)
            }
            if !pending { return true }
            if failing { return false }
            wake.signal()
            usleep(500)
        }
    }

    /// Writes what is queued, then stops the thread. Returns false if entries could not be written.
    @discardableResult
    public func close() -> Bool {
        queue.withLock { $0.stopping = true }
        wake.signal()
        finished.wait()
        return queue.withLock { $0.items.isEmpty }
    }

    /// Stops the thread without writing what is queued, as a power cut would: for the power-cut
    /// bench, whose disk has stopped taking writes. What is queued is dropped, and callers
    /// waiting for it to be durable are never resumed: nothing may wait on this writer after.
    public func abandon() {
        queue.withLock {
            $0.stopping = true
            $0.abandoned = true
        }
        wake.signal()
        interrupt.signal()
        finished.wait()
    }

    private func run() {
        let encoder = JSONEncoder()
        var retryDelay = 0.05
        while true {
            let (batch, stopping, lingerUntil) = queue.withLock { q -> ([Item], Bool, UInt64?) in
                if q.abandoned { return ([], true, nil) }
                // Nobody waits and the batch is not full: let it gather more for a while.
                if linger > 0, !q.urgent, !q.stopping, q.lastError == nil, let since = q.queuedSince,
                    q.items.count < maxBatch, Self.monotonic() < since &+ linger
                {
                    return ([], false, since &+ linger)
                }
                // Up to maxBatch entries, taken in one slice (removeFirst per item is O(n²)
                // on a backlog, just when the writer is behind).
                var end = 0
                var count = 0
                while count < maxBatch, end < q.items.count {
                    count += q.items[end].entries.count
                    end += 1
                }
                let taken = Array(q.items[..<end])
                q.items.removeFirst(end)
                q.writing = !taken.isEmpty
                q.idle = taken.isEmpty
                q.queuedSince = q.items.isEmpty ? nil : Self.monotonic()
                return (taken, q.stopping, nil)
            }
            if let lingerUntil {
                let now = Self.monotonic()
                if lingerUntil > now { _ = wake.wait(timeout: .now() + .nanoseconds(Int(lingerUntil - now))) }
                continue
            }
            if batch.isEmpty {
                if stopping { break }
                wake.wait()
                continue
            }
            do {
                try write(batch, encoder: encoder)
                retryDelay = 0.05
                let last = batch.last(where: { !$0.entries.isEmpty })?.entries.last?.seq
                let (ready, recovered) = queue.withLock { q -> ([CheckedContinuation<Void, Never>], Bool) in
                    if let last { q.durableSeq = max(q.durableSeq, last) }
                    q.writing = false
                    q.batches += 1
                    let recovered = q.lastError != nil
                    q.lastError = nil
                    let ready = q.waiters.filter { $0.seq <= q.durableSeq }.map(\.continuation)
                    q.waiters.removeAll { $0.seq <= q.durableSeq }
                    q.urgent = !q.waiters.isEmpty
                    return (ready, recovered)
                }
                // Writing again is announced before anyone hears their entries are durable.
                if recovered { onError(nil) }
                ready.forEach { $0.resume() }
            } catch {
                let message =
                    (error as? DatabaseError).map { Store.explain($0, path: store.path).message } ?? "\(error)"
                let first = queue.withLock { q -> Bool in
                    q.items.insert(contentsOf: batch, at: 0)
                    q.writing = false
                    defer { q.lastError = message }
                    return q.lastError != message
                }
                if first { onError(message) }
                if stopping && retryDelay >= 1.6 { break }  // give up on shutdown after a few tries
                if queue.withLock({ $0.abandoned }) { break }
                _ = interrupt.wait(timeout: .now() + retryDelay)
                retryDelay = min(retryDelay * 2, 2)
            }
        }
        finished.signal()
    }

    private func write(_ batch: [Item], encoder: JSONEncoder) throws {
        try store.pool.write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO journal(seq, site, wall_us, mono_ns, source, kind, payload) VALUES (?,?,?,?,?,?,?)")
            let log = try db.cachedStatement(
                sql:
                    "INSERT INTO access_log(seq, site, at_us, door, member_id, granted, reason, plan, operator, note) VALUES (?,?,?,?,?,?,?,?,?,?)"
            )
            for item in batch {
                for e in item.entries {
                    let payload = try e.event.encodePayload(with: encoder)
                    try insert.execute(arguments: [
                        e.seq, e.site.rawValue, e.wall.micros, Int64(bitPattern: e.monotonicNanos),
                        e.source.rawValue, e.event.kind, payload,
                    ])
                    if let a = e.access {
                        try log.execute(arguments: [
                            e.seq, e.site.rawValue, a.at.micros, a.door.rawValue, a.member?.rawValue, a.granted,
                            a.reason.rawValue, a.plan?.rawValue, a.by, a.note,
                        ])
                    }
                    if Projection.projects(e.event) {
                        do {
                            try db.inSavepoint {
                                try Projection.apply(e, db)
                                return .commit
                            }
                        } catch {
                            onRecordError("records for \(e.id): \(error)")
                        }
                    }
                }
                if let records = item.attachment as? RecordWrite {
                    do {
                        try db.inSavepoint {
                            try records.body(db)
                            return .commit
                        }
                    } catch {
                        onRecordError("records for \(item.entries.first?.id ?? "?"): \(error)")
                    }
                }
            }
        }
    }
}
