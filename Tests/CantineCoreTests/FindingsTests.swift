// The findings' index against its definition: after any mix of raised, ended, resolved and
// forgotten findings, the ongoing ones by desk and room are exactly those a scan finds, pruning
// forgets exactly those `kept(at:)` lets go, and the encoding is the dictionary's.

import CantineCore
import Foundation
import Testing

@Suite struct FindingsTests {
    @Test func theIndexAgreesWithAScanOverThousandsOfRandomSteps() throws {
        var rng = SystemRandomNumberGenerator()
        let desks: [DeskID] = ["d1", "d2", "d3"]
        let rooms: [RoomID] = ["r1", "r2"]
        var s = State()
        var now = Instant(seconds: 1_700_000_000)
        for step in 0..<5_000 {
            now = now + .seconds(Int64.random(in: 0...86_400, using: &rng))
            let known = Array(s.findings.keys)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                let kind = FindingKind.allCases.randomElement(using: &rng)!
                let f = Finding(
                    id: FindingID("f\(step)"), kind: kind, desk: Bool.random(using: &rng) ? desks.randomElement() : nil,
                    room: Bool.random(using: &rng) ? rooms.randomElement() : nil, detail: "test", raisedAt: now)
                _ = Reducer.apply(&s, .findingRaised(f), now: now)
            case 1:
                if let id = known.randomElement(using: &rng) {
                    _ = Reducer.apply(&s, .findingEnded(FindingRef(finding: id)), now: now)
                }
            case 2:
                if let id = known.randomElement(using: &rng) {
                    let action: FindingAction = Bool.random(using: &rng) ? .dismiss : .confirm
                    _ = Reducer.apply(
                        &s, .findingResolved(FindingResolution(finding: id, action: action, by: "t")), now: now)
                }
            default:
                // A long quiet spell: the next raise forgets what is due.
                now = now + .seconds(Int64.random(in: 0...(40 * 86_400), using: &rng))
            }
            let all = Array(s.findings.values)
            for desk in desks {
                #expect(
                    Set(s.findings.ongoing(desk: desk).map(\.id))
                        == Set(all.filter { $0.endedAt == nil && $0.desk == desk }.map(\.id)))
            }
            for room in rooms {
                #expect(
                    Set(s.findings.ongoing(room: room).map(\.id))
                        == Set(all.filter { $0.endedAt == nil && $0.room == room }.map(\.id)))
            }
            #expect(s.findings.ongoing == Set(all.filter { $0.endedAt == nil }.map(\.id)))
        }
    }

    @Test func aRaiseForgetsExactlyWhatIsNoLongerKept() {
        let t0 = Instant(seconds: 1_700_000_000)
        var s = State()
        let ended = Finding(id: "walk-in", kind: .walkIn, desk: "d1", detail: "no booking", raisedAt: t0)
        _ = Reducer.apply(&s, .findingRaised(ended), now: t0)
        _ = Reducer.apply(&s, .findingEnded(FindingRef(finding: "walk-in")), now: t0 + .seconds(60))
        let due = t0 + .seconds(60) + Finding.keepUnresolved
        func raise(_ id: FindingID, at t: Instant) {
            _ = Reducer.apply(&s, .findingRaised(Finding(id: id, kind: .capacity, detail: "x", raisedAt: t)), now: t)
        }
        raise("a", at: due - .seconds(1))
        #expect(s.findings["walk-in"] != nil)
        raise("b", at: due)
        #expect(s.findings["walk-in"] == nil)
        #expect(Set(s.findings.keys) == ["a", "b"])
    }

    @Test func itEncodesAsTheDictionaryItHolds() throws {
        var s = State()
        let t0 = Instant(seconds: 1_700_000_000)
        for i in 0..<20 {
            let f = Finding(id: FindingID("f\(i)"), kind: .ghost, desk: DeskID("d\(i % 3)"), detail: "x", raisedAt: t0)
            _ = Reducer.apply(&s, .findingRaised(f), now: t0)
            if i % 2 == 0 { _ = Reducer.apply(&s, .findingEnded(FindingRef(finding: f.id)), now: t0) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let dictionary = Dictionary(uniqueKeysWithValues: s.findings.map { ($0.key, $0.value) })
        #expect(try encoder.encode(s.findings) == encoder.encode(dictionary))
        let decoded = try JSONDecoder().decode(Findings.self, from: encoder.encode(dictionary))
        #expect(decoded == s.findings)
        #expect(decoded.ongoing == s.findings.ongoing && decoded.ongoing.count == 10)
        #expect(Set(decoded.ongoing(desk: "d1").map(\.id)) == Set(s.findings.ongoing(desk: "d1").map(\.id)))
    }
}
