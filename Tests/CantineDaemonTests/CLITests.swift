// The `cantine` binary itself: exit codes, one-line errors on stderr, nothing lost.

import Foundation
import Testing

/// Runs the built `cantine` with `arguments`; returns (status, stdout, stderr).
@discardableResult
/// The `cantine` binary built beside the tests.
func cantineBinary() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cantine")
            .path,
        root.appendingPathComponent(".build/debug/cantine").path,
    ]
    return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) })
}

func cantine(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
    let binary = try cantineBinary()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// A site made by `cantine init` in a fresh directory (removed afterwards), for CLI tests.
final class CLISite {
    let dir = NSTemporaryDirectory() + "cantine-cli-" + UUID().uuidString
    var config: String { dir + "/cantine.toml" }
    var env: [String: String] { ["CANTINE_CONFIG": config] }

    /// Runs `cantine init` (`--simulated` unless `real`), then applies `edit` to the config text.
    init(real: Bool = false, edit: (String) -> String = { $0 }) throws {
        #expect(try cantine(real ? ["init"] : ["init", "--simulated"], environment: env).0 == 0)
        try edit(try String(contentsOfFile: config, encoding: .utf8)).write(
            toFile: config, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// Turns MQTT off in a config text (tests that need no broker).
    static func noMQTT(_ text: String) -> String {
        text.replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
    }
}

@Suite struct CLITests {
    func oneLine(_ text: String) -> Bool { text.hasPrefix("cantine: ") && text.filter { $0 == "\n" }.count == 1 }

    @Test func anUnknownArgumentIsOneLineAndExit64() throws {
        let (status, stdout, stderr) = try cantine(["members", "list", "--colour"])
        #expect(status == 64)
        #expect(stdout.isEmpty)
        #expect(oneLine(stderr))
        #expect(stderr.contains("--colour"))
    }

    @Test func aMissingConfigIsOneLineAndExit1() throws {
        let (status, _, stderr) = try cantine(["serve", "--config", "/nonexistent/cantine.toml"])
        #expect(status == 1)
        #expect(
            stderr
                == "cantine: config /nonexistent/cantine.toml: file not found: create one with `cantine init --config /nonexistent/cantine.toml`\n"
        )
    }

    @Test func helpGoesToStdoutWithExit0() throws {
        let (status, stdout, stderr) = try cantine(["--help"])
        #expect(status == 0)
        #expect(stdout.contains("SUBCOMMANDS"))
        #expect(stderr.isEmpty)
    }

    @Test func initThenWorkWithMembersBadgesBookingsAndReplay() throws {
        let site = try CLISite()
        let (config, env) = (site.config, site.env)
        // init again keeps the config and its database.
        let (again, againOut, againErr) = try cantine(["init"], environment: env)
        #expect(again == 0 && againOut.hasPrefix("kept \(config) (site paris)\n"), "\(againErr)")

        let (added, addOut, _) = try cantine(
            ["members", "add", "Ada Lovelace", "--id", "m-ada", "--plan", "resident", "--json"], environment: env)
        #expect(added == 0 && addOut.contains("\"id\" : \"m-ada\""))
        #expect(
            try cantine(
                ["badges", "enroll", "--member", "m-ada", "--card", "4242", "--facility", "42"], environment: env
            ).0 == 0)
        #expect(
            try cantine(
                ["bookings", "add", "m-ada", "--desk", "f01", "--date", "tomorrow", "--id", "bk-1"], environment: env
            ).0 == 0)
        let (clash, _, clashErr) = try cantine(
            ["bookings", "add", "m-ada", "--desk", "f01", "--date", "tomorrow", "--period", "pm"], environment: env)
        #expect(clash == 1 && oneLine(clashErr) && clashErr.contains("already booked"))
        let (badDate, _, badDateErr) = try cantine(
            ["bookings", "add", "m-ada", "--desk", "f02", "--date", "demain"], environment: env)
        #expect(badDate == 1 && badDateErr == "cantine: 'demain' is not a date: use YYYY-MM-DD, today or tomorrow\n")

        let (_, list, _) = try cantine(["badges", "list", "--json"], environment: env)
        #expect(list.contains("42/••42") && !list.contains("4242"))
        let (_, members, _) = try cantine(["members", "list"], environment: env)
        #expect(members.contains("Ada Lovelace"))
        // Marked gone while not inside: refused, in one line, and nothing stored.
        let (left, _, leftErr) = try cantine(["members", "left", "m-ada"], environment: env)
        #expect(left == 1 && leftErr == "cantine: member 'm-ada' is not inside: nothing to clear\n")

        // layout, member, plan, badge, booking (tomorrow's: nothing to reconcile yet): the two
        // refused commands stored nothing.
        let (replayed, replayOut, _) = try cantine(["replay", "--json"], environment: env)
        #expect(replayed == 0 && replayOut.contains("\"last_seq\" : 5"))

        // Door commands: what needs a daemon says so; bad options are usage errors.
        let (unlock, _, unlockErr) = try cantine(
            ["doors", "unlock", "entree", "--reason", "delivery"], environment: env)
        #expect(
            unlock == 1
                && unlockErr
                    == "cantine: no daemon is running, so nothing drives the entree relay: start `cantine serve`\n"
        )
        let (noWay, _, noWayErr) = try cantine(["badges", "enroll", "--member", "m-ada"], environment: env)
        #expect(noWay == 64 && noWayErr.contains("give exactly one of --card, --reader or --last-denied"))
        let (noCard, _, noCardErr) = try cantine(
            ["badges", "enroll", "--member", "m-ada", "--last-denied"], environment: env)
        #expect(
            noCard == 1 && oneLine(noCardErr) && noCardErr.contains("no unknown badge was read in the last 60 minutes"))
        let (log, logOut, _) = try cantine(["log", "--since", "2h", "--json"], environment: env)
        #expect(log == 0 && logOut.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")
        let (badLog, _, badLogErr) = try cantine(["log", "--outcome", "maybe"], environment: env)
        #expect(badLog == 64 && badLogErr.contains("--outcome: expected granted, denied or one of granted.plan"))
        let (badSince, _, badSinceErr) = try cantine(["log", "--since", "lundi"], environment: env)
        #expect(badSince == 1 && badSinceErr.hasPrefix("cantine: 'lundi' is not a time"))
    }

    @Test func theBarcampGridImportsAndExportsFromTheCommandLine() throws {
        let site = try CLISite(edit: CLISite.noMQTT)
        let env = site.env
        // Slot 2 of the sample grid is 10:30–11:15.
        let (added, addOut, addErr) = try cantine(
            ["sessions", "add", "--slot", "2", "--room", "salle-1", "Open data et vin", "--id", "s-1"], environment: env
        )
        #expect(added == 0 && addOut == "session s-1 'Open data et vin' scheduled\n", "\(addErr)")
        let (badSlot, _, badSlotErr) = try cantine(
            ["sessions", "add", "--slot", "9", "--room", "salle-1", "x"], environment: env)
        #expect(badSlot == 1 && badSlotErr == "cantine: --slot 9: the grid has slots 1 to 6 (see [program] slots)\n")
        let (moved, movedOut, _) = try cantine(
            ["sessions", "move", "s-1", "--slot", "3", "--room", "mezzanine"], environment: env)
        #expect(moved == 0 && movedOut.hasPrefix("session s-1 'Open data et vin' now mezzanine "))
        #expect(movedOut.hasSuffix(" 11:30–12:15\n"))

        // A daily coffee from an .ics file, three days of it.
        let file = site.dir + "/cafe.ics"
        try committeeFeed().replacingOccurrences(of: "RRULE:FREQ=WEEKLY;COUNT=3", with: "RRULE:FREQ=DAILY")
            .replacingOccurrences(
                of: "DTSTART;TZID=Europe/Paris:20261123T100000", with: "DTSTART;TZID=Europe/Paris:20200101T080000"
            )
            .replacingOccurrences(
                of: "DTEND;TZID=Europe/Paris:20261123T120000", with: "DTEND;TZID=Europe/Paris:20200101T083000"
            )
            .replacingOccurrences(of: "20261124T", with: "20200101T")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let (dry, dryOut, dryErr) = try cantine(["import", "ics", file, "--days", "3", "--dry-run"], environment: env)
        #expect(dry == 0 && dryOut.hasPrefix("dry run, nothing changed — feed 'cafe': 3 to add"), "\(dryErr)")
        let (imported, importOut, _) = try cantine(["import", "ics", file, "--days", "3"], environment: env)
        #expect(imported == 0 && importOut.hasPrefix("imported — feed 'cafe': 3 added"))
        let (bad, _, badErr) = try cantine(["import", "ics", site.dir + "/nothing.ics"], environment: env)
        #expect(bad == 1 && badErr == "cantine: \(site.dir)/nothing.ics: no such readable file\n")

        let out = site.dir + "/today.ics"
        let (exported, _, _) = try cantine(["export", "ics", "--output", out], environment: env)
        let ics = try String(contentsOfFile: out, encoding: .utf8)
        #expect(exported == 0 && ics.contains("SUMMARY:Open data et vin") && ics.contains("SUMMARY:Comité"))
        let (json, jsonOut, _) = try cantine(["export", "schedule"], environment: env)
        let root = try JSONSerialization.jsonObject(with: Data(jsonOut.utf8)) as? [String: Any]
        #expect(json == 0 && root?["schedule"] != nil)
        #expect(jsonOut.contains("Open data et vin"))

        let (findings, findingsOut, _) = try cantine(["findings", "list"], environment: env)
        #expect(findings == 0 && findingsOut == "no open findings\n")
        let (resolve, _, resolveErr) = try cantine(["findings", "resolve", "f-nope", "dismiss"], environment: env)
        #expect(resolve == 1 && resolveErr == "cantine: no finding 'f-nope': see `cantine findings list`\n")
    }

    /// libical writes its own warning to stderr for an END before any BEGIN; the user sees
    /// only Cantine's line.
    @Test func aBrokenCalendarIsOneLineOnStderrAndImportsNothing() throws {
        let site = try CLISite(edit: CLISite.noMQTT)
        let file = site.dir + "/broken.ics"
        try
            "END:VEVENT\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261121T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let (status, stdout, stderr) = try cantine(["import", "ics", file], environment: site.env)
        #expect(status == 1 && stdout.isEmpty)
        #expect(
            stderr
                == "cantine: line 1: 'END:VEVENT' ends a component that never began: every END needs its BEGIN before it; nothing was imported\n"
        )
        let (_, sessions, _) = try cantine(["sessions", "list"], environment: site.env)
        #expect(!sessions.contains("x"), "\(sessions)")
    }

    @Test func aCorruptedDatabaseIsOneLineAndLeftUntouched() throws {
        let site = try CLISite()
        let (dir, env) = (site.dir, site.env)
        let junk = Data(repeating: 0x5A, count: 4096)
        try junk.write(to: URL(fileURLWithPath: dir + "/cantine.db"))
        try? FileManager.default.removeItem(atPath: dir + "/cantine.db-wal")
        try? FileManager.default.removeItem(atPath: dir + "/cantine.db-shm")
        let (status, _, stderr) = try cantine(["members", "add", "Bob"], environment: env)
        #expect(status == 1 && oneLine(stderr) && stderr.contains("is corrupted or not a Cantine database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/cantine.db")) == junk)
    }
}

