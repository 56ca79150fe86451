// Program and reconciliation commands: calendar and schedule imports, the day's program
// exported for other displays, and the findings staff resolve.

import ArgumentParser
import CantineCore
import CantineDaemon
import CantineImport
import CantineSite
import CantineStore
import Foundation

extension CalendarTarget: ExpressibleByArgument {}
extension FindingAction: ExpressibleByArgument {}
extension UnmatchedRooms: ExpressibleByArgument {}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import bookings or the program from an iCalendar feed or a frab/pretalx schedule.json.",
        discussion: """
            A feed can be imported again: events are matched by UID (or guid), changed ones are \
            updated and those no longer in the feed are cancelled. An import lands whole or not at all.
            """,
        subcommands: [ICS.self, Schedule.self])

    struct ICS: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "ics", abstract: "Import an .ics file or URL (RRULE and time zones expanded by libical).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "A path, - for standard input, or an http(s) URL.") var source: String
        @Flag(help: "Only say what would change.") var dryRun = false
        @Option(name: .customLong("as"), help: "sessions (the program) or bookings (rooms, desks).")
        var target = CalendarTarget.sessions
        @Option(help: "The member bookings belong to (default: the member whose email is the ORGANIZER).")
        var member: String?
        @Option(help: "Feed name (default: from the file name or URL).") var feed: String?
        @Option(help: "First day imported (YYYY-MM-DD, today, tomorrow).") var from = "today"
        @Option(help: "Number of days imported (recurring events are expanded over them).") var days = 90
        @Option(
            help: """
                Events whose LOCATION is not a room (by id, name, alias or an address's first part): \
                refuse (the import, naming them), skip them, or site (sessions of the whole site).
                """)
        var unmatched = UnmatchedRooms.refuse

        func run() async throws {
            let text = try await FeedSource.text(of: source)
            try await perform(
                .importCalendar(
                    text: text, feed: feed ?? FeedSource.feedName(for: source), target: target, member: member,
                    from: from, days: days, dryRun: dryRun, unmatched: unmatched),
                global, output)
        }
    }

    struct Schedule: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "schedule",
            abstract:
                "Import a frab/pretalx schedule.json, v1 or v2 (pretalx: /<event>/schedule/export/schedule.json).",
            discussion: """
                The schedule's rooms are found among the site's by id or name; --room maps the others \
                ("Saal 1=grande-salle", or "Foyer=*" for the whole site), and --rooms skip leaves out \
                the talks of rooms that are not here.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "A path, - for standard input, or an http(s) URL.") var source: String
        @Flag(help: "Only say what would change.") var dryRun = false
        @Option(help: "Feed name (default: from the file name or URL).") var feed: String?
        @Option(
            name: .customLong("room"),
            help: ArgumentHelp(
                "A schedule room and the site's room it is (repeatable).", valueName: "schedule name=room id"))
        var roomMap: [String] = []
        @Option(
            help: "Talks in rooms the site does not have: refuse (the import), skip them, or site (the whole site's).")
        var rooms = UnmatchedRooms.refuse

        func run() async throws {
            var map: [String: String] = [:]
            for pair in roomMap {
                guard let eq = pair.lastIndex(of: "="), eq != pair.startIndex, pair.index(after: eq) != pair.endIndex
                else {
                    throw CLIFailure(
                        message:
                            "--room '\(pair)': expected \"schedule room=site room\", e.g. --room \"Saal 1=grande-salle\""
                    )
                }
                map[pair[..<eq].trimmingCharacters(in: .whitespaces)] = pair[pair.index(after: eq)...]
                    .trimmingCharacters(in: .whitespaces)
            }
            let text = try await FeedSource.text(of: source)
            try await perform(
                .importSchedule(
                    text: text, feed: feed ?? FeedSource.feedName(for: source), dryRun: dryRun,
                    rooms: ScheduleRooms(unmatched: rooms, map: map)), global, output)
        }
    }
}

struct Export: AsyncParsableCommand, HasGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the program as frab schedule.json, frab schedule.xml or iCalendar, for other displays.",
        discussion: """
            The same files the daemon serves at /program/schedule.json, /program/schedule.xml and \
            /program/program.ics. Each session is written once, on the day it starts.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "schedule (frab JSON), xml (frab XML) or ics.") var format: Format
    @Option(help: "First day (YYYY-MM-DD, today, tomorrow).") var date = "today"
    @Option(help: "Number of days from --date.") var days = 1
    @Option(name: .shortAndLong, help: "Write to this file (default: standard output).") var output: String?

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case schedule, xml, ics
    }

    func run() async throws {
        let config = try global.loadConfig()
        guard (1...366).contains(days) else { throw CLIFailure(message: "--days: expected 1 to 366, not \(days)") }
        let (from, _) = try dayBounds(date, config)
        let calendar = SiteCalendar.cached(config.timeZone)
        let first = calendar.date(of: from)
        let dates = (0..<days).map { calendar.adding(days: $0, to: first) }
        let to = calendar.instant(calendar.adding(days: days, to: first), hour: 0)
        let store = try SiteClient(config: config, logger: global.logger).openStore()
        // Sessions that start in the days (one that crosses midnight belongs to its first day).
        let sessions = try store.programSessions(overlapping: from, to).filter { $0.start >= from && $0.start < to }
        var site = FrabSchedule.Site(config.settings)
        // Rooms of the program only (an import's --rooms create) are in the journal's state.
        if sessions.contains(where: { s in s.room.map { r in !site.rooms.contains { $0.id == r.rawValue } } ?? false })
        {
            let state = try CantineSite.Replay.rebuild(store: store, site: config.siteID, useSnapshot: true).state
            site.rooms += (state.programRooms ?? [:]).values.sorted { $0.name < $1.name }.map {
                ($0.id.rawValue, $0.name)
            }
        }
        let data: Data =
            switch format {
            case .schedule: FrabSchedule.export(sessions, days: dates, site: site)
            case .xml: Data(FrabSchedule.exportXML(sessions, days: dates, site: site).utf8)
            case .ics: Data(ICSWriter.calendar(sessions, site: site, stamp: Instant(Date())).utf8)
            }
        if let output {
            do {
                try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIFailure(message: "cannot write \(output): \(error.localizedDescription)")
            }
            let span = days == 1 ? "\(first)" : "\(first) to \(dates.last ?? first)"
            print("\(sessions.count) sessions of \(span) written to \(output)")
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

struct Findings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "findings",
        abstract: "Reconciliation findings (no-shows, walk-ins, ghosts, capacity, sensors) and their resolution.",
        subcommands: [List.self, Resolve.self])

    struct List: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List open findings (with --all, resolved ones too).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Include resolved findings.") var all = false

        func run() async throws {
            let config = try global.loadConfig()
            let store = try SiteClient(config: config, logger: global.logger).openStore()
            // The findings as the journal has them: the last snapshot plus the events after it.
            let state = try CantineSite.Replay.rebuild(store: store, site: config.siteID, useSnapshot: true).state
            let tz = config.timeZone
            let findings = state.findings.values.filter { all || $0.open }.sorted { $0.raisedAt < $1.raisedAt }
            if output.json { return try printJSON(findings.map { FindingView($0) }) }
            if findings.isEmpty { return print(all ? "no findings" : "no open findings") }
            printTable(
                ["ID", "KIND", "WHERE", "DETAIL", "RAISED", "STATE"],
                findings.map { f in
                    [
                        f.id.rawValue, f.kind.rawValue, f.desk?.rawValue ?? f.room?.rawValue ?? "—", f.detail,
                        localText(f.raisedAt, tz),
                        f.resolution.map { "\($0.action.rawValue) by \($0.by)" }
                            ?? f.endedAt.map { "open, ended \(localText($0, tz).suffix(5))" } ?? "open",
                    ]
                })
        }
    }

    struct Resolve: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Resolve a finding: confirm, release (a ghost's booking), attach (a walk-in) or dismiss.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Finding id (see `cantine findings list`).") var id: String
        @Argument(help: "confirm, release, attach or dismiss.") var action: FindingAction
        @Option(help: "For attach: the member the walk-in is.") var member: String?
        @Option(help: "Who resolves it.") var by = ProcessInfo.processInfo.environment["USER"] ?? "cli"

        func run() async throws {
            try await perform(.resolveFinding(id: id, action: action, member: member, by: by), global, output)
        }
    }
}
