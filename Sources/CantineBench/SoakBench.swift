// `cantine bench soak`: the whole demo daemon (simulated doors and sensors, MQTT when mosquitto
// is there, HTTP) at 10× for N minutes, with an entrance screen on the live stream and a
// dashboard polling the JSON; memory and file descriptors sampled at start (once the load has
// reached the daemon a first time), during, and end.
// A leak shows as RSS growth per hour or fds that do not come back; the heap in use, SQLite's
// own memory and the state's size, sampled every minute, tell a leak from caches filling.
// The SD card's budget: bytes the process wrote (`/proc/self/io`), and SQLite's own by file,
// counted in the CSQLiteFaults VFS (nothing armed; its pre-images of the blocks written since
// each sync are in the heap figures until the sync frees them).

import CMemoryStats
import CSQLiteFaults
import CantineCore
import CantineDaemon
import CantineDemo
import CantineSite
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// What a soak measured.
public struct SoakBenchResult: Codable, Sendable {
    public var minutes: Double
    public var speed: Double
    public var mqtt: Bool
    /// Desks in the site (the demo's 24, or more: a crowd reporting as the firmware does).
    public var desks: Int
    /// Resident memory of the daemon started and idle, before the soak's load first reached it.
    public var rssBeforeLoadMB: Double
    /// Resident memory once the load has reached the daemon (a screen served its first board
    /// and left, each of the dashboard's requests answered once), at the end, and the most seen.
    public var rssStartMB: Double
    public var rssEndMB: Double
    public var rssMaxMB: Double
    /// Growth from start to end, per hour of soak.
    public var rssGrowthMBPerHour: Double
    /// Growth per hour from the tenth minute to the end (nil for a soak of 15 minutes or less):
    /// what goes on growing once every code path has run and the first pages are cached.
    public var rssGrowthAfterWarmupMBPerHour: Double?
    /// Of the resident memory, the anonymous part (heap and stacks) at start and end: the rest
    /// is code and read-only data mapped from files (the binary, the Swift runtime, Foundation,
    /// ICU), shared and reclaimable.
    public var rssAnonStartMB: Double
    public var rssAnonEndMB: Double
    public var fdsStart: Int
    public var fdsEnd: Int
    /// What the descriptors open at the end and not at the start point to (and the reverse).
    public var fdsOpened: [String]
    public var fdsClosed: [String]
    /// Bytes malloc has handed out and not had back (glibc's `mallinfo2`), SQLite's part of
    /// them (`sqlite3_memory_used`: its page caches, statements, schema), and the site's state
    /// as canonical JSON: at start and end.
    public var heapInUseStartMB: Double
    public var heapInUseEndMB: Double
    public var sqliteStartMB: Double
    public var sqliteEndMB: Double
    public var stateStartKB: Double
    public var stateEndKB: Double
    /// One sample per minute of soak.
    public var samples: [SoakSample]
    /// Events journaled, and the database with its WAL at the end.
    public var events: Int64
    public var journalMB: Double
    /// Bytes written to the disk from the start to the end (`/proc/self/io` write_bytes), in MB.
    public var diskWrittenMB: Double
    /// The same per hour of real time, and per day of the demo's time (`speed` days of it pass
    /// in one real day): what an SD card takes in a day at the site.
    public var diskWrittenMBPerHour: Double
    public var diskWrittenMBPerDay: Double
    /// Journal bytes appended meanwhile (payloads), in MB, and disk bytes per journal byte.
    public var journalAppendedMB: Double
    public var writeAmplification: Double?
    /// Journal entries and commits (transactions) made meanwhile, and the commit linger (ms,
    /// of the site simulated: the demo's is this divided by `speed`).
    public var entriesAppended: Int64
    public var commits: Int64
    public var commitLingerMs: Int
    /// What SQLite itself wrote meanwhile (counted in the VFS: the CSQLiteFaults shim, no fault
    /// armed), by file: the WAL (commits) and the database (checkpoints), in MB, and their syncs.
    public var sqliteWALWrittenMB: Double
    public var sqliteDBWrittenMB: Double
    public var walSyncs: Int64
    public var dbSyncs: Int64
    /// HTTP requests made by the polling dashboard, and boards received by the screen.
    public var requests: Int
    public var requestsFailed: Int
    public var boards: Int

