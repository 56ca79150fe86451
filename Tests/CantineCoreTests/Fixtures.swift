// Shared fixtures: a small site, a member with a plan and a badge, at a fixed instant.

import CantineCore

enum Fixture {
    /// Saturday 2026-11-21 10:00 Paris (09:00 UTC).
    static let t0 = Instant(seconds: 1_795_251_600)
    static let token = CredentialToken("tok-ada")

    static let layout = SiteLayout(
        site: "paris", name: "La Cantine", capacity: 3,
        zones: [Zone(id: "fenetre", name: "Fenêtre")],
        doors: [
            Door(id: "entree", name: "Entrée", direction: .entry, pulse: .seconds(5)),
            Door(id: "sortie", name: "Sortie", direction: .exit, pulse: .seconds(3)),
        ],
        desks: [Desk(id: "f01", name: "F01", zone: "fenetre"), Desk(id: "f02", name: "F02", zone: "fenetre")],
        rooms: [Room(id: "salle-1", name: "Salle", capacity: 8)])

    /// A site with Ada (resident, valid around t0) holding an active badge.
    static func state() -> State {
        var s = State()
        for e: Event in [
            .layoutApplied(layout),
            .memberRegistered(MemberRef(member: "ada")),
            .planGranted(
                PlanGranted(
                    member: "ada",
                    plan: Plan(
                        id: "p1", kind: .residentMonthly, validFrom: t0 - .seconds(86_400),
                        validUntil: t0 + .seconds(86_400)))),
            .credentialEnrolled(Credential(id: "b1", member: "ada", format: .h10301, token: token)),
        ] {
            _ = Reducer.apply(&s, e, now: t0)
        }
        return s
    }

    static func badge(_ door: DoorID = "entree", _ token: CredentialToken? = Fixture.token) -> Event {
        .badgePresented(BadgePresented(door: door, token: token, format: token == nil ? nil : .h10301))
    }
}

/// A journal sink that remembers what it was given.
final class RecordingJournal: JournalSink, @unchecked Sendable {
    private(set) var batches: [[JournalEntry]] = []
    func enqueue(_ entries: [JournalEntry], attachment: (any JournalAttachment)?) { batches.append(entries) }
    var entries: [JournalEntry] { batches.flatMap { $0 } }
}
