// The real GPIO adapter: libgpiod v1 (1.6.x, as shipped by Debian 12 / Raspberry Pi OS
// bookworm). Owns the chip and line handles and frees them in deinit. Read against libgpiod
// 1.6 (core.c) and the kernel's v1 uAPI (gpiolib-cdev.c): D0/D1 are requested for falling
// edges only, inputs with the bias the pinout states, and a chip is found by its label.

import CGPIOD
import CantineCore
import Foundation
import Glibc
import Synchronization

/// `/dev/gpiochip*` through libgpiod.
public struct LibgpiodBoard: GPIOBoard {
    public init() {}

    public func chipNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        return names.filter { $0.hasPrefix("gpiochip") }.sorted {
            $0.count == $1.count ? $0 < $1 : $0.count < $1.count
        }
    }

    public func open(name: String) throws(GPIOError) -> any GPIOChipPort { try GPIOChip(name: name) }
}

/// An open GPIO chip (`/dev/gpiochipN`).
public final class GPIOChip: GPIOChipPort, @unchecked Sendable {
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

    func line(_ offset: Int) throws(GPIOError) -> OpaquePointer {
        guard offset >= 0, offset < lineCount, let line = gpiod_chip_get_line(handle, UInt32(offset)) else {
            throw GPIOError(
                .notFound,
                "line \(offset) does not exist on \(name) (it has \(lineCount) lines): fix the line number in the config"
            )
        }
        return line
    }

    /// Requests `offset` as an output, initially at `initiallyActive`.
    public func output(
        line offset: Int, consumer: String, activeLow: Bool, initiallyActive: Bool
    ) throws(GPIOError) -> any OutputLine {
        let line = try request(output: offset, consumer: consumer, activeLow: activeLow, active: initiallyActive)
        return LibgpiodOutputLine(chip: self, line: line, offset: offset, consumer: consumer, activeLow: activeLow)
    }

    func request(output offset: Int, consumer: String, activeLow: Bool, active: Bool) throws(GPIOError)
        -> OpaquePointer
    {
        let line = try line(offset)
        let flags: Int32 = activeLow ? Int32(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0
        if gpiod_line_request_output_flags(line, consumer, flags, active ? 1 : 0) != 0 {
            throw Self.explain(errno: errno, chip: name, line: offset)
        }
        return line
    }

    public func inputs(_ requests: [InputRequest], consumer: String) throws(GPIOError) -> any EdgeSource {
        try LibgpiodEdgeSource(chip: self, requests: requests, consumer: consumer)
    }

    public func float(line offset: Int, consumer: String) throws(GPIOError) -> any HeldLine {
        let line = try line(offset)
        if gpiod_line_request_input(line, consumer) != 0 { throw Self.explain(errno: errno, chip: name, line: offset) }
        return LibgpiodHeldLine(chip: self, line: line)
    }

    /// The same chip opened again after it went away — refused if its label changed (chip
    /// numbers can move when a chip comes back).
    func reopened() throws(GPIOError) -> GPIOChip {
        let fresh = try GPIOChip(name: name)
        guard fresh.label == label else {
            throw GPIOError(
                .invalid,
                "\(name) came back as '\(fresh.label)', not '\(label)': not using it; restart the daemon once the board is right"
            )
        }
        return fresh
    }

    /// Whether the chip still answers: a chip-fd ioctl (line info), which fails with ENODEV
    /// once the chip is gone — unlike a line's value, which on older kernels still reads (as low).
    func answers(_ line: OpaquePointer) -> Bool { gpiod_line_update(line) == 0 }

    static func explain(errno code: Int32, chip: String, line: Int? = nil) -> GPIOError {
        let what = line.map { "line \($0) of \(chip)" } ?? "GPIO chip \(chip)"
        switch code {
        case ENOENT, ENODEV:
            return GPIOError(
                .notFound,
                "\(what) not found: check the chip name (`gpiodetect` lists chips) or set gpio.mode = \"simulated\"")
        case EACCES, EPERM:
            return GPIOError(
                .denied,
                "permission denied on \(what): add the cantine user to group gpio (usermod -aG gpio cantine; `cantine install-service` creates the group and its udev rule)"
            )
        case EBUSY:
            return GPIOError(
                .busy, "\(what) is busy (held by another program or a kernel driver): see `gpioinfo \(chip)`")
        case EINVAL where line != nil:
            return GPIOError(
                .invalid,
                "\(what): the kernel refused the request (bias flags need Linux 5.5+): update the kernel or set the input's bias to \"disabled\" with an external resistor"
            )
        default:
            return GPIOError("\(what): \(String(cString: strerror(code)))")
        }
    }
}

/// A line requested as an input and held; released in deinit.
final class LibgpiodHeldLine: HeldLine, @unchecked Sendable {
    let chip: GPIOChip
    let line: OpaquePointer
    init(chip: GPIOChip, line: OpaquePointer) {
        self.chip = chip
        self.line = line
    }
    deinit { gpiod_line_release(line) }
}

/// A requested libgpiod output line; released in deinit (the kernel then keeps or drops the
/// level as its driver does: see Hardware/SAFETY.md).
public final class LibgpiodOutputLine: OutputLine, @unchecked Sendable {
    struct Held: @unchecked Sendable {
        var chip: GPIOChip
        var line: OpaquePointer?
    }
    let held: Mutex<Held>
    let offset: Int
    let consumer: String
    let activeLow: Bool

