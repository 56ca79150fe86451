// The entrance TV sleeps when the space does: with `[display] cec = true` (this Pi drives the
// TV), it is put in standby over HDMI-CEC when the space has been closed for the margin, and
// woken that long before it opens (an evening event keeps it on), through Debian's `cec-ctl`
// (v4l-utils): `--playback` once to register the adapter, then `--to 0 --standby` or
// `--to 0 --image-view-on` at each change. A kiosk Pi without the daemon follows
// `/display/board.json`'s `screen_on` instead (docs/install.md, "The entrance screen").

import CantineCore
import CantineSite
import CantineWeb
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Switches the entrance TV on and off as the space opens and closes.
public final class ScreenPower: Sendable {
    let engine: Engine
    let device: String
    let margin: Span
    let logger: Logger
    /// Runs `cec-ctl` with these arguments; true when it succeeded.
    let cecCtl: @Sendable ([String]) -> Bool
    /// What was last sent (nil: nothing yet), and whether the adapter is registered.
    let sent = Mutex<(awake: Bool?, registered: Bool, warned: Bool)>((nil, false, false))

    public init(
        engine: Engine, device: String, margin: Span, logger: Logger,
        cecCtl: @escaping @Sendable ([String]) -> Bool = ScreenPower.runner()
    ) {
        self.engine = engine
        self.device = device
        self.margin = margin
        self.logger = logger
        self.cecCtl = cecCtl
    }

    /// Looks at the time and the program, and tells the TV when that changes what it should
    /// be (a command that failed is sent again at the next look).
    public func step() {
        let now = engine.now
        let awake = engine.read { Board.screenAwake($0, now: now, margin: margin) }
        let (last, registered) = sent.withLock { ($0.awake, $0.registered) }
        guard last != awake else { return }
        let ok =
            (registered || cecCtl(["-d", device, "--playback"]))
            && cecCtl(["-d", device, "--to", "0", awake ? "--image-view-on" : "--standby"])
        let warn = sent.withLock { s in
            if ok {
                (s.awake, s.registered, s.warned) = (awake, true, false)
            } else if s.awake == nil {
                s.registered = false
            }
            defer { if !ok { s.warned = true } }
            return !ok && !s.warned
        }
        if ok {
            logger.notice(awake ? "entrance TV woken (HDMI-CEC)" : "entrance TV put in standby (HDMI-CEC)")
        } else if warn {
            logger.warning(
                "cannot drive the entrance TV: `cec-ctl -d \(device)` failed (install v4l-utils, check the device and that the user is in group video); trying again every 30 s"
            )
        }
    }

    /// Runs `cec-ctl` as found on the PATH (`path` in place of the daemon's, when given), its
    /// output discarded; false when it is missing or fails.
    public static func runner(path: String? = nil) -> @Sendable ([String]) -> Bool {
        { arguments in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["cec-ctl"] + arguments
            if let path {
                var environment = ProcessInfo.processInfo.environment
                environment["PATH"] = path
                process.environment = environment
            }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }
}

/// Looks every 30 seconds.
struct ScreenPowerService: Service {
    let power: ScreenPower

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            power.step()
            await pause(.seconds(30))
        }
    }
}
