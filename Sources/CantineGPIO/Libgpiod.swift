// The real GPIO adapter: libgpiod v1 (1.6.x, as shipped by Debian 12 / Raspberry Pi OS
// bookworm). Owns the chip and line handles and frees them in deinit.

import CGPIOD
import Foundation
import Glibc
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

/// Input lines of one chip requested for both-edge events (libgpiod v1), read on the
/// caller's dedicated thread: `poll(2)` over every line's event fd plus a self-pipe that
/// `wake()` writes to, then up to 16 events per line per read (the v1 kernel buffer) so
/// nothing is left to overflow. Timestamps are the kernel's (CLOCK_MONOTONIC since Linux 5.7).
public final class LibgpiodEdgeSource: EdgeSource, @unchecked Sendable {
    // `chip` and `lines` change only in reopen(), on the reader's thread, like every other use.
    var chip: GPIOChip
    var lines: [(offset: Int, line: OpaquePointer, fd: Int32)]
    let offsets: [Int]
    let consumer: String
    /// Self-pipe: `wake()` writes to [1], `wait` polls [0].
    let wakePipe: (read: Int32, write: Int32)

    /// Requests `offsets` on `chip` for rising and falling edge events.
    public init(chip: GPIOChip, offsets: [Int], consumer: String) throws(GPIOError) {
        self.chip = chip
        self.offsets = offsets
        self.consumer = consumer
        let requested = try Self.request(offsets, on: chip, consumer: consumer)
        lines = requested
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            requested.forEach { gpiod_line_release($0.line) }
            throw GPIOError("cannot create a pipe for the GPIO reader: \(String(cString: strerror(errno)))")
        }
        for fd in pipeFDs {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakePipe = (pipeFDs[0], pipeFDs[1])
    }

    static func request(
        _ offsets: [Int], on chip: GPIOChip, consumer: String
    ) throws(GPIOError) -> [(offset: Int, line: OpaquePointer, fd: Int32)] {
        var requested: [(offset: Int, line: OpaquePointer, fd: Int32)] = []
        for offset in offsets {
            guard offset >= 0, offset < chip.lineCount, let line = gpiod_chip_get_line(chip.handle, UInt32(offset))
            else {
                requested.forEach { gpiod_line_release($0.line) }
                throw GPIOError(
                    "line \(offset) does not exist on \(chip.name) (it has \(chip.lineCount) lines): fix the line number in the config"
                )
            }
            if gpiod_line_request_both_edges_events_flags(line, consumer, 0) != 0 {
                let code = errno
                requested.forEach { gpiod_line_release($0.line) }
                throw GPIOChip.explain(errno: code, chip: chip.name, line: offset)
            }
            requested.append((offset, line, gpiod_line_event_get_fd(line)))
        }
        return requested
    }

    deinit {
        lines.forEach { gpiod_line_release($0.line) }
        close(wakePipe.read)
        close(wakePipe.write)
    }

    public func reopen() throws(GPIOError) {
        lines.forEach { gpiod_line_release($0.line) }
        lines = []
        let fresh = try GPIOChip(name: chip.name)
        lines = try Self.request(offsets, on: fresh, consumer: consumer)
        chip = fresh
    }

    public func nowNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public func levels(of offsets: [Int]) throws(GPIOError) -> [Int: Bool] {
        var out: [Int: Bool] = [:]
        for offset in offsets {
            guard let entry = lines.first(where: { $0.offset == offset }) else {
                throw GPIOError("line \(offset) of \(chip.name) was not requested for input")
            }
            let value = gpiod_line_get_value(entry.line)
            guard value >= 0 else { throw GPIOChip.explain(errno: errno, chip: chip.name, line: offset) }
            out[offset] = value == 1
        }
        return out
    }

    public func wake() {
        var one: UInt8 = 1
        _ = write(wakePipe.write, &one, 1)
    }

    public func wait(until deadline: UInt64?) throws(GPIOError) -> [GPIOEdge] {
        var fds = lines.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0))
        let timeout: Int32
        if let deadline {
            let now = nowNanos()
            timeout = deadline <= now ? 0 : Int32(min((deadline - now + 999_999) / 1_000_000, 1000))
        } else {
            timeout = -1
        }
        var rc: Int32
        repeat { rc = poll(&fds, nfds_t(fds.count), timeout) } while rc < 0 && errno == EINTR
        guard rc >= 0 else {
            throw GPIOError("polling GPIO lines of \(chip.name): \(String(cString: strerror(errno)))")
        }
        if fds[lines.count].revents != 0 {  // the self-pipe, polled last
            var drain = [UInt8](repeating: 0, count: 64)
            _ = read(wakePipe.read, &drain, drain.count)
        }
        // A line whose chip went away reports an error or a hang-up instead of events.
        for (i, entry) in lines.enumerated() where fds[i].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
            throw GPIOError(
                "line \(entry.offset) of \(chip.name) stopped answering (the chip went away?): check the reader's wiring and the board"
            )
        }
        var edges: [GPIOEdge] = []
        var buffer = [gpiod_line_event](repeating: gpiod_line_event(), count: 16)
        for (i, entry) in lines.enumerated() where fds[i].revents & Int16(POLLIN) != 0 {
            let n = gpiod_line_event_read_multiple(entry.line, &buffer, 16)
            guard n >= 0 else {
                throw GPIOChip.explain(errno: errno, chip: chip.name, line: entry.offset)
            }
            for event in buffer.prefix(Int(n)) {
                let nanos = UInt64(event.ts.tv_sec) * 1_000_000_000 + UInt64(event.ts.tv_nsec)
                edges.append(
                    GPIOEdge(line: entry.offset, rising: event.event_type == GPIOD_LINE_EVENT_RISING_EDGE, nanos: nanos)
                )
            }
        }
        return edges.sorted { $0.nanos < $1.nanos }
    }
}
