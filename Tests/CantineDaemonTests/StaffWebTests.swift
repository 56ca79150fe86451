// The staff side of the HTTP edge through Hummingbird's router test client, on a real site
// (SQLite file, injected clock): sign-in and its throttle, sessions and CSRF, roles and
// tokens, every API read endpoint, the dashboard's actions with their form errors, /metrics.

import CantineCore
import CantineSite
import CantineStore
import CantineWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineDaemon

/// A site that played a day, with an admin and a staff account and a token per role.
struct WebFixture {
    let site: TestSite
    let runtime: Site
    var context: WebContext
    var tokens: [Role: String] = [:]

    init(metrics: WebMetrics = WebMetrics()) async throws {
        site = try TestSite()
        runtime = try site.open()
        try await playADay(runtime, site.time)
        let accounts = Accounts(store: runtime.store, bcryptCost: 4)
        let now = site.time.now()
        try accounts.addStaff(
            username: "alice", displayName: "Alice", password: "correct horse", role: .admin, now: now)
        try accounts.addStaff(username: "bob", displayName: "Bob", password: "battery staple", role: .staff, now: now)
        // An afternoon booking of Ada's (the morning ones of the day played are over or released).
        _ = try await runtime.perform(
            .bookDesk(member: "m-ada", desk: "j02", date: "today", period: .pm, days: 1, id: "bk-pm"), source: "test")
        for role in Role.allCases {
            tokens[role] = try accounts.createToken(id: "t-\(role.rawValue)", name: nil, role: role, now: now)
        }
        context = WebContext(site: runtime, version: "test", accounts: accounts, metrics: metrics)
    }

    /// The same site with the live streams attached.
    func with(board: BoardStream, events: JournalStream) -> WebFixture {
        var copy = self
        copy.context = WebContext(
            site: runtime, version: "test", board: board, accounts: context.accounts, events: events,
            metrics: context.metrics)
        return copy
    }

    func bearer(_ role: Role) -> HTTPFields { [.authorization: "Bearer \(tokens[role] ?? "")"] }
    func form(_ role: Role) -> HTTPFields {
        [.authorization: "Bearer \(tokens[role] ?? "")", .contentType: "application/x-www-form-urlencoded"]
    }
}

let xFrameOptions = HTTPField.Name("X-Frame-Options")!
let csrfHeader = HTTPField.Name("X-CSRF-Token")!

func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

func decode(_ response: TestResponse) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
}

/// The `error` sentence of a JSON error answer.
func errorOf(_ response: TestResponse) -> String? {
    (try? decode(response))?["error"] as? String
}

func decodeList(_ response: TestResponse) throws -> [[String: Any]] {
    try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]] ?? []
}

