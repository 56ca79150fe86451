// Safe boot: the relays are driven locked from the door tables alone, before the rest of
// the config file is parsed, so a mistake elsewhere in the file never leaves a door unlocked.

import CantineConfig
import CantineCore
import CantineGPIO
import Foundation
import Logging
import Synchronization
import Testing

@testable import CantineDaemon

/// A log handler that keeps the messages, in order.
final class RecordingLog: Sendable {
    let messages = Mutex<[String]>([])
    var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }
    var lines: [String] { messages.withLock { $0 } }

    struct Handler: LogHandler {
        let log: RecordingLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let door = event.metadata?["door"].map { " \($0)" } ?? ""
            log.messages.withLock { $0.append("\(event.message)\(door)") }
        }
    }
}

@Suite struct SafeBootTests {
    let dir = NSTemporaryDirectory() + "cantine-boot-" + UUID().uuidString
    var path: String { dir + "/cantine.toml" }

    func write(_ edit: (String) -> String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let text = SampleConfig.text(databasePath: dir + "/cantine.db", simulated: true)
        try edit(text).write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func theDoorTablesAreReadAlone() throws {
        let text = SampleConfig.text(databasePath: "/tmp/x.db", simulated: true)
        let tables = RelayPlan.doorTables(of: text)
        #expect(tables.contains("[[doors]]") && tables.contains("[gpio]"))
        #expect(!tables.contains("[mqtt]") && !tables.contains("[[desks]]") && !tables.contains("[access"))
        let plan = try RelayPlan.parse(text, file: "c.toml")
        #expect(plan.relays.map(\.relayLine) == [22, 13] && plan.simulated)
    }

    /// Each mistake lies outside the door tables: the relays are locked, then the error comes.
    @Test(arguments: [
        ("[mqtt]\nenabled = true", "[mqtt]\nenabled = true\ncolour = \"blue\"", "unknown key mqtt.colour"),
        ("id = \"f01\"", "id = \"f01\" zone", "config"),  // not even TOML
        ("enabled = true", "enabled = true\npassword = \"${NOT_SET_ANYWHERE}\"", "NOT_SET_ANYWHERE is not set"),
    ])
    func aMistakeElsewhereInTheFileComesAfterTheDoorsAreLocked(old: String, new: String, error: String) throws {
        try write { $0.replacingOccurrences(of: old, with: new) }
        let log = RecordingLog()
        do {
            _ = try SafeBoot.start(configPath: path, environment: [:], logger: log.logger)
            Issue.record("expected a config error")
        } catch let e as ConfigError {
            #expect(e.message.contains(error), "\(e.message)")
        }
        #expect(
            log.lines == [
                "relay driven locked entree", "relay driven locked sortie", "relays locked",
                "config refused; doors stay locked",
            ])
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func aGoodFileLocksTheRelaysThenLoads() throws {
        try write { $0 }
        let log = RecordingLog()
        let (hardware, config) = try SafeBoot.start(configPath: path, environment: [:], logger: log.logger)
        #expect(config.doors.count == 2)
        #expect(hardware.simulatedRelays.values.allSatisfy { $0.active == false && $0.history.isEmpty })
        #expect(log.lines == ["relay driven locked entree", "relay driven locked sortie", "relays locked"])
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func aRelayLineUsedTwiceIsRefusedBeforeAnyLineIsClaimed() throws {
        try write { $0.replacingOccurrences(of: "relay_line = 13", with: "relay_line = 22") }
        let log = RecordingLog()
        #expect(
            throws: ConfigError(
                "config \(path): doors[1].relay_line: line 22 of the header's chip is already used by doors[0].relay_line"
            )
        ) {
            try SafeBoot.start(configPath: path, environment: [:], logger: log.logger)
        }
        // Two doors claim line 22: its locked level is not known, so nothing drives it.
        #expect(log.lines == ["door tables refused; every relay that could be read is locked"])
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func aBrokenDoorTableSaysSo() throws {
        try write { $0.replacingOccurrences(of: "relay_line = 22", with: "relay_line = \"22\"") }
        do {
            _ = try SafeBoot.start(configPath: path, environment: [:], logger: RecordingLog().logger)
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.message.hasPrefix("config \(path): cannot read the [[doors]] relays to lock them"))
            #expect(e.message.hasSuffix("fix the [[doors]] tables"))
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A real config (libgpiod mode) on a simulated Raspberry Pi 4 whose kernel keeps released
    /// outputs (Raspberry Pi OS's default): the daemon unlocks, dies during the pulse, and is
    /// restarted with a door table broken by an edit.
    @Test(
        arguments: [
            // The other door's table is not TOML any more: the entrance's relay is read as usual.
            ("relay_line = 13", "relay_line = 13 13", true),
            // The entrance's own table is broken (an unclosed string): its relay is read line by line.
            ("name = \"Entrée\"", "name = \"Entrée", true),
            // A relay line written as a string: that door is refused, the other locked.
            ("relay_line = 13", "relay_line = \"13\"", true),
            // The entrance's polarity is gone: not guessed; its line is held undriven (relay off).
            ("relay_active_low = true      # optocoupled", "# optocoupled", nil),
            // Its strike type unreadable: not guessed either.
            ("fail_secure = true           # stays", "fail_secure = flase  # stays", nil),
        ] as [(String, String, Bool?)])
    func aDaemonKilledDuringAPulseAndRestartedWithABrokenDoorTableEndsLocked(
        old: String, new: String, relayLine: Bool?
    ) throws {
        let clock = TestClockNanos()
        let board = SimulatedBoard.raspberryPi4(clock: clock.read)
        let chip = try #require(board.chip("gpiochip0"))
        try write { $0.replacingOccurrences(of: "mode = \"simulated\"", with: "mode = \"real\"") }
        let log = RecordingLog()
        let (hardware, _) = try SafeBoot.start(configPath: path, environment: [:], logger: log.logger, board: board)
        #expect(chip.drivenLevel(22) == true)  // relay_active_low: locked is the pin high
        hardware.relays["entree"]?.apply(.unlock(.seconds(5)))
        #expect(chip.drivenLevel(22) == false)  // the strike powered
        chip.processDied()  // kill -9 during the pulse: no re-lock ever runs
        #expect(chip.drivenLevel(22) == false)  // the kernel keeps the line driven: still unlocked

        try write {
            $0.replacingOccurrences(of: "mode = \"simulated\"", with: "mode = \"real\"")
                .replacingOccurrences(of: old, with: new)
        }
        let restart = RecordingLog()
        #expect(throws: ConfigError.self) {
            try SafeBoot.start(configPath: path, environment: [:], logger: restart.logger, board: board)
        }
        // Locked before the error — or, unsure of its polarity, undriven: K1 then releases.
        #expect(chip.drivenLevel(22) == relayLine, "\(restart.lines)")
        #expect(chip.drivenLevel(13) == true)
        #expect(
            restart.lines.contains(
                relayLine == nil
                    ? "relay polarity not stated: line left undriven (relay off) entree" : "relay driven locked entree")
        )
        #expect(restart.lines.last == "door tables refused; every relay that could be read is locked")
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A pinout that is not a file (a device that reads forever) is refused, and the salvage
    /// that follows does not read it either.
    @Test func aPinoutThatIsADeviceIsNeverRead() throws {
        let text = "[gpio]\nmode = \"real\"\npinout = \"/dev/zero\"\n\n[[doors]]\nid = \"entree\"\n"
        #expect(throws: ConfigError.self) { try RelayPlan.parse(text, file: "/etc/cantine/cantine.toml") }
        #expect(RelayPlan.salvage(text, file: "/etc/cantine/cantine.toml").relays.isEmpty)
    }

    /// A pinout that fails a check still has its relays locked before the daemon refuses it.
    @Test func aPinoutThatFailsACheckHasItsRelaysLockedFirst() throws {
        let board = SimulatedBoard.raspberryPi4(clock: TestClockNanos().read)
        let chip = try #require(board.chip("gpiochip0"))
        try write { $0 }
        let shipped = try String(contentsOf: repoRoot.appendingPathComponent("Hardware/pinout.toml"), encoding: .utf8)
        try shipped.replacingOccurrences(of: "exit_button_hardwired = true", with: "exit_button_hardwired = false")
            .write(toFile: dir + "/pinout.toml", atomically: true, encoding: .utf8)
        var text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "mode = \"simulated\"", with: "mode = \"real\"\npinout = \"pinout.toml\"")
        for key in ["d0_line", "d1_line", "relay_line", "relay_active_low", "contact_line", "contact_active_low"] {
            text = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix(key + " ") }
                .joined(separator: "\n")
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let log = RecordingLog()
        #expect {
            try SafeBoot.start(configPath: path, environment: [:], logger: log.logger, board: board)
        } throws: {
            ($0 as? ConfigError)?.message.contains("set exit_button_hardwired = true") == true
        }
        #expect(chip.drivenLevel(22) == true && chip.drivenLevel(13) == true)
        #expect(log.lines.prefix(2) == ["relay driven locked entree", "relay driven locked sortie"])
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// One relay on a busy line does not stop the others from being locked.
    @Test func aBusyRelayLineDoesNotStopTheOtherDoorsLocking() throws {
        let board = SimulatedBoard.raspberryPi4(clock: TestClockNanos().read)
        let chip = try #require(board.chip("gpiochip0"))
        _ = try chip.request(output: 22, consumer: "another-program", activeLow: false, initiallyActive: false)
        try write { $0.replacingOccurrences(of: "mode = \"simulated\"", with: "mode = \"real\"") }
        let log = RecordingLog()
        #expect {
            try SafeBoot.start(configPath: path, environment: [:], logger: log.logger, board: board)
        } throws: {
            ($0 as? DaemonError)?.message
                == "line 22 of gpiochip0 is busy (held by another-program): see `gpioinfo gpiochip0`"
        }
        #expect(chip.drivenLevel(13) == true)
        #expect(log.lines == ["relay not claimed entree", "relay driven locked sortie"])
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// A monotonic clock for the simulated chips (time does not matter to these tests).
final class TestClockNanos: Sendable {
    let now = Mutex<UInt64>(1_000_000_000)
    func read() -> UInt64 { now.withLock { $0 } }
}
