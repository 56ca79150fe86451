// Record commands: members, badges, bookings and the day's sessions. Changes go through
// SiteClient (the running daemon's inbox, or the site opened locally); reads go to SQLite.

import ArgumentParser
import CantineCore
import CantineDaemon
import CantineProtocol
import CantineStore
import Foundation
import GRDB

extension PlanKind: ExpressibleByArgument {}
extension WiegandFormat: ExpressibleByArgument {}
extension DeskPeriod: ExpressibleByArgument {}
extension SessionKind: ExpressibleByArgument {}

/// Output switch shared by changing commands.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON.") var json = false
}

/// Performs an operation and prints its result.
func perform(_ op: SiteOperation, _ global: GlobalOptions, _ output: OutputOptions) async throws {
    let client = SiteClient(config: try global.loadConfig(), logger: global.logger)
    let result = try await client.perform(op)
    if output.json { try printJSON(result) } else { print(result.message) }
}

struct Members: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, list, show, disable and enable members; grant plans; export or erase their data.",
        subcommands: [
            Add.self, List.self, Show.self, Disable.self, Enable.self, Plan.self, ExportData.self, Erase.self,
            Names.self,
        ])

    struct Add: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "Add a member (optionally with a plan).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Full name.") var name: String
        @Option(help: "Email address.") var email: String?
        @Option(help: "Member id (default: a fresh opaque id).") var id: String?
        @Option(help: "Plan to grant: \(PlanKind.allCases.map(\.rawValue).joined(separator: ", ")).") var plan:
            PlanKind?
        @Option(help: "First day of the plan (YYYY-MM-DD, today, tomorrow).") var from = "today"
        @Option(help: "Days of a multi-day plan (2–21).") var days = 1

        func run() async throws {
            let client = SiteClient(config: try global.loadConfig(), logger: global.logger)
            let added = try await client.perform(.addMember(id: id, name: name, email: email))
            var results = [added]
            if let plan {
                results.append(
                    try await client.perform(.grantPlan(member: added.id, kind: plan, from: from, days: days)))
            }
            if output.json { try printJSON(results) } else { results.forEach { print($0.message) } }
        }
    }

    struct Row: Codable {
        var id: String
        var name: String
        var email: String?
        var status: String
        var plans: [PlanRow]
        var badges: [String]
    }
    struct PlanRow: Codable {
        var id: String
        var kind: String
        var from: String
        var until: String?
    }

    static func rows(_ store: Store, timeZone: String, only id: String? = nil) throws -> [Row] {
        try store.read { db in
            let members = try MemberRecord.order(Column("name")).fetchAll(db).filter { id == nil || $0.id == id }
            return try members.map { m in
                let plans = try PlanRecord.filter(Column("member_id") == m.id).order(Column("valid_from_us")).fetchAll(
                    db)
                let badges = try CredentialRecord.filter(Column("member_id") == m.id && Column("revoked_us") == nil)
                    .fetchAll(db)
                return Row(
                    id: m.id, name: m.name, email: m.email, status: m.status,
                    plans: plans.map {
                        PlanRow(
                            id: $0.id, kind: $0.kind, from: localText(Instant(micros: $0.validFromUs), timeZone),
                            until: $0.validUntilUs.map { localText(Instant(micros: $0), timeZone) })
                    },
                    badges: badges.map(\.id))
            }
        }
    }

    struct List: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "List members.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let config = try global.loadConfig()
            let rows = try Members.rows(
                try SiteClient(config: config, logger: global.logger).openStore(), timeZone: config.timeZone)
            if output.json { return try printJSON(rows) }
            printTable(
                ["ID", "NAME", "STATUS", "PLAN", "BADGES"],
                rows.map {
                    [
                        $0.id, $0.name, $0.status, $0.plans.last.map { "\($0.kind) until \($0.until ?? "—")" } ?? "—",
                        "\($0.badges.count)",
                    ]
                })
        }
    }

    struct Show: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "Show one member.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String

        func run() async throws {
            let config = try global.loadConfig()
            let store = try SiteClient(config: config, logger: global.logger).openStore()
            guard let row = try Members.rows(store, timeZone: config.timeZone, only: id).first else {
                throw CLIFailure(message: "no member '\(id)': see `cantine members list`")
            }
            if output.json { return try printJSON(row) }
            print("\(row.name) (\(row.id)), \(row.status)\(row.email.map { ", \($0)" } ?? "")")
            for p in row.plans { print("  plan \(p.kind) from \(p.from) until \(p.until ?? "—")") }
            print("  badges: \(row.badges.isEmpty ? "none" : row.badges.joined(separator: ", "))")
        }
    }

    struct Disable: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "Disable a member (their badges stop opening doors).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String
        func run() async throws { try await perform(.setMemberStatus(member: id, active: false), global, output) }
    }

    struct Enable: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled member.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String
        func run() async throws { try await perform(.setMemberStatus(member: id, active: true), global, output) }
    }

    struct Plan: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "Grant a plan to a member.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String
        @Argument(help: "\(PlanKind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: PlanKind
        @Option(help: "First day (YYYY-MM-DD, today, tomorrow).") var from = "today"
        @Option(help: "Days of a multi-day plan (2–21).") var days = 1
        func run() async throws {
            try await perform(.grantPlan(member: id, kind: kind, from: from, days: days), global, output)
        }
    }
}

