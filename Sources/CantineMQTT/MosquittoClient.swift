// A libmosquitto client speaking MQTT v5. Its handle is shared with a network thread of ours
// (`NetworkLoop`, not libmosquitto's loop_start) and freed when both are done with it. It
// reconnects with capped backoff (1 s → 5 s), sets the last will before connecting, renews its
// subscriptions in the connect callback and hands messages to Swift through a callback that
// must not block (see `MessageQueue`). v5 so that the broker says why it dropped us: when
// another client connects with our client id (reason 0x8E, session taken over), the client
// backs off instead of taking the session back every second, and says so.

import CMosquitto
import Foundation
import Synchronization

/// A one-line MQTT error.
public struct MQTTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: Sendable, Equatable {
        /// The settings are wrong (TLS files, a client id, arguments): fix the config.
        case invalid
        /// The broker cannot be reached or dropped the connection: retried.
        case unavailable
        /// The broker refused these credentials or this client.
        case denied
        /// Anything else.
        case failed
    }
    public let code: Code
    public let message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public init(_ message: String) { self.init(.failed, message) }
    public var description: String { message }

    /// The code of a libmosquitto return code.
    static func code(of rc: Int32) -> Code {
        switch mosq_err_t(rc) {
        case MOSQ_ERR_INVAL, MOSQ_ERR_PAYLOAD_SIZE, MOSQ_ERR_MALFORMED_UTF8, MOSQ_ERR_TLS: .invalid
        case MOSQ_ERR_NO_CONN, MOSQ_ERR_CONN_LOST, MOSQ_ERR_ERRNO, MOSQ_ERR_EAI, MOSQ_ERR_KEEPALIVE: .unavailable
        case MOSQ_ERR_CONN_REFUSED, MOSQ_ERR_AUTH, MOSQ_ERR_ACL_DENIED: .denied
        default: .failed
        }
    }
}

/// Connection settings.
public struct MQTTSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var clientID: String
    public var username: String?
    public var password: String?
    public var keepalive: Int
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// Keep the session (subscriptions, queued QoS 1 messages) across disconnects.
    public var persistentSession: Bool
    /// QoS 1 messages in flight at once (0: no limit).
    public var maxInflight: Int
    /// Keep libmosquitto's error log lines (`lastError`). Costly: with a log callback set,
    /// libmosquitto formats a debug line for every packet; only `probe` turns it on.
    public var captureErrors = false
    /// Seconds to wait before connecting again after another client took our session over;
    /// doubled at each takeover that follows within 10 minutes of connecting, up to 10 minutes
    /// (`SessionWatch`).
    public var takeoverBackoff = 30

    public init(
        host: String, port: Int, clientID: String, username: String? = nil, password: String? = nil,
        keepalive: Int = 30, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil,
        persistentSession: Bool = true, maxInflight: Int = 100
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.keepalive = keepalive
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.persistentSession = persistentSession
        self.maxInflight = maxInflight
    }

    /// The broker as `host:port`.
    public var broker: String { "\(host):\(port)" }
}

/// A message as received.
public struct InboundMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    /// Delivered from the broker's retained store (not published just now).
    public var retained: Bool
    public init(topic: String, payload: [UInt8], retained: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.retained = retained
    }
}

/// What a client's network thread shares with it: the libmosquitto handle (destroyed when both
/// are done with it) and the state its callbacks keep. The callbacks reach this, never the
/// client, so a client may go at any time, even from inside one of its own callbacks.
final class MosquittoLink: @unchecked Sendable {
    struct Callbacks {
        var connected = false
        /// Subscriptions of this connection the broker has not acknowledged yet.
        var unacknowledged = 0
        var subscriptions: [String] = []
        /// Subscribed at QoS 0: the broker queues nothing on them while we are away.
        var watched: [String] = []
        var onConnect: (@Sendable () -> Void)?
        var onMessage: (@Sendable (InboundMessage) -> Void)?
        var onPublished: (@Sendable (Int32) -> Void)?
        /// The broker's answer to the last connection attempt, when it refused.
        var refusal: String?
        /// The last error libmosquitto logged (TLS failures land here).
        var lastError: String?
        var onRefused: (@Sendable (String) -> Void)?
        var onTakenOver: (@Sendable (SessionTakeover) -> Void)?
        var watch: SessionWatch

