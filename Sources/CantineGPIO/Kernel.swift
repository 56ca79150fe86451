// What the doors need from the kernel on a Raspberry Pi, read by `cantine doctor` and set by
// `cantine install-service`: released outputs returning to inputs (`dtparam=strict_gpiod`,
// the pinctrl drivers' `persist_gpio_outputs`), the header's chip found by label, a `gpio`
// group owning /dev/gpiochip* (plain Debian has none), and a kernel with bias flags and
// CLOCK_MONOTONIC event timestamps. Every path is under `root` ("" on the target).

import CantineCore
import Foundation

/// The kernel's GPIO settings under a root folder.
public struct GPIOKernel: Sendable {
    /// "" on the target; a folder standing for `/` in tests and packaging.
    public var root: String

    public init(root: String = "") { self.root = root }

    /// The Raspberry Pi pinctrl drivers' parameter: Y keeps a released output at its last level.
    public static let persistParameters = [
        "/sys/module/pinctrl_rp1/parameters/persist_gpio_outputs",
        "/sys/module/pinctrl_bcm2835/parameters/persist_gpio_outputs",
    ]
    /// The firmware's config: bookworm's, then older releases'.
    public static let bootConfigs = ["/boot/firmware/config.txt", "/boot/config.txt"]
    public static let strictLine = "dtparam=strict_gpiod"
    /// The rule Raspberry Pi OS ships in 99-com.rules, for systems without it.
    public static let udevRulePath = "/etc/udev/rules.d/60-cantine-gpio.rules"
    public static let udevRule = """
        # From Cantine (`cantine install-service`, the Debian package): the GPIO character devices belong to group gpio
        # (Raspberry Pi OS does the same in 99-com.rules; plain Debian does not).
        SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"

        """

