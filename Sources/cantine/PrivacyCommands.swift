// Members' rights and retention from the command line: `members export|erase|names`,
// `journal compact`, `retention apply`. Writes go through SiteClient (the running daemon's
// inbox, or the site opened locally); the export reads the database.

import ArgumentParser
import CantineCore
import CantineDaemon
import CantineSite
import CantineStore
import Foundation

extension Members {
    struct ExportData: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write everything held about a member as JSON (their right of access).",
            discussion:
                "Profile, badges (with their numbers), plans, bookings, access log, journal entries naming them.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Member id.") var id: String
        @Option(name: .shortAndLong, help: "Write to this file (default: standard output).") var output: String?

        func run() async throws {
            let config = try global.loadConfig()
            let client = SiteClient(config: config, logger: global.logger)
            let store = try client.openStore()
            guard let calendar = SiteCalendar(timeZone: config.timeZone) else {
                throw CLIFailure(message: "unknown time zone \(config.timeZone) in [site] time_zone")
            }
            let state = try? CantineSite.Replay.rebuild(store: store, site: config.siteID, useSnapshot: true).state
            let export = try Site.export(
                member: id, store: store, site: config.siteID, calendar: calendar, state: state)
            let data = try export.json()
            if let output {
                do {
                    try data.write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    throw CLIFailure(message: "cannot write \(output): check the directory and its permissions")
                }
                print("everything held about \(id) written to \(output)")
            } else {
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    struct Erase: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "erase",
            abstract: "Erase everything held about a member (their right to erasure). Cannot be undone.",
            discussion:
                "Deletes their profile, key, badges, plans, bookings and access log rows (zeroed in the file, WAL truncated); the journal keeps an anonymous `member.erased` entry and their sealed profile becomes unreadable."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String
        @Flag(help: "Confirm: the erasure cannot be undone.") var yes = false

        func run() async throws {
            guard yes else {
                throw CLIFailure(
                    message:
                        "erasing \(id) cannot be undone: export first (`cantine members export \(id)`), then run again with --yes"
                )
            }
            try await perform(.eraseMember(member: id), global, output)
        }
    }

    struct Names: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "names",
            abstract: "Record whether a member agrees to their name on MQTT events (off by default).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String
        @Flag(help: "They agree.") var allow = false
        @Flag(help: "They do not (or no longer) agree.") var deny = false

        func validate() throws {
            guard allow != deny else { throw ValidationError("give one of --allow or --deny") }
        }

        func run() async throws { try await perform(.setNamePublishing(member: id, allowed: allow), global, output) }
    }
}

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "Compact the journal.", subcommands: [Compact.self])

    struct Compact: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "compact",
            abstract: "Fold the entries before a date into a base snapshot and drop them.",
            usage: "cantine journal compact --before 2026-09-01",
            discussion:
                "Replay then starts from the base snapshot. Desk use per day is kept (desk_days), without names. The daemon does this daily for [retention] journal_days."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "First day kept (YYYY-MM-DD or today; not in the future).") var before: String

        func run() async throws { try await perform(.compactJournal(before: before), global, output) }
    }
}

struct Retention: AsyncParsableCommand, HasGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Apply the [retention] periods now (the daemon does it daily).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws { try await perform(.enforceRetention, global, output) }
}
