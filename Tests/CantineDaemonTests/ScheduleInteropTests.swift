// The program as pretalx and frab users have it: their exports (v1 with link, attachment and
// track objects, both person shapes, a break, a session across midnight; v2) read whole, and
// the site's exports checked against the formats' own published rules — the c3voc JSON
// schema and frab's XSD, with python3-jsonschema and xmllint — then read back into a fresh
// site as the same sessions.

import CantineConfig
import CantineCore
import CantineImport
import CantineSite
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineDaemon
@testable import CantineWeb

@Suite struct ScheduleInteropTests {
    /// Saal 1 is the big room, the foyer's slots are the whole site's; the workshop room is
    /// another venue's.
    let jdl = ScheduleRooms(unmatched: .skip, map: ["Saal 1": "grande-salle", "Foyer": "*"])

    func frab() throws -> String { try String(contentsOf: fixture("frab-schedule.json"), encoding: .utf8) }

    func site(_ runtime: Site) -> FrabSchedule.Site {
        FrabSchedule.Site(
            id: "paris", name: "La Cantine", timeZone: "Europe/Paris",
            rooms: runtime.settings.layout.rooms.map { ($0.id.rawValue, $0.name) }, language: "fr",
            baseURL: "https://cantine.example.org/")
    }

    func sessions(_ runtime: Site) -> [ProgramSession] {
        runtime.engine.read { $0.sessions.values.sorted { ($0.start, $0.id) < ($1.start, $1.id) } }
    }

    let days = [LocalDate("2026-11-27")!, LocalDate("2026-11-28")!]