    func read(_ path: String) -> String? {
        (FileManager.default.contents(atPath: root + path)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Each persistence parameter present, with its value (`Y` or `N`).
    public func persistence() -> [(parameter: String, persists: Bool)] {
        Self.persistParameters.compactMap { p in
            read(p).map { (p, $0.trimmingCharacters(in: .whitespacesAndNewlines).uppercased().hasPrefix("Y")) }
        }
    }

    /// The firmware config present, if any.
    public var bootConfig: String? { Self.bootConfigs.first { FileManager.default.fileExists(atPath: root + $0) } }

    /// Whether the firmware config sets strict_gpiod (in force from the next boot).
    public var strictAtBoot: Bool {
        guard let path = bootConfig, let text = read(path) else { return false }
        // The firmware's last word wins: `dtparam=strict_gpiod`, `=on`, `=true`, `=1` or `=yes`.
        var strict = false
        for line in text.split(separator: "\n") {
            let l = line.prefix { $0 != "#" }.trimmingCharacters(in: .whitespaces)
            guard l.hasPrefix(Self.strictLine) else { continue }
            let rest = l.dropFirst(Self.strictLine.count)
            if rest.isEmpty {
                strict = true
            } else if rest.hasPrefix("=") {
                strict = ["on", "true", "1", "yes"].contains(rest.dropFirst().lowercased())
            }
        }
        return strict
    }

    /// The kernel's release (`6.6.51+rpt-rpi-2712`), as major and minor.
    public var release: (major: Int, minor: Int)? {
        guard let text = read("/proc/sys/kernel/osrelease") else { return nil }
        let parts = text.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    /// The gid of group `gpio`, nil when there is none.
    public var gpioGroup: UInt32? {
        read("/etc/group")?.split(separator: "\n").first { $0.hasPrefix("gpio:") }
            .flatMap { $0.split(separator: ":", omittingEmptySubsequences: false).dropFirst(2).first }
            .flatMap { UInt32($0) }
    }

    /// The doctor's checks of the kernel side of the doors.
    public func checks(chips: [String], board: any GPIOBoard) -> [Check] {
        var out: [Check] = []
        var piChip = false
        for spec in chips {
            do throws(GPIOError) {
                let chip = try ChipSelection.open(spec, on: board)
                piChip = piChip || ChipSelection.headerLabels.contains(chip.label)
                out.append(
                    Check(
                        name: "gpio", ok: true,
                        detail:
                            "\(ChipSelection.describe(spec)): \(chip.name) (\(chip.label)), \(chip.lineCount) lines"))
            } catch {
                out.append(Check(name: "gpio", ok: false, detail: error.message))
            }
        }
        let persisting = persistence().filter(\.persists)
        if let first = persisting.first {
            let module = first.parameter.split(separator: "/")[2]
            out.append(
                Check(
                    name: "gpio", ok: false,
                    detail: strictAtBoot
                        ? "\(module).persist_gpio_outputs=Y until the next boot (\(Self.strictLine) is in \(bootConfig ?? "config.txt")): reboot"
                        : "\(module).persist_gpio_outputs=Y: a released relay line keeps its level, so a crash during an unlock pulse leaves the strike powered until the daemon is back: add \(Self.strictLine) to \(bootConfig ?? "/boot/firmware/config.txt") and reboot (`cantine install-service` does)"
                ))
        } else if !persistence().isEmpty {
            out.append(
                Check(name: "gpio", ok: true, detail: "released outputs return to inputs (persist_gpio_outputs=N)"))
        } else if piChip {
            out.append(
                Check(
                    name: "gpio", ok: false,
                    detail:
                        "this Raspberry Pi kernel has no persist_gpio_outputs parameter: older Pi kernels keep a released output at its last level, which cannot be turned off: update the kernel (Raspberry Pi OS bookworm, 2024 or later), add \(Self.strictLine), and run the kill test of Hardware/SAFETY.md"
                ))
        }
        if let (major, minor) = release, (major, minor) < (5, 10) {
            out.append(
                Check(
                    name: "gpio", ok: false,
                    detail:
                        "kernel \(major).\(minor): input pulls need 5.5 and monotonic edge timestamps 5.7; install a current kernel (Raspberry Pi OS bookworm: 6.1 or later)"
                ))
        }
        let devices = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/dev")) ?? [])
            .filter { $0.hasPrefix("gpiochip") }.sorted()
        if !devices.isEmpty {
            if let gid = gpioGroup {
                let wrong = devices.filter { name in
                    let a = try? FileManager.default.attributesOfItem(atPath: root + "/dev/" + name)
                    let group = (a?[.groupOwnerAccountID] as? NSNumber)?.uint32Value
                    let mode = (a?[.posixPermissions] as? NSNumber)?.intValue ?? 0
                    return group != gid || mode & 0o060 != 0o060
                }
                out.append(
                    Check(
                        name: "gpio", ok: wrong.isEmpty,
                        detail: wrong.isEmpty
                            ? "/dev/gpiochip* belong to group gpio, read-write"
                            : "\(wrong.map { "/dev/" + $0 }.joined(separator: ", ")) not read-write for group gpio: add the udev rule \(Self.udevRulePath) (`cantine install-service` writes it) and run `udevadm trigger`"
                    ))
            } else {
                out.append(
                    Check(
                        name: "gpio", ok: false,
                        detail:
                            "no group gpio (plain Debian): the service's SupplementaryGroups=gpio fails and /dev/gpiochip* stay root-only: run `cantine install-service` (creates the group and \(Self.udevRulePath))"
                    ))
            }
        }
        return out
    }

    /// Makes released outputs return to inputs and gives /dev/gpiochip* to group gpio: the
    /// firmware config's `dtparam=strict_gpiod` (from the next boot), the drivers' parameter
    /// now where it is writable, the udev rule. Returns what it did, one line each.
    public func apply() throws -> [String] {
        var did: [String] = []
        if let path = bootConfig, !strictAtBoot {
            let text = read(path) ?? ""
            let addition =
                (text.hasSuffix("\n") || text.isEmpty ? "" : "\n")
                + "\n[all]\n# Cantine: a released GPIO output returns to an input, so a crashed daemon never\n# leaves a strike powered (Hardware/SAFETY.md).\n\(Self.strictLine)\n"
            try (text + addition).write(toFile: root + path, atomically: true, encoding: .utf8)
            did.append("added \(Self.strictLine) to \(path) (in force from the next boot)")
        }
        for (parameter, persists) in persistence() where persists {
            // 0644 on Raspberry Pi kernels: writable by root, in force at once.
            if (try? "N\n".write(toFile: root + parameter, atomically: false, encoding: .utf8)) != nil {
                did.append("set \(parameter) to N")
            }
        }
        let rule = root + Self.udevRulePath
        if (read(Self.udevRulePath) ?? "") != Self.udevRule {
            try FileManager.default.createDirectory(
                atPath: (rule as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Self.udevRule.write(toFile: rule, atomically: true, encoding: .utf8)
            did.append("wrote \(Self.udevRulePath)")
        }
        return did
    }
}