    enum CodingKeys: String, CodingKey {
        case minutes, speed, mqtt, desks, rssBeforeLoadMB = "rss_before_load_mb", rssStartMB = "rss_start_mb",
            rssEndMB =
            "rss_end_mb", rssMaxMB = "rss_max_mb"
        case rssGrowthMBPerHour = "rss_growth_mb_per_hour", rssAnonStartMB = "rss_anon_start_mb"
        case rssGrowthAfterWarmupMBPerHour = "rss_growth_after_warmup_mb_per_hour"
        case rssAnonEndMB = "rss_anon_end_mb", fdsStart = "fds_start", fdsEnd = "fds_end", events
        case journalMB = "journal_mb", requests, requestsFailed = "requests_failed", boards
        case diskWrittenMB = "disk_written_mb", diskWrittenMBPerHour = "disk_written_mb_per_hour"
        case diskWrittenMBPerDay = "disk_written_mb_per_day", journalAppendedMB = "journal_appended_mb"
        case writeAmplification = "write_amplification", entriesAppended = "entries_appended", commits
        case commitLingerMs = "commit_linger_ms", sqliteWALWrittenMB = "sqlite_wal_written_mb"
        case sqliteDBWrittenMB = "sqlite_db_written_mb", walSyncs = "wal_syncs", dbSyncs = "db_syncs"
        case fdsOpened = "fds_opened", fdsClosed = "fds_closed", heapInUseStartMB = "heap_in_use_start_mb"
        case heapInUseEndMB = "heap_in_use_end_mb", sqliteStartMB = "sqlite_start_mb", sqliteEndMB = "sqlite_end_mb"
        case stateStartKB = "state_start_kb", stateEndKB = "state_end_kb", samples
    }
}

/// The memory figures at one minute of a soak.
public struct SoakSample: Codable, Sendable {
    public var minute: Int
    public var rssMB: Double
    public var rssAnonMB: Double
    public var heapInUseMB: Double
    public var sqliteMB: Double
    public var stateKB: Double
    public var events: Int64

    enum CodingKeys: String, CodingKey {
        case minute, rssMB = "rss_mb", rssAnonMB = "rss_anon_mb", heapInUseMB = "heap_in_use_mb"
        case sqliteMB = "sqlite_mb", stateKB = "state_kb", events
    }
}

