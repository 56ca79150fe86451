// Read models: what the edges show of the state, built once here and shared by the HTTP API,
// the CLI's --json and the MQTT payloads, so a finding reads the same everywhere.

/// A reconciliation finding as staff see it.
public struct FindingView: Codable, Equatable, Sendable {
    public var id: String
    public var kind: String
    /// `raised` (its condition holds), `ended` (it stopped holding) or `resolved` (by staff).
    public var state: String
    public var desk: String?
    public var room: String?
    public var booking: String?
    public var member: String?
    /// The member's name (personal data: staff only; nil for readers and on MQTT unless they
    /// agreed to it).
    public var memberName: String?
    public var detail: String
    public var raisedAt: String
    public var endedAt: String?
    /// The action staff took (`confirm`, `release`, `attach`, `dismiss`).
    public var resolution: String?
    public var resolvedBy: String?
    /// The actions that apply while it is unresolved.
    public var actions: [String]

    enum CodingKeys: String, CodingKey {
        case id, kind, state, desk, room, booking, member, memberName = "member_name", detail
        case raisedAt = "raised_at", endedAt = "ended_at", resolution, resolvedBy = "resolved_by", actions
    }

    public init(_ f: Finding, memberName: String? = nil) {
        id = f.id.rawValue
        kind = f.kind.rawValue
        state = f.resolution != nil ? "resolved" : f.endedAt != nil ? "ended" : "raised"
        desk = f.desk?.rawValue
        room = f.room?.rawValue
        booking = f.booking?.rawValue
        member = f.member?.rawValue
        self.memberName = memberName
        detail = f.detail
        raisedAt = f.raisedAt.description
        endedAt = f.endedAt?.description
        resolution = f.resolution?.action.rawValue
        resolvedBy = f.resolution?.by
        actions = f.open ? Self.actions(f).map(\.rawValue) : []
    }

    /// What a finding offers, as the core's rules accept them.
    public static func actions(_ f: Finding) -> [FindingAction] {
        var out: [FindingAction] = [.confirm]
        if f.kind == .ghost && f.booking != nil { out.append(.release) }
        if f.kind == .walkIn && f.desk != nil { out.append(.attach) }
        out.append(.dismiss)
        return out
    }

    /// The state's findings, newest first (resolved ones only when asked).
    public static func all(_ state: State, includeResolved: Bool, names: (MemberID) -> String? = { _ in nil })
        -> [FindingView]
    {
        state.findings.values.filter { includeResolved || $0.open }
            .sorted { ($0.raisedAt, $0.id.rawValue) > ($1.raisedAt, $1.id.rawValue) }
            .map { FindingView($0, memberName: $0.member.flatMap(names)) }
    }
}

/// One check of an installation (`cantine doctor`): its name, whether it passed, and the
/// detail — for a failure, what to do.
public struct Check: Codable, Sendable, Equatable {
    public var name: String
    public var ok: Bool
    public var detail: String

    public init(name: String, ok: Bool, detail: String) {
        self.name = name
        self.ok = ok
        self.detail = detail
    }
}