    @Test func frabAndV2ExportsAreReadWithEverythingTheyCarry() throws {
        let talks = try FrabSchedule.talks(in: Data(try frab().utf8))
        #expect(talks.count == 7)
        let first = try #require(talks.first { $0.details.sourceID == 4711 })
        #expect(
            first.details.persons == [.init(name: "Amélie Roux", id: 12), .init(name: "Bastien <B.> Leroy", id: 31)])
        #expect(first.details.links == [.init(url: "https://example.org/slides/4711.pdf", title: "Slides")])
        #expect(
            first.details.attachments == [
                .init(url: "https://frab.example.org/attachments/4711/paper.pdf", title: "Paper")
            ])
        #expect(first.details.abstract == "Ce que les collectivités ont appris; ce qu'elles \"ouvrent\" encore.")
        #expect(first.details.subtitle == "Dix ans de marchés publics")
        #expect(first.details.url == "https://frab.example.org/fr/jdl26/public/events/4711")
        #expect(first.details.slug == "jdl26-4711-logiciel-libre-et-collectivites")
        #expect(first.details.type == "lecture")
        #expect(first.details.language == "fr")
        #expect(first.track == "Ethics, Society & Politics")
        let long = try #require(talks.first { $0.details.sourceID == 4712 })
        #expect(long.track == "Hardware")  // a track object
        #expect(long.details.links == [.init(url: "https://example.org/reseaux", title: "https://example.org/reseaux")])
        #expect(long.title.count > 200 && long.title.hasSuffix("souvent bénévolement"))

        let v2 = try FrabSchedule.talks(in: try Data(contentsOf: fixture("schedule-v2.json")))
        #expect(v2.map(\.title) == ["Cartes libres", "Café réparation", "Déjeuner"])
        #expect(v2.map(\.room) == ["Grande salle", "Mezzanine", ""])  // by guid; the break has none
        #expect(v2.map(\.track) == ["Données ouvertes", "Données ouvertes", nil])  // by slug
        #expect(v2[0].details.abstract == "OpenStreetMap in the neighbourhood.")
        #expect(v2[1].persons == ["Gaspard", "Hélène"])
        #expect(v2[1].details.type == "hands-on")
        #expect(v2[2].details.type == "break")
    }

    @Test func everyMissingRoomIsNamedAtOnceWithTheFlagsThatFixIt() async throws {
        let (_, runtime) = try await ImportTests().site()
        let refused = await #expect(throws: CommandError.self) {
            try await runtime.perform(.importSchedule(text: try frab(), feed: "jdl26", dryRun: false), source: "t")
        }
        #expect(
            refused?.message
                == "3 rooms of the schedule are not rooms of the site (rooms here: salle-1, grande-salle, mezzanine): 'Saal 1' (3 talks), 'Foyer' (1 talk), 'Workshop-Raum' (1 talk); map each with --room \"Saal 1=<room id>\", add them to [[rooms]] or as rooms of the program only with --rooms create, or leave their talks out with --rooms skip; nothing was imported"
        )
        let dry = await #expect(throws: CommandError.self) {
            try await runtime.perform(.importSchedule(text: try frab(), feed: "jdl26", dryRun: true), source: "t")
        }
        #expect(dry?.message == refused?.message)  // the dry run refuses as the import does
        let wrongMap = await #expect(throws: CommandError.self) {
            try await runtime.perform(
                .importSchedule(
                    text: try frab(), feed: "jdl26", dryRun: false, rooms: ScheduleRooms(map: ["Saal 1": "saal"])),
                source: "t")
        }
        #expect(
            wrongMap?.message
                == "--room 'Saal 1=saal': 'saal' is not a room of the site (ids: salle-1, grande-salle, mezzanine); nothing was imported"
        )
        #expect(sessions(runtime).isEmpty)
    }

    @Test func mappedRoomsASiteWideBreakAndASessionAcrossMidnight() async throws {
        let (_, runtime) = try await ImportTests().site()
        let result = try await runtime.perform(
            .importSchedule(text: try frab(), feed: "jdl26", dryRun: false, rooms: jdl), source: "t")
        #expect(result.message.hasPrefix("imported — feed 'jdl26': 6 added, 0 updated, 0 cancelled, 0 unchanged"))
        #expect(result.message.hasSuffix("left out (--rooms skip): 'Workshop-Raum' (1 talk)"))
        let all = sessions(runtime)
        #expect(all.map(\.room) == ["grande-salle", "salle-1", "grande-salle", nil, "mezzanine", "grande-salle"])
        #expect(all[3].kind == .break && all[3].title == "Pause déjeuner")
        #expect(runtime.calendar.text(all[4].end) == "2026-11-28 01:30")  // across midnight
        #expect(all[2].title.count > 200)  // kept whole
        #expect(all[0].details?.persons.map(\.name) == ["Amélie Roux", "Bastien <B.> Leroy"])

        // Imported again unchanged: nothing changes and nothing is journaled.
        let seq = runtime.engine.lastSeq
        let again = try await runtime.perform(
            .importSchedule(text: try frab(), feed: "jdl26", dryRun: false, rooms: jdl), source: "t")
        #expect(
            again.message.hasPrefix("nothing to change — feed 'jdl26': 0 to add, 0 to update, 0 to cancel, 6 unchanged")
        )
        #expect(runtime.engine.lastSeq == seq)
    }

    /// The imported program plus the site's own sessions (a barcamp slot, a site-wide break).
    func program() async throws -> (TestSite, Site) {
        let (test, runtime) = try await ImportTests().site()
        _ = try await runtime.perform(
            .importSchedule(text: try frab(), feed: "jdl26", dryRun: false, rooms: jdl), source: "t")
        _ = try await runtime.perform(
            .addSession(
                title: "Café & croissants", room: nil, date: "2026-11-28", start: "09:00", end: "09:30", kind: .break,
                track: nil, speakers: [], id: nil), source: "t")
        _ = try await runtime.perform(
            .addSession(
                title: "Barcamp: <le> \"grand\" tableau", room: "salle-1", date: "2026-11-28", start: "11:00",
                end: "11:45", kind: .barcamp, track: "Données", speakers: ["Ines"], id: nil), source: "t")
        return (test, runtime)
    }

    @Test func theExportsPassTheC3VOCSchemaAndFrabsXSD() async throws {
        let (test, runtime) = try await program()
        let json = FrabSchedule.export(sessions(runtime), days: days, site: site(runtime))
        let jsonFile = test.dir + "/schedule.json"
        try json.write(to: URL(fileURLWithPath: jsonFile))
        // The c3voc schema as published; pretalx's newer copy with its formats (uuid, uri, date-time).
        for (schema, formats) in [("schema.c3voc.json", false), ("schema.pretalx.json", true)] {
            let (status, out) = try tool(
                "python3",
                [fixture("schedule/validate.py").path, fixture("schedule/" + schema).path, jsonFile]
                    + (formats ? ["--formats"] : []))
            #expect(status == 0, "\(schema): \(out)")
        }
        let xml = FrabSchedule.exportXML(sessions(runtime), days: days, site: site(runtime))
        let xmlFile = test.dir + "/schedule.xml"
        try xml.write(toFile: xmlFile, atomically: true, encoding: .utf8)
        for xsd in ["schedule.c3voc.xsd", "schedule.pretalx.xsd"] {
            let (status, out) = try tool("xmllint", ["--noout", "--schema", fixture("schedule/" + xsd).path, xmlFile])
            #expect(status == 0, "\(xsd): \(out)")
        }

        // Each session once, on the day it starts; the site-wide break once, in the site's room.
        let root = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let conference = try #require((root["schedule"] as? [String: Any])?["conference"] as? [String: Any])
        let exportedDays = try #require(conference["days"] as? [[String: Any]])
        func events(_ day: Int) -> [[String: Any]] {
            ((exportedDays[day]["rooms"] as? [String: [[String: Any]]]) ?? [:]).values.flatMap { $0 }
        }
        #expect(events(0).count == 5 && events(1).count == 3)
        #expect(events(0).filter { $0["title"] as? String == "Nuit du code" }.count == 1)
        #expect(events(1).allSatisfy { $0["title"] as? String != "Nuit du code" })
        let rooms = exportedDays[1]["rooms"] as? [String: [[String: Any]]]
        #expect(rooms?["La Cantine"]?.map { $0["title"] as? String } == ["Café & croissants"])
        #expect(
            events(0).first { $0["id"] as? Int == 4711 }?["url"] as? String
                == "https://frab.example.org/fr/jdl26/public/events/4711")
        let own = try #require(events(1).first { ($0["title"] as? String)?.hasPrefix("Barcamp") == true })
        #expect((own["url"] as? String)?.hasPrefix("https://cantine.example.org/program#s-") == true)
        #expect(own["language"] as? String == "fr" && own["type"] as? String == "Barcamp")

        // The same ids in a one-day export and in the next export (they never restart at 1).
        let dayTwo = try FrabSchedule.talks(
            in: FrabSchedule.export(sessions(runtime), days: [days[1]], site: site(runtime)))
        let both = try FrabSchedule.talks(in: json)
        for talk in dayTwo {
            #expect(both.first { $0.key == talk.key }?.details.sourceID == talk.details.sourceID)
        }
    }

    @Test func exportThenImportIntoAFreshSiteGivesTheSameSessions() async throws {
        let (_, runtime) = try await program()
        let before = sessions(runtime)
        let json = FrabSchedule.export(before, days: days, site: site(runtime))
        let (_, fresh) = try await ImportTests().site()
        let result = try await fresh.perform(
            .importSchedule(text: String(decoding: json, as: UTF8.self), feed: "jdl26", dryRun: false),
            source: "t")
        #expect(result.message.hasPrefix("imported — feed 'jdl26': 8 added"))
        let after = sessions(fresh)
        #expect(after.count == before.count)
        for (a, b) in zip(before, after) {
            #expect(a.title == b.title && a.room == b.room && a.kind == b.kind && a.track == b.track)
            #expect(a.start == b.start && a.end == b.end && a.speakers == b.speakers, "\(a.title)")
            #expect(a.details?.abstract == b.details?.abstract)
            if a.origin != nil {
                // An imported session comes back whole: id, origin and every detail.
                #expect(a == b, "\(a.title)")
            }
        }
        // The XML carries the same program: every guid and id of the JSON.
        let xml = FrabSchedule.exportXML(before, days: days, site: site(runtime))
        for talk in try FrabSchedule.talks(in: json) {
            #expect(xml.contains("guid=\"\(talk.key)\"") && xml.contains("id=\"\(talk.details.sourceID ?? 0)\""))
        }
    }
}

