// The HTTP edge through Hummingbird's test client: health and the occupancy API.

import CantineCore
import CantineWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineDaemon

@Suite struct WebTests {
    @Test func healthAndOccupancyReportTheLiveState() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        runtime.engine.submit(.deskReported(DeskReport(desk: "j01", occupied: true)), source: "sensor:node-j01")
        let app = Application(
            router: buildRouter(WebContext(site: runtime, version: "test")))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains(#""status":"ok""#))
                #expect(body.contains(#""site":"paris""#))
            }
            try await client.execute(uri: "/api/occupancy", method: .get) { response in
                #expect(response.status == .unauthorized)  // no accounts: nothing but the public pages
            }
        }
        let accounts = Accounts(store: runtime.store, bcryptCost: 4)
        let token = try accounts.createToken(id: "grafana", name: nil, role: .reader, now: site.time.now())
        let secured = Application(
            router: buildRouter(
                WebContext(site: runtime, version: "test", accounts: accounts)))
        try await secured.test(.router) { client in
            try await client.execute(
                uri: "/api/occupancy", method: .get, headers: [.authorization: "Bearer \(token)"]
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let summary = try JSONDecoder().decode(OccupancySummary.self, from: Data(buffer: response.body))
                #expect(summary.site == "paris")
                #expect(summary.zones.first { $0.zone == "jardin" }?.occupied == 1)
                // f01 was left vacant-pending at the end of the day: still occupied (hysteresis).
                #expect(summary.zones.first { $0.zone == "fenetre" }?.occupied == 1)
                #expect(summary.peoplePresent == 2 && summary.badgedIn == 0 && summary.desksOccupied == 2)
                #expect(summary.updatedAt == site.time.now())
                #expect(String(buffer: response.body).contains(#""updated_at":"2026-11-21T11:00:15Z""#))
            }
            try await client.execute(
                uri: "/nothing-here", method: .get, headers: [.authorization: "Bearer \(token)"]
            ) { response in
                #expect(response.status == .notFound)
            }
        }
        runtime.close()
    }
}