@Suite struct DoctorTests {
    @Test func aHealthySimulatedSiteIsAllOKAndABrokenConfigFails() throws {
        let site = try CLISite(edit: CLISite.noMQTT)
        let (config, env) = (site.config, site.env)
        let text = try String(contentsOfFile: config, encoding: .utf8)

        let (ok, out, _) = try cantine(["doctor"], environment: env)
        #expect(ok == 0)
        let lines = out.split(separator: "\n")
        #expect(lines.count == 6 && lines.allSatisfy { $0.hasPrefix("OK ") })
        #expect(out.contains("integrity ok, schema v10, site paris"))

        try text.replacingOccurrences(of: "Europe/Paris", with: "Mars/Olympus").write(
            toFile: config, atomically: true, encoding: .utf8)
        let (failed, failOut, _) = try cantine(["doctor", "--json"], environment: env)
        #expect(failed == 1)
        #expect(failOut.contains("\"ok\" : false") && failOut.contains("Mars/Olympus"))
    }

    @Test func realGPIOWithoutChipsFailsWithTheFix() throws {
        let site = try CLISite(real: true)  // gpio.mode = "real"
        let env = site.env
        let (status, out, _) = try cantine(["doctor"], environment: env)
        if FileManager.default.fileExists(atPath: "/dev/gpiochip0") {
            #expect(out.contains("gpio      the header's chip: gpiochip"))
        } else {
            #expect(status == 1)
            #expect(
                out.contains(
                    "FAIL gpio      no GPIO chip here is the 40-pin header's chip (pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835): no /dev/gpiochip* at all (not a Pi? set gpio.mode = \"simulated\")"
                ))
        }
    }
}

