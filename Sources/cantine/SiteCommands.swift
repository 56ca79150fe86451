// Site-level commands: serve, demo, init, doctor, replay.

import ArgumentParser
import CantineConfig
import CantineCore
import CantineDaemon
import CantineDemo
import CantineSite
import CantineStore
import Foundation
import Logging

struct Serve: AsyncParsableCommand, HasGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon (doors, sensors, MQTT, HTTP) until SIGTERM/SIGINT.")
    static var defaultLogLevel: Logger.Level { .info }
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        // The relays first, from the door tables alone; then the whole config.
        let (hardware, config) = try SafeBoot.start(configPath: global.configPath, logger: global.logger)
        try await Daemon.run(config: config, hardware: hardware, logger: global.logger)
    }
}

struct Demo: AsyncParsableCommand, HasGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Run the whole daemon with simulated hardware on a seeded La Cantine, with a realistic day of traffic.")
    static var defaultLogLevel: Logger.Level { .notice }
    @OptionGroup var global: GlobalOptions
    @Option(help: "HTTP port on 127.0.0.1.") var port = 8080
    @Option(help: "MQTT broker port on 127.0.0.1 (a mosquitto is started there if none listens).") var mqttPort = 1883
    @Flag(help: "Run without MQTT.") var noMqtt = false
    @Option(help: "How many times faster than real time the demo day runs.") var speed = 60.0
    @Option(help: "Directory for the demo's config and database (recreated each run).") var data = "demo-data"
    @Option(help: "Past days of traffic played at start (the dashboard's utilisation history).") var historyDays = 7
    @Option(help: "Desks in the layout: beyond the cast's 24, a crowd whose nodes report as the firmware does.")
    var desks = 24

    mutating func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port \(port): expected 1–65535") }
        guard (1...65535).contains(mqttPort) else { throw ValidationError("--mqtt-port \(mqttPort): expected 1–65535") }
        guard speed >= 1, speed <= 10_000 else { throw ValidationError("--speed \(speed): expected 1 to 10000") }
        guard (0...60).contains(historyDays) else {
            throw ValidationError("--history-days \(historyDays): expected 0 to 60")
        }
        guard (24...2000).contains(desks) else { throw ValidationError("--desks \(desks): expected 24 to 2000") }
    }

    func run() async throws {
        var options = DemoOptions(
            dataDirectory: data, httpPort: port, mqttPort: mqttPort, mqtt: !noMqtt, speed: speed,
            historyDays: historyDays)
        options.desks = desks
        try await CantineDemo.Demo.run(options, logger: global.logger)
    }
}

