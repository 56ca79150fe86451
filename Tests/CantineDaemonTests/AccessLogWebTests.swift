// The access log as staff read it, through the router on a real site: who unlocked a door
// and why on its row, the label beside the code, the site's date and time, a day range, pages,
// the CSV with the same filters, who is in; and a database from before operator and reason
// were kept gets them back from its journal.

import CantineCore
import CantineDaemon
import CantineSite
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineStore
@testable import CantineWeb

@Suite struct AccessLogWebTests {
    @Test func aRemoteUnlockShowsWhoAndWhyAndTheCSVFollowsTheFilter() async throws {
        let f = try await WebFixture()
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post, headers: f.form(.staff),
                body: body("reason=delivery%2C+big+parcel&confirm=yes")
            ) { r in #expect(r.status == .ok) }
            #expect(f.runtime.journal.flush())
            var json: [[String: Any]] = []
            try await client.execute(
                uri: "/api/access-log?from=2026-11-21&to=2026-11-21", method: .get, headers: f.bearer(.staff)
            ) {
                r in json = try decodeList(r)
            }
            let remote = try #require(json.first)
            #expect(
                remote["reason"] as? String == "granted.remote" && remote["label"] as? String == "ouverture à distance")
            #expect(remote["by"] as? String == "staff:t-staff" && remote["note"] as? String == "delivery, big parcel")
            #expect((remote["local"] as? String)?.hasPrefix("2026-11-21 12:00") == true)  // Paris, not UTC
            #expect(json.allSatisfy { ($0["local"] as? String)?.hasPrefix("2026-11-21 ") == true })
            // Another day's range holds none of them.
            try await client.execute(
                uri: "/api/access-log?from=2026-11-22&to=2026-11-30", method: .get, headers: f.bearer(.staff)
            ) {
                r in
                let rows = try decodeList(r)
                #expect(rows.isEmpty)
            }
            // The CSV: a header, then one line per decision the same filter gives, in order.
            try await client.execute(
                uri: "/api/access-log.csv?from=2026-11-21&to=2026-11-21", method: .get, headers: f.bearer(.staff)
            ) {
                r in
                #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = String(buffer: r.body).components(separatedBy: "\r\n").dropLast()
                #expect(lines.first == "seq,time,door,member,member_name,granted,reason,label,plan,by,note")
                #expect(lines.count == json.count + 1)
                #expect(
                    lines.dropFirst().map { $0.split(separator: ",").first.map(String.init) }
                        == json.map { "\($0["seq"] as? Int ?? 0)" })
                #expect(
                    lines[1].hasSuffix(",granted.remote,ouverture à distance,,staff:t-staff,\"delivery, big parcel\""))
            }
            // Pages: two at a time, then the next two from the last one's seq.
            var first: [Int] = []
            try await client.execute(uri: "/api/access-log?limit=2", method: .get, headers: f.bearer(.staff)) { r in
                first = try decodeList(r).compactMap { $0["seq"] as? Int }
            }
            try await client.execute(
                uri: "/api/access-log?limit=2&before=\(first.last ?? 0)", method: .get, headers: f.bearer(.staff)
            ) {
                r in
                let next = try decodeList(r).compactMap { $0["seq"] as? Int }
                #expect(first.count == 2 && next.count == 2 && next.allSatisfy { $0 < first.last ?? 0 })
                #expect(Array(json.prefix(4)).compactMap { $0["seq"] as? Int } == first + next)
            }
            for (query, error) in [
                ("from=21-11-2026", "from must be a date: YYYY-MM-DD"),
                ("from=2026-11-22&to=2026-11-20", "the end of the range must come after its start"),
                ("outcome=maybe", "outcome must be granted, denied or a reason code such as denied.expired"),
                ("before=x", "before must be a row's seq, as the last row of the previous page gives it"),
            ] {
                try await client.execute(uri: "/api/access-log?" + query, method: .get, headers: f.bearer(.staff)) {
                    r in
                    #expect(r.status == .badRequest)
                    #expect(String(buffer: r.body).contains(error), "\(query)")
                }
            }
            // Who is in: the header's badged-in count, by name; one who left without badging
            // out is marked gone by staff.
            let entree = DoorInput(door: "entree", runtime: f.runtime)
            #expect(entree.frame(card(1234))?.entry.access?.granted == true)
            try await client.execute(uri: "/api/presence", method: .get, headers: f.bearer(.staff)) { r in
                let people = try decodeList(r)
                let count = f.runtime.engine.read { $0.occupancy(at: f.site.time.now()).badgedIn }
                #expect(people.count == count && count == 1)
                #expect(people.first?["name"] as? String == "Ada Lovelace")
            }
            try await client.execute(uri: "/api/presence/m-ada/leave", method: .post, headers: f.form(.staff)) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/api/presence", method: .get, headers: f.bearer(.staff)) { r in
                let people = try decodeList(r)
                #expect(people.isEmpty)
            }
            try await client.execute(uri: "/api/presence/m-ada/leave", method: .post, headers: f.form(.staff)) { r in
                #expect(r.status == .conflict)
            }
        }
        f.runtime.close()
    }

    /// A database written before v7: its remote unlocks get their operator and reason from the
    /// journal entry the row was written with.
    @Test func rowsWrittenBeforeTheMigrationGetTheirOperatorFromTheJournal() async throws {
        let f = try await WebFixture()
        _ = try await f.runtime.perform(
            .unlockDoor(door: "entree", by: "cli:root", reason: "locksmith", requestedAtUs: f.site.time.now().micros),
            source: "test")
        #expect(f.runtime.journal.flush())
        // As v6 left it: no operator, no note.
        try await f.runtime.store.pool.write { db in
            try db.execute(sql: "UPDATE access_log SET operator = NULL, note = NULL")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v7'")
            try db.execute(sql: "ALTER TABLE access_log DROP COLUMN operator")
            try db.execute(sql: "ALTER TABLE access_log DROP COLUMN note")
        }
        let path = f.runtime.store.path
        f.runtime.close()
        let reopened = try Store(path: path)
        let row = try #require(try reopened.accessLog(AccessLogQuery(outcome: "granted.remote")).first)
        #expect(row.by == "cli:root" && row.note == "locksmith")
    }
}
