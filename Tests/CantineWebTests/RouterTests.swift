// The web edge alone: the router driven through Hummingbird's test client against an
// in-memory site (MemorySite). What is checked here is the edge's own work — sign-in and
// roles, forms checked field by field, the one operation each action hands to the site,
// statuses chosen from the site's answers, the read models served — without a database.
// The end-to-end tests (CantineDaemonTests) run the same routes on a real site.

import CantineCore
import CantineSite
import CantineStore
import CantineWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct RouterTests {
    /// Saturday 2026-11-21 10:00 Paris.
    static let t0 = Instant(seconds: 1_795_251_600)
    static let layout = SiteLayout(
        site: "paris", name: "La Cantine", capacity: 10, zones: [Zone(id: "fenetre", name: "Fenêtre")],
        doors: [Door(id: "entree", name: "Entrée", direction: .entry, pulse: .seconds(5))],
        desks: [Desk(id: "f01", name: "F01", zone: "fenetre")],
        rooms: [Room(id: "salle-1", name: "Salle", capacity: 8)])

    /// A site with Ada, a walk-in finding on f01, and tokens of each role.
    struct Fixture {
        let site: MemorySite
        let context: WebContext
        var tokens: [Role: String] = [:]

        init() throws {
            site = MemorySite(
                layout: RouterTests.layout, now: RouterTests.t0,
                events: [
                    .memberRegistered(MemberRef(member: "m-ada")),
                    .findingRaised(
                        Finding(
                            id: "fd-1", kind: .walkIn, desk: "f01", member: "m-ada", detail: "occupied, not booked",
                            raisedAt: RouterTests.t0)),
                ])
            site.memory.data.withLock {
                $0.members = [
                    MemberRecord(
                        id: "m-ada", site: "paris", name: "Ada Lovelace", email: "ada@example.org", status: "active",
                        createdUs: 0)
                ]
            }
            let accounts = Accounts(store: site.memory, bcryptCost: 4)
            for role in Role.allCases {
                tokens[role] = try accounts.createToken(id: "t-\(role)", name: nil, role: role, now: RouterTests.t0)
            }
            context = WebContext(site: site, version: "test", accounts: accounts)
        }

        func headers(_ role: Role, form: Bool = false) -> HTTPFields {
            var h: HTTPFields = [.authorization: "Bearer \(tokens[role] ?? "")"]
            if form { h[.contentType] = "application/x-www-form-urlencoded" }
            return h
        }
    }

    @Test func findingsAreTheOneReadModelWithNamesForStaffOnly() async throws {
        let f = try Fixture()
        try await Application(router: buildRouter(f.context)).test(.router) { client in
            try await client.execute(uri: "/api/findings", method: .get, headers: f.headers(.staff)) { response in
                #expect(response.status == .ok)
                let views = try JSONDecoder().decode([FindingView].self, from: Data(buffer: response.body))
                #expect(views.map(\.id) == ["fd-1"])
                #expect(views.first?.state == "raised" && views.first?.memberName == "Ada Lovelace")
                #expect(views.first?.actions == ["confirm", "attach", "dismiss"])
            }
            try await client.execute(uri: "/api/findings", method: .get, headers: f.headers(.reader)) { response in
                let views = try JSONDecoder().decode([FindingView].self, from: Data(buffer: response.body))
                #expect(views.first?.memberName == nil, "a reader token sees opaque ids only")
            }
        }
    }

    @Test func theUtilisationHistoryIsForStaffAndABadRangeIsRefusedInOneLine() async throws {
        let f = try Fixture()
        try await Application(router: buildRouter(f.context)).test(.router) { client in
            try await client.execute(uri: "/api/utilisation", method: .get, headers: f.headers(.reader)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/utilisation", method: .get, headers: f.headers(.staff)) { response in
                #expect(response.status == .ok)
                let report = try JSONDecoder().decode(UtilisationReport.self, from: Data(buffer: response.body))
                #expect(report.from == "2026-10-23" && report.to == "2026-11-21")  // 30 days through today
                #expect(report.days.map(\.day) == ["2026-11-21"] && report.days.first?.walkIns == 1)
                #expect(report.zones.map(\.zone) == ["fenetre"] && report.desks.map(\.desk) == ["f01"])
            }
            try await client.execute(
                uri: "/api/utilisation.csv?from=2026-11-20&to=2026-11-21", method: .get, headers: f.headers(.staff)
            ) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = String(buffer: response.body).split(separator: "\r\n")
                #expect(lines.first?.hasPrefix("day,weekday,peak_people,desk_hours_used") == true)
                #expect(lines.count == 2 && lines.last?.hasPrefix("2026-11-21,6,") == true)
            }
            for (query, message) in [
                ("from=21/11/2026", "from must be a date: YYYY-MM-DD"),
                ("from=2026-11-22&to=2026-11-21", "from must be on or before to"),
                ("days=0", "days must be a whole number from 1 to 366"),
                ("from=2025-01-01&to=2026-11-21", "a range is at most 366 days: ask for a year at a time"),
            ] {
                try await client.execute(uri: "/api/utilisation?\(query)", method: .get, headers: f.headers(.staff)) {
                    response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains(message), "\(query)")
                }
            }
        }
    }

    @Test func anUnlockHandsTheSiteOneOperationWithWhoAndWhy() async throws {
        let f = try Fixture()
        try await Application(router: buildRouter(f.context)).test(.router) { client in
            // Missing reason and confirmation: 422 naming both fields, nothing handed over.
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post, headers: f.headers(.staff, form: true),
                body: ByteBuffer(string: "reason=")
            ) { response in
                #expect(response.status == .unprocessableContent)
                let body = String(buffer: response.body)
                #expect(body.contains(#""reason""#) && body.contains(#""confirm""#))
            }
            #expect(f.site.performed.withLock { $0.isEmpty })
            // A reader may not act.
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post, headers: f.headers(.reader, form: true),
                body: ByteBuffer(string: "reason=livraison&confirm=yes")
            ) { response in
                #expect(response.status == .forbidden)
            }
            #expect(f.site.performed.withLock { $0.isEmpty })
            try await client.execute(
                uri: "/api/doors/entree/unlock", method: .post, headers: f.headers(.staff, form: true),
                body: ByteBuffer(string: "reason=livraison%20du%20caf%C3%A9&confirm=yes")
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""message":"done""#))
            }
        }
        let handed = f.site.performed.withLock { $0 }
        #expect(handed.count == 1)
        guard case .unlockDoor(let door, let by, let reason, let at)? = handed.first?.op else {
            Issue.record("expected an unlock, got \(String(describing: handed.first?.op))")
            return
        }
        #expect(door == "entree" && by == "staff:t-staff" && reason == "livraison du café")
        #expect(at == Self.t0.micros)
        #expect(handed.first?.source == "web:t-staff")
    }

    @Test(arguments: [
        (CommandError(.conflict, "desk f01 is already booked from 09:00 to 13:00"), HTTPResponse.Status.conflict),
        (CommandError(.notFound, "no finding 'fd-1': see `cantine findings list`"), .notFound),
        (CommandError("attach needs the member (--member ID)"), .unprocessableContent),
        (CommandError(.stale, "remote unlock of entree not carried out: the request is 40 s old"), .conflict),
        (CommandError(.unavailable, "cannot record the choice of m-ada: disk I/O error"), .serviceUnavailable),
    ])
    func aRefusalIsAnsweredWithItsSentenceAndTheStatusOfItsCode(refusal: CommandError, status: HTTPResponse.Status)
        async throws
    {
        let f = try Fixture()
        f.site.answer.withLock { $0 = .failure(refusal) }
        try await Application(router: buildRouter(f.context)).test(.router) { client in
            try await client.execute(
                uri: "/api/findings/fd-1/resolve", method: .post, headers: f.headers(.staff, form: true),
                body: ByteBuffer(string: "action=attach&member=m-ada")
            ) { response in
                #expect(response.status == status)
                #expect(String(buffer: response.body).contains(refusal.message))
            }
        }
        guard case .resolveFinding(let id, let action, let member, _)? = f.site.performed.withLock({ $0.first?.op })
        else {
            Issue.record("expected a resolution")
            return
        }
        #expect(id == "fd-1" && action == .attach && member == "m-ada")
    }

    @Test func anExportIsServedAsTheSiteWroteItAndOnlyToAdmins() async throws {
        let f = try Fixture()
        f.site.exports.withLock { $0["m-ada"] = Array(#"{"profile":{"name":"Ada Lovelace"}}"#.utf8) }
        try await Application(router: buildRouter(f.context)).test(.router) { client in
            try await client.execute(uri: "/api/members/m-ada/export", method: .get, headers: f.headers(.staff)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/api/members/m-ada/export", method: .get, headers: f.headers(.admin)) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body) == #"{"profile":{"name":"Ada Lovelace"}}"#)
            }
            try await client.execute(uri: "/api/members/m-bob/export", method: .get, headers: f.headers(.admin)) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func healthSaysDownWhileTheJournalCannotWrite() async throws {
        let f = try Fixture()
        try await Application(router: buildRouter(f.context)).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            f.site.progress.withLock { $0.error = "disk full" }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = String(buffer: response.body)
                #expect(body.contains(#""status":"down""#) && body.contains("disk full"))
            }
        }
    }

    @Test func signingInOpensASessionThatServesTheDashboard() async throws {
        let f = try Fixture()
        try f.context.accounts?.addStaff(
            username: "alice", displayName: "Alice", password: "correct horse", role: .staff, now: Self.t0)
        try await Application(router: buildRouter(f.context)).test(.router) { client in
            try await client.execute(uri: "/staff", method: .get) { response in
                #expect(response.status == .seeOther || response.status == .unauthorized)
            }
            let cookie = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "username=alice&password=correct%20horse&next=/staff")
            ) { response -> String in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/staff")
                return String(response.headers[.setCookie]?.split(separator: ";").first ?? "")
            }
            try await client.execute(uri: "/staff", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#"<script src="/common.js" defer></script>"#))
            }
            try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "username=alice&password=wrong%20horse")
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("Wrong username or password."))
            }
        }
    }
}