struct Init: AsyncParsableCommand, HasGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented sample config and create the database.",
        discussion: """
            With a config already there, creates its database (for the site the config names); a \
            database of another site that holds no activity yet is kept aside and made anew.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Database file (default: beside the config, or /var/lib/cantine/cantine.db for /etc configs).")
    var database: String?
    @Option(help: "The site's id in a new config (a-z 0-9 - _; default paris).") var site: String?
    @Option(help: "The site's name in a new config.") var name: String?
    @Flag(help: "Use simulated GPIO (no hardware).") var simulated = false
    @Flag(help: "Overwrite an existing config file.") var force = false
    @Flag(help: "Print the sample config and create nothing.") var print = false
    @Flag(
        help:
            "Write the example zones, doors, rooms and desks as comments: a daemon started on it drives no line (the Debian package's config)."
    )
    var noExamples = false

    func run() async throws {
        let path = global.configPath
        let fm = FileManager.default
        if print {
            Swift.print(
                SampleConfig.text(
                    databasePath: database ?? "/var/lib/cantine/cantine.db", simulated: simulated, siteID: site,
                    siteName: name, examplesCommented: noExamples), terminator: "")
            return
        }
        let configURL = URL(fileURLWithPath: path).standardizedFileURL
        if let site, !Slug.isValid(site) || site == "network" {
            throw CLIFailure(message: "--site '\(site)': use 1–64 of a-z 0-9 - _ (and not 'network')")
        }
        var wrote = false
        if !fm.fileExists(atPath: path) || force {
            let defaultDB =
                configURL.path.hasPrefix("/etc/")
                ? "/var/lib/cantine/cantine.db"
                : configURL.deletingLastPathComponent().appendingPathComponent("cantine.db").path
            let dbPath = URL(fileURLWithPath: database ?? defaultDB).standardizedFileURL.path
            let configDir = configURL.deletingLastPathComponent().path
            do {
                try fm.createDirectory(atPath: configDir, withIntermediateDirectories: true)
                try SampleConfig.text(
                    databasePath: dbPath, simulated: simulated, siteID: site, siteName: name,
                    examplesCommented: noExamples
                ).write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw CLIFailure(message: "cannot write \(path): \(error.localizedDescription)")
            }
            wrote = true
        } else if site != nil || name != nil || database != nil {
            throw CLIFailure(
                message:
                    "\(path) already exists: set site.id, site.name or database.path in it (then `cantine init` creates the database), or pass --force to write a new one"
            )
        }
        let config = try Config.load(path: path)
        let dbPath = config.settings.database.path
        let dbDir = URL(fileURLWithPath: dbPath).deletingLastPathComponent().path
        do {
            try fm.createDirectory(atPath: dbDir, withIntermediateDirectories: true)
        } catch {
            throw CLIFailure(message: "cannot create \(dbDir): \(error.localizedDescription)")
        }
        let aside = try setAsideIfEmptyOfAnotherSite(dbPath, site: config.siteID.rawValue)
        let existed = fm.fileExists(atPath: dbPath)
        let runtime = try Site.open(
            config: config, role: .tool, mode: .create, version: cantineVersion, logger: global.logger)
        runtime.close()
        var lines = [wrote ? "wrote \(path)" : "kept \(path) (site \(config.siteID))"]
        if let aside { lines.append(aside) }
        lines.append(
            existed
                ? "\(dbPath) is ready (schema \(Store.schemaVersion))"
                : "created \(dbPath) (schema \(Store.schemaVersion))")
        lines.append("next: edit the doors and desks, then `cantine doctor --config \(path)`")
        Swift.print(lines.joined(separator: "\n"))
    }

    /// A database of another site with nothing but layouts in its journal is renamed
    /// `<file>.<old site>.bak` (nothing is lost); one with activity is refused.
    func setAsideIfEmptyOfAnotherSite(_ dbPath: String, site: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: dbPath) else { return nil }
        // Held while reading and moving: never from under a running daemon.
        let lock: ProcessLock
        do {
            lock = try ProcessLock(databasePath: dbPath)
        } catch {
            throw CLIFailure(
                message: "\(dbPath) is in use (a daemon is running on it?): stop it first; nothing was changed")
        }
        defer { lock.release() }
        let (owner, active): (String?, Bool)
        do {
            let store = try Store(path: dbPath, mode: .existing)
            owner = try store.meta("site")
            active = try store.hasActivity()
        } catch {
            throw CLIFailure(message: "cannot read \(dbPath): \(error)")
        }
        guard let owner, owner != site else { return nil }
        guard !active else {
            throw CLIFailure(
                message:
                    "\(dbPath) holds site '\(owner)' with its history, the config says site.id = \"\(site)\": set site.id back to \"\(owner)\", or give the new site its own database.path"
            )
        }
        let backup = dbPath + ".\(owner).bak"
        // An older backup's journal files must not be read with the new one.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: backup + suffix) }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: dbPath + suffix) {
            do {
                try FileManager.default.moveItem(atPath: dbPath + suffix, toPath: backup + suffix)
            } catch {
                throw CLIFailure(message: "cannot move \(dbPath + suffix) aside: \(error.localizedDescription)")
            }
        }
        return "\(dbPath) held site '\(owner)' and no activity: kept as \(backup), made anew for '\(site)'"
    }
}

struct Doctor: AsyncParsableCommand, HasGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Check config, database, GPIO, MQTT broker and clock.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let checks = CantineDaemon.Doctor.run(configPath: global.configPath)
        if json {
            try printJSON(checks)
        } else {
            for c in checks {
                print(
                    "\(c.ok ? "OK  " : "FAIL") \(c.name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(c.detail)")
            }
        }
        if checks.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }
}

struct Replay: AsyncParsableCommand, HasGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild the state from the whole journal and check it against the live state.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    struct Report: Encodable {
        var events: Int64
        var seconds: Double
        var lastSeq: Int64
        var digest: String
        var liveSeq: Int64?
        var liveDigest: String?
        var matches: Bool?
        enum CodingKeys: String, CodingKey {
            case events, seconds, lastSeq = "last_seq", digest, liveSeq = "live_seq", liveDigest = "live_digest",
                matches
        }
    }

    func run() async throws {
        let config = try global.loadConfig()
        let client = SiteClient(config: config, logger: global.logger)
        // The live state: a fresh snapshot from the running daemon, else the last one taken.
        if ProcessLock.isHeld(databasePath: config.database.path) {
            _ = try await client.perform(.snapshot)
        }
        let store = try client.openStore()
        let live = try store.latestSnapshot()
        let full = try CantineSite.Replay.rebuild(store: store, site: config.siteID, useSnapshot: false)
        var report = Report(
            events: full.applied, seconds: full.seconds, lastSeq: full.lastSeq, digest: full.digest, liveSeq: live?.seq,
            liveDigest: live?.digest)
        if let live {
            let atLive =
                live.seq == full.lastSeq
                ? full
                : try CantineSite.Replay.rebuild(
                    store: store, site: config.siteID, useSnapshot: false, through: live.seq)
            report.matches = atLive.digest == live.digest
        }
        if json {
            try printJSON(report)
        } else {
            let base = full.fromSnapshot.map { " from the base snapshot at seq \($0) (compacted journal)" } ?? ""
            print(
                "replayed \(report.events) events\(base) in \(String(format: "%.2f", report.seconds)) s; last seq \(report.lastSeq)"
            )
            print("state digest \(report.digest)")
            if let live, let matches = report.matches {
                print(
                    "live state at seq \(live.seq): \(matches ? "matches the replay" : "DIFFERS from the replay (\(live.digest))")"
                )
            } else {
                print("no live state to compare with (no snapshot yet; run with the daemon up)")
            }
        }
        if report.matches == false { throw ExitCode(1) }
    }
}
