// Test support: a real mosquitto on a free loopback port with a generated config (password
// file, ACL, persistence), stopped and restarted on demand; MQTT clients that collect what
// they receive and wait for it (no sleeps); a wait on the engine's notices.

import CantineCore
import CantineMQTT
import CantineNetwork
import Foundation
import Synchronization

@testable import CantineDaemon
@testable import CantineDemo

/// A mosquitto broker of the test's own on 127.0.0.1:`port`.
final class Broker: @unchecked Sendable {
    /// A free port when chosen; changed by `startOnFreePorts` if another process takes it first.
    var port: Int = Broker.freePort()

    /// A port nothing listens on now (other tests run daemons and brokers in parallel).
    static func freePort() -> Int { MosquittoProcess.freePort() }

    let dir = NSTemporaryDirectory() + "cantine-mqtt-" + UUID().uuidString
    var pid: pid_t = 0
    let logPath: String
    /// With the sample config: its TLS listener, and the CA that signed the broker's certificate.
    var tlsPort = 0
    var caFile: String?

    /// - Parameters:
    ///   - users: user → password; with users, anonymous clients are refused.
    ///   - acl: the acl_file (`cantine mqtt acl` makes one).
    ///   - extra: more configuration (a bridge section), appended.
    init(users: [String: String] = [:], acl: String? = nil, extra: String = "") throws {
        // Open to all: mosquitto started as root drops to its own user, which must write here.
        try FileManager.default.createDirectory(
            atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        logPath = dir + "/mosquitto.log"
        var conf = """
            listener \(port) 127.0.0.1
            persistence true
            persistence_location \(dir)/
            log_dest file \(logPath)
            log_type all
            max_queued_messages 100000

            """
        if let acl {
            try acl.write(toFile: dir + "/acl", atomically: true, encoding: .utf8)
            conf += "acl_file \(dir)/acl\n"
        }
        if users.isEmpty {
            conf += "allow_anonymous true\n"
        } else {
            let passwords = users.map { "\($0.key):\($0.value)" }.sorted().joined(separator: "\n") + "\n"
            try passwords.write(toFile: dir + "/passwd", atomically: true, encoding: .utf8)
            try run("/usr/bin/mosquitto_passwd", ["-U", dir + "/passwd"])
            conf += "allow_anonymous false\npassword_file \(dir)/passwd\n"
        }
        try (conf + extra).write(toFile: dir + "/m.conf", atomically: true, encoding: .utf8)
        try startOnFreePorts()
        base = try String(contentsOfFile: dir + "/m.conf", encoding: .utf8).replacingOccurrences(of: extra, with: "")
    }

    /// The configuration without what `extra` appended.
    var base = ""

    /// Stops the broker and starts it again on the same port (its persistence kept) with
    /// `extra` in place of what was appended before.
    func restart(extra: String) throws {
        stop()
        try (base + extra).write(toFile: dir + "/m.conf", atomically: true, encoding: .utf8)
        try start()
    }

    /// A broker run from docs/mosquitto/cantine.conf (the sample a site installs), with its
    /// paths and ports moved to a scratch directory, a test CA and a server certificate for
    /// 127.0.0.1 made with openssl.
    init(sample users: [String: String], acl: String) throws {
        try FileManager.default.createDirectory(
            atPath: dir + "/certs", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        logPath = dir + "/mosquitto.log"
        var port = Broker.freePort()
        while port == self.port { port = Broker.freePort() }
        tlsPort = port
        let certs = try makeCertificates()
        let passwords = users.map { "\($0.key):\($0.value)" }.sorted().joined(separator: "\n") + "\n"
        try passwords.write(toFile: dir + "/cantine.passwd", atomically: true, encoding: .utf8)
        try run("/usr/bin/mosquitto_passwd", ["-U", dir + "/cantine.passwd"])
        try acl.write(toFile: dir + "/cantine.acl", atomically: true, encoding: .utf8)
        let sample = try String(
            contentsOf: repoRoot.appendingPathComponent("docs/mosquitto/cantine.conf"), encoding: .utf8)
        let conf =
            sample
            .replacingOccurrences(of: "/etc/mosquitto/", with: dir + "/")
            .replacingOccurrences(of: "/var/lib/mosquitto/", with: dir + "/")
            .replacingOccurrences(of: "listener 1883 127.0.0.1", with: "listener \(self.port) 127.0.0.1")
            .replacingOccurrences(of: "listener 8883", with: "listener \(port) 127.0.0.1")
            + "\nlog_dest file \(logPath)\nlog_type all\n"
        try conf.write(toFile: dir + "/m.conf", atomically: true, encoding: .utf8)
        try startOnFreePorts()
    }

    /// The network's hub, run from the configuration and ACL `cantine network hub-config`
    /// writes: TLS only (a test CA, a certificate for 127.0.0.1), a user per site.
    init(hub users: [String: String]) throws {
        try FileManager.default.createDirectory(
            atPath: dir + "/certs", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        logPath = dir + "/mosquitto.log"
        tlsPort = port
        let certs = try makeCertificates()
        let passwords = users.map { "\($0.key):\($0.value)" }.sorted().joined(separator: "\n") + "\n"
        try passwords.write(toFile: dir + "/hub.passwd", atomically: true, encoding: .utf8)
        try run("/usr/bin/mosquitto_passwd", ["-U", dir + "/hub.passwd"])
        try BridgeConfig.hubACL().write(toFile: dir + "/hub.acl", atomically: true, encoding: .utf8)
        let conf = BridgeConfig.hub(
            port: port, dir: dir, data: dir, tls: (certs + "ca.crt", certs + "server.crt", certs + "server.key"))
        try
            (conf.replacingOccurrences(of: "listener \(port)\n", with: "listener \(port) 127.0.0.1\n")
            + "log_dest file \(logPath)\nlog_type all\n")
            .write(toFile: dir + "/m.conf", atomically: true, encoding: .utf8)
        try startOnFreePorts()
        tlsPort = port
    }

    /// A test CA and a server certificate for 127.0.0.1 signed by it, in `dir`/certs/ (made with
    /// openssl); returns that directory.
    func makeCertificates() throws -> String {
        let certs = dir + "/certs/"
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(
            "/usr/bin/openssl",
            ["req", "-x509"] + ec + [
                "-keyout", certs + "ca.key", "-out", certs + "ca.crt", "-days", "2", "-subj", "/CN=Cantine test CA",
            ])
        try run(
            "/usr/bin/openssl",
            ["req"] + ec + ["-keyout", certs + "server.key", "-out", certs + "server.csr", "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: certs + "san.ext", atomically: true, encoding: .utf8)
        try run(
            "/usr/bin/openssl",
            [
                "x509", "-req", "-in", certs + "server.csr", "-CA", certs + "ca.crt", "-CAkey", certs + "ca.key",
                "-CAcreateserial", "-out", certs + "server.crt", "-days", "2", "-extfile", certs + "san.ext",
            ])
        // mosquitto drops to its own user: it must read the key (a test key in a scratch dir).
        chmod(certs + "server.key", 0o644)
        caFile = certs + "ca.crt"
        return certs
    }

    deinit {
        if pid > 0 { kill(pid, SIGKILL); waitpid(pid, nil, 0) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Starts mosquitto; if another test's process took one of its ports in the meantime
    /// (tests run in parallel), moves to fresh ports and tries again.
    func startOnFreePorts() throws {
        for _ in 0..<5 {
            do {
                return try start()
            } catch let error as MQTTError where error.message.contains("Address already in use") {
                var conf = try String(contentsOfFile: dir + "/m.conf", encoding: .utf8)
                let (old, oldTLS) = (port, tlsPort)
                port = Broker.freePort()
                conf = conf.replacingOccurrences(of: "listener \(old) ", with: "listener \(port) ")
                if oldTLS != 0 {
                    tlsPort = Broker.freePort()
                    conf = conf.replacingOccurrences(of: "listener \(oldTLS) ", with: "listener \(tlsPort) ")
                }
                try conf.write(toFile: dir + "/m.conf", atomically: true, encoding: .utf8)
            }
        }
        try start()
    }

    /// Starts mosquitto with an empty signal mask (the test runner blocks SIGTERM, and a
    /// child would inherit that) and waits until it accepts connections.
    func start() throws {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let logged = (try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int) ?? 0
        let args = ["/usr/sbin/mosquitto", "-c", dir + "/m.conf"]
        var argv = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Not the test runner's pipes: a broker left behind by a crashed test process must not
        // keep `swift test` waiting for their end.
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        for fd in [Int32(0), 1, 2] {
            posix_spawn_file_actions_addopen(&files, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let rc = posix_spawn(&pid, args[0], &files, &attr, &argv, environ)
        guard rc == 0 else { throw MQTTError("cannot start mosquitto: \(String(cString: strerror(rc)))") }
        // Ready when *our* broker logs its listening socket (a port taken meanwhile by someone
        // else makes it exit instead) and accepts a connection.
        for _ in 0..<500 {
            let log = (try? Data(contentsOf: URL(fileURLWithPath: logPath))).map { $0.dropFirst(logged) } ?? Data()
            if String(decoding: log, as: UTF8.self).contains("listen socket on port \(port)"),
                MosquittoClient.reachable(host: "127.0.0.1", port: port)
            {
                return
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw MQTTError("mosquitto exited: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
            }
            usleep(10_000)
        }
        throw MQTTError("mosquitto did not listen on \(port)")
    }

    /// Waits (up to 10 s) until the broker's log has a line containing `text`; false if not.
    /// The broker is another process: its log is read until the line appears.
    func waitForLog(_ text: String) -> Bool {
        for _ in 0..<1000 {
            if let log = try? String(contentsOfFile: logPath, encoding: .utf8), log.contains(text) { return true }
            usleep(10_000)
        }
        return false
    }

    /// Stops the broker with SIGTERM (it saves its persistence file) and waits for it.
    func stop() {
        kill(pid, SIGTERM)
        waitpid(pid, nil, 0)
        pid = 0
    }

    func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw MQTTError("\(tool) failed") }
    }

    /// Client settings; `tls` uses the sample config's TLS listener and its CA.
    func settings(
        _ id: String, user: String? = nil, password: String? = nil, persistent: Bool = false, tls: Bool = false
    ) -> MQTTSettings {
        var settings = MQTTSettings(
            host: "127.0.0.1", port: tls ? tlsPort : port, clientID: id, username: user, password: password,
            persistentSession: persistent, maxInflight: 0)
        if tls { settings.caFile = caFile }
        return settings
    }
}

/// An MQTT client that records every message on its topics and waits for them.
final class Collector: @unchecked Sendable {
    let client: MosquittoClient
    let received = NSCondition()
    var messages: [InboundMessage] = []
    var pinged = false

    init(
        _ broker: Broker, topics: [String], id: String = "collector-\(UUID().uuidString.prefix(8))",
        user: String? = nil, password: String? = nil, persistent: Bool = false
    ) throws {
        client = try MosquittoClient(
            settings: broker.settings(id, user: user, password: password, persistent: persistent))
        // Our own ping, subscribed last and published after: once it comes back, the broker
        // has every subscription in place.
        let ping = "cantine-test/ping/\(id)"
        try client.start(
            subscriptions: topics + [ping],
            onConnect: { [weak self] in _ = self?.client.publish(ping, "ping") },
            onMessage: { [weak self] m in
                guard let self else { return }
                self.received.lock()
                if m.topic != ping { self.messages.append(m) }
                self.pinged = self.pinged || m.topic == ping
                self.received.broadcast()
                self.received.unlock()
            })
        received.lock()
        defer { received.unlock() }
        let deadline = Date(timeIntervalSinceNow: 10)
        while !pinged {
            guard received.wait(until: deadline) else { throw MQTTError("collector did not subscribe") }
        }
    }

    deinit { client.stop() }

    /// Waits (up to 30 s: under the full suite the daemon's side can take seconds, and 10 s
    /// failed once in CI) until `done` holds over the messages so far; returns them. The wait
    /// runs on a thread of its own: the test does not hold one of the concurrency pool's few
    /// threads while the service it waits on needs one.
    @discardableResult
    func waitFor(_ done: @escaping @Sendable ([InboundMessage]) -> Bool) async -> [InboundMessage] {
        await withCheckedContinuation { c in
            Thread { c.resume(returning: self.blockingWait(done)) }.start()
        }
    }

    func blockingWait(_ done: ([InboundMessage]) -> Bool) -> [InboundMessage] {
        let deadline = Date(timeIntervalSinceNow: 30)
        received.lock()
        defer { received.unlock() }
        while !done(messages) {
            if !received.wait(until: deadline) { break }
        }
        return messages
    }

    /// Everything received so far.
    var snapshot: [InboundMessage] {
        received.lock()
        defer { received.unlock() }
        return messages
    }

    /// The payloads received on `topic`, as text.
    func payloads(_ topic: String) -> [String] {
        received.lock()
        defer { received.unlock() }
        return messages.payloads(topic)
    }
}

extension [InboundMessage] {
    /// The payloads on `topic`, as text, oldest first.
    func payloads(_ topic: String) -> [String] {
        filter { $0.topic == topic }.map { String(decoding: $0.payload, as: UTF8.self) }
    }
}

/// A desk node as the firmware behaves: its own credentials and last will, numbered reports
/// kept until the broker acknowledges them and sent again, in order, after a reconnect.
final class TestNode: @unchecked Sendable {
    struct Outgoing {
        var seq: UInt32 = 0
        /// Messages sent so far (their order in `pending`).
        var sent = 0
        /// Messages not yet acknowledged, oldest first.
        var pending: [(n: Int, topic: String, payload: String)] = []
        var mids: [Int32: Int] = [:]
    }

    let id: String
    let desk: String
    let client: MosquittoClient
    let topics: Topics
    let out = Mutex(Outgoing())

    init(
        _ broker: Broker, id: String, desk: String? = nil, password: String? = nil, site: SiteID = "paris",
        tls: Bool = false
    ) throws {
        self.id = id
        self.desk = desk ?? id
        topics = Topics(site: site)
        client = try MosquittoClient(
            settings: broker.settings("node-\(id)", user: password == nil ? nil : id, password: password, tls: tls),
            will: (topics.nodeStatus(NodeID(id)), "offline"))
        try client.start(
            onConnect: { [weak self] in self?.resend() },
            onPublished: { [weak self] mid in
                self?.out.withLock { o in
                    if let n = o.mids.removeValue(forKey: mid) { o.pending.removeAll { $0.n == n } }
                }
            })
        guard client.wait(connected: true, timeout: 10) else { throw MQTTError("node \(id) did not connect") }
        _ = client.publish(topics.nodeStatus(NodeID(id)), "online", retain: true)
    }

    deinit { client.stop() }

    /// Sends the next report (uptime grows with seq); kept until acknowledged.
    @discardableResult
    func report(_ occupied: Bool) -> UInt32 {
        out.withLock { o in
            o.seq += 1
            let topic = topics.deskReport(DeskID(desk))
            o.sent += 1
            let payload = SensorReportText.make(occupied: occupied, seq: o.seq)
            o.pending.append((o.sent, topic, payload))
            if let mid = client.publish(topic, payload) { o.mids[mid] = o.sent }
            return o.seq
        }
    }

    /// Publishes raw text on a topic once (bad payloads, other nodes' topics), after any
    /// report still waiting.
    func raw(_ topic: String, _ payload: String, retain: Bool = false) {
        out.withLock { o in
            o.sent += 1
            o.pending.append((o.sent, topic, payload))
            if let mid = client.publish(topic, payload, retain: retain) { o.mids[mid] = o.sent }
        }
    }

    /// After a reconnect: everything unacknowledged again, in order.
    func resend() {
        out.withLock { o in
            o.mids = [:]
            for p in o.pending {
                guard let mid = client.publish(p.topic, p.payload) else { return }
                o.mids[mid] = p.n
            }
        }
    }
}

enum SensorReportText {
    static func make(occupied: Bool, seq: UInt32) -> String {
        #"{"occupied":\#(occupied),"seq":\#(seq),"uptime_s":\#(1000 + seq),"fw":"1.0.0","rssi":-60}"#
    }
}
