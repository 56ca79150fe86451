// `cantine sessions`: the day's program — add, edit, list, remove. Changes go through
// SiteClient; reads go to SQLite.

import ArgumentParser
import CantineConfig
import CantineCore
import CantineDaemon
import CantineProtocol
import CantineStore
import Foundation

struct Sessions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "The day's program: add, edit, list and remove sessions and breaks.",
        subcommands: [Add.self, Edit.self, List.self, Remove.self])

    /// Start and end from `--slot N` (the config's `[program] slots`) or `--start`/`--end`.
    static func times(slot: Int?, start: String?, end: String?, _ config: Config) throws -> (String?, String?) {
        guard let slot else { return (start, end) }
        let slots = config.settings.program
        guard !slots.isEmpty else {
            throw CLIFailure(
                message: "--slot needs the barcamp grid: add [program] slots = [\"10:00-10:45\", …] to the config")
        }
        guard (1...slots.count).contains(slot) else {
            throw CLIFailure(message: "--slot \(slot): the grid has slots 1 to \(slots.count) (see [program] slots)")
        }
        return (start ?? slots[slot - 1].start, end ?? slots[slot - 1].end)
    }

    struct Add: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a session (or a break with --kind break and no --room).",
            discussion: "On a barcamp day: cantine sessions add --slot 2 --room salle-1 \"Open data et vin\"")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Title, e.g. \"Open data et vin\".") var title: String
        @Option(help: "Room id.") var room: String?
        @Option(help: "Slot of the barcamp grid (1 is the first of [program] slots).") var slot: Int?
        @Option(help: "Start (HH:MM).") var start: String?
        @Option(help: "End (HH:MM).") var end: String?
        @Option(help: "Date (YYYY-MM-DD, today, tomorrow).") var date = "today"
        @Option(
            help:
                "\(SessionKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: barcamp with --slot, else talk)."
        )
        var kind: SessionKind?
        @Option(help: "Track.") var track: String?
        @Option(help: "Speaker or proposer (repeatable).") var speaker: [String] = []
        @Option(help: "Session id (default: a fresh id).") var id: String?

        mutating func validate() throws {
            if room == nil && kind != .break {
                throw ValidationError("a session needs --room (only a break may have none)")
            }
            if slot == nil && (start == nil || end == nil) {
                throw ValidationError("give --slot N, or --start and --end (HH:MM)")
            }
        }

        func run() async throws {
            let (start, end) = try Sessions.times(slot: slot, start: start, end: end, try global.loadConfig())
            try await perform(
                .addSession(
                    title: title, room: room, date: date, start: start ?? "", end: end ?? "",
                    kind: kind ?? (slot == nil ? .talk : .barcamp), track: track, speakers: speaker, id: id),
                global, output)
        }
    }

    struct Edit: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "edit",
            abstract: "Change a session: move it to another slot, room, day or time, or retitle it.",
            discussion: "cantine sessions edit s-1 --slot 3 --room mezzanine", aliases: ["move"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Session id.") var id: String
        @Option(help: "New title.") var title: String?
        @Option(help: "New room id (none: the whole site, for a break).") var room: String?
        @Option(help: "New slot of the barcamp grid.") var slot: Int?
        @Option(help: "New start (HH:MM); the length is kept unless --end is given.") var start: String?
        @Option(help: "New end (HH:MM).") var end: String?
        @Option(help: "New date (YYYY-MM-DD, today, tomorrow).") var date: String?

        mutating func validate() throws {
            if title == nil && room == nil && slot == nil && start == nil && end == nil && date == nil {
                throw ValidationError("nothing to change: give --slot, --room, --start, --end, --date or --title")
            }
        }

        func run() async throws {
            let (start, end) = try Sessions.times(slot: slot, start: start, end: end, try global.loadConfig())
            try await perform(
                .editSession(id: id, title: title, room: room, date: date, start: start, end: end), global, output)
        }
    }

    struct List: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the sessions of a day.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Date (YYYY-MM-DD, today, tomorrow).") var date = "today"

        struct Row: Codable {
            var id: String
            var title: String
            var room: String?
            var start: String
            var end: String
            var kind: String
        }

        func run() async throws {
            let config = try global.loadConfig()
            let (from, to) = try dayBounds(date, config)
            let store = try SiteClient(config: config, logger: global.logger).openStore()
            let tz = config.timeZone
            let rows = try store.sessions(overlapping: from, to)
                .map {
                    Row(
                        id: $0.id, title: $0.title, room: $0.roomId,
                        start: localText(Instant(micros: $0.startUs), tz),
                        end: localText(Instant(micros: $0.endUs), tz), kind: $0.kind)
                }
            if output.json { return try printJSON(rows) }
            printTable(
                ["ID", "FROM", "TO", "ROOM", "KIND", "TITLE"],
                rows.map {
                    [$0.id, String($0.start.suffix(5)), String($0.end.suffix(5)), $0.room ?? "—", $0.kind, $0.title]
                })
        }
    }

    struct Remove: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a session.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Session id.") var id: String
        func run() async throws { try await perform(.removeSession(id: id), global, output) }
    }
}

/// Start and end of a local day, for listings.
func dayBounds(_ text: String, _ config: Config) throws -> (Instant, Instant) {
    guard let calendar = SiteCalendar(timeZone: config.timeZone) else { throw CLIFailure(message: "unknown time zone") }
    let today = calendar.date(of: Instant(Date()))
    let day: LocalDate
    switch text {
    case "today": day = today
    case "tomorrow": day = calendar.adding(days: 1, to: today)
    default:
        guard let d = LocalDate(text) else {
            throw CLIFailure(message: "'\(text)' is not a date: use YYYY-MM-DD, today or tomorrow")
        }
        day = d
    }
    return (calendar.instant(day, hour: 0), calendar.instant(calendar.adding(days: 1, to: day), hour: 0))
}