@Suite struct ProgramWebTests {
    @Test func theProgramIsPublishedCacheableAndRevalidated() async throws {
        let (test, runtime) = try await ScheduleInteropTests().program()
        test.time.advance(.seconds(6 * 86_400))  // 2026-11-27 10:00 Paris, the first day
        var context = WebContext(site: runtime, version: "t")
        let identity = ScheduleInteropTests().site(runtime)
        context.program = ProgramPublisher(site: identity, engine: runtime.engine)
        let app = Application(router: buildRouter(context))
        try await app.test(.router) { client in
            var etag = ""
            var modified = ""
            try await client.execute(uri: "/program/schedule.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.headers[.cacheControl] == "public, max-age=60")
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                etag = response.headers[.eTag] ?? ""
                modified = response.headers[.lastModified] ?? ""
                #expect(modified == "Fri, 27 Nov 2026 09:00:00 GMT")
                // The same file as the export of today and the coming days.
                let today = ScheduleInteropTests().days
                let expected = FrabSchedule.export(
                    ScheduleInteropTests().sessions(runtime), days: today, site: identity)
                #expect(Data(buffer: response.body) == expected)
            }
            #expect(etag.hasPrefix("\"") && etag.hasSuffix(".json\""))
            try await client.execute(uri: "/program/schedule.json", method: .get, headers: [.ifNoneMatch: etag]) {
                #expect($0.status == .notModified && $0.body.readableBytes == 0)
            }
            // A proxy that compresses hands back a weak tag: the same copy.
            try await client.execute(uri: "/program/schedule.json", method: .get, headers: [.ifNoneMatch: "W/" + etag])
            {
                #expect($0.status == .notModified)
            }
            try await client.execute(uri: "/program/schedule.json", method: .get, headers: [.ifModifiedSince: modified])
            {
                #expect($0.status == .notModified)
            }
            try await client.execute(uri: "/program/schedule.xml", method: .get) { response in
                #expect(response.headers[.contentType] == "application/xml; charset=utf-8")
                #expect(String(buffer: response.body).contains("<title>Nuit du code</title>"))
            }
            try await client.execute(uri: "/program/program.ics", method: .get) { response in
                #expect(response.headers[.contentType] == "text/calendar; charset=utf-8")
                let events = try ICSReader.events(in: String(buffer: response.body))
                #expect(events.count == 8)
            }
            try await client.execute(uri: "/program", method: .get) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains("<h3>Barcamp: &lt;le&gt; &quot;grand&quot; tableau</h3>"))
                #expect(page.contains("Aujourd’hui · vendredi 27 novembre"))
                #expect(page.contains("Tout le lieu"))  // the site-wide break
                // It marks what is on now: never answered from a stale copy.
                #expect(response.headers[.eTag] == nil && response.headers[.cacheControl] == "no-store")
                #expect(!page.contains("<script"))
            }

