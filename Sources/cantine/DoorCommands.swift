// Door and broker commands: remote unlock (staff, audited, only through the running daemon),
// the access log read from SQLite with filters, and the mosquitto ACL of the site.

import ArgumentParser
import CantineConfig
import CantineCore
import CantineDaemon
import CantineProtocol
import CantineSite
import CantineStore
import Foundation

struct Doors: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doors",
        abstract: "The doors the config describes; unlock one remotely (audited).",
        subcommands: [List.self, Unlock.self])

    struct List: ParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "The doors the config describes, one per line with their lines (nothing when there are none).",
            discussion: "Reads the config only: the Debian package starts the daemon once this prints a door.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let doors = try global.loadConfig().doors
            if output.json { return try printJSON(doors) }
            for d in doors {
                let lines =
                    [("d0", d.d0Line), ("d1", d.d1Line), ("relay", d.relayLine)].map { "\($0) \($1)" }
                    + [("contact", d.contactLine), ("exit button", d.exitButtonLine)].compactMap { name, line in
                        line.map { "\(name) \($0)" }
                    }
                print("\(d.id)\t\(d.name)\t\(Defaults.direction.or(d.direction))\t\(lines.joined(separator: ", "))")
            }
        }
    }

    struct Unlock: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "unlock",
            abstract: "Unlock a door for one pulse, with a reason, through the running daemon.",
            discussion: "The request is journaled with who asked and why, and refused if it reaches the daemon late.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Door id.") var door: String
        @Option(help: "Why (kept in the journal): \"delivery\", \"locked-out member\"…") var reason: String
        @Option(help: "Who asks (default: cli:$USER).") var by: String?

        func run() async throws {
            let client = SiteClient(config: try global.loadConfig(), logger: global.logger)
            guard client.daemonRunning else {
                throw CommandError("no daemon is running, so nothing drives the \(door) relay: start `cantine serve`")
            }
            let who = GlobalOptions.actor(by)
            let op = SiteOperation.unlockDoor(
                door: door, by: who, reason: reason, requestedAtUs: Instant(Date()).micros)
            let result = try await client.perform(op)
            if output.json { try printJSON(result) } else { print(result.message) }
        }
    }
}

struct Log: AsyncParsableCommand, HasGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Recent access decisions with their reasons, newest first.",
        discussion: """
            cantine log --door entree --outcome denied --since 2h
            cantine log --member m-1 --since 2026-11-01 --until 2026-11-08
            cantine log --outcome denied.expired --json
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only this member.") var member: String?
    @Option(help: "Only this door.") var door: String?
    @Option(help: "granted, denied, or a reason code (granted.plan, denied.unknown_card…).") var outcome: String?
    @Option(help: "From (YYYY-MM-DD, \"YYYY-MM-DD HH:MM\", today, or an age: 30m, 2h, 7d).") var since: String?
    @Option(help: "Until (same forms as --since).") var until: String?
    @Option(help: "At most this many rows.") var limit = 50

    func validate() throws {
        let codes = AccessReason.allCases.map(\.rawValue)
        if let outcome, !(["granted", "denied"] + codes).contains(outcome) {
            throw ValidationError("--outcome: expected granted, denied or one of \(codes.joined(separator: ", "))")
        }
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit is 1 to 10000") }
    }

    func run() async throws {
        let config = try global.loadConfig()
        guard let calendar = SiteCalendar(timeZone: config.timeZone) else {
            throw CommandError("unknown time zone \(config.timeZone)")
        }
        let now = Instant(Date())
        let query = AccessLogQuery(
            member: member, door: door, outcome: outcome,
            sinceUs: try since.map { try calendar.moment($0, now: now).micros },
            untilUs: try until.map { try calendar.moment($0, now: now).micros }, limit: limit)
        let locale = config.settings.site.locale
        let rows = try SiteClient(config: config, logger: global.logger).openStore().accessLog(query)
            .map { AccessLogView($0, calendar: calendar, locale: locale) }
        if output.json { return try printJSON(rows) }
        printTable(
            ["TIME", "DOOR", "MEMBER", "DECISION", "PLAN", "WHY"],
            rows.map { r in
                [
                    r.local, r.door, r.member.map { id in r.memberName.map { "\(id) (\($0))" } ?? id } ?? "-", r.reason,
                    r.plan ?? "", r.by.map { "\($0): \(r.note ?? "")" } ?? r.label,
                ]
            })
    }
}

struct MQTT: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqtt", abstract: "Broker helpers.", subcommands: [ACL.self, CheckReports.self])

    struct CheckReports: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-reports",
            abstract: "Decode desk reports (one payload per line) as the daemon does; end with `N passed, N failed`.",
            discussion: "mosquitto_sub -t 'cantine/<site>/desks/+/report' | cantine mqtt check-reports")
        @Argument(help: "A file of payloads, one per line (default: standard input).") var file: String?

        func run() async throws {
            let text: String
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("\(file): no such readable file")
                }
                text = String(decoding: data, as: UTF8.self)
            } else {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            }
            var passed = 0
            var failed = 0
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.isEmpty {
                do {
                    let r = try SensorReport.decode(Array(line.utf8))
                    passed += 1
                    print(
                        "ok   \(n + 1): occupied=\(r.occupied) seq=\(r.seq) uptime_s=\(r.uptimeS) fw=\(r.fw)"
                            + (r.distanceCm.map { " distance_cm=\($0)" } ?? "") + (r.rssi.map { " rssi=\($0)" } ?? ""))
                } catch {
                    failed += 1
                    print("FAIL \(n + 1): \(error.message) [\(error.reason)]")
                }
            }
            print("\(passed) passed, \(failed) failed")
            if failed > 0 || passed == 0 { throw ExitCode(1) }
        }
    }

    struct ACL: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "acl",
            abstract: "Print a mosquitto acl_file for the site: each node may only publish its own topics.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The daemon's MQTT user (default: [mqtt] username, else cantine).") var daemonUser: String?

        func run() async throws {
            print(BrokerACL.text(try global.loadConfig(), daemonUser: daemonUser), terminator: "")
        }
    }
}
