// `cantine members`: add, list, show, disable, enable, plan (export, erase and names are in
// PrivacyCommands.swift). Changes go through SiteClient (the running daemon's inbox, or the
// site opened locally); reads go to SQLite.

import ArgumentParser
import CantineCore
import CantineDaemon
import CantineProtocol
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
        let members = try store.members().filter { id == nil || $0.id == id }
        let badges = Dictionary(grouping: try store.credentials().filter { $0.revokedUs == nil }, by: \.memberId)
        return try members.map { m in
            let plans = try store.plans(member: m.id)
            let badges = badges[m.id] ?? []
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
