// Members as the core knows them: an opaque id, a status, plans and credentials.
// Names, emails and badge numbers are personal data and live in the store's member records.

import CantineProtocol

extension WiegandFormat: Codable {}

/// The kinds of plan a member can hold.
public enum PlanKind: String, Codable, Sendable, CaseIterable {
    /// Morning half-day (08:00–13:00 local).
    case halfDayAM = "half-day-am"
    /// Afternoon half-day (13:00–20:00 local).
    case halfDayPM = "half-day-pm"
    /// One day (08:00–20:00 local).
    case dayPass = "day"
    /// Consecutive days, at most three weeks.
    case multiDay = "multi-day"
    /// Resident: a calendar month, any hour.
    case residentMonthly = "resident"
    /// Staff: no end date, any hour.
    case staff
}

/// A plan granted to a member: its kind and the window in which it gives access.
public struct Plan: Codable, Equatable, Sendable {
    public var id: PlanID
    public var kind: PlanKind
    public var validFrom: Instant
    /// nil for open-ended plans (staff).
    public var validUntil: Instant?
    /// When staff cut it short (`plan.ended`): the member is no longer expected, the door
    /// says their plan has expired rather than "outside hours".
    public var endedAt: Instant?

    public init(id: PlanID, kind: PlanKind, validFrom: Instant, validUntil: Instant?) {
        self.id = id
        self.kind = kind
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    public func covers(_ t: Instant) -> Bool {
        t >= validFrom && (validUntil.map { t < $0 } ?? true)
    }
}

public enum MemberStatus: String, Codable, Sendable {
    case active, disabled
}

/// A member in the core's state: no personal data.
public struct Member: Codable, Equatable, Sendable {
    public var id: MemberID
    public var status: MemberStatus
    public var plans: [Plan]

    public init(id: MemberID, status: MemberStatus = .active, plans: [Plan] = []) {
        self.id = id
        self.status = status
        self.plans = plans
    }

    /// The plan that gives access at `t`, staff plans first.
    public func plan(at t: Instant) -> Plan? {
        plans.filter { $0.covers(t) }.min { a, b in (a.kind == .staff ? 0 : 1) < (b.kind == .staff ? 0 : 1) }
    }
}

/// A badge enrolled to a member, known to the core by its token only.
public struct Credential: Codable, Equatable, Sendable {
    public var id: CredentialID
    public var member: MemberID
    public var format: WiegandFormat
    public var token: CredentialToken
    public var revoked: Bool
    /// Keyed digest of the badge's PIN, for after-hours entry (nil: no PIN set).
    public var pin: String?

    public init(
        id: CredentialID, member: MemberID, format: WiegandFormat, token: CredentialToken, revoked: Bool = false,
        pin: String? = nil
    ) {
        self.id = id
        self.member = member
        self.format = format
        self.token = token
        self.revoked = revoked
        self.pin = pin
    }
}

/// Staff roles for the dashboard and the API.
public enum StaffRole: String, Codable, Sendable, CaseIterable {
    /// Sees occupancy and access logs, resolves findings, edits the program and bookings.
    case staff
    /// Also manages members, badges, staff accounts and personal-data requests.
    case admin
}

/// A staff account of the dashboard (its password hash lives in the store only).
public struct StaffUser: Codable, Equatable, Sendable {
    public var id: StaffID
    public var name: String
    public var role: StaffRole
    public init(id: StaffID, name: String, role: StaffRole) {
        self.id = id
        self.name = name
        self.role = role
    }
}
