// The network of cantines against real brokers: three sites (Paris, Nantes, Rennes), each with
// its own SQLite file and its own mosquitto, joined over TLS to a hub mosquitto by the bridge
// sections `cantine network bridge-config` writes; the hub runs the config and ACL
// `cantine network hub-config` writes. A Paris member badges
// in at Nantes; a revocation in Paris denies them there; the Nantes bridge is cut and
// restored; forged, misplaced, malformed and oversized records are refused and alarmed.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineMQTT
import CantineProtocol
import CantineSite
import CantineWeb
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Testing

@testable import CantineNetwork
@testable import CantineStore

/// Three sites, their brokers bridged to a hub, their network services running.
final class TestNetwork: @unchecked Sendable {
    static let names = ["paris", "nantes", "rennes"]
    static let secret = String(repeating: "5a", count: 32)
    let dir = NSTemporaryDirectory() + "cantine-network-" + UUID().uuidString
    let hub: Broker
    var brokers: [String: Broker] = [:]
    var bridges: [String: String] = [:]
    var sites: [String: TestSite] = [:]
    var runtimes: [String: Site] = [:]
    var services: [String: NetworkService] = [:]
    var keys: [String: String] = [:]
    /// Run once by a site's network service before its next wait for durability: between its
    /// reading of the state and its reading of the store.
    let hooks = OneShotHooks()

