// Safe boot: the relays are driven locked from the door tables alone, before the rest of
// the config file is parsed, so a mistake elsewhere in the file never leaves a door unlocked.

import CantineCore
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
                "relay driven locked entree", "relay driven locked sortie", "config refused; doors stay locked",
            ])
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func aGoodFileLocksTheRelaysThenLoads() throws {
        try write { $0 }
        let log = RecordingLog()
        let (hardware, config) = try SafeBoot.start(configPath: path, environment: [:], logger: log.logger)
        #expect(config.doors.count == 2)
        #expect(hardware.simulatedRelays.values.allSatisfy { $0.active == false && $0.history.isEmpty })
        #expect(log.lines == ["relay driven locked entree", "relay driven locked sortie"])
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func aRelayLineUsedTwiceIsRefusedBeforeAnyLineIsClaimed() throws {
        try write { $0.replacingOccurrences(of: "relay_line = 13", with: "relay_line = 22") }
        let log = RecordingLog()
        #expect(
            throws: ConfigError(
                "config \(path): doors[1].relay_line: line 22 of gpiochip0 is already used by doors[0].relay_line")
        ) {
            try SafeBoot.start(configPath: path, environment: [:], logger: log.logger)
        }
        #expect(log.lines.isEmpty)
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
}
