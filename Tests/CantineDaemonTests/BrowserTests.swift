// The pages in a real browser: Debian's headless Chromium, driven over the DevTools protocol
// (a small WebSocket client below), against the web edge serving a real site on a loopback
// port. Screenshots of /display and /staff land in .build/screenshots; the DOM shows a sensor
// change on the open pages without a reload.

import CantineCore
import CantineSite
import CantineStore
import CantineWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineDaemon

/// A headless Chromium and one DevTools WebSocket to it (blocking I/O off the test's threads).
final class Browser: @unchecked Sendable {
    let process = Process()
    let profile = NSTemporaryDirectory() + "cantine-chromium-" + UUID().uuidString
    var fd: Int32 = -1
    var next = 0
    var session: String?

    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(executable: String) async throws {
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            "--remote-debugging-port=0", "--user-data-dir=\(profile)", "--window-size=1920,1080", "about:blank",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Chromium writes its DevTools port and path once it listens.
        let file = profile + "/DevToolsActivePort"
        var lines: [Substring] = []
        for _ in 0..<400 where lines.count < 2 {
            lines = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n")
            if lines.count < 2 { try await Task.sleep(for: .milliseconds(50)) }
        }
        guard lines.count >= 2, let port = UInt16(lines[0]) else { throw DaemonError("chromium did not start") }
        try connect(port: port, path: String(lines[1]))
    }

    deinit { quit() }