            // The program changes an hour later: a new version, a new date; the old tag is stale.
            test.time.advance(.seconds(3600))
            let git = try #require(ScheduleInteropTests().sessions(runtime).first { $0.title == "Atelier Git" })
            _ = try await runtime.perform(.removeSession(id: git.id.rawValue), source: "t")
            try await client.execute(uri: "/program/schedule.json", method: .get, headers: [.ifNoneMatch: etag]) {
                #expect($0.status == .ok)
                #expect($0.headers[.lastModified] == "Fri, 27 Nov 2026 10:00:00 GMT")
                #expect(!String(buffer: $0.body).contains("Atelier Git"))
            }
        }
    }

    @Test func spaceAPIsCalendarIsTheDaemonsOwnByDefault() throws {
        func uncommentSpaceAPI(_ text: String) -> String {
            var text = text
            for line in ["[spaceapi]", "url = ", "logo = ", "lat = ", "lon = "] {
                text = text.replacingOccurrences(of: "\n# " + line, with: "\n" + line)
            }
            return text
        }
        let settings = try TestSite(edit: uncommentSpaceAPI).config.settings
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        #expect(settings.http.publicURL == "http://\(host).local:8080")
        #expect(settings.spaceInfo?.calendarURL == "http://\(host).local:8080/program/program.ics")
        let given = try TestSite {
            uncommentSpaceAPI($0).replacingOccurrences(
                of: "[http]\n", with: "[http]\npublic_url = \"https://cantine.example.org/\"\n")
        }.config.settings
        #expect(given.http.publicURL == "https://cantine.example.org")
        #expect(given.spaceInfo?.calendarURL == "https://cantine.example.org/program/program.ics")
        #expect(
            throws: ConfigError.self,
            performing: {
                try TestSite {
                    $0.replacingOccurrences(of: "[http]\n", with: "[http]\npublic_url = \"cantine.local\"\n")
                }
            })
    }
}

/// Runs a tool on the PATH: its exit status and what it printed (stdout, and stderr unless
/// `quiet`: zbar's D-Bus complaints are not the decoded text).
func tool(_ name: String, _ arguments: [String], quiet: Bool = false) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [name] + arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = quiet ? FileHandle.nullDevice : out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

@Suite struct ProgramICSTests {
    @Test func categoriesAndTextsAreEscapedPerRFC5545AndReadBackWhole() throws {
        let start = Instant(seconds: 1_795_251_600)
        let session = ProgramSession(
            id: "s-1", title: "Données; ouvertes, \\ partagées", room: "salle-1", start: start,
            end: start + .minutes(45), kind: .talk, track: "Ethics, Society & Politics",
            speakers: ["Amélie Roux", "Bastien"])
        let site = FrabSchedule.Site(
            id: "paris", name: "La Cantine", timeZone: "Europe/Paris", rooms: [("salle-1", "Salle de réunion")],
            language: "fr")
        var long = session
        long.id = "s-2"
        long.title = String(repeating: "Réseaux communautaires ", count: 12) + "à Paris"
        long.details = SessionDetails(url: "https://pretalx.example.org/t/ABC/", abstract: "Ligne 1\nLigne 2")
        let text = ICSWriter.calendar([session, long], site: site, stamp: start)
        // Lines folded at 75 octets (RFC 5545 §3.1), never inside a character.
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 75, "\(line)") }
        #expect(text.contains("CATEGORIES:talk,Ethics\\, Society & Politics\r\n"))
        #expect(text.contains("SUMMARY:Données\\; ouvertes\\, \\\\ partagées\r\n"))
        let events = try ICSReader.events(in: text)
        let event = try #require(events.first)
        #expect(event.categories == ["talk", "Ethics, Society & Politics"])
        #expect(event.summary == "Données; ouvertes, \\ partagées")
        #expect(events.last?.summary == long.title)
        #expect(text.contains("URL:https://pretalx.example.org/t/ABC/\r\n"))
        #expect(text.contains("URL:http://localhost/program#s-s-1\r\n"))
    }
}

