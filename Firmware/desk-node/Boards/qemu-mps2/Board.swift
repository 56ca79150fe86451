// The emulated test board (QEMU mps2-an385): CMSDK UART0 is the ESP-AT module, UART1 the
// LD2410, UART2 a control line from the test harness (pin levels: `0`/`1` OUT, `p`/`P` PIR;
// `Q` ends the run; `F` drills a fault (a Swift trap), `H` a hang (the loop stops); the board
// writes `R` there when it pulses the module's reset), UART3 the console. A SysTick count
// stands in for the RP2040's watchdog (startup.c). Used by Firmware/test only; the node logic is the
// same as on hardware.

import CantineProtocol
import DeskNode

/// A CMSDK APB UART: DATA at +0, STATE at +4 (bit 0 TX full, bit 1 RX full), CTRL at +8.
struct CMSDKUART {
    let base: UInt32

    func enable() {
        mmio_write(base + 0x10, 32)  // baud divisor: QEMU only checks it is at least 16
        mmio_write(base + 0x08, 0x3)  // TX and RX enabled
    }

    func write(_ byte: UInt8) {
        while mmio_read(base + 0x04) & 0x1 != 0 {}
        mmio_write(base, UInt32(byte))
    }

    func read() -> UInt8? {
        guard mmio_read(base + 0x04) & 0x2 != 0 else { return nil }
        return UInt8(truncatingIfNeeded: mmio_read(base))
    }
}

/// Console lines on UART3; the radar's configuration on UART1.
struct UARTConsole: ByteSink {
    let uart: CMSDKUART
    mutating func put(_ byte: UInt8) { uart.write(byte) }
}

struct QEMUBoard: Board {
    static let name: StaticString = "qemu-mps2-an385"
    let modem = CMSDKUART(base: 0x4000_4000)
    let radar = CMSDKUART(base: 0x4000_5000)
    let control = CMSDKUART(base: 0x4000_6000)
    let log = CMSDKUART(base: 0x4000_7000)
    var out = false
    var pir = false
    var quit = false
    var fault = false
    var hang = false

    init() {
        modem.enable()
        radar.enable()
        control.enable()
        log.enable()
    }

    func millis() -> UInt32 { board_millis() }
    mutating func modemByte() -> UInt8? { modem.read() }
    mutating func radarByte() -> UInt8? { radar.read() }

    mutating func pins() -> (out: Bool, pir: Bool) {
        while let byte = control.read() {
            switch byte {
            case UInt8(ascii: "0"): out = false
            case UInt8(ascii: "1"): out = true
            case UInt8(ascii: "p"): pir = false
            case UInt8(ascii: "P"): pir = true
            case UInt8(ascii: "Q"): quit = true
            case UInt8(ascii: "F"): fault = true
            case UInt8(ascii: "H"): hang = true
            default: break
            }
        }
        return (out, pir)
    }

    var provisioning: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: board_provisioning(), count: Int(board_provisioning_size()))
    }

    func console() -> UARTConsole { UARTConsole(uart: log) }
    func radarPort() -> UARTConsole { UARTConsole(uart: radar) }
    mutating func put(_ byte: UInt8) { modem.write(byte) }
    mutating func pulseReset() { control.write(UInt8(ascii: "R")) }
    mutating func light(_ on: Bool) {}  // the console's `led:` lines say what it shows
    mutating func feedWatchdog() { board_watchdog_feed() }

    mutating func idle() {
        if quit {
            var c = console()
            c.put("quit\r\n")
            board_halt()
        }
        if fault { fatalError("fault drill") }
        // A wait that never ends, as on a register bit that never comes (the UART's TX-full
        // flag of a wedged UART, here a bit the CMSDK UART never sets).
        while hang, mmio_read(0x4000_7004) & 0x8000_0000 == 0 {}
    }

    func halt(showing condition: NodeCondition) -> Never {
        var c = console()
        c.put("halt: led code ")
        c.put(decimal: UInt32(condition.rawValue))
        c.put(" (")
        c.put(condition.meaning)
        c.put(")\r\n")
        board_halt()
    }
}

@_cdecl("swift_main")
func swiftMain() {
    var board = QEMUBoard()
    runNode(&board)
}
