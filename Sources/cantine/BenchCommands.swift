// `cantine bench <name>`: the benches of CantineBench, each printing its figures (or --json)
// as docs/benchmarks.md records them.

import ArgumentParser
import CantineBench
import CantineConfig
import CantineCore
import CantineDaemon
import CantineStore
import Foundation
import Logging

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure performance figures (see docs/benchmarks.md).",
        subcommands: [
            JournalBench.self, DoorBench.self, IngestBench.self, ReconcileBench.self, DisplayBench.self,
            SoakBench.self, NetworkBench.self, PowerCutBench.self, ChaosBench.self, BootBench.self,
        ])

    struct PowerCutBench: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "powercut",
            abstract:
                "Cut the power at N seeded writes of a realistic load (SQLite's crash-test method); check what survives each.",
            discussion:
                "Exits 1 when any promise failed: an acknowledged entry lost, a site that does not open, a damaged database, replay unlike the recovered state, a relay not locked, a site that does not serve again."
        )
        static var defaultLogLevel: Logger.Level { .error }
        @OptionGroup var global: GlobalOptions
        @Option(help: "Power cuts, spread over every kind of write.") var cuts = 1000
        @Option(help: "Seed of the cut points (the same seed cuts at the same writes).") var seed: UInt64 = 1
        @Option(help: "Days of load each cut starts into.") var days = 3
        @Option(help: "Directory for the scratch sites (a RAM disk is fastest: the VFS simulates the disk).")
        var dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard (1...1_000_000).contains(cuts) else { throw ValidationError("--cuts \(cuts): 1 to 1000000") }
            guard (1...30).contains(days) else { throw ValidationError("--days \(days): 1 to 30") }
        }

        func run() async throws {
            let r = try await Bench.powercut(cuts: cuts, seed: seed, days: days, directory: dir, logger: global.logger)
            if json {
                try printJSON(r)
            } else {
                printTable(
                    ["figure", "value"],
                    [
                        ["cuts", "\(r.cuts)"], ["lost_acknowledged", "\(r.lostAcknowledged)"],
                        ["open_failures", "\(r.openFailures)"], ["integrity_failures", "\(r.integrityFailures)"],
                        ["replay_mismatches", "\(r.replayMismatches)"], ["relay_failures", "\(r.relayFailures)"],
                        ["serve_failures", "\(r.serveFailures)"], ["load_failures", "\(r.loadFailures)"],
                        ["blocks_lost", "\(r.blocksLost)"],
                        ["writes_per_load", "\(r.writesPerLoad)"], ["seconds", String(format: "%.1f", r.seconds)],
                    ])
                print(
                    "by step: "
                        + r.cutsByStep.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                            separator: ", "))
                print(
                    "by file: "
                        + r.cutsByFile.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                            separator: ", "))
                r.failures.forEach { print($0) }
            }
            if !r.clean { throw ExitCode(1) }
        }
    }

    struct ChaosBench: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "chaos",
            abstract:
                "Play a site at high speed while faults come at random (broker killed, disk full, I/O errors, clock stepped, reader gone, power cut, duplicate MQTT id); check its promises throughout.",
            discussion:
                "Exits 1 on any invariant violation: a relay unlocked without a grant or beyond its cap, a door not driven locked first, an acknowledged entry lost, replay unlike live, descriptors or memory growing."
        )
        static var defaultLogLevel: Logger.Level { .error }
        @OptionGroup var global: GlobalOptions
        @Option(help: "Minutes of real time.") var minutes = 5.0
        @Option(help: "Seed of the faults and the load (the same seed plays the same day).") var seed: UInt64 = 1
        @Option(help: "Directory for the scratch site (a RAM disk is fastest: the VFS simulates the disk).")
        var dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard minutes > 0, minutes <= 24 * 60 else { throw ValidationError("--minutes \(minutes): 0 to 1440") }
        }

        func run() async throws {
            let r = try await Bench.chaos(minutes: minutes, seed: seed, directory: dir, logger: global.logger)
            if json {
                try printJSON(r)
            } else {
                printTable(
                    ["figure", "value"],
                    [
                        ["invariant_violations", "\(r.invariantViolations)"], ["restarts", "\(r.restarts)"],
                        ["steps (site hours)", String(format: "%d (%.0f)", r.steps, r.siteHours)],
                        ["badges / grants / unlocks", "\(r.badges) / \(r.grants) / \(r.unlocks)"],
                        ["commands answered", "\(r.commandsAnswered)"],
                        ["acknowledged entries checked", "\(r.acknowledgedChecked)"],
                        [
                            "steps journal failing / mqtt down; io errors",
                            "\(r.journalFailingSteps) / \(r.mqttDownSteps); \(r.ioErrorsReturned)",
                        ],
                        [
                            "fds start / end",
                            "\(r.fdsStart) / \(r.fdsEnd)"
                                + (r.fdsOpened.isEmpty ? "" : " (+ " + r.fdsOpened.joined(separator: ", ") + ")"),
                        ],
                        ["rss MB start / end", String(format: "%.1f / %.1f", r.rssStartMB, r.rssEndMB)],
                        ["seconds", String(format: "%.1f", r.seconds)],
                    ])
                print(
                    "faults: "
                        + r.faults.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                r.violations.forEach { print($0) }
            }
            if r.invariantViolations > 0 { throw ExitCode(1) }
        }
    }

    struct NetworkBench: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "network",
            abstract:
                "Three sites and a hub on bridged loopback brokers: revocation and occupancy propagation times.")
        static var defaultLogLevel: Logger.Level { .error }
        @OptionGroup var global: GlobalOptions
        @Option(help: "Revocations and occupancy changes timed (each).") var samples = 200
        @Option(help: "Directory for the scratch sites.") var dir = NSTemporaryDirectory()
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard (1...100_000).contains(samples) else { throw ValidationError("--samples \(samples): 1 to 100000") }
        }

        func run() async throws {
            let r = try await Bench.network(samples: samples, directory: dir, logger: global.logger)
            if json { return try printJSON(r) }
            printTable(
                ["figure", "p50_ms", "p99_ms", "max_ms"],
                [
                    [
                        "revocation, Paris command → Nantes state", String(format: "%.1f", r.revocationP50Ms),
                        String(format: "%.1f", r.revocationP99Ms), String(format: "%.1f", r.revocationMaxMs),
                    ],
                    [
                        "occupancy, Paris badge → Nantes network view", String(format: "%.1f", r.occupancyP50Ms),
                        String(format: "%.1f", r.occupancyP99Ms), String(format: "%.1f", r.occupancyMaxMs),
                    ],
                ])
            print("samples \(r.samples) each, lost \(r.lost)")
        }
    }

    struct SoakBench: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "soak",
            abstract:
                "Run the demo daemon at 10× for N minutes with a screen and a polling dashboard; report memory, file descriptors and journal size."
        )
        static var defaultLogLevel: Logger.Level { .error }
        @OptionGroup var global: GlobalOptions
        @Option(help: "Minutes of real time (the demo day at 10× lasts about 100).") var minutes = 10.0
        @Option(help: "Times faster than real time.") var speed = 10.0
        @Option(help: "The journal's commit linger of the site simulated, in ms (default: the config's, 1000).")
        var commitLingerMs: Int?
        @Option(help: "Desks in the site: beyond the demo's 24, a crowd whose nodes report as the firmware does.")
        var desks = 24
        @Option(help: "Directory for the scratch site.") var dir = NSTemporaryDirectory()
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard minutes > 0, minutes <= 7 * 24 * 60 else { throw ValidationError("--minutes \(minutes): 0 to 10080") }
            guard speed >= 1, speed <= 1000 else { throw ValidationError("--speed \(speed): 1 to 1000") }
            guard (24...2000).contains(desks) else { throw ValidationError("--desks \(desks): expected 24 to 2000") }
        }

        func run() async throws {
            let r = try await Bench.soak(
                minutes: minutes, speed: speed, commitLingerMs: commitLingerMs, desks: desks, directory: dir,
                logger: global.logger)
            if json { return try printJSON(r) }
            printTable(
                ["figure", "value"],
                [
                    [
                        "minutes at ×speed (mqtt)",
                        String(format: "%.1f at ×%.0f (%@)", r.minutes, r.speed, r.mqtt ? "on" : "off"),
                    ],
                    ["rss before the load first came", String(format: "%.1f", r.rssBeforeLoadMB)],
                    [
                        "rss_start_mb / rss_end_mb / max",
                        String(format: "%.1f / %.1f / %.1f", r.rssStartMB, r.rssEndMB, r.rssMaxMB),
                    ],
                    ["rss growth MB per hour", String(format: "%.2f", r.rssGrowthMBPerHour)],
                    [
                        "… after the first 10 minutes",
                        r.rssGrowthAfterWarmupMBPerHour.map { String(format: "%.2f", $0) } ?? "– (soak too short)",
                    ],
                    [
                        "of which anonymous (heap): start / end",
                        String(format: "%.1f / %.1f", r.rssAnonStartMB, r.rssAnonEndMB),
                    ],
                    [
                        "heap in use (of which SQLite): start / end",
                        String(
                            format: "%.1f (%.1f) / %.1f (%.1f)", r.heapInUseStartMB, r.sqliteStartMB, r.heapInUseEndMB,
                            r.sqliteEndMB),
                    ],
                    ["site state KB: start / end", String(format: "%.0f / %.0f", r.stateStartKB, r.stateEndKB)],
                    ["fds_start / fds_end", "\(r.fdsStart) / \(r.fdsEnd)"],
                    [
                        "fds opened / closed",
                        (r.fdsOpened.isEmpty ? "-" : r.fdsOpened.joined(separator: ", ")) + " / "
                            + (r.fdsClosed.isEmpty ? "-" : r.fdsClosed.joined(separator: ", ")),
                    ],
                    ["events / journal_mb", String(format: "%lld / %.1f", r.events, r.journalMB)],
                    [
                        "desks: disk written MB per demo day (per hour)",
                        String(format: "%d: %.1f (%.1f)", r.desks, r.diskWrittenMBPerDay, r.diskWrittenMBPerHour),
                    ],
                    ["requests (failed) / boards", "\(r.requests) (\(r.requestsFailed)) / \(r.boards)"],
                ])
        }
    }

    struct JournalBench: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "journal", abstract: "Durable group-committed append throughput and replay time.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Number of events.") var events = 1_000_000
        @Option(help: "Directory for the scratch database.") var dir = NSTemporaryDirectory()
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard events >= 1000 else { throw ValidationError("--events \(events): expected at least 1000") }
        }

        func run() async throws {
            let r = try Bench.journal(events: events, directory: dir, logger: global.logger)
            if json {
                try printJSON(r)
            } else {
                printTable(
                    ["figure", "value"],
                    [
                        ["events", "\(r.events)"], ["append_per_s (durable)", String(format: "%.0f", r.appendPerS)],
                        ["commits", "\(r.batches)"], ["replay_s", String(format: "%.2f", r.replayS)],
                        ["replay_per_s", String(format: "%.0f", r.replayPerS)],
                        ["db_mb", String(format: "%.1f", r.dbMB)],
                        ["replay digest = live digest", r.digestMatches ? "yes" : "NO"],
                    ])
            }
        }
    }

    struct DoorBench: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "door",
            abstract: "Badge-to-relay latency with 100k members under sensor load; decoder misdecodes.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Members (each with a plan and a badge) in the database.") var members = 100_000
        @Option(help: "Frames timed through the reader thread to the relay.") var samples = 500
        @Option(help: "Frames through the decoder per reader and frame end (a tenth for 10 and 20 ms readers).")
        var decoderFrames = 100_000
        @Option(help: "Desk sensor reports per second submitted meanwhile.") var sensorRate = 2000
        @Option(help: "Directory for the scratch database.") var dir = NSTemporaryDirectory()
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard members >= 10 else { throw ValidationError("--members \(members): expected at least 10") }
            guard samples >= 10 else { throw ValidationError("--samples \(samples): expected at least 10") }
            guard decoderFrames >= 100 else { throw ValidationError("--decoder-frames: expected at least 100") }
            guard (0...100_000).contains(sensorRate) else { throw ValidationError("--sensor-rate: 0 to 100000") }
        }

        func run() async throws {
            let r = try Bench.door(
                members: members, samples: samples, decoderFrames: decoderFrames, sensorRate: sensorRate,
                directory: dir, logger: global.logger)
            if json { return try printJSON(r) }
            var rows = [["members", "\(r.members) (seeded in \(String(format: "%.1f", r.seedS)) s)"]]
            for l in r.latency {
                let mode = l.gapTimeoutMs.map { "\(l.frameEnd) \($0) ms" } ?? l.frameEnd
                rows += [
                    ["\(mode): samples (granted frames)", "\(l.samples)"],
                    [
                        "  last bit → relay, p50 / p99 / max ms",
                        String(
                            format: "%.2f / %.2f / %.2f", l.lastBitToRelayP50Ms, l.lastBitToRelayP99Ms,
                            l.lastBitToRelayMaxMs),
                    ],
                    ["  of which the silence that ends the frame, p50 ms", String(format: "%.2f", l.silenceP50Ms)],
                    [
                        "  after it, p50 / p99 µs (wake-up p50)",
                        String(format: "%.0f / %.0f (%.0f)", l.afterSilenceP50Us, l.afterSilenceP99Us, l.wakeP50Us),
                    ],
                    [
                        "  of which decode → relay, p50 / p99 µs",
                        String(format: "%.0f / %.0f", l.decideP50Us, l.decideP99Us),
                    ],
                ]
            }
            rows += [
                ["sensor reports/s meanwhile", String(format: "%.0f", r.sensorReportsPerS)],
                ["dropped edges", "\(r.droppedEdges)"],
            ]
            for d in r.decoder {
                rows.append([
                    "decoder, \(d.reader) reader, \(d.frameEnd): frames / misdecodes / parity grants / both-edge lost",
                    "\(d.frames) / \(d.misdecodes) / \(d.parityGrants) / \(d.bothEdgeLost)",
                ])
            }
            rows += [["misdecodes", "\(r.misdecodes)"], ["parity_grants", "\(r.parityGrants)"]]
            printTable(["figure", "value"], rows)
        }
    }
}

