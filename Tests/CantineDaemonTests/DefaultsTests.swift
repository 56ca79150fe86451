// The one table of defaults: `cantine init`'s sample is generated from it, a config that
// leaves every key out resolves to what the sample writes, and the core's own default rules
// agree with it.

import CantineCore
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
        #expect(settings.gpio.gapTimeoutNanos == 25_000_000)
    }
}
