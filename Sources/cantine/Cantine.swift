// The `cantine` command: subcommands, global options and how errors are worded.

import ArgumentParser
import CantineConfig
import CantineCore
import CantineDaemon
import CantineGPIO
import CantineImport
import CantineSite
import CantineStore
import CantineWeb
import Foundation
import Logging

struct Cantine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cantine",
        abstract: "Doors, desk sensors, bookings and live occupancy for a coworking space.",
        version: cantineVersion,
        subcommands: [
            Serve.self, Demo.self, Init.self, Doctor.self, Replay.self, Members.self, Badges.self, Bookings.self,
            Sessions.self, Import.self, Export.self, Findings.self, Doors.self, Log.self, MQTT.self, Staff.self,
            Tokens.self, Hardware.self, InstallService.self, JournalCommand.self, Retention.self, Network.self,
            BenchCommand.self,
        ])
}

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $CANTINE_CONFIG, else /etc/cantine/cantine.toml).")
    var config: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["CANTINE_CONFIG"] ?? "/etc/cantine/cantine.toml"
    }

    /// The level asked for, else the command's default.
    func level(default fallback: Logger.Level) -> Logger.Level {
        logLevel.flatMap(Logger.Level.init(rawValue:)) ?? fallback
    }

    mutating func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError(
                "--log-level '\(logLevel)': expected trace, debug, info, notice, warning, error or critical")
        }
    }

    func loadConfig() throws -> Config { try Config.load(path: configPath) }

    /// Who a CLI action is journaled as: `--by` when given, else `cli:$USER`.
    static func actor(_ by: String?) -> String {
        by ?? "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")"
    }
    var logger: Logger { Logger(label: "cantine") }
}

protocol HasGlobalOptions {
    var global: GlobalOptions { get }
    /// Log level when --log-level is not given: warnings for one-shot commands.
    static var defaultLogLevel: Logger.Level { get }
}

extension HasGlobalOptions {
    static var defaultLogLevel: Logger.Level { .warning }
}

/// One-line wording of any error that reaches main.
enum CLIError {
    static func line(for error: any Error) -> String {
        let text: String
        switch error {
        case let e as ConfigError: text = e.message
        case let e as CommandError: text = e.message
        case let e as DaemonError: text = e.message
        case let e as StoreError: text = e.message
        case let e as GPIOError: text = e.message
        case let e as CLIFailure: text = e.message
        case let e as ImportError: text = e.message
        case let e as AccountError: text = e.message
        case is ExitCode: return ""  // the command has already said why
        default:
            let message = Cantine.message(for: error)
            let first = message.split(separator: "\n").first.map(String.init) ?? message
            let parserError = Cantine.exitCode(for: error) == .validationFailure
            text = parserError ? first + " (see `cantine --help`)" : first
        }
        return "cantine: " + text
    }
}

/// A failure already worded for the user (with its exit status).
struct CLIFailure: Error {
    let message: String
}

/// Prints `value` as JSON (sorted keys, pretty).
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Prints rows as aligned columns.
func printTable(_ header: [String], _ rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
    for row in all {
        print(
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  "))
    }
}

/// Local date-time of an instant in the site's zone, for tables.
func localText(_ instant: Instant, _ timeZone: String) -> String {
    let f = DateFormatter()
    f.timeZone = TimeZone(identifier: timeZone)
    f.dateFormat = "yyyy-MM-dd HH:mm"
    return f.string(from: instant.date)
}

/// Local date-time of a view's ISO 8601 time (nil for none), for tables.
func localText(_ iso: String?, _ timeZone: String) -> String? {
    guard let iso, let date = try? Date(iso, strategy: .iso8601) else { return iso }
    return localText(Instant(date), timeZone)
}