@Suite struct ProgramBrowserTests {
    @Test(.enabled(if: BrowserTests.chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func theProgramReadsOnAPhoneAndOnALaptop() async throws {
        let executable = try #require(BrowserTests.chromium, "chromium is missing: run scripts/setup-deps")
        let (test, runtime) = try await ScheduleInteropTests().program()
        test.time.advance(.seconds(6 * 86_400 + 1800))  // Friday 27 November, 10:30: talks under way
        var context = WebContext(site: runtime, version: "t")
        context.program = ProgramPublisher(site: ScheduleInteropTests().site(runtime), engine: runtime.engine)
        let shots = FileManager.default.currentDirectoryPath + "/.build/screenshots"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        try await Application(router: buildRouter(context)).test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let browser = try await Browser(executable: executable)
            defer { browser.quit() }
            try await browser.open(base + "/healthz")
            for (name, width, height, mobile) in [("phone", 390, 844, true), ("laptop", 1440, 900, false)] {
                try await browser.call(
                    "Emulation.setDeviceMetricsOverride",
                    ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile])
                try await browser.navigate(base + "/program")
                #expect(try await browser.waitFor("innerWidth === \(width)"))
                let problems =
                    try await browser.evaluate(
                        """
                        (() => {
                          const out = [];
                          if (document.documentElement.scrollWidth > innerWidth) out.push('page wider than the screen');
                          for (const e of document.querySelectorAll('main *')) {
                            const r = e.getBoundingClientRect();
                            if (r.width && (r.left < 0 || r.right > innerWidth + 0.5)) out.push('outside: ' + e.textContent.slice(0, 30));
                          }
                          const title = parseFloat(getComputedStyle(document.querySelector('li h3')).fontSize);
                          if (title < 17) out.push('titles ' + title + ' px');
                          for (const s of document.querySelectorAll('summary'))
                            if (s.getBoundingClientRect().height < 44) out.push('tap target ' + s.getBoundingClientRect().height);
                          return out.slice(0, 5).join(' | ');
                        })()
                        """) as? String
                #expect(problems == "", "\(name): \(problems ?? "?")")
                #expect(
                    try await browser.evaluate("document.querySelectorAll('li.live').length") as? Int == 2,
                    "the two talks under way at 10:30 are marked")
                #expect(
                    try await browser.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent).join('|')")
                        as? String == "Aujourd’hui · vendredi 27 novembre|samedi 28 novembre")
                #expect(try await browser.screenshot(to: "\(shots)/program-\(name).png") > 10_000)
                try await browser.evaluate("document.querySelector('details').open = true; scrollTo(0, 700)")
                #expect(try await browser.screenshot(to: "\(shots)/program-\(name)-scrolled.png") > 10_000)
            }
            // The day on the phone: before the first talk, over lunch, and in the night session.
            try await browser.call(
                "Emulation.setDeviceMetricsOverride",
                ["width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true])
            for (moment, advance, live, over) in [
                ("noon", 2 * 3600 + 15 * 60, ["Pause déjeuner"], 3),
                ("night", 10 * 3600 + 30 * 60, ["Nuit du code"], 4),
            ] {
                test.time.advance(.seconds(Int64(advance)))
                try await browser.navigate(base + "/program")
                let shown =
                    try await browser.evaluate(
                        "[[...document.querySelectorAll('li.live h3')].map(h => h.textContent), document.querySelectorAll('li.over').length]"
                    ) as? [Any]
                #expect(shown?.first as? [String] == live, "\(moment)")
                #expect(shown?.last as? Int == over, "\(moment)")
                // What is over is folded away: the session on now is on the first screen.
                #expect(
                    try await browser.evaluate(
                        "document.querySelector('li.live').getBoundingClientRect().bottom <= innerHeight") as? Bool
                        == true, "\(moment)")
                #expect(try await browser.screenshot(to: "\(shots)/program-phone-\(moment).png") > 10_000)
            }
        }
    }
}

@Suite struct CalendarImportRFCTests {
    func importYear(_ runtime: Site, _ text: String, feed: String = "rfc", dryRun: Bool = false) async throws
        -> OperationResult
    {
        try await runtime.perform(
            .importCalendar(
                text: text, feed: feed, target: .sessions, member: nil, from: "2027-01-01", days: 366, dryRun: dryRun),
            source: "test")
    }