        /// Set by `drop`: a connection made as the client stops does not count as connected.
        var stopped = false

        /// Forgets the owner's callbacks: they often hold what holds the client (the
        /// publisher), and the pair would never be freed, with the handle's sockets (seen in
        /// the chaos bench, whose site restarts its MQTT service after every power cut).
        /// Returns them, for the caller to release outside the lock (their owners' deinits
        /// may take it).
        mutating func drop() -> Callbacks {
            defer {
                stopped = true
                connected = false
                onConnect = nil
                onMessage = nil
                onPublished = nil
                onRefused = nil
                onTakenOver = nil
            }
            return self
        }
    }

    let handle: OpaquePointer
    let callbacks: Mutex<Callbacks>
    /// Signalled on every connect and disconnect (`MosquittoClient.wait(connected:timeout:)`).
    let changed = NSCondition()
    let loop = NetworkLoop()

    init(_ handle: OpaquePointer, takeoverBackoff: Int) {
        self.handle = handle
        callbacks = Mutex(Callbacks(watch: SessionWatch(backoff: takeoverBackoff)))
    }

    /// The link a callback is for.
    static func from(_ userdata: UnsafeMutableRawPointer?) -> MosquittoLink? {
        userdata.map { Unmanaged<MosquittoLink>.fromOpaque($0).takeUnretainedValue() }
    }

    func signalChange() {
        changed.lock()
        changed.broadcast()
        changed.unlock()
    }

    deinit { mosquitto_destroy(handle) }
}

/// A libmosquitto client on a network thread of its own (`NetworkLoop`).
public final class MosquittoClient: @unchecked Sendable {
    private static let initOnce: Void = { mosquitto_lib_init() }()

    let link: MosquittoLink
    var handle: OpaquePointer { link.handle }
    public let settings: MQTTSettings

