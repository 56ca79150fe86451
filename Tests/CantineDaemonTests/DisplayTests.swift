// The entrance blackboard and SpaceAPI: the board of a day (sessions past, now, starting,
// next, later and a break; free desks net of bookings; rooms free or busy until), /display
// served self-contained, its stream over a real HTTP connection (the current board on
// connect, a sensor change pushed without a reload, a welcome on badge-in), SpaceAPI v15.

import CantineCore
import CantineWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CantineDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 client on a loopback socket, reading an SSE stream frame by frame (its
/// blocking reads run off the test's threads).
final class StreamReader: @unchecked Sendable {
    let fd: Int32
    var buffer = ""
    var ended = false

    init(port: Int, path: String, headers: [String] = []) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        // A frame can wait for seconds under the full suite, where other tests' blocking waits
        // hold the concurrency pool's two threads (10 s failed once in CI; alone it takes ms).
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw DaemonError("cannot connect to 127.0.0.1:\(port)") }
        let request = (["GET \(path) HTTP/1.1", "Host: 127.0.0.1"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }

    /// The next SSE frame containing `needle`; nil after 10 s without one.
    func next(containing needle: String) async -> String? {
        await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: self.read(containing: needle)) }
        }
    }

    /// Blocking: the next SSE frame containing `needle` (frames end with a blank line).
    func read(containing needle: String) -> String? {
        while true {
            while let end = buffer.range(of: "\n\n") {
                let frame = String(buffer[..<end.lowerBound])
                buffer.removeSubrange(..<end.upperBound)
                if frame.contains(needle) { return frame }
            }
            if ended { return nil }
            var bytes = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &bytes, bytes.count, 0)
            guard n > 0 else { return nil }
            // Chunked transfer: drop the chunk-size lines, keep the SSE text; a zero-size
            // chunk ends the body (the connection itself stays open).
            let text = String(decoding: bytes[0..<n], as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
            if text.hasPrefix("0\n\n") || text.contains("\n0\n\n") { ended = true }
            buffer += text.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.isEmpty && $0.allSatisfy(\.isHexDigit) ? false : true }.joined(separator: "\n")
        }
    }
}

@Suite(.serialized) struct DisplayTests {
    let paris = SiteCalendar.cached("Europe/Paris")

    /// A session today from `h1:m1` to `h2:m2`, Paris time.
    func session(_ id: String, _ room: RoomID?, _ from: (Int, Int), _ to: (Int, Int), kind: SessionKind = .talk)
        -> Command
    {
        let today = paris.date(of: Instant(seconds: 1_795_251_600))
        return .scheduleSession(
            ProgramSession(
                id: SessionID(id), title: "Session \(id)", room: room,
                start: paris.instant(today, hour: from.0, minute: from.1),
                end: paris.instant(today, hour: to.0, minute: to.1), kind: kind, speakers: ["Camille"]))
    }

    @Test func closedForTheDayTheBoardSaysWhenItOpensAndShowsThatDaysProgram() throws {
        var layout = SiteLayout(
            site: "paris", name: "La Cantine", capacity: 10, zones: [], doors: [], desks: [],
            rooms: [Room(id: "salle-1", name: "Salle", capacity: 8)])
        layout.access.publicHours = try WeeklyHours(parsing: "mon-fri 08:00-20:00")
        var state = State()
        _ = Reducer.apply(&state, .layoutApplied(layout), now: Instant(seconds: 0))
        let friday = LocalDate("2026-11-20")!
        func at(_ day: LocalDate, _ h: Int, _ m: Int = 0) -> Instant { paris.instant(day, hour: h, minute: m) }
        let monday = paris.adding(days: 3, to: friday)
        for (id, start) in [("fri-evening", at(friday, 20, 30)), ("mon-talk", at(monday, 10))] {
            _ = Reducer.apply(
                &state,
                .sessionScheduled(
                    ProgramSession(
                        id: SessionID(id), title: id, room: "salle-1", start: start, end: start + .minutes(45))),
                now: Instant(seconds: 0))
        }
        func board(_ t: Instant) -> Board { Board.make(state, now: t, settings: BoardSettings()) }
        // Friday noon: open, today's program.
        var b = board(at(friday, 12))
        #expect(b.open && b.opensAt == nil && b.programDate == "2026-11-20")
        // Friday 19:45 → 20:15: still open for the 20:30 meetup, past public hours.
        b = board(at(friday, 20, 15))
        #expect(b.open && b.opensAt == nil && b.rows.map(\.start) == ["20:30"])
        // Friday 22:00: closed, nothing left today: opens Monday 08:00, Monday's program.
        b = board(at(friday, 22))
        #expect(!b.open && b.opensAt == "2026-11-23 08:00" && b.programDate == "2026-11-23")
        #expect(b.rows.flatMap(\.cells).map(\.id) == ["mon-talk"] && b.rows.first?.cells.first?.state == "next")
        // Saturday: closed all day.
        b = board(at(paris.adding(days: 1, to: friday), 15))
        #expect(!b.open && b.opensAt == "2026-11-23 08:00")
    }

