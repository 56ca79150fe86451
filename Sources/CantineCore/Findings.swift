// The state's findings by id, with the ids of those whose condition still holds kept beside
// them. A desk's report is reconciled against the few ongoing findings, not against a month of
// past ones, and forgetting old findings waits until one is due. It encodes as the dictionary
// it wraps, so snapshots are the same bytes as before.

/// Findings by id: ongoing ones, those over for 30 days, resolved ones for a week
/// (`Finding.kept(at:)`).
public struct Findings: Codable, Equatable, Sendable, Sequence {
    /// Every finding the state holds, by id.
    public private(set) var byID: [FindingID: Finding] = [:]
    /// Ids of the findings whose condition still holds (`endedAt == nil`).
    public private(set) var ongoing: Set<FindingID> = []
    /// The same, by the desk and by the room they are about.
    var ongoingByDesk: [DeskID: Set<FindingID>] = [:]
    var ongoingByRoom: [RoomID: Set<FindingID>] = [:]
    /// No finding may be forgotten before this (a lower bound: a finding ended or resolved
    /// again keeps its first, earlier bound until the next `prune` looks).
    var firstExpiry: Instant?

    public init() {}

    public subscript(id: FindingID) -> Finding? {
        get { byID[id] }
        set {
            if let old = byID[id], old.endedAt == nil { index(old, as: id, ongoing: false) }
            byID[id] = newValue
            if let newValue, newValue.endedAt == nil { index(newValue, as: id, ongoing: true) }
            if let expiry = newValue?.expiry, firstExpiry.map({ expiry < $0 }) ?? true { firstExpiry = expiry }
        }
    }

    public var keys: Dictionary<FindingID, Finding>.Keys { byID.keys }
    public var values: Dictionary<FindingID, Finding>.Values { byID.values }
    public var count: Int { byID.count }
    public var isEmpty: Bool { byID.isEmpty }
    public func makeIterator() -> Dictionary<FindingID, Finding>.Iterator { byID.makeIterator() }

    /// The ongoing findings (in no particular order).
    public var ongoingFindings: [Finding] { ongoing.compactMap { byID[$0] } }
    /// The ongoing findings about `desk`.
    public func ongoing(desk: DeskID) -> [Finding] { ongoingByDesk[desk]?.compactMap { byID[$0] } ?? [] }
    /// The ongoing findings about `room`.
    public func ongoing(room: RoomID) -> [Finding] { ongoingByRoom[room]?.compactMap { byID[$0] } ?? [] }

    /// Files `f` (held under `id`, its key in `byID`) as ongoing, or takes it out.
    private mutating func index(_ f: Finding, as id: FindingID, ongoing holds: Bool) {
        if holds { ongoing.insert(id) } else { ongoing.remove(id) }
        if let desk = f.desk { Self.file(id, under: desk, in: &ongoingByDesk, holds) }
        if let room = f.room { Self.file(id, under: room, in: &ongoingByRoom, holds) }
    }

    private static func file<Key>(_ id: FindingID, under key: Key, in index: inout [Key: Set<FindingID>], _ holds: Bool)
    {
        if holds {
            index[key, default: []].insert(id)
        } else if index[key]?.remove(id) != nil, index[key]?.isEmpty == true {
            index[key] = nil
        }
    }

    /// Forgets the findings not kept at `now`; does nothing until one may be due.
    mutating func prune(at now: Instant) {
        guard let firstExpiry, firstExpiry <= now else { return }
        self = Findings(byID.filter { $0.value.kept(at: now) })
    }

    init(_ byID: [FindingID: Finding]) {
        self.byID = byID
        for (id, f) in byID where f.endedAt == nil { index(f, as: id, ongoing: true) }
        firstExpiry = byID.values.lazy.compactMap(\.expiry).min()
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([FindingID: Finding].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(byID)
    }

    /// Equal when they hold the same findings (the bound on when to prune is bookkeeping).
    public static func == (a: Findings, b: Findings) -> Bool { a.byID == b.byID }
}

extension Finding {
    /// From when the state may forget it (`kept(at:)` is false from then on); nil while its
    /// condition holds.
    var expiry: Instant? {
        let over: Instant?
        let keep: Span
        if let resolution {
            (over, keep) = (resolution.at, Self.keepResolved)
        } else {
            (over, keep) = (endedAt ?? (kind == .noShow ? raisedAt : nil), Self.keepUnresolved)
        }
        guard let over else { return nil }
        let (at, overflow) = over.micros.addingReportingOverflow(keep.micros)
        return Instant(micros: overflow ? .max : at)
    }
}
