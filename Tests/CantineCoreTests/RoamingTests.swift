// Visitors from other sites of the network: decided from their home site's record alone,
// newer versions win whatever the clocks say, revoked and stale records never open a door.

import CantineCore
import Foundation
import Testing

@Suite struct RoamingTests {
    static let t0 = Fixture.t0
    static let visitorToken = CredentialToken("net-ada")

    static func record(
        version: Int64, revoked: Bool = false, plans: [Plan]? = nil, ttl: Int64 = 86_400,
        credentials: [CredentialToken] = [visitorToken]
    ) -> RoamingRecord {
        RoamingRecord(
            member: "m-ada", home: "nantes", version: version, credentials: credentials,
            plans: plans ?? [
                Plan(
                    id: "p1", kind: .residentMonthly, validFrom: t0 - .seconds(86_400),
                    validUntil: t0 + .seconds(30 * 86_400))
            ], revoked: revoked, ttlSeconds: ttl)
    }

    /// Paris (the fixture site) after `events`, all at t0 unless timed.
    static func paris(_ events: [(Event, Instant)]) -> State {
        var s = Fixture.state()
        for (event, at) in events { _ = Reducer.apply(&s, event, now: at) }
        return s
    }

    static func decide(_ s: State, at t: Instant, token: CredentialToken = visitorToken) -> AccessDecision {
        AccessPolicy.decide(
            BadgePresented(door: "entree", token: "local-unknown", format: .h10301, network: token), in: s, now: t)
    }