    /// Stops Chromium and removes its profile.
    func quit() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: profile)
    }

    func connect(port: UInt16, path: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port.bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0 else { throw DaemonError("cannot reach chromium's DevTools") }
        let request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try write(Array(request.utf8))
        var head: [UInt8] = []
        while !head.ends(with: Array("\r\n\r\n".utf8)) { head.append(try readExactly(1)[0]) }
        guard String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101") else {
            throw DaemonError("chromium refused the DevTools WebSocket")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw DaemonError("DevTools socket closed") }
            sent += n
        }
    }

    func readExactly(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw DaemonError("DevTools socket closed or timed out") }
            got += n
        }
        return out
    }

    /// Sends one masked text frame.
    func sendText(_ text: String) throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try write(frame)
    }

    /// Reads one whole message (joining continuation frames).
    func readText() throws -> String {
        var message: [UInt8] = []
        while true {
            let head = try readExactly(2)
            var length = Int(head[1] & 0x7F)
            if length == 126 {
                length = try readExactly(2).reduce(0) { $0 << 8 | Int($1) }
            } else if length == 127 {
                length = try readExactly(8).reduce(0) { $0 << 8 | Int($1) }
            }
            message += try readExactly(length)
            if head[0] & 0x80 != 0 { return String(decoding: message, as: UTF8.self) }
        }
    }

    /// Sends a DevTools command (to the attached page, if any) and returns its result.
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        next += 1
        var command: [String: Any] = ["id": next, "method": method, "params": params]
        if let session { command["sessionId"] = session }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self)
        let id = next
        return try await withCheckedThrowingContinuation { done in
            DispatchQueue.global().async {
                do {
                    try self.sendText(text)
                    while true {
                        let answer = try self.readText()
                        guard let object = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any],
                            object["id"] as? Int == id
                        else { continue }  // an event, or another answer
                        if let error = object["error"] as? [String: Any] {
                            throw DaemonError("DevTools \(method): \(error["message"] ?? error)")
                        }
                        done.resume(returning: object["result"] as? [String: Any] ?? [:])
                        return
                    }
                } catch {
                    done.resume(throwing: error)
                }
            }
        }
    }

    /// Opens a page on `url` and sends the next commands to it.
    func open(_ url: String) async throws {
        let target = try await call("Target.createTarget", ["url": "about:blank"])
        let attached = try await call("Target.attachToTarget", ["targetId": target["targetId"] ?? "", "flatten": true])
        session = attached["sessionId"] as? String
        try await call("Page.enable")
        try await navigate(url)
    }

    func navigate(_ url: String) async throws {
        try await call("Page.navigate", ["url": url])
        _ = try await waitFor("document.readyState === 'complete'")
    }

    /// The value of a JavaScript expression in the page (a promise's, once it settles).
    @discardableResult func evaluate(_ expression: String) async throws -> Any? {
        let result = try await call(
            "Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Polls `expression` until it is true (a page doing its work), at most ~10 s.
    func waitFor(_ expression: String) async throws -> Bool {
        for _ in 0..<200 {
            if try await evaluate(expression) as? Bool == true { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Saves a PNG (or, for a .jpg path, a JPEG) of the page.
    func screenshot(to path: String) async throws -> Int {
        // A .jpg path gets a JPEG (the large screens' shots kept in docs), anything else a PNG.
        let jpeg = path.hasSuffix(".jpg")
        let shot = try await call(
            "Page.captureScreenshot", jpeg ? ["format": "jpeg", "quality": 72] : ["format": "png"])
        let data = Data(base64Encoded: shot["data"] as? String ?? "") ?? Data()
        try data.write(to: URL(fileURLWithPath: path))
        return data.count
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

@Suite(.serialized) struct BrowserTests {
    /// In CI Chromium is installed by .ci/run; a machine without it cannot run these.
    static let chromium = Browser.executable

    @Test(.enabled(if: chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func theDisplayAndTheDashboardUpdateLiveInChromium() async throws {
        let executable = try #require(Self.chromium, "chromium is missing: run scripts/setup-deps")
        var f = try await WebFixture()
        let runtime = f.runtime
        let board = BoardStream(
            engine: runtime.engine, bus: runtime.bus, settings: BoardSettings(locale: "fr"),
            names: { runtime.store.memberName($0.rawValue) })
        let events = JournalStream(site: runtime)
        f = f.with(board: board, events: events)
        let time = f.site.time
        // In a network: Nantes heard ten seconds ago, Rennes ten minutes ago (stale).
        f.context.networkStaleAfter = .seconds(180)
        for (site, ago) in [("nantes", Int64(10)), ("rennes", 600)] {
            let summary =
                #"{"capacity":40,"count":3,"desks_free":10,"desks_occupied":4,"desks_unknown":0,"epoch":1,"#
                + #""name":"\#(site.capitalized)","people_present":5,"sent_at":0,"site":"\#(site)","visitors":0}"#
            try runtime.store.upsertNetworkSite(
                NetworkSiteRow(id: site, summary: summary, heardUs: time.now().micros - ago * 1_000_000), site: "paris")
        }
        let watching = Task {
            async let b: Void = board.run(tick: .seconds(3600))
            async let e: Void = events.run(tick: .seconds(3600))
            _ = await (b, e)
        }
        let shots = FileManager.default.currentDirectoryPath + "/.build/screenshots"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        let app = Application(router: buildRouter(f.context))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let browser = try await Browser(executable: executable)

            // Never blank: with its stream blocked (a proxy that buffers it), the page shows the
            // board it came with, and the site's time rather than the screen's.
            try await browser.open(base + "/healthz")
            try await browser.call("Network.enable")
            try await browser.call("Network.setBlockedURLs", ["urls": ["*/display/stream"]])
            try await browser.navigate(base + "/display")
            #expect(try await browser.evaluate("Number(document.body.dataset.boards)") as? Int == 1)
            #expect(
                try await browser.evaluate("document.getElementById('title').textContent") as? String
                    == "La Cantine · samedi 21 novembre")
            #expect(
                try await browser.evaluate("document.getElementById('clock').textContent") as? String
                    == SiteCalendar.cached("Europe/Paris").hhmm(time.now()))
            #expect(try await browser.evaluate("document.querySelectorAll('#zones .status').length") as? Int == 2)
            try await browser.call("Network.setBlockedURLs", ["urls": [String]()])

            // The entrance display: the board arrives over SSE and is drawn.
            try await browser.navigate(base + "/display")
            #expect(try await browser.waitFor("Number(document.body.dataset.boards) >= 1"))
            #expect(try await browser.evaluate("document.documentElement.lang") as? String == "fr")
            let freeBefore = try await browser.evaluate("document.body.innerText") as? String ?? ""
            // No sensor has spoken yet: the desks are unknown, never "0 free" in red.
            #expect(
                try await browser.evaluate(
                    "[...document.querySelectorAll('#zones .status')].map(s => s.className + ' ' + s.textContent).join('|')"
                ) as? String == "status unknown — / 12|status unknown — / 12")
            #expect(try await browser.evaluate("document.querySelectorAll('#zones .busy').length") as? Int == 0)
            #expect(try await browser.screenshot(to: shots + "/display.png") > 10_000)
            try await browser.evaluate("window.stayed = true")
            // A desk of the garden turns vacant: the open page shows the new board, no reload.
            runtime.engine.submit(.deskReported(DeskReport(desk: "j06", occupied: false)), source: "sensor:node-j06")
            // Waited for by what it shows: the stream's first frame may come after the page's own board.
            #expect(
                try await browser.waitFor(
                    "document.querySelector('.status[data-zone=jardin]').textContent === '1 / 12'"))
            #expect(try await browser.waitFor("Number(document.body.dataset.boards) >= 2"))
            #expect(try await browser.evaluate("window.stayed === true") as? Bool == true)
            let freeAfter = try await browser.evaluate("document.body.innerText") as? String ?? ""
            #expect(freeAfter != freeBefore)
            #expect(
                try await browser.evaluate("document.querySelector('.status[data-zone=jardin]').textContent") as? String
                    == "1 / 12")
            #expect(
                try await browser.evaluate("document.querySelector('[data-zone-note=jardin]').textContent") as? String
                    == "11 sans nouvelles du capteur")

            // The dashboard: sign in through the form, then watch the floor.
            try await browser.navigate(base + "/staff")
            #expect(try await browser.evaluate("location.pathname") as? String == "/login")
            try await browser.evaluate(
                """
                document.querySelector('[name=username]').value = 'bob';
                document.querySelector('[name=password]').value = 'battery staple';
                document.querySelector('form').submit();
                """)
            #expect(try await browser.waitFor("location.pathname === '/staff' && document.readyState === 'complete'"))
            #expect(try await browser.waitFor("document.querySelector('[data-desk=j06]') !== null"))
            #expect(try await browser.waitFor("document.getElementById('live').className === 'on'"))
            #expect(
                try await browser.evaluate("document.querySelector('[data-desk=j06]').dataset.status") as? String
                    == "free")
            #expect(try await browser.screenshot(to: shots + "/staff.png") > 10_000)
            // The network panel: both sites, Rennes marked stale.
            #expect(try await browser.waitFor("document.querySelector('#network tr[data-site=rennes]') !== null"))
            #expect(try await browser.evaluate("document.getElementById('network-panel').hidden") as? Bool == false)
            #expect(
                try await browser.evaluate(
                    "[...document.querySelectorAll('#network tr.stale')].map((r) => r.dataset.site).join()")
                    as? String == "rennes")
            try await browser.evaluate("window.stayed = true")
            let updates = try await browser.evaluate("Number(document.body.dataset.updates)") as? Int ?? 0
            // Someone sits at j06: the floor shows it occupied (no booking) on the open page.
            runtime.engine.submit(.deskReported(DeskReport(desk: "j06", occupied: true)), source: "sensor:node-j06")
            time.advance(.seconds(6))  // held long enough (hysteresis)
            runtime.engine.submit(.timerFired(.desk("j06")), source: "timer")
            #expect(
                try await browser.waitFor(
                    "document.querySelector('[data-desk=j06]').dataset.status === 'occupied_unbooked'"))
            #expect(try await browser.waitFor("Number(document.body.dataset.updates) > \(updates)"))
            #expect(try await browser.evaluate("window.stayed === true") as? Bool == true)
            // An action from the page: unlocking needs the reason and the confirmation box.
            try await browser.evaluate(
                """
                document.querySelector('[data-door=entree] button').click();
                document.querySelector('#unlock-form button[type=submit]').click();
                """)
            #expect(try await browser.waitFor("document.querySelector('[data-error-for=reason]').textContent !== ''"))
            #expect(runtime.engine.read { $0.doors["entree"]?.lock } == .locked)
            try await browser.evaluate(
                """
                document.querySelector('#unlock-form [name=reason]').value = 'courier at the door';
                document.querySelector('#unlock-form [name=confirm]').checked = true;
                document.querySelector('#unlock-form button[type=submit]').click();
                """)
            #expect(try await browser.waitFor("document.getElementById('flash').className === 'ok'"))
            #expect(runtime.engine.read { $0.doors["entree"]?.lock } == .unlocked)
            // The pages' streams end with the daemon (the server does not wait on them).
            browser.quit()
            watching.cancel()
        }
        runtime.close()
    }

    /// The real daemon in demo mode (a subprocess, its day played at 600×): both pages follow
    /// the demo's traffic live, without a reload.
    @Test(.enabled(if: chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func theDemoDaemonsPagesFollowItsDayLive() async throws {
        let executable = try #require(Self.chromium, "chromium is missing: run scripts/setup-deps")
        let running = try DemoProcess()
        let (dir, port, demo) = (running.dir, running.port, running.process)
        defer {
            demo.terminate()
            demo.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(port)"
        let browser = try await Browser(executable: executable)
        defer { browser.quit() }
        // The demo serves (DemoProcess waits for that); its first board may take a moment.
        var up = false
        for _ in 0..<100 where !up {
            // A demo that stopped fails the test now, not later.
            try #require(
                demo.isRunning, "the demo exited: \((try? String(contentsOfFile: running.log, encoding: .utf8)) ?? "")")
            try await browser.open(base + "/display")
            up = try await browser.waitFor("Number(document.body && document.body.dataset.boards) >= 1")
        }
        #expect(up)
        try await browser.evaluate("window.stayed = true")
        #expect(try await browser.waitFor("Number(document.body.dataset.boards) >= 3"))
        #expect(try await browser.evaluate("window.stayed === true") as? Bool == true)
        let shots = FileManager.default.currentDirectoryPath + "/.build/screenshots"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        #expect(try await browser.screenshot(to: shots + "/demo-display.png") > 10_000)

        // The first admin, made by the CLI beside the running daemon.
        let add = Process()
        add.executableURL = demo.executableURL
        add.arguments = [
            "staff", "add", "admin", "--role", "admin", "--password-stdin", "--config", dir + "/cantine.toml",
        ]
        let stdin = Pipe()
        add.standardInput = stdin
        add.standardOutput = FileHandle.nullDevice
        try add.run()
        stdin.fileHandleForWriting.write(Data("a long passphrase\n".utf8))
        try stdin.fileHandleForWriting.close()
        add.waitUntilExit()
        #expect(add.terminationStatus == 0)

        try await browser.navigate(base + "/login?next=/staff")
        try await browser.evaluate(
            """
            document.querySelector('[name=username]').value = 'admin';
            document.querySelector('[name=password]').value = 'a long passphrase';
            document.querySelector('form').submit();
            """)
        #expect(
            try await browser.waitFor("location.pathname === '/staff' && Number(document.body.dataset.updates) >= 1"))
        try await browser.evaluate("window.stayed = true")
        #expect(try await browser.waitFor("Number(document.body.dataset.updates) >= 3"))
        #expect(try await browser.evaluate("window.stayed === true") as? Bool == true)
        #expect(try await browser.evaluate("document.body.classList.contains('admin')") as? Bool == true)
        #expect(try await browser.screenshot(to: shots + "/demo-staff.png") > 10_000)

        // A remote unlock through the dashboard's form: its row in the log names who and why.
        try await browser.evaluate(
            """
            document.querySelector('#doors li[data-door=entree] button').click();
            const form = document.getElementById('unlock-form');
            form.querySelector('[name=reason]').value = 'delivery';
            form.querySelector('[name=confirm]').checked = true;
            form.requestSubmit();
            """)
        #expect(
            try await browser.waitFor(
                "[...document.querySelectorAll('#log tr')].some(r => r.textContent.includes('staff:admin: delivery'))"))
        // Every row has its date and time in the site's zone.
        #expect(
            try await browser.evaluate(
                "[...document.querySelectorAll('#log tr td:first-child')].every(td => /^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$/.test(td.textContent))"
            ) as? Bool == true)

        // Ending a plan from the members list takes a second click; then the member has none.
        try await browser.evaluate(
            "document.querySelector('#members li[data-member=m-demo17] button.end-plan').click()")
        #expect(
            try await browser.waitFor(
                "document.querySelector('#members li[data-member=m-demo17] button.end-plan').textContent.startsWith('confirmer')"
            ))
        try await browser.evaluate(
            "document.querySelector('#members li[data-member=m-demo17] button.end-plan').click()")
        #expect(
            try await browser.waitFor(
                "document.getElementById('flash').className === 'ok' && !document.querySelector('#members li[data-member=m-demo17] button.end-plan') && document.querySelector('#members li[data-member=m-demo17]').textContent.includes('sans abonnement')"
            ))

        // Utilisation: the week the demo played before today, drawn as the API tells it.
        #expect(try await browser.waitFor("document.querySelectorAll('#usage-days g.day').length >= 8"))
        // The demo runs on while the page and the API are read: today's peak can move between
        // the two, so the comparison is read again (up to five times) until they agree.
        var usage: Any? = nil
        for _ in 0..<5 {
            usage = try await browser.evaluate(
                """
                (async () => {
                  const r = await (await fetch('/api/utilisation?days=30')).json();
                  const tile = (id) => document.querySelector('[data-tile=' + id + '] dd').textContent;
                  return [r.days.length, document.querySelectorAll('#usage-days g.day').length,
                    r.days.filter(d => d.complete).length, document.querySelectorAll('#usage-days g.partial').length,
                    String(r.totals.peak_people) === tile('peak'), String(r.totals.walk_ins) === tile('walk-ins'),
                    document.querySelectorAll('#usage-heat rect').length === r.desks.length * 7,
                    document.querySelectorAll('#usage-curves polyline.typical').length, r.zones.length,
                    document.querySelectorAll('#usage-table tr').length];
                })()
                """)
            if let f = usage as? [Any], f.count == 10, f[4] as? Bool == true, f[5] as? Bool == true { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let figures = try #require(usage as? [Any])
        #expect(figures.count == 10)
        if figures.count == 10 {
            let (days, bars, complete, partial) = (
                figures[0] as? Int, figures[1] as? Int, figures[2] as? Int, figures[3] as? Int
            )
            #expect(days == 8 && bars == days && complete == 7 && partial == 1, "\(figures)")  // a week, and today
            #expect(figures[4] as? Bool == true && figures[5] as? Bool == true, "tiles: \(figures)")
            #expect(figures[6] as? Bool == true, "a heat-map cell per desk and weekday")
            #expect(figures[7] as? Int == figures[8] as? Int, "a typical curve per zone: last week's same day")
            #expect(figures[9] as? Int == days)
        }

        // At a manager's desk and on a phone walking the floor: no panel taller than the
        // viewport (the findings scroll within theirs), nothing wider than the screen.
        for (name, width, height, mobile) in [("1440x900", 1440, 900, false), ("390x844", 390, 844, true)] {
            try await browser.call(
                "Emulation.setDeviceMetricsOverride",
                ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile])
            #expect(try await browser.waitFor("window.innerWidth === \(width)"))
            try await browser.evaluate("document.querySelector('#usage-panel details').open = true")
            let tallest = try await browser.evaluate(
                "Math.max(...[...document.querySelectorAll('main > section')].map(s => s.getBoundingClientRect().height))"
            )
            #expect((tallest as? Double ?? 1e9) <= Double(height), "\(name): a panel is \(tallest ?? "?") px tall")
            #expect(
                try await browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth") as? Bool
                    == true,
                "\(name): the page is wider than the screen")
            let clipped = try await browser.evaluate(
                "[...document.querySelectorAll('main table')].filter(t => t.offsetParent && t.scrollWidth > t.parentElement.clientWidth + 1).map(t => (t.parentElement.id || t.closest('section').id) + ' ' + t.scrollWidth + '>' + t.parentElement.clientWidth)"
            )
            #expect((clipped as? [Any])?.isEmpty == true, "\(name): tables wider than their panel: \(clipped ?? "?")")
            #expect(try await browser.screenshot(to: shots + "/staff-\(name).png") > 10_000)
            // The plan: every room's name within its box; every desk reachable by keyboard,
            // telling its state, booking and sensor when focused.
            let spilled = try await browser.evaluate(
                "[...document.querySelectorAll('.room-cell')].filter(g => g.querySelector('text.room-name').getBBox().width > g.querySelector('rect').getBBox().width - 0.15).length"
            )
            #expect(spilled as? Int == 0, "\(name): a room's name runs out of its box")
            // A room's state and until when are read whole (the name may be shortened, not them).
            #expect(
                try await browser.evaluate(
                    "[...document.querySelectorAll('text.room-status')].every(t => /\\d\\d:\\d\\d$|^\\S+$/.test(t.textContent))"
                ) as? Bool == true, "\(name): a room's state is cut")
            let focused = try await browser.evaluate(
                "(() => { const g = document.querySelector('[data-desk=f01]'); g.focus(); return document.activeElement === g && g.getAttribute('tabindex') === '0' ? document.getElementById('floor-detail').textContent : ''; })()"
            )
            #expect((focused as? String)?.contains("capteur") == true, "\(name): \(focused ?? "nothing")")
            // The charts stay within their panel.
            #expect(
                try await browser.evaluate(
                    "[...document.querySelectorAll('#usage-panel svg')].every(g => g.getBoundingClientRect().right <= document.getElementById('usage-panel').getBoundingClientRect().right + 0.5)"
                ) as? Bool == true, "\(name): a chart runs out of its panel")
            for panel in ["floor", "findings", "presence", "log", "members", "usage"] {
                try await browser.evaluate("document.getElementById('\(panel)-panel').scrollIntoView()")
                #expect(try await browser.screenshot(to: shots + "/staff-\(panel)-\(name).png") > 5_000)
            }
            try await browser.evaluate("window.scrollTo(0, 0)")
        }
    }
}

