// The MQTT publisher against a real mosquitto on a loopback port (started and stopped here),
// read back with mosquitto_sub: birth message, retained occupancy, `offline` on shutdown.

import CantineCore
import CantineDaemon
import CantineMQTT
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A mosquitto broker of the test's own on 127.0.0.1:`port`.
final class Broker {
    let process = Process()
    let port = Int.random(in: 20_000...60_000)
    let dir = NSTemporaryDirectory() + "cantine-mqtt-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "listener \(port) 127.0.0.1\nallow_anonymous true\nlog_dest stderr\n".write(
            toFile: dir + "/m.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        process.arguments = ["-c", dir + "/m.conf"]
        let err = Pipe()
        process.standardError = err
        try process.run()
        var log = ""
        while !log.contains("listen socket") {
            let data = err.fileHandleForReading.availableData
            guard !data.isEmpty else { throw MQTTError("mosquitto exited: \(log)") }
            log += String(decoding: data, as: UTF8.self)
        }
    }

    deinit {
        // SIGKILL: the test runner's threads block SIGTERM and children inherit that mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// The first `count` messages on `topic` (retained ones arrive at once), as "topic payload" lines.
    func read(_ topic: String, count: Int = 1) throws -> [String] {
        let sub = Process()
        sub.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        sub.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-t", topic, "-v", "-C", "\(count)", "-W", "10"]
        let out = Pipe()
        sub.standardOutput = out
        try sub.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        sub.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

/// A running mosquitto_sub, read line by line (blocking reads, no sleeps).
final class Subscription {
    let process = Process()
    let out = Pipe()
    var buffer = ""

    init(port: Int, topic: String) throws {
        // stdbuf: line-buffered, or the SUBACK debug line sits in mosquitto_sub's stdio buffer.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        process.arguments = [
            "-oL", "/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", "\(port)", "-t", topic, "-v", "-d", "-W", "10",
        ]
        process.standardOutput = out
        try process.run()
        _ = next(containing: "SUBACK")  // subscribed: what is published from now on arrives
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The next line containing `text`, or nil if the subscriber ended first.
    func next(containing text: String) -> String? {
        while true {
            if let line = buffer.split(separator: "\n", omittingEmptySubsequences: false).dropLast().first(where: {
                $0.contains(text)
            }) {
                let end = buffer.range(of: line)!.upperBound
                buffer = String(buffer[end...])
                return String(line)
            }
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { return nil }
            buffer += String(decoding: data, as: UTF8.self)
        }
    }
}

extension Broker {
    func subscribe(_ topic: String) throws -> Subscription { try Subscription(port: port, topic: topic) }
}

@Suite struct MQTTTests {
    @Test func publishesStatusAndOccupancyRetainedAndSaysOfflineOnShutdown() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        runtime.engine.submit(.deskReported(DeskReport(desk: "j01", occupied: true)), source: "sensor:node-j01")
        let settings = MQTTSettings(host: "127.0.0.1", port: broker.port, clientID: "cantine-test")
        let publisher = try MQTTPublisher(
            settings: settings, engine: runtime.engine, bus: runtime.bus, logger: Logger(label: "t"))
        let group = ServiceGroup(
            services: [publisher], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "t"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }

            #expect(try broker.read("cantine/paris/status") == ["cantine/paris/status online"])
            let occupancy = try broker.read("cantine/paris/occupancy")
            #expect(occupancy.first?.contains(#""people_present":0"#) == true)
            #expect(occupancy.first?.contains(#""zone":"jardin""#) == true)
            #expect(try broker.read("cantine/paris/desks/j01/state") == ["cantine/paris/desks/j01/state occupied"])
            #expect(try broker.read("cantine/paris/doors/entree/state") == ["cantine/paris/doors/entree/state locked"])

            // An access decision is an event with a stable id, the member by opaque id only.
            let events = try broker.subscribe("cantine/paris/events")
            DoorInput(door: "entree", runtime: runtime).frame(card(1234))
            let event = events.next(containing: "cantine/paris/events ")
            #expect(event?.contains(#""granted":true"#) == true)
            #expect(event?.contains(#""member":"m-ada""#) == true)
            #expect(event?.contains(#""id":"paris/"#) == true)
            #expect(event?.contains("Ada") == false)
            #expect(event?.contains(#""reason":"granted.plan""#) == true)

            // Opening the locked door is a forced-open alarm event, and the door's retained state.
            DoorInput(door: "sortie", runtime: runtime).contact(open: true)
            let alarm = events.next(containing: #""type":"alarm""#)
            #expect(alarm?.contains(#""alarm":"forced""#) == true && alarm?.contains(#""active":true"#) == true)
            #expect(try broker.read("cantine/paris/doors/sortie/state") == ["cantine/paris/doors/sortie/state forced"])

            // A change after connecting is published live.
            runtime.engine.submit(.deskReported(DeskReport(desk: "j01", occupied: false)), source: "sensor:node-j01")
            #expect(try broker.read("cantine/paris/desks/j01/state") == ["cantine/paris/desks/j01/state vacant"])

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try broker.read("cantine/paris/status") == ["cantine/paris/status offline"])
        runtime.close()
    }
}
