// The one table of defaults: `cantine init`'s sample is generated from it, a config that
// leaves every key out resolves to what the sample writes, and the core's own default rules
// agree with it.

import CantineCore
import Foundation
import Testing

@testable import CantineConfig

@Suite struct DefaultsTests {
    let sample = SampleConfig.text(databasePath: "/var/lib/cantine/cantine.sqlite")

    @Test func everyDefaultIsInTheSampleWithItsValue() {
        for setting in Defaults.all {
            guard let (line, commented) = setting.sampleTOML else { continue }
            #expect(sample.contains("\n" + (commented ? "# " : "") + line), "\(setting.key) is not in the sample")
        }
        #expect(Set(Defaults.all.map(\.key)).count == Defaults.all.count, "a key is in the table twice")
    }

    @Test func aConfigLeavingEveryKeyOutResolvesToTheSample() throws {
        guard case .example(let slots) = Defaults.slots.sample else { Issue.record("no example slots"); return }
        // What the sample sets that has no default (or differs from it on purpose), then the
        // sample's example zones, doors, rooms and desks; every other key left out.
        let minimal = """
            [site]
            id = "paris"
            name = "La Cantine"
            [database]
            path = "/var/lib/cantine/cantine.sqlite"
            [mqtt]
            client_id = "cantine-paris"
            [program]
            slots = \(slots.toml)

            """ + SampleConfig.examples(desksPerZone: 12)
        let written = try Config.parse(sample, file: "sample.toml").settings
        let left = try Config.parse(minimal, file: "minimal.toml").settings
        #expect(written == left)
        #expect(left.mqtt.clientID == "cantine-paris")
    }

    @Test func theCoreDefaultsAgreeWithTheTable() throws {
        let text = """
            [site]
            id = "x"
            name = "X"
            [database]
            path = "/tmp/x/cantine.db"
            [gpio]
            mode = "simulated"
            [[doors]]
            id = "d"
            name = "D"
            d0_line = 1
            d1_line = 2
            relay_line = 3
            [[rooms]]
            id = "r"
            name = "R"
            """
        let settings = try Config.parse(text, file: "c.toml").settings
        #expect(settings.layout.sensors == SensorRules())
        #expect(settings.layout.reconcile == ReconcileRules())
        #expect(settings.layout.access == AccessRules())
        #expect(settings.layout.doors == [Door(id: "d", name: "D")])
        #expect(settings.layout.rooms == [Room(id: "r", name: "R", capacity: 8)])
        #expect(settings.mqtt.clientID == "cantine-x")
        #expect(settings.gpio.frameEnd == .adaptive)
    }
}

/// docs/configuration.md's table states the defaults of the one table: each row's keys (the
/// first full, the rest in its section) against its default column, where the column gives one
/// plain value per key.
@Test func theConfigurationDocsTableStatesTheTablesDefaults() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
    let defaults = Dictionary(Defaults.all.compactMap { s in s.defaultTOML.map { (s.key, $0) } }) { a, _ in a }
    var compared = 0
    for row in readme.split(separator: "\n") where row.hasPrefix("| `") {
        let cells = row.split(separator: "|", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard cells.count >= 4 else { continue }
        // "`mqtt.enabled`, `host`, `port`" or "`[[doors]]` `pulse_s`"
        let pieces: [String] = cells[1].components(separatedBy: "`")
        var names: [String] = stride(from: 1, to: pieces.count, by: 2).map { pieces[$0] }  // inside backticks
        var section = ""
        if let first = names.first, first.hasPrefix("[[") {
            section = String(first.dropFirst(2).dropLast(2))
            names.removeFirst()
        } else if let first = names.first, let dot = first.firstIndex(of: ".") {
            section = String(first[..<dot])
        }
        let keys = names.map { $0.contains(".") ? $0 : "\(section).\($0)" }
        let values = cells[3].components(separatedBy: ", ").map { $0.replacingOccurrences(of: "`", with: "") }
        guard keys.count == values.count else { continue }
        for (key, value) in zip(keys, values) {
            guard let expected = defaults[key], !value.contains(" ") else { continue }
            var plain = expected.hasPrefix("\"") ? String(expected.dropFirst().dropLast()) : expected
            if plain == "[]" || plain.isEmpty { plain = "none" }
            #expect(value == plain, "docs/configuration.md gives \(key) = \(value), the table \(plain)")
            compared += 1
        }
    }
    #expect(compared >= 40, "only \(compared) defaults compared: has docs/configuration.md's table changed shape?")
}
