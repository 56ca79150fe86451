// The site: the application layer the edges (web, CLI, MQTT, GPIO) work through. Opening one
// takes the database lock, opens and migrates the store, rebuilds the state (snapshot +
// journal tail), starts the journal writer and the engine and journals the layout. Used by
// `serve`, `demo`, and by CLI commands when no daemon is running. Its use cases are in this
// module's other files: operations, imports, privacy, replay.

import CTimex
import CantineCore
import CantineProtocol
import CantineStore
import Foundation
import Logging
import Metrics
import Synchronization

/// System clocks: wall time from the OS, monotonic time from CLOCK_MONOTONIC.
public struct SystemTime: TimeSource {
    public init() {}
    public func now() -> Instant { Instant(Date()) }
    public func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    public func wallSynchronized() -> Bool { cantine_clock_synchronized() != 0 }
}

/// A one-line error of the site, with what kind of failure it is (the web answers a status
/// by it).
public struct SiteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: Sendable, Equatable {
        /// What was named does not exist.
        case notFound
        /// The site cannot do it now (its database, its journal).
        case unavailable
        /// Anything else.
        case failed
    }
    public let code: Code
    public let message: String
    public init(_ code: Code = .failed, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// What a site needs to know of its configuration, resolved (no defaults left to apply).
public struct SiteSettings: Sendable, Equatable {
    public var site: SiteID
    /// The SQLite file (its directory must exist).
    public var databasePath: String
    /// IANA name, e.g. `Europe/Paris`.
    public var timeZone: String
    public var layout: SiteLayout
    /// The secret every site of the network shares (nil: not in a network).
    public var networkCredentialSecret: String?
    /// A remote unlock older than this is not carried out.
    public var remoteUnlockMaxAge: Span
    /// Days personal data and history are kept.
    public var retention: Retention
    /// The 37-bit Wiegand format of each door whose reader sends one other than H10304.
    public var wiegand37: [DoorID: WiegandFormat]
    /// How long journal entries nobody waits for may wait to share a commit (the SD card's
    /// wear: docs/reliability.md); a command's answer never waits for it.
    public var commitLinger: Span

    /// How long each kind of data is kept, in days.
    public struct Retention: Sendable, Equatable {
        public var accessLogDays: Int
        public var journalDays: Int
        public var bookingsDays: Int
        public init(accessLogDays: Int, journalDays: Int, bookingsDays: Int) {
            self.accessLogDays = accessLogDays
            self.journalDays = journalDays
            self.bookingsDays = bookingsDays
        }
    }

    public init(
        site: SiteID, databasePath: String, timeZone: String, layout: SiteLayout, networkCredentialSecret: String?,
        remoteUnlockMaxAge: Span, retention: Retention, wiegand37: [DoorID: WiegandFormat] = [:],
        commitLinger: Span = .seconds(0)
    ) {
        self.wiegand37 = wiegand37
        self.commitLinger = commitLinger
        self.site = site
        self.databasePath = databasePath
        self.timeZone = timeZone
        self.layout = layout
        self.networkCredentialSecret = networkCredentialSecret
        self.remoteUnlockMaxAge = remoteUnlockMaxAge
        self.retention = retention
    }
}

/// Drives a door's relay (the GPIO edge's relay drivers; nothing in a CLI tool).
public typealias RelayPort = @Sendable (DoorID, RelayCommand) -> Void

/// Who wants to know that the journal is failing or writing again (the MQTT publisher).
public final class JournalHealth: Sendable {
    let state = Mutex<(error: String?, watchers: [@Sendable (String?) -> Void])>((nil, []))

    /// Calls `watcher` now if the journal is failing, then at every change.
    public func watch(_ watcher: @escaping @Sendable (String?) -> Void) {
        let current = state.withLock { s in
            s.watchers.append(watcher)
            return s.error
        }
        if let current { watcher(current) }
    }

    func changed(_ error: String?) {
        let watchers = state.withLock { s in
            s.error = error
            return s.watchers
        }
        watchers.forEach { $0(error) }
    }
}

/// Timers the reducer asked for, waiting to be fed back as events. A timer that measures a
/// duration (`TimerID.measuresDuration`: a door's) is kept as a monotonic deadline, so a step
/// of the wall clock (NTP, a wrong RTC) does not move it; the others follow the wall clock.
public final class TimerQueue: Sendable {
    struct Pending {
        var at: Instant
        var monotonic: UInt64?
    }
    let pending = Mutex<[TimerID: Pending]>([:])
    let time: any TimeSource

    public init(time: any TimeSource = SystemTime()) { self.time = time }

    /// Schedules `id` at `at`, `now` being the site's time (the engine's, which runs ahead of
    /// a clock that booted behind: Engine.swift).
    public func schedule(_ id: TimerID, at: Instant, now: Instant) {
        let mono = time.monotonicNanos()
        let deadline = id.measuresDuration ? mono &+ UInt64(max(0, (at - now).micros)) &* 1000 : nil
        pending.withLock { $0[id] = Pending(at: at, monotonic: deadline) }
    }

    /// Removes and returns the timers due at `now` (and now on the monotonic clock), earliest first.
    public func takeDue(now: Instant) -> [TimerID] {
        let mono = time.monotonicNanos()
        return pending.withLock { p in
            let due = p.filter { $0.value.monotonic.map { mono >= $0 } ?? ($0.value.at <= now) }
                .sorted { ($0.value.at, $0.key.description) < ($1.value.at, $1.key.description) }.map(\.key)
            for id in due { p[id] = nil }
            return due
        }
    }

    /// The earliest deadline, if any, as an instant of the site's time `now`.
    public func earliest(now: Instant) -> Instant? {
        let mono = time.monotonicNanos()
        return pending.withLock { p in
            p.values.map { t in
                t.monotonic.map { now + Span(micros: Int64($0 > mono ? ($0 - mono) / 1000 : 0)) } ?? t.at
            }.min()
        }
    }
}

/// Metrics of the site (swift-metrics; exported once a backend is bootstrapped).
struct SiteMetrics: Sendable {
    let events = Counter(label: "cantine_events_total")
    /// Access decisions by reason (`granted.plan`, `denied.unknown_card`, …), made once.
    let access: [AccessReason: Counter] = Dictionary(
        uniqueKeysWithValues: AccessReason.allCases.map { reason in
            (
                reason,
                Counter(
                    label: "cantine_access_decisions_total",
                    dimensions: [
                        ("result", reason.granted ? "granted" : reason.pending ? "pending" : "denied"),
                        ("reason", reason.rawValue),
                    ])
            )
        })
    let journalErrors = Counter(label: "cantine_journal_errors_total")
}

/// An opened site: store, journal, engine and the edges' plumbing.
public final class Site: Sendable {
    public let settings: SiteSettings
    public let store: Store
    public let lock: ProcessLock
    public let journal: JournalWriter
    public let engine: Engine
    public let bus: NoticeBus
    public let timers: TimerQueue
    public let tokenizer: CredentialTokenizer
    /// Tokens of the network (the secret every site of the network shares), when in one.
    public let networkTokenizer: CredentialTokenizer?
    public let calendar: SiteCalendar
    public let logger: Logger
    /// What the state was rebuilt from at open.
    public let recovered: ReplayResult
    /// Told when the journal starts failing (why) and when it writes again (nil).
    public let journalHealth = JournalHealth()
    /// Whether the wall clock is trusted (checked by the timer service).
    public let clock: ClockWatch
    /// The floor's use day by day, folded from the journal.
    public let usage: UsageLedger
    let metrics = SiteMetrics()

    /// Journal entries applied (in memory) but not yet written.
    public var journalBacklog: Int64 { engine.lastSeq - journal.durableSeq }

    /// Whether the runtime is the long-running daemon or a one-shot CLI command.
    public enum Role: Sendable { case daemon, tool }

    /// Opens the site `settings` describe.
    /// - Parameters:
    ///   - relays: drives the doors' relays, already driven locked (daemon only).
    public static func open(
        _ settings: SiteSettings, role: Role, mode: Store.Mode = .existing, time: any TimeSource = SystemTime(),
        relays: @escaping RelayPort = { _, _ in }, version: String, logger: Logger
    ) throws(SiteError) -> Site {
        do {
            return try Site(
                settings: settings, role: role, mode: mode, time: time, relays: relays, version: version,
                logger: logger)
        } catch let e as SiteError {
            throw e
        } catch let e as StoreError {
            throw SiteError(e.code == .notFound ? .notFound : .unavailable, e.message)
        } catch let e as JournalReadError {
            throw SiteError(.unavailable, "\(e): restore a backup, or run `cantine doctor`")
        } catch {
            throw SiteError(.unavailable, "cannot open the site: \(error)")
        }
    }

    init(
        settings: SiteSettings, role: Role, mode: Store.Mode, time: any TimeSource, relays: @escaping RelayPort,
        version: String, logger: Logger
    ) throws {
        let path = settings.databasePath
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: dir) else {
            throw SiteError(
                .unavailable,
                "database directory \(dir) does not exist: create it (mkdir -p \(dir)) or change [database] path")
        }
        if mode == .existing && !FileManager.default.fileExists(atPath: path) {
            throw SiteError(.unavailable, "no database at \(path): run `cantine init` first")
        }
        self.settings = settings
        self.logger = logger
        lock = try ProcessLock(databasePath: path)
        store = try Store(path: path, mode: mode)
        let site = try store.metaSetIfAbsent("site", settings.site.rawValue)
        guard site == settings.site.rawValue else {
            throw SiteError(
                .unavailable,
                "database \(path) belongs to site '\(site)' but the config says site.id = \"\(settings.site)\": fix the config or the database path"
            )
        }
        tokenizer = CredentialTokenizer(
            secretHex: try store.metaSetIfAbsent("site_secret", CredentialTokenizer.newSecretHex()))
        networkTokenizer = settings.networkCredentialSecret.map { CredentialTokenizer(secretHex: $0) }
        guard let calendar = SiteCalendar(timeZone: settings.timeZone) else {
            throw SiteError(.failed, "unknown time zone \(settings.timeZone)")
        }
        self.calendar = calendar
        recovered = try Replay.rebuild(store: store, site: settings.site, useSnapshot: true)
        usage = UsageLedger(
            store: store, site: settings.site, calendar: calendar,
            opened: role == .daemon ? (recovered.state, recovered.lastSeq) : nil)
        let metrics = self.metrics
        let journalLogger = logger
        journal = JournalWriter(
            store: store, durableSeq: recovered.lastSeq, linger: .microseconds(settings.commitLinger.micros),
            onError: { [journalHealth] message in
                journalHealth.changed(message)
                if let message {
                    metrics.journalErrors.increment()
                    journalLogger.critical(
                        "journal write failing; doors keep deciding from memory", metadata: ["error": "\(message)"])
                } else {
                    journalLogger.notice("journal writing again")
                }
            },
            onRecordError: { journalLogger.error("record write failed", metadata: ["error": "\($0)"]) })

        let bus = NoticeBus()
        let timers = TimerQueue(time: time)
        self.bus = bus
        self.timers = timers
        engine = Engine(
            site: settings.site, state: recovered.state, lastSeq: recovered.lastSeq,
            lastWall: try store.lastWall() ?? Instant(micros: 0), time: time, journal: journal,
            onEffects: { entry, effects in
                metrics.events.increment()
                for effect in effects {
                    switch effect {
                    case .relay(let door, let command): relays(door, command)
                    case .schedule(let id, let at): timers.schedule(id, at: at, now: entry.wall)
                    case .notify(let notice):
                        if case .access(let record) = notice {
                            metrics.access[record.reason]?.increment()
                        }
                        bus.publish(.init(seq: entry.seq, at: entry.wall, notice: notice))
                    }
                }
            })
        clock = ClockWatch(time: time, engine: engine, logger: logger)

        if role == .daemon {
            engine.submit(.daemonStarted(DaemonStarted(version: version)), source: "daemon")
        }
        let layout = settings.layout
        if engine.read({ $0.layout }) != layout {
            engine.submit(.layoutApplied(layout), source: "config")
        }
    }

    /// Writes a snapshot of the current state, once every entry it folds in is durable.
    /// Returns the sequence number it was taken at.
    @discardableResult
    public func snapshot() throws -> Int64 {
        let (state, seq) = engine.readWithSeq { $0 }
        while journal.durableSeq < seq {
            if !journal.flush() { throw SiteError(.unavailable, "journal not writable: \(journal.lastError ?? "?")") }
        }
        try store.saveSnapshot(
            seq: seq, site: settings.site, taken: engine.now, digest: StateDigest.of(state), state: state)
        return seq
    }

    /// Flushes the journal and releases the database. Returns false if entries could not be written.
    @discardableResult
    public func close() -> Bool {
        engine.flushHeartbeats(force: true)  // the heartbeats held are journaled with the rest
        let ok = journal.close()
        // Where the usage fold stands, kept at the last entry: the next start goes on from there.
        do { try usage.finish() } catch {
            logger.warning("utilisation history not updated", metadata: ["error": "\(error)"])
        }
        lock.release()
        return ok
    }

    /// Drops the site as a power cut does: the journal writer stops without writing what is
    /// queued, the database's connections close, the lock goes. For the power-cut bench.
    public func abandon() throws {
        journal.abandon()
        try store.close()
        lock.release()
    }
}

extension Site {
    /// Waits on the notices until `done` holds over the state, at most `timeout`: true when it
    /// did. (The benches and tests wait so: on what happened, never a fixed sleep.)
    public func wait(upTo timeout: Duration = .seconds(10), until done: @escaping @Sendable (State) -> Bool) async
        -> Bool
    {
        let notices = bus.subscribe()
        if engine.read(done) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { [engine] in
                for await _ in notices where engine.read(done) { return true }
                return false
            }
            group.addTask { [engine] in
                try? await Task.sleep(for: timeout)
                return engine.read(done)
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
