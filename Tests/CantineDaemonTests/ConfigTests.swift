// Config errors: each names the file, the key and what is expected.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineProtocol
import CantineWeb
import Foundation
import Testing

@Suite struct ConfigTests {
    let sample = SampleConfig.text(databasePath: "/tmp/x/cantine.db", simulated: true)

    func error(_ text: String, env: [String: String] = [:]) -> String? {
        do {
            _ = try Config.parse(text, file: "c.toml", environment: env)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func theSampleIsValidAndDescribesLaCantine() throws {
        let config = try Config.parse(sample, file: "c.toml")
        #expect(config.site.id == "paris")
        #expect(config.desks.count == 24)
        #expect(config.settings.layout.zones.count == 2)
        #expect(config.settings.layout.doors.map(\.direction) == [.entry, .exit])
        #expect(config.timeZone == "Europe/Paris")
        #expect(config.settings.layout.doors[0].pulse == .seconds(5))
    }

    @Test func aMinimalConfigNeedsOnlySiteAndDatabase() throws {
        let config = try Config.parse(
            "[site]\nid = \"nantes\"\nname = \"Cantine Nantes\"\n[database]\npath = \"/tmp/n.db\"\n", file: "c.toml")
        #expect(
            config.settings.http.port == 8080 && config.settings.mqtt.port == 1883 && config.doors.isEmpty
                && !config.settings.gpio.simulated)
        #expect(
            error("[site]\nid = \"nantes\"\nname = \"N\"\n") == "config c.toml: missing key database: it is required")
    }

    @Test func namesAMissingKey() {
        let text = sample.replacingOccurrences(of: "d0_line = 17", with: "")
        #expect(error(text) == "config c.toml: missing key doors[0].d0_line: it is required")
    }

