// An RP2040 board (Raspberry Pi Pico or similar) as a desk node. Pins (Hardware/desk-node.md):
// GP0/GP1 UART0 TX/RX to the ESP-AT module (115200 8N1), GP4/GP5 UART1 TX/RX to the LD2410
// (256000 8N1), GP6 the LD2410's OUT pin, GP7 the PIR, GP8 the module's EN (reset) line,
// GP25 the on-board LED (the node's status: steady, slow flash or a count of flashes).
// Clocks: 12 MHz from the crystal; the watchdog (startup.c) reboots a node whose loop stops.
// Built by Firmware/build; not run under QEMU (it has no RP2040 model).

import CantineProtocol
import DeskNode

/// An ARM PL011 UART: DR at +0x00, FR at +0x18 (bit 4 RX empty, bit 5 TX full).
struct PL011 {
    let base: UInt32

    /// 8N1 with FIFOs at `baud` from the 12 MHz peripheral clock.
    func enable(baud: UInt32) {
        // Divisor = 12e6 / (16 × baud) in 16.6 fixed point, rounded.
        let scaled = (12_000_000 * 8 / baud + 1) / 2
        mmio_write(base + 0x24, scaled >> 6)  // IBRD
        mmio_write(base + 0x28, scaled & 0x3F)  // FBRD
        mmio_write(base + 0x2C, (3 << 5) | (1 << 4))  // LCR_H: 8 bits, FIFOs on (latches the divisors)
        mmio_write(base + 0x30, (1 << 9) | (1 << 8) | 1)  // CR: RX, TX, UART enabled
    }

    func write(_ byte: UInt8) {
        while mmio_read(base + 0x18) & (1 << 5) != 0 {}
        mmio_write(base, UInt32(byte))
    }

    func read() -> UInt8? {
        guard mmio_read(base + 0x18) & (1 << 4) == 0 else { return nil }
        return UInt8(truncatingIfNeeded: mmio_read(base))
    }
}

/// The RP2040's single-cycle IO: GPIO_IN at +0x04, OUT_SET +0x14, OUT_CLR +0x18, OE_SET +0x24.
enum SIO {
    static let base: UInt32 = 0xD000_0000
    static func level(_ pin: UInt32) -> Bool { mmio_read(base + 0x04) & (1 << pin) != 0 }
    static func set(_ pin: UInt32, _ high: Bool) { mmio_write(base + (high ? 0x14 : 0x18), 1 << pin) }
    static func output(_ pin: UInt32) { mmio_write(base + 0x24, 1 << pin) }
}

/// IO_BANK0 GPIOn_CTRL (at 0x40014004 + 8n): the function a pin serves.
func route(_ pin: UInt32, function: UInt32) {
    mmio_write(0x4001_4004 + 8 * pin, function)
}

/// Nothing to print on: both UARTs are taken (a USB console would need a USB stack).
struct NoConsole: ByteSink {
    mutating func put(_ byte: UInt8) {}
}

/// Bytes to the LD2410 (its configuration at boot).
struct RadarTX: ByteSink {
    let uart: PL011
    mutating func put(_ byte: UInt8) { uart.write(byte) }
}

struct RP2040Board: Board {
    static let name: StaticString = "rp2040"
    static let outPin: UInt32 = 6
    static let pirPin: UInt32 = 7
    static let modemEnable: UInt32 = 8
    static let led: UInt32 = 25
    let modem = PL011(base: 0x4003_4000)
    let radar = PL011(base: 0x4003_8000)

    init() {
        for pin: UInt32 in [0, 1, 4, 5] { route(pin, function: 2) }  // UART
        for pin in [Self.outPin, Self.pirPin, Self.modemEnable, Self.led] { route(pin, function: 5) }  // SIO
        SIO.set(Self.modemEnable, true)
        SIO.output(Self.modemEnable)
        SIO.output(Self.led)
        modem.enable(baud: 115_200)
        radar.enable(baud: 256_000)
    }

    func millis() -> UInt32 { board_millis() }
    mutating func modemByte() -> UInt8? { modem.read() }
    mutating func radarByte() -> UInt8? { radar.read() }
    mutating func pins() -> (out: Bool, pir: Bool) { (SIO.level(Self.outPin), SIO.level(Self.pirPin)) }

    var provisioning: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: board_provisioning(), count: Int(board_provisioning_size()))
    }

    func console() -> NoConsole { NoConsole() }
    func radarPort() -> RadarTX { RadarTX(uart: radar) }
    mutating func put(_ byte: UInt8) { modem.write(byte) }

    /// Holds EN low for 20 ms: the module restarts and prints "ready".
    mutating func pulseReset() {
        SIO.set(Self.modemEnable, false)
        board_delay_ms(20)
        SIO.set(Self.modemEnable, true)
    }

    mutating func light(_ on: Bool) { SIO.set(Self.led, on) }
    mutating func feedWatchdog() { board_watchdog_feed() }
    mutating func idle() {}

    func halt(showing condition: NodeCondition) -> Never {
        // No usable provisioning: the LED says why, for good (the watchdog is fed: rebooting
        // would not make the block any better).
        while true {
            board_watchdog_feed()
            SIO.set(Self.led, StatusLight.code(condition).lit(at: board_millis()))
        }
    }
}

@_cdecl("swift_main")
func swiftMain() {
    var board = RP2040Board()
    runNode(&board)
}