/// This process's resident memory (MB) and open file descriptors, from /proc.
enum ProcessUsage {
    /// Bytes this process caused to be written to storage (`/proc/self/io` write_bytes: what
    /// reaches the disk, page by page, fsyncs included; not sockets).
    static func diskWrittenBytes() -> Int64 {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("write_bytes:") })
        else { return 0 }
        return Int64(line.split(separator: " ").last ?? "") ?? 0
    }

    static func rssMB(_ field: String = "VmRSS:") -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
            let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }

    static func fds() -> Int { fdTargets().count }

    /// What each open descriptor points to (`/path`, `anon_inode:[eventfd]`, `pipe`, a TCP or
    /// UDP socket with its ports and state, `tcp :8080 -> :41234 ESTABLISHED`, a Unix socket
    /// with its path if bound, `unix`), without inode numbers so that kinds compare.
    static func fdTargets() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        let sockets = socketNames()
        return names.compactMap { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd) else {
                return nil  // the directory's own descriptor, closed by now
            }
            if target.hasPrefix("socket:[") { return sockets[String(target.dropFirst(8).dropLast())] ?? "socket" }
            return target.hasPrefix("pipe:") ? "pipe" : target
        }.sorted()
    }

    /// Sockets by inode, from /proc/self/net: `tcp :local -> :remote STATE`, `udp :local -> :remote`,
    /// `unix /path` (or `unix` when unbound).
    static func socketNames() -> [String: String] {
        let states = ["01": "ESTABLISHED", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "0A": "LISTEN"]
        func lines(_ file: String) -> [[Substring]] {
            // Read to the end: /proc hands the table out a page at a time.
            let data = FileHandle(forReadingAtPath: "/proc/self/net/" + file)?.readDataToEndOfFile() ?? Data()
            let text = String(decoding: data, as: UTF8.self)
            return text.split(separator: "\n").dropFirst().map { $0.split(separator: " ") }
        }
        func port(_ address: Substring) -> String {
            address.split(separator: ":").last.flatMap { UInt16($0, radix: 16) }.map { ":\($0)" } ?? "?"
        }
        var out: [String: String] = [:]
        for proto in ["tcp", "tcp6", "udp", "udp6"] {
            for f in lines(proto) where f.count > 9 {
                let state = proto.hasPrefix("tcp") ? " " + (states[String(f[3])] ?? String(f[3])) : ""
                out[String(f[9])] = "\(proto.prefix(3)) \(port(f[1])) -> \(port(f[2]))\(state)"
            }
        }
        for f in lines("unix") where f.count > 6 {
            out[String(f[6])] = f.count > 7 ? "unix \(f[7])" : "unix"
        }
        return out
    }

    /// Bytes malloc has handed out (small blocks and mmapped ones), in MB.
    static func heapInUseMB() -> Double {
        let info = mallinfo2()
        return Double(info.uordblks + info.hblkhd) / 1_048_576
    }

    /// Bytes SQLite's allocator holds (page caches, prepared statements, schemas), in MB.
    static func sqliteMB() -> Double { Double(sqlite3_memory_used()) / 1_048_576 }

    /// `a` minus `b`, as multisets.
    static func difference(_ a: [String], _ b: [String]) -> [String] {
        var left = b
        return a.filter { item in
            guard let i = left.firstIndex(of: item) else { return true }
            left.remove(at: i)
            return false
        }
    }
}

extension Bench {
    /// Runs the demo for `minutes` of real time at `speed`× and reports memory, fds, journal.
    public static func soak(
        minutes: Double, speed: Double, warmupSeconds: Double = 5, commitLingerMs: Int? = nil, desks: Int = 24,
        directory: String, logger: Logger
    ) async throws -> SoakBenchResult {
        let dir = directory + "/cantine-soak-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let httpPort = MosquittoProcess.freePort()
        let mqttPort = MosquittoProcess.freePort()
        let mosquitto = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].contains {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        let outcome = Mutex<SoakBenchResult?>(nil)
        // SQLite's writes counted by file in the VFS shim (nothing armed: it only counts).
        cfault_install()
        cfault_scope(URL(fileURLWithPath: dir).standardizedFileURL.path + "/")
        defer { cfault_scope(nil) }
        var options = DemoOptions(
            dataDirectory: dir, httpPort: httpPort, mqttPort: mqttPort, mqtt: mosquitto, speed: speed)
        options.commitLingerMs = commitLingerMs
        options.desks = desks
        try await Demo.run(
            options,
            logger: logger, announce: false,
            extraServices: { runtime in
                [
                    SoakProbe(
                        runtime: runtime, port: httpPort, minutes: minutes, speed: speed, mqtt: mosquitto,
                        warmupSeconds: warmupSeconds, database: dir + "/cantine.db"
                    ) { result in outcome.withLock { $0 = result } }
                ]
            })
        guard let result = outcome.withLock({ $0 }) else {
            throw DaemonError("soak: the daemon stopped before the soak ended (see the log)")
        }
        return result
    }
}