    @Test func namesAKeyOfTheWrongType() {
        let text = sample.replacingOccurrences(of: "relay_line = 22", with: "relay_line = \"22\"")
        #expect(error(text) == "config c.toml: doors[0].relay_line: expected an integer")
        #expect(
            error(sample.replacingOccurrences(of: "fail_secure = true", with: "fail_secure = \"yes\""))
                == "config c.toml: doors[0].fail_secure: expected true or false")
        #expect(
            error(sample.replacingOccurrences(of: "name = \"La Cantine\"", with: "name = 3"))
                == "config c.toml: site.name: expected a string in quotes")
    }

    @Test func namesAnUnknownKey() {
        let text = sample.replacingOccurrences(of: "relay_line = 22", with: "relay_pin = 22\nrelay_line = 22")
        #expect(error(text)?.hasPrefix("config c.toml: unknown key ") == true)
        #expect(error(text)?.contains("relay_pin") == true)
    }

    @Test func namesTheLineOfASyntaxError() {
        let text = sample.replacingOccurrences(of: "capacity = 50", with: "capacity = = 50")
        #expect(error(text)?.hasPrefix("config c.toml:10: ") == true)
    }

    /// toml++ asserts (aborts the process) on a header whose name starts with a character a
    /// key cannot: such headers are refused first, read as code points like toml++ reads them
    /// ("[" and a combining mark after it are one Swift Character: found by the fuzzer).
    @Test func aTableHeaderTomlPlusPlusWouldAbortOnIsRefusedByLine() {
        #expect(
            error("[\u{0618}zones]\n" + sample)
                == "config c.toml:1: a table header starts with '\u{0618}': write [name] on one line, with ASCII letters, digits, - and _, or a quoted name"
        )
        #expect(
            error(sample + "\n[[ \u{00E9}t\u{00E9}]]\n")?.hasSuffix(
                "a table header starts with 'é': write [name] on one line, with ASCII letters, digits, - and _, or a quoted name"
            ) == true)
        // A '}' where an array holds values aborted toml++ too (`[3, }`, found by the fuzzer);
        // brackets in strings and comments, and nested arrays at the start of a line, are fine.
        #expect(
            error("reserved = [3,\n  }\n" + sample)
                == "config c.toml:2: '}' inside an array: an array is written [1, 2], a table {a = 1}")
        #expect(
            error("x = [\n  [ {b = 1} ],\n]\ny = \"\"\"\n[\n}\"\"\"\nz = [1, # }\n2]\n" + sample)?.contains(
                "unknown key") == true)
    }

    @Test func refusesReferencesAndValuesThatMakeNoSense() {
        #expect(
            error(
                sample.replacingOccurrences(
                    of: "zone = \"jardin\"\nnode = \"node-j12\"", with: "zone = \"cave\"\nnode = \"node-j12\""))
                == "config c.toml: desks[23].zone: no zone 'cave': add a [[zones]] entry with id = \"cave\"")
        #expect(
            error(sample.replacingOccurrences(of: "relay_line = 13", with: "relay_line = 22"))
                == "config c.toml: doors[1].relay_line: line 22 of the header's chip is already used by doors[0].relay_line"
        )
        #expect(
            error(sample.replacingOccurrences(of: "id = \"paris\"", with: "id = \"Paris 1\""))
                == "config c.toml: site.id: 'Paris 1' is not a valid id: use 1–64 of a-z 0-9 - _ (lower case)")
        #expect(
            error(sample.replacingOccurrences(of: "Europe/Paris", with: "Europe/Lutece"))
                == "config c.toml: site.time_zone: 'Europe/Lutece' is not a known time zone: use an IANA name such as Europe/Paris"
        )
        #expect(
            error(sample.replacingOccurrences(of: "port = 8080", with: "port = 80800"))
                == "config c.toml: http.port: expected 1 to 65535 (8080 by default)")
        #expect(
            error(sample.replacingOccurrences(of: "id = \"f02\"", with: "id = \"f01\""))
                == "config c.toml: desks[1].id: 'f01' is used twice: ids must be unique")
    }

    @Test func theBarcampGridAndReconcileRulesAreChecked() throws {
        let config = try Config.parse(sample, file: "c.toml")
        #expect(config.settings.program.count == 6)
        #expect(config.settings.program[1].start == "10:30" && config.settings.program[1].end == "11:15")
        #expect(config.settings.layout.reconcile.noShowGrace == .minutes(30))
        let later = try Config.parse(
            sample.replacingOccurrences(of: "no_show_grace_min = 30", with: "no_show_grace_min = 45"), file: "c.toml")
        #expect(later.settings.layout.reconcile.noShowGrace == .minutes(45))
        #expect(
            error(sample.replacingOccurrences(of: "\"10:30-11:15\"", with: "\"10:30-10:00\""))
                == "config c.toml: program.slots[1]: '10:30-10:00' is not a slot: use \"HH:MM-HH:MM\", e.g. \"10:00-10:45\""
        )
        #expect(
            error(sample.replacingOccurrences(of: "\"10:30-11:15\"", with: "\"10:00-11:15\""))
                == "config c.toml: program.slots[1]: slots must be in order and must not overlap")
        #expect(
            error(sample.replacingOccurrences(of: "no_show_grace_min = 30", with: "no_show_grace_min = 2"))
                == "config c.toml: reconcile.no_show_grace_min: expected 5 to 240 minutes (30 by default)")
        // Check-in times: local HH:MM within their period.
        let earlier = try Config.parse(
            sample.replacingOccurrences(of: "check_in_morning = \"10:00\"", with: "check_in_morning = \"09:15\""),
            file: "c.toml")
        #expect(earlier.settings.layout.reconcile.morningCheckIn == 9 * 60 + 15)
        #expect(earlier.settings.layout.reconcile.dayCheckIn == 11 * 60)
        for wrong in ["14:00", "9:15", "10h", "25:00"] {
            #expect(
                error(
                    sample.replacingOccurrences(
                        of: "check_in_morning = \"10:00\"", with: "check_in_morning = \"\(wrong)\""))
                    == "config c.toml: reconcile.check_in_morning: expected a time from 08:00 to 13:00 as \"HH:MM\" (10:00 by default)"
            )
        }
        #expect(
            error(sample.replacingOccurrences(of: "room_check_in_min = 15", with: "room_check_in_min = 0"))
                == "config c.toml: reconcile.room_check_in_min: expected 5 to 120 minutes (15 by default)")
    }

    @Test func theDisplayAndSpaceAPITablesAreChecked() throws {
        let config = try Config.parse(sample, file: "c.toml")
        #expect(config.settings.boardSettings == BoardSettings(locale: "fr", lateStart: .minutes(10), welcome: true))
        #expect(config.settings.spaceInfo == nil)
        let space = sample.replacingOccurrences(of: "# [spaceapi]", with: "[spaceapi]")
            .replacingOccurrences(of: "# url =", with: "url =").replacingOccurrences(of: "# logo =", with: "logo =")
            .replacingOccurrences(of: "# lat =", with: "lat =").replacingOccurrences(of: "# lon =", with: "lon =")
        #expect(try Config.parse(space, file: "c.toml").settings.spaceInfo?.lat == 48.8698)
        #expect(
            error(space.replacingOccurrences(of: "lat = 48.8698", with: "lat = 148.8"))
                == "config c.toml: spaceapi.lat: expected -90 to 90 degrees")
        #expect(
            error(space.replacingOccurrences(of: "url = \"https://lacantine.example\"", with: "url = \"lacantine\""))
                == "config c.toml: spaceapi.url: expected an http(s):// URL")
        #expect(
            error(sample.replacingOccurrences(of: "late_start_min = 10", with: "late_start_min = 90"))
                == "config c.toml: display.late_start_min: expected 0 to 60 minutes (10 by default)")
    }

    @Test func aRoomSensorIsANodeOfItsOwn() throws {
        let config = try Config.parse(sample, file: "c.toml")
        #expect(config.settings.layout.rooms.first?.node == "salle-1-pir")
        #expect(config.settings.layout.rooms.dropFirst().allSatisfy { $0.sensor == nil })
        #expect(config.settings.layout.reconcile.overstayGrace == .minutes(10))
        #expect(BrokerACL.text(config).contains("user salle-1-pir\ntopic write cantine/paris/rooms/salle-1/report"))
        #expect(
            error(sample.replacingOccurrences(of: "node = \"salle-1-pir\"", with: "node = \"node-f01\""))
                == "config c.toml: rooms[0].node: node 'node-f01' already serves desks[0]")
        #expect(
            error(sample.replacingOccurrences(of: "node = \"salle-1-pir\"", with: "node = \"PIR 1\""))?.hasPrefix(
                "config c.toml: rooms[0].node:") == true)
        #expect(
            error(sample.replacingOccurrences(of: "overstay_grace_min = 10", with: "overstay_grace_min = 500"))
                == "config c.toml: reconcile.overstay_grace_min: expected 0 to 120 minutes (10 by default)")
    }

    @Test func secretsComeFromTheEnvironmentButNotFromComments() throws {
        let text = sample.replacingOccurrences(of: "# username = \"cantine\"", with: "username = \"${MQTT_USER}\"")
        #expect(
            error(text)
                == "config c.toml:29: environment variable MQTT_USER is not set: export it, or write the value in the file"
        )
        let config = try Config.parse(text, file: "c.toml", environment: ["MQTT_USER": "can\"tine"])
        #expect(config.mqtt.username == "can\"tine")
        #expect(config.mqtt.password == nil)  // the commented-out ${CANTINE_MQTT_PASSWORD} is ignored
    }

    @Test func aPulseAboveTheCapIsAClearError() throws {
        #expect(
            throws: ConfigError(
                "config c.toml: doors[0].pulse_s: expected 0.1 to 10 seconds: an unlock is capped at 10 s (use relock_on_close or a hold-open schedule for longer)"
            )
        ) {
            try Config.parse(sample.replacingOccurrences(of: "pulse_s = 5 ", with: "pulse_s = 30 "), file: "c.toml")
        }
        let decimal = try Config.parse(
            sample.replacingOccurrences(of: "pulse_s = 5 ", with: "pulse_s = 2.5 "), file: "c.toml")
        #expect(decimal.settings.layout.doors[0].pulse == .milliseconds(2500))
    }

    @Test func aMissingFileSaysHowToCreateOne() {
        #expect(
            throws: ConfigError(
                .unreadable,
                "config /nonexistent.toml: file not found: create one with `cantine init --config /nonexistent.toml`")
        ) {
            try Config.load(path: "/nonexistent.toml")
        }
    }

    @Test func accessRulesComeFromTheAccessSection() throws {
        var text = sample
        for (old, new) in [
            ("public_hours = \"mon-fri 08:00-20:00\"", "public_hours = \"mon-fri 09:00-19:00\""),
            ("pin_after_hours = false", "pin_after_hours = true"), ("pin_timeout_s = 20", "pin_timeout_s = 15"),
            ("booking_margin_min = 15", "booking_margin_min = 10"),
            ("denied_alarm_count = 5", "denied_alarm_count = 3"),
            ("denied_alarm_window_s = 60", "denied_alarm_window_s = 30"),
            ("resident = \"always\"", "resident = \"mon-sat 07:00-23:00\""),
        ] {
            #expect(text.contains(old))
            text = text.replacingOccurrences(of: old, with: new)
        }
        let rules = try Config.parse(text, file: "c.toml").settings.layout.access
        #expect(rules.publicHours.description == "mon-fri 09:00-19:00")
        #expect(rules.planHours[.residentMonthly]?.description == "mon-sat 07:00-23:00")
        #expect(rules.planHours[.staff] == .always)
        #expect(rules.pinAfterHours && rules.pinTimeout == .seconds(15))
        #expect(
            rules.bookingMargin == .minutes(10) && rules.denialAlarmCount == 3 && rules.denialWindow == .seconds(30))
    }

    @Test(arguments: [
        ("staff = \"always\"", "weekly = \"always\"", "access.hours.weekly: no plan kind 'weekly'"),
        ("day = \"mon-sun 08:00-20:00\"", "day = \"mon-fri 8h-20h\"", "access.hours.day: hours 'mon-fri 8h-20h'"),
        (
            "public_hours = \"mon-fri 08:00-20:00\"", "public_hours = \"sun-mon 08:00-20:00\"",
            "access.public_hours: hours"
        ),
        ("pin_timeout_s = 20", "pin_timeout_s = 1", "access.pin_timeout_s: expected 3 to 120 seconds"),
        ("pin_after_hours = false", "pin_after_hours = \"yes\"", "access.pin_after_hours: expected true or false"),
        (
            "vacant_after_s = 120", "vacant_after_s = -1",
            "sensors.vacant_after_s: expected 0 to 3600 seconds (120 by default)"
        ),
        ("silent_after_s = 180", "silent_after_s = \"3m\"", "sensors.silent_after_s: expected a number of seconds"),
        ("outbox_max_age_h = 24", "outbox_max_age_h = 1000", "mqtt.outbox_max_age_h: expected 0 to 720 hours"),
        ("discovery = true", "discovery = 1", "mqtt.discovery: expected true or false"),
        ("desk_settle_ms = 50", "desk_settle_ms = 9000", "gpio.desk_settle_ms: expected 0 to 5000 milliseconds"),
        ("frame_end = \"adaptive\"", "frame_end = \"auto\"", "gpio.frame_end: expected \"adaptive\" or \"fixed\""),
        (
            "frame_end = \"adaptive\"", "frame_end = \"adaptive\"\ngap_timeout_ms = 30",
            "gpio.gap_timeout_ms: applies to frame_end = \"fixed\" only"
        ),
        (
            "node = \"node-f01\"", "node = \"node-f01\"\ngpio_active_low = true",
            "desks[0].gpio_active_low: only a wired sensor has a line"
        ),
        ("node = \"node-f02\"", "gpio_line = 17", "desks[1].gpio_line: line 17 of the header's chip is already"),
    ])
    func badAccessRulesAreOneLineErrors(old: String, new: String, message: String) {
        #expect(sample.contains(old))
        do {
            _ = try Config.parse(sample.replacingOccurrences(of: old, with: new), file: "c.toml")
            Issue.record("expected an error for \(new)")
        } catch {
            #expect(error.message.hasPrefix("config c.toml: \(message)"), "\(error.message)")
        }
    }

    @Test func aFrameEndsByItsOwnRhythmUnlessAFixedGapIsAskedFor() throws {
        func end(_ replacement: String) throws -> FrameEnd {
            try Config.parse(sample.replacingOccurrences(of: "frame_end = \"adaptive\"", with: replacement), file: "c")
                .settings.gpio.frameEnd
        }
        #expect(try end("frame_end = \"adaptive\"") == .adaptive)
        #expect(try end("frame_end = \"fixed\"") == .fixed(gapNanos: 25_000_000))
        #expect(try end("frame_end = \"fixed\"\ngap_timeout_ms = 40") == .fixed(gapNanos: 40_000_000))
        // A site that had tuned its gap before frame_end existed keeps it.
        #expect(try end("gap_timeout_ms = 40") == .fixed(gapNanos: 40_000_000))
    }

    @Test func aHeldOpenTimeAndRelockOnCloseArePerDoor() throws {
        let config = try Config.parse(
            sample.replacingOccurrences(of: "held_open_s = 30 ", with: "held_open_s = 45 ")
                .replacingOccurrences(of: "relock_on_close = false", with: "relock_on_close = true"),
            file: "c.toml")
        #expect(config.settings.layout.doors[0].heldOpenAfter == .seconds(45))
        #expect(config.settings.layout.doors[0].relockOnClose)
        #expect(config.settings.layout.doors[1].heldOpenAfter == Door.defaultHeldOpen)
        #expect(!config.settings.layout.doors[1].relockOnClose)
    }
}
