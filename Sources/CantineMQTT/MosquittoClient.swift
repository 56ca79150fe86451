// A libmosquitto client: owns the handle (freed in deinit), runs libmosquitto's own network
// thread (loop_start), reconnects with capped backoff (1 s → 5 s), sets the last will before
// connecting and calls back on every (re)connect so subscriptions and birth messages return.

import CMosquitto
import Foundation
import Synchronization

/// A one-line MQTT error.
public struct MQTTError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
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

    public init(
        host: String, port: Int, clientID: String, username: String? = nil, password: String? = nil,
        keepalive: Int = 30,
        caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil
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
    }
}

/// A libmosquitto client on its own network thread.
public final class MosquittoClient: @unchecked Sendable {
    private static let initOnce: Void = { mosquitto_lib_init() }()

    let handle: OpaquePointer
    public let settings: MQTTSettings
    let state = Mutex<(connected: Bool, onConnect: (@Sendable () -> Void)?)>((false, nil))

    /// Creates the client and sets the last will (retained) on `willTopic`.
    public init(settings: MQTTSettings, willTopic: String, willPayload: String) throws(MQTTError) {
        _ = Self.initOnce
        guard let h = mosquitto_new(settings.clientID, true, nil) else {
            throw MQTTError("cannot create MQTT client: \(String(cString: strerror(errno)))")
        }
        handle = h
        self.settings = settings
        mosquitto_user_data_set(h, Unmanaged.passUnretained(self).toOpaque())
        _ = mosquitto_int_option(h, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V311))
        mosquitto_reconnect_delay_set(h, 1, 5, true)
        try check(
            mosquitto_will_set(h, willTopic, Int32(willPayload.utf8.count), willPayload, 1, true), "last will")
        if let user = settings.username {
            try check(mosquitto_username_pw_set(h, user, settings.password), "credentials")
        }
        if let ca = settings.caFile {
            try check(mosquitto_tls_set(h, ca, nil, settings.certFile, settings.keyFile, nil), "TLS files")
        }
        mosquitto_connect_callback_set(h) { mosq, userdata, rc in
            guard let userdata else { return }
            let client = Unmanaged<MosquittoClient>.fromOpaque(userdata).takeUnretainedValue()
            let callback = client.state.withLock { s -> (@Sendable () -> Void)? in
                s.connected = rc == 0
                return rc == 0 ? s.onConnect : nil
            }
            callback?()
        }
        mosquitto_disconnect_callback_set(h) { _, userdata, _ in
            guard let userdata else { return }
            Unmanaged<MosquittoClient>.fromOpaque(userdata).takeUnretainedValue().state.withLock {
                $0.connected = false
            }
        }
    }

    deinit {
        mosquitto_loop_stop(handle, true)
        mosquitto_destroy(handle)
    }

    func check(_ rc: Int32, _ what: String) throws(MQTTError) {
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError("MQTT \(what): \(String(cString: mosquitto_strerror(rc)))")
        }
    }

    /// True while connected to the broker.
    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Starts the network thread and connects (retrying in the background if the broker is down).
    /// `onConnect` runs on the network thread after every successful (re)connect.
    public func start(onConnect: @escaping @Sendable () -> Void) throws(MQTTError) {
        state.withLock { $0.onConnect = onConnect }
        let rc = mosquitto_connect_async(handle, settings.host, Int32(settings.port), Int32(settings.keepalive))
        // A refused first attempt is retried by the loop thread; only bad arguments are fatal.
        if rc == MOSQ_ERR_INVAL.rawValue { try check(rc, "connect to \(settings.host):\(settings.port)") }
        try check(mosquitto_loop_start(handle), "network thread")
        if rc != MOSQ_ERR_SUCCESS.rawValue { _ = mosquitto_reconnect_async(handle) }
    }

    /// Publishes (never blocks on the network; queued by libmosquitto while disconnected for QoS > 0).
    @discardableResult
    public func publish(_ topic: String, _ payload: String, qos: Int = 1, retain: Bool = false) -> Bool {
        let bytes = Array(payload.utf8)
        let rc = bytes.withUnsafeBytes { buf in
            mosquitto_publish(handle, nil, topic, Int32(buf.count), buf.baseAddress, Int32(qos), retain)
        }
        return rc == MOSQ_ERR_SUCCESS.rawValue
    }

    /// Disconnects cleanly (no last will) and stops the network thread.
    public func stop() {
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
    }

    /// Tries a TCP connection to a broker (doctor, demo); true when something accepts it.
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
}
