// `cantine members`: add, list, show, disable, enable, plan (export, erase and names are in
// PrivacyCommands.swift). Changes go through SiteClient (the running daemon's inbox, or the
// site opened locally); reads go to SQLite.

import ArgumentParser
import CantineCore
import CantineDaemon
import CantineProtocol
import CantineSite
import CantineStore
import Foundation

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
        commandName: "members",
        abstract:
            "Add, list, show, disable and enable members; grant and end plans; mark one gone; export or erase their data.",
        subcommands: [
            Add.self, List.self, Show.self, Disable.self, Enable.self, Plan.self, EndPlan.self, Left.self,
            ExportData.self,
            Erase.self, Names.self,
        ])

    struct Add: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a member (optionally with a plan).")
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

    /// Members as the records hold them (the API's view, without presence: that is the daemon's).
    static func views(_ global: GlobalOptions, only id: String? = nil) throws -> (views: [MemberView], timeZone: String)
    {
        let config = try global.loadConfig()
        let store = try SiteClient(config: config, logger: global.logger).openStore()
        return (try MemberView.all(store, state: nil, now: Instant(Date()), only: id), config.timeZone)
    }

    struct List: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List members.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (rows, timeZone) = try Members.views(global)
            if output.json { return try printJSON(rows) }
            printTable(
                ["ID", "NAME", "STATUS", "PLAN", "BADGES"],
                rows.map {
                    [
                        $0.id, $0.name, $0.status,
                        $0.plans.last.map { "\($0.kind) until \(localText($0.until, timeZone) ?? "—")" } ?? "—",
                        "\($0.badges.count)",
                    ]
                })
        }
    }

    struct Show: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one member.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String

        func run() async throws {
            let (rows, timeZone) = try Members.views(global, only: id)
            guard let row = rows.first else {
                throw CLIFailure(message: "no member '\(id)': see `cantine members list`")
            }
            if output.json { return try printJSON(row) }
            print("\(row.name) (\(row.id)), \(row.status)\(row.email.map { ", \($0)" } ?? "")")
            for p in row.plans {
                print(
                    "  plan \(p.kind) from \(localText(p.from, timeZone) ?? p.from) until \(localText(p.until, timeZone) ?? "—")"
                )
            }
            print("  badges: \(row.badges.isEmpty ? "none" : row.badges.map(\.id).joined(separator: ", "))")
        }
    }

    struct Disable: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "disable", abstract: "Disable a member (their badges stop opening doors).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String
        func run() async throws { try await perform(.setMemberStatus(member: id, active: false), global, output) }
    }

    struct Left: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "left",
            abstract: "Mark a member as gone: they left without badging out (journaled with who did it).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String
        @Option(help: "Who did it (default: cli:$USER).") var by: String?
        func run() async throws {
            let who = GlobalOptions.actor(by)
            try await perform(.markLeft(member: id, by: who), global, output)
        }
    }

    struct Enable: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a disabled member.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String
        func run() async throws { try await perform(.setMemberStatus(member: id, active: true), global, output) }
    }

    struct EndPlan: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "end-plan",
            abstract: "End a member's plan now (it stops opening doors at once).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Member id.") var id: String
        @Argument(help: "Plan id (`cantine members show ID` lists them).") var plan: String
        @Option(help: "Who did it (default: cli:$USER).") var by: String?
        func run() async throws {
            let who = GlobalOptions.actor(by)
            try await perform(.endPlan(member: id, plan: plan, by: who), global, output)
        }
    }

    struct Plan: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(commandName: "plan", abstract: "Grant a plan to a member.")
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