extension BenchCommand {
    struct ReconcileBench: ParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "reconcile",
            abstract: "A full reconciliation pass: 500 desks, 10 rooms, 2,000 bookings, 200 members inside.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Desks.") var desks = 500
        @Option(help: "Bookings (the first of each day's desks are room bookings).") var bookings = 2000
        @Option(help: "Members inside.") var present = 200
        @Option(help: "Timed passes.") var passes = 200
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard (20...100_000).contains(desks) else {
                throw ValidationError("--desks \(desks): expected 20 to 100000")
            }
            guard (0...1_000_000).contains(bookings) else { throw ValidationError("--bookings: 0 to 1000000") }
            guard (0...100_000).contains(present) else { throw ValidationError("--present: 0 to 100000") }
            guard (1...100_000).contains(passes) else { throw ValidationError("--passes: 1 to 100000") }
        }

        func run() throws {
            let r = Bench.reconcile(desks: desks, bookings: bookings, present: present, passes: passes)
            if json { return try printJSON(r) }
            printTable(
                ["figure", "value"],
                [
                    ["desks / rooms / bookings / inside", "\(r.desks) / \(r.rooms) / \(r.bookings) / \(r.present)"],
                    [
                        "first_pass_us (finds everything)",
                        String(format: "%.0f (%d events)", r.firstPassUs, r.firstPassEvents),
                    ],
                    ["pass_us (median of \(r.passes))", String(format: "%.0f", r.passUs)],
                    ["max_pass_us", String(format: "%.0f", r.maxPassUs)],
                    ["steady_events (0: stable)", "\(r.steadyEvents)"],
                ])
        }
    }

    struct IngestBench: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Desk reports through a real mosquitto into the daemon, against mosquitto_sub on the same stream."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "Reports published in all.") var reports = 200_000
        @Option(help: "Simulated nodes (one desk each).") var nodes = 50
        @Option(help: "Reports per second offered in the paced phase.") var pacedRate = 2000
        @Option(help: "Seconds of the paced phase.") var pacedSeconds = 5
        @Option(help: "Reports queued at the broker while the daemon (then mosquitto_sub) is away, then drained.")
        var backlog = 100_000
        @Option(help: "Directory for the scratch database and broker.") var dir = NSTemporaryDirectory()
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard reports >= 1000 else { throw ValidationError("--reports \(reports): expected at least 1000") }
            guard (2...196).contains(nodes) else { throw ValidationError("--nodes \(nodes): expected 2 to 196") }
            guard (100...50_000).contains(pacedRate) else {
                throw ValidationError("--paced-rate \(pacedRate): expected 100 to 50000 reports/s")
            }
            guard (1...600).contains(pacedSeconds) else {
                throw ValidationError("--paced-seconds \(pacedSeconds): expected 1 to 600")
            }
            guard (1000...10_000_000).contains(backlog) else {
                throw ValidationError("--backlog \(backlog): expected 1000 to 10000000 reports")
            }
        }

        func run() async throws {
            let r = try await Bench.ingest(
                reports: reports, nodes: nodes, pacedPerS: pacedRate, pacedSeconds: pacedSeconds, backlog: backlog,
                directory: dir, logger: global.logger)
            if json { return try printJSON(r) }
            printTable(
                ["figure", "value"],
                [
                    ["reports (nodes)", "\(r.reports) (\(r.nodes))"],
                    ["ingest_per_s (applied, journaled durably, states out)", String(format: "%.0f", r.ingestPerS)],
                    ["mosquitto_sub_per_s (same stream)", String(format: "%.0f", r.mosquittoSubPerS)],
                    ["ratio", String(format: "%.2f", r.ratio)],
                    [
                        "p50_ms / p99_ms (report → desk state out, \(r.probes) probes)",
                        String(format: "%.1f / %.1f", r.p50Ms, r.p99Ms),
                    ],
                    [
                        "paced: p50_ms / p99_ms at \(r.pacedPerS) reports/s (\(r.pacedProbes) probes)",
                        String(format: "%.1f / %.1f", r.pacedP50Ms, r.pacedP99Ms),
                    ],
                    ["rejected / dropped", "\(r.rejected) / \(r.dropped)"],
                    [
                        "backlog of \(r.backlog): drain_per_s / sub_drain_per_s (ratio)",
                        String(format: "%.0f / %.0f (%.2f)", r.drainPerS, r.subDrainPerS, r.drainRatio),
                    ],
                    ["backlog reports dropped by the daemon", "\(r.drainDropped)"],
                ])
        }
    }
}

