// Entry point: parse, set up logging, run. Every error becomes one line on stderr and a
// non-zero exit; help and version go to stdout.

import ArgumentParser
import CantineDaemon
import Foundation
import Logging

/// Runs the parsed command (async commands through their async `run`).
func execute(_ arguments: [String]) async throws {
    var command = try Cantine.parseAsRoot(arguments)
    var level = Logger.Level.warning
    if let withOptions = command as? any HasGlobalOptions {
        level = withOptions.global.level(default: type(of: withOptions).defaultLogLevel)
    }
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
    } else {
        try command.run()
    }
}

do {
    try await execute(Array(CommandLine.arguments.dropFirst()))
} catch {
    let code = Cantine.exitCode(for: error)
    if code == .success {
        print(Cantine.fullMessage(for: error))
        exit(0)
    }
    let line = CLIError.line(for: error)
    if !line.isEmpty { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    exit(code == .validationFailure ? 64 : (code.rawValue == 0 ? 1 : code.rawValue))
}
