// The utilisation fold over a played journal: occupied desk time where the floor showed it
// (by desk and by zone and quarter-hour), booked time, the day's counts matching the findings
// the reducer raised, days closed at local midnight, a fold from a snapshot marked partial.

import CantineCore
import Foundation
import Testing

@Suite struct UsageTests {
    let t0 = Fixture.t0  // Saturday 2026-11-21 10:00 Paris
    let paris = SiteCalendar(timeZone: "Europe/Paris")!

    func fold(_ site: Site, from state: State? = nil, seq: Int64 = 0, after: Int64 = 0, through: Int64 = .max) -> (
        UsageFold, [DayUsage]
    ) {
        var fold = UsageFold(state: state ?? site.initial, seq: seq, calendar: paris)
        var closed: [DayUsage] = []
        for e in site.journal.entries where e.seq > after && e.seq <= through {
            closed += fold.apply(e.event, seq: e.seq, at: e.wall)
        }
        return (fold, closed)
    }

    /// Plays: f01 occupied for two hours from 10:02 as its sensor says, f02 booked 12:00–15:00
    /// and never used; returns when the floor said f01 was occupied and when vacant.
    func playTwoHours(_ site: Site) throws -> (on: Instant, off: Instant) {
        try site.book("bk-f02", "bob", desk: "f02", from: t0 + .minutes(120), to: t0 + .minutes(300))
        site.desk("f01", occupied: false)
        site.desk("f02", occupied: false)
        site.advance(.minutes(1))
        site.desk("f02", occupied: false)
        site.advance(.minutes(1))
        site.desk("f01", occupied: true)
        site.advance(.seconds(10))
        let on = try #require(site.state.desks["f01"]?.since)
        #expect(site.state.desks["f01"]?.occupancy == .occupied)
        for _ in 0..<120 {
            site.advance(.minutes(1))
            site.desk("f01", occupied: true)
            site.desk("f02", occupied: false)
        }
        site.desk("f01", occupied: false)
        for _ in 0..<5 {
            site.advance(.minutes(1))
            site.desk("f01", occupied: false)
            site.desk("f02", occupied: false)
        }
        #expect(site.state.desks["f01"]?.occupancy == .vacant)
        let off = try #require(site.state.desks["f01"]?.since)
        return (on, off)
    }

    @Test func occupiedTimeIsWhereTheFloorShowedItByDeskZoneAndQuarter() throws {
        let site = Site()
        let (on, off) = try playTwoHours(site)
        let (fold, closed) = fold(site)
        #expect(closed.isEmpty)
        let day = try #require(fold.running(at: site.time.now()))
        let seconds = Int64((off - on).seconds)
        #expect(seconds > 7_000 && seconds < 7_400)
        #expect(day.day == "2026-11-21" && day.weekday == 6 && !day.complete)
        #expect(day.desks == ["f01": seconds])
        #expect(day.occupiedSeconds == seconds)
        // The zone's quarters hold the same time, from the quarter it began to the one it ended.
        let curve = try #require(day.zones["fenetre"])
        #expect(curve.count == DayUsage.quarters && curve.reduce(0, +) == seconds)
        let first = paris.clock(on).minute / 15
        let last = paris.clock(off).minute / 15
        #expect(curve.indices.filter { curve[$0] > 0 } == Array(first...last))
        #expect(curve[first + 1] == 900)  // a whole quarter is one desk for 900 s
        // Booked: f02's three hours, used or not.
        #expect(day.bookedSeconds == 3 * 3600)
    }

    @Test func theDaysCountsAreTheFindingsAndCheckInsTheReducerMade() throws {
        let site = Site()
        try site.book("bk-ada", "ada", desk: "f01", from: t0, to: t0 + .minutes(240))
        try site.book("bk-cy", "cy", desk: "f02", from: t0, to: t0 + .minutes(240))  // never comes
        site.desk("f01", occupied: false)
        site.desk("f02", occupied: false)
        site.advance(.minutes(5))
        site.badge("ada")
        site.badge("bob")
        site.advance(.minutes(1))
        site.badge("dan")
        site.keep("f02", occupied: false, minutes: 60)
        let findings = site.state.findings.values
        let (fold, _) = fold(site)
        let day = try #require(fold.running(at: site.time.now()))
        #expect(day.checkIns == site.journal.entries.filter { $0.event.kind == "booking.checked-in" }.count)
        #expect(day.checkIns == 1)
        #expect(day.noShows == findings.filter { $0.kind == .noShow }.count && day.noShows == 1)
        #expect(day.walkIns == findings.filter { $0.kind == .walkIn }.count)
        #expect(day.peakPeople == 3)
    }