/// Watches the daemon it runs in: a screen on /display/stream, a dashboard polling JSON every
/// second, samples every 10 s; at the end it reports and stops the daemon with SIGTERM (the
/// real shutdown path).
/// What SQLite has written through the VFS shim so far, by file.
struct VFSCounts {
    let wal = cfault_written(Int32(CFAULT_WAL))
    let db = cfault_written(Int32(CFAULT_MAIN_DB))
    let walSyncs = cfault_syncs(Int32(CFAULT_WAL))
    let dbSyncs = cfault_syncs(Int32(CFAULT_MAIN_DB))
}

struct SoakProbe: Service {
    let runtime: Site
    let port: Int
    let minutes: Double
    let speed: Double
    let mqtt: Bool
    let warmupSeconds: Double
    let database: String
    let done: @Sendable (SoakBenchResult) -> Void

    func run() async throws {
        let paths = ["/display/board.json", "/healthz", "/spaceapi.json", "/display"]
        await pause(.milliseconds(Int(warmupSeconds * 1000)))
        let fdsIdle = ProcessUsage.fds()
        let rssBeforeLoad = ProcessUsage.rssMB()
        // One round of the load before the start figures: the first screen and the first of
        // each request run code, fill lazy globals and fault pages in once, however long the
        // soak. The start is then a daemon that has served its load, as the end is.
        let first = try BenchScreen(port: port, record: false)
        for path in paths { _ = LoopbackHTTP.get(port: port, path: path) }
        for _ in 0..<100 where first.boards.withLock({ $0 }) == 0 { await pause(.milliseconds(100)) }
        first.close()
        await descriptorsSettle(to: fdsIdle)
        let rssStart = ProcessUsage.rssMB()
        let anonStart = ProcessUsage.rssMB("RssAnon:")
        let fdsStart = ProcessUsage.fdTargets()
        let heapStart = ProcessUsage.heapInUseMB()
        let sqliteStart = ProcessUsage.sqliteMB()
        let stateStart = stateKB()
        let diskStart = ProcessUsage.diskWrittenBytes()
        let seqStart = runtime.engine.lastSeq
        let commitsStart = runtime.journal.batches
        let vfsStart = VFSCounts()
        var samples: [SoakSample] = []
        var rssMax = rssStart
        let screen = try BenchScreen(port: port, record: false)
        let clock = ContinuousClock()
        let begin = clock.now
        let end = begin + .milliseconds(Int(minutes * 60_000))
        var requests = 0
        var failed = 0
        var tick = 0
        while clock.now < end, !Task.isShuttingDownGracefully, !Task.isCancelled {
            let status = LoopbackHTTP.get(port: port, path: paths[tick % paths.count])
            requests += 1
            if status != 200 && status != 404 { failed += 1 }  // 404: SpaceAPI not configured
            tick += 1
            if tick % 10 == 0 { rssMax = max(rssMax, ProcessUsage.rssMB()) }
            let minute = Int((clock.now - begin) / .seconds(60))
            if minute > (samples.last?.minute ?? 0) { samples.append(sample(minute: minute)) }
            await pause(.seconds(1))
        }
        screen.close()
        await descriptorsSettle(to: fdsStart.count)
        let rssEnd = ProcessUsage.rssMB()
        let anonEnd = ProcessUsage.rssMB("RssAnon:")
        let fdsEnd = ProcessUsage.fdTargets()
        runtime.journal.flush()
        sync()  // what is dirty is written now, and counted
        let diskBytes = Double(ProcessUsage.diskWrittenBytes() - diskStart)
        let vfs = VFSCounts()
        let appended = Double((try? runtime.store.journalPayloadBytes(after: seqStart)) ?? 0)
        let elapsedHours = max(minutes, 1e-9) / 60
        let journal = ["", "-wal"].compactMap {
            (try? FileManager.default.attributesOfItem(atPath: database + $0))?[.size] as? Int
        }.reduce(0, +)
        done(
            SoakBenchResult(
                minutes: minutes, speed: speed, mqtt: mqtt, desks: runtime.settings.layout.desks.count,
                rssBeforeLoadMB: rssBeforeLoad, rssStartMB: rssStart,
                rssEndMB: rssEnd,
                rssMaxMB: max(rssMax, rssEnd), rssGrowthMBPerHour: (rssEnd - rssStart) / max(minutes, 1e-9) * 60,
                rssGrowthAfterWarmupMBPerHour: minutes > 15
                    ? samples.first { $0.minute >= 10 }.map { (rssEnd - $0.rssMB) / (minutes - Double($0.minute)) * 60 }
                    : nil,
                rssAnonStartMB: anonStart, rssAnonEndMB: anonEnd, fdsStart: fdsStart.count, fdsEnd: fdsEnd.count,
                fdsOpened: ProcessUsage.difference(fdsEnd, fdsStart),
                fdsClosed: ProcessUsage.difference(fdsStart, fdsEnd),
                heapInUseStartMB: heapStart, heapInUseEndMB: ProcessUsage.heapInUseMB(), sqliteStartMB: sqliteStart,
                sqliteEndMB: ProcessUsage.sqliteMB(), stateStartKB: stateStart, stateEndKB: stateKB(), samples: samples,
                events: runtime.engine.lastSeq,
                journalMB: Double(journal) / 1_048_576, diskWrittenMB: diskBytes / 1_048_576,
                diskWrittenMBPerHour: diskBytes / 1_048_576 / elapsedHours,
                diskWrittenMBPerDay: diskBytes / 1_048_576 / (elapsedHours * speed) * 24,
                journalAppendedMB: appended / 1_048_576,
                writeAmplification: appended > 0 ? diskBytes / appended : nil,
                entriesAppended: runtime.engine.lastSeq - seqStart, commits: runtime.journal.batches - commitsStart,
                commitLingerMs: Int((Double(runtime.settings.commitLinger.micros) / 1000 * speed).rounded()),
                sqliteWALWrittenMB: Double(vfs.wal - vfsStart.wal) / 1_048_576,
                sqliteDBWrittenMB: Double(vfs.db - vfsStart.db) / 1_048_576,
                walSyncs: vfs.walSyncs - vfsStart.walSyncs, dbSyncs: vfs.dbSyncs - vfsStart.dbSyncs,
                requests: requests,
                requestsFailed: failed,
                boards: screen.boards.withLock { $0 }))
        kill(getpid(), SIGTERM)
        try? await gracefulShutdown()
    }
}

