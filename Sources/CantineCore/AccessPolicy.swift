// The access policy: who may open which door, decided from the in-memory state alone.
// credential → member → status → entitlement now (plan within its hours, else a booking
// within its margin) → PIN after hours; a badge no local member holds may be a visitor's
// (Roaming.swift). Every outcome names its reason code.

/// The outcome of a badge read.
public enum AccessDecision: Equatable, Sendable {
    case granted(MemberID, AccessReason, PlanKind?)
    /// Entitled, but after hours: the PIN must follow on the keypad.
    case needsPIN(MemberID, AccessReason, PlanKind?)
    case denied(AccessReason, MemberID?)
}

public enum AccessPolicy {
    /// Decides a badge read at `now`. Pure: no I/O, no clock.
    public static func decide(_ badge: BadgePresented, in state: State, now: Instant) -> AccessDecision {
        guard let layout = state.layout, layout.door(badge.door) != nil else { return .denied(.unknownDoor, nil) }
        guard let token = badge.token else {
            return .denied(badge.fault == .unknownLength ? .unknownFormat : .parity, nil)
        }
        guard let credential = state.credentials[token] else { return decideVisitor(badge, in: state, now: now) }
        guard !credential.revoked else { return .denied(.revoked, credential.member) }
        guard let member = state.members[credential.member] else { return .denied(.unknownCard, nil) }
        guard member.status == .active else { return .denied(.disabled, member.id) }

        let calendar = SiteCalendar.cached(layout.timeZone)
        let rules = layout.access
        let (reason, plan) = entitlement(member, in: state, rules: rules, calendar: calendar, now: now)
        guard reason.granted else { return .denied(reason, member.id) }
        if rules.pinAfterHours && !calendar.isOpen(rules.publicHours, at: now) {
            guard credential.pin != nil else { return .denied(.noPIN, member.id) }
            return .needsPIN(member.id, reason, plan)
        }
        return .granted(member.id, reason, plan)
    }

    /// What entitles `member` to come in at `now`, or the most telling reason it does not.
    static func entitlement(
        _ member: Member, in state: State, rules: AccessRules, calendar: SiteCalendar, now: Instant
    ) -> (AccessReason, PlanKind?) {
        let current = member.plans.filter { $0.covers(now) }.sorted {
            ($0.kind == .staff ? 0 : 1) < ($1.kind == .staff ? 0 : 1)
        }
        for plan in current where calendar.isOpen(rules.planHours[plan.kind] ?? .always, at: now) {
            return (plan.kind == .staff ? .staff : .plan, plan.kind)
        }
        let margin = rules.bookingMargin
        let bookings = state.bookings.values.filter { $0.member == member.id && $0.status != .cancelled }
        if bookings.contains(where: { $0.start - margin <= now && now < $0.end + margin }) {
            return (.booking, nil)
        }
        if !current.isEmpty { return (.outsideHours, nil) }
        // A plan or a booking earlier or later today: the member is expected, just not now.
        let today = calendar.date(of: now)
        let dayStart = calendar.instant(today, hour: 0)
        let dayEnd = calendar.instant(calendar.adding(days: 1, to: today), hour: 0)
        let plannedToday = member.plans.contains {
            $0.endedAt == nil && $0.validFrom < dayEnd && ($0.validUntil ?? dayEnd) > dayStart
        }
        let bookedToday = bookings.contains { $0.start < dayEnd && $0.end > dayStart }
        if plannedToday || bookedToday { return (.outsideHours, nil) }
        if member.plans.isEmpty { return (.noPlan, nil) }
        if member.plans.contains(where: { $0.validFrom > now }) { return (.notYetValid, nil) }
        return (.expired, nil)
    }
}
