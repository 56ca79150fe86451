// Hardware wiring: the only place that picks the real (libgpiod) or simulated GPIO adapter.
// Relays are requested with their locked level as initial value, so a door is driven locked
// the moment its line is claimed, before anything else of the daemon starts.

import CantineCore
import CantineGPIO
import CantineProtocol
import Foundation
import Logging

/// The door relays of a site, driven locked.
public struct DoorHardware: Sendable {
    public var relays: [DoorID: RelayDriver]
    /// Simulated lines by door (empty with real hardware): tests and the demo inspect them.
    public var simulatedRelays: [DoorID: SimulatedOutputLine]
    /// Open chips, kept alive while their lines are in use.
    let chips: [GPIOChip]

    /// Claims every door's relay line at its locked level.
    public static func boot(_ config: Config, logger: Logger) throws(GPIOError) -> DoorHardware {
        var relays: [DoorID: RelayDriver] = [:]
        var simulated: [DoorID: SimulatedOutputLine] = [:]
        var chips: [String: GPIOChip] = [:]
        let deadline: RelayDriver.Deadline = { delay, body in
            DispatchQueue.global().asyncAfter(deadline: .now() + .microseconds(Int(delay.micros)), execute: body)
        }
        for door in config.doors {
            let failSecure = door.failSecure ?? true
            let locked = RelayDriver.lockedLevel(failSecure: failSecure)
            let line: any OutputLine
            if config.gpioSimulated {
                let sim = SimulatedOutputLine(initiallyActive: locked)
                simulated[DoorID(door.id)] = sim
                line = sim
            } else {
                let name = door.chip ?? config.defaultChip
                let chip: GPIOChip
                if let open = chips[name] {
                    chip = open
                } else {
                    chip = try GPIOChip(name: name)
                    chips[name] = chip
                }
                line = try chip.output(
                    line: door.relayLine, consumer: "cantine-\(door.id)", activeLow: door.relayActiveLow ?? false,
                    initiallyActive: locked)
            }
            let id = DoorID(door.id)
            relays[id] = RelayDriver(
                door: id, line: line, failSecure: failSecure, deadline: deadline,
                onError: { logger.critical("relay failure", metadata: ["door": "\(id)", "error": "\($0)"]) })
            logger.info(
                "relay driven locked",
                metadata: ["door": "\(id)", "gpio": config.gpioSimulated ? "simulated" : "libgpiod"])
        }
        return DoorHardware(relays: relays, simulatedRelays: simulated, chips: Array(chips.values))
    }

    /// Drives every relay locked (shutdown).
    public func lockAll() { relays.values.forEach { $0.lockNow() } }
}

/// The input side of one door: frames, exit button and contact become journaled events.
public struct DoorInput: Sendable {
    public let door: DoorID
    let engine: Engine
    let tokenizer: CredentialTokenizer
    let thirtySevenBit: WiegandFormat
    let metrics: DaemonMetrics

    public init(door: DoorID, runtime: Runtime) {
        self.door = door
        engine = runtime.engine
        tokenizer = runtime.tokenizer
        metrics = runtime.metrics
        let section = runtime.config.doors.first { $0.id == door.rawValue }
        thirtySevenBit = section?.wiegand37.flatMap(WiegandFormat.init(rawValue:)) ?? .h10304
    }

    /// A complete Wiegand frame from the reader: decoded, tokenized and decided. The time from
    /// frame to relay driven is recorded as `cantine_access_decision_seconds`.
    @discardableResult
    public func frame(_ frame: WiegandFrame) -> Engine.Applied {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { metrics.decision.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
        let badge: BadgePresented
        do throws(WiegandError) {
            let read = try Wiegand.decode(frame, thirtySevenBit: thirtySevenBit)
            badge = BadgePresented(door: door, token: tokenizer.token(for: read), format: read.format)
        } catch {
            badge = BadgePresented(door: door, token: nil, format: nil, unreadable: "\(error) (\(frame.count) bits)")
        }
        return engine.submit(.badgePresented(badge), source: EventSource("door:\(door)"))
    }

    /// The request-to-exit button was pressed.
    @discardableResult
    public func exitButton() -> Engine.Applied {
        engine.submit(.exitRequested(DoorRef(door: door)), source: EventSource("door:\(door)"))
    }

    /// The door contact changed.
    @discardableResult
    public func contact(open: Bool) -> Engine.Applied {
        engine.submit(.doorContact(DoorContact(door: door, open: open)), source: EventSource("door:\(door)"))
    }
}
