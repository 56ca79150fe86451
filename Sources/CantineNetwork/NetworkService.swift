// The site's part in the network, over its own broker (the bridge carries it to the hub):
// publishes its members' signed records (retained, versioned by the journal sequence), its
// summary (on every occupancy change and every minute) and visits of other sites' members;
// takes in the other sites' records, summaries and visit reports — verified, then journaled
// as events — and refuses anything forged, malformed or out of place with an alarm.
// Doors never wait on any of this: the access policy reads what is already in the state.

import CantineCore
import CantineMQTT
import CantineStore
import Crypto
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The network service of one site.
public final class NetworkService: Service, Sendable {
    /// How this site takes part in the network.
    public struct Settings: Sendable {
        public var keys: NetworkKeys
        public var siteName: String
        /// Ttl written into this site's records (how long other sites honour them unheard).
        public var ttlSeconds: Int64
        /// A summary at least this often (it is also how other sites know this one is alive).
        public var summaryEvery: Duration
        /// A site not heard for this long is shown stale.
        public var staleAfter: Span
        /// A live site's "heard" is journaled at most this often (it keeps its visitors honoured).
        public var heardEvery: Span
        /// Publish this site's members' records (a site can take visitors without sending any).
        public var publishMembers: Bool

        public init(
            keys: NetworkKeys, siteName: String, ttlSeconds: Int64 = 86_400, summaryEvery: Duration = .seconds(60),
            staleAfter: Span = .seconds(180), heardEvery: Span = .seconds(300), publishMembers: Bool = true
        ) {
            self.keys = keys
            self.siteName = siteName
            self.ttlSeconds = ttlSeconds
            self.summaryEvery = summaryEvery
            self.staleAfter = staleAfter
            self.heardEvery = heardEvery
            self.publishMembers = publishMembers
        }
    }

    /// What woke the service up.
    struct Pending {
        var members = false
        var summary = false
        var republish = false
        var inbound: [InboundMessage] = []
        /// Access decisions about visitors, to report (signed off the engine's lock, in `step`).
        var visits: [(record: AccessRecord, seq: Int64)] = []
        /// Reports are waiting in the store's `network_outbox` (the broker was away).
        var stored = false
    }

    public let settings: Settings
    public let client: MosquittoClient
    let engine: Engine
    let bus: NoticeBus
    let store: Store
    let logger: Logger
    let topics: NetworkTopics
    /// Network token of a badge (card number → keyed digest), computed by the daemon's tokenizer.
    let networkToken: @Sendable (CredentialRecord) -> CredentialToken?
    /// Returns once the journal (and the records written with it) is durable through a sequence
    /// number: badge records are read from the store only then.
    let durable: @Sendable (Int64) async -> Void
    let pending = Mutex(Pending())
    let wake: AsyncStream<Void>.Continuation
    let wakes: AsyncStream<Void>
    /// Summaries sent since start (with the journal sequence at start, orders them).
    let sent = Mutex<Int64>(0)
    let epoch: Int64
    /// Messages refused since start.
    public let rejected = Atomic<Int>(0)
    /// The last summary taken from each site (read from the store at the first of each).
    let summaries = Mutex<[SiteID: SiteSummary]>([:])
    /// Visit reports held in memory at most before the next step stores them.
    static let maxQueuedVisits = 10_000
    /// Inbound messages waiting for a step at most.
    static let maxQueuedInbound = 10_000
    /// Inbound messages dropped because too many were waiting.
    public let dropped = Atomic<Int>(0)

