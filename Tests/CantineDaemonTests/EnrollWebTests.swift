// From a refused card to an open door through the dashboard's API on a real site: the card a
// reader refused is enrolled for a new member and leaves "last refused"; the member has no plan
// and is still refused, for that reason; a plan granted from the dashboard lets them in, and
// ended from it shuts them out again. The access log's search finds them as people type names,
// accents and case ignored.

import CantineCore
import CantineDaemon
import CantineSite
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineWeb

@Suite struct EnrollWebTests {
    @Test func aCardEnrolledFromTheDashboardOpensTheDoorOnceItsMemberHasAPlan() async throws {
        let f = try await WebFixture()
        let entree = DoorInput(door: "entree", runtime: f.runtime)
        #expect(entree.frame(card(5150))?.entry.access?.reason == .unknownCard)
        #expect(f.runtime.journal.flush())
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            var seq = 0
            try await client.execute(uri: "/api/unknown-cards", method: .get, headers: f.bearer(.staff)) { r in
                let cards = try decodeList(r)
                seq = try #require(cards.first { $0["card_number"] as? Int == 5150 }?["seq"] as? Int)
            }
            try await client.execute(
                uri: "/api/members", method: .post, headers: f.form(.admin), body: body("name=In%C3%A8s+Bonnet")
            ) { r in #expect(r.status == .ok) }
            let id = try #require(f.runtime.engine.read { $0.members.keys.first { $0 != "m-ada" } }?.rawValue)
            try await client.execute(
                uri: "/api/badges", method: .post, headers: f.form(.admin), body: body("read=\(seq)&member=\(id)")
            ) { r in #expect(r.status == .ok) }
            // Enrolled: no longer among the cards last refused.
            try await client.execute(uri: "/api/unknown-cards", method: .get, headers: f.bearer(.staff)) { r in
                let cards = try decodeList(r)
                #expect(cards.allSatisfy { $0["card_number"] as? Int != 5150 })
            }
            // No plan yet: still refused, and the log says why.
            #expect(entree.frame(card(5150))?.entry.access?.reason == .noPlan)
            // A plan from the dashboard; a wrong one is refused at its field.
            try await client.execute(
                uri: "/api/members/\(id)/plans", method: .post, headers: f.form(.staff), body: body("kind=weekly")
            ) { r in
                #expect(r.status == .unprocessableContent)
                #expect(String(buffer: r.body).contains("\"kind\""))
            }
            try await client.execute(
                uri: "/api/members/\(id)/plans", method: .post, headers: f.form(.staff), body: body("kind=day")
            ) { r in #expect(r.status == .ok) }
            #expect(entree.frame(card(5150))?.entry.access?.reason == .plan)
            #expect(f.runtime.journal.flush())
            // Found as typed: no accent, any case.
            for typed in ["ines", "INES", "bonnet", "Inès"] {
                try await client.execute(
                    uri: "/api/access-log?q="
                        + (typed.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                    method: .get, headers: f.bearer(.staff)
                ) { r in
                    let reasons = try decodeList(r).compactMap { $0["reason"] as? String }
                    #expect(reasons == ["granted.plan", "denied.no_plan"], "\(typed)")
                }
            }
            // The member leaves: staff end the plan, the door refuses them at once; ending it
            // again says so in one line.
            var plan = ""
            try await client.execute(uri: "/api/members", method: .get, headers: f.bearer(.staff)) { r in
                let member = try #require(try decodeList(r).first { $0["id"] as? String == id })
                plan = try #require(member["plan_id"] as? String)
                #expect(member["plan"] as? String == "day")
            }
            let end = "/api/members/\(id)/plans/\(plan)/end"
            try await client.execute(uri: end, method: .post, headers: f.form(.staff)) { r in #expect(r.status == .ok) }
            // Refused as a plan run out, not "outside hours" (they are no longer expected today).
            #expect(entree.frame(card(5150))?.entry.access?.reason == .expired)
            try await client.execute(uri: end, method: .post, headers: f.form(.staff)) { r in
                #expect(r.status == .conflict)
                #expect(String(buffer: r.body).contains("has already ended: nothing to do"))
            }
            try await client.execute(uri: "/api/members", method: .get, headers: f.bearer(.staff)) { r in
                let member = try #require(try decodeList(r).first { $0["id"] as? String == id })
                #expect(member["plan_id"] == nil && member["plan"] == nil)
            }
            #expect(f.runtime.journal.flush())
            let record = try #require(try f.runtime.store.plans(member: id).first)
            #expect(record.validUntilUs.map { $0 <= f.runtime.engine.now.micros } == true)
            #expect(
                try Replay.rebuild(store: f.runtime.store, useSnapshot: false).state == f.runtime.engine.read { $0 })
        }
        f.runtime.close()
    }
}
