// `cantine serve` as a real process: CLI changes through the daemon's inbox, a second
// daemon refused, kill -9 loses nothing acknowledged, SIGTERM stops cleanly, and the
// replayed journal equals the live state.

import Foundation
import Testing

/// A running `cantine serve`, read line by line from its stderr log (no sleeps: reads block).
final class ServeProcess {
    let process = Process()
    let err = Pipe()
    var buffer = ""

    init(binary: String, config: String) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", config, "--log-level", "info"]
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// Reads the log until a line contains `text`; false if the process ended first.
    func waitFor(_ text: String) -> Bool {
        while !buffer.contains(text) {
            let data = err.fileHandleForReading.availableData
            if data.isEmpty { return false }
            buffer += String(decoding: data, as: UTF8.self)
        }
        return true
    }

    func signal(_ sig: Int32) -> Int32 {
        kill(process.processIdentifier, sig)
        buffer += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite struct ServeTests {
    @Test func theDaemonServesTheCLIAndSurvivesKill9() throws {
        let port = Int.random(in: 20_000...60_000)
        let site = try CLISite { CLISite.noMQTT($0).replacingOccurrences(of: "port = 8080", with: "port = \(port)") }
        let (config, env) = (site.config, site.env)
        let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/cantine").path

        var daemon = try ServeProcess(binary: binary, config: config)
        #expect(daemon.waitFor("site open"))

        // Changes reach the running daemon through its inbox.
        let (added, out, addErr) = try cantine(
            ["members", "add", "Ada Lovelace", "--id", "m-ada", "--plan", "resident"], environment: env)
        #expect(added == 0, "\(addErr)")
        #expect(out.contains("member m-ada added"))
        let (clash, _, clashErr) = try cantine(["members", "add", "Ada again", "--id", "m-ada"], environment: env)
        #expect(clash == 1 && clashErr == "cantine: member 'm-ada' already exists\n")

        // A second daemon is refused, naming the first one's pid.
        let (second, _, secondErr) = try cantine(["serve"], environment: env)
        #expect(
            second == 1
                && secondErr.contains("is in use by another cantine process (pid \(daemon.process.processIdentifier))"))

        // kill -9: what was acknowledged survives; the next daemon starts where it stopped.
        #expect(daemon.signal(SIGKILL) == SIGKILL)
        daemon = try ServeProcess(binary: binary, config: config)
        #expect(daemon.waitFor("site open"))
        let (_, members, _) = try cantine(["members", "list"], environment: env)
        #expect(members.contains("m-ada") && members.contains("resident"))

        // SIGTERM: graceful, exit 0, with a snapshot of the live state that replay must match.
        #expect(daemon.signal(SIGTERM) == 0)
        #expect(daemon.buffer.contains("stopped"))
        let (replayed, replay, _) = try cantine(["replay"], environment: env)
        #expect(replayed == 0)
        #expect(replay.contains("matches the replay"))
    }
}