    init(chip: GPIOChip, line: OpaquePointer, offset: Int, consumer: String, activeLow: Bool) {
        held = Mutex(Held(chip: chip, line: line))
        self.offset = offset
        self.consumer = consumer
        self.activeLow = activeLow
    }

    deinit { held.withLock { $0.line.map(gpiod_line_release) } }

    public func set(active: Bool) throws(GPIOError) {
        try held.withLock { (h: inout Held) throws(GPIOError) in
            guard let line = h.line else {
                throw GPIOError(
                    .gone, "line \(offset) of \(h.chip.name) is not held (its chip went away): waiting for it")
            }
            if gpiod_line_set_value(line, active ? 1 : 0) != 0 {
                throw GPIOChip.explain(errno: errno, chip: h.chip.name, line: offset)
            }
        }
    }

    public func reclaim(initiallyActive: Bool) throws(GPIOError) {
        try held.withLock { (h: inout Held) throws(GPIOError) in
            // Still alive (the chip never went): drive it, never release a live request.
            if let line = h.line, h.chip.answers(line) {
                if gpiod_line_set_value(line, initiallyActive ? 1 : 0) != 0 {
                    throw GPIOChip.explain(errno: errno, chip: h.chip.name, line: offset)
                }
                return
            }
            h.line.map(gpiod_line_release)
            h.line = nil
            let fresh = try h.chip.reopened()
            h.line = try fresh.request(
                output: offset, consumer: consumer, activeLow: activeLow, active: initiallyActive)
            h.chip = fresh
        }
    }
}

/// Input lines of one chip requested for edge events (libgpiod v1), read on the caller's
/// dedicated thread: `poll(2)` over every line's event fd plus a self-pipe that `wake()`
/// writes to, then up to 16 events per line per read (the v1 kernel buffer). Timestamps are
/// the kernel's (CLOCK_MONOTONIC since Linux 5.7).
public final class LibgpiodEdgeSource: EdgeSource, @unchecked Sendable {
    // `chip` and `lines` change only in reopen(), on the reader's thread, like every other use.
    var chip: GPIOChip
    var lines: [(offset: Int, line: OpaquePointer, fd: Int32)]
    let requests: [InputRequest]
    let consumer: String
    /// Self-pipe: `wake()` writes to [1], `poll` watches [0].
    let wakePipe: (read: Int32, write: Int32)

    /// Requests each line for the edges and with the bias it names.
    public init(chip: GPIOChip, requests: [InputRequest], consumer: String) throws(GPIOError) {
        self.chip = chip
        self.requests = requests
        self.consumer = consumer
        let requested = try Self.request(requests, on: chip, consumer: consumer)
        lines = requested
        var pipeFDs: [Int32] = [-1, -1]
        guard cantine_pipe2(&pipeFDs, O_CLOEXEC | O_NONBLOCK) == 0 else {
            requested.forEach { gpiod_line_release($0.line) }
            throw GPIOError("cannot create a pipe for the GPIO reader: \(String(cString: strerror(errno)))")
        }
        wakePipe = (pipeFDs[0], pipeFDs[1])
    }

