// `cantine serve` as a real process: CLI changes through the daemon's inbox, a second
// daemon refused, kill -9 loses nothing acknowledged, SIGTERM stops cleanly, and the
// replayed journal equals the live state.

import CantineDemo
import CantineSite
import CantineStore
import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `cantine demo` as a subprocess (no MQTT unless given a broker, its day at `speed`×) on `port`, in a scratch
/// directory removed at the end; killed if still running. The initializer returns once the
/// demo serves (it prints its URLs then); a port taken between choosing it and the demo's
/// bind (by any connection's ephemeral port) means another port, up to five times.
final class DemoProcess {
    let dir = NSTemporaryDirectory() + "cantine-demo-" + UUID().uuidString
    private(set) var port = 0
    private(set) var process = Process()
    /// What the demo printed on starting: its URLs and commands to try.
    private(set) var banner = ""
    /// The demo's stderr (beside `dir`, which the demo recreates).
    var log: String { dir + ".log" }
    var config: String { dir + "/cantine.toml" }

    /// `mqttPort`: the broker the demo uses (none: no MQTT).
    init(speed: Int = 600, mqttPort: Int? = nil) throws {
        for attempt in 1...5 {
            port = Broker.freePort()
            process = Process()
            process.executableURL = URL(fileURLWithPath: try cantineBinary())
            process.arguments =
                ["demo", "--port", "\(port)", "--data", dir, "--speed", "\(speed)"]
                + (mqttPort.map { ["--mqtt-port", "\($0)"] } ?? ["--no-mqtt"])
            let out = Pipe()
            process.standardOutput = out
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
            // Blocking reads: the announcement, or the end of output when the demo exits.
            var printed = ""
            while !printed.contains("Ctrl-C stops the demo") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                printed += String(decoding: chunk, as: UTF8.self)
            }
            if printed.contains("Ctrl-C stops the demo") {
                banner = printed
                out.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
                return
            }
            process.waitUntilExit()
            let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            guard said.contains("address already in use"), attempt < 5 else {
                throw DemoFailed(
                    "the demo exited (\(process.terminationStatus)) before serving: "
                        + (said.split(separator: "\n").last.map(String.init) ?? "nothing on stderr"))
            }
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: log)
    }
}

struct DemoFailed: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A running `cantine serve`, read line by line from its stderr log (no sleeps: reads block).
final class ServeProcess {
    let process = Process()
    let err = Pipe()
    var buffer = ""