    public init(
        mqtt: MQTTSettings, settings: Settings, engine: Engine, bus: NoticeBus, store: Store, logger: Logger,
        durable: @escaping @Sendable (Int64) async -> Void,
        networkToken: @escaping @Sendable (CredentialRecord) -> CredentialToken?
    ) throws(MQTTError) {
        var mqtt = mqtt
        mqtt.clientID += "-network"
        client = try MosquittoClient(settings: mqtt)
        self.settings = settings
        self.engine = engine
        self.bus = bus
        self.store = store
        self.logger = logger
        self.networkToken = networkToken
        self.durable = durable
        topics = NetworkTopics(site: engine.site)
        epoch = engine.lastSeq
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func run() async throws {
        let observer = bus.observe { [weak self] item in self?.noticed(item) }
        defer { bus.stopObserving(observer) }
        try await client.startDetached(
            subscriptions: topics.subscriptions,
            onConnect: { [weak self] in self?.kick { $0.republish = true } },
            onMessage: { [weak self] message in self?.take(message) })
        defer { client.stop() }
        kick { $0.members = true }
        let ticker = Task { [weak self, every = settings.summaryEvery] in
            while !Task.isCancelled {
                try? await Task.sleep(for: every)
                self?.kick { $0.summary = true }
            }
        }
        defer { ticker.cancel() }
        await withGracefulShutdownHandler {
            for await _ in wakes.cancelOnGracefulShutdown() { await step() }
        } onGracefulShutdown: { [wake] in
            wake.finish()
        }
    }

    /// An inbound message, queued for the next step (on libmosquitto's thread: never waits).
    /// Beyond `maxQueuedInbound` waiting (a flooding site), messages are dropped and counted;
    /// retained records come again on the next reconnect.
    func take(_ message: InboundMessage) {
        let kept = pending.withLock { p -> Bool in
            guard p.inbound.count < Self.maxQueuedInbound else { return false }
            p.inbound.append(message)
            return true
        }
        if kept { wake.yield() } else { dropped.add(1, ordering: .relaxed) }
    }

    func kick(_ change: (inout Pending) -> Void) {
        pending.withLock { change(&$0) }
        wake.yield()
    }

    /// Runs under the engine's lock: only records what to do.
    func noticed(_ item: NoticeBus.Item) {
        switch item.notice {
        case .membersChanged: kick { $0.members = true }
        case .occupancyChanged: kick { $0.summary = true }
        case .access(let record):
            guard record.member?.rawValue.contains("@") == true else { return }
            kick { p in
                if p.visits.count < Self.maxQueuedVisits { p.visits.append((record, item.seq)) }
            }
        default: return
        }
    }

    /// Everything pending, in order: messages in, then records, visits and the summary out.
    func step() async {
        let now = pending.withLock { p -> Pending in
            defer { p = Pending() }
            return p
        }
        for message in now.inbound { receive(message) }
        if now.members || now.republish { await publishMembers(all: now.republish) }
        sendVisits(now.visits.compactMap { visitReport($0.record, seq: $0.seq) }, drain: now.republish || now.stored)
        if now.summary || now.republish { publishSummary() }
    }

    // MARK: Out

    /// Publishes the records of members whose content changed since last published (every
    /// record when `all`: after a reconnect, so a broker that lost its retained messages gets
    /// them again). A record's version is the journal sequence when its content changed.
    func publishMembers(all: Bool) async {
        guard settings.publishMembers else { return }
        let (records, seq) = engine.readWithSeq { (state, seq) in (Self.records(of: state), seq) }
        // The badges' records are written with their journal entries: wait for them (a journal
        // that cannot write, a full disk, defers publishing to the next round).
        let written = await withTaskGroup(of: Bool.self) { group in
            group.addTask { [durable] in
                await durable(seq)
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        guard written else {
            pending.withLock { $0.members = true }
            return
        }
        do {
            let credentials = try store.activeCredentials()
            let published = try store.networkPublished()
            // Plans and status come from the state read above, badges from the store read now
            // (only it holds card numbers): a member changed in between would go out with new
            // badges and old plans — a visitor refused elsewhere for a plan they hold. Then this
            // round publishes nothing; the next (the change's notice queued it) reads both again.
            guard engine.read({ Self.records(of: $0) }) == records else {
                kick {
                    $0.members = true
                    $0.republish = $0.republish || all
                }
                return
            }
            var tokens: [String: [CredentialToken]] = [:]
            for c in credentials {
                if let token = networkToken(c) { tokens[c.memberId, default: []].append(token) }
            }
            var changed: [(member: String, version: Int64, digest: String)] = []
            var out: [RoamingRecord] = []
            let ids = Set(records.keys.map(\.rawValue)).union(published.keys)
            for id in ids.sorted() {
                var record =
                    records[MemberID(id)]
                    ?? RoamingRecord(
                        member: MemberID(id), home: engine.site, version: 0, credentials: [], plans: [], revoked: true,
                        ttlSeconds: settings.ttlSeconds)
                record.credentials = (tokens[id] ?? []).sorted().prefix(RecordLimits.credentials).map { $0 }
                record.ttlSeconds = settings.ttlSeconds
                let digest = Self.digest(record.content)
                if let old = published[id], old.digest == digest {
                    guard all else { continue }
                    record.version = old.version
                } else {
                    record.version = max(seq, (published[id]?.version ?? 0) + 1)
                    changed.append((id, record.version, digest))
                }
                out.append(record)
            }
            // Remembered before they go out: a crash in between republishes them at the next start.
            if !changed.isEmpty { try store.setNetworkPublished(changed, site: engine.site.rawValue) }
            for record in out {
                client.publish(topics.member(record.member), settings.keys.seal(.member, record), qos: 1, retain: true)
            }
        } catch {
            logger.error("network: cannot read members to publish", metadata: ["error": "\(error)"])
        }
    }

    /// The content of each local member's record (credentials are filled in from the store).
    static func records(of state: State) -> [MemberID: RoamingRecord] {
        var out: [MemberID: RoamingRecord] = [:]
        for (id, member) in state.members {
            let site = state.layout?.site ?? SiteID("")
            out[id] = RoamingRecord(
                member: id, home: site, version: 0, credentials: [],
                plans: member.plans.sorted { $0.validFrom < $1.validFrom }.suffix(RecordLimits.plans),
                revoked: member.status != .active, ttlSeconds: 0)
        }
        return out
    }

    static func digest(_ record: RoamingRecord) -> String {
        let data = (try? JSONEncoder.sorted.encode(record)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    func publishSummary() {
        let count = sent.withLock { n -> Int64 in
            n += 1
            return n
        }
        let (occupancy, visitors) = engine.read { state in
            let now = engine.now
            return (
                state.occupancy(at: now),
                state.present.keys.filter { $0.rawValue.contains("@") }.count
            )
        }
        let summary = SiteSummary(
            site: engine.site, name: settings.siteName, epoch: epoch, count: count, occupancy: occupancy,
            visitors: visitors, sentAt: engine.now)
        keep(summary, heardUs: engine.now.micros)
        client.publish(topics.summary, settings.keys.seal(.summary, summary), qos: 1, retain: true)
    }

    /// Sends visit reports in order: those waiting in the store first (after a reconnect),
    /// then the new ones; what the broker does not take is written to the store, so a report
    /// outlives a broker outage and a restart of the daemon.
    func sendVisits(_ visits: [(topic: String, payload: [UInt8])], drain: Bool) {
        var waiting = drain
        do {
            while waiting {
                let batch = try store.networkOutbox()
                if batch.isEmpty {
                    waiting = false
                    break
                }
                let taken = batch.prefix { client.publish($0.topic, $0.payload, qos: 1) != nil }
                try store.networkOutboxDelete(ids: taken.map(\.id))
                if taken.count < batch.count { break }
            }
            let unsent = waiting ? visits[...] : visits.drop { client.publish($0.topic, $0.payload, qos: 1) != nil }
            if !unsent.isEmpty {
                try store.networkOutboxAppend(Array(unsent), atUs: engine.now.micros, site: engine.site.rawValue)
                logger.info(
                    "network: broker away, visit reports kept for later", metadata: ["reports": "\(unsent.count)"])
                waiting = true
            }
        } catch {
            logger.error("network: visit reports not stored", metadata: ["error": "\(error)"])
        }
        if waiting { pending.withLock { $0.stored = true } }
    }

    /// The visit report of an access decision about a visitor, if it is one.
    func visitReport(_ record: AccessRecord, seq: Int64) -> (topic: String, payload: [UInt8])? {
        guard let id = record.member?.rawValue, let at = id.lastIndex(of: "@") else { return nil }
        let home = SiteID(String(id[id.index(after: at)...]))
        let report = VisitReport(
            site: engine.site, seq: seq, member: MemberID(String(id[..<at])), door: record.door,
            granted: record.granted, reason: record.reason, at: record.at)
        return (topics.visit(home: home), settings.keys.seal(.visit, report))
    }

    // MARK: In

    func receive(_ message: InboundMessage) {
        guard let (site, kind, leaf) = NetworkTopics.parse(message.topic) else { return }
        // Our own messages, back from the hub: proof the bridge works, nothing to take in.
        guard site != engine.site else { return }
        do throws(NetworkRejection) {
            switch kind {
            case .member: try receiveRecord(message.payload, from: site, leaf: leaf)
            case .summary: try receiveSummary(message.payload, from: site)
            case .visit: try receiveVisit(message.payload, from: site, leaf: leaf)
            }
        } catch {
            reject(message.topic, error)
        }
    }

    func receiveRecord(_ payload: [UInt8], from site: SiteID, leaf: String) throws(NetworkRejection) {
        let record = try settings.keys.open(payload, from: site, kind: .member, as: RoamingRecord.self)
        if let problem = RecordLimits.check(record, from: site, leaf: leaf) { throw problem }
        // An older or repeated version (a retained message again after a reconnect) changes nothing.
        _ = engine.submit(.roamingRecord(record), source: EventSource("network:\(site)")) { state, _ in
            (state.network?.visitors[record.visitorID]?.record.version ?? 0) >= record.version ? true : nil
        }
    }

    func receiveSummary(_ payload: [UInt8], from site: SiteID) throws(NetworkRejection) {
        let summary = try settings.keys.open(payload, from: site, kind: .summary, as: SiteSummary.self)
        guard summary.site == site else {
            throw NetworkRejection("summary of '\(summary.site.rawValue.oneLine)' published by '\(site)'")
        }
        let now = engine.now
        let known =
            summaries.withLock { $0[site] }
            ?? (try? store.networkSites())?.first { $0.id == site.rawValue }
            .flatMap { try? JSONDecoder().decode(SiteSummary.self, from: Data($0.summary.utf8)) }
        if let known {
            // A retained summary seen before (reconnect) says nothing about the site now.
            guard summary.isNewer(than: known) else { return }
            keep(summary, heardUs: now.micros)
            let heard = engine.read { $0.network?.heard[site] }
            if heard.map({ now - $0 >= settings.heardEvery }) ?? true {
                engine.submit(.siteHeard(SiteHeard(site: site)), source: EventSource("network:\(site)"))
            }
        } else {
            // First sight: how old it is can only be guessed from the sender's clock (shown only).
            keep(summary, heardUs: min(now.micros, summary.sentAt.micros))
        }
    }

    func receiveVisit(_ payload: [UInt8], from site: SiteID, leaf: String) throws(NetworkRejection) {
        guard leaf == engine.site.rawValue else { return }
        let visit = try settings.keys.open(payload, from: site, kind: .visit, as: VisitReport.self)
        guard visit.site == site else {
            throw NetworkRejection("visit at '\(visit.site.rawValue.oneLine)' reported by '\(site)'")
        }
        _ = engine.submit(.visitReported(visit), source: EventSource("network:\(site)")) { state, _ in
            visit.seq <= state.network?.visitsReported[site] ?? 0 ? true : nil
        }
    }

    func keep(_ summary: SiteSummary, heardUs: Int64) {
        summaries.withLock { $0[summary.site] = summary }
        let json = String(decoding: (try? JSONEncoder.sorted.encode(summary)) ?? Data(), as: UTF8.self)
        do {
            try store.upsertNetworkSite(
                NetworkSiteRow(id: summary.site.rawValue, summary: json, heardUs: heardUs), site: engine.site.rawValue)
            // The view changed outside the journal: told to the dashboard's live page (and tests).
            bus.publish(NoticeBus.Item(seq: engine.lastSeq, at: engine.now, notice: .networkChanged))
        } catch {
            logger.error("network: cannot store a site's summary", metadata: ["error": "\(error)"])
        }
    }

    /// A refused message: logged on one line, kept for the network view, alarmed on `events`.
    func reject(_ topic: String, _ rejection: NetworkRejection) {
        rejected.add(1, ordering: .relaxed)
        let now = engine.now
        logger.warning("network message refused: \(rejection.reason)", metadata: ["topic": "\(topic.oneLine)"])
        try? store.addNetworkRejection(
            atUs: now.micros, topic: topic.oneLine, reason: rejection.reason, site: engine.site.rawValue)
        let alarm = AlarmEvent(
            id: "\(engine.site)/network/\(now.micros)", alarm: "network_message_refused", active: true,
            topic: topic.oneLine, detail: rejection.reason, at: now.description)
        if let data = try? JSONEncoder.sorted.encode(alarm) {
            client.publish("cantine/\(engine.site)/events", Array(data), qos: 1)
        }
    }
}

extension NetworkService: HealthReporting {
    /// How the network is doing, for /healthz and /metrics: connected to the site's broker,
    /// messages refused (forged, misplaced, malformed) and dropped (a flood) since start.
    public func health() -> ComponentHealth {
        let values: [String: Double] = [
            "connected": client.isConnected ? 1 : 0,
            "refused": Double(rejected.load(ordering: .relaxed)),
            "inbound_dropped": Double(dropped.load(ordering: .relaxed)),
        ]
        if client.isConnected { return ComponentHealth(name: "network", status: "ok", values: values) }
        return ComponentHealth(
            name: "network", status: "degraded",
            detail: "not connected to the site's broker: visitors are decided from what the site has", values: values)
    }
}
