// The floor plan: desks and rooms where the config puts them, laid out by zone when any desk
// has no place (no two overlapping, the plan's size holding them all), and the config's
// places checked with one-line errors.

import CantineConfig
import CantineCore
import CantineSite
import Foundation
import Testing

@Suite struct FloorPlanTests {
    let sample = SampleConfig.text(databasePath: "/tmp/c.db")

    func plan(_ text: String) throws -> FloorPlanView {
        let settings = try Config.parse(text, file: "c.toml").settings
        var state = State()
        _ = Reducer.apply(&state, .layoutApplied(settings.layout), now: Instant(seconds: 1_795_251_600))
        return FloorPlanView.make(state, now: Instant(seconds: 1_795_251_600), names: { _ in nil })
    }

    func overlap(_ a: FloorPlanView.Place, _ b: FloorPlanView.Place) -> Bool {
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    }

    @Test func withoutPlacesDesksAreLaidOutByZoneAndNothingOverlaps() throws {
        let plan = try plan(sample)
        let places = plan.desks.map(\.place) + plan.rooms.map(\.place)
        #expect(plan.desks.count == 24 && plan.rooms.count == 3)
        for (i, a) in places.enumerated() {
            for b in places[(i + 1)...] { #expect(!overlap(a, b), "\(a) overlaps \(b)") }
            #expect(a.x >= 0 && a.y >= 0 && a.x + a.width <= plan.width && a.y + a.height <= plan.height)
        }
        #expect(plan.zones.map(\.name) == ["Côté fenêtre", "Côté jardin"])
        // Each zone's desks under its name, in the config's order.
        let fenetre = plan.desks.filter { $0.desk.zone == "fenetre" }.map(\.place.y)
        let jardin = plan.desks.filter { $0.desk.zone == "jardin" }.map(\.place.y)
        #expect((fenetre.max() ?? 0) < (jardin.min() ?? 0))
    }

    @Test func placesFromTheConfigAreKept() throws {
        var text = sample
        // Every desk given a place (x = index, y = 0 or 3 by zone), the rooms too.
        var n = 0
        text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("zone = ") else { return String(line) }
            defer { n += 1 }
            return String(line) + "\nx = \(n % 12)\ny = \(line.contains("jardin") ? 3 : 0)"
        }.joined(separator: "\n")
        text = text.replacingOccurrences(of: "id = \"salle-1\"", with: "id = \"salle-1\"\nx = 14\ny = 0.5\nwidth = 4")
        text = text.replacingOccurrences(of: "id = \"grande-salle\"", with: "id = \"grande-salle\"\nx = 14\ny = 3")
        text = text.replacingOccurrences(of: "id = \"mezzanine\"", with: "id = \"mezzanine\"\nx = 19\ny = 3")
        let plan = try plan(text)
        #expect(n == 24)
        #expect(plan.zones.isEmpty)  // placed by hand: no automatic zone names
        let j01 = try #require(plan.desks.first { $0.desk.desk == "j01" })
        #expect(j01.place.y == 3 && j01.place.width == 1)
        let salle = try #require(plan.rooms.first { $0.room.room == "salle-1" })
        #expect(salle.place.x == 14 && salle.place.y == 0.5 && salle.place.width == 4 && salle.place.height == 2)
        #expect(plan.width == 22 && plan.height == 5)
    }

    @Test func aPlaceNeedsBothCoordinatesWithinThePlan() {
        func error(_ text: String) -> String? {
            do {
                _ = try Config.parse(text, file: "c.toml")
                return nil
            } catch { return error.message }
        }
        let desk = "id = \"f01\"\nzone = \"fenetre\""
        #expect(
            error(sample.replacingOccurrences(of: desk, with: desk + "\nx = 2"))
                == "config c.toml: desks[0]: a place on the floor plan needs both x and y (plan units: a desk is 1 × 1)"
        )
        #expect(
            error(sample.replacingOccurrences(of: desk, with: desk + "\nx = 2\ny = -1"))
                == "config c.toml: desks[0].y: expected 0 to 500 plan units")
        #expect(
            error(sample.replacingOccurrences(of: "id = \"salle-1\"", with: "id = \"salle-1\"\nwidth = 3"))
                == "config c.toml: rooms[0].width: a size needs a place: set x and y too")
    }
}
