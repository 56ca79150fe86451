// The entrance TV over HDMI-CEC, against a fake `cec-ctl` on the PATH that records its calls:
// registered once as a playback device, put in standby after closing (plus the margin), woken
// the margin before opening, kept on for an evening event; a missing cec-ctl changes nothing
// and is retried.

import CantineCore
import Foundation
import Logging
import Testing

@testable import CantineDaemon

@Suite struct ScreenPowerTests {
    @Test func theTVSleepsWhenTheSpaceIsClosedAndWakesBeforeItOpens() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let calls = dir + "/calls"
        try "#!/bin/sh\necho \"$@\" >> \(calls)\n".write(toFile: dir + "/cec-ctl", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/cec-ctl")
        func recorded() -> [String] {
            ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        let paris = SiteCalendar.cached("Europe/Paris")
        let friday = LocalDate("2026-11-20")!
        var layout = SiteLayout(
            site: "paris", name: "La Cantine", capacity: 10, zones: [], doors: [], desks: [],
            rooms: [Room(id: "salle-1", name: "Salle", capacity: 8)])
        layout.access.publicHours = try WeeklyHours(parsing: "mon-fri 08:00-20:00")
        let time = ManualTime(paris.instant(friday, hour: 12))
        let engine = Engine(site: "paris", state: State(), lastSeq: 0, time: time, journal: NoJournal())
        engine.submit(.layoutApplied(layout), source: "test")
        let power = ScreenPower(
            engine: engine, device: "/dev/cec0", margin: .minutes(15), logger: Logger(label: "t"),
            cecCtl: ScreenPower.runner(path: dir + ":/usr/bin:/bin"))
        func at(_ day: LocalDate, _ h: Int, _ m: Int = 0) {
            let t = paris.instant(day, hour: h, minute: m)
            time.advance(t - time.now())
            power.step()
        }

        at(friday, 12)  // open: registered, then woken
        #expect(recorded() == ["-d /dev/cec0 --playback", "-d /dev/cec0 --to 0 --image-view-on"])
        at(friday, 19, 30)
        at(friday, 20, 10)  // closed, but within the margin
        #expect(recorded().count == 2)
        at(friday, 20, 16)
        #expect(recorded().last == "-d /dev/cec0 --to 0 --standby" && recorded().count == 3)
        at(friday, 23)  // nothing new to say
        #expect(recorded().count == 3)
        let monday = paris.adding(days: 3, to: friday)
        at(monday, 7, 40)
        #expect(recorded().count == 3)
        at(monday, 7, 46)  // the margin before opening
        #expect(recorded().last == "-d /dev/cec0 --to 0 --image-view-on" && recorded().count == 4)
        // A Monday evening meetup keeps it on past 20:00.
        engine.submit(
            .sessionScheduled(
                ProgramSession(
                    id: "meetup", title: "Meetup", room: "salle-1", start: paris.instant(monday, hour: 20, minute: 30),
                    end: paris.instant(monday, hour: 22))), source: "test")
        at(monday, 21)
        #expect(recorded().count == 4)
        at(monday, 22, 16)
        #expect(recorded().last == "-d /dev/cec0 --to 0 --standby" && recorded().count == 5)
        #expect(recorded().filter { $0.hasSuffix("--playback") }.count == 1)

        // No cec-ctl anywhere: nothing sent, nothing believed, tried again next time.
        let missing = ScreenPower(
            engine: engine, device: "/dev/cec0", margin: .minutes(15), logger: Logger(label: "t"),
            cecCtl: ScreenPower.runner(path: "/nonexistent"))
        missing.step()
        #expect(missing.sent.withLock { $0.awake } == nil)
    }
}

/// A journal that keeps nothing (the engine's state is all this test reads).
final class NoJournal: JournalSink, Sendable {
    func enqueue(_ entries: [JournalEntry], attachment: (any JournalAttachment)?) {}
}