extension SoakProbe {
    /// Waits until no more than `count` descriptors are open, up to 45 s. The server learns a
    /// screen has gone when it next writes to it (a keep-alive comes every 15 s; the write after
    /// the peer's reset fails): until then its side of the connection stays open (CLOSE_WAIT,
    /// then reset). A descriptor that leaked never comes back.
    func descriptorsSettle(to count: Int) async {
        await pause(.milliseconds(200))
        for _ in 0..<45 where ProcessUsage.fds() > count { await pause(.seconds(1)) }
    }

    /// The site's state as canonical JSON, in KB: what the daemon must hold whatever it caches.
    func stateKB() -> Double { Double(runtime.engine.read { $0.canonicalJSON().count }) / 1024 }

    func sample(minute: Int) -> SoakSample {
        SoakSample(
            minute: minute, rssMB: ProcessUsage.rssMB(), rssAnonMB: ProcessUsage.rssMB("RssAnon:"),
            heapInUseMB: ProcessUsage.heapInUseMB(), sqliteMB: ProcessUsage.sqliteMB(), stateKB: stateKB(),
            events: runtime.engine.lastSeq)
    }
}

/// A one-shot HTTP/1.1 GET on 127.0.0.1 with a plain socket: the status code, 0 on failure.
enum LoopbackHTTP {
    /// A TCP socket connected to 127.0.0.1:`port`, nil when nothing accepts.
    static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    static func get(port: Int, path: String) -> Int {
        guard let fd = connect(port: port) else { return 0 }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let head = String(decoding: response.prefix(32), as: UTF8.self)
        return head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    }
}
