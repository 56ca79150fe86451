// The pinout: the shipped Hardware/pinout.toml passes, broken ones fail naming pin and use,
// the daemon's config and safe boot take their lines from it, and the CLI prints the tally.
import CantineConfig
import CantineDaemon
import Foundation
import Testing

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A valid one-door pinout with `edit` applied to its text.
func pinoutText(_ edit: (String) -> String = { $0 }) -> String {
    edit(
        """
        board = "raspberry-pi-40pin"
        reserved = [14, 15]

        [[doors]]
        id = "entree"
        d0 = 17
        d1 = 27
        relay = 22
        relay_active_low = true
        contact = 23
        exit_button = 24
        fail_secure = true
        input_level_v = 5
        level_shifting = "opto"
        relay_driver = "relay-module-opto"
        flyback_diode = true
        strike_supply = "12 V fused"
        exit_button_hardwired = true

        [[desks]]
        id = "w01"
        line = 16
        input_level_v = 3.3
        """)
}

func failures(_ text: String) throws -> [String] {
    try Pinout.parse(text, file: "p.toml").check().compactMap(\.failure)
}

@Suite struct PinoutTests {
    @Test func aRelayMustStateItsPolarityAndAnInputsPullMustHoldItAtRest() throws {
        let unstated = try failures(pinoutText { $0.replacingOccurrences(of: "relay_active_low = true\n", with: "") })
        #expect(
            unstated == [
                "door entree relay (GPIO22): set relay_active_low (true for optocoupled relay modules such as the SRD-05VDC boards, which switch on when IN is low), then check that the strike has no voltage with the daemon stopped (SAFETY.md)"
            ])
        let pulledDown = try failures(
            pinoutText {
                $0.replacingOccurrences(of: "contact = 23\n", with: "contact = 23\ncontact_bias = \"pull-down\"\n")
            })
        #expect(
            pulledDown == [
                "door entree contact_bias (GPIO23): pull-down on a line that rests high: a cut wire or an open switch would read active; use \"pull-up\" (or \"disabled\" with an external pull-up)"
            ])
        let typo = try failures(
            pinoutText { $0.replacingOccurrences(of: "line = 16\n", with: "line = 16\nbias = \"up\"\n") })
        #expect(typo == ["desk w01 bias (GPIO16): bias \"up\": expected pull-up, pull-down or disabled"])
        // Defaults: up for lines resting high, none behind a buffer (its output drives the line).
        let pinout = try Pinout.parse(pinoutText(), file: "p.toml")
        let door = try #require(pinout.doors?.first)
        #expect(Pinout.biases(door) == ("pull-up", "pull-up", "pull-up"))
        var buffered = door
        buffered.levelShifting = "buffer"
        #expect(Pinout.biases(buffered).data == "disabled")
    }

    @Test func theShippedPinoutPassesEveryCheck() throws {
        let pinout = try Pinout.load(path: repoRoot.appendingPathComponent("Hardware/pinout.toml").path)
        let checks = pinout.check()
        #expect(checks.count == 10 && checks.allSatisfy(\.passed))
        #expect(pinout.doors?.map(\.id) == ["entree", "sortie"])
    }

    @Test func brokenPinoutsFailNamingThePinAndItsUse() throws {
        #expect(try failures(pinoutText()).isEmpty)
        #expect(
            try failures(pinoutText { $0.replacingOccurrences(of: "line = 16", with: "line = 22") })
                == ["GPIO22 used twice: door entree relay and desk w01 sensor"])
        #expect(
            try failures(pinoutText { $0.replacingOccurrences(of: "line = 16", with: "line = 14") })
                == ["GPIO14 (desk w01 sensor) is reserved: reserved in this pinout"])
        #expect(
            try failures(pinoutText { $0.replacingOccurrences(of: "d0 = 17", with: "d0 = 0") })
                == ["GPIO0 (door entree Wiegand D0) is reserved: ID_SD (HAT EEPROM)"])
        #expect(
            try failures(pinoutText { $0.replacingOccurrences(of: "d1 = 27", with: "d1 = 40") })
                == ["GPIO40 (door entree Wiegand D1): not on the 40-pin header"])
        let unshifted = try failures(
            pinoutText { $0.replacingOccurrences(of: "level_shifting = \"opto\"\n", with: "") })
        #expect(
            unshifted.count == 1
                && unshifted[0].hasPrefix("door entree reader (GPIO17, GPIO27): 5.0 V input needs level_shifting"))
        let noDiode = try failures(pinoutText { $0.replacingOccurrences(of: "flyback_diode = true\n", with: "") })
        #expect(noDiode == ["door entree relay (GPIO22): set flyback_diode = true (a diode across the strike coil)"])
        let badDriver = try failures(
            pinoutText { $0.replacingOccurrences(of: "relay-module-opto", with: "gpio-direct") })
        #expect(badDriver.count == 1 && badDriver[0].contains("relay_driver \"gpio-direct\""))
        let softExit = try failures(
            pinoutText { $0.replacingOccurrences(of: "exit_button_hardwired = true\n", with: "") })
        #expect(softExit.count == 1 && softExit[0].hasPrefix("door entree: set exit_button_hardwired = true"))
        let twiceID = try failures(pinoutText { $0 + "\n[[desks]]\nid = \"w01\"\nline = 20\ninput_level_v = 3.3\n" })
        #expect(twiceID == ["desk id 'w01' appears twice"])
    }

    @Test func unreadablePinoutsGiveOneLine() {
        #expect(throws: ConfigError.self) {
            try Pinout.parse(pinoutText { $0 + "\ncolour = \"red\"\n" }, file: "p.toml")
        }
        do {
            _ = try Pinout.parse(
                pinoutText { $0.replacingOccurrences(of: "d0 = 17", with: "d0 = \"17\"") }, file: "p.toml")
            Issue.record("a string line was accepted")
        } catch {
            #expect(error.message == "pinout p.toml: doors[0].d0: expected a GPIO line number (BCM)")
        }
    }

    /// The sample config with its door lines removed and `[gpio] pinout` set.
    func siteWithPinout(_ pinout: String, keepLine: Bool = false) throws -> (String, String) {
        let dir = NSTemporaryDirectory() + "cantine-pinout-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var text = SampleConfig.text(databasePath: dir + "/c.db", simulated: true)
            .replacingOccurrences(of: "[gpio]\n", with: "[gpio]\npinout = \"pinout.toml\"\n")
        for key in [
            "d0_line", "d1_line", "relay_line", "relay_active_low", "contact_line", "contact_active_low",
            "exit_button_line", "exit_button_active_low", "fail_secure",
        ] {
            text = text.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix(key + " ") || (keepLine && key == "d0_line") }.joined(separator: "\n")
        }
        try pinout.write(toFile: dir + "/pinout.toml", atomically: true, encoding: .utf8)
        try text.write(toFile: dir + "/cantine.toml", atomically: true, encoding: .utf8)
        return (dir + "/cantine.toml", text)
    }

    @Test func theConfigAndSafeBootTakeTheirLinesFromThePinout() throws {
        let shipped = try String(contentsOf: repoRoot.appendingPathComponent("Hardware/pinout.toml"), encoding: .utf8)
        let (path, text) = try siteWithPinout(shipped)
        let config = try Config.load(path: path)
        let entree = try #require(config.doors.first { $0.id == "entree" })
        #expect(entree.d0Line == 17 && entree.d1Line == 27 && entree.relayLine == 22 && entree.contactLine == 23)
        // No chip in the pinout: the header's, found by its label.
        #expect(entree.exitButtonLine == 24 && entree.failSecure == true && entree.chip == nil)
        #expect(entree.relayActiveLow == true)
        #expect(entree.dataBias == "pull-up" && entree.contactBias == "pull-up" && entree.exitButtonBias == "pull-up")
        #expect(config.settings.doors.first { $0.door == "entree" }?.contactBias == .pullUp)
        let sortie = try #require(config.doors.first { $0.id == "sortie" })
        #expect(sortie.relayLine == 13 && sortie.exitButtonLine == 19)
        let plan = try RelayPlan.parse(text, file: path)
        #expect(plan.relays.map(\.relayLine) == [22, 13] && plan.relays.allSatisfy { $0.failSecure == true })
    }

    @Test func aLineInBothPlacesOrAPinoutThatFailsIsRefused() throws {
        let shipped = try String(contentsOf: repoRoot.appendingPathComponent("Hardware/pinout.toml"), encoding: .utf8)
        let (both, _) = try siteWithPinout(shipped, keepLine: true)
        #expect {
            try Config.load(path: both)
        } throws: {
            ($0 as? ConfigError)?.message.contains("doors[0].d0_line: the pinout pinout.toml gives this line") == true
        }
        let unsafe = shipped.replacingOccurrences(of: "relay = 13 ", with: "relay = 22 ")
        let (path, text) = try siteWithPinout(unsafe)
        for attempt in [{ _ = try Config.load(path: path) }, { _ = try RelayPlan.parse(text, file: path) }] {
            #expect {
                try attempt()
            } throws: {
                ($0 as? ConfigError)?.message.contains("GPIO22 used twice: door entree relay and door sortie relay")
                    == true
            }
        }
        let stranger = shipped.replacingOccurrences(of: "id = \"sortie\"", with: "id = \"cave\"")
        let (orphan, _) = try siteWithPinout(stranger)
        #expect {
            try Config.load(path: orphan)
        } throws: {
            ($0 as? ConfigError)?.message.contains("door 'cave' has no [[doors]] entry") == true
        }
    }

    @Test func theCommandPrintsEachCheckAndTheTally() throws {
        let dir = NSTemporaryDirectory() + "cantine-hw-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try pinoutText { $0.replacingOccurrences(of: "line = 16", with: "line = 17") }
            .write(toFile: dir + "/bad.toml", atomically: true, encoding: .utf8)
        let (status, out, _) = try cantine(["hardware", "check", dir + "/bad.toml"])
        #expect(status == 1)
        #expect(
            out.contains(
                "FAIL no pin is used twice\n     GPIO17 used twice: door entree Wiegand D0 and desk w01 sensor"))
        #expect(out.hasSuffix("9 passed, 1 failed\n"))
        let (good, okOut, _) = try cantine([
            "hardware", "check", repoRoot.appendingPathComponent("Hardware/pinout.toml").path,
        ])
        #expect(good == 0 && okOut.hasSuffix("10 passed, 0 failed\n"))
        let (missing, _, err) = try cantine(["hardware", "check", dir + "/none.toml"])
        #expect(missing != 0 && err.contains("cannot read the file"))
    }
}
