// `cantine doctor`: checks an installation, one line per check, each failure with its fix.

import CantineConfig
import CantineCore
import CantineGPIO
import CantineMQTT
import CantineStore
import Foundation

public enum Doctor {
    /// Runs every check that applies. A broken config stops the checks that need it.
    /// `kernel` and `board`: the machine's (tests pass a folder and a simulated board).
    public static func run(
        configPath: String, kernel: GPIOKernel = GPIOKernel(), board: any GPIOBoard = LibgpiodBoard()
    ) -> [Check] {
        var checks: [Check] = []
        let config: Config
        do {
            config = try Config.load(path: configPath)
            checks.append(
                Check(
                    name: "config", ok: true,
                    detail:
                        "\(configPath) valid: site \(config.site.id), \(config.doors.count) doors, \(config.desks.count) desks, \(config.rooms.count) rooms"
                ))
        } catch {
            return [Check(name: "config", ok: false, detail: error.message)]
        }

        let path = config.database.path
        do {
            let store = try Store(path: path, mode: .existing)
            let integrity = try store.integrityCheck()
            let site = try store.meta("site") ?? "(unset)"
            let count = try store.journalCount()
            if integrity == "ok" {
                checks.append(
                    Check(
                        name: "database", ok: true,
                        detail:
                            "\(path): integrity ok, schema \(Store.schemaVersion), site \(site), \(count) journal entries"
                    ))
            } else {
                checks.append(
                    Check(
                        name: "database", ok: false,
                        detail: "\(path): \(integrity): restore a backup (docs/reliability.md, The SD card)"))
            }
            if site != config.site.id {
                checks.append(
                    Check(
                        name: "database", ok: false,
                        detail: (try? store.hasActivity()) == false
                            ? "database belongs to site '\(site)', config says '\(config.site.id)'; it holds no activity yet: `cantine init` makes it '\(config.site.id)''s (the old file kept as .bak)"
                            : "database belongs to site '\(site)' with its history, config says '\(config.site.id)': set site.id back to '\(site)', or give the new site its own database.path"
                    ))
            }
            let running = ProcessLock.isHeld(databasePath: path)
            checks.append(
                Check(
                    name: "daemon", ok: true,
                    detail: running
                        ? "a cantine daemon is running on this database" : "no daemon running on this database"))
        } catch let error as StoreError {
            checks.append(Check(name: "database", ok: false, detail: error.message))
        } catch {
            checks.append(
                Check(name: "database", ok: false, detail: "\(path): \(error): run `cantine init` or restore a backup"))
        }

        let settings = config.settings
        if settings.gpio.simulated {
            checks.append(
                Check(name: "gpio", ok: true, detail: "simulated (gpio.mode = \"simulated\"): no hardware used"))
        } else {
            let chips = Set(settings.doors.map(\.chip)).union(settings.desks.map(\.chip))
            checks += kernel.checks(chips: chips.sorted(), board: board)
        }

        if settings.mqtt.enabled {
            // A real connect with the daemon's credentials and TLS files: refusals are named.
            let broker = MQTTSettings(settings)
            let problem = MosquittoClient.probe(broker)
            checks.append(
                Check(
                    name: "mqtt", ok: problem == nil,
                    detail: problem
                        ?? "broker \(broker.broker) accepts \(broker.username.map { "user '\($0)'" } ?? "anonymous clients")\(broker.caFile == nil ? "" : " over TLS")"
                ))
            if problem == nil {
                checks.append(
                    clientIDCheck(
                        broker, site: config.site.id, holders: MosquittoClient.holders(broker),
                        localDaemon: ProcessLock.isHeld(databasePath: path)))
            }
        } else {
            checks.append(Check(name: "mqtt", ok: true, detail: "disabled ([mqtt] enabled = false)"))
        }

        if let network = settings.network {
            // The key readable and matching its listed public key; the sites this one can verify.
            do {
                let keys = try network.keys(site: config.siteID)
                let others = keys.knownSites.filter { $0 != config.siteID }.map(\.rawValue)
                checks.append(
                    Check(
                        name: "network", ok: !others.isEmpty,
                        detail: others.isEmpty
                            ? "no other site in [network.sites]: add their public keys (docs/network.md)"
                            : "key \(network.keyFile) ok; verifies \(others.joined(separator: ", "))"))
            } catch {
                checks.append(Check(name: "network", ok: false, detail: error.message))
            }
        }

        let now = Date()
        let sane = now > Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        checks.append(
            Check(
                name: "clock", ok: sane,
                detail: sane
                    ? "system time \(now.formatted(.iso8601)), site time zone \(settings.site.timeZone)"
                    : "system time \(now.formatted(.iso8601)) is in the past: enable NTP (timedatectl set-ntp true) or fit a real-time clock"
            ))
        return checks
    }

    /// Whether another daemon holds this daemon's client id on the broker: one online there
    /// (its retained health names the id and host) that is not this host's running daemon. Two
    /// clients with one id take each other's session.
    static func clientIDCheck(
        _ broker: MQTTSettings, site: String, holders: [MosquittoClient.Holder], localDaemon: Bool
    )
        -> Check
    {
        let host = ProcessInfo.processInfo.hostName
        let others = holders.filter { h in
            h.online && h.clientID == broker.clientID && !(localDaemon && h.site == site && h.host == host)
        }
        if let other = others.first {
            return Check(
                name: "mqtt client id", ok: false,
                detail:
                    "client id '\(broker.clientID)' is in use: site '\(other.site)''s daemon on host '\(other.host)' is online on \(broker.broker) with it; two clients with one id take each other's session: give this daemon its own [mqtt] client_id"
            )
        }
        return Check(
            name: "mqtt client id", ok: true,
            detail: localDaemon
                ? "client id '\(broker.clientID)': held by the daemon running here, by no other daemon the broker shows"
                : "client id '\(broker.clientID)': no daemon online with it on \(broker.broker)")
    }
}