    @Test func nominalDaysImportWithoutClashingWithThemselves() async throws {
        let (_, runtime) = try await ImportTests().site()
        let text = try String(
            contentsOf: fixture("ics/rfc-cases.ics"), encoding: .utf8)
        let dry = try await importYear(runtime, text, dryRun: true)
        #expect(dry.message.hasPrefix("dry run, nothing changed — feed 'rfc': 11 to add"))
        let done = try await importYear(runtime, text)
        #expect(done.message.hasPrefix("imported — feed 'rfc': 11 added"))
        let seq = runtime.engine.lastSeq
        let again = try await importYear(runtime, text)
        #expect(
            again.message.hasPrefix("nothing to change — feed 'rfc': 0 to add, 0 to update, 0 to cancel, 11 unchanged"))
        #expect(runtime.engine.lastSeq == seq)
    }

    @Test func theDryRunRefusesWhatTheImportRefuses() async throws {
        let (_, runtime) = try await ImportTests().site()
        let text = try String(contentsOf: fixture("ics/rfc-cases.ics"), encoding: .utf8)
        _ = try await importYear(runtime, text)
        // Another feed's committee in the same room at the same time: a clash.
        let other = text.replacingOccurrences(of: "UID:comite@cantine", with: "UID:autre@cantine")
        // An event with neither DTEND nor DURATION: no length.
        let lengthless =
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//FR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Sans fin\r\n"
            + "LOCATION:mezzanine\r\nDTSTART;TZID=Europe/Paris:20270301T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        for (feed, refused) in [("other", other), ("lengthless", lengthless)] {
            var messages: [String] = []
            for dryRun in [true, false] {
                do {
                    _ = try await importYear(runtime, refused, feed: feed, dryRun: dryRun)
                    messages.append("accepted")
                } catch let error as CommandError {
                    messages.append(error.message)
                }
            }
            #expect(messages[0] == messages[1], "\(feed)")
            #expect(messages[0] != "accepted", "\(feed)")
        }
    }

    @Test func anUnchangedFeedOfPastItemsJournalsNothing() async throws {
        let (test, runtime) = try await ImportTests().site()
        _ = try await ImportTests().importICS(runtime, committeeFeed())
        // Three weeks later, every item is over and the state has forgotten the oldest.
        test.time.advance(.seconds(21 * 86_400))
        _ = try await runtime.perform(
            .addSession(
                title: "Atelier", room: "mezzanine", date: "today", start: "14:00", end: "15:00", kind: .workshop,
                track: nil, speakers: [], id: nil), source: "test")
        #expect(runtime.engine.read { $0.sessions.count } == 2)  // the oldest are forgotten, the records kept
        let seq = runtime.engine.lastSeq
        let again = try await runtime.perform(
            .importCalendar(
                text: committeeFeed(), feed: "cal", target: .sessions, member: nil, from: "2026-11-21", days: 60,
                dryRun: false), source: "test")
        #expect(
            again.message
                == "nothing to change — feed 'cal': 0 to add, 0 to update, 0 to cancel, 1 unchanged, 3 past left alone")
        #expect(runtime.engine.lastSeq == seq)
    }
}

@Suite struct CalendarRoomTests {
    /// A shared Google calendar: a room by its alias, by an address, a video call, a café.
    let shared = """
        BEGIN:VCALENDAR\r
        VERSION:2.0\r
        PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
        BEGIN:VEVENT\r
        UID:a@google.com\r
        SUMMARY:Comité\r
        LOCATION:Salle 1\\, 151 rue Montmartre\\, 75002 Paris\\, France\r
        DTSTART:20261123T090000Z\r
        DTEND:20261123T100000Z\r
        END:VEVENT\r
        BEGIN:VEVENT\r
        UID:b@google.com\r
        SUMMARY:Point hebdo\r
        LOCATION:room 1\r
        DTSTART:20261124T090000Z\r
        DTEND:20261124T100000Z\r
        END:VEVENT\r
        BEGIN:VEVENT\r
        UID:c@google.com\r
        SUMMARY:Visio partenaires\r
        LOCATION:https://meet.google.com/abc-defg-hij\r
        DTSTART:20261125T090000Z\r
        DTEND:20261125T100000Z\r
        END:VEVENT\r
        BEGIN:VEVENT\r
        UID:d@google.com\r
        SUMMARY:Déjeuner\r
        LOCATION:Café de la Poste\r
        DTSTART:20261125T110000Z\r
        DTEND:20261125T120000Z\r
        END:VEVENT\r
        END:VCALENDAR\r

        """

    func site() throws -> (TestSite, Site) {
        let test = try TestSite {
            $0.replacingOccurrences(
                of: "name = \"Salle de réunion\"",
                with: "name = \"Salle de réunion\"\naliases = [\"Salle 1\", \"Room 1\"]")
        }
        return (test, try test.open())
    }

    func run(_ runtime: Site, _ unmatched: UnmatchedRooms, dryRun: Bool = true) async throws -> OperationResult {
        try await runtime.perform(
            .importCalendar(
                text: shared, feed: "google", target: .sessions, member: nil, from: "today", days: 30, dryRun: dryRun,
                unmatched: unmatched), source: "t")
    }

    @Test func locationsMatchByAliasAndAddressAndTheRestIsNamedOrSkipped() async throws {
        let (_, runtime) = try site()
        let refused = await #expect(throws: CommandError.self) { try await run(runtime, .refuse) }
        #expect(
            refused?.message
                == "2 events' LOCATIONs are not a room of the site: line 18 'https://meet.google.com/abc-defg-hij', line 25 'Café de la Poste'; give the room an alias (aliases = [\"…\"] in [[rooms]]), or import with --unmatched skip or --unmatched site; nothing was imported"
        )
        let skipped = try await run(runtime, .skip, dryRun: false)
        #expect(skipped.message.hasPrefix("imported — feed 'google': 2 added"))
        #expect(
            skipped.message.hasSuffix(
                "left out (--unmatched skip): line 18 'https://meet.google.com/abc-defg-hij', line 25 'Café de la Poste'"
            ))
        let rooms = runtime.engine.read { $0.sessions.values.sorted { $0.start < $1.start }.map(\.room) }
        #expect(rooms == ["salle-1", "salle-1"])
        let whole = try await run(runtime, .site)
        #expect(whole.message.hasPrefix("dry run, nothing changed — feed 'google': 2 to add, 0 to update"))
    }
}

