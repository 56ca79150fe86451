// `cantine bench display`: N screens on /display's SSE stream over loopback HTTP, desk
// changes injected one after another; for each change, the time from the state change (the
// event entering the engine) until the last screen has received the new board. Real server,
// real sockets, real board rendering; the clock is manual only so hysteresis timers can fire
// on demand.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineSite
import CantineWeb
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Figures of the display bench.
public struct DisplayBenchResult: Codable, Sendable {
    public var clients: Int
    public var changes: Int
    public var p50Ms: Double
    public var p99Ms: Double
    public var maxMs: Double
    /// Changes some screen never received within the timeout.
    public var missed: Int

    enum CodingKeys: String, CodingKey {
        case clients, changes, p50Ms = "p50_ms", p99Ms = "p99_ms", maxMs = "max_ms", missed
    }
}

/// One screen: a blocking reader thread noting when each board (by journal seq) arrived.
final class BenchScreen: @unchecked Sendable {
    let fd: Int32
    /// (board id, arrival in DispatchTime nanoseconds), in order.
    let arrivals = Mutex<[(Int64, UInt64)]>([])
    /// Boards received (all of them, kept or not).
    let boards = Mutex(0)
    /// Keep each arrival (the display bench); a long soak only counts them.
    let record: Bool

    init(port: Int, record: Bool = true) throws {
        self.record = record
        guard let fd = LoopbackHTTP.connect(port: port) else {
            throw DaemonError("bench: cannot connect to 127.0.0.1:\(port)")
        }
        self.fd = fd
        let request = "GET /display/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        let thread = Thread { [self] in readLoop() }
        thread.name = "bench-screen"
        thread.start()
    }

    func readLoop() {
        var buffer = ""
        var bytes = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &bytes, bytes.count, 0)
            guard n > 0 else {
                Glibc.close(fd)
                return
            }
            let now = DispatchTime.now().uptimeNanoseconds
            buffer += String(decoding: bytes[0..<n], as: UTF8.self)
            while let range = buffer.range(of: "\nevent: board\n") {
                let head = buffer[..<range.lowerBound]
                if let idStart = head.range(of: "id: ", options: .backwards),
                    let id = Int64(head[idStart.upperBound...])
                {
                    boards.withLock { $0 += 1 }
                    if record { arrivals.withLock { $0.append((id, now)) } }
                }
                buffer.removeSubrange(..<range.upperBound)
            }
        }
    }

    /// When the first board with an id ≥ `seq` arrived.
    func arrival(atLeast seq: Int64) -> UInt64? {
        arrivals.withLock { $0.first { $0.0 >= seq }?.1 }
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)) }
}

extension Bench {
    /// `clients` screens, `changes` desk changes one after the other.
    public static func display(clients: Int, changes: Int, directory: String, logger: Logger) async throws
        -> DisplayBenchResult
    {
        let dir = directory + "/cantine-bench-display-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = SampleConfig.text(databasePath: dir + "/bench.db", simulated: true)
            .replacingOccurrences(of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false")
        let config = try Config.parse(text, file: "bench.toml")
        let time = ManualTime(Instant(Date()))
        let runtime = try Site.open(
            config: config, role: .daemon, mode: .create, time: time, version: cantineVersion, logger: logger)
        defer { runtime.close() }
        let board = BoardStream(engine: runtime.engine, bus: runtime.bus, settings: config.settings.boardSettings)
        let context = WebContext(
            site: runtime, version: cantineVersion, board: board)
        // Cancelling the server at the end logs the open streams it cut: not news here.
        var quiet = logger
        quiet.logLevel = .critical
        let port = Mutex<Int?>(nil)
        let app = Application(
            router: buildRouter(context, logger: quiet),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "cantine-bench"),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: quiet)
        let desks = config.desks.map { DeskID($0.id) }
        let rules = runtime.engine.read { $0.layout?.sensors } ?? SensorRules()
        // Every desk starts vacant, so each change below moves a free-desk count.
        for desk in desks {
            runtime.engine.submit(.deskReported(DeskReport(desk: desk, occupied: false)), source: "bench")
        }

        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            group.addTask { await board.run(tick: .seconds(3600)) }
            defer { group.cancelAll() }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let screens = try (0..<clients).map { _ in try BenchScreen(port: port.withLock { $0 } ?? 0) }
            defer { screens.forEach { $0.close() } }
            // Everyone has the first board before the clock starts.
            while !screens.allSatisfy({ $0.arrival(atLeast: 0) != nil }) { try await Task.sleep(for: .milliseconds(5)) }

            var latencies: [Double] = []
            var missed = 0
            var occupied = Set<DeskID>()
            for i in 0..<changes {
                let desk = desks[i % desks.count]
                let turnOn = !occupied.contains(desk)
                // The report starts the hysteresis; the timer firing is the state change measured.
                runtime.engine.submit(.deskReported(DeskReport(desk: desk, occupied: turnOn)), source: "bench")
                time.advance(Span(micros: (turnOn ? rules.occupiedAfter : rules.vacantAfter).micros + 1_000_000))
                let t0 = DispatchTime.now().uptimeNanoseconds
                runtime.engine.submit(.timerFired(.desk(desk)), source: "bench")
                let seq = runtime.engine.lastSeq
                if turnOn { occupied.insert(desk) } else { occupied.remove(desk) }
                let deadline = t0 + 2_000_000_000
                var last: UInt64?
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    let times = screens.compactMap { $0.arrival(atLeast: seq) }
                    if times.count == screens.count {
                        last = times.max()
                        break
                    }
                    try await Task.sleep(for: .microseconds(200))
                }
                if let last { latencies.append(Double(last - min(last, t0)) / 1_000_000) } else { missed += 1 }
            }
            return DisplayBenchResult(
                clients: clients, changes: changes, p50Ms: percentile(latencies, 0.5),
                p99Ms: percentile(latencies, 0.99),
                maxMs: latencies.max() ?? 0, missed: missed)
        }
    }
}
