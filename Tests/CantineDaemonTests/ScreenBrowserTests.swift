// The entrance screen in real Chromium at the sizes screens have (1080p and 4K TVs, a portrait
// one, an old 720p and a 1024×768 projector), with 1, 3 and 6 rooms and days of 2 to 14 slots
// of long titles: nothing overflows its box or the screen, titles are at least 48 px at 1080p
// when the day fits, a room's status never wraps under its name. Boards are drawn by the
// page's own renderer (the stream is blocked: what is drawn is what the test hands it).
// Screenshots of a morning, a busy afternoon and a night at each size go to
// .build/screenshots/display/ (the committed ones are docs/screenshots/display/).

import CantineCore
import CantineImport
import CantineSite
import CantineWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineDaemon

@Suite struct ScreenBrowserTests {
    static let sizes = [(1920, 1080), (1080, 1920), (1280, 720), (3840, 2160), (1024, 768)]

    /// A board of `rooms` rooms and `slots` slots at a phase of the day, built in the page.
    static let makeBoard = """
        window.makeBoard = (rooms, slots, phase, short) => {
          const names = ['Grande salle', 'Mezzanine', 'Salle de réunion du premier étage', 'Atelier', 'Bar', 'Jardin d’hiver'];
          const titles = ['Open data et vin', 'Cartographie OpenStreetMap pour les collectivités territoriales et les associations de quartier',
            'Tiers-lieux et territoires', 'Swift sur Raspberry Pi', 'Coopératives numériques : gouvernance, statuts et financement participatif',
            'Accessibilité du web', 'Low-tech au bureau', 'Facilitation graphique', 'Communs numériques', 'Objets connectés et vie privée'];
          const columns = names.slice(0, rooms).map((name, i) => ({room: 'r' + i, name}));
          const rows = [];
          // Night: closed, tomorrow's program (all to come); quiet: a day without sessions.
          const now = phase === 'afternoon' ? Math.floor(slots / 2) : -1;
          for (let s = 0; s < slots; s++) {
            const at = (min) => String(Math.floor(min / 60)).padStart(2, '0') + ':' + String(min % 60).padStart(2, '0');
            const step = Math.floor(600 / slots);
            const start = at(540 + s * step), end = at(540 + s * step + Math.max(15, step - 10));
            const state = s < now ? 'past' : s === now ? 'now' : s === now + 1 ? 'next' : 'later';
            const title = (k) => short ? titles[k].split(/ [:p]/)[0] : titles[k];
            const cells = s === 3 ? [{id: 'lunch', title: 'Déjeuner', room: null, start, end, kind: 'break', speakers: [], state, starting: false}]
              : columns.map((c, i) => ({id: 's' + s + i, title: title((s * rooms + i) % titles.length), room: c.room, start, end,
                  kind: 'talk', speakers: i % 2 ? ['Camille Laurent', 'Hugo Girard'] : [], state, starting: state === 'now'}));
            rows.push({start, end, cells});
          }
          const night = phase === 'night', quiet = phase === 'quiet';
          return {site: 'La Cantine', locale: 'fr', date: '2026-11-20', time: phase === 'morning' ? '08:40' : night ? '22:15' : '15:05',
            time_zone: 'Europe/Paris', columns, rows: quiet ? [] : rows, open: !night,
            opens_at: night ? '2026-11-23 08:00' : null, program_date: night ? '2026-11-23' : '2026-11-20',
            zones: [{zone: 'fenetre', name: 'Côté fenêtre', free: night ? 0 : 3, unknown: night ? 12 : 0, total: 12},
                    {zone: 'jardin', name: 'Côté jardin', free: night ? 0 : 0, unknown: night ? 12 : 1, total: 12}],
            rooms: names.slice(0, Math.max(rooms, 1)).map((name, i) => ({room: 'r' + i, name, busy: !night && i % 2 === 1,
              until: night || i % 3 === 2 ? null : '1' + (4 + i) + ':00'})),
            people_present: night ? 0 : 23, capacity: 50};
        };
        true
        """

    /// What is wrong on the screen: elements out of the viewport or cut in their box, statuses
    /// wrapped under their name ("" when nothing).
    static let problems = """
        (() => {
          const out = [];
          const W = innerWidth, H = innerHeight;
          for (const e of document.querySelectorAll('#board, #board *')) {
            if (!e.getClientRects().length || e.closest('.row-gone')) continue;
            const r = e.getBoundingClientRect();
            if (r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1) out.push('outside: ' + (e.id || e.className) + ' ' + e.textContent.slice(0, 30));
            // Shortened with an ellipsis on purpose: speakers past the width, the site's name.
            const clamped = e.classList.contains('who') || e.tagName === 'H1';
            if (!clamped && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).display !== 'inline') out.push('cut: ' + (e.id || e.className) + ' ' + e.textContent.slice(0, 30));
          }
          const qr = document.getElementById('qr');
          if (getComputedStyle(qr).display !== 'none') {
            const top = qr.getBoundingClientRect().top;
            for (const sec of document.querySelectorAll('#side section'))
              if (sec.getBoundingClientRect().bottom > top + 0.5) out.push('QR over the tables');
          }
          for (const s of document.querySelectorAll('.table .status')) {
            const name = s.previousElementSibling;
            if (s.getClientRects().length !== 1 || s.getBoundingClientRect().top > name.getBoundingClientRect().bottom - 2) out.push('wrapped: ' + s.textContent);
          }
          return out.slice(0, 5).join(' | ');
        })()
        """

