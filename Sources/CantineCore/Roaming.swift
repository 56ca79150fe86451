// Roaming: members of other cantines of the network, as this site knows them. Each member's
// home site is the only authority over their record; this site keeps the latest version it
// verified (signatures are checked at the edge, before anything reaches the journal) and
// decides visitors from it alone. Versions order records, never wall clocks: a record is the
// home's journal sequence number at the change. A record is honoured while the home site was
// heard within the record's ttl, so a site cut off for long stops honouring stale visitors.

/// A member's entitlement record, as published by their home site.
public struct RoamingRecord: Codable, Equatable, Sendable {
    /// The member's id at their home site.
    public var member: MemberID
    public var home: SiteID
    /// Orders this member's records: greater is newer (the home's journal sequence number).
    public var version: Int64
    /// Network tokens of the member's badges (keyed digests with the network's shared secret;
    /// never a badge number).
    public var credentials: [CredentialToken]
    public var plans: [Plan]
    /// Disabled, erased, or every badge revoked: denied everywhere.
    public var revoked: Bool
    /// Seconds a visited site honours the record without hearing from the home site.
    public var ttlSeconds: Int64

    public init(
        member: MemberID, home: SiteID, version: Int64, credentials: [CredentialToken], plans: [Plan],
        revoked: Bool, ttlSeconds: Int64
    ) {
        self.member = member
        self.home = home
        self.version = version
        self.credentials = credentials
        self.plans = plans
        self.revoked = revoked
        self.ttlSeconds = ttlSeconds
    }

    enum CodingKeys: String, CodingKey {
        case member, home, version, credentials, plans, revoked, ttlSeconds = "ttl_s"
    }

    /// The id the visitor goes by at a visited site (`m-k3x9q2ha@paris`): never collides with
    /// a local member's id.
    public var visitorID: MemberID { MemberID("\(member.rawValue)@\(home.rawValue)") }

    /// The same record without its version: what the home site compares to know whether a
    /// member's record changed.
    public var content: RoamingRecord {
        var r = self
        r.version = 0
        return r
    }
}

/// A visitor as this site knows them: the latest verified record and when it arrived.
public struct Visitor: Codable, Equatable, Sendable {
    public var record: RoamingRecord
    public var receivedAt: Instant
}

/// The network as the core knows it (absent from the state until the first network event).
public struct NetworkState: Codable, Equatable, Sendable {
    /// Visitors by visitor id (`member@home`).
    public var visitors: [MemberID: Visitor] = [:]
    /// Visitors' badges, by network token.
    public var tokens: [CredentialToken: MemberID] = [:]
    /// When each site was last heard live (journaled at most every few minutes per site).
    public var heard: [SiteID: Instant] = [:]
    /// The last visit report taken from each visited site (home side; reports come in order).
    public var visitsReported: [SiteID: Int64] = [:]
    public init() {}

    /// Until when `visitor` is honoured: their record's ttl after it arrived or after their
    /// home site was last heard, whichever is later.
    public func honouredUntil(_ visitor: Visitor) -> Instant {
        let heard = max(visitor.receivedAt, self.heard[visitor.record.home] ?? visitor.receivedAt)
        return heard + .seconds(visitor.record.ttlSeconds)
    }
}

/// A home site was heard live (its summary advanced): keeps its visitors honoured.
public struct SiteHeard: Codable, Equatable, Sendable {
    public var site: SiteID
    public init(site: SiteID) { self.site = site }
}

/// A visit of one of this site's members to another site, as that site reported it.
public struct VisitReport: Codable, Equatable, Sendable {
    /// The visited site, and its journal sequence number of the access decision.
    public var site: SiteID
    public var seq: Int64
    /// The member's id here (at their home site).
    public var member: MemberID
    public var door: DoorID
    public var granted: Bool
    public var reason: AccessReason
    public var at: Instant

    public init(
        site: SiteID, seq: Int64, member: MemberID, door: DoorID, granted: Bool, reason: AccessReason, at: Instant
    ) {
        self.site = site
        self.seq = seq
        self.member = member
        self.door = door
        self.granted = granted
        self.reason = reason
        self.at = at
    }
}

extension Reducer {
    /// Keeps `record` if it is newer than the one held for its member.
    static func roamingRecord(_ s: inout State, _ record: RoamingRecord, now: Instant) -> [Effect] {
        var network = s.network ?? NetworkState()
        let id = record.visitorID
        if let held = network.visitors[id] {
            guard record.version > held.record.version else { return [] }
            for token in held.record.credentials where network.tokens[token] == id { network.tokens[token] = nil }
        }
        network.visitors[id] = Visitor(record: record, receivedAt: now)
        for token in record.credentials { network.tokens[token] = id }
        s.network = network
        return [.notify(.networkChanged)]
    }

    static func siteHeard(_ s: inout State, _ heard: SiteHeard, now: Instant) -> [Effect] {
        var network = s.network ?? NetworkState()
        network.heard[heard.site] = now
        s.network = network
        return [.notify(.networkChanged)]
    }

    static func visitReported(_ s: inout State, _ visit: VisitReport) -> [Effect] {
        var network = s.network ?? NetworkState()
        guard visit.seq > network.visitsReported[visit.site] ?? 0 else { return [] }
        network.visitsReported[visit.site] = visit.seq
        s.network = network
        return [.notify(.networkChanged)]
    }
}

extension AccessPolicy {
    /// Decides a badge no local member holds, from the network's records: a visitor is let in
    /// on a plan of their home site valid now, within this site's hours for that plan — never
    /// on a revoked or stale record, and never after hours (a PIN is local to its site).
    static func decideVisitor(_ badge: BadgePresented, in state: State, now: Instant) -> AccessDecision {
        guard let token = badge.network, let network = state.network, let id = network.tokens[token],
            let visitor = network.visitors[id], let layout = state.layout
        else { return .denied(.unknownCard, nil) }
        guard !visitor.record.revoked else { return .denied(.revoked, id) }
        guard now < network.honouredUntil(visitor) else { return .denied(.staleVisitor, id) }
        let calendar = SiteCalendar.cached(layout.timeZone)
        let rules = layout.access
        let current = visitor.record.plans.filter { $0.covers(now) }
        guard !current.isEmpty else {
            if visitor.record.plans.contains(where: { $0.validFrom > now }) { return .denied(.notYetValid, id) }
            return .denied(visitor.record.plans.isEmpty ? .noPlan : .expired, id)
        }
        guard let plan = current.first(where: { calendar.isOpen(rules.planHours[$0.kind] ?? .always, at: now) })
        else { return .denied(.outsideHours, id) }
        if rules.pinAfterHours && !calendar.isOpen(rules.publicHours, at: now) { return .denied(.noPIN, id) }
        return .granted(id, .visitor, plan.kind)
    }
}
