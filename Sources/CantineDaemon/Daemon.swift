// `cantine serve`: relays driven locked first, then the site opened, then every service in
// one ServiceGroup (graceful on SIGTERM/SIGINT, stopped in reverse order), and the relays
// locked again on the way out.

import CantineConfig
import CantineCore
import CantineGPIO
import CantineImport
import CantineMQTT
import CantineNetwork
import CantineSite
import CantineWeb
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// The version of this build.
public let cantineVersion = "0.1.0"

/// Runs the daemon.
public enum Daemon {
    /// Runs until SIGTERM/SIGINT.
    /// - Parameters:
    ///   - hardware: relays already driven locked by `SafeBoot` (booted here when nil).
    ///   - peopleTime: the clock of staff sign-ins and sessions when not the site's (the demo).
    ///   - extraServices: more services built on the opened runtime (the demo's traffic).
    ///   - ready: called once everything is started, with the URLs served.
    public static func run(
        config: Config, hardware booted: DoorHardware? = nil, logger: Logger, time: any TimeSource = SystemTime(),
        peopleTime: (any TimeSource)? = nil,
        extraServices: @Sendable (Site, DoorHardware) -> [any Service] = { _, _ in [] },
        ready: @escaping @Sendable (Site) -> Void = { _ in }
    ) async throws(DaemonError) {
        // 1. Doors first: every relay line claimed at its locked level, then the inputs.
        var hardware: DoorHardware
        do throws(GPIOError) {
            if let booted {
                hardware = booted
            } else {
                hardware = try DoorHardware.boot(config, logger: logger)
                BootMark.relaysLocked.log(logger, ["relays": "\(hardware.relays.count)"])
            }
            try hardware.openInputs(config)
        } catch {
            throw DaemonError(error.message)
        }
        defer { hardware.lockAll() }

        let settings = config.settings
        // 2. The site: lock, store, replay, journal, engine (metrics exported from the start).
        let metrics = WebMetrics.process
        let runtime = try Site.open(
            config: config, role: .daemon, time: time, relays: hardware.relays, version: cantineVersion, logger: logger)
        defer { runtime.close() }
        logger.info(
            "site open",
            metadata: [
                "site": "\(config.site.id)", "journal.last_seq": "\(runtime.engine.lastSeq)",
                "replay.applied": "\(runtime.recovered.applied)",
                "replay.snapshot": "\(runtime.recovered.fromSnapshot.map(String.init) ?? "none")",
                "replay.ms": "\(Int(runtime.recovered.seconds * 1000))",
                "replay.snapshot_ms": "\(Int(runtime.recovered.snapshotSeconds * 1000))",
            ])

        // 3. Services, in dependency order (stopped in reverse).
        let router = InputRouter(runtime: runtime)
        let readers = Self.readers(hardware, runtime: runtime, router: router, logger: logger)
        var services: [any Service] = [
            EdgeReaderService(readers: readers, logger: logger),
            TimerService(runtime: runtime),
            InboxService(runtime: runtime, interval: .milliseconds(100)),
            SnapshotService(runtime: runtime, every: Int64(settings.database.snapshotEvery)),
            MemoryTrimService(logger: logger),
            RetentionService(runtime: runtime),
            UsageService(runtime: runtime),
        ]
        var mqtt: MQTTService?
        var network: NetworkService?
        if settings.mqtt.enabled {
            do throws(MQTTError) {
                let service = try MQTTService(settings: settings, runtime: runtime, logger: logger)
                mqtt = service
                services.append(service)
            } catch {
                throw DaemonError(error.message)
            }
            if let section = settings.network {
                let service = try NetworkService(settings: settings, network: section, runtime: runtime, logger: logger)
                network = service
                services.append(service)
            }
        }
        let store = runtime.store
        let board = BoardStream(
            engine: runtime.engine, bus: runtime.bus, settings: settings.boardSettings,
            names: { store.memberName($0.rawValue) })
        let events = JournalStream(site: runtime)
        let components: [any HealthReporting] =
            [runtime.clock] + [mqtt as (any HealthReporting)?, network].compactMap { $0 }
        var web = WebContext(
            site: runtime, version: cantineVersion, board: board, space: settings.spaceInfo,
            accounts: Accounts(store: store), events: events, metrics: metrics, components: components,
            secureCookies: settings.http.secureCookies)
        web.networkStaleAfter = settings.network?.staleAfter
        web.peopleTime = peopleTime
        web.program = ProgramPublisher(site: FrabSchedule.Site(settings), engine: runtime.engine)
        if let device = settings.display.cecDevice {
            services.append(
                ScreenPowerService(
                    power: ScreenPower(
                        engine: runtime.engine, device: device, margin: settings.display.cecMargin, logger: logger)))
        }
        services.append(contentsOf: extraServices(runtime, hardware))
        let (serving, servingStarted) = AsyncStream<Void>.makeStream()
        services.append(
            buildApplication(web, host: settings.http.host, port: settings.http.port, logger: logger) {
                BootMark.serving.log(logger, ["http.port": "\(settings.http.port)"])
                ready(runtime)
                servingStarted.yield()
            })
        services.append(
            WatchdogService(notifier: SystemdNotifier(), engine: runtime.engine, logger: logger) {
                for await _ in serving { return }
            })
        // After the web server: shut down before it (reverse order), so open SSE streams end
        // and the server does not wait on them.
        services.append(LiveStreamsService(board: board, events: events))

        let group = ServiceGroup(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            runtime.bus.finish()
            throw DaemonError(
                "cannot listen on \(settings.http.host):\(settings.http.port): address already in use: choose another port ([http] port or --port) or stop the other program"
            )
        } catch {
            runtime.bus.finish()
            throw DaemonError("daemon stopped: \(error)")
        }
        runtime.bus.finish()
        logger.info("stopped", metadata: ["journal.last_seq": "\(runtime.engine.lastSeq)"])
    }

    /// One reader thread per chip. A failing chip raises each of its doors' reader-offline
    /// alarm (journaled and published) and is reopened every second until it answers; the
    /// relays are on their own lines and stay as they are: locked.
    static func readers(
        _ hardware: DoorHardware, runtime: Site, router: InputRouter, logger: Logger
    ) -> [(name: String, reader: EdgeReader<ChipDecoder>)] {
        hardware.inputs.map { chip in
            let doors = chip.doors.keys.sorted()
            let desks = chip.desks.keys.sorted()
            let engine = runtime.engine
            let reader = EdgeReader(
                source: chip.source, decoder: chip.decoder, deliver: router.handle,
                onError: { error in
                    logger.critical(
                        "GPIO reader failing: doors stay locked, retrying every second",
                        metadata: ["gpio.chip": "\(chip.chip)", "error": "\(error)"])
                    for door in doors {
                        engine.submit(
                            .readerFault(ReaderFault(door: door, failing: true, detail: error.message)), source: "gpio")
                    }
                    // Its wired desks are unknown until their lines are read again.
                    if !desks.isEmpty {
                        engine.submit(
                            .wiredSensorFault(WiredSensorFault(desks: desks, detail: error.message)), source: "gpio")
                    }
                },
                onRecovered: {
                    logger.notice("GPIO reader back", metadata: ["gpio.chip": "\(chip.chip)"])
                    // The chip's relay requests died with it: claimed again, locked.
                    hardware.reclaimRelays(on: chip.chip)
                    for door in doors {
                        engine.submit(
                            .readerFault(ReaderFault(door: door, failing: false, detail: "reopened")), source: "gpio")
                    }
                })
            return (name: "cantine-gpio-\(chip.chip)", reader: reader)
        }
    }
}
