// Bring-up tools (`cantine hardware watch`, `cantine hardware pulse`): the config's input lines
// read through the board the config names (libgpiod, or the simulated twin) by the daemon's own
// reader threads, decoded by `LineWatch`; and one relay pulse, the relay claimed locked first
// and locked again after. Neither runs beside a daemon: it holds the lines.

import CantineConfig
import CantineCore
import CantineGPIO
import CantineProtocol
import CantineSite
import Foundation

/// Watches the input lines of the config's doors (all, or one) and wired desks.
public final class HardwareWatch: Sendable {
    /// What is watched, one line per chip (`entree: D0 17, D1 27, …`).
    public let summary: [String]
    /// The simulated lines by chip spec (empty on real GPIO): tests inject edges into them.
    public let simulated: [String: SimulatedEdgeSource]
    let readers: [EdgeReader<LineWatch>]
    let chips: [any GPIOChipPort]

    /// Requests the lines; `deliver` gets each event on its chip's reader thread once started.
    /// - Parameters:
    ///   - door: only this door's lines (no desk); nil: every door and wired desk.
    ///   - monotonic: the simulated twin's clock.
    public init(
        config: Config, door: String?, board: any GPIOBoard,
        monotonic: @escaping @Sendable () -> UInt64 = { SystemTime().monotonicNanos() },
        deliver: @escaping @Sendable (WatchEvent) -> Void
    ) throws(CommandError) {
        let settings = config.settings
        var doors = settings.doors
        var desks = settings.desks
        if let door {
            doors = doors.filter { $0.door.rawValue == door }
            desks = []
            guard !doors.isEmpty else {
                let known = settings.doors.map(\.door.rawValue).joined(separator: ", ")
                throw CommandError("no door '\(door)' in the config (doors: \(known.isEmpty ? "none" : known))")
            }
        }
        guard !doors.isEmpty || !desks.isEmpty else {
            throw CommandError(
                "the config describes no door and no wired desk: add [[doors]] (Hardware/BRINGUP.md) first")
        }
        var summary: [String] = []
        var simulated: [String: SimulatedEdgeSource] = [:]
        var readers: [EdgeReader<LineWatch>] = []
        var chips: [any GPIOChipPort] = []
        let thirtySevenBit = doors.compactMap(\.wiegand37).first ?? .h10304
        for spec in Set(doors.map(\.chip) + desks.map(\.chip)).sorted() {
            let doorLines = doors.filter { $0.chip == spec }.map(DoorLines.init)
            let deskLines = desks.filter { $0.chip == spec }.map(DeskLines.init)
            let watch = LineWatch(
                doors: doorLines, desks: deskLines, end: settings.gpio.frameEnd, thirtySevenBit: thirtySevenBit)
            do throws(GPIOError) {
                let chip = try ChipSelection.open(spec, on: board)
                chips.append(chip)
                let source: any EdgeSource
                if let sim = chip as? SimulatedChip {
                    let twin = try sim.inputSource(
                        watch.requests, consumer: "cantine-watch",
                        resting: DoorHardware.restingLevels(doors: doorLines, desks: deskLines), clock: monotonic)
                    simulated[spec] = twin
                    source = twin
                } else {
                    source = try chip.inputs(watch.requests, consumer: "cantine-watch")
                }
                readers.append(EdgeReader(source: source, decoder: watch, deliver: deliver))
                let described =
                    doorLines.map { d in
                        "\(d.door): D0 \(d.d0), D1 \(d.d1)"
                            + (d.contact.map { ", contact \($0)" } ?? "")
                            + (d.exitButton.map { ", exit button \($0)" } ?? "")
                    } + deskLines.map { "desk \($0.desk): \($0.line)" }
                summary.append("\(chip.name) (\(chip.label)): " + described.joined(separator: "; "))
            } catch {
                throw CommandError(
                    error.code == .busy
                        ? "\(error.message): another process holds these lines (a running `cantine serve`?): stop it first"
                        : error.message)
            }
        }
        self.summary = summary
        self.simulated = simulated
        self.readers = readers
        self.chips = chips
    }

    /// Starts a reader thread per chip (at the daemon's real-time priority when allowed).
    public func start() {
        for (i, reader) in readers.enumerated() {
            reader.start(name: "cantine-watch\(i)", realtimePriority: ReaderPriority.realtime)
        }
    }

    /// Stops the readers and releases the lines.
    public func stop() { readers.forEach { $0.stop() } }
}

/// One relay pulse for `cantine hardware pulse`: the relay claimed at its locked level, driven
/// open for the door's pulse, locked again by the relay's own deadline, then released.
public enum HardwarePulse {
    /// The relay plan of `door` alone, the pulse, and the relay in words for the confirmation.
    public static func describe(
        _ config: Config, door: String
    ) throws(CommandError) -> (plan: RelayPlan, pulse: Span, text: String) {
        guard let section = config.doors.first(where: { $0.id == door }) else {
            let known = config.doors.map(\.id).joined(separator: ", ")
            throw CommandError("no door '\(door)' in the config (doors: \(known.isEmpty ? "none" : known))")
        }
        guard section.relayActiveLow != nil || config.gpio.mode == "simulated" else {
            throw CommandError(
                "door \(door): relay_active_low is not set, so the relay's locked level is unknown: set it from the relay module's datasheet first"
            )
        }
        // A fail-safe lock (a maglock) is locked while its relay is energised: once this command
        // exits its line is released, the relay drops and the door is open. Only the daemon,
        // which holds the line for as long as it runs, may pulse it.
        guard Defaults.failSecure.or(section.failSecure) else {
            throw CommandError(
                "door \(door) is fail-safe (fail_secure = false): released when this command exits, its relay would drop and leave it open: test it through the daemon (cantine doors unlock \(door) --reason bring-up)"
            )
        }
        var plan = RelayPlan(config)
        plan.doors = plan.doors?.filter { $0.id == door }
        let pulse = Defaults.pulse.or(section.pulseS?.value)
        let text =
            "door \(door): relay on line \(section.relayLine) (\(section.relayActiveLow == true ? "active low" : "active high")), a \(pulse) s pulse"
        return (plan, Span(seconds: pulse), text)
    }
}