    @Test func aVisitorIsLetInOnTheirHomeSitesRecordAndCountedPresent() {
        var s = Self.paris([(.roamingRecord(Self.record(version: 5)), Self.t0)])
        #expect(Self.decide(s, at: Self.t0) == .granted("m-ada@nantes", .visitor, .residentMonthly))
        let effects = Reducer.apply(
            &s,
            .badgePresented(BadgePresented(door: "entree", token: "x", format: .h10301, network: Self.visitorToken)),
            now: Self.t0)
        #expect(effects.contains(.relay("entree", .unlock(.seconds(5)))))
        #expect(s.present["m-ada@nantes"] == Self.t0)
        // Another card, or a badge read with no network token, is nobody here.
        #expect(Self.decide(s, at: Self.t0, token: "net-other") == .denied(.unknownCard, nil))
        #expect(
            AccessPolicy.decide(BadgePresented(door: "entree", token: "x", format: .h10301), in: s, now: Self.t0)
                == .denied(.unknownCard, nil))
    }

    @Test func versionsNotClocksOrderRecords() {
        // Version 9 (revoked) arrives first; version 5 (active), delivered late, changes nothing.
        let s = Self.paris([
            (.roamingRecord(Self.record(version: 9, revoked: true)), Self.t0),
            (.roamingRecord(Self.record(version: 5)), Self.t0 + .seconds(60)),
        ])
        #expect(s.network?.visitors["m-ada@nantes"]?.record.version == 9)
        #expect(Self.decide(s, at: Self.t0 + .seconds(120)) == .denied(.revoked, "m-ada@nantes"))
        // The same version again (a retained message after a reconnect) is no news either.
        var again = s
        #expect(Reducer.apply(&again, .roamingRecord(Self.record(version: 9, revoked: true)), now: Self.t0).isEmpty)
        #expect(again.network == s.network)
    }

    @Test func aBadgeDroppedFromTheRecordNoLongerMatches() {
        let s = Self.paris([
            (.roamingRecord(Self.record(version: 1)), Self.t0),
            (.roamingRecord(Self.record(version: 2, credentials: ["net-new"])), Self.t0),
        ])
        #expect(Self.decide(s, at: Self.t0) == .denied(.unknownCard, nil))
        #expect(Self.decide(s, at: Self.t0, token: "net-new") == .granted("m-ada@nantes", .visitor, .residentMonthly))
    }

    @Test func aSiteCutOffForLongerThanTheTtlStopsHonouringVisitors() {
        let day: Int64 = 86_400
        let s = Self.paris([(.roamingRecord(Self.record(version: 1, ttl: day)), Self.t0)])
        #expect(Self.decide(s, at: Self.t0 + .seconds(day - 1)).isGranted)
        #expect(Self.decide(s, at: Self.t0 + .seconds(day)) == .denied(.staleVisitor, "m-ada@nantes"))
        // Hearing the home site live keeps its records honoured a ttl longer.
        let heard = Self.paris([
            (.roamingRecord(Self.record(version: 1, ttl: day)), Self.t0),
            (.siteHeard(SiteHeard(site: "nantes")), Self.t0 + .seconds(20 * 3600)),
        ])
        #expect(Self.decide(heard, at: Self.t0 + .seconds(day + 3600)).isGranted)
        #expect(Self.decide(heard, at: Self.t0 + .seconds(day + 20 * 3600)) == .denied(.staleVisitor, "m-ada@nantes"))
        // Hearing another site does not.
        let other = Self.paris([
            (.roamingRecord(Self.record(version: 1, ttl: day)), Self.t0),
            (.siteHeard(SiteHeard(site: "rennes")), Self.t0 + .seconds(20 * 3600)),
        ])
        #expect(Self.decide(other, at: Self.t0 + .seconds(day + 3600)) == .denied(.staleVisitor, "m-ada@nantes"))
    }

    @Test func expiredFutureOrAfterHoursPlansAndPINHoursDenyAVisitor() {
        let expired = Plan(
            id: "p", kind: .dayPass, validFrom: Self.t0 - .seconds(3 * 86_400), validUntil: Self.t0 - .seconds(86_400))
        let later = Plan(
            id: "p", kind: .dayPass, validFrom: Self.t0 + .seconds(86_400), validUntil: Self.t0 + .seconds(2 * 86_400))
        #expect(
            Self.decide(Self.paris([(.roamingRecord(Self.record(version: 1, plans: [expired])), Self.t0)]), at: Self.t0)
                == .denied(.expired, "m-ada@nantes"))
        #expect(
            Self.decide(Self.paris([(.roamingRecord(Self.record(version: 1, plans: [later])), Self.t0)]), at: Self.t0)
                == .denied(.notYetValid, "m-ada@nantes"))
        #expect(
            Self.decide(Self.paris([(.roamingRecord(Self.record(version: 1, plans: [])), Self.t0)]), at: Self.t0)
                == .denied(.noPlan, "m-ada@nantes"))
        // A day pass is for this site's day hours (08:00–20:00): not at 23:00.
        let day = Plan(
            id: "p", kind: .dayPass, validFrom: Self.t0 - .seconds(3600), validUntil: Self.t0 + .seconds(86_400))
        let night = Self.t0 + .seconds(13 * 3600)
        #expect(
            Self.decide(Self.paris([(.roamingRecord(Self.record(version: 1, plans: [day])), Self.t0)]), at: night)
                == .denied(.outsideHours, "m-ada@nantes"))
        // After hours where a PIN is asked, a visitor (whose PIN is their home site's) is refused.
        var s = Self.paris([(.roamingRecord(Self.record(version: 1)), Self.t0)])
        s.layout?.access.pinAfterHours = true
        #expect(Self.decide(s, at: night) == .denied(.noPIN, "m-ada@nantes"))
    }

    @Test func visitReportsAreTakenOnceInOrder() {
        let visit = VisitReport(
            site: "nantes", seq: 40, member: "ada", door: "entree", granted: true, reason: .visitor, at: Self.t0)
        var s = Fixture.state()
        #expect(Reducer.apply(&s, .visitReported(visit), now: Self.t0) == [.notify(.networkChanged)])
        var older = visit
        older.seq = 39
        #expect(Reducer.apply(&s, .visitReported(visit), now: Self.t0).isEmpty)
        #expect(Reducer.apply(&s, .visitReported(older), now: Self.t0).isEmpty)
        #expect(s.network?.visitsReported["nantes"] == 40)
    }

    @Test func aStateWithoutNetworkEncodesAsBefore() throws {
        // Snapshots of sites that never joined a network keep their digest across the upgrade.
        let json = String(decoding: Fixture.state().canonicalJSON(), as: UTF8.self)
        #expect(!json.contains("network"))
        let s = Self.paris([(.roamingRecord(Self.record(version: 1)), Self.t0)])
        #expect(try JSONDecoder().decode(State.self, from: s.canonicalJSON()) == s)
    }
}

extension AccessDecision {
    var isGranted: Bool { if case .granted = self { true } else { false } }
}