    @Test(.enabled(if: BrowserTests.chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func theScreenFitsEverySizeAndEveryDay() async throws {
        let executable = try #require(BrowserTests.chromium, "chromium is missing: run scripts/setup-deps")
        var f = try await WebFixture()
        // With the program's QR code, drawn wherever a board leaves it room.
        f.context.program = ProgramPublisher(
            site: FrabSchedule.Site(
                id: "paris", name: "La Cantine", timeZone: "Europe/Paris", rooms: [], language: "fr",
                baseURL: "https://cantine.example.org"),
            engine: f.runtime.engine)
        let shots = FileManager.default.currentDirectoryPath + "/.build/screenshots/display"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        try await Application(router: buildRouter(f.context)).test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let browser = try await Browser(executable: executable)
            defer { browser.quit() }
            try await browser.open(base + "/healthz")
            try await browser.call("Network.enable")
            try await browser.call("Network.setBlockedURLs", ["urls": ["*/display/stream"]])
            try await browser.navigate(base + "/display")
            #expect(
                try await browser.evaluate(
                    "document.fonts.ready.then(() => document.fonts.check('1em \"Cantine Chalk\"'))") as? Bool == true,
                "the chalk font is served and used")
            #expect(try await browser.evaluate(Self.makeBoard) as? Bool == true)
            for (width, height) in Self.sizes {
                try await browser.call(
                    "Emulation.setDeviceMetricsOverride",
                    ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
                #expect(try await browser.waitFor("innerWidth === \(width) && innerHeight === \(height)"))
                for (rooms, slots) in [(1, 2), (3, 6), (6, 14), (3, 14), (6, 4)] {
                    for phase in ["morning", "afternoon", "night", "quiet"] {
                        let drawn = try await browser.evaluate(
                            "render(makeBoard(\(rooms), \(slots), '\(phase)')); document.body.dataset.boards")
                        #expect(drawn != nil)
                        let wrong = try await browser.evaluate(Self.problems) as? String
                        #expect(
                            wrong == "", "\(width)x\(height), \(rooms) rooms, \(slots) slots, \(phase): \(wrong ?? "?")"
                        )
                    }
                }
                // A day that fits (the demo's: two rooms, five slots and lunch): titles and times
                // at least 48 px at 1080p (2.5 cm letters on a 55" TV), and as much for its size.
                _ = try await browser.evaluate("render(makeBoard(2, 6, 'afternoon', true))")
                let sizes =
                    try await browser.evaluate(
                        "[parseFloat(getComputedStyle(document.querySelector('.cell .title')).fontSize), parseFloat(getComputedStyle(document.querySelector('.time')).fontSize), parseFloat(getComputedStyle(document.querySelector('#zones .status')).fontSize), document.getElementById('pages').textContent]"
                    ) as? [Any]
                let title = sizes?.first as? Double ?? 0
                // 48 px at 1080p, as much in proportion on 16:9 screens either way up; a 4:3
                // projector is narrower for the same height: never under the 3 % floor there.
                let wide = max(width, height) * 9 >= min(width, height) * 16
                let scale = Double(min(width, height)) / 1080
                let least = wide ? 48 * scale : 0.03 * Double(min(width, height))
                #expect(title >= least - 0.5, "\(width)x\(height): titles \(title) px")
                #expect((sizes?[1] as? Double ?? 0) >= title && (sizes?[2] as? Double ?? 0) >= title, "\(sizes ?? [])")
                #expect(sizes?[3] as? String == "", "a day of six slots needs no pages")
                for (name, rooms, slots, phase) in [
                    ("morning", 3, 6, "morning"), ("afternoon", 6, 14, "afternoon"), ("night", 3, 6, "night"),
                    ("quiet", 3, 6, "quiet"),
                ] {
                    _ = try await browser.evaluate("render(makeBoard(\(rooms), \(slots), '\(phase)'))")
                    // A PNG to look at, a JPEG to keep (docs/screenshots/display/).
                    for ext in ["png", "jpg"] {
                        #expect(try await browser.screenshot(to: shots + "/\(width)x\(height)-\(name).\(ext)") > 5_000)
                    }
                }
            }
            // Closed at night: when it opens, and whose program is shown.
            _ = try await browser.evaluate("render(makeBoard(3, 6, 'night'))")
            #expect(
                try await browser.evaluate("document.getElementById('closed').textContent") as? String
                    == "Fermé · ouvre lundi 23 novembre à 08:00 · Programme du lundi 23 novembre")
            // Closed with nothing planned: not "the bar is open".
            _ = try await browser.evaluate("render(Object.assign(makeBoard(3, 6, 'night'), {rows: []}))")
            #expect(
                try await browser.evaluate("document.querySelector('#grid .empty').textContent") as? String
                    == "Pas de session prévue d'ici là.")
            // Too many for one screen at the floor size: past sessions go, then the day pages.
            try await browser.call(
                "Emulation.setDeviceMetricsOverride",
                ["width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": false])
            _ = try await browser.evaluate("render(makeBoard(6, 14, 'morning'))")
            #expect(
                try await browser.evaluate("/^1 \\/ \\d+$/.test(document.getElementById('pages').textContent)") as? Bool
                    == true)
        }
        f.runtime.close()
    }
}
