// The mosquittos Cantine starts itself — the demo's broker and the benches' — all started the
// same way: found on the usual paths, run on a loopback port with a generated config, waited
// for until they accept a connection, and killed with SIGKILL at the end (a child inherits the
// daemon's blocked signal mask, SIGTERM among them; these brokers keep nothing worth a clean exit).

import CantineDaemon
import CantineMQTT
import Foundation

/// A mosquitto this process started.
public final class MosquittoProcess: Sendable {
    let process: Process
    /// The loopback port it listens on.
    public let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// mosquitto's binary, nil when it is not installed.
    public static var binary: String? {
        ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A loopback port nothing listens on now, below the kernel's ephemeral range: an outgoing
    /// connection never takes it meanwhile, and a client polling it before its server listens
    /// never connects to itself (TCP's simultaneous open, which held the port and made a
    /// daemon's bind fail in `bench boot`).
    public static func freePort() -> Int {
        let range = belowEphemeral
        var port = Int.random(in: range)
        while MosquittoClient.reachable(host: "127.0.0.1", port: port) { port = Int.random(in: range) }
        return port
    }

    /// 10000 up to the ephemeral range's start (Linux: 32768), or 20000–60000 when the range
    /// leaves no room below it.
    static let belowEphemeral: ClosedRange<Int> = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        guard let low = text.split(whereSeparator: \.isWhitespace).first.flatMap({ Int($0) }), low > 12_000 else {
            return 20_000...60_000
        }
        return 10_000...(low - 1)
    }()

    /// Starts mosquitto with the configuration `conf(port)` (written in `directory`) on `port`,
    /// or, without one, on a free port — another one (five tries) when the port chosen was
    /// taken meanwhile (an outgoing connection's ephemeral port, say). Waits up to 5 s for it
    /// to accept connections.
    public static func start(port fixed: Int? = nil, directory: String, conf: (Int) -> String) throws(DaemonError)
        -> MosquittoProcess
    {
        guard let binary else { throw DaemonError("mosquitto is not installed: apt install mosquitto") }
        for _ in 0..<(fixed == nil ? 5 : 1) {
            let port = fixed ?? freePort()
            let file = directory + "/mosquitto-\(port).conf"
            do { try conf(port).write(toFile: file, atomically: true, encoding: .utf8) } catch {
                throw DaemonError("cannot write \(file): \(error.localizedDescription)")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["-c", file]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch { throw DaemonError("cannot run \(binary): \(error.localizedDescription)") }
            for _ in 0..<100 where process.isRunning && !MosquittoClient.reachable(host: "127.0.0.1", port: port) {
                usleep(50_000)
            }
            if process.isRunning && MosquittoClient.reachable(host: "127.0.0.1", port: port) {
                return MosquittoProcess(process: process, port: port)
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        throw DaemonError(
            fixed.map { "mosquitto did not start on 127.0.0.1:\($0) (is the port taken? see \(directory))" }
                ?? "mosquitto did not start on 127.0.0.1 (five ports tried; see \(directory))")
    }

    /// Hashes a mosquitto password file in place (`mosquitto_passwd -U`).
    public static func hashPasswords(_ file: String) throws(DaemonError) {
        let tool = "/usr/bin/mosquitto_passwd"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["-U", file]
        do { try p.run() } catch { throw DaemonError("cannot run \(tool): apt install mosquitto") }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw DaemonError("\(tool) -U \(file) failed") }
    }

    /// Kills it (SIGKILL) and waits for it to go.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