@Suite struct MidnightSessionTests {
    @Test func aManualSessionMayCrossMidnightLikeAnImportedOne() async throws {
        let (_, runtime) = try await ImportTests().site()
        _ = try await runtime.perform(
            .addSession(
                title: "Nuit du code", room: "mezzanine", date: "2026-11-28", start: "23:30", end: "01:00",
                kind: .workshop, track: nil, speakers: [], id: "s-nuit"), source: "t")
        let session = try #require(runtime.engine.read { $0.sessions["s-nuit"] })
        #expect(runtime.calendar.text(session.start) == "2026-11-28 23:30")
        #expect(runtime.calendar.text(session.end) == "2026-11-29 01:00")
        let typo = await #expect(throws: CommandError.self) {
            try await runtime.perform(
                .addSession(
                    title: "Matin", room: "mezzanine", date: "2026-11-28", start: "10:00", end: "09:00", kind: .talk,
                    track: nil, speakers: [], id: nil), source: "t")
        }
        #expect(
            typo?.message
                == "the session would end at 09:00 the next day, over 12 hours after it starts: check --start and --end"
        )
        _ = try await runtime.perform(
            .editSession(id: "s-nuit", title: nil, room: nil, date: nil, start: "22:00", end: "00:30"), source: "t")
        #expect(
            runtime.engine.read { $0.sessions["s-nuit"].map { runtime.calendar.text($0.end) } } == "2026-11-29 00:30")
    }
}

@Suite struct ProgramRoomTests {
    @Test func aConferencesOwnHallBecomesARoomOfTheProgramOnly() async throws {
        let (test, runtime) = try await ImportTests().site()
        let text = try ScheduleInteropTests().frab()
        let rooms = ScheduleRooms(unmatched: .create, map: ["Saal 1": "grande-salle", "Foyer": "*"])
        let dry = try await runtime.perform(
            .importSchedule(text: text, feed: "jdl26", dryRun: true, rooms: rooms), source: "t")
        #expect(dry.message.hasPrefix("dry run, nothing changed — feed 'jdl26': 7 to add"))
        #expect(
            dry.message.hasSuffix("+ add room 'Workshop-Raum' as workshop-raum, of the program only (--rooms create)"))
        #expect(runtime.engine.read { $0.programRooms } == nil)

        let done = try await runtime.perform(
            .importSchedule(text: text, feed: "jdl26", dryRun: false, rooms: rooms), source: "t")
        #expect(done.message.hasPrefix("imported — feed 'jdl26': 7 added"))
        #expect(runtime.engine.read { $0.programRooms?["workshop-raum"]?.name } == "Workshop-Raum")
        let workshop = try #require(runtime.engine.read { $0.sessions.values.first { $0.title.hasPrefix("3D-Druck") } })
        #expect(workshop.room == "workshop-raum")

        // The board has a column for it on its day; the exports name it.
        test.time.advance(.seconds(6 * 86_400))  // Friday 27 November, 10:00
        let board = runtime.engine.read { Board.make($0, now: runtime.engine.now, settings: BoardSettings()) }
        #expect(board.columns.map(\.name) == ["Salle de réunion", "Grande salle", "Mezzanine", "Workshop-Raum"])
        let publisher = ProgramPublisher(site: ScheduleInteropTests().site(runtime), engine: runtime.engine)
        let talks = try FrabSchedule.talks(in: Data(publisher.current().scheduleJSON))
        #expect(talks.first { $0.title.hasPrefix("3D-Druck") }?.room == "Workshop-Raum")

        // Imported again: the room is found by its name, nothing changes.
        let seq = runtime.engine.lastSeq
        let again = try await runtime.perform(
            .importSchedule(text: text, feed: "jdl26", dryRun: false, rooms: rooms), source: "t")
        #expect(again.message.hasPrefix("nothing to change"), "\(again.message)")
        #expect(runtime.engine.lastSeq == seq)
    }
}

/// An iCalendar file of `body`'s events (CRLF as RFC 5545 asks).
func calendarFile(_ body: String) -> String {
    ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//La Cantine//Tests//FR\n" + body + "END:VCALENDAR\n")
        .replacingOccurrences(of: "\n", with: "\r\n")
}