struct Badges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enroll, list and revoke badges; set their PIN.",
        subcommands: [Enroll.self, List.self, Revoke.self, Pin.self])

    struct Enroll: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            abstract: "Enroll a badge for a member: by number, by presenting it, or the last unknown card.",
            discussion: """
                cantine badges enroll --member m-1 --card 12345 --facility 7
                cantine badges enroll --member m-1 --reader entree     # waits for the next badge there
                cantine badges enroll --member m-1 --last-denied       # the last unknown card seen
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Member id.") var member: String
        @Option(help: "Card number (as printed on the badge).") var card: UInt64?
        @Option(help: "Facility code.") var facility: UInt32 = 0
        @Option(help: "Wiegand format: \(WiegandFormat.allCases.map(\.rawValue).joined(separator: ", ")).") var format =
            WiegandFormat.h10301
        @Option(help: "Door whose reader to wait at for the badge (the daemon must run).") var reader: String?
        @Flag(help: "Bind the last unknown card read (in the last hour; at --reader if given).") var lastDenied = false
        @Option(help: "Seconds to wait at the reader.") var timeout = 60
        @Option(help: "PIN for after-hours entry (4–8 digits).") var pin: String?
        @Option(help: "Badge id (default: a fresh opaque id).") var id: String?

        func validate() throws {
            let ways = [card != nil, reader != nil && !lastDenied, lastDenied].filter { $0 }.count
            guard ways == 1 else {
                throw ValidationError("give exactly one of --card, --reader or --last-denied")
            }
            guard (1...600).contains(timeout) else { throw ValidationError("--timeout is 1 to 600 seconds") }
        }

        func run() async throws {
            let client = SiteClient(config: try global.loadConfig(), logger: global.logger)
            var (format, facility, card) = (self.format, self.facility, self.card ?? 0)
            var seen = ""
            if self.card == nil {
                let read: UnknownRead
                if lastDenied {
                    read = try client.lastUnknownCard(at: reader, within: .minutes(60))
                } else {
                    FileHandle.standardError.write(
                        Data("present the badge to the \(reader ?? "") reader (waiting \(timeout) s)…\n".utf8))
                    read = try await client.nextUnknownCard(at: reader ?? "", timeout: timeout)
                }
                guard let f = WiegandFormat(rawValue: read.format) else {
                    throw CommandError("the card read is in format \(read.format), unknown to this cantine")
                }
                (format, facility, card) = (f, UInt32(read.facility), UInt64(read.cardNumber))
                seen = " (card \(List.mask(read.facility, read.cardNumber)) read at \(read.door))"
            }
            let result = try await client.perform(
                .enrollBadge(member: member, format: format, facility: facility, card: card, id: id, pin: pin))
            if output.json { try printJSON(result) } else { print(result.message + seen) }
        }
    }

    struct Pin: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            abstract: "Set or remove the PIN typed after a badge outside public hours.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Badge id.") var id: String
        @Option(help: "The new PIN (4–8 digits).") var pin: String?
        @Flag(help: "Remove the PIN.") var remove = false

        func validate() throws {
            guard (pin == nil) == remove else { throw ValidationError("give either --pin or --remove") }
        }

        func run() async throws { try await perform(.setBadgePIN(id: id, pin: pin), global, output) }
    }

    struct List: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "List badges (numbers partly masked).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this member's badges.") var member: String?

        struct Row: Codable {
            var id: String
            var member: String
            var format: String
            var card: String
            var revoked: Bool
        }

        func run() async throws {
            let config = try global.loadConfig()
            let store = try SiteClient(config: config, logger: global.logger).openStore()
            let member = self.member
            let rows = try store.read { db in
                try CredentialRecord.order(Column("member_id")).fetchAll(db)
                    .filter { member == nil || $0.memberId == member }
                    .map {
                        Row(
                            id: $0.id, member: $0.memberId, format: $0.format,
                            card: Self.mask($0.facility, $0.cardNumber), revoked: $0.revokedUs != nil)
                    }
            }
            if output.json { return try printJSON(rows) }
            printTable(
                ["ID", "MEMBER", "FORMAT", "CARD", "STATE"],
                rows.map { [$0.id, $0.member, $0.format, $0.card, $0.revoked ? "revoked" : "active"] })
        }

        /// Badge numbers are personal data: show only the last two digits.
        static func mask(_ facility: Int64, _ card: Int64) -> String {
            let digits = String(card)
            return "\(facility)/" + String(repeating: "•", count: max(0, digits.count - 2)) + digits.suffix(2)
        }
    }

    struct Revoke: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "Revoke a badge.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Badge id.") var id: String
        func run() async throws { try await perform(.revokeBadge(id: id), global, output) }
    }
}

struct Bookings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Book desks and the meeting room; list and cancel bookings.",
        subcommands: [Add.self, List.self, Cancel.self])

    struct Add: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
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
        static let configuration = CommandConfiguration(abstract: "List the bookings of a day.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Date (YYYY-MM-DD, today, tomorrow).") var date = "today"

        struct Row: Codable {
            var id: String
            var member: String
            var resource: String
            var start: String
            var end: String
            var status: String
        }

        func run() async throws {
            let config = try global.loadConfig()
            let (from, to) = try dayBounds(date, config)
            let store = try SiteClient(config: config, logger: global.logger).openStore()
            let tz = config.timeZone
            let rows = try store.read { db in
                try BookingRecord.filter(Column("start_us") < to.micros && Column("end_us") > from.micros)
                    .order(Column("start_us")).fetchAll(db)
                    .map {
                        Row(
                            id: $0.id, member: $0.memberId, resource: "\($0.resourceKind) \($0.resourceId)",
                            start: localText(Instant(micros: $0.startUs), tz),
                            end: localText(Instant(micros: $0.endUs), tz), status: $0.status)
                    }
            }
            if output.json { return try printJSON(rows) }
            printTable(
                ["ID", "MEMBER", "WHAT", "FROM", "TO", "STATUS"],
                rows.map { [$0.id, $0.member, $0.resource, $0.start, $0.end, $0.status] })
        }
    }

    struct Cancel: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(abstract: "Cancel a booking.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Booking id.") var id: String
        func run() async throws { try await perform(.cancelBooking(id: id), global, output) }
    }
}

struct Sessions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The day's program: add, edit, list and remove sessions and breaks.",
        subcommands: [Add.self, Edit.self, List.self, Remove.self])

    /// Start and end from `--slot N` (the config's `[program] slots`) or `--start`/`--end`.
    static func times(slot: Int?, start: String?, end: String?, _ config: Config) throws -> (String?, String?) {
        guard let slot else { return (start, end) }
        let slots = config.programSlots
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
        static let configuration = CommandConfiguration(abstract: "List the sessions of a day.")
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
            let rows = try store.read { db in
                try SessionRecord.filter(Column("start_us") < to.micros && Column("end_us") > from.micros)
                    .order(Column("start_us"), Column("room_id")).fetchAll(db)
                    .map {
                        Row(
                            id: $0.id, title: $0.title, room: $0.roomId,
                            start: localText(Instant(micros: $0.startUs), tz),
                            end: localText(Instant(micros: $0.endUs), tz), kind: $0.kind)
                    }
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
        static let configuration = CommandConfiguration(abstract: "Remove a session.")
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