/// A whole demo day at 3000× in Chromium, for people to look at: the dashboard and the screen
/// at morning, noon and night, at the sizes their users have (.build/screenshots/day-*). Opt in
/// with CANTINE_DAY_SHOTS=1 (about half a minute; the layout assertions run in CI above).
@Suite struct DemoDayScreenshots {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CANTINE_DAY_SHOTS"] == "1"))
    func aWholeDemoDayInTheBrowser() async throws {
        let executable = try #require(BrowserTests.chromium, "chromium is missing: run scripts/setup-deps")
        let running = try DemoProcess(speed: 3000)
        defer {
            running.process.terminate()
            running.process.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(running.port)"
        let add = Process()
        add.executableURL = running.process.executableURL
        add.arguments = ["staff", "add", "admin", "--role", "admin", "--password-stdin", "--config", running.config]
        let stdin = Pipe()
        add.standardInput = stdin
        add.standardOutput = FileHandle.nullDevice
        try add.run()
        stdin.fileHandleForWriting.write(Data("a long passphrase\n".utf8))
        try stdin.fileHandleForWriting.close()
        add.waitUntilExit()
        let staff = try await Browser(executable: executable)
        defer { staff.quit() }
        try await staff.open(base + "/login?next=/staff")
        try await staff.evaluate(
            """
            document.querySelector('[name=username]').value = 'admin';
            document.querySelector('[name=password]').value = 'a long passphrase';
            document.querySelector('form').submit();
            """)
        #expect(try await staff.waitFor("location.pathname === '/staff' && Number(document.body.dataset.updates) >= 1"))
        let screen = try await Browser(executable: executable)
        defer { screen.quit() }
        try await screen.open(base + "/display")
        let shots = FileManager.default.currentDirectoryPath + "/.build/screenshots"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        // The demo's own clock (UTC hours of the board's updates: Paris is UTC+1 in winter).
        for (name, utcHour) in [("morning", 9), ("noon", 11), ("night", 20)] {
            var reached = false
            for _ in 0..<10 where !reached {
                reached = try await staff.waitFor(
                    "window.simHour = window.simHour || 0; fetch('/api/occupancy').then(r => r.json()).then(o => { window.simHour = Number(o.updated_at.slice(11, 13)); }); window.simHour >= \(utcHour)"
                )
            }
            #expect(reached, "the demo never reached \(name)")
            for (width, height) in [(1440, 900), (390, 844)] {
                try await staff.call(
                    "Emulation.setDeviceMetricsOverride",
                    ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600])
                _ = try await staff.waitFor("window.innerWidth === \(width)")
                #expect(try await staff.screenshot(to: shots + "/day-\(name)-staff-\(width)x\(height).png") > 5_000)
                try await staff.evaluate("document.getElementById('findings-panel').scrollIntoView()")
                #expect(try await staff.screenshot(to: shots + "/day-\(name)-findings-\(width)x\(height).png") > 5_000)
                // The history is fetched once a minute: asked for now (at 3000× a minute is two days).
                try await staff.evaluate(
                    "refreshUsage(true).then(() => document.getElementById('usage-panel').scrollIntoView())")
                #expect(try await staff.screenshot(to: shots + "/day-\(name)-usage-\(width)x\(height).png") > 5_000)
                try await staff.evaluate("window.scrollTo(0, 0)")
            }
            for (width, height) in [(1920, 1080), (1080, 1920), (1280, 720)] {
                try await screen.call(
                    "Emulation.setDeviceMetricsOverride",
                    ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
                _ = try await screen.waitFor("innerWidth === \(width)")
                #expect(try await screen.screenshot(to: shots + "/day-\(name)-display-\(width)x\(height).png") > 5_000)
            }
        }
    }
}
