// The access policy and the door part of the reducer: decisions, relay pulses, timers, alarms.

import CantineCore
import Testing

@Suite struct AccessPolicyTests {
    @Test func grantsAnActiveMemberWithAValidPlan() {
        let s = Fixture.state()
        #expect(
            AccessPolicy.decide(
                BadgePresented(door: "entree", token: Fixture.token, format: .h10301), in: s, now: Fixture.t0)
                == .granted("ada", .residentMonthly))
    }

    @Test func deniesForEachReasonItCanName() {
        var s = Fixture.state()
        func decide(_ token: CredentialToken?, door: DoorID = "entree", at t: Instant = Fixture.t0) -> AccessDecision {
            AccessPolicy.decide(BadgePresented(door: door, token: token, format: .h10301), in: s, now: t)
        }
        #expect(decide(nil) == .denied(.unreadable, nil))
        #expect(decide("stranger") == .denied(.unknownCredential, nil))
        #expect(decide(Fixture.token, door: "garage") == .denied(.unknownDoor, nil))
        #expect(decide(Fixture.token, at: Fixture.t0 + .seconds(2 * 86_400)) == .denied(.noValidPlan, "ada"))
        _ = Reducer.apply(&s, .memberDisabled(MemberRef(member: "ada")), now: Fixture.t0)
        #expect(decide(Fixture.token) == .denied(.memberDisabled, "ada"))
        _ = Reducer.apply(&s, .memberEnabled(MemberRef(member: "ada")), now: Fixture.t0)
        _ = Reducer.apply(&s, .credentialRevoked(CredentialRef(credential: "b1")), now: Fixture.t0)
        #expect(decide(Fixture.token) == .denied(.credentialRevoked, "ada"))
    }

    @Test func aPlanWindowIsHalfOpen() {
        let plan = Plan(id: "p", kind: .dayPass, validFrom: Fixture.t0, validUntil: Fixture.t0 + .seconds(60))
        #expect(plan.covers(Fixture.t0))
        #expect(plan.covers(Fixture.t0 + .seconds(59)))
        #expect(!plan.covers(Fixture.t0 + .seconds(60)))
        #expect(!plan.covers(Fixture.t0 - .seconds(1)))
    }
}

@Suite struct DoorReducerTests {
    @Test func aGrantedBadgeUnlocksForThePulseSchedulesTheRelockAndCountsThePerson() {
        var s = Fixture.state()
        let effects = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        #expect(effects.contains(.relay("entree", .unlock(.seconds(5)))))
        #expect(effects.contains(.schedule(.relock("entree"), at: Fixture.t0 + .seconds(5))))
        #expect(s.doors["entree"]?.lock == .unlocked)
        #expect(s.present["ada"] == Fixture.t0)
        #expect(s.counters.granted == 1)
    }

    @Test func aDeniedBadgeDrivesNoRelay() {
        var s = Fixture.state()
        let effects = Reducer.apply(&s, Fixture.badge("entree", "stranger"), now: Fixture.t0)
        #expect(!effects.contains { if case .relay = $0 { true } else { false } })
        #expect(s.doors["entree"]?.lock == .locked)
        #expect(s.counters.denied == 1)
        #expect(s.present.isEmpty)
    }

    @Test func badgingAtTheExitReaderEndsPresence() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, Fixture.badge("entree"), now: Fixture.t0)
        _ = Reducer.apply(&s, Fixture.badge("sortie"), now: Fixture.t0 + .seconds(3600))
        #expect(s.present.isEmpty)
        #expect(s.occupancy(at: Fixture.t0).peoplePresent == 0)
    }

    @Test func theRelockTimerLocksOnlyWhenThePulseHasEnded() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        // A second badge 3 s later extends the pulse: the first timer must not cut it short.
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0 + .seconds(3))
        #expect(Reducer.apply(&s, .timerFired(.relock("entree")), now: Fixture.t0 + .seconds(5)).isEmpty)
        #expect(s.doors["entree"]?.lock == .unlocked)
        let effects = Reducer.apply(&s, .timerFired(.relock("entree")), now: Fixture.t0 + .seconds(8))
        #expect(effects.contains(.relay("entree", .lock)))
        #expect(s.doors["entree"]?.lock == .locked)
    }

    @Test func anUnlockIsCappedAtTenSecondsWhateverTheLayoutSays() {
        var layout = Fixture.layout
        layout.doors[0].pulse = .seconds(600)  // bypassing Door.init's own cap
        var s = Fixture.state()
        _ = Reducer.apply(&s, .layoutApplied(layout), now: Fixture.t0)
        let effects = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        #expect(effects.contains(.relay("entree", .unlock(Door.maxPulse))))
        #expect(Door(id: "x", name: "x", pulse: .seconds(30)).pulse == Door.maxPulse)
    }

    @Test func openingALockedDoorRaisesForcedUntilItCloses() {
        var s = Fixture.state()
        let effects = Reducer.apply(&s, .doorContact(DoorContact(door: "entree", open: true)), now: Fixture.t0)
        #expect(effects.contains(.notify(.alarm("entree", .forced))))
        #expect(s.doors["entree"]?.label == "forced")
        _ = Reducer.apply(&s, .doorContact(DoorContact(door: "entree", open: false)), now: Fixture.t0 + .seconds(5))
        #expect(s.doors["entree"]?.alarm == nil)
        #expect(s.doors["entree"]?.label == "locked")
    }

    @Test func openingDuringAGrantedPulseIsNoAlarm() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        let effects = Reducer.apply(
            &s, .doorContact(DoorContact(door: "entree", open: true)), now: Fixture.t0 + .seconds(2))
        #expect(!effects.contains(.notify(.alarm("entree", .forced))))
        #expect(s.doors["entree"]?.label == "open")
    }

    @Test func aRestartRelocksEveryDoorAndForgetsSensorStates() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        _ = Reducer.apply(&s, .deskReported(DeskReport(desk: "f01", occupied: true)), now: Fixture.t0)
        let effects = Reducer.apply(&s, .daemonStarted(DaemonStarted(version: "test")), now: Fixture.t0 + .seconds(1))
        #expect(effects.contains(.relay("entree", .lock)) && effects.contains(.relay("sortie", .lock)))
        #expect(s.doors.values.allSatisfy { $0.lock == .locked && $0.unlockedUntil == nil })
        #expect(s.desks["f01"]?.occupancy == .unknown)
    }
}
