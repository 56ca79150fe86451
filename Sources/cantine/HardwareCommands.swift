// Bring-up commands. `cantine hardware check FILE` validates a pinout (Hardware/pinout.toml)
// before anyone wires a door to it: one line per check, then `N passed, N failed`.
// `cantine hardware watch` shows live what the input lines see; `cantine hardware pulse DOOR`
// fires one relay pulse after a confirmation. Neither runs beside a daemon (it holds the lines).

import ArgumentParser
import CantineConfig
import CantineCore
import CantineDaemon
import CantineGPIO
import CantineSite
import CantineStore
import Foundation
import Logging

struct Hardware: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hardware",
        abstract: "Check the pinout, watch the input lines live, fire one relay pulse: the wiring's bring-up.",
        subcommands: [Check.self, Watch.self, Pulse.self])

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

    struct Watch: ParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "watch",
            abstract:
                "Show live what the door and wired desk lines see: levels at rest, edges per second, each Wiegand frame with its bits, format, facility, card and parity, contact and exit button changes, wired desks.",
            discussion: """
                Names what the signs mean: D0 and D1 swapped (the frame fails both parities and \
                its inverse passes), a data line low at rest, every bit on one line, a line that \
                never rests (floating). Reads through libgpiod, or the simulated twin with \
                gpio.mode = "simulated". Stop the daemon first: it holds the lines. Ctrl-C stops.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this door's lines (default: every door and wired desk).") var door: String?
        @Option(help: "Stop after this many seconds (default: at Ctrl-C).") var seconds: Double?

        func run() throws {
            let config = try global.loadConfig()
            try refuseBesideADaemon(config, instead: "its dashboard shows the doors live")
            let board = DoorHardware.board(simulated: config.gpio.mode == "simulated")
            let start = SystemTime().monotonicNanos()
            let output = NSLock()
            let watch = try HardwareWatch(config: config, door: door, board: board) { event in
                let t = Double(SystemTime().monotonicNanos() &- start) / 1e9
                output.lock()
                defer { output.unlock() }
                print(String(format: "%8.3f ", t) + event.text)
                fflush(nil)
            }
            for line in watch.summary { print("watching \(line)") }
            print(seconds.map { "for \($0) s" } ?? "Ctrl-C to stop")
            fflush(nil)
            watch.start()
            waitForSignalOr(seconds: seconds)
            watch.stop()
        }
    }

    struct Pulse: ParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "pulse",
            abstract: "Fire one unlock pulse on a door's relay, after a confirmation: the first relay test.",
            discussion: """
                The relay is claimed at its locked level first, driven open for the door's pulse_s, \
                locked again by its own timer and released; Ctrl-C waits for the lock. Refused while \
                a daemon runs (unlock through it: `cantine doors unlock DOOR --reason ...`), and for \
                a fail-safe door (released, its relay would drop and leave it open).
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The door's id.") var door: String
        @Flag(help: "Fire without asking (scripts): the strike will open.") var yes = false

        func run() throws {
            let config = try global.loadConfig()
            try refuseBesideADaemon(
                config, instead: "unlock through it: cantine doors unlock \(door) --reason \"bring-up\"")
            let (plan, pulse, text) = try HardwarePulse.describe(config, door: door)
            var logger = Logger(label: "cantine")
            logger.logLevel = .warning
            let hardware: DoorHardware
            do {
                hardware = try DoorHardware.boot(plan, logger: logger)
            } catch {
                throw CLIFailure(message: "door \(door): \(error.message)")
            }
            guard let relay = hardware.relays[DoorID(door)] else {
                throw CLIFailure(message: "door \(door): the relay was not claimed")
            }
            print("\(text): claimed, driven locked")
            if !yes {
                guard isatty(STDIN_FILENO) != 0 else {
                    throw CLIFailure(message: "no terminal to confirm on: pass --yes to fire the pulse")
                }
                print("Type the door's id (\(door)) to open the strike for one pulse: ", terminator: "")
                fflush(nil)
                guard readLine()?.trimmingCharacters(in: .whitespaces) == door else {
                    print("not fired; the relay stays locked")
                    return
                }
            }
            // Ctrl-C, a hang-up or a stop during the pulse must not end the process before the
            // relay is locked again: where the kernel keeps a released output's level
            // (persist_gpio_outputs), the strike would stay powered.
            let held = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP]
            for sig in held { signal(sig, SIG_IGN) }
            relay.apply(.unlock(pulse))
            print("unlocked: the strike should click open now and lock again in \(Double(pulse.micros) / 1e6) s")
            fflush(nil)
            // The relay's own timer locks it; wait for it, then lock once more before letting go.
            Thread.sleep(forTimeInterval: Double(pulse.micros) / 1e6 + 0.2)
            hardware.lockAll()
            for sig in held { signal(sig, SIG_DFL) }
            print("locked again; the line is released")
        }
    }
}

/// Refuses a bring-up command while a daemon runs on this config's database: it holds the
/// lines (`instead`: what to do through it).
func refuseBesideADaemon(_ config: Config, instead: String) throws {
    if ProcessLock.isHeld(databasePath: config.settings.database.path) {
        throw CLIFailure(
            message:
                "a daemon is running on this site and holds the lines: stop it first (systemctl stop cantine), or \(instead)"
        )
    }
}

/// Blocks until SIGINT or SIGTERM, or `seconds` when given.
func waitForSignalOr(seconds: Double?) {
    let done = DispatchSemaphore(value: 0)
    var sources: [any DispatchSourceSignal] = []
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { done.signal() }
        source.resume()
        sources.append(source)
    }
    if let seconds { _ = done.wait(timeout: .now() + seconds) } else { done.wait() }
    sources.forEach { $0.cancel() }
}