extension CLITests {
    /// What Firmware/test runs on the emulated node's reports: the daemon's decoder, line by line.
    @Test func checkReportsDecodesEachLineAsTheDaemonDoes() throws {
        let file = NSTemporaryDirectory() + "cantine-reports-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
        {"occupied":true,"seq":1,"uptime_s":3,"fw":"1.0.0","distance_cm":120}
        {"occupied":"yes","seq":2,"uptime_s":4,"fw":"1.0.0"}

        {"occupied":false,"seq":3,"uptime_s":9,"fw":"1.0.0"}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let (status, out, _) = try cantine(["mqtt", "check-reports", file])
        #expect(status == 1)
        #expect(
            out == """
                ok   1: occupied=true seq=1 uptime_s=3 fw=1.0.0 distance_cm=120
                FAIL 2: key "occupied" has the wrong type [wrong_type]
                ok   4: occupied=false seq=3 uptime_s=9 fw=1.0.0
                2 passed, 1 failed

                """)
        try "{\"occupied\":false,\"seq\":3,\"uptime_s\":9,\"fw\":\"1.0.0\"}\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        #expect(try cantine(["mqtt", "check-reports", file]).0 == 0)
        let missing = try cantine(["mqtt", "check-reports", file + ".none"])
        #expect(missing.0 != 0 && missing.2.contains("no such readable file"))
    }
}

