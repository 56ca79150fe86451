// `cantine install-service`: installs the daemon as a hardened systemd service — the unit file,
// a dedicated system user in the gpio group (created, with its udev rule, where the system has
// none), the data directory, and the kernel settings the doors need (`GPIOKernel`: released
// outputs return to inputs) — and enables it. `--root DIR`
// writes the files under DIR instead (packaging, tests) and runs nothing.

import ArgumentParser
import CantineDaemon
import CantineGPIO
import Foundation

struct InstallService: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-service",
        abstract: "Install Cantine as a systemd service (dedicated user, watchdog, read-only system).")

    @Option(help: "The cantine binary the service runs (default: this one).") var binary: String?
    @Option(help: "The config file the service reads.") var config = "/etc/cantine/cantine.toml"
    @Option(help: "The data directory (the database and its journal), the only writable path.")
    var data = "/var/lib/cantine"
    @Option(help: "The system user the daemon runs as (created if missing).") var user = "cantine"
    @Option(help: "Write the files under this directory and run nothing (packaging, a dry run).") var root: String?
    @Flag(help: "Print the unit file and do nothing else.") var print = false
    @Flag(help: "Print the udev rule that gives the GPIO chips to group gpio, and do nothing else.")
    var printUdevRule = false

    func validate() throws {
        for (name, path) in [("--config", config), ("--data", data)] where !path.hasPrefix("/") {
            throw ValidationError(
                "\(name) \(path): give an absolute path (the service does not start in this directory)")
        }
        guard user.wholeMatch(of: /[a-z_][a-z0-9_-]{0,31}/) != nil else {
            throw ValidationError("--user \(user): a system user name (a-z, 0-9, _ and -, at most 32)")
        }
    }

    func run() throws {
        let executable = binary ?? Self.currentExecutable()
        let unit = ServiceUnit.text(binary: executable, config: config, data: data, user: user)
        if print || printUdevRule {
            Swift.print(print ? unit : GPIOKernel.udevRule, terminator: "")
            return
        }
        guard FileManager.default.isExecutableFile(atPath: executable), executable.hasPrefix("/") else {
            throw CLIFailure(
                message: "binary \(executable): not an executable file: give --binary /usr/local/bin/cantine")
        }
        let prefix = root ?? ""
        if root == nil {
            guard getuid() == 0 else {
                throw CLIFailure(
                    message: "install-service needs root: run it with sudo (or --root DIR to write the files only)")
            }
            guard FileManager.default.fileExists(atPath: config) else {
                throw CLIFailure(
                    message: "config \(config) not found: create it first with `cantine init --config \(config)`")
            }
        }
        let unitPath = prefix + "/etc/systemd/system/cantine.service"
        do {
            try FileManager.default.createDirectory(
                atPath: (unitPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try unit.write(toFile: unitPath, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(
                atPath: prefix + data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw CLIFailure(message: "cannot write \(unitPath) or \(prefix + data): \(error.localizedDescription)")
        }
        Swift.print("wrote \(unitPath)")
        do {
            for line in try GPIOKernel(root: prefix).apply() { Swift.print(line) }
        } catch {
            throw CLIFailure(message: "cannot set the kernel's GPIO settings: \(error.localizedDescription)")
        }
        guard root == nil else {
            Swift.print(
                "next (on the target): create user \(user) in group gpio, chown \(data), systemctl enable --now cantine"
            )
            return
        }
        if !Self.succeeds("/usr/bin/getent", ["group", "gpio"]) {
            try Self.run("/usr/sbin/groupadd", ["--system", "gpio"])
        }
        if !Self.succeeds("/usr/bin/id", ["-u", user]) {
            try Self.run(
                "/usr/sbin/useradd",
                [
                    "--system", "--home-dir", data, "--no-create-home", "--shell", "/usr/sbin/nologin", "--groups",
                    "gpio", user,
                ])
        }
        // The rule gives the chips to group gpio now, not only from the next boot.
        _ = Self.succeeds("/usr/bin/udevadm", ["control", "--reload-rules"])
        _ = Self.succeeds("/usr/bin/udevadm", ["trigger", "--subsystem-match=gpio"])
        try Self.run("/usr/bin/chown", ["-R", "\(user):\(user)", data])
        // The config holds secrets (MQTT password): readable by root and the service only.
        try Self.run("/usr/bin/chgrp", [user, config])
        try Self.run("/usr/bin/chmod", ["0640", config])
        try Self.run("/usr/bin/systemctl", ["daemon-reload"])
        try Self.run("/usr/bin/systemctl", ["enable", "cantine.service"])
        Swift.print(
            "enabled cantine.service: start it with `systemctl start cantine`, follow it with `journalctl -u cantine -f`"
        )
    }

    static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func succeeds(_ tool: String, _ args: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    static func run(_ tool: String, _ args: [String]) throws {
        guard succeeds(tool, args) else {
            throw CLIFailure(message: "\(tool) \(args.joined(separator: " ")) failed: run it by hand to see why")
        }
    }
}