    init(binary: String, config: String, environment: [String: String] = [:], logLevel: String = "info") throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", config, "--log-level", logLevel]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
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
    /// A port something else listens on: the daemon says so in one line (a typed error, not
    /// a match on the text of NIO's).
    @Test func aPortInUseIsOneLineNamingIt() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                bind(fd, p, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let site = try CLISite { CLISite.noMQTT($0).replacingOccurrences(of: "port = 8080", with: "port = \(port)") }
        let (status, _, stderr) = try cantine(["serve"], environment: site.env)
        #expect(status == 1)
        // The log lines of the start, then the error as the last line.
        #expect(
            stderr.split(separator: "\n").last.map(String.init)
                == "cantine: cannot listen on 127.0.0.1:\(port): address already in use: choose another port ([http] port or --port) or stop the other program"
        )
    }

    @Test func theDaemonServesTheCLIAndSurvivesKill9() throws {
        let port = MosquittoProcess.freePort()
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
        // --json prints the API's member view (read from the records: no presence).
        let (_, json, _) = try cantine(["members", "show", "m-ada", "--json"], environment: env)
        let view = try JSONDecoder().decode(MemberView.self, from: Data(json.utf8))
        #expect(view.id == "m-ada" && view.plan == "resident" && view.plans.map(\.kind) == ["resident"])
        #expect(view.present == nil && !json.contains("present"))

        // SIGTERM (once serving: the shutdown handler is in place): graceful, exit 0, with a
        // snapshot of the live state that replay must match.
        #expect(daemon.waitFor("listening on 127.0.0.1:\(port)"))
        #expect(daemon.signal(SIGTERM) == 0)
        #expect(daemon.buffer.contains("stopped"))
        let (replayed, replay, _) = try cantine(["replay"], environment: env)
        #expect(replayed == 0)
        #expect(replay.contains("matches the replay"))
    }

    /// kill -9 while the demo's day streams through the daemon at 600× (badges, contacts, desk
    /// reports, timers) and members are added through its inbox: every addition the CLI was
    /// told about is there after a restart, the relays are driven locked first, and the
    /// journal replays to the state the restarted daemon snapshots.
    @Test func kill9UnderTheDemosTrafficLosesNothingAcknowledged() throws {
        let running = try DemoProcess()
        let (dir, port, demo) = (running.dir, running.port, running.process)
        let env = ["CANTINE_CONFIG": dir + "/cantine.toml"]
        // Serving: its lock is held and its page answers.
        #expect(ProcessLock.isHeld(databasePath: dir + "/cantine.db"))
        #expect(http("http://127.0.0.1:\(port)/display").status == 200)
        // The commands the banner offers work as printed.
        let offered = running.banner.split(separator: "\n").first { $0.hasPrefix("  try ") }
        let words = offered.map { $0.split(separator: " ").dropFirst(2).map(String.init) } ?? []
        #expect(words.first == "members", "\(running.banner)")
        let (tried, triedOut, triedErr) = try cantine(words, environment: [:])
        #expect(tried == 0 && triedOut.contains("m-demo00"), "\(triedErr)")
        // Members added while the day plays; each acknowledged only once durable.
        var acknowledged: [String] = []
        for n in 0..<8 {
            let (status, out, _) = try cantine(
                ["members", "add", "Kill Nine \(n)", "--id", "m-k\(n)"], environment: env)
            if status == 0 && out.contains("added") { acknowledged.append("m-k\(n)") }
        }
        #expect(acknowledged.count == 8)
        kill(demo.processIdentifier, SIGKILL)
        demo.waitUntilExit()
        #expect(demo.terminationReason == .uncaughtSignal)

        var daemon = try ServeProcess(binary: try cantineBinary(), config: dir + "/cantine.toml")
        #expect(daemon.waitFor("site open"))
        // Locked before anything else: the relay lines are claimed locked before the site opens.
        let lockedAt = daemon.buffer.range(of: "relay driven locked")?.lowerBound
        let openAt = daemon.buffer.range(of: "site open")?.lowerBound
        #expect(lockedAt != nil && openAt != nil && lockedAt! < openAt!)
        #expect(daemon.waitFor("listening on 127.0.0.1:\(port)"))
        let (_, members, _) = try cantine(["members", "list"], environment: env)
        #expect(acknowledged.allSatisfy { members.contains($0) }, "\(members)")
        #expect(daemon.signal(SIGTERM) == 0)
        let (replayed, replay, _) = try cantine(["replay"], environment: env)
        #expect(replayed == 0 && replay.contains("matches the replay"), "\(replay)")
        let events = replay.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        #expect(events > 100, "\(replay)")  // the day had been streaming, not idle
        // And it starts again from there (serving, so its shutdown handler is in place).
        daemon = try ServeProcess(binary: try cantineBinary(), config: dir + "/cantine.toml")
        #expect(daemon.waitFor("listening on 127.0.0.1:\(port)"))
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func secretsNeverReachTheLogEvenAtTrace() throws {
        let mqttSecret = "mqtt-Secret-7f3a9"
        let staffSecret = "staff-Secret-c41d2"
        let broker = try Broker(users: ["cantine": mqttSecret])
        let port = Broker.freePort()
        let site = try CLISite {
            $0.replacingOccurrences(of: "port = 8080", with: "port = \(port)")
                .replacingOccurrences(of: "port = 1883", with: "port = \(broker.port)")
                .replacingOccurrences(of: "# username = \"cantine\"", with: "username = \"cantine\"")
                .replacingOccurrences(of: "# password = ", with: "password = ")
        }
        let env = site.env.merging(["CANTINE_MQTT_PASSWORD": mqttSecret]) { $1 }
        let add = Process()
        add.executableURL = URL(fileURLWithPath: try cantineBinary())
        add.arguments = ["staff", "add", "alice", "--role", "admin", "--password-stdin", "--config", site.config]
        add.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let input = Pipe()
        add.standardInput = input
        add.standardOutput = FileHandle.nullDevice
        try add.run()
        input.fileHandleForWriting.write(Data("\(staffSecret)\n".utf8))
        try input.fileHandleForWriting.close()
        add.waitUntilExit()
        #expect(add.terminationStatus == 0)
        // A badge number typed on the command line, refused then enrolled through the daemon.
        let badge = "31415926535"
        let memberArgs = ["members", "add", "Grace Hopper", "--id", "m-grace"]
        let enroll = ["badges", "enroll", "--member", "m-grace", "--card", badge, "--format"]
        let (made, tokenOut, _) = try cantine(["tokens", "create", "t-log", "--role", "reader"], environment: env)
        let token = try #require(
            tokenOut.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.count >= 32 })
        #expect(made == 0)

        let daemon = try ServeProcess(
            binary: try cantineBinary(), config: site.config, environment: env, logLevel: "trace")
        // Serving (its own log says so: a port merely reachable may belong to another test's process).
        #expect(daemon.waitFor("mqtt connected") && daemon.waitFor("listening on 127.0.0.1:\(port)"))
        // A wrong and a right password, a bearer token and a session cookie go through the daemon.
        let base = "http://127.0.0.1:\(port)"
        #expect(http("\(base)/login", form: "username=alice&password=wrong-\(staffSecret)").status == 401)
        let signedIn = http("\(base)/login", form: "username=alice&password=\(staffSecret)")
        #expect(signedIn.status == 303)
        let cookie = try #require(signedIn.cookie)
        #expect(http("\(base)/api/desks", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        #expect(http("\(base)/api/me", headers: ["Cookie": cookie]).status == 200)
        #expect(try cantine(memberArgs, environment: env).0 == 0)
        let (tooBig, _, tooBigError) = try cantine(enroll + ["h10301"], environment: env)
        #expect(tooBig != 0 && tooBigError.contains("does not fit h10301"))
        #expect(try cantine(enroll + ["h10302"], environment: env).0 == 0)
        #expect(daemon.signal(SIGTERM) == 0)

        let log = daemon.buffer
        #expect(log.contains("mqtt connected"))
        #expect(!log.contains(badge), "a badge number is in the log")
        for secret in [mqttSecret, staffSecret, token, String(cookie.split(separator: "=").last ?? "")] {
            #expect(!log.contains(secret), "a secret is in the log")
        }
    }
}

/// A blocking HTTP request (URLSession): the status, and the session cookie set, if any.
func http(_ url: String, form: String? = nil, headers: [String: String] = [:]) -> (status: Int, cookie: String?) {
    var request = URLRequest(url: URL(string: url)!)
    if let form {
        request.httpMethod = "POST"
        request.httpBody = Data(form.utf8)
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
    }
    for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<(Int, String?)>((0, nil))
    let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
    session.dataTask(with: request) { _, response, _ in
        let r = response as? HTTPURLResponse
        let cookie = (r?.value(forHTTPHeaderField: "Set-Cookie")).map { String($0.split(separator: ";")[0]) }
        result.withLock { $0 = (r?.statusCode ?? 0, cookie) }
        done.signal()
    }.resume()
    done.wait()
    let (status, cookie) = result.withLock { $0 }
    return (status, cookie)
}

/// Keeps a 303 as the answer (the sign-in's redirect carries the cookie).
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) { completionHandler(nil) }
}