    init(hubUsers extra: [String: String] = [:]) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var publicKeys: [String: String] = [:]
        for name in Self.names {
            keys[name] = NetworkKeys.newPrivateKey()
            publicKeys[name] = NetworkKeys.publicKey(of: keys[name]!)
            try keys[name]!.write(toFile: "\(dir)/\(name).key", atomically: true, encoding: .utf8)
        }
        var users = extra
        for name in Self.names { users[name] = "pw-\(name)" }
        hub = try Broker(hub: users)
        let sitesSection = publicKeys.sorted { $0.key < $1.key }.map { "\($0.key) = \"\($0.value)\"" }
            .joined(separator: "\n")
        for name in Self.names {
            // Rennes bridges only its network topics (the mapping for large networks).
            let bridge = BridgeConfig.bridge(
                .init(
                    site: SiteID(name), hub: "127.0.0.1:\(hub.port)", password: "pw-\(name)", caFile: hub.caFile,
                    netOnly: name == "rennes"))
            bridges[name] = bridge
            brokers[name] = try Broker(extra: bridge)
            let site = try TestSite { text in
                text.replacingOccurrences(of: "id = \"paris\"", with: "id = \"\(name)\"")
                    .replacingOccurrences(of: "[mqtt]\nenabled = false", with: "[mqtt]\nenabled = true")
                        + """

                        [network]
                        key_file = "\(self.dir)/\(name).key"
                        credential_secret = "\(Self.secret)"
                        summary_every_s = 3600

                        [network.sites]
                        \(sitesSection)

                        """
            }
            sites[name] = site
            let runtime = try site.open()
            runtimes[name] = runtime
            services[name] = try NetworkService(
                mqtt: brokers[name]!.settings("cantine-\(name)", persistent: true),
                settings: try site.config.settings.network!.settings(site: SiteID(name), name: name.capitalized),
                engine: runtime.engine, bus: runtime.bus, store: runtime.store, logger: Logger(label: "test"),
                durable: { [journal = runtime.journal, hooks] seq in
                    if let hook = hooks.take(name) { await hook() }
                    await journal.waitDurable(through: seq)
                },
                networkToken: { record in
                    CredentialTokenizer(secretHex: Self.secret).token(
                        for: CardRead(
                            format: WiegandFormat(rawValue: record.format)!, facility: UInt32(record.facility),
                            card: UInt64(record.cardNumber)))
                })
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    subscript(_ name: String) -> Site { runtimes[name]! }

    /// Runs every site's network service while `body` runs, from when every site has heard
    /// every other's summary (the bridges are up and every service subscribed).
    func run(_ body: () async throws -> Void) async throws {
        let group = ServiceGroup(
            services: Self.names.map { services[$0]! }, gracefulShutdownSignals: [], cancellationSignals: [],
            logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                for name in Self.names {
                    let runtime = self[name]
                    let joined = await runtime.wait { _ in
                        (try? runtime.store.networkSites().count) == Self.names.count
                    }
                    try #require(joined, "\(name) did not hear every site")
                }
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Waits until `done` holds over `site`'s state.
    func wait(
        _ site: String, upTo timeout: Duration = .seconds(10), until done: @escaping @Sendable (State) -> Bool
    ) async -> Bool {
        await self[site].wait(upTo: timeout, until: done)
    }

    /// Enrols a member at `site` with a resident plan and badge `card`.
    func enrol(_ member: String, card: UInt64, at site: String) async throws {
        let runtime = self[site]
        _ = try await runtime.perform(.addMember(id: member, name: "Member \(member)", email: nil), source: "test")
        _ = try await runtime.perform(
            .grantPlan(member: member, kind: .residentMonthly, from: "today", days: 30), source: "test")
        _ = try await runtime.perform(
            .enrollBadge(member: member, format: .h10301, facility: 42, card: card, id: nil, pin: nil), source: "test")
    }

    /// The decision on `card` at `site`'s entrance.
    func badge(_ card: UInt64, at site: String) -> AccessRecord? {
        DoorInput(door: "entree", runtime: self[site]).frame(CantineDaemonTests.card(card))?.entry.access
    }
}

/// Hooks each run once, by name.
final class OneShotHooks: @unchecked Sendable {
    private let lock = NSLock()
    private var hooks: [String: @Sendable () async -> Void] = [:]

    func arm(_ name: String, _ hook: @escaping @Sendable () async -> Void) { lock.withLock { hooks[name] = hook } }
    func take(_ name: String) -> (@Sendable () async -> Void)? { lock.withLock { hooks.removeValue(forKey: name) } }
}

extension State {
    func visitor(_ id: String) -> Visitor? { network?.visitors[MemberID(id)] }
}

@Suite(.serialized) struct NetworkTests {
    /// A member changed between the network service's reading of the state (plans) and of the
    /// store (badges, which only it holds): no record goes out pairing the new badge with the
    /// old plans — Nantes would refuse a visitor for a plan they have (CI saw it once).
    @Test func aRecordNeverPairsANewBadgeWithOldPlans() async throws {
        let net = try TestNetwork()
        try await net.run {
            let paris = net["paris"]
            _ = try await paris.perform(.addMember(id: "m-bea", name: "Bea", email: nil), source: "test")
            #expect(await net.wait("nantes") { $0.visitor("m-bea@paris") != nil })
            // The next round reads the state, then Bea gets a plan and a badge, then it reads
            // the store.
            net.hooks.arm("paris") {
                _ = try? await paris.perform(
                    .grantPlan(member: "m-bea", kind: .residentMonthly, from: "today", days: 30), source: "test")
                _ = try? await paris.perform(
                    .enrollBadge(member: "m-bea", format: .h10301, facility: 42, card: 4321, id: nil, pin: nil),
                    source: "test")
            }
            _ = try await paris.perform(.addMember(id: "m-cy", name: "Cy", email: nil), source: "test")
            #expect(
                await net.wait("nantes") { state in
                    state.visitor("m-bea@paris").map { $0.record.credentials.count == 1 && !$0.record.plans.isEmpty }
                        ?? false
                })
            #expect(net.hooks.take("paris") == nil)  // it ran
            #expect(net.badge(4321, at: "nantes")?.reason == .visitor)
            net["nantes"].journal.flush()
            let records = try net["nantes"].store.read { db in
                try String.fetchAll(db, sql: "SELECT payload FROM journal WHERE kind = 'network.record'")
            }.compactMap { payload -> RoamingRecord? in
                guard
                    case .roamingRecord(let r) = try? Event.decode(
                        kind: "network.record", payload: Data(payload.utf8), with: JSONDecoder())
                else { return nil }
                return r.member == "m-bea" ? r : nil
            }
            #expect(records.count >= 2)
            #expect(records.allSatisfy { $0.credentials.isEmpty || !$0.plans.isEmpty }, "\(records)")
        }
    }

    @Test func aParisMemberBadgesInAtNantesAndAParisRevocationDeniesThemThere() async throws {
        let net = try TestNetwork()
        try await net.run {
            try await net.enrol("m-ada", card: 1234, at: "paris")
            for site in ["nantes", "rennes"] {
                #expect(await net.wait(site) { $0.visitor("m-ada@paris")?.record.credentials.count == 1 })
            }
            // Unknown at Nantes, let in on Paris's record; the visit goes back to Paris.
            let visit = net.badge(1234, at: "nantes")
            #expect(
                visit?.granted == true && visit?.reason == .visitor && visit?.member == "m-ada@paris",
                "\(String(describing: visit))")
            #expect(net["nantes"].engine.read { $0.doors["entree"]?.lock } == .unlocked)
            #expect(await net.wait("paris") { $0.network?.visitsReported["nantes"] != nil })
            net["paris"].journal.flush()
            let reported = try net["paris"].store.read { db in
                try String.fetchAll(db, sql: "SELECT payload FROM journal WHERE kind = 'network.visit'")
            }
            #expect(reported.count == 1 && reported[0].contains("\"member\":\"m-ada\""))
            // A card nobody in the network holds stays unknown.
            #expect(net.badge(999, at: "nantes")?.reason == .unknownCard)

            // Revoked at home: denied everywhere, from the record, within the wait (10 s ≪ 60 s)
            // — though Paris's clock now runs three hours behind Nantes's: versions, not clocks.
            net.sites["paris"]!.time.stepWall(.seconds(-3 * 3600))
            _ = try await net["paris"].perform(.setMemberStatus(member: "m-ada", active: false), source: "test")
            for site in ["nantes", "rennes"] {
                #expect(await net.wait(site) { $0.visitor("m-ada@paris")?.record.revoked == true })
            }
            let denied = net.badge(1234, at: "nantes")
            #expect(denied?.granted == false && denied?.reason == .revoked)
        }
        // Replay at Nantes gives the live state, visitors included.
        let nantes = net["nantes"]
        let live = nantes.engine.read { $0 }
        nantes.journal.flush()
        let replayed = try Replay.rebuild(store: nantes.store, site: "nantes", useSnapshot: false)
        #expect(replayed.state == live)
    }

    /// A site flooding faster than the service steps: past 10,000 waiting, messages are dropped
    /// and counted (libmosquitto's thread never waits on us), and a step makes room again.
    @Test func aFloodBeyondTheInboundBoundIsDroppedAndCounted() async throws {
        let net = try TestNetwork()
        let paris = net.services["paris"]!
        // Paris's own summary back from the hub: taken in and ignored, so only the bound is at stake.
        let echo = InboundMessage(topic: "cantine/network/paris/net/summary", payload: Array("{}".utf8))
        for _ in 0..<(NetworkService.maxQueuedInbound + 3) { paris.take(echo) }
        #expect(paris.dropped.load(ordering: .relaxed) == 3)
        #expect(paris.pending.withLock { $0.inbound.count } == NetworkService.maxQueuedInbound)
        await paris.step()
        #expect(paris.pending.withLock { $0.inbound.isEmpty })
        for _ in 0..<NetworkService.maxQueuedInbound { paris.take(echo) }
        #expect(paris.dropped.load(ordering: .relaxed) == 3)
        #expect(paris.rejected.load(ordering: .relaxed) == 0)
    }

    @Test func theNantesBridgeIsCutNantesKeepsDecidingThenCatchesUp() async throws {
        let net = try TestNetwork()
        try await net.run {
            try await net.enrol("m-ada", card: 1234, at: "paris")
            #expect(await net.wait("nantes") { $0.visitor("m-ada@paris")?.record.credentials.count == 1 })

            // The Nantes broker comes back without its bridge: Nantes is cut from the network.
            try net.brokers["nantes"]!.restart(extra: "")
            _ = try await net["paris"].perform(.setMemberStatus(member: "m-ada", active: false), source: "test")
            try await net.enrol("m-bob", card: 5678, at: "paris")
            #expect(await net.wait("rennes") { $0.visitor("m-bob@paris")?.record.credentials.count == 1 })
            #expect(await net.wait("rennes") { $0.visitor("m-ada@paris")?.record.revoked == true })
            // Cut off, Nantes decides from what it has: Ada still in, Bob unknown.
            #expect(net.badge(1234, at: "nantes")?.reason == .visitor)
            #expect(net.badge(5678, at: "nantes")?.reason == .unknownCard)

            // The bridge is back: the hub's session for Nantes hands over what it missed, and
            // the bridge's session on the Nantes broker the visit made meanwhile.
            // Through the daemon's reconnect (backoff up to 5 s) and the bridge's: seen to pass
            // 10 s with the whole suite running on two cores (each wait below and after).
            let afterRestart = Duration.seconds(30)
            try net.brokers["nantes"]!.restart(extra: net.bridges["nantes"]!)
            #expect(await net.wait("nantes", upTo: afterRestart) { $0.visitor("m-ada@paris")?.record.revoked == true })
            #expect(
                await net.wait("nantes", upTo: afterRestart) {
                    $0.visitor("m-bob@paris")?.record.credentials.count == 1
                })
            #expect(await net.wait("paris", upTo: afterRestart) { $0.network?.visitsReported["nantes"] != nil })
            let first = net["paris"].engine.read { $0.network?.visitsReported["nantes"] ?? 0 }
            #expect(net.badge(1234, at: "nantes")?.reason == .revoked)

            // Nantes's own broker down: Bob is let in from memory; his visit report waits in
            // the Nantes store and reaches Paris when the broker is back.
            net.brokers["nantes"]!.stop()
            let visit = try #require(DoorInput(door: "entree", runtime: net["nantes"]).frame(card(5678)))
            #expect(visit.entry.access?.reason == .visitor)
            try net.brokers["nantes"]!.start()
            #expect(
                await net.wait("paris", upTo: afterRestart) {
                    ($0.network?.visitsReported["nantes"] ?? 0) == visit.entry.seq
                })
            #expect(visit.entry.seq > first)
        }
    }

    @Test func forgedMisplacedMalformedAndOversizedRecordsAreRefusedAndAlarmed() async throws {
        let net = try TestNetwork(hubUsers: ["lyon": "pw-lyon"])
        try await net.run {
            let alarms = try Collector(net.brokers["nantes"]!, topics: ["cantine/nantes/events"])
            let rennes = try MosquittoClient(
                settings: net.hub.settings("rennes-tool", user: "rennes", password: "pw-rennes", tls: true))
            try rennes.start()
            defer { rennes.stop() }
            #expect(rennes.wait(connected: true, timeout: 10))
            let lyon = try MosquittoClient(
                settings: net.hub.settings("lyon-tool", user: "lyon", password: "pw-lyon", tls: true))
            try lyon.start()
            defer { lyon.stop() }
            #expect(lyon.wait(connected: true, timeout: 10))

            let record = RoamingRecord(
                member: "m-eve", home: "rennes", version: 7, credentials: ["0011223344556677"], plans: [],
                revoked: false, ttlSeconds: 86_400)
            let rennesKeys = try NetworkKeys(site: "rennes", privateKey: net.keys["rennes"]!, peers: [:])
            let forger = try NetworkKeys(site: "rennes", privateKey: NetworkKeys.newPrivateKey(), peers: [:])
            // 1. Signed with a key that is not Rennes's.
            rennes.publish("cantine/rennes/net/members/m-eve", forger.seal(.member, record), retain: true)
            // 2. Rennes, validly signed, speaking for a Paris member.
            var parisMember = record
            parisMember.member = "m-ada"
            parisMember.home = "paris"
            rennes.publish("cantine/rennes/net/members/m-ada", rennesKeys.seal(.member, parisMember))
            // 3. Not an envelope; 4. far too large.
            rennes.publish("cantine/rennes/net/members/m-x", "{\"member\":\"m-x\"")
            rennes.publish("cantine/rennes/net/members/m-y", [UInt8](repeating: 0x41, count: 20_000))
            // 5. A site nobody configured a key for.
            let lyonKeys = try NetworkKeys(site: "lyon", privateKey: NetworkKeys.newPrivateKey(), peers: [:])
            var lyonRecord = record
            lyonRecord.home = "lyon"
            lyon.publish("cantine/lyon/net/members/m-eve", lyonKeys.seal(.member, lyonRecord))
            // 6. Rennes writing under Paris's prefix: the hub's ACL drops it.
            rennes.publish("cantine/paris/net/members/m-eve", rennesKeys.seal(.member, record))
            // Then a sound record, after all of them: once it is in, the others were handled.
            var sound = record
            sound.member = "m-zoe"
            rennes.publish("cantine/rennes/net/members/m-zoe", rennesKeys.seal(.member, sound))
            #expect(await net.wait("nantes") { $0.visitor("m-zoe@rennes") != nil })

            let refused: @Sendable ([InboundMessage]) -> Bool = { messages in
                messages.payloads("cantine/nantes/events").count >= 5
            }
            let events = await alarms.waitFor(refused).payloads("cantine/nantes/events")
            #expect(events.count == 5)
            let expected = [
                "bad signature", "only a member's home site speaks for them", "not a signed Cantine envelope",
                "oversized member message", "unknown site 'lyon'",
            ]
            for phrase in expected {
                #expect(events.contains { $0.contains(phrase) && $0.contains("network_message_refused") }, "\(phrase)")
            }
            let state = net["nantes"].engine.read { $0 }
            #expect(state.visitor("m-eve@rennes") == nil && state.visitor("m-ada@rennes") == nil)
            #expect(state.visitor("m-eve@paris") == nil && state.visitor("m-eve@lyon") == nil)
            let kept = try net["nantes"].store.networkRejections()
            #expect(kept.count == 5 && kept.allSatisfy { !$0.reason.contains("\n") })
            let health = net.services["nantes"]!.health()
            #expect(health.status == "ok" && health.values["refused"] == 5 && health.values["inbound_dropped"] == 0)
        }
    }

    @Test func everySitesPeopleAndDesksShowInTheNetworkViewStaleWhenSilent() async throws {
        let net = try TestNetwork()
        try await net.run {
            try await net.enrol("m-ada", card: 1234, at: "paris")
            #expect(await net.wait("nantes") { $0.visitor("m-ada@paris") != nil })
            #expect(net.badge(1234, at: "paris")?.granted == true)
            let nantes = net["nantes"]
            let staleAfter = Span.seconds(180)
            let view: @Sendable () -> NetworkStatus? = {
                try? NetworkStatus.read(store: nantes.store, now: nantes.engine.now, staleAfter: staleAfter)
            }
            let heard = await nantes.wait { _ in
                view()?.sites.first { $0.summary.site == "paris" }?.summary.peoplePresent == 1
            }
            #expect(heard)
            let sites = view()?.sites ?? []
            #expect(Set(sites.map(\.summary.site.rawValue)) == Set(TestNetwork.names))
            #expect(sites.allSatisfy { !$0.stale && $0.summary.capacity > 0 })
            let paris = sites.first { $0.summary.site == "paris" }
            #expect(paris?.summary.desksFree == 0 && paris?.summary.desksUnknown ?? 0 > 0)
            // Silent for longer than stale_after: marked stale.
            net.sites["nantes"]!.time.advance(.seconds(181))
            let later = view()?.sites.first { $0.summary.site == "paris" }
            #expect(later?.stale == true)
        }
    }
}

