// The desk sensor node: an LD2410 mmWave sensor on a UART (its OUT pin when the UART falls
// silent), configured at boot (`RadarSetup`), and an optional PIR say whether someone is at
// the desk; the shared hysteresis turns that into occupied / vacant; a report goes out through
// the ESP-AT link on every change and at least every heartbeat, with a fresh snapshot after
// every (re)connection; the LED's pattern says what is wrong (`light`). The board's main loop
// feeds it bytes, pin levels and a wrapping millisecond tick. Pure, no heap.

import CantineProtocol

/// The node's application logic, independent of the board.
public struct DeskNode {
    /// The LD2410 UART is trusted while a valid frame came within this long.
    public static let radarTimeoutMs: UInt32 = 2_000

    public let settings: Provisioning
    public private(set) var link: ESPATLink
    public private(set) var radar = LD2410Parser()
    public private(set) var radarSetup: RadarSetup
    public private(set) var hysteresis: OccupancyHysteresis<UInt32>

    var lastTarget: LD2410Target?
    var lastFrameAt: UInt32 = 0
    var outPin = false
    var pirPin = false
    var lastTick: UInt32
    var uptimeMs: UInt64 = 0
    var reportDue = true
    var lastReportAt: UInt32
    /// The `seq` of the last report sent (grows with every report of this boot).
    public private(set) var seq: UInt32 = 0

    public init(settings: Provisioning, firmware: StaticString, now: UInt32) {
        self.settings = settings
        self.link = ESPATLink(settings: settings, firmware: firmware)
        self.radarSetup = RadarSetup(maxGate: settings.radarMaxGate)
        self.hysteresis = OccupancyHysteresis(occupyAfter: settings.occupyAfterMs, releaseAfter: settings.vacateAfterMs)
        self.lastTick = now
        self.lastReportAt = now
    }

    /// The stable occupancy (nil until the first observation).
    public var occupied: Bool? { hysteresis.stable }

    /// The radar's UART has gone quiet and the OUT pin stands in for it.
    public func usingOutPin(at now: UInt32) -> Bool {
        lastTarget == nil || now &- lastFrameAt >= Self.radarTimeoutMs
    }

    /// Seconds since boot (wrap of the millisecond tick accounted for).
    public var uptimeS: UInt32 { UInt32(truncatingIfNeeded: uptimeMs / 1000) }

    /// A byte from the LD2410's UART.
    public mutating func radarByte(_ byte: UInt8, at now: UInt32) {
        switch radar.feed(byte) {
        case .target(let target):
            lastTarget = target
            lastFrameAt = now
            radarSetup.sawTarget()
        case .ack(let command, let status): radarSetup.ack(command: command, status: status)
        case .parameters(let parameters): radarSetup.read(parameters)
        case nil: break
        }
    }

    /// The levels of the LD2410's OUT pin and of the PIR (ignored unless provisioned).
    public mutating func pins(out: Bool, pir: Bool) {
        outPin = out
        pirPin = pir
    }

    /// A byte from the ESP-AT module.
    public mutating func modemByte<Port: ModemPort>(_ byte: UInt8, at now: UInt32, port: inout Port) {
        if let event = link.receive(byte, at: now, port: &port) { handle(event, at: now) }
        sendIfDue(at: now, port: &port)
    }

    /// Runs the node at `now`: the radar's configuration, presence, hysteresis, heartbeat,
    /// the link's timers. `radar` is the LD2410's UART (bytes to it).
    public mutating func poll<Port: ModemPort, Radar: ByteSink>(at now: UInt32, port: inout Port, radar: inout Radar) {
        radarSetup.poll(at: now, radar: &radar)
        uptimeMs &+= UInt64(now &- lastTick)
        lastTick = now
        if hysteresis.observe(present(at: now), at: now) { reportDue = true }
        if now &- lastReportAt >= settings.heartbeatMs { reportDue = true }
        if let event = link.poll(at: now, port: &port) { handle(event, at: now) }
        sendIfDue(at: now, port: &port)
    }

    /// Someone is at the desk, by the radar (or its OUT pin) or the PIR.
    public func present(at now: UInt32) -> Bool {
        let radarSays = usingOutPin(at: now) ? outPin : (lastTarget?.present ?? false)
        return radarSays || (settings.hasPIR && pirPin)
    }

    /// What the LED shows: the link's trouble first, then the radar's.
    public func light(at now: UInt32) -> StatusLight {
        if !link.isConnected {
            switch link.problem {
            case .noModule: return .code(.noModule)
            case .noWiFi: return .code(.noWiFi)
            case .noBroker: return .code(.noBroker)
            case nil: return .connecting
            }
        }
        if usingOutPin(at: now) { return .code(.radarSilent) }
        if radarSetup.step == .failed { return .code(.radarNotConfigured) }
        return .steady
    }

    mutating func handle(_ event: LinkEvent, at now: UInt32) {
        switch event {
        case .connected, .failed: reportDue = true
        case .delivered: lastReportAt = now
        case .disconnected: break
        }
    }

    mutating func sendIfDue<Port: ModemPort>(at now: UInt32, port: inout Port) {
        guard reportDue, link.isReady, let occupied = hysteresis.stable else { return }
        reportDue = false
        seq &+= 1
        lastReportAt = now
        var distance: UInt32?
        if !usingOutPin(at: now), let d = lastTarget?.distanceCm { distance = UInt32(d) }
        link.publish(
            ReportSnapshot(occupied: occupied, seq: seq, uptimeS: uptimeS, distanceCm: distance), at: now, port: &port)
    }
}