    @Test func aDayClosesAtLocalMidnightWholeAndTheNextCarriesAnOccupiedDesk() throws {
        let site = Site()
        site.desk("f01", occupied: false)
        site.advance(.minutes(1))
        // Occupied from 23:00 to 01:00 Paris, reported every minute.
        site.advance(.minutes(12 * 60 + 59))
        site.desk("f01", occupied: true)
        site.advance(.seconds(10))
        let on = try #require(site.state.desks["f01"]?.since)
        site.keep("f01", occupied: true, minutes: 120)
        site.keep("f01", occupied: false, minutes: 5)
        let (fold, closed) = fold(site)
        let saturday = try #require(closed.first)
        #expect(closed.count == 1 && saturday.day == "2026-11-21" && saturday.complete)
        let sunday = try #require(fold.running(at: site.time.now()))
        #expect(sunday.day == "2026-11-22" && sunday.weekday == 7)
        let midnight = paris.instant(LocalDate("2026-11-22")!, hour: 0)
        #expect(saturday.desks["f01"] == Int64((midnight - on).seconds))
        #expect(saturday.zones["fenetre"]?.suffix(4) == [900, 900, 900, 900])
        #expect(sunday.zones["fenetre"]?[0] == 900 && sunday.occupiedSeconds > 3_500)
    }

    @Test func aFoldFromASnapshotTakenDuringTheDayMarksItPartialAndKeepsOccupiedDesks() throws {
        let site = Site()
        let (on, off) = try playTwoHours(site)
        // The snapshot: the state one hour into f01's two hours.
        // (Cut after f01's report: the next entries are f02's, so f01 must come from the state.)
        let cut = try #require(
            site.journal.entries.last {
                $0.wall <= on + .minutes(60) && $0.event == .deskReported(DeskReport(desk: "f01", occupied: true))
            })
        var state = site.initial
        for e in site.journal.entries where e.seq <= cut.seq { _ = Reducer.apply(&state, e.event, now: e.wall) }
        site.advance(.minutes(15 * 60))  // past midnight
        site.desk("f01", occupied: false)
        let (_, closed) = fold(site, from: state, seq: cut.seq, after: cut.seq)
        let day = try #require(closed.first)
        #expect(!day.complete)
        // f01 counts from the first entry after the snapshot (what the fold saw), not from 0.
        let resumed = try #require(site.journal.entries.first { $0.seq > cut.seq }?.wall)
        #expect(day.desks["f01"] == Int64((off - resumed).seconds))
        #expect(day.zones["fenetre"]?.reduce(0, +) == Int64((off - resumed).seconds))
    }

    /// A fold stopped anywhere (its progress saved as JSON, its state rebuilt by replay through
    /// the same entry) goes on to the same days as one that never stopped: a restart resumes
    /// the utilisation history instead of refolding the journal.
    @Test func aFoldResumedFromItsSavedProgressEndsWhereAnUnbrokenOneDoes() throws {
        let site = Site()
        try site.book("bk-f02", "bob", desk: "f02", from: t0 + .minutes(60), to: t0 + .minutes(900))
        site.desk("f01", occupied: false)
        site.advance(.minutes(12 * 60 + 50))  // 22:50: f01 occupied across midnight
        site.desk("f01", occupied: true)
        site.badge("ada")
        site.keep("f01", occupied: true, minutes: 90)
        site.keep("f01", occupied: false, minutes: 5)
        let (whole, wholeClosed) = fold(site)
        let now = site.time.now()
        let entries = site.journal.entries
        #expect(wholeClosed.count == 1 && entries.count > 100)
        for cut in stride(from: 1, to: entries.count, by: 7).map({ entries[$0].seq }) {
            let (first, closedBefore) = fold(site, after: 0, through: cut)
            let saved = try JSONDecoder().decode(
                UsageFold.Progress.self, from: JSONEncoder().encode(first.progress))
            #expect(saved.seq == cut)
            var state = site.initial
            for e in entries where e.seq <= cut { _ = Reducer.apply(&state, e.event, now: e.wall) }
            var resumed = UsageFold(state: state, progress: saved, calendar: paris)
            var closed = closedBefore
            for e in entries where e.seq > cut { closed += resumed.apply(e.event, seq: e.seq, at: e.wall) }
            #expect(closed == wholeClosed, "cut at \(cut)")
            #expect(resumed.running(at: now) == whole.running(at: now), "cut at \(cut)")
        }
    }
}
