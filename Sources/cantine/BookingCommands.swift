// `cantine bookings`: add, list, cancel. Changes go through SiteClient; reads go to SQLite.

import ArgumentParser
import CantineCore
import CantineDaemon
import CantineProtocol
import CantineSite
import CantineStore
import Foundation

struct Bookings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookings",
        abstract: "Book desks and the meeting room; list and cancel bookings.",
        subcommands: [Add.self, List.self, Cancel.self])

    struct Add: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Book a desk (half-day, day or up to 21 days) or a room (a time slot).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var member: String
        @Option(help: "Desk id.") var desk: String?
        @Option(help: "Room id.") var room: String?
        @Option(help: "Date (YYYY-MM-DD, today, tomorrow).") var date = "today"
        @Option(help: "Desk period: am, pm or day.") var period = DeskPeriod.day
        @Option(help: "Consecutive days for a desk (1–21).") var days = 1
        @Option(help: "Room slot start (HH:MM).") var start: String?
        @Option(help: "Room slot end (HH:MM).") var end: String?
        @Option(help: "Booking id (default: a fresh opaque id).") var id: String?

        mutating func validate() throws {
            switch (desk, room) {
            case (nil, nil), (.some, .some): throw ValidationError("give --desk or --room (one of them)")
            case (nil, .some):
                if start == nil || end == nil {
                    throw ValidationError("a room booking needs --start and --end (HH:MM)")
                }
            case (.some, nil): break
            }
        }

        func run() async throws {
            if let desk {
                try await perform(
                    .bookDesk(member: member, desk: desk, date: date, period: period, days: days, id: id), global,
                    output)
            } else if let room, let start, let end {
                try await perform(
                    .bookRoom(member: member, room: room, date: date, start: start, end: end, id: id), global, output)
            }
        }
    }

    struct List: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the bookings of a day.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Date (YYYY-MM-DD, today, tomorrow).") var date = "today"

        func run() async throws {
            let config = try global.loadConfig()
            let (from, to) = try dayBounds(date, config)
            let store = try SiteClient(config: config, logger: global.logger).openStore()
            let tz = config.timeZone
            let rows = try store.bookings(overlapping: from, to)
                .map { BookingView($0, name: store.memberName($0.memberId)) }
            if output.json { return try printJSON(rows) }
            printTable(
                ["ID", "MEMBER", "WHAT", "FROM", "TO", "STATUS"],
                rows.map {
                    [
                        $0.id, $0.member, "\($0.kind) \($0.resource)", localText($0.start, tz) ?? "",
                        localText($0.end, tz) ?? "", $0.status,
                    ]
                })
        }
    }

    struct Cancel: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a booking.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Booking id.") var id: String
        func run() async throws { try await perform(.cancelBooking(id: id), global, output) }
    }
}