extension BenchCommand {
    struct DisplayBench: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "display",
            abstract: "Screens on /display's live stream: state change → board received by every screen.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Concurrent SSE clients.") var clients = 100
        @Option(help: "Desk changes injected, one after the other.") var changes = 300
        @Option(help: "Directory for the scratch database.") var dir = NSTemporaryDirectory()
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard (1...1000).contains(clients) else { throw ValidationError("--clients \(clients): 1 to 1000") }
            guard changes >= 10 else { throw ValidationError("--changes \(changes): expected at least 10") }
        }

        func run() async throws {
            var logger = global.logger
            logger.logLevel = global.level(default: .error)
            let r = try await Bench.display(clients: clients, changes: changes, directory: dir, logger: logger)
            if json { return try printJSON(r) }
            printTable(
                ["figure", "value"],
                [
                    ["clients", "\(r.clients)"], ["changes", "\(r.changes)"],
                    ["p50_ms (state change → all screens)", String(format: "%.2f", r.p50Ms)],
                    ["p99_ms", String(format: "%.2f", r.p99Ms)], ["max_ms", String(format: "%.2f", r.maxMs)],
                    ["missed (2 s)", "\(r.missed)"],
                ])
        }
    }
}

extension BenchCommand {
    struct BootBench: ParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "boot",
            abstract: "exec → relays locked, doors ready, HTTP serving, on a large site after a power cut.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Members (each with a plan and a badge).") var members = 100_000
        @Option(help: "Events in the journal.") var events = 1_000_000
        @Option(help: "Starts timed, each on the same copy of the database.") var runs = 5
        @Option(help: "Directory for the scratch site.") var dir = NSTemporaryDirectory()
        @Option(help: "Directory keeping the seeded site for later runs with the same sizes (seeding takes minutes).")
        var siteCache: String?
        @Flag(help: "Print JSON.") var json = false

        mutating func validate() throws {
            guard members >= 10 else { throw ValidationError("--members \(members): expected at least 10") }
            guard events >= members * 3 + 10_000 else {
                throw ValidationError(
                    "--events \(events): expected at least 3 per member plus 10000 (\(members * 3 + 10_000))")
            }
            guard (1...100).contains(runs) else { throw ValidationError("--runs \(runs): expected 1 to 100") }
        }

        func run() throws {
            let executable =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
            let r = try Bench.boot(
                members: members, events: events, runs: runs, executable: executable, directory: dir,
                cache: siteCache, logger: global.logger)
            if json { return try printJSON(r) }
            var rows = [
                ["members / events", "\(r.members) / \(r.events) (seeded in \(String(format: "%.1f", r.seedS)) s)"],
                ["database / newest snapshot, MB", String(format: "%.1f / %.1f", r.dbMB, r.snapshotMB)],
                ["entries after the snapshot (replayed at start)", "\(r.tail)"],
                [
                    "median relays_locked_ms / ready_ms / http_ms",
                    String(format: "%.1f / %.1f / %.1f", r.relaysLockedMs, r.readyMs, r.httpMs),
                ],
            ]
            for (n, run) in r.runs.enumerated() {
                rows.append([
                    "run \(n + 1): relays / ready / http / healthz answered, ms",
                    String(
                        format: "%.1f / %.1f / %.1f / %.1f", run.relaysLockedMs, run.readyMs, run.httpMs,
                        run.healthzMs),
                ])
            }
            printTable(["figure", "value"], rows)
        }
    }
}