/// What a careless or hostile file does: refused in one line naming where, never a crash, and
/// nothing it carries breaks out into the files the site publishes.
@Suite struct HostileScheduleTests {
    @Test func hugeAndEmptyLengthsAreRefusedWhereTheyAre() throws {
        let frab = try ScheduleInteropTests().frab()
        for (duration, what) in [("2600000:00", "2600000:00"), ("00:00", "00:00"), ("8785:00", "8785:00")] {
            let text = frab.replacingOccurrences(of: "\"duration\": \"00:45\"", with: "\"duration\": \"\(duration)\"")
            #expect(throws: ImportError.self) { try FrabSchedule.talks(in: Data(text.utf8)) }
            do {
                _ = try FrabSchedule.talks(in: Data(text.utf8))
            } catch {
                #expect(
                    error.message
                        == "$.schedule.conference.days[0].rooms[\"Saal 1\"][0].duration: '\(what)' is not a length: HH:MM, from 00:01 to 8784:00"
                )
            }
        }
        let calendar = calendarFile(
            "BEGIN:VEVENT\nUID:w\nSUMMARY:x\nDTSTART;TZID=Europe/Paris:20261020T100000\nDURATION:P613566757W\nEND:VEVENT\n"
        )
        #expect(throws: ImportError("line 4: event 'w' lasts over 366 days: check its DURATION")) {
            try ICSReader.events(in: calendar)
        }
        // Hours are exact: 24 h from 10:00 the day before the autumn change ends at 09:00.
        let exact = calendarFile(
            "BEGIN:VEVENT\nUID:e\nSUMMARY:x\nDTSTART;TZID=Europe/Paris:20261024T100000\nDURATION:PT24H\nEND:VEVENT\n")
        let event = try #require(try ICSReader.events(in: exact).first)
        #expect(SiteCalendar.cached("Europe/Paris").text(event.end) == "2026-10-25 09:00")
    }

    @Test func urlsCannotBreakOutOfTheirLine() async throws {
        let frab = try ScheduleInteropTests().frab().replacingOccurrences(
            of: "\"url\": \"https://frab.example.org/fr/jdl26/public/events/4711\"",
            with: "\"url\": \"https://a.example/x\\r\\nATTENDEE:mailto:evil@example.org\""
        )
        .replacingOccurrences(
            of: "{\"url\": \"https://example.org/slides/4711.pdf\", \"title\": \"Slides\"}",
            with: "{\"url\": \"javascript:alert(1)\", \"title\": \"Slides\"}")
        let talk = try #require(try FrabSchedule.talks(in: Data(frab.utf8)).first { $0.details.sourceID == 4711 })
        #expect(talk.details.url == nil && talk.details.links.isEmpty)
        let session = ProgramSession(
            id: "s", title: "t", room: nil, start: Instant(seconds: 1_795_251_600),
            end: Instant(seconds: 1_795_255_200), track: "Data; open, shared",
            details: SessionDetails(url: "https://a.example/x\r\nATTENDEE:mailto:evil@example.org", abstract: "a\r\nb"))
        let site = FrabSchedule.Site(
            id: "paris", name: "La Cantine", timeZone: "Europe/Paris", rooms: [], language: "fr")
        let text = ICSWriter.calendar([session], site: site, stamp: session.start)
        #expect(!text.contains("ATTENDEE"))
        #expect(text.contains("CATEGORIES:talk,Data\\; open\\, shared\r\n"))
        #expect(try ICSReader.events(in: text).first?.categories == ["talk", "Data; open, shared"])
        let xml = FrabSchedule.exportXML([session], days: [LocalDate("2026-11-21")!], site: site)
        #expect(xml.contains("<abstract>a&#13;\nb</abstract>"))
    }

    @Test func roomsOfOneNameAreToldApartNotFatal() throws {
        let site = FrabSchedule.Site(
            id: "paris", name: "Cabine", timeZone: "Europe/Paris",
            rooms: [("cab-1", "Cabine"), ("cab-2", "Cabine")], language: "fr")
        let start = Instant(seconds: 1_795_251_600)
        let sessions = [
            ProgramSession(id: "a", title: "Appel", room: "cab-2", start: start, end: start + .minutes(30)),
            ProgramSession(id: "b", title: "Pause", room: nil, start: start, end: start + .minutes(30), kind: .break),
        ]
        let talks = try FrabSchedule.talks(
            in: FrabSchedule.export(sessions, days: [LocalDate("2026-11-21")!], site: site))
        #expect(talks.map(\.room).sorted() == ["Cabine (*)", "Cabine (cab-2)"])
        let xml = FrabSchedule.exportXML(sessions, days: [LocalDate("2026-11-21")!], site: site)
        #expect(xml.contains("<room name=\"Cabine (cab-1)\"/>") && xml.contains("<room name=\"Cabine (cab-2)\">"))
    }

    @Test func lastNightsSessionStaysPublishedPastMidnight() async throws {
        let (test, runtime) = try await ScheduleInteropTests().program()
        test.time.advance(.seconds(6 * 86_400 + 14 * 3600 + 1800))  // Saturday 28 November, 00:30
        let publisher = ProgramPublisher(site: ScheduleInteropTests().site(runtime), engine: runtime.engine)
        let program = publisher.current()
        #expect(program.days.first?.date == LocalDate("2026-11-27"))
        #expect(program.days.first?.sessions.map(\.session.title) == ["Nuit du code"])
        let page = programPage(program, locale: "fr", now: runtime.engine.now)
        #expect(page.contains("<strong class=\"now\">en cours</strong>"))
    }
}
