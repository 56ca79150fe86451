// An MQTT link through an ESP-AT Wi-Fi module on a UART: at boot the module's EN line is
// pulsed and its `ready` awaited, then the AT command sequence that joins Wi-Fi and connects
// to the broker with the node's last will (`nodes/<node>/status` = `offline`, retained), the
// birth message (`online`, retained), then AT+MQTTPUBRAW for each report. Every command has a
// timeout longer than the module's own; `busy p...` (the module still working on something)
// is waited out and the command asked again; an ERROR/FAIL or a timeout backs off (1 s, 2 s,
// 4 s … up to 60 s) and starts over, a timeout first resynchronising on a bare `AT` and a
// quiet spell (a late answer is never taken for the next command's), and every third failure
// in a row pulses the module's reset line. A dropped broker connection reconnects without
// rejoining Wi-Fi. Pure: the caller gives it the time (a wrapping millisecond tick) and the
// port to write to.

import CantineProtocol

/// The module's UART as the link sees it: bytes out, and the module's reset line.
public protocol ModemPort: ByteSink {
    /// Pulses the module's reset (EN) line; a board without one writes `AT+RST`.
    mutating func pulseReset()
}

/// What happened on the link, for the node.
public enum LinkEvent: Equatable {
    /// Connected to the broker and the birth message sent: reports can flow.
    case connected
    /// The broker connection or Wi-Fi was lost.
    case disconnected
    /// The report in flight was acknowledged (QoS 1).
    case delivered
    /// The report in flight was not acknowledged; send a fresh one once connected.
    case failed
}

/// A report to publish, captured when it was due.
public struct ReportSnapshot: Equatable {
    public var occupied: Bool
    public var seq: UInt32
    public var uptimeS: UInt32
    public var distanceCm: UInt32?
    public init(occupied: Bool, seq: UInt32, uptimeS: UInt32, distanceCm: UInt32? = nil) {
        self.occupied = occupied
        self.seq = seq
        self.uptimeS = uptimeS
        self.distanceCm = distanceCm
    }
}

/// The ESP-AT driver's state machine.
public struct ESPATLink {
    /// Where the link is in its sequence.
    public enum Step: Equatable {
        /// Boot: the module's EN line is pulsed before anything is sent. It may be anywhere —
        /// inside an AT+MQTTPUBRAW data phase, it would publish our first commands as a report.
        case start
        case waitReady, probe, echoOff, stationMode, joinWiFi, clean, userConfig, connConfig, connect, birth
        /// After a timeout: a bare `AT` until the module answers OK, then a quiet spell.
        case resync
        /// Connected, nothing in flight.
        case idle
        /// A report is being published.
        case report
    }

    /// Why the link is not up, for the node's LED (`problem`).
    public enum Problem: Equatable {
        /// The module does not answer (not powered, not on its AT UART, wedged).
        case noModule
        /// Wi-Fi join fails (SSID, password, range).
        case noWiFi
        /// The broker refuses or cannot be reached.
        case noBroker
    }

    /// The most a command may take before it is given up: longer than the module's own
    /// limits (ESP-AT answers MQTT commands within 10 s, except AT+MQTTCONN, which TCP
    /// retransmissions on a poor network can stretch well beyond).
    public static func timeoutMs(_ step: Step) -> UInt32 {
        switch step {
        case .start, .waitReady: 5_000
        case .probe, .echoOff, .stationMode, .resync: 2_000
        case .joinWiFi: 20_000
        case .clean, .userConfig, .connConfig, .birth, .report: 15_000
        case .connect: 45_000
        case .idle: 0
        }
    }

    /// After `busy p...` the same command is asked again once the module has been quiet this long.
    public static let busyWaitMs: UInt32 = 1_000
    /// After a resync's OK, the module must stay quiet this long before the sequence goes on.
    public static let settleMs: UInt32 = 500
    /// `busy` answers in a row to one command before it counts as a failure.
    public static let busyLimit: UInt32 = 30
    /// A quiet spell is restarted by each line for at most this long: a module that never
    /// falls quiet does not stall the link.
    public static let maxSettleMs: UInt32 = 5_000

    enum PublishPhase { case prompt, result }

