// The node's main loop, the same on every board: read the provisioning block, then forever
// feed the watchdog, feed the radar's and the module's bytes and the pin levels to the
// DeskNode logic with the board's millisecond tick, light the LED as the node says, and say
// what changed on the console. Boards differ only in the `Board` conformance (registers,
// pins, clock, watchdog).

import CantineProtocol
import DeskNode

/// The firmware version every report carries in `fw`.
let firmwareVersion: StaticString = "1.0.0"

/// What a board gives the node. The board is also the module's port (bytes out, reset line).
protocol Board: ModemPort {
    associatedtype Console: ByteSink
    associatedtype RadarPort: ByteSink
    /// The board's name, printed at boot.
    static var name: StaticString { get }
    /// Milliseconds since boot, wrapping every 49.7 days.
    func millis() -> UInt32
    /// A byte from the ESP-AT module, if one came.
    mutating func modemByte() -> UInt8?
    /// A byte from the LD2410, if one came.
    mutating func radarByte() -> UInt8?
    /// The LD2410 OUT pin and the PIR levels.
    mutating func pins() -> (out: Bool, pir: Bool)
    /// The provisioning block (its own flash sector).
    var provisioning: UnsafeBufferPointer<UInt8> { get }
    /// Where log lines go.
    func console() -> Console
    /// Bytes to the LD2410 (its configuration).
    func radarPort() -> RadarPort
    /// Lights the status LED, or not.
    mutating func light(_ on: Bool)
    /// Tells the watchdog the loop still turns: a loop that stops (a stuck wait, a fault)
    /// reboots the node within seconds.
    mutating func feedWatchdog()
    /// Runs between loop turns (a test board checks for its end there).
    mutating func idle()
    /// Stops for good (no usable provisioning), blinking `condition` on the LED.
    func halt(showing condition: NodeCondition) -> Never
}

/// Runs the node on `board`; never returns.
func runNode<B: Board>(_ board: inout B) -> Never {
    var console = board.console()
    console.put("cantine desk-node ")
    console.put(firmwareVersion)
    console.put(" on ")
    console.put(B.name)
    console.put("\r\n")
    let settings: Provisioning
    do throws(ProvisioningError) {
        settings = try Provisioning(block: board.provisioning)
    } catch {
        error.describe(to: &console)
        console.put("\r\n")
        board.halt(showing: error == .notProvisioned ? .noProvisioning : .badProvisioning)
    }
    console.put("desk ")
    console.put(bytes: settings.bytes(settings.desk))
    console.put(", node ")
    console.put(bytes: settings.bytes(settings.node))
    console.put("\r\n")
    var node = DeskNode(settings: settings, firmware: firmwareVersion, now: board.millis())
    var radar = board.radarPort()
    var shownOccupied: Bool?
    var shownConnected = false
    var shownResets: UInt32 = 0
    var shownLight = StatusLight.steady
    var shownRadar = RadarSetup.Step.enable
    while true {
        board.feedWatchdog()
        let now = board.millis()
        while let byte = board.radarByte() { node.radarByte(byte, at: now) }
        let levels = board.pins()
        node.pins(out: levels.out, pir: levels.pir)
        while let byte = board.modemByte() { node.modemByte(byte, at: now, port: &board) }
        node.poll(at: now, port: &board, radar: &radar)
        let light = node.light(at: now)
        board.light(light.lit(at: now))
        if light != shownLight {
            shownLight = light
            console.put("led: ")
            switch light {
            case .steady: console.put("steady (connected)")
            case .connecting: console.put("slow flash (connecting)")
            case .code(let condition):
                console.put(decimal: UInt32(condition.rawValue))
                console.put(" flashes (")
                console.put(condition.meaning)
                console.put(")")
            }
            console.put("\r\n")
        }
        if node.radarSetup.step != shownRadar, node.radarSetup.finished {
            shownRadar = node.radarSetup.step
            if shownRadar == .done {
                console.put("radar configured: max gate ")
                console.put(decimal: UInt32(settings.radarMaxGate))
                console.put(node.radarSetup.wrote ? ", written" : ", already set")
            } else {
                console.put("radar not configured: no ACK (is its RX wired?)")
            }
            console.put("\r\n")
        }

        if node.occupied != shownOccupied, let occupied = node.occupied {
            shownOccupied = occupied
            if occupied { console.put("occupied\r\n") } else { console.put("vacant\r\n") }
        }
        let connected = node.link.isConnected
        if connected != shownConnected {
            shownConnected = connected
            if connected { console.put("mqtt connected\r\n") } else { console.put("mqtt down\r\n") }
        }
        if node.link.resets != shownResets {
            shownResets = node.link.resets
            console.put("module reset\r\n")
        }
        board.idle()
    }
}
