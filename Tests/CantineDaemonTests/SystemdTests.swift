// systemd integration: the daemon under a notify socket (READY once it serves, watchdog pings,
// STOPPING on SIGTERM), the notifier's reading of its environment, and the unit file
// `cantine install-service` writes.

import CantineDaemon
import CantineDemo
import CantineGPIO
import CantineMQTT
import Foundation
import Testing

@Suite struct SystemdTests {
    @Test func underSystemdTheDaemonSaysReadyPingsTheWatchdogAndSaysStopping() throws {
        let port = MosquittoProcess.freePort()
        let site = try CLISite { CLISite.noMQTT($0).replacingOccurrences(of: "port = 8080", with: "port = \(port)") }
        let socket = try NotifySocket()
        let daemon = try ServeProcess(
            binary: try cantineBinary(), config: site.config,
            environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "200000"])
        // READY once the web server serves (its port answers by then), then pings.
        let first = socket.receive()
        #expect(first?.hasPrefix("READY=1") == true, "\(first ?? "nothing")")
        #expect(MosquittoClient.reachable(host: "127.0.0.1", port: port))
        for _ in 0..<3 {
            let ping = socket.receive()
            #expect(ping?.hasPrefix("WATCHDOG=1\nSTATUS=serving, journal at seq ") == true, "\(ping ?? "nothing")")
        }
        #expect(daemon.signal(SIGTERM) == 0)
        var last: String?
        while let message = socket.receive(timeoutSeconds: 2) { last = message }
        #expect(last == "STOPPING=1")
    }

    @Test func theNotifierReadsSystemdsEnvironment() throws {
        let socket = try NotifySocket()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "30000000"])
        #expect(notifier.pingInterval == .seconds(15))  // half of WatchdogSec=30
        #expect(notifier.notify("STATUS=testing"))
        #expect(socket.receive() == "STATUS=testing")
        // A watchdog meant for another process (WATCHDOG_PID), or none: no pings.
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"]).pingInterval == nil)
        #expect(SystemdNotifier(environment: [:]).pingInterval == nil)
        // Not under systemd: nothing is sent, nothing fails.
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify"]).notify("READY=1"))
    }

    @Test func installServiceWritesAHardenedUnit() throws {
        let root = NSTemporaryDirectory() + "cantine-root-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let binary = try cantineBinary()
        let (status, out, err) = try cantine(["install-service", "--root", root, "--binary", binary])
        #expect(status == 0, "\(err)")
        #expect(out.contains("wrote \(root)/etc/systemd/system/cantine.service"))
        let unit = try String(contentsOfFile: root + "/etc/systemd/system/cantine.service", encoding: .utf8)
        var keys: [String: [String]] = [:]
        for line in unit.split(separator: "\n") where !line.hasPrefix("#") && line.contains("=") {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            keys[String(parts[0]), default: []].append(String(parts[1]))
        }
        let expected = [
            "Type": "notify", "ExecStart": "\(binary) serve --config /etc/cantine/cantine.toml", "User": "cantine",
            "SupplementaryGroups": "gpio", "Restart": "always", "WatchdogSec": "30", "NoNewPrivileges": "yes",
            "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/cantine", "CapabilityBoundingSet": "",
            "StandardOutput": "journal", "DeviceAllow": "char-gpiochip rw", "LimitRTPRIO": "10",
        ]
        #expect(keys["RestrictRealtime"] == nil)  // it would refuse the door readers' SCHED_FIFO
        for (key, value) in expected { #expect(keys[key] == [value], "\(key)") }
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root + "/var/lib/cantine", isDirectory: &isDirectory))
        #expect(isDirectory.boolValue)
        // Bad input: one line each, nothing written.
        let (relative, _, relativeErr) = try cantine(["install-service", "--root", root, "--data", "data"])
        #expect(relative != 0 && relativeErr.contains("--data data: give an absolute path"))
        let (missing, _, missingErr) = try cantine([
            "install-service", "--root", root, "--binary", "/nonexistent/cantine",
        ])
        #expect(
            missing == 1
                && missingErr
                    == "cantine: binary /nonexistent/cantine: not an executable file: give --binary /usr/local/bin/cantine\n"
        )
    }
}

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path = NSTemporaryDirectory() + "cantine-notify-\(UUID().uuidString.prefix(8))"
    let fd: Int32

    init() throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next datagram, or nil after `timeoutSeconds` without one.
    func receive(timeoutSeconds: Int = 60) -> String? {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }

    /// A Raspberry Pi OS root as the kernel leaves it: released outputs persist. The doctor
    /// names the setting and its fix; install-service sets it (now and from the next boot),
    /// gives the chips to group gpio, and a second run changes nothing.
    @Test func theKernelKeepingReleasedOutputsIsNamedByTheDoctorAndFixedByInstallService() throws {
        let root = NSTemporaryDirectory() + "cantine-kernel-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        for dir in ["/boot/firmware", "/sys/module/pinctrl_bcm2835/parameters", "/proc/sys/kernel", "/etc"] {
            try fm.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
        }
        try "[all]\ndtparam=audio=on\n".write(
            toFile: root + "/boot/firmware/config.txt", atomically: true, encoding: .utf8)
        try "Y\n".write(
            toFile: root + "/sys/module/pinctrl_bcm2835/parameters/persist_gpio_outputs", atomically: true,
            encoding: .utf8)
        try "6.6.51+rpt-rpi-v8\n".write(toFile: root + "/proc/sys/kernel/osrelease", atomically: true, encoding: .utf8)
        let kernel = GPIOKernel(root: root)
        let board = SimulatedBoard.raspberryPi4(clock: { 0 })
        let before = kernel.checks(chips: [ChipSelection.header], board: board)
        #expect(before.map(\.ok) == [true, false])
        #expect(before[0].detail == "the header's chip: gpiochip0 (pinctrl-bcm2711), 58 lines")
        #expect(
            before[1].detail.hasPrefix(
                "pinctrl_bcm2835.persist_gpio_outputs=Y: a released relay line keeps its level, so a crash during an unlock pulse leaves the strike powered until the daemon is back: add dtparam=strict_gpiod to /boot/firmware/config.txt and reboot"
            ))

        let binary = try cantineBinary()
        let (status, out, err) = try cantine(["install-service", "--root", root, "--binary", binary])
        #expect(status == 0, "\(err)")
        #expect(out.contains("added dtparam=strict_gpiod to /boot/firmware/config.txt (in force from the next boot)"))
        #expect(out.contains("wrote /etc/udev/rules.d/60-cantine-gpio.rules"))
        let config = try String(contentsOfFile: root + "/boot/firmware/config.txt", encoding: .utf8)
        #expect(
            config.hasPrefix("[all]\ndtparam=audio=on\n\n[all]\n# Cantine:")
                && config.hasSuffix("dtparam=strict_gpiod\n"))
        let rule = try String(contentsOfFile: root + GPIOKernel.udevRulePath, encoding: .utf8)
        #expect(rule.contains(#"SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660""#))
        #expect(kernel.persistence().map(\.persists) == [false])
        #expect(
            kernel.checks(chips: [], board: board).map(\.detail) == [
                "released outputs return to inputs (persist_gpio_outputs=N)"
            ])
        let (again, againOut, _) = try cantine(["install-service", "--root", root, "--binary", binary])
        #expect(again == 0 && !againOut.contains("added") && !againOut.contains("udev"))
        #expect(try String(contentsOfFile: root + "/boot/firmware/config.txt", encoding: .utf8) == config)

        // The firmware's last word counts, and `=off` is off.
        try (config + "dtparam=strict_gpiod=off\n").write(
            toFile: root + "/boot/firmware/config.txt", atomically: true, encoding: .utf8)
        #expect(!kernel.strictAtBoot)
        // A Pi kernel without the parameter (older ones keep released outputs, for good).
        try fm.removeItem(atPath: root + "/sys/module/pinctrl_bcm2835")
        #expect(
            kernel.checks(chips: [ChipSelection.header], board: board).last?.detail.hasPrefix(
                "this Raspberry Pi kernel has no persist_gpio_outputs parameter") == true)

        // An old kernel, and a chip named by number that is not the header's.
        try "5.4.83-v7l+\n".write(toFile: root + "/proc/sys/kernel/osrelease", atomically: true, encoding: .utf8)
        let pi5 = SimulatedBoard.raspberryPi5Early(clock: { 0 })
        let old = kernel.checks(chips: ["gpiochip0"], board: pi5)
        #expect(old.map(\.ok) == [false, false])
        #expect(old[0].detail.hasPrefix("gpiochip0 is 'gpio-brcmstb@107d508500', not the 40-pin header's chip"))
        #expect(old[1].detail.hasPrefix("kernel 5.4: input pulls need 5.5"))
    }
}
