// `cantine badges`: enroll, pin, list, revoke. Changes go through SiteClient; reads go to SQLite.

import ArgumentParser
import CantineConfig
import CantineCore
import CantineDaemon
import CantineProtocol
import CantineStore
import Foundation

struct Badges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "badges",
        abstract: "Enroll, list and revoke badges; set their PIN.",
        subcommands: [Enroll.self, List.self, Revoke.self, Pin.self])

    struct Enroll: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "enroll",
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
            commandName: "pin",
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
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List badges (numbers partly masked).")
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
            let rows = try store.credentials(member: member)
                .map {
                    Row(
                        id: $0.id, member: $0.memberId, format: $0.format,
                        card: Self.mask($0.facility, $0.cardNumber), revoked: $0.revokedUs != nil)
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
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a badge.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Badge id.") var id: String
        func run() async throws { try await perform(.revokeBadge(id: id), global, output) }
    }
}