    @Test func theBoardShowsTheDayAsTheBlackboardDoes() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)  // ends at 12:00:15 Paris
        for command in [
            session("s1", "salle-1", (11, 0), (11, 45)),
            session("s2", "salle-1", (11, 55), (12, 40)),
            session("s3", "grande-salle", (11, 30), (12, 30)),
            session("s4", "salle-1", (12, 45), (13, 30)),
            session("s5", "grande-salle", (12, 45), (13, 30)),
            session("lunch", nil, (13, 30), (15, 0), kind: .break),
            session("s6", "grande-salle", (15, 0), (16, 0)),
        ] {
            _ = try runtime.engine.execute(command, source: "test")
        }
        let now = site.time.now()
        let board = runtime.engine.read { Board.make($0, now: now, settings: BoardSettings()) }
        #expect(board.time == "12:00" && board.date == "2026-11-21" && board.locale == "fr")
        #expect(board.columns.map(\.room) == ["salle-1", "grande-salle"])
        #expect(board.rows.map(\.start) == ["11:00", "11:30", "11:55", "12:45", "13:30", "15:00"])
        var states: [String: (String, Bool)] = [:]
        for row in board.rows { for c in row.cells { states[c.id] = (c.state, c.starting) } }
        #expect(states["s1"]?.0 == "past")
        #expect(states["s2"]?.0 == "now" && states["s2"]?.1 == true)  // 5 min in: latecomers welcome
        #expect(states["s3"]?.0 == "now" && states["s3"]?.1 == false)
        #expect(states["s4"]?.0 == "next" && states["s5"]?.0 == "next")
        #expect(states["lunch"]?.0 == "later" && states["s6"]?.0 == "later")
        #expect(board.rows[4].cells.first?.room == nil)  // the break spans every room

        // A vacant desk booked now is not free for walk-ins; a room booked this afternoon is
        // free until then.
        runtime.engine.submit(.deskReported(DeskReport(desk: "j05", occupied: false)), source: "sensor")
        let vacant: DeskID = "j05"
        let before = try #require(
            runtime.engine.read { Board.make($0, now: now, settings: BoardSettings()) }.zones.first {
                $0.zone == "jardin"
            })
        let today = paris.date(of: now)
        _ = try runtime.engine.execute(
            .book(
                Booking(
                    id: "bk-display", member: "m-ada", resource: .desk(vacant), start: now,
                    end: paris.instant(today, hour: 18))), source: "test")
        _ = try runtime.engine.execute(
            .book(
                Booking(
                    id: "bk-room", member: "m-ada", resource: .room("salle-1"),
                    start: paris.instant(today, hour: 14), end: paris.instant(today, hour: 15))), source: "test")
        let after = runtime.engine.read { Board.make($0, now: now, settings: BoardSettings()) }
        #expect(after.zones.first { $0.zone == "jardin" }?.free == before.free - 1)
        let room = try #require(after.rooms.first { $0.room == "salle-1" })
        #expect(room.busy == false && room.until == "14:00")
        runtime.close()
    }

    @Test func displayIsSelfContainedAndSpaceAPIFollowsV15() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        let info = SpaceInfo(
            url: "https://lacantine.example", logo: "https://lacantine.example/logo.png", address: "Paris",
            lat: 48.87, lon: 2.34, email: "bonjour@lacantine.example",
            calendarURL: "https://lacantine.example/program.ics")
        let plain = Application(
            router: buildRouter(WebContext(site: runtime, version: "t")))
        try await plain.test(.router) { client in
            try await client.execute(uri: "/display", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                let html = String(buffer: response.body)
                #expect(html.contains("<script src=\"/display/app.js\" defer></script>"))
                #expect(!html.contains("http://") && !html.contains("https://"))  // nothing from outside
            }
            try await client.execute(uri: "/display/app.js", method: .get) { response in
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                let script = String(buffer: response.body)
                #expect(script.contains("new EventSource(\"/display/stream\")"))
                #expect(!script.contains("http://") && !script.contains("https://"))
                #expect(!script.contains("innerHTML"))  // titles are text, never markup
            }
            try await client.execute(uri: "/display/board.json", method: .get) { response in
                let board = try JSONDecoder().decode(Board.self, from: Data(buffer: response.body))
                #expect(board.site == "La Cantine" && board.zones.count == 2 && board.rooms.count == 3)
            }
            try await client.execute(uri: "/display/stream", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            try await client.execute(uri: "/spaceapi.json", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("add a [spaceapi] table"))
            }
        }
        let app = Application(
            router: buildRouter(
                WebContext(site: runtime, version: "t", space: info)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/spaceapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                let doc = try #require(
                    try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(doc["api_compatibility"] as? [String] == ["15"])
                #expect(doc["space"] as? String == "La Cantine")
                let location = doc["location"] as? [String: Any]
                #expect(location?["timezone"] as? String == "Europe/Paris" && location?["lat"] as? Double == 48.87)
                let sensors = doc["sensors"] as? [String: Any]
                let people = (sensors?["people_now_present"] as? [[String: Any]])?.first?["value"] as? Int
                #expect(people == 1)
                let locked = (sensors?["door_locked"] as? [[String: Any]])?.compactMap { $0["value"] as? Bool }
                #expect(locked == [true, true])
                let state = doc["state"] as? [String: Any]
                // Saturday: outside the sample's public hours (mon-fri), whoever is inside.
                #expect(state?["open"] as? Bool == false)
                #expect(state?["message"] as? String == "outside opening hours")
                let calendar = (doc["feeds"] as? [String: Any])?["calendar"] as? [String: String]
                #expect(calendar == ["type": "ical", "url": "https://lacantine.example/program.ics"])
                #expect((doc["contact"] as? [String: String])?["email"] == "bonjour@lacantine.example")
            }
        }
        runtime.close()
    }

    @Test func theStreamSendsTheBoardThenEachChangeAndGreetsMembers() async throws {
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        let board = BoardStream(
            engine: runtime.engine, bus: runtime.bus, settings: BoardSettings(locale: "en"),
            names: { runtime.store.memberName($0.rawValue) })
        let watching = Task { await board.run(tick: .seconds(3600)) }
        let app = Application(
            router: buildRouter(
                WebContext(site: runtime, version: "t", board: board))
        )
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // A screen reconnecting after a restart: whatever id it had, it gets the whole board.
            let screen = try StreamReader(port: port, path: "/display/stream", headers: ["Last-Event-ID: 3"])
            let first = try #require(await screen.next(containing: "event: board"))
            #expect(first.contains("retry: 2000") || first.hasPrefix("id: "))
            #expect(first.contains("\"locale\":\"en\""))
            let firstID = first.split(separator: "\n").first { $0.hasPrefix("id: ") }
            // A desk of the garden turns occupied: pushed to the open stream, no reload.
            let desk: DeskID = "j05"
            runtime.engine.submit(.deskReported(DeskReport(desk: desk, occupied: false)), source: "sensor")
            _ = try #require(await screen.next(containing: "event: board"))  // j05 now shows vacant
            let freeBefore = runtime.engine.read {
                Board.make($0, now: site.time.now(), settings: BoardSettings()).zones.first { $0.zone == "jardin" }?
                    .free
            }
            runtime.engine.submit(.deskReported(DeskReport(desk: desk, occupied: true)), source: "sensor")
            site.time.advance(.seconds(6))
            runtime.engine.submit(.timerFired(.desk(desk)), source: "timer")
            let second = try #require(await screen.next(containing: "event: board"))
            let secondID = second.split(separator: "\n").first { $0.hasPrefix("id: ") }
            #expect(secondID != firstID)
            let json = try #require(second.split(separator: "\n").first { $0.hasPrefix("data: ") }?.dropFirst(6))
            let pushed = try JSONDecoder().decode(Board.self, from: Data(json.utf8))
            #expect(pushed.zones.first { $0.zone == "jardin" }?.free == (freeBefore ?? 0) - 1)
            #expect(board.clientCount == 1)

            // Ada badges in at the entrance: the screen greets her by first name only.
            _ = DoorInput(door: "entree", runtime: runtime).frame(card(1234))
            let hello = try #require(await screen.next(containing: "event: welcome"))
            #expect(hello.contains(#"{"name":"Ada"}"#))
            // The board stopping (the daemon shutting down) ends every open stream.
            watching.cancel()
            #expect(await screen.next(containing: "event: board") == nil)
        }
        runtime.close()
    }
}
