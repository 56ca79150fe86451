// systemd integration without a libsystemd dependency: the sd_notify datagrams (READY,
// WATCHDOG, STATUS, STOPPING) sent to $NOTIFY_SOCKET, a watchdog that pings only while the
// engine answers (a daemon hung on its lock stops pinging and systemd restarts it), and the
// hardened unit file `cantine install-service` writes.

import CantineCore
import Foundation
import Logging
import ServiceLifecycle

/// Sends sd_notify messages to the socket systemd gave in `NOTIFY_SOCKET` (nothing when unset:
/// run by hand, or by a test).
public struct SystemdNotifier: Sendable {
    /// The socket path (`@…` for an abstract socket), nil when not run by systemd.
    public let socketPath: String?
    /// Half the `WatchdogSec=` systemd asked for (it restarts after a whole period without a
    /// ping), nil when the watchdog is off or meant for another process.
    public let pingInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 {
            pingInterval = .microseconds(usec / 2)
        } else {
            pingInterval = nil
        }
    }

    /// Sends `state` (`READY=1`, `WATCHDOG=1`, `STATUS=…`); false when it could not be sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let sent = Array(state.utf8).withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent == state.utf8.count
    }
}

/// Tells systemd the daemon is ready once the web server runs, then pings the watchdog for as
/// long as the engine answers; STOPPING on the way out.
public struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let engine: Engine
    let ready: @Sendable () async -> Void
    let logger: Logger

    /// - Parameter ready: returns once the daemon serves (READY=1 is sent then).
    public init(
        notifier: SystemdNotifier, engine: Engine, logger: Logger, ready: @escaping @Sendable () async -> Void
    ) {
        self.notifier = notifier
        self.engine = engine
        self.logger = logger
        self.ready = ready
    }

    public func run() async throws {
        // Returning early would end the whole service group: without systemd, just wait.
        guard notifier.socketPath != nil else {
            try? await gracefulShutdown()
            return
        }
        await ready()
        notifier.notify("READY=1\nSTATUS=serving, journal at seq \(engine.lastSeq)")
        logger.info(
            "systemd notified",
            metadata: ["watchdog.ping_s": "\(notifier.pingInterval.map { "\($0.components.seconds)" } ?? "off")"])
        defer { notifier.notify("STOPPING=1") }
        guard let interval = notifier.pingInterval else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // The ping is sent only after the engine's lock was taken: a wedged engine (every
            // input goes through it) stops the pings and systemd restarts the daemon.
            let seq = engine.readWithSeq { $0.1 }
            notifier.notify("WATCHDOG=1\nSTATUS=serving, journal at seq \(seq)")
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

/// The systemd unit `cantine install-service` writes.
public enum ServiceUnit {
    /// The unit text for `binary`, `config` and the data directory `data`.
    public static func text(binary: String, config: String, data: String, user: String = "cantine") -> String {
        """
        # Cantine's unit (`cantine install-service`, the Debian package); override with `systemctl edit cantine`.
        [Unit]
        Description=Cantine: doors, desk sensors, bookings and live occupancy
        Documentation=man:cantine(1)
        After=network-online.target mosquitto.service
        Wants=network-online.target

        [Service]
        Type=notify
        NotifyAccess=main
        ExecStart=\(binary) serve --config \(config)
        User=\(user)
        Group=\(user)
        # The GPIO character devices belong to the gpio group on Raspberry Pi OS.
        SupplementaryGroups=gpio
        Restart=always
        RestartSec=2
        # A daemon that stops answering for 30 s is killed and restarted; the relays rest
        # locked meanwhile (SAFETY.md).
        WatchdogSec=30
        TimeoutStartSec=120
        TimeoutStopSec=20
        StandardOutput=journal
        StandardError=journal
        SyslogIdentifier=cantine

        # Hardening: nothing writable but the data directory, no new privileges, no capability.
        NoNewPrivileges=yes
        ProtectSystem=strict
        ReadWritePaths=\(data)
        ProtectHome=yes
        PrivateTmp=yes
        ProtectKernelTunables=yes
        ProtectKernelModules=yes
        ProtectKernelLogs=yes
        ProtectControlGroups=yes
        ProtectClock=yes
        ProtectHostname=yes
        DevicePolicy=closed
        DeviceAllow=char-gpiochip rw
        RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
        RestrictNamespaces=yes
        # The door readers run SCHED_FIFO 10 (a badge decided the moment its frame ends);
        # RestrictRealtime would refuse it.
        LimitRTPRIO=10
        RestrictSUIDSGID=yes
        LockPersonality=yes
        MemoryDenyWriteExecute=yes
        SystemCallArchitectures=native
        CapabilityBoundingSet=
        AmbientCapabilities=
        UMask=0027
        LimitNOFILE=4096

        [Install]
        WantedBy=multi-user.target

        """
    }
}
