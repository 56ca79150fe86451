// `cantine hardware check FILE`: validates a pinout (Hardware/pinout.toml) before anyone
// wires a door to it: one line per check, then `N passed, N failed`.

import ArgumentParser
import CantineConfig
import CantineDaemon

struct Hardware: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hardware",
        abstract: "Check the hardware description (pinout) the daemon reads.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract:
                "Validate a pinout: pins on the header and used once, reserved pins free, 5 V inputs level-shifted, relay drivers and hard-wired exits declared."
        )
        @Argument(help: "The pinout file (TOML), e.g. Hardware/pinout.toml.") var file: String

        func run() throws {
            let pinout = try Pinout.load(path: file)
            let checks = pinout.check()
            for c in checks {
                print("\(c.passed ? "ok  " : "FAIL") \(c.name)")
                if let failure = c.failure { print("     \(failure)") }
            }
            let failed = checks.filter { !$0.passed }.count
            print("\(checks.count - failed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
