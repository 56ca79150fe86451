// The real GPIO adapter: libgpiod v1 (1.6.x, as shipped by Debian 12 / Raspberry Pi OS
// bookworm). Owns the chip and line handles and frees them in deinit.

import CGPIOD
import Foundation
import Synchronization

/// An open GPIO chip (`/dev/gpiochipN`).
public final class GPIOChip: @unchecked Sendable {
    let handle: OpaquePointer
    public let name: String

    /// Opens a chip by name (`gpiochip0`) or path.
    public init(name: String) throws(GPIOError) {
        let opened = name.hasPrefix("/") ? gpiod_chip_open(name) : gpiod_chip_open_by_name(name)
        guard let opened else { throw Self.explain(errno: errno, chip: name) }
        handle = opened
        self.name = name
    }

    deinit { gpiod_chip_close(handle) }

    /// Number of lines on the chip.
    public var lineCount: Int { Int(gpiod_chip_num_lines(handle)) }

    /// The chip's label (e.g. `pinctrl-bcm2711`).
    public var label: String { String(cString: gpiod_chip_label(handle)) }

    /// Requests `offset` as an output, initially at `initiallyActive`.
    public func output(
        line offset: Int, consumer: String, activeLow: Bool, initiallyActive: Bool
    ) throws(GPIOError) -> LibgpiodOutputLine {
        guard offset >= 0, offset < lineCount, let line = gpiod_chip_get_line(handle, UInt32(offset)) else {
            throw GPIOError(
                "line \(offset) does not exist on \(name) (it has \(lineCount) lines): fix the line number in the config"
            )
        }
        let flags: Int32 = activeLow ? Int32(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0
        if gpiod_line_request_output_flags(line, consumer, flags, initiallyActive ? 1 : 0) != 0 {
            throw Self.explain(errno: errno, chip: name, line: offset)
        }
        return LibgpiodOutputLine(chip: self, line: line, offset: offset)
    }

    static func explain(errno code: Int32, chip: String, line: Int? = nil) -> GPIOError {
        let what = line.map { "line \($0) of \(chip)" } ?? "GPIO chip \(chip)"
        switch code {
        case ENOENT, ENODEV:
            return GPIOError(
                "\(what) not found: check the chip name (`gpiodetect` lists chips) or set gpio.mode = \"simulated\"")
        case EACCES, EPERM:
            return GPIOError(
                "permission denied on \(what): add the cantine user to group gpio (usermod -aG gpio cantine)")
        case EBUSY:
            return GPIOError("\(what) is busy (held by another program or a kernel driver): see `gpioinfo \(chip)`")
        default:
            return GPIOError("\(what): \(String(cString: strerror(code)))")
        }
    }

    /// Chip names present on this machine (`/dev/gpiochip*`).
    public static func available() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        return names.filter { $0.hasPrefix("gpiochip") }.sorted()
    }
}

/// A requested libgpiod output line; released in deinit.
public final class LibgpiodOutputLine: OutputLine, @unchecked Sendable {
    let chip: GPIOChip
    let line: OpaquePointer
    let offset: Int
    let lock = Mutex(())

    init(chip: GPIOChip, line: OpaquePointer, offset: Int) {
        self.chip = chip
        self.line = line
        self.offset = offset
    }

    deinit { gpiod_line_release(line) }

    public func set(active: Bool) throws(GPIOError) {
        let rc = lock.withLock { _ in gpiod_line_set_value(line, active ? 1 : 0) }
        if rc != 0 { throw GPIOChip.explain(errno: errno, chip: chip.name, line: offset) }
    }
}
