// `cantine staff` (dashboard accounts) and `cantine tokens` (API tokens for machine clients).
// Passwords are read from the terminal without echo, or from stdin with --password-stdin
// (scripts); they never appear on the command line, where `ps` would show them.

import ArgumentParser
import CantineCore
import CantineDaemon
import CantineStore
import CantineWeb
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct Staff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff",
        abstract: "Staff accounts of the dashboard.", subcommands: [Add.self, List.self, Password.self])

    struct Add: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Create a staff account (the first one: --role admin).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Username: 2-32 lowercase letters, digits, '.', '-' or '_'.") var username: String
        @Option(help: "Name shown on the dashboard.") var name: String?
        @Option(help: "staff or admin (admins also manage members and badges).") var role: String = "staff"
        @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

        func run() async throws {
            guard let role = Role(rawValue: role), role != .reader else {
                throw CLIFailure(message: "--role '\(role)': expected staff or admin")
            }
            let accounts = Accounts(
                store: try SiteClient(config: try global.loadConfig(), logger: global.logger).openStore())
            let password = try readPassword(stdin: passwordStdin, confirm: true)
            try accounts.addStaff(
                username: username, displayName: name, password: password, role: role, now: Instant(Date()))
            print("staff account \(username) created (\(role.rawValue)): sign in at /login")
        }
    }

    struct List: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List staff accounts.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try global.loadConfig()
            let rows = try SiteClient(config: config, logger: global.logger).openStore().allStaff()
            printTable(
                ["USERNAME", "NAME", "ROLE", "CREATED"],
                rows.map {
                    [$0.username, $0.displayName, $0.role, localText(Instant(micros: $0.createdUs), config.timeZone)]
                })
        }
    }

    struct Password: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "password",
            abstract: "Set a staff member's password (signs them out everywhere).")
        @OptionGroup var global: GlobalOptions
        @Argument var username: String
        @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

        func run() async throws {
            let accounts = Accounts(
                store: try SiteClient(config: try global.loadConfig(), logger: global.logger).openStore())
            try accounts.setPassword(
                username: username, password: try readPassword(stdin: passwordStdin, confirm: true))
            print("password of \(username) changed")
        }
    }
}

struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "API tokens for machine clients (Prometheus, Home Assistant, scripts).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a token; its secret is printed once (send it as Authorization: Bearer …).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Token id: 2-32 lowercase letters, digits, '.', '-' or '_'.") var id: String
        @Option(help: "What uses it (a note).") var name: String?
        @Option(help: "reader (GET only), staff or admin.") var role: String = "reader"

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw CLIFailure(message: "--role '\(role)': expected reader, staff or admin")
            }
            let accounts = Accounts(
                store: try SiteClient(config: try global.loadConfig(), logger: global.logger).openStore())
            let secret = try accounts.createToken(id: id, name: name, role: role, now: Instant(Date()))
            print(secret)
        }
    }

    struct List: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List API tokens (never their secrets).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try global.loadConfig()
            let rows = try SiteClient(config: config, logger: global.logger).openStore().allAPITokens()
            printTable(
                ["ID", "NAME", "ROLE", "CREATED", "REVOKED"],
                rows.map {
                    [
                        $0.id, $0.name, $0.role, localText(Instant(micros: $0.createdUs), config.timeZone),
                        $0.revokedUs.map { localText(Instant(micros: $0), config.timeZone) } ?? "—",
                    ]
                })
        }
    }

    struct Revoke: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Revoke a token: it stops working at once.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String

        func run() async throws {
            let store = try SiteClient(config: try global.loadConfig(), logger: global.logger).openStore()
            try store.revokeAPIToken(id, nowUs: Instant(Date()).micros)
            print("token \(id) revoked")
        }
    }
}

/// A password from stdin (`--password-stdin`) or typed twice at the terminal without echo.
func readPassword(stdin: Bool, confirm: Bool) throws -> String {
    if stdin {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CLIFailure(message: "--password-stdin: no password on stdin (echo it through a pipe)")
        }
        return line
    }
    guard isatty(STDIN_FILENO) == 1 else {
        throw CLIFailure(message: "no terminal to type the password: pipe it and add --password-stdin")
    }
    guard let first = getpass("Password: ").map({ String(cString: $0) }) else {
        throw CLIFailure(message: "cannot read the password from the terminal")
    }
    if confirm {
        guard let again = getpass("Again: ").map({ String(cString: $0) }), again == first else {
            throw CLIFailure(message: "the two passwords differ: try again")
        }
    }
    return first
}