    static func flags(_ bias: Bias?) -> Int32 {
        switch bias {
        case .pullUp: Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP)
        case .pullDown: Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN)
        case .disabled: Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE)
        case nil: 0
        }
    }

    static func request(
        _ requests: [InputRequest], on chip: GPIOChip, consumer: String
    ) throws(GPIOError) -> [(offset: Int, line: OpaquePointer, fd: Int32)] {
        var requested: [(offset: Int, line: OpaquePointer, fd: Int32)] = []
        for r in requests {
            let line: OpaquePointer
            do throws(GPIOError) {
                line = try chip.line(r.line)
            } catch {
                requested.forEach { gpiod_line_release($0.line) }
                throw error
            }
            let rc =
                switch r.edges {
                case .falling: gpiod_line_request_falling_edge_events_flags(line, consumer, flags(r.bias))
                case .both: gpiod_line_request_both_edges_events_flags(line, consumer, flags(r.bias))
                }
            if rc != 0 {
                let code = errno
                requested.forEach { gpiod_line_release($0.line) }
                throw GPIOChip.explain(errno: code, chip: chip.name, line: r.line)
            }
            requested.append((r.line, line, gpiod_line_event_get_fd(line)))
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
        let fresh = try chip.reopened()
        lines = try Self.request(requests, on: fresh, consumer: consumer)
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
                throw GPIOError(.invalid, "line \(offset) of \(chip.name) was not requested for input")
            }
            let value = gpiod_line_get_value(entry.line)
            guard value >= 0 else { throw GPIOChip.explain(errno: errno, chip: chip.name, line: offset) }
            out[offset] = value == 1
        }
        return out
    }

    public func probe() throws(GPIOError) {
        guard let first = lines.first else { return }
        if !chip.answers(first.line) {
            throw GPIOError(
                .gone,
                "\(chip.name) stopped answering (the chip went away?): check the board; the reader retries every second"
            )
        }
    }

    public func wake() {
        var one: UInt8 = 1
        _ = write(wakePipe.write, &one, 1)
    }

    public func poll(until deadline: UInt64) throws(GPIOError) -> [Int] {
        var fds = lines.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0))
        let now = nowNanos()
        let timeout = deadline <= now ? 0 : Int32(min((deadline - now + 999_999) / 1_000_000, 1000))
        var rc: Int32
        repeat { rc = Glibc.poll(&fds, nfds_t(fds.count), timeout) } while rc < 0 && errno == EINTR
        guard rc >= 0 else {
            throw GPIOError("polling GPIO lines of \(chip.name): \(String(cString: strerror(errno)))")
        }
        if fds[lines.count].revents != 0 {  // the self-pipe, polled last
            var drain = [UInt8](repeating: 0, count: 64)
            _ = Glibc.read(wakePipe.read, &drain, drain.count)
        }
        // A line whose chip went away reports an error or a hang-up instead of events.
        for (i, entry) in lines.enumerated() where fds[i].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
            throw GPIOError(
                .gone,
                "line \(entry.offset) of \(chip.name) stopped answering (the chip went away?): check the reader's wiring and the board"
            )
        }
        return lines.indices.filter { fds[$0].revents & Int16(POLLIN) != 0 }.map { lines[$0].offset }
    }

    public func read(line offset: Int) throws(GPIOError) -> [GPIOEdge] {
        guard let entry = lines.first(where: { $0.offset == offset }) else { return [] }
        var buffer = [gpiod_line_event](repeating: gpiod_line_event(), count: GPIOEdge.lineBuffer)
        let n = gpiod_line_event_read_multiple(entry.line, &buffer, UInt32(GPIOEdge.lineBuffer))
        guard n >= 0 else { throw GPIOChip.explain(errno: errno, chip: chip.name, line: offset) }
        return buffer.prefix(Int(n)).map { event in
            GPIOEdge(
                line: offset, rising: event.event_type == GPIOD_LINE_EVENT_RISING_EDGE,
                nanos: UInt64(event.ts.tv_sec) * 1_000_000_000 + UInt64(event.ts.tv_nsec))
        }
    }
}