@Suite struct StaffWebTests {
    @Test func withoutAnIdentityOnlyThePublicPagesAnswer() async throws {
        let f = try await WebFixture()
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            for path in ["/api/desks", "/api/occupancy", "/api/access-log", "/api/members", "/metrics", "/api/stream"] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .unauthorized, "\(path)")
                    #expect(r.headers[.wwwAuthenticate] == "Bearer realm=\"cantine\"")
                    let text = String(buffer: r.body)
                    #expect(text.contains("sign in at /login") && !text.contains("Ada"), "\(path)")
                }
            }
            try await client.execute(uri: "/staff", method: .get) { r in
                #expect(r.status == .seeOther)
                #expect(r.headers[.location] == "/login?next=/staff")
            }
            try await client.execute(uri: "/api/doors/entree/unlock", method: .post, body: body("reason=x")) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/api/desks", method: .get, headers: [.authorization: "Bearer nope"]) { r in
                #expect(r.status == .unauthorized)
            }
            for path in ["/healthz", "/display", "/display/board.json", "/login"] {
                try await client.execute(uri: path, method: .get) { r in #expect(r.status == .ok, "\(path)") }
            }
            try await client.execute(uri: "/display", method: .get) { r in
                #expect(r.headers[xFrameOptions] == nil)
            }
            try await client.execute(uri: "/login", method: .get) { r in
                #expect(r.headers[xFrameOptions] == "DENY")
            }
        }
        f.runtime.close()
    }

    @Test func everyPageRunsUnderAStrictPolicyWithNothingInline() async throws {
        let f = try await WebFixture()
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            for (path, framed) in [("/display", true), ("/login", false), ("/staff", false)] {
                try await client.execute(uri: path, method: .get, headers: f.bearer(.staff)) { r in
                    #expect(r.status == .ok, "\(path)")
                    let policy = r.headers[.contentSecurityPolicy] ?? ""
                    for directive in [
                        "default-src 'self'", "script-src 'self';", "style-src 'self';", "base-uri 'none'",
                    ] {
                        #expect(policy.contains(directive), "\(path): \(policy)")
                    }
                    #expect(!policy.contains("unsafe"), "\(path): \(policy)")
                    #expect(policy.contains(framed ? "frame-ancestors *" : "frame-ancestors 'none'"), "\(path)")
                    #expect(r.headers[xFrameOptions] == (framed ? nil : "DENY"), "\(path)")
                    #expect(r.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                    // Nothing a policy of 'self' would block: no inline script, style or handler.
                    let html = String(buffer: r.body)
                    let inlineScript = html.contains("<script>") || html.contains("<script type")
                    let handler = html.contains(" onclick=") || html.contains(" onload=") || html.contains(" onerror=")
                    #expect(
                        !inlineScript && !html.contains("<style") && !html.contains(" style=") && !handler, "\(path)")
                }
            }
            for (path, type) in [
                ("/display/app.js", "javascript"), ("/display/style.css", "css"), ("/login.css", "css"),
            ] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .ok && r.headers[.contentType]?.contains(type) == true, "\(path)")
                }
            }
        }
        f.runtime.close()
    }

    @Test func signingInGivesASessionCookieAndActionsNeedItsCSRFToken() async throws {
        let f = try await WebFixture()
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            try await client.execute(
                uri: "/login", method: .post, headers: formType, body: body("username=bob&password=wrong+one")
            ) { r in
                #expect(r.status == .unauthorized)
                #expect(String(buffer: r.body).contains("Wrong username or password."))
                #expect(r.headers[.setCookie] == nil)
            }
            var cookie = ""
            try await client.execute(
                uri: "/login", method: .post, headers: formType,
                body: body("username=Bob&password=battery+staple&next=%2Fstaff%3Fpanel%3Dlog")
            ) { r in
                #expect(r.status == .seeOther)
                #expect(r.headers[.location] == "/staff?panel=log")
                let set = r.headers[.setCookie] ?? ""
                #expect(set.contains("HttpOnly") && set.contains("SameSite=Strict") && !set.contains("Secure"))
                cookie = String(set.split(separator: ";")[0])
            }
            var csrf = ""
            try await client.execute(uri: "/api/me", method: .get, headers: [.cookie: cookie]) { r in
                #expect(r.status == .ok)
                let me = try decode(r)
                #expect(me["name"] as? String == "bob" && me["role"] as? String == "staff")
                csrf = me["csrf"] as? String ?? ""
            }
            #expect(csrf.count >= 40)
            try await client.execute(uri: "/staff", method: .get, headers: [.cookie: cookie]) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentSecurityPolicy]?.contains("script-src 'self';") == true)
                #expect(String(buffer: r.body).contains("/staff/app.js"))
            }
            // A state-changing request with the cookie but without the token: refused, nothing done.
            let unlock = "reason=delivery&confirm=yes"
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post,
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], body: body(unlock)
            ) { r in
                #expect(r.status == .forbidden)
                #expect(errorOf(r) == "missing or wrong CSRF token: reload the page and try again")
            }
            #expect(f.runtime.engine.read { $0.doors["entree"]?.lock } == .locked)
            var headers: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            headers[csrfHeader] = csrf
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post, headers: headers, body: body(unlock)
            ) {
                r in
                #expect(r.status == .ok)
                let message = try decode(r)["message"] as? String
                #expect(message?.hasPrefix("door entree unlocked for 5 s by staff:bob") == true)
            }
            #expect(f.runtime.engine.read { $0.doors["entree"]?.lock } == .unlocked)
            f.runtime.journal.flush()
            let log = try f.runtime.store.accessLog(AccessLogQuery(door: "entree", outcome: "granted.remote"))
            #expect(log.count == 1)
            // Signing out ends the session.
            try await client.execute(uri: "/logout", method: .post, headers: headers) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/api/me", method: .get, headers: [.cookie: cookie]) { r in
                #expect(r.status == .unauthorized)
            }
        }
        f.runtime.close()
    }

    @Test func repeatedFailedSignInsAreThrottled() async throws {
        let f = try await WebFixture()
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            for _ in 0..<5 {
                try await client.execute(
                    uri: "/login", method: .post, headers: formType, body: body("username=alice&password=guess")
                ) { r in #expect(r.status == .unauthorized) }
            }
            // Even the right password waits now.
            try await client.execute(
                uri: "/login", method: .post, headers: formType, body: body("username=alice&password=correct+horse")
            ) { r in
                #expect(r.status == .tooManyRequests)
                #expect(r.headers[.retryAfter] == "900")
                #expect(String(buffer: r.body).contains("Too many failed attempts: try again in 15 min."))
            }
            // Another account is not locked out; the locked one can sign in once the window passed.
            try await client.execute(
                uri: "/login", method: .post, headers: formType, body: body("username=bob&password=battery+staple")
            ) { r in #expect(r.status == .seeOther) }
            f.site.time.advance(.minutes(15))
            try await client.execute(
                uri: "/login", method: .post, headers: formType, body: body("username=alice&password=correct+horse")
            ) { r in #expect(r.status == .seeOther) }
            try await client.execute(uri: "/login", method: .post, headers: formType, body: body("username=alice")) {
                r in
                #expect(r.status == .unprocessableContent)
            }
        }
        f.runtime.close()
    }

    @Test func aDayMemoryNoLongerHoldsIsListedFromTheRecords() async throws {
        let f = try await WebFixture()
        // Ten days on, a new booking: memory lets go of the played day's (a week after they end).
        f.site.time.advance(.seconds(10 * 86_400))
        _ = try await f.runtime.perform(
            .grantPlan(member: "m-ada", kind: .residentMonthly, from: "today", days: 1), source: "test")
        _ = try await f.runtime.perform(
            .bookDesk(member: "m-ada", desk: "f02", date: "today", period: .day, days: 1, id: "bk-later"),
            source: "test")
        #expect(f.runtime.engine.read { Set($0.bookings.keys) } == ["bk-later"])
        #expect(f.runtime.journal.flush())
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/bookings?date=2026-11-21", method: .get, headers: f.bearer(.staff)) {
                r in
                let rows = try decodeList(r).map {
                    "\($0["id"] as? String ?? "") \($0["resource"] as? String ?? "") \($0["status"] as? String ?? "") \($0["member_name"] as? String ?? "")"
                }
                #expect(rows == ["bk-1 f01 released Ada Lovelace", "bk-pm j02 booked Ada Lovelace"])
            }
            try await client.execute(uri: "/api/bookings?date=2026-12-01", method: .get, headers: f.bearer(.staff)) {
                r in
                let ids = try decodeList(r).map { $0["id"] as? String }
                #expect(ids == ["bk-later"])
            }
        }
        f.runtime.close()
    }

    @Test func rolesGateWhatEachIdentityMayDo() async throws {
        let f = try await WebFixture()
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/bookings", method: .get, headers: f.bearer(.reader)) { r in
                #expect(r.status == .ok)
                // A reader sees the booking but not whose name it is.
                let booking = try decodeList(r).first
                #expect(booking?["member"] as? String == "m-ada" && booking?["member_name"] == nil)
            }
            try await client.execute(uri: "/api/bookings", method: .get, headers: f.bearer(.staff)) { r in
                let first = try decodeList(r).first
                #expect(first?["member_name"] as? String == "Ada Lovelace")
            }
            for path in ["/api/access-log", "/api/members", "/api/unknown-cards"] {
                try await client.execute(uri: path, method: .get, headers: f.bearer(.reader)) { r in
                    #expect(r.status == .forbidden, "\(path)")
                }
            }
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post, headers: f.form(.reader),
                body: body("reason=x&confirm=yes")
            ) { r in
                #expect(r.status == .forbidden)
                #expect(errorOf(r) == "token t-reader is read-only (role reader)")
            }
            try await client.execute(
                uri: "/api/members", method: .post, headers: f.form(.staff), body: body("name=Grace+Hopper")
            ) { r in
                #expect(r.status == .forbidden)
                #expect(errorOf(r) == "this needs the admin role; t-staff is staff")
            }
            #expect(f.runtime.engine.read { $0.members.count } == 1)
            try await client.execute(
                uri: "/api/members", method: .post, headers: f.form(.admin),
                body: body("name=Grace+Hopper&email=grace%40example.org")
            ) { r in
                #expect(r.status == .ok)
            }
            #expect(f.runtime.engine.read { $0.members.count } == 2)
            try f.runtime.store.revokeAPIToken("t-admin", nowUs: 0)
            try await client.execute(uri: "/api/desks", method: .get, headers: f.bearer(.admin)) { r in
                #expect(r.status == .unauthorized)
            }
        }
        f.runtime.close()
    }

    @Test func theNetworkViewShowsEverySiteStaleWhenSilentAndIsForStaffOnly() async throws {
        var fixture = try await WebFixture()
        let lone = Application(router: buildRouter(fixture.context))
        let staff = fixture.bearer(.staff)
        try await lone.test(.router) { client in
            try await client.execute(uri: "/api/network", method: .get, headers: staff) { r in
                #expect(r.status == .notFound)
                #expect(errorOf(r) == "this site is in no network of cantines (see docs/network.md)")
            }
        }
        fixture.context.networkStaleAfter = .seconds(180)
        let f = fixture
        let now = f.site.time.now()
        let summary = { (site: String, people: Int) in
            #"{"capacity":40,"count":3,"desks_free":10,"desks_occupied":4,"desks_unknown":0,"epoch":12,"name":"\#(site)","#
                + #""people_present":\#(people),"sent_at":0,"site":"\#(site)","visitors":1}"#
        }
        try f.runtime.store.upsertNetworkSite(
            NetworkSiteRow(id: "nantes", summary: summary("nantes", 7), heardUs: now.micros - 10_000_000), site: "paris"
        )
        try f.runtime.store.upsertNetworkSite(
            NetworkSiteRow(id: "rennes", summary: summary("rennes", 2), heardUs: now.micros - 600_000_000),
            site: "paris")
        try f.runtime.store.addNetworkRejection(
            atUs: now.micros, topic: "cantine/network/lyon/net/summary", reason: "unknown site 'lyon'", site: "paris")
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/network", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/api/network", method: .get, headers: f.bearer(.staff)) { r in
                #expect(r.status == .ok)
                let view = try decode(r)
                let sites = view["sites"] as? [[String: Any]] ?? []
                #expect(sites.count == 2)
                let stale = sites.map { ($0["summary"] as? [String: Any])?["site"] as? String ?? "" }
                    .enumerated().filter { sites[$0.offset]["stale"] as? Bool == true }.map(\.element)
                #expect(stale == ["rennes"])
                #expect((sites.first?["summary"] as? [String: Any])?["people_present"] as? Int == 7)
                #expect((view["refused"] as? [[String: Any]])?.first?["reason"] as? String == "unknown site 'lyon'")
            }
        }
    }

    @Test func anAdminExportsAMembersDataThenErasesThem() async throws {
        let f = try await WebFixture()
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            // Staff may not: personal data leaves the site, or goes for good, on an admin's word.
            try await client.execute(uri: "/api/members/m-ada/export", method: .get, headers: f.bearer(.staff)) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/api/members/m-ada/export", method: .get, headers: f.bearer(.admin)) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentDisposition] == "attachment; filename=\"cantine-m-ada.json\"")
                let export = try decode(r)
                #expect((export["profile"] as? [String: Any])?["name"] as? String == "Ada Lovelace")
                #expect((export["journal_profile"] as? [String: Any])?["email"] as? String == "ada@example.org")
                #expect((export["access"] as? [Any])?.isEmpty == false)
            }
            try await client.execute(uri: "/api/members/m-nobody/export", method: .get, headers: f.bearer(.admin)) {
                r in #expect(r.status == .notFound)
            }
            // Erasure needs the id typed again.
            try await client.execute(
                uri: "/api/members/m-ada/erase", method: .post, headers: f.form(.admin), body: body("confirm=m-adb")
            ) { r in
                #expect(r.status == .unprocessableContent)
                let fields = try decode(r)["fields"] as? [String: String]
                #expect(fields?["confirm"]?.contains("m-ada") == true)
            }
            #expect(f.runtime.store.memberName("m-ada") == "Ada Lovelace")
            try await client.execute(
                uri: "/api/members/m-ada/erase", method: .post, headers: f.form(.admin), body: body("confirm=m-ada")
            ) { r in
                #expect(r.status == .ok)
            }
            #expect(f.runtime.store.memberName("m-ada") == nil)
            #expect(f.runtime.engine.read { $0.members["m-ada"] == nil })
            try await client.execute(uri: "/api/members/m-ada/export", method: .get, headers: f.bearer(.admin)) { r in
                #expect(r.status == .notFound)
            }
        }
        f.runtime.close()
    }

    @Test func badFormsAndUnknownIdsChangeNothing() async throws {
        let f = try await WebFixture()
        let app = Application(router: buildRouter(f.context))
        let before = f.runtime.engine.lastSeq
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post, headers: f.form(.staff), body: body("reason=")
            ) { r in
                #expect(r.status == .unprocessableContent)
                let fields = try decode(r)["fields"] as? [String: String]
                #expect(fields?["reason"] == "a reason (it goes in the access log) is required")
                #expect(fields?["confirm"] == "tick the box to confirm that the door should open now")
            }
            try await client.execute(
                uri: "/api/sessions", method: .post, headers: f.form(.staff),
                body: body("title=&room=cave&date=21-11-2026&start=25:00&end=12:00&kind=party")
            ) { r in
                #expect(r.status == .unprocessableContent)
                let fields = try decode(r)["fields"] as? [String: String] ?? [:]
                #expect(Set(fields.keys) == ["title", "room", "date", "start", "kind"])
                #expect(fields["start"] == "the start must be a time HH:MM")
                #expect(fields["date"] == "the date must be written YYYY-MM-DD")
            }
            for (date, message) in [
                ("2026-02-30", "the date 2026-02-30 is not a day of the calendar"),
                ("%D9%A2%D9%A0%D9%A2%D9%A6-11-21", "the date must be written YYYY-MM-DD"),  // Arabic-Indic digits
            ] {
                try await client.execute(
                    uri: "/api/sessions", method: .post, headers: f.form(.staff),
                    body: body("title=Talk&date=\(date)&start=10:00&end=11:00")
                ) { r in
                    #expect(r.status == .unprocessableContent)
                    let fields = try decode(r)["fields"] as? [String: String] ?? [:]
                    #expect(fields == ["date": message])
                }
            }
            try await client.execute(
                uri: "/api/bookings", method: .post, headers: f.form(.staff),
                body: body("member=m-nobody&desk=z99&date=2026-11-21")
            ) { r in
                let fields = try decode(r)["fields"] as? [String: String] ?? [:]
                #expect(fields == ["member": "no member 'm-nobody'", "desk": "no desk 'z99'"])
            }
            // The site's own refusal (a desk already booked) is a 409 with its sentence.
            try await client.execute(
                uri: "/api/bookings", method: .post, headers: f.form(.staff),
                body: body("member=m-ada&desk=j02&date=2026-11-21&period=day")
            ) { r in
                #expect(r.status == .conflict)
                #expect(errorOf(r)?.contains("j02") == true)
            }
            // Whether what a path names exists is the site's to say (no pre-check in the web).
            for (path, form, text) in [
                ("/api/doors/cellar/unlock", "reason=r&confirm=yes", "no door 'cellar': the doors are entree, sortie"),
                ("/api/findings/nope/resolve", "action=confirm", "no finding 'nope': see `cantine findings list`"),
                ("/api/bookings/nope/cancel", "x=1", "no booking 'nope'"),
                ("/api/sessions/nope/delete", "x=1", "no session 'nope'"),
                ("/api/badges/nope/revoke", "x=1", "no badge 'nope': see `cantine badges list`"),
            ] {
                try await client.execute(uri: path, method: .post, headers: f.form(.admin), body: body(form)) { r in
                    #expect(r.status == .notFound, "\(path)")
                    #expect(errorOf(r) == text)
                }
            }
            try await client.execute(uri: "/api/desks/z99", method: .get, headers: f.bearer(.reader)) { r in
                #expect(r.status == .notFound)
            }
            try await client.execute(uri: "/api/nothing", method: .get, headers: f.bearer(.reader)) { r in
                #expect(r.status == .notFound)
                #expect(errorOf(r) == "no such page or resource: /api/nothing")
            }
            let big = "reason=" + String(repeating: "x", count: 70_000) + "&confirm=yes"
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post, headers: f.form(.staff), body: body(big)
            ) { r in
                #expect(r.status == .contentTooLarge)
                #expect(errorOf(r) == "the request body is too large (at most 64 KiB)")
            }
            // A body of more fields than any form has is refused before any is read; 64 are read.
            let padding = (1...99).map { "p\($0)=1" }
            var json = f.bearer(.staff)
            json[.contentType] = "application/json"
            for (headers, text) in [
                (f.form(.staff), (["reason=test", "confirm=yes"] + padding).joined(separator: "&")),
                (
                    json,
                    "{"
                        + (["\"reason\": \"test\"", "\"confirm\": \"yes\""] + padding.map { "\"\($0.dropLast(2))\": 1" })
                        .joined(separator: ",") + "}"
                ),
            ] {
                try await client.execute(
                    uri: "/api/doors/entree/unlock", method: .post, headers: headers, body: body(text)
                ) { r in
                    #expect(r.status == .badRequest)
                    #expect(errorOf(r) == "the form has 101 fields (at most 64): send only the form's own fields")
                }
            }
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post, headers: f.form(.staff),
                body: body((["reason=test"] + padding.prefix(63)).joined(separator: "&"))
            ) { r in
                #expect(r.status == .unprocessableContent)
                let fields = try decode(r)["fields"] as? [String: String] ?? [:]
                #expect(fields.keys.sorted() == ["confirm"])
            }
            try await client.execute(
                uri: "/api/access-log?since=yesterday", method: .get, headers: f.bearer(.staff)
            ) { r in
                #expect(r.status == .badRequest)
            }
        }
        #expect(f.runtime.engine.lastSeq == before)
        #expect(f.runtime.engine.read { $0.doors["entree"]?.lock } == .locked)
        f.runtime.close()
    }

    @Test func theReadAPIShowsTheFloorDoorsProgramFindingsAndLog() async throws {
        let f = try await WebFixture()
        let engine = f.runtime.engine
        // After lunch: j01 occupied without a booking; j02 booked (Ada) and empty; j05 booked and
        // occupied; j03 booked but its sensor never spoke.
        _ = try await f.runtime.perform(
            .bookDesk(member: "m-ada", desk: "j05", date: "today", period: .pm, days: 1, id: "bk-5"), source: "test")
        _ = try await f.runtime.perform(
            .bookDesk(member: "m-ada", desk: "j03", date: "today", period: .pm, days: 1, id: "bk-3"), source: "test")
        f.site.time.advance(.minutes(2 * 60 + 5))  // 13:05
        engine.submit(.deskReported(DeskReport(desk: "j01", occupied: true)), source: "sensor:node-j01")
        engine.submit(.deskReported(DeskReport(desk: "j02", occupied: false)), source: "sensor:node-j02")
        engine.submit(.deskReported(DeskReport(desk: "j05", occupied: true)), source: "sensor:node-j05")
        _ = try await f.runtime.perform(
            .addSession(
                title: "Barcamp opening", room: "salle-1", date: "today", start: "14:00", end: "15:00", kind: .barcamp,
                track: nil, speakers: [], id: "s-open"), source: "test")
        f.runtime.journal.flush()
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/desks", method: .get, headers: f.bearer(.staff)) { r in
                let desks = Dictionary(
                    uniqueKeysWithValues: try decodeList(r).map { ($0["desk"] as? String ?? "", $0) })
                #expect(desks["j01"]?["status"] as? String == "occupied_unbooked")
                #expect(desks["j02"]?["status"] as? String == "booked")
                #expect((desks["j02"]?["booking"] as? [String: Any])?["member_name"] as? String == "Ada Lovelace")
                #expect(desks["j05"]?["status"] as? String == "occupied")
                #expect(desks["j03"]?["status"] as? String == "unknown")
                #expect(desks["j04"]?["status"] as? String == "unknown")
            }
            try await client.execute(uri: "/api/doors", method: .get, headers: f.bearer(.reader)) { r in
                let doors = try decodeList(r)
                #expect(doors.map { $0["door"] as? String ?? "" }.sorted() == ["entree", "sortie"])
                #expect(doors.allSatisfy { $0["state"] as? String == "locked" })
            }
            try await client.execute(uri: "/api/sessions/today", method: .get, headers: f.bearer(.reader)) { r in
                let sessions = try decodeList(r)
                #expect(sessions.count == 1)
                #expect(sessions.first?["start"] as? String == "14:00")
                #expect(sessions.first?["room"] as? String == "salle-1")
            }
            try await client.execute(uri: "/api/rooms", method: .get, headers: f.bearer(.reader)) { r in
                let rooms = try decodeList(r)
                #expect(rooms.count == 3)
            }
            try await client.execute(uri: "/api/bookings", method: .get, headers: f.bearer(.staff)) { r in
                let ids = try decodeList(r).map { $0["id"] as? String ?? "" }
                #expect(ids.sorted() == ["bk-3", "bk-5", "bk-pm"])
            }
            try await client.execute(
                uri: "/api/access-log?q=lovelace&outcome=granted", method: .get, headers: f.bearer(.staff)
            ) { r in
                let rows = try decodeList(r)
                #expect(rows.count == 2)  // in at the entrance, out at the exit
                #expect(rows.allSatisfy { $0["member_name"] as? String == "Ada Lovelace" })
            }
            try await client.execute(uri: "/api/access-log?outcome=denied", method: .get, headers: f.bearer(.staff)) {
                r in
                let rows = try decodeList(r)
                #expect(rows.count == 2)
            }
            try await client.execute(uri: "/api/unknown-cards", method: .get, headers: f.bearer(.staff)) { r in
                let cards = try decodeList(r)
                #expect(cards.first?["card_number"] as? Int == 9999)
            }
            try await client.execute(uri: "/api/members", method: .get, headers: f.bearer(.staff)) { r in
                let members = try decodeList(r)
                #expect(members.first?["name"] as? String == "Ada Lovelace")
                #expect((members.first?["badges"] as? [[String: Any]])?.first?["id"] as? String == "b-ada")
            }
        }
        f.runtime.close()
    }

    @Test func theDashboardActionsChangeTheSite() async throws {
        let f = try await WebFixture()
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            // Enroll the card the entrance refused, for a new member.
            try await client.execute(
                uri: "/api/members", method: .post, headers: f.form(.admin), body: body("name=Grace+Hopper")
            ) { r in #expect(r.status == .ok) }
            let grace = try #require(f.runtime.engine.read { $0.members.keys.first { $0 != "m-ada" } })
            let read = try #require(try f.runtime.store.unknownReads(afterSeq: 0).first)
            try await client.execute(
                uri: "/api/badges", method: .post, headers: f.form(.admin),
                body: body("member=\(grace.rawValue)&read=\(read.seq)")
            ) { r in
                #expect(r.status == .ok)
            }
            let decision = DoorInput(door: "entree", runtime: f.runtime).frame(card(9999))
            #expect(decision?.entry.access?.member == grace)
            // The program: add a session, move it, remove it.
            var id = ""
            try await client.execute(
                uri: "/api/sessions", method: .post, headers: f.form(.staff),
                body: body("title=Lightning+talks&room=grande-salle&date=2026-11-21&start=16:00&end=17:00&kind=talk")
            ) { r in
                #expect(r.status == .ok)
                id = try decode(r)["id"] as? String ?? ""
            }
            try await client.execute(
                uri: "/api/sessions/\(id)", method: .post, headers: f.form(.staff), body: body("start=16:30&end=17:30")
            ) { r in #expect(r.status == .ok) }
            let moved = f.runtime.engine.read { $0.sessions[SessionID(id)] }
            #expect(moved.map { SiteCalendar.cached("Europe/Paris").clock($0.start).minute } == 16 * 60 + 30)
            try await client.execute(uri: "/api/sessions/\(id)/delete", method: .post, headers: f.form(.staff)) { r in
                #expect(r.status == .ok)
            }
            #expect(f.runtime.engine.read { $0.sessions[SessionID(id)] } == nil)
            // Bookings: book j03 for Ada, then cancel it.
            try await client.execute(
                uri: "/api/bookings", method: .post, headers: f.form(.staff),
                body: body("member=m-ada&desk=j03&date=2026-11-21&period=pm")
            ) { r in
                #expect(r.status == .ok)
                id = try decode(r)["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/bookings/\(id)/cancel", method: .post, headers: f.form(.staff)) { r in
                #expect(r.status == .ok)
            }
            #expect(f.runtime.engine.read { $0.bookings[BookingID(id)]?.status } == .cancelled)
        }
        f.runtime.close()
    }

    @Test func metricsExportDecisionsByReasonAndTheFloor() async throws {
        let metrics = WebMetrics.process  // swift-metrics backend before the site opens
        let f = try await WebFixture(metrics: metrics)
        let app = Application(router: buildRouter(f.context))
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: f.bearer(.reader)) { r in
                #expect(r.status == .ok)
                let text = String(buffer: r.body)
                #expect(text.contains(#"cantine_access_decisions_total{result="denied",reason="denied.unknown_card"}"#))
                #expect(
                    text.contains(#"cantine_access_decisions_total{result="granted",reason="granted.exit_button"}"#))
                #expect(text.contains("cantine_access_decision_seconds_bucket"))
                #expect(text.contains(#"cantine_desks{status="occupied_unbooked"} 1.0"#))  // f01's walk-in
                #expect(text.contains(#"cantine_component_up{component="journal"} 1.0"#))
                #expect(text.contains(#"cantine_sse_clients{stream="display"} 0.0"#))
            }
            try await client.execute(uri: "/healthz", method: .get) { r in
                let health = try decode(r)
                let components = health["components"] as? [[String: Any]]
                #expect(components?.first?["name"] as? String == "journal")
                #expect(components?.first?["status"] as? String == "ok")
            }
        }
        f.runtime.close()
    }

    @Test func theEventStreamCatchesUpFromLastEventIDThenGoesLive() async throws {
        let f = try await WebFixture()
        f.runtime.journal.flush()
        let events = JournalStream(site: f.runtime)
        var context = f.context
        context.events = events
        let watching = Task { await events.run(tick: .seconds(3600)) }
        let app = Application(router: buildRouter(context))
        let last = f.runtime.engine.lastSeq
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let auth = "Authorization: Bearer \(f.tokens[.reader] ?? "")"
            // A client that saw up to last - 2 reconnects: it gets the two entries it missed, in order.
            let reader = try StreamReader(
                port: port, path: "/api/stream", headers: [auth, "Last-Event-ID: \(last - 2)"])
            let first = try #require(await reader.next(containing: "id: "))
            #expect(first.contains("id: \(last - 1)\n"))
            let second = try #require(await reader.next(containing: "id: "))
            #expect(second.contains("id: \(last)\n") && second.contains(#""kind":"booking.created""#))
            // Then live: a desk report is journaled and arrives once durable.
            f.runtime.engine.submit(.deskReported(DeskReport(desk: "j07", occupied: true)), source: "sensor:node-j07")
            let live = try #require(await reader.next(containing: "id: \(last + 1)\n"))
            #expect(live.contains(#""kind":"desk.reported""#) && live.contains(#""desk":"j07""#))
            #expect(events.clientCount == 1)
            // A client from another journal (ahead of it) is told to reload.
            let lost = try StreamReader(port: port, path: "/api/stream", headers: [auth, "Last-Event-ID: 99999"])
            #expect(await lost.next(containing: "event: reset") != nil)
            // The daemon stopping ends every open stream (the server does not wait on them).
            watching.cancel()
            while await reader.next(containing: "id: ") != nil {}
            #expect(reader.ended)
        }
        f.runtime.close()
    }

    @Test func theOpenAPIDocumentListsEveryRouteAndNoOther() async throws {
        let f = try await WebFixture()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        /// `/api/doors/{door}/unlock` and `/api/doors/:door/unlock` → `/api/doors/{}/unlock`.
        func normal(_ path: String) -> String {
            path.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("{") || $0.hasPrefix(":") ? "{}" : String($0) }.joined(separator: "/")
        }
        var documented: Set<String> = []
        var inPaths = false
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
            } else if inPaths, line.hasPrefix("  /"), line.hasSuffix(":") {
                current = normal(String(line.dropFirst(2).dropLast()))
            } else if inPaths, let method = ["get", "post"].first(where: { line == "    \($0):" }) {
                documented.insert("\(method.uppercased()) \(current)")
            }
        }
        let served = Set(
            buildRouter(f.context).routes.map { "\($0.method) \(normal("\($0.path)"))" }
                .filter {
                    ![
                        "GET /", "GET /staff/app.js", "GET /staff/style.css", "GET /display/app.js",
                        "GET /display/style.css", "GET /login.css", "GET /common.js",
                        "GET /display/fonts/comic-neue-regular.woff2", "GET /display/fonts/comic-neue-bold.woff2",
                        "GET /program/style.css",
                    ].contains($0)
                })
        #expect(documented.count > 30)
        #expect(served.subtracting(documented).sorted() == [], "served but not documented")
        #expect(documented.subtracting(served).sorted() == [], "documented but not served")
        f.runtime.close()
    }
}