/// `[network]` in the config and the `cantine network` commands.
@Suite struct NetworkConfigTests {
    let dir = NSTemporaryDirectory() + "cantine-netconf-" + UUID().uuidString

    func config(_ network: String, site: String = "paris") throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try NetworkKeys.newPrivateKey().write(toFile: dir + "/k", atomically: true, encoding: .utf8)
        return SampleConfig.text(databasePath: dir + "/cantine.db", simulated: true)
            .replacingOccurrences(of: "id = \"paris\"", with: "id = \"\(site)\"") + "\n[network]\n" + network
    }

    func error(_ text: String) -> String? {
        do {
            _ = try Config.parse(text, file: "c.toml")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func badNetworkSettingsAreNamedOnOneLine() throws {
        let key = "key_file = \"\(dir)/k\"\n"
        let secret = "credential_secret = \"\(TestNetwork.secret)\"\n"
        let pub = NetworkKeys.publicKey(of: NetworkKeys.newPrivateKey())!
        #expect(error(try config(key + secret + "[network.sites]\nnantes = \"\(pub)\"\n")) == nil)
        #expect(
            error(try config("key_file = \"\(dir)/none\"\n" + secret + "[network.sites]\n"))
                == "config c.toml: network.key_file: file \(dir)/none does not exist: make it with `cantine network keygen -o \(dir)/none`"
        )
        #expect(
            error(try config(key + "credential_secret = \"abc\"\n[network.sites]\n"))
                == "config c.toml: network.credential_secret: expected 32 or more hex digits, the same at every site (`openssl rand -hex 32`)"
        )
        #expect(
            error(try config(key + secret + "[network.sites]\nnantes = \"not-a-key\"\n"))
                == "config c.toml: network.sites.nantes: expected the site's public key, as `cantine network keygen` printed it"
        )
        #expect(
            error(try config(key + secret + "visitor_ttl_hours = 0\n[network.sites]\n"))
                == "config c.toml: network.visitor_ttl_hours: expected 1 to 720 hours (24 by default)")
        #expect(
            error(try config(key + secret + "hub = \"hub.example\"\n[network.sites]\n"))
                == "config c.toml: network.hub: hub address 'hub.example': expected host:port, such as hub.cantine.coop:8883"
        )
        #expect(
            error(try config(key + secret + "[network.sites]\n", site: "network"))
                == "config c.toml: site.id: 'network' is reserved (cantine/network/ carries the other sites): choose another id"
        )
        #expect(
            error(
                try config(key + secret + "[network.sites]\n").replacingOccurrences(
                    of: "[mqtt]\nenabled = true", with: "[mqtt]\nenabled = false"))
                == "config c.toml: [network] needs MQTT (the bridge is the site's broker): enable [mqtt]")
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func theCommandsMakeKeysABridgeAHubAndShowTheNetwork() throws {
        let site = try CLISite()
        let keyFile = site.dir + "/network.key"
        let (status, out, _) = try cantine(
            ["network", "keygen", "-o", keyFile, "--site", "paris"], environment: site.env)
        #expect(status == 0)
        let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(out == "paris = \"\(NetworkKeys.publicKey(of: key)!)\"\n")
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // A second keygen does not replace the key.
        let again = try cantine(["network", "keygen", "-o", keyFile], environment: site.env)
        #expect(again.0 != 0 && again.2 == "cantine: \(keyFile) exists: keep it, or give --force to make a new key\n")

        try
            (try String(contentsOfFile: site.config, encoding: .utf8)
            + "\n[network]\nkey_file = \"\(keyFile)\"\ncredential_secret = \"\(TestNetwork.secret)\"\nhub = \"hub.cantine.coop:8883\"\n[network.sites]\n")
            .write(toFile: site.config, atomically: true, encoding: .utf8)
        try "s3cret\n".write(toFile: site.dir + "/pw", atomically: true, encoding: .utf8)
        let noCA = try cantine(
            ["network", "bridge-config", "--password-file", site.dir + "/pw"], environment: site.env)
        #expect(noCA.0 != 0 && noCA.2.contains("no CA for the hub's TLS"))
        let bridge = try cantine(
            ["network", "bridge-config", "--password-file", site.dir + "/pw", "--ca", "/etc/ssl/hub-ca.crt"],
            environment: site.env)
        #expect(bridge.0 == 0)
        for line in [
            "address hub.cantine.coop:8883", "remote_username paris", "remote_password s3cret", "cleansession false",
            "topic cantine/paris/# out 1", "topic +/net/# in 1 cantine/network/ cantine/",
            "bridge_cafile /etc/ssl/hub-ca.crt",
        ] {
            #expect(bridge.1.contains(line + "\n"), "\(line)")
        }
        let acl = try cantine(["network", "hub-config", "--acl"], environment: site.env)
        #expect(acl.1.contains("pattern readwrite cantine/%u/#\n") && acl.1.contains("pattern read cantine/+/net/#\n"))

        // The doctor checks the key and that there is another site to verify.
        let alone = try cantine(["doctor"], environment: site.env).1
        #expect(alone.contains("FAIL network   no other site in [network.sites]: add their public keys"), "\(alone)")
        let nantes = NetworkKeys.publicKey(of: NetworkKeys.newPrivateKey())!
        try (try String(contentsOfFile: site.config, encoding: .utf8) + "nantes = \"\(nantes)\"\n")
            .write(toFile: site.config, atomically: true, encoding: .utf8)
        let joined = try cantine(["doctor"], environment: site.env).1
        #expect(joined.contains("OK   network   key \(keyFile) ok; verifies nantes"), "\(joined)")

        // Status before any site was heard: an empty table, then JSON.
        let empty = try cantine(["network", "status", "--json"], environment: site.env)
        #expect(empty.0 == 0 && empty.1.contains("\"sites\" : [\n\n  ]"))
    }
}

extension NetworkConfigTests {
    @Test func theHubSamplesAreWhatHubConfigWrites() throws {
        let certs = "/etc/mosquitto/cantine-hub/certs/"
        let conf = try cantine([
            "network", "hub-config", "--dir", "/etc/mosquitto/cantine-hub", "--port", "8883", "--tls",
            "\(certs)ca.crt,\(certs)server.crt,\(certs)server.key",
        ])
        let acl = try cantine(["network", "hub-config", "--acl", "--viewer", "network-staff"])
        let docs = repoRoot.appendingPathComponent("docs/mosquitto")
        #expect(conf.1 == (try String(contentsOf: docs.appendingPathComponent("hub.conf"), encoding: .utf8)))
        #expect(acl.1 == (try String(contentsOf: docs.appendingPathComponent("hub.acl"), encoding: .utf8)))
    }
}
