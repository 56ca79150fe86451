// The entrance screen's QR code read back as a phone would: drawn by Chromium, photographed
// (a screenshot), decoded by zbar (an independent reader), for texts that need versions 1 to
// 10; and on the screen itself, in its free corner, pointing at /program.

import CantineCore
import CantineImport
import CantineSite
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineWeb

@Suite struct QRCodeTests {
    /// Decodes the QR codes of a PNG with zbarimg.
    static func decode(_ png: String) throws -> String {
        let (status, out) = try tool("zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png], quiet: true)
        #expect(status == 0, "zbarimg: \(out)")
        return out.trimmingCharacters(in: .newlines)
    }

    @Test func theVersionIsTheSmallestThatHoldsTheText() throws {
        #expect(QRCode(String(repeating: "a", count: 14))?.version == 1)
        #expect(QRCode(String(repeating: "a", count: 15))?.version == 2)
        #expect(QRCode(String(repeating: "a", count: 62))?.version == 4)
        #expect(QRCode(String(repeating: "a", count: 122))?.version == 7)
        #expect(QRCode(String(repeating: "a", count: 213))?.version == 10)
        #expect(QRCode(String(repeating: "a", count: 214)) == nil)
        #expect(QRCode("https://cantine.example.org/program")?.size == 29)  // version 3
    }

    @Test(.enabled(if: BrowserTests.chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func aPhoneReadsEveryVersion() async throws {
        let executable = try #require(BrowserTests.chromium, "chromium is missing: run scripts/setup-deps")
        let dir = FileManager.default.currentDirectoryPath + "/.build/screenshots/qr"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let browser = try await Browser(executable: executable)
        defer { browser.quit() }
        try await browser.open("about:blank")
        try await browser.call(
            "Emulation.setDeviceMetricsOverride",
            ["width": 600, "height": 600, "deviceScaleFactor": 1, "mobile": false])
        let texts = [
            "http://cantine.local:8080/program", "https://cantine.example.org/program",
            "https://la-cantine-du-quartier.example.org/program?from=entrance&screen=1",
            "https://" + String(repeating: "cantine-", count: 14) + "example.org/program",
            "https://example.org/program?" + String(repeating: "0123456789", count: 18),
        ]
        for (i, text) in texts.enumerated() {
            let qr = try #require(QRCode(text))
            let n = qr.size + 8
            let scale = 560 / n
            let page =
                "<body style='margin:0;background:#fff'><svg width='\(n * scale)' height='\(n * scale)' viewBox='0 0 \(n) \(n)'>"
                + "<rect width='\(n)' height='\(n)' fill='#fff'/><path fill='#1d2b25' d='\(qr.svgPath)'/></svg></body>"
            try await browser.navigate("data:text/html;base64," + Data(page.utf8).base64EncodedString())
            let png = "\(dir)/qr-\(i).png"
            #expect(try await browser.screenshot(to: png) > 1000)
            #expect(try Self.decode(png) == text, "version \(qr.version), mask \(qr.mask)")
        }
    }

    @Test(.enabled(if: BrowserTests.chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func theEntranceScreenShowsTheProgramsLinkWhereThereIsRoom() async throws {
        let executable = try #require(BrowserTests.chromium, "chromium is missing: run scripts/setup-deps")
        // The first day of the conference (ScheduleInteropTests), 10:30: a grid and the side.
        let (test, runtime) = try await ScheduleInteropTests().program()
        test.time.advance(.seconds(6 * 86_400 + 1800))
        var context = WebContext(site: runtime, version: "t")
        context.program = ProgramPublisher(site: ScheduleInteropTests().site(runtime), engine: runtime.engine)
        let shots = FileManager.default.currentDirectoryPath + "/.build/screenshots/display"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        try await Application(router: buildRouter(context)).test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let browser = try await Browser(executable: executable)
            defer { browser.quit() }
            try await browser.open(base + "/healthz")
            for (width, height, shown) in [(1920, 1080, true), (1280, 720, true), (1080, 1920, false)] {
                try await browser.call(
                    "Emulation.setDeviceMetricsOverride",
                    ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
                try await browser.navigate(base + "/display")
                #expect(try await browser.waitFor("document.fonts.status === 'loaded' && innerWidth === \(width)"))
                _ = try await browser.evaluate("fit(); placeQR(); 1")
                let size = Double(try await browser.evaluate("document.body.dataset.qr") as? String ?? "") ?? 0
                if shown {
                    #expect(size >= 0.16 * Double(height), "\(width)x\(height): QR \(size) px")
                    // Under the tables, never over them, inside the screen.
                    let placed =
                        try await browser.evaluate(
                            """
                            (() => { const q = $('qr').getBoundingClientRect();
                              const last = Math.max(...[...document.querySelectorAll('#side section')].map(s => s.getBoundingClientRect().bottom));
                              return q.top >= last && q.bottom <= innerHeight && q.right <= innerWidth; })()
                            """) as? Bool
                    #expect(placed == true)
                    #expect(
                        try await browser.evaluate("$('qr-text').textContent") as? String
                            == "Le programme sur votre téléphone · cantine.example.org/program")
                    let png = "\(shots)/qr-\(width)x\(height).png"
                    #expect(try await browser.screenshot(to: png) > 10_000)
                    #expect(try Self.decode(png) == "https://cantine.example.org/program")
                } else {
                    #expect(size == 0, "portrait: the side runs along the bottom, no corner for it")
                    #expect(try await browser.evaluate("getComputedStyle($('qr')).display") as? String == "none")
                }
            }
        }
    }
}
