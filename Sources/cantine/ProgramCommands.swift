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

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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

        func run() async throws {
            let text = try await FeedSource.text(of: source)
            try await perform(
                .importCalendar(
                    text: text, feed: feed ?? FeedSource.feedName(for: source), target: target, member: member,
                    from: from, days: days, dryRun: dryRun),
                global, output)
        }
    }

    struct Schedule: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            abstract: "Import a frab/pretalx schedule.json (pretalx: /<event>/schedule/export/schedule.json).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "A path, - for standard input, or an http(s) URL.") var source: String
        @Flag(help: "Only say what would change.") var dryRun = false
        @Option(help: "Feed name (default: from the file name or URL).") var feed: String?

        func run() async throws {
            let text = try await FeedSource.text(of: source)
            try await perform(
                .importSchedule(text: text, feed: feed ?? FeedSource.feedName(for: source), dryRun: dryRun), global,
                output)
        }
    }
}

struct Export: AsyncParsableCommand, HasGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "Write a day's program as frab schedule.json or iCalendar, for other displays.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "schedule or ics.") var format: Format
    @Option(help: "Date (YYYY-MM-DD, today, tomorrow).") var date = "today"
    @Option(name: .shortAndLong, help: "Write to this file (default: standard output).") var output: String?

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case schedule, ics
    }

    func run() async throws {
        let config = try global.loadConfig()
        let (from, to) = try dayBounds(date, config)
        let store = try SiteClient(config: config, logger: global.logger).openStore()
        let sessions = try store.sessions(overlapping: from, to).map { r in
            ProgramSession(
                id: SessionID(r.id), title: r.title, room: r.roomId.map { RoomID($0) },
                start: Instant(micros: r.startUs),
                end: Instant(micros: r.endUs), kind: SessionKind(rawValue: r.kind) ?? .talk, track: r.track,
                speakers: (try? JSONDecoder().decode([String].self, from: Data(r.speakers.utf8))) ?? [])
        }
        let site = FrabSchedule.Site(
            id: config.site.id, name: config.site.name, timeZone: config.timeZone,
            rooms: config.rooms.map { ($0.id, $0.name) }, language: config.settings.site.locale)
        let calendar = SiteCalendar.cached(config.timeZone)
        let data: Data =
            switch format {
            case .schedule: FrabSchedule.export(sessions, date: calendar.date(of: from), site: site)
            case .ics: Data(ICSWriter.calendar(sessions, site: site, stamp: Instant(Date())).utf8)
            }
        if let output {
            do {
                try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIFailure(message: "cannot write \(output): \(error.localizedDescription)")
            }
            print("\(sessions.count) sessions of \(calendar.date(of: from)) written to \(output)")
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

struct Findings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconciliation findings (no-shows, walk-ins, ghosts, capacity, sensors) and their resolution.",
        subcommands: [List.self, Resolve.self])

    struct List: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "List open findings (with --all, resolved ones too).")
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