    let settings: Provisioning
    let firmware: StaticString
    public private(set) var step: Step = .start
    public private(set) var inFlight = false
    /// Why the link is down (nil once connected, and before anything failed).
    public private(set) var problem: Problem?
    /// Where the sequence goes on after a resync.
    var resumeAt: Step = .probe
    /// Waiting for the module to fall quiet: any line received restarts the wait (until
    /// `maxSettleMs` after `settleStart`).
    var settling = false
    var settleStart: UInt32 = 0
    var busyCount: UInt32 = 0
    var sentAt: UInt32 = 0
    var timeout: UInt32 = 0
    var backingOff = false
    var backoffStart: UInt32 = 0
    public private(set) var backoffMs: UInt32 = 0
    var phase = PublishPhase.prompt
    var outgoing: ReportSnapshot?
    var line = ModemLine()

    /// Failures in a row (reset by a successful connection).
    public private(set) var failures: UInt32 = 0
    /// Reset pulses sent to the module.
    public private(set) var resets: UInt32 = 0
    /// Reports acknowledged.
    public private(set) var delivered: UInt32 = 0
    /// Connections made.
    public private(set) var connections: UInt32 = 0

    public init(settings: Provisioning, firmware: StaticString) {
        self.settings = settings
        self.firmware = firmware
    }

    /// Connected to the broker (idle or publishing).
    public var isConnected: Bool { step.isConnectedPhase }

    /// Connected and idle: a report can be published now.
    public var isReady: Bool { step == .idle && !backingOff }

    /// Starts publishing `report` (only when `isReady`).
    public mutating func publish<Port: ModemPort>(_ report: ReportSnapshot, at now: UInt32, port: inout Port) {
        guard isReady else { return }
        outgoing = report
        step = .report
        send(at: now, port: &port)
    }

    /// Lets time pass: sends the next command when due, fails one that timed out.
    public mutating func poll<Port: ModemPort>(at now: UInt32, port: inout Port) -> LinkEvent? {
        if inFlight {
            guard now &- sentAt >= timeout else { return nil }
            if step == .waitReady {
                // A module that never says "ready" may still answer: go on and probe it.
                inFlight = false
                step = .probe
                return nil
            }
            return fail(at: now, timedOut: true, port: &port)
        }
        if backingOff {
            guard now &- backoffStart >= backoffMs else { return nil }
            backingOff = false
            settling = false
        }
        switch step {
        case .idle: return nil
        case .report where outgoing == nil: return nil
        default:
            send(at: now, port: &port)
            return nil
        }
    }

    /// Feeds one byte from the module.
    public mutating func receive<Port: ModemPort>(_ byte: UInt8, at now: UInt32, port: inout Port) -> LinkEvent? {
        guard let input = line.feed(byte) else { return nil }
        if input == .line {
            // Unsolicited news first.
            if line.hasPrefix("+MQTTDISCONNECTED") && step.isConnectedPhase {
                return lost(restartAt: .clean, at: now)
            }
            if line.isExactly("WIFI DISCONNECT") && step.isConnectedPhase {
                return lost(restartAt: .joinWiFi, at: now)
            }
            if line.isExactly("ready") && step == .waitReady {
                // The module is back after a reset: no need to wait out the backoff.
                inFlight = false
                backingOff = false
                step = .probe
                return nil
            }
            if line.isExactly("ready") && step != .start {
                // The module restarted on its own: everything it knew is gone. (Before the
                // boot pulse, a `ready` changes nothing: the module is reset anyway.)
                return lost(restartAt: .probe, at: now)
            }
            if line.hasPrefix("busy "), inFlight, step != .waitReady, phase == .prompt {
                // Still working on an earlier command: this one was not taken. Ask again
                // once the module has been quiet a while.
                return busy(at: now, port: &port)
            }
        }
        guard inFlight else {
            // A late answer while backing off or settling: the module is not quiet yet.
            if settling, input == .line, now &- settleStart < Self.maxSettleMs { backoffStart = now }
            return nil
        }
        switch step {
        case .report, .birth:
            return publishing(input, at: now, port: &port)
        case .resync:
            // Only OK ends it: an ERROR may be the late answer to the command that timed out.
            guard input == .line, line.isExactly("OK") else { return nil }
            inFlight = false
            busyCount = 0
            step = resumeAt
            settle(at: now, for: Self.settleMs)
            return nil
        default:
            guard input == .line else { return nil }
            if line.isExactly("OK") { return advance() }
            if line.isExactly("ERROR") || line.isExactly("FAIL") {
                // Cleaning a connection that does not exist is an ERROR worth ignoring.
                if step == .clean { return advance() }
                return fail(at: now, port: &port)
            }
            return nil
        }
    }