extension CLITests {
    /// The Debian package's /etc/cantine/cantine.toml is `init --print --no-examples`: it loads,
    /// describes no door (so `doors list` prints nothing and the postinst starts nothing), and
    /// its commented example, uncommented, is a door again.
    @Test func thePackagedConfigDescribesNoDoorUntilItsExampleIsUncommented() throws {
        let dir = NSTemporaryDirectory() + "cantine-pkg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (printed, sample, _) = try cantine(["init", "--print", "--no-examples", "--database", dir + "/c.db"])
        #expect(printed == 0)
        #expect(sample.contains("# No door, desk or room yet: the daemon drives no line"))
        #expect(!sample.split(separator: "\n").contains("[[doors]]"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/c.db"), "--print creates nothing")
        let config = dir + "/cantine.toml"
        try sample.write(toFile: config, atomically: true, encoding: .utf8)
        let (listed, none, err) = try cantine(["doors", "list", "--config", config])
        #expect(listed == 0 && none.isEmpty && err.isEmpty)
        let (_, doctor, _) = try cantine(["doctor", "--config", config])
        #expect(doctor.contains("valid: site paris, 0 doors, 0 desks, 0 rooms"))

        // The admin uncomments the example doors (their block, up to the rooms).
        var lines = sample.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = try #require(lines.firstIndex(of: "# [[doors]]"))
        let end = try #require(lines.firstIndex(of: "# [[rooms]]"))
        for i in first..<end where lines[i].hasPrefix("# ") { lines[i].removeFirst(2) }
        try lines.joined(separator: "\n").write(toFile: config, atomically: true, encoding: .utf8)
        let (_, doors, _) = try cantine(["doors", "list", "--config", config])
        #expect(
            doors == "entree\tEntrée\tentry\td0 17, d1 27, relay 22, contact 23, exit button 24\n"
                + "sortie\tSortie (lecteur intérieur)\texit\td0 5, d1 6, relay 13, exit button 19\n")
    }

    /// The bring-up commands refuse what they cannot do, in one line with the fix; the watch
    /// runs on the simulated twin and says what each line rests at.
    @Test func hardwareWatchAndPulseOnTheTwinAndTheirRefusals() throws {
        let site = try CLISite(edit: CLISite.noMQTT)
        let env = site.env
        let (watched, out, _) = try cantine(
            ["hardware", "watch", "--door", "entree", "--seconds", "0.3"], environment: env)
        #expect(watched == 0)
        #expect(
            out.hasPrefix("watching gpiochip0 (pinctrl-bcm2711): entree: D0 17, D1 27, contact 23, exit button 24\n"))
        #expect(out.contains("entree D0 (line 17): high at rest") && out.contains("entree contact: closed"))
        let (unknown, _, unknownErr) = try cantine(["hardware", "watch", "--door", "nope"], environment: env)
        #expect(
            unknown == 1 && oneLine(unknownErr)
                && unknownErr.contains("no door 'nope' in the config (doors: entree, sortie)"))
        let (noTTY, _, noTTYErr) = try cantine(["hardware", "pulse", "entree"], environment: env)
        #expect(noTTY == 1 && oneLine(noTTYErr) && noTTYErr.contains("pass --yes to fire the pulse"))
        // A maglock (fail-safe) would be left open when the command lets its line go.
        let text = try String(contentsOfFile: site.config, encoding: .utf8)
        try text.replacingOccurrences(of: "fail_secure = true", with: "fail_secure = false").write(
            toFile: site.config, atomically: true, encoding: .utf8)
        let (failSafe, _, failSafeErr) = try cantine(["hardware", "pulse", "entree", "--yes"], environment: env)
        #expect(failSafe == 1 && oneLine(failSafeErr) && failSafeErr.contains("door entree is fail-safe"))
        let (_, rule, _) = try cantine(["install-service", "--print-udev-rule"])
        #expect(rule.contains(#"SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660""#))
    }
}
