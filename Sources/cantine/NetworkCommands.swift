// `cantine network`: this site's keys, its broker's bridge to the hub, the hub's own config,
// and the network view (every site's people and desks, when each was last heard).

import ArgumentParser
import CantineCore
import CantineDaemon
import CantineNetwork
import CantineStore
import Foundation

struct Network: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "The network of cantines: keys, bridge, hub, status.",
        subcommands: [Keygen.self, BridgeConfigCommand.self, HubConfig.self, Status.self])

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract:
                "Make this site's Ed25519 key: writes the private key, prints the public key line for [network.sites].")
        @Option(name: .shortAndLong, help: "Where to write the private key (mode 0600).") var output: String
        @Option(help: "The site id, for the line printed.") var site: String = "<site>"
        @Flag(help: "Replace an existing key (every other site must then get the new public key).") var force = false

        func run() async throws {
            if FileManager.default.fileExists(atPath: output) && !force {
                throw CLIFailure(message: "\(output) exists: keep it, or give --force to make a new key")
            }
            let key = NetworkKeys.newPrivateKey()
            guard
                FileManager.default.createFile(
                    atPath: output, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { throw CLIFailure(message: "cannot write \(output): check the directory and permissions") }
            print("\(site) = \"\(NetworkKeys.publicKey(of: key) ?? "")\"")
        }
    }

    struct BridgeConfigCommand: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "bridge-config",
            abstract: "Print the mosquitto bridge section that joins this site's broker to the hub.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The hub, host:port (default: [network] hub).") var hub: String?
        @Option(help: "File holding this site's password on the hub.") var passwordFile: String
        @Option(help: "CA of the hub's certificate (default: [network] hub_ca_file).") var ca: String?
        @Flag(help: "No TLS: only for a hub on the same machine.") var plain = false
        @Flag(help: "Send only this site's network topics (cantine/<site>/net/#), not its desks: for large networks.")
        var netOnly = false

        func run() async throws {
            let config = try global.loadConfig()
            guard let hub = hub ?? config.network?.hub else {
                throw CLIFailure(message: "no hub: give --hub host:port or set [network] hub")
            }
            if let problem = HubAddress.problem(hub) { throw CLIFailure(message: problem) }
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw CLIFailure(message: "cannot read --password-file \(passwordFile)")
            }
            let password = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !password.isEmpty, !password.contains(where: \.isWhitespace) else {
                throw CLIFailure(message: "--password-file \(passwordFile): expected one password without spaces")
            }
            let ca = plain ? nil : (ca ?? config.network?.hubCaFile)
            if !plain && ca == nil {
                throw CLIFailure(
                    message: "no CA for the hub's TLS: give --ca FILE (or --plain for a hub on this machine)")
            }
            print(
                BridgeConfig.bridge(
                    .init(site: config.siteID, hub: hub, password: password, caFile: ca, netOnly: netOnly)),
                terminator: "")
        }
    }

    struct HubConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hub-config", abstract: "Print the hub's mosquitto config, or its ACL with --acl.")
        @Option(help: "Directory of the hub's password file, ACL and persistence.") var dir =
            "/etc/mosquitto/cantine-hub"
        @Option(help: "Directory of the hub's persistence (its sites' sessions, retained messages).")
        var data = "/var/lib/mosquitto/cantine-hub"
        @Option(help: "Port the hub listens on.") var port = 8883
        @Option(help: "TLS: CA, certificate and key files, comma-separated.") var tls: String?
        @Option(help: "A read-only user for the network's staff tools (repeatable).") var viewer: [String] = []
        @Flag(help: "Print the ACL instead of the config.") var acl = false

        func run() async throws {
            if acl {
                print(BridgeConfig.hubACL(viewers: viewer), terminator: "")
                return
            }
            let files = tls?.split(separator: ",").map(String.init)
            if let files, files.count != 3 { throw CLIFailure(message: "--tls: expected ca.crt,server.crt,server.key") }
            print(
                BridgeConfig.hub(port: port, dir: dir, data: data, tls: files.map { ($0[0], $0[1], $0[2]) }),
                terminator: "")
        }
    }

    struct Status: AsyncParsableCommand, HasGlobalOptions {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Every site of the network: people present, free desks, last heard (stale when silent).")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let config = try global.loadConfig()
            guard let network = config.settings.network else {
                throw CLIFailure(message: "this site is in no network: add [network] to the config (docs/network.md)")
            }
            let store = try Store(path: config.database.path)
            let view = try NetworkStatus.read(store: store, now: Instant(Date()), staleAfter: network.staleAfter)
            if json { return try printJSON(view) }
            printTable(
                ["SITE", "NAME", "PEOPLE", "VISITORS", "DESKS FREE", "OCCUPIED", "UNKNOWN", "LAST HEARD", ""],
                view.sites.map { s in
                    [
                        s.summary.site.rawValue, s.summary.name, "\(s.summary.peoplePresent)", "\(s.summary.visitors)",
                        "\(s.summary.desksFree)", "\(s.summary.desksOccupied)", "\(s.summary.desksUnknown)",
                        s.heardAt.map { localText($0, config.timeZone) } ?? "-", s.stale ? "STALE" : "",
                    ]
                })
            for r in view.refused {
                print("refused \(localText(Instant(micros: r.atUs), config.timeZone)) \(r.topic): \(r.reason)")
            }
        }
    }
}