    mutating func publishing<Port: ModemPort>(_ input: ModemInput, at now: UInt32, port: inout Port) -> LinkEvent? {
        switch (phase, input) {
        case (.prompt, .prompt):
            phase = .result
            writePayload(to: &port)
            return nil
        case (_, .line) where line.isExactly("+MQTTPUB:OK"):
            guard phase == .result else { return nil }
            return advance()
        case (_, .line) where line.isExactly("ERROR") || line.hasPrefix("+MQTTPUB:FAIL"):
            return fail(at: now, port: &port)
        default:
            return nil
        }
    }

    @discardableResult
    mutating func advance() -> LinkEvent? {
        inFlight = false
        busyCount = 0
        // What failed before works now: the LED stops naming it.
        if problem == Self.problem(failing: step) { problem = nil }
        switch step {
        case .start: step = .waitReady
        case .resync: step = resumeAt
        case .waitReady, .probe: step = .echoOff
        case .echoOff: step = .stationMode
        case .stationMode: step = .joinWiFi
        case .joinWiFi: step = .clean
        case .clean: step = .userConfig
        case .userConfig: step = .connConfig
        case .connConfig: step = .connect
        case .connect: step = .birth
        case .birth:
            step = .idle
            failures = 0
            problem = nil
            connections &+= 1
            return .connected
        case .report:
            step = .idle
            outgoing = nil
            delivered &+= 1
            return .delivered
        case .idle: break
        }
        return nil
    }

    /// The command in flight failed (`timedOut`: no answer in time). Backs off; after a
    /// timeout the module is resynchronised first, or reset if it may be inside a publish's
    /// data phase (a bare `AT` would be published); every third failure resets it.
    mutating func fail<Port: ModemPort>(at now: UInt32, timedOut: Bool = false, port: inout Port) -> LinkEvent? {
        let wasReport = step == .report
        let wasConnected = step.isConnectedPhase
        problem = Self.problem(failing: step)
        let resume: Step = step == .resync ? resumeAt : wasConnected ? .clean : .probe
        inFlight = false
        outgoing = nil
        busyCount = 0
        failures &+= 1
        backingOff = true
        backoffStart = now
        backoffMs = Self.backoff(failures: failures)
        settling = false
        let mayBeInDataPhase = timedOut && (step == .birth || step == .report)
        if failures % 3 == 0 || mayBeInDataPhase {
            port.pulseReset()
            resets &+= 1
            step = .waitReady
        } else if timedOut {
            resumeAt = resume
            step = .resync
        } else {
            step = resume
        }
        if wasReport { return .failed }
        return wasConnected ? .disconnected : nil
    }

    /// `busy p...`: the command is asked again after a quiet `busyWaitMs`; after
    /// `busyLimit` in a row it counts as timed out.
    mutating func busy<Port: ModemPort>(at now: UInt32, port: inout Port) -> LinkEvent? {
        busyCount &+= 1
        guard busyCount < Self.busyLimit else { return fail(at: now, timedOut: true, port: &port) }
        inFlight = false
        settle(at: now, for: Self.busyWaitMs)
        return nil
    }

    /// Waits `ms` before the next command, the wait restarting at every line received.
    mutating func settle(at now: UInt32, for ms: UInt32) {
        backingOff = true
        backoffStart = now
        backoffMs = ms
        settling = true
        settleStart = now
    }

    /// What a failure at `step` says is wrong.
    static func problem(failing step: Step) -> Problem {
        switch step {
        case .start, .waitReady, .probe, .echoOff, .stationMode, .resync: .noModule
        case .joinWiFi: .noWiFi
        case .clean, .userConfig, .connConfig, .connect, .birth, .idle, .report: .noBroker
        }
    }

    mutating func lost(restartAt: Step, at now: UInt32) -> LinkEvent? {
        let wasReport = step == .report
        let wasConnected = step.isConnectedPhase
        inFlight = false
        outgoing = nil
        busyCount = 0
        step = restartAt
        if restartAt == .joinWiFi { problem = .noWiFi } else if restartAt == .clean { problem = .noBroker }
        if wasReport { return .failed }
        return wasConnected ? .disconnected : nil
    }

