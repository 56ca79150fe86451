// The access policy: who may open which door, decided from the in-memory state alone.

/// The outcome of a badge read.
public enum AccessDecision: Equatable, Sendable {
    case granted(MemberID, PlanKind)
    case denied(DenyReason, MemberID?)
}

public enum AccessPolicy {
    /// Decides a badge read at `now`. Pure: no I/O, no clock.
    public static func decide(_ badge: BadgePresented, in state: State, now: Instant) -> AccessDecision {
        guard state.layout?.door(badge.door) != nil else { return .denied(.unknownDoor, nil) }
        guard let token = badge.token else { return .denied(.unreadable, nil) }
        guard let credential = state.credentials[token] else { return .denied(.unknownCredential, nil) }
        guard !credential.revoked else { return .denied(.credentialRevoked, credential.member) }
        guard let member = state.members[credential.member] else { return .denied(.unknownCredential, nil) }
        guard member.status == .active else { return .denied(.memberDisabled, member.id) }
        guard let plan = member.plan(at: now) else { return .denied(.noValidPlan, member.id) }
        return .granted(member.id, plan.kind)
    }
}