    /// Creates the client; `will` (retained, QoS 1) is what the broker says if we vanish.
    public init(settings: MQTTSettings, will: (topic: String, payload: String)? = nil) throws(MQTTError) {
        _ = Self.initOnce
        guard let h = mosquitto_new(settings.clientID, !settings.persistentSession, nil) else {
            throw MQTTError("cannot create MQTT client '\(settings.clientID)': \(String(cString: strerror(errno)))")
        }
        link = MosquittoLink(h, takeoverBackoff: settings.takeoverBackoff)
        self.settings = settings
        mosquitto_user_data_set(h, Unmanaged.passUnretained(link).toOpaque())
        // Our own thread runs the loop: libmosquitto's locks and its wake-up on publish are on.
        _ = mosquitto_threaded_set(h, true)
        _ = mosquitto_int_option(h, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V5))
        // Small messages, sent at once: Nagle plus delayed ACKs would hold them ~40 ms each way.
        _ = mosquitto_int_option(h, MOSQ_OPT_TCP_NODELAY, 1)
        _ = mosquitto_max_inflight_messages_set(h, UInt32(max(0, settings.maxInflight)))
        if let will {
            try check(
                mosquitto_will_set(h, will.topic, Int32(will.payload.utf8.count), will.payload, 1, true), "last will")
        }
        if let user = settings.username {
            try check(mosquitto_username_pw_set(h, user, settings.password), "credentials")
        }
        if let ca = settings.caFile {
            for (key, file) in [
                ("mqtt.ca_file", ca), ("mqtt.cert_file", settings.certFile), ("mqtt.key_file", settings.keyFile),
            ] {
                if let file, !FileManager.default.isReadableFile(atPath: file) {
                    throw MQTTError(
                        .invalid, "MQTT TLS: cannot read \(file) (\(key)): check the path and its permissions")
                }
            }
            if (settings.certFile == nil) != (settings.keyFile == nil) {
                throw MQTTError(.invalid, "MQTT TLS: a client certificate needs both mqtt.cert_file and mqtt.key_file")
            }
            try check(
                mosquitto_tls_set(h, ca, nil, settings.certFile, settings.keyFile, nil),
                "TLS files (\(ca)\(settings.certFile.map { ", \($0)" } ?? ""))")
        } else if settings.certFile != nil || settings.keyFile != nil {
            throw MQTTError(.invalid, "MQTT TLS: mqtt.cert_file and mqtt.key_file need mqtt.ca_file (the broker's CA)")
        }
        mosquitto_connect_callback_set(h) { mosq, userdata, rc in
            guard let link = MosquittoLink.from(userdata) else { return }
            if rc == 0 {
                let (topics, callback) = link.callbacks.withLock { c in
                    c.connected = !c.stopped
                    c.watch.connected(at: Date())
                    c.refusal = nil
                    c.unacknowledged = c.subscriptions.count + c.watched.count
                    return (c.subscriptions.map { ($0, Int32(1)) } + c.watched.map { ($0, Int32(0)) }, c.onConnect)
                }
                // Connected: the ordinary backoff again (a takeover lengthened it).
                link.loop.connected()
                // Renewed on every connect: a broker that lost our session has our topics again.
                for (topic, qos) in topics { mosquitto_subscribe(mosq, nil, topic, qos) }
                callback?()
                link.signalChange()
            } else {
                // v5 reason codes (0x86 bad user name or password, 0x87 not authorized, …).
                let text = String(cString: mosquitto_reason_string(rc))
                let callback = link.callbacks.withLock { c -> (@Sendable (String) -> Void)? in
                    defer { c.refusal = text }
                    return c.refusal == text ? nil : c.onRefused
                }
                callback?(text)
                link.signalChange()
            }
        }
        mosquitto_subscribe_callback_set(h) { _, userdata, _, _, _ in
            guard let link = MosquittoLink.from(userdata) else { return }
            link.callbacks.withLock { $0.unacknowledged = max(0, $0.unacknowledged - 1) }
            link.signalChange()
        }
        mosquitto_disconnect_v5_callback_set(h) { mosq, userdata, rc, _ in
            guard let link = MosquittoLink.from(userdata) else { return }
            let taken = link.callbacks.withLock { c -> (SessionTakeover, (@Sendable (SessionTakeover) -> Void)?)? in
                c.connected = false
                return c.watch.disconnected(reason: rc, at: Date()).map { ($0, c.onTakenOver) }
            }
            if let (takeover, callback) = taken {
                // Read by the network thread before it waits to connect again.
                link.loop.waitBeforeReconnecting(takeover.backoff)
                callback?(takeover)
            }
            link.signalChange()
        }
        mosquitto_message_callback_set(h) { _, userdata, message in
            guard let link = MosquittoLink.from(userdata), let m = message?.pointee else { return }
            let topic = String(cString: m.topic)
            let payload =
                m.payloadlen > 0 && m.payload != nil
                ? Array(UnsafeRawBufferPointer(start: m.payload, count: Int(m.payloadlen))) : []
            let handler = link.callbacks.withLock { $0.onMessage }
            handler?(InboundMessage(topic: topic, payload: payload, retained: m.retain))
        }
        mosquitto_publish_callback_set(h) { _, userdata, mid in
            guard let link = MosquittoLink.from(userdata) else { return }
            link.callbacks.withLock { $0.onPublished }?(mid)
        }
        if settings.captureErrors {
            mosquitto_log_callback_set(h) { _, userdata, level, text in
                guard level == MOSQ_LOG_ERR, let link = MosquittoLink.from(userdata), let text else { return }
                let line = String(cString: text)
                link.callbacks.withLock { $0.lastError = line }
            }
        }
    }

    /// True on the network thread, inside one of its callbacks.
    var onNetworkThread: Bool { link.loop.isNetworkThread }

    deinit {
        // The loop is asked to end and the callbacks dropped; the link (the handle) lives on
        // with the network thread until its loop ends, which may be at the end of the very
        // callback where this client's last reference went.
        end()
    }

    func check(_ rc: Int32, _ what: String) throws(MQTTError) {
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(MQTTError.code(of: rc), "MQTT \(what): \(String(cString: mosquitto_strerror(rc)))")
        }
    }

    /// True while connected to the broker.
    public var isConnected: Bool { link.callbacks.withLock { $0.connected } }

    /// True while connected with every subscription acknowledged by the broker: from then on
    /// nothing published on those topics is missed.
    public var isSubscribed: Bool { link.callbacks.withLock { $0.connected && $0.unacknowledged == 0 } }

    /// Waits until the client is connected with its subscriptions in place (or is no longer
    /// connected); false on timeout.
    public func wait(connected: Bool, timeout: Double) -> Bool {
        wait(timeout: timeout) { connected ? $0.isSubscribed : !$0.isConnected }
    }

    /// Waits until `condition` holds, re-checked on every connect, refusal and disconnect;
    /// false on timeout.
    public func wait(timeout: Double, until condition: (MosquittoClient) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        let changed = link.changed
        changed.lock()
        defer { changed.unlock() }
        while !condition(self) {
            if !changed.wait(until: deadline) { return condition(self) }
        }
        return true
    }

    /// `wait(timeout:until:)` for async code: the wait runs on a thread of its own, so the
    /// caller does not hold one of the concurrency pool's few threads while the work it waits
    /// for (a service's task) may need one.
    public func waitAsync(timeout: Double, until condition: @escaping @Sendable (MosquittoClient) -> Bool) async -> Bool
    {
        await withCheckedContinuation { c in
            Thread { c.resume(returning: self.wait(timeout: timeout, until: condition)) }.start()
        }
    }

    /// `wait(connected:timeout:)` for async code (see `waitAsync(timeout:until:)`).
    public func waitAsync(connected: Bool, timeout: Double) async -> Bool {
        await waitAsync(timeout: timeout) { connected ? $0.isSubscribed : !$0.isConnected }
    }

    /// The last time another client took our session over, if one did (forgotten after 10
    /// minutes connected; see `SessionWatch`).
    public var takeover: SessionTakeover? { link.callbacks.withLock { $0.watch.current(at: Date()) } }

    /// Why the broker refused the last attempt (bad credentials, not authorised), if it did.
    public var refusal: String? { link.callbacks.withLock { $0.refusal } }

    /// The last error libmosquitto reported (a TLS handshake failure, for one).
    public var lastError: String? { link.callbacks.withLock { $0.lastError } }

    /// Starts the network thread and connects (retrying in the background while the broker
    /// is down). Callbacks run on the network thread and must not block:
    /// - `onConnect` after every successful (re)connect, once `subscriptions` (QoS 1) and
    ///   `watched` (QoS 0: live messages only, nothing queued for us while we are away) are
    ///   renewed;
    /// - `onMessage` for every message on a subscribed topic;
    /// - `onPublished` with the message id when a QoS 1 publish is acknowledged;
    /// - `onRefused` when the broker refuses the connection (once per distinct reason);
    /// - `onTakenOver` when another client connected with our client id and took the session.
    ///
    /// The first connection attempt blocks on TCP (libmosquitto has no asynchronous v5 connect
    /// to carry the session's expiry): call it off the concurrency pool (`startDetached`).
    public func start(
        subscriptions: [String] = [],
        watched: [String] = [],
        onConnect: @escaping @Sendable () -> Void = {},
        onMessage: (@Sendable (InboundMessage) -> Void)? = nil,
        onPublished: (@Sendable (Int32) -> Void)? = nil,
        onRefused: (@Sendable (String) -> Void)? = nil,
        onTakenOver: (@Sendable (SessionTakeover) -> Void)? = nil
    ) throws(MQTTError) {
        guard !link.loop.isStopping else {
            throw MQTTError(.invalid, "MQTT client '\(settings.clientID)' was stopped: make a new one to connect again")
        }
        link.callbacks.withLock { c in
            c.subscriptions = subscriptions
            c.watched = watched
            c.onConnect = onConnect
            c.onMessage = onMessage
            c.onPublished = onPublished
            c.onRefused = onRefused
            c.onTakenOver = onTakenOver
        }
        // In v5 a session ends with its connection unless it has an expiry: a persistent one
        // never expires (as in 3.1.1), so reports sent while the daemon restarts wait for it.
        var properties: OpaquePointer?
        if settings.persistentSession {
            try check(
                mosquitto_property_add_int32(
                    &properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), UInt32.max),
                "session expiry")
        }
        let rc = mosquitto_connect_bind_v5(
            handle, settings.host, Int32(settings.port), Int32(settings.keepalive), nil, properties)
        mosquitto_property_free_all(&properties)  // libmosquitto kept its own copy
        // A refused first attempt is retried by the network thread; only bad arguments are fatal.
        if rc == MOSQ_ERR_INVAL.rawValue { try check(rc, "connect to \(settings.broker)") }
        link.loop.start(link)
    }

    /// `start` on a thread of its own, for async callers: its first connection attempt may
    /// block for as long as TCP takes to give up on an unreachable broker.
    public func startDetached(
        subscriptions: [String] = [],
        watched: [String] = [],
        onConnect: @escaping @Sendable () -> Void = {},
        onMessage: (@Sendable (InboundMessage) -> Void)? = nil,
        onPublished: (@Sendable (Int32) -> Void)? = nil,
        onRefused: (@Sendable (String) -> Void)? = nil,
        onTakenOver: (@Sendable (SessionTakeover) -> Void)? = nil
    ) async throws(MQTTError) {
        let result: Result<Void, MQTTError> = await withCheckedContinuation { c in
            Thread {
                do throws(MQTTError) {
                    try self.start(
                        subscriptions: subscriptions, watched: watched, onConnect: onConnect, onMessage: onMessage,
                        onPublished: onPublished, onRefused: onRefused, onTakenOver: onTakenOver)
                    c.resume(returning: .success(()))
                } catch {
                    c.resume(returning: .failure(error))
                }
            }.start()
        }
        try result.get()
    }

    /// Publishes without waiting on the network. Returns the message id when libmosquitto
    /// took the message while connected, nil otherwise (the caller keeps it for later).
    @discardableResult
    public func publish(_ topic: String, _ payload: String, qos: Int = 1, retain: Bool = false) -> Int32? {
        publish(topic, Array(payload.utf8), qos: qos, retain: retain)
    }

    /// Publishes bytes; see `publish(_:_:qos:retain:)`.
    @discardableResult
    public func publish(_ topic: String, _ payload: [UInt8], qos: Int = 1, retain: Bool = false) -> Int32? {
        guard isConnected else { return nil }
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { buf in
            mosquitto_publish(handle, &mid, topic, Int32(buf.count), buf.baseAddress, Int32(qos), retain)
        }
        return rc == MOSQ_ERR_SUCCESS.rawValue ? mid : nil
    }

    /// Disconnects cleanly (the broker discards the last will), ends the network thread and
    /// drops the callbacks (`MosquittoLink.Callbacks.drop`). Waits for the thread to end, up
    /// to 5 s, unless called from one of its callbacks: it ends once that callback returns.
    public func stop() {
        end()
        if !onNetworkThread { link.loop.waitUntilEnded(timeout: 5) }
    }

    /// Asks the network thread to end, wakes it, and drops the callbacks.
    private func end() {
        link.loop.requestStop()
        // Wakes a loop waiting on the socket: the DISCONNECT is queued through libmosquitto's
        // socket pair. (Not connected, the loop is in its backoff wait, which the stop cut short.)
        mosquitto_disconnect(handle)
        let dropped = link.callbacks.withLock { $0.drop() }
        withExtendedLifetime(dropped) { link.signalChange() }
    }

    /// A daemon another client sees on the broker: its site's retained `status` and `health`.
    public struct Holder: Sendable, Equatable {
        public var site: String
        public var clientID: String
        public var host: String
        public var online: Bool

        public init(site: String, clientID: String, host: String, online: Bool) {
            self.site = site
            self.clientID = clientID
            self.host = host
            self.online = online
        }
    }

    /// The daemons whose retained health the broker holds (those the credentials may read),
    /// with the client id and host each announced and whether its site's status is `online`
    /// (`cantine doctor`: is this client id held already?). Empty when nothing answered.
    public static func holders(_ settings: MQTTSettings, timeout: Double = 3) -> [Holder] {
        var probing = settings
        probing.clientID = settings.clientID + "-doctor"
        probing.persistentSession = false
        guard let client = try? MosquittoClient(settings: probing) else { return [] }
        let seen = Mutex<[String: (health: [UInt8]?, status: String?)]>([:])
        do {
            try client.start(
                subscriptions: ["cantine/+/health", "cantine/+/status"],
                onMessage: { message in
                    let parts = message.topic.split(separator: "/")
                    guard message.retained, parts.count == 3 else { return }
                    let site = String(parts[1])
                    seen.withLock { s in
                        if parts[2] == "health" { s[site, default: (nil, nil)].health = message.payload }
                        if parts[2] == "status" {
                            s[site, default: (nil, nil)].status = String(decoding: message.payload, as: UTF8.self)
                        }
                    }
                })
        } catch {
            return []
        }
        defer { client.stop() }
        guard client.wait(connected: true, timeout: timeout) else { return [] }
        // The broker sends the retained messages right after acknowledging the subscriptions.
        Thread.sleep(forTimeInterval: 0.5)
        return seen.withLock { $0 }.compactMap { site, seen -> Holder? in
            guard let payload = seen.health,
                let health = try? JSONDecoder().decode(HealthState.self, from: Data(payload)),
                let id = health.clientID
            else { return nil }
            return Holder(site: site, clientID: id, host: health.host ?? "?", online: seen.status == "online")
        }.sorted { $0.site < $1.site }
    }

    /// Tries a TCP connection to a broker; true when something accepts it.
    public static func reachable(host: String, port: Int, timeout: Double = 1) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else { return false }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0
    }

    /// Connects once with `settings` and says how the broker answered, within `timeout`
    /// seconds (`cantine doctor`): nil when it accepted, else a one-line reason with its fix.
    public static func probe(_ settings: MQTTSettings, timeout: Double = 3) -> String? {
        var probing = settings
        probing.clientID = settings.clientID + "-doctor"
        probing.persistentSession = false
        probing.captureErrors = true
        let client: MosquittoClient
        do { client = try MosquittoClient(settings: probing) } catch { return error.message }
        let done = DispatchSemaphore(value: 0)
        let answer = Mutex<String??>(nil)
        do {
            try client.start(
                onConnect: {
                    answer.withLock { if $0 == nil { $0 = .some(nil) } }
                    done.signal()
                },
                onRefused: { reason in
                    answer.withLock { if $0 == nil { $0 = .some(reason) } }
                    done.signal()
                })
        } catch {
            return error.message
        }
        let answered = done.wait(timeout: .now() + timeout) == .success
        client.stop()
        if answered, let result = answer.withLock({ $0 }) {
            guard let reason = result else { return nil }
            return
                "broker \(settings.broker) refused the connection: \(reason): check [mqtt] username/password and the broker's ACL"
        }
        if let error = client.lastError {
            return
                "broker \(settings.broker): \(error): check [mqtt] ca_file/cert_file/key_file and the broker's TLS listener"
        }
        if !reachable(host: settings.host, port: settings.port) {
            return
                "broker \(settings.broker) unreachable: start mosquitto (systemctl start mosquitto) or fix [mqtt] host/port"
        }
        return "broker \(settings.broker) did not answer within \(Int(timeout)) s: is it an MQTT listener (TLS or not)?"
    }
}