    /// 1 s, 2 s, 4 s … capped at 60 s.
    static func backoff(failures: UInt32) -> UInt32 {
        let shift = min(failures > 0 ? failures - 1 : 0, 6)
        return min(UInt32(1000) << shift, 60_000)
    }

    mutating func send<Port: ModemPort>(at now: UInt32, port: inout Port) {
        inFlight = true
        sentAt = now
        timeout = Self.timeoutMs(step)
        phase = .prompt
        let s = settings
        switch step {
        case .start:
            port.pulseReset()
            resets &+= 1
            step = .waitReady
            return
        case .waitReady:
            return
        case .probe, .resync: port.put("AT")
        case .echoOff: port.put("ATE0")
        case .stationMode: port.put("AT+CWMODE=1")
        case .joinWiFi:
            port.put("AT+CWJAP=")
            quoted(s.bytes(s.wifiSSID), to: &port)
            port.put(",")
            quoted(s.bytes(s.wifiPassword), to: &port)
        case .clean: port.put("AT+MQTTCLEAN=0")
        case .userConfig:
            port.put("AT+MQTTUSERCFG=0,1,")
            quoted(s.bytes(s.node), to: &port)
            port.put(",")
            quoted(s.bytes(s.mqttUser), to: &port)
            port.put(",")
            quoted(s.bytes(s.mqttPassword), to: &port)
            port.put(",0,0,\"\"")
        case .connConfig:
            port.put("AT+MQTTCONNCFG=0,")
            port.put(decimal: UInt32(s.keepaliveS))
            port.put(",0,\"")
            statusTopic(to: &port)
            port.put("\",\"offline\",1,1")
        case .connect:
            port.put("AT+MQTTCONN=0,")
            quoted(s.bytes(s.brokerHost), to: &port)
            port.put(",")
            port.put(decimal: UInt32(s.brokerPort))
            port.put(",0")
        case .birth:
            port.put("AT+MQTTPUBRAW=0,\"")
            statusTopic(to: &port)
            port.put("\",6,1,1")
        case .report:
            var counter = ByteCounter()
            payload(to: &counter)
            port.put("AT+MQTTPUBRAW=0,\"")
            reportTopic(to: &port)
            port.put("\",")
            port.put(decimal: UInt32(counter.count))
            port.put(",1,0")
        case .idle:
            inFlight = false
            return
        }
        port.put("\r\n")
    }

    mutating func writePayload<Port: ModemPort>(to port: inout Port) {
        if step == .birth {
            port.put("online")
        } else {
            payload(to: &port)
        }
    }

    /// The report's JSON, as the daemon's decoder reads it.
    func payload<Sink: ByteSink>(to sink: inout Sink) {
        guard let r = outgoing else { return }
        let fw = UnsafeBufferPointer(start: firmware.utf8Start, count: firmware.utf8CodeUnitCount)
        SensorReport.write(
            occupied: r.occupied, seq: r.seq, uptimeS: r.uptimeS, fw: fw, distanceCm: r.distanceCm, to: &sink)
    }

    /// `cantine/<site>/nodes/<node>/status`
    func statusTopic<Sink: ByteSink>(to sink: inout Sink) {
        sink.put("cantine/")
        sink.put(bytes: settings.bytes(settings.site))
        sink.put("/nodes/")
        sink.put(bytes: settings.bytes(settings.node))
        sink.put("/status")
    }

    /// `cantine/<site>/desks/<desk>/report`
    func reportTopic<Sink: ByteSink>(to sink: inout Sink) {
        sink.put("cantine/")
        sink.put(bytes: settings.bytes(settings.site))
        sink.put("/desks/")
        sink.put(bytes: settings.bytes(settings.desk))
        sink.put("/report")
    }

    /// A quoted AT string parameter: `"`, `,` and `\` escaped with `\` as ESP-AT wants.
    func quoted<Sink: ByteSink>(_ bytes: UnsafeBufferPointer<UInt8>, to sink: inout Sink) {
        sink.put(UInt8(ascii: "\""))
        for b in bytes {
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: ",") || b == UInt8(ascii: "\\") {
                sink.put(UInt8(ascii: "\\"))
            }
            sink.put(b)
        }
        sink.put(UInt8(ascii: "\""))
    }
}

extension ESPATLink.Step {
    /// Steps during which the broker connection is up.
    var isConnectedPhase: Bool { self == .idle || self == .report }
}
