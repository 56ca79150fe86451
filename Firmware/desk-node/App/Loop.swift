// The node's main loop, the same on every board: read the provisioning block, then forever
// feed the radar's and the module's bytes and the pin levels to the DeskNode logic with the
// board's millisecond tick, and say what changed on the console. Boards differ only in the
// `Board` conformance (registers, pins, clock).

import CantineProtocol
import DeskNode

/// The firmware version every report carries in `fw`.
let firmwareVersion: StaticString = "1.0.0"

/// What a board gives the node. The board is also the module's port (bytes out, reset line).
protocol Board: ModemPort {
    associatedtype Console: ByteSink
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
    /// Shows the link state (an LED on hardware).
    mutating func show(connected: Bool)
    /// Runs between loop turns (a test board checks for its end there).
    mutating func idle()
    /// Stops for good (no usable provisioning).
    func halt() -> Never
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
        board.halt()
    }
    console.put("desk ")
    console.put(bytes: settings.bytes(settings.desk))
    console.put(", node ")
    console.put(bytes: settings.bytes(settings.node))
    console.put("\r\n")
    var node = DeskNode(settings: settings, firmware: firmwareVersion, now: board.millis())
    var shownOccupied: Bool?
    var shownConnected = false
    var shownResets: UInt32 = 0
    while true {
        let now = board.millis()
        while let byte = board.radarByte() { node.radarByte(byte, at: now) }
        let levels = board.pins()
        node.pins(out: levels.out, pir: levels.pir)
        while let byte = board.modemByte() { node.modemByte(byte, at: now, port: &board) }
        node.poll(at: now, port: &board)

        if node.occupied != shownOccupied, let occupied = node.occupied {
            shownOccupied = occupied
            if occupied { console.put("occupied\r\n") } else { console.put("vacant\r\n") }
        }
        let connected = node.link.step == .idle || node.link.step == .report
        if connected != shownConnected {
            shownConnected = connected
            board.show(connected: connected)
            if connected { console.put("mqtt connected\r\n") } else { console.put("mqtt down\r\n") }
        }
        if node.link.resets != shownResets {
            shownResets = node.link.resets
            console.put("module reset\r\n")
        }
        board.idle()
    }
}
