// MQTT against a real mosquitto on a loopback port (started and stopped here): reports in
// and state out, bad payloads, retained and flooding reports, the broker restarted
// mid-stream with nothing lost and the outbox drained in order, Home Assistant discovery,
// the ACL, refused credentials, and `offline` on shutdown; two daemons with one client id, and
// another client overwriting the daemon's retained topics; a client whose last reference goes
// inside its own callback.

import CantineConfig
import CantineCore
import CantineSite
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import CantineDaemon
@testable import CantineMQTT
@testable import CantineStore

/// Runs the MQTT service of `runtime` against `broker` while `body` runs, then shuts it down.
func withMQTT(
    _ runtime: Site, _ broker: Broker, user: String? = nil, password: String? = nil, tls: Bool = false,
    limits: SensorIngest.Limits = SensorIngest.Limits(perSecond: 0), options: PublishOptions = PublishOptions(),
    _ body: (MQTTService) async throws -> Void
) async throws {
    let service = try MQTTService(
        settings: broker.settings("cantine-paris", user: user, password: password, persistent: true, tls: tls),
        engine: runtime.engine, bus: runtime.bus, store: runtime.store, options: options, limits: limits,
        logger: Logger(label: "test"), names: { runtime.store.memberName($0.rawValue) },
        journalBacklog: { runtime.journalBacklog })
    let group = ServiceGroup(
        services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body(service)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

@Suite(.serialized) struct MQTTTests {
    @Test func publishesStateEventsAndDiscoveryThenSaysOfflineOnShutdown() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        let watch = try Collector(broker, topics: ["cantine/paris/#", "homeassistant/#"])
        try await withMQTT(runtime, broker) { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            await watch.waitFor { m in m.contains { $0.topic == "cantine/paris/occupancy" } }
            #expect(watch.payloads("cantine/paris/status") == ["online"])
            let occupancy = watch.payloads("cantine/paris/occupancy").last ?? ""
            #expect(occupancy.contains(#""people_present":1"#) && occupancy.contains(#""zone":"jardin""#))
            #expect(watch.payloads("cantine/paris/desks/f01/state").last == "occupied")
            #expect(watch.payloads("cantine/paris/doors/entree/state").last == "locked")

            // An access decision is an event with a stable id, the member by opaque id only.
            DoorInput(door: "entree", runtime: runtime).frame(card(1234))
            let events = await watch.waitFor { $0.contains { $0.topic == "cantine/paris/events" } }
            let event = String(
                decoding: events.first { $0.topic == "cantine/paris/events" }?.payload ?? [], as: UTF8.self)
            #expect(event.contains(#""granted":true"#) && event.contains(#""member":"m-ada""#))
            #expect(event.contains(#""id":"paris/"#) && event.contains(#""reason":"granted.plan""#))
            #expect(!event.contains("Ada"))

            // Opening the locked door is a forced-open alarm event and the door's retained state.
            DoorInput(door: "sortie", runtime: runtime).contact(open: true)
            await watch.waitFor {
                $0.contains { String(decoding: $0.payload, as: UTF8.self).contains(#""alarm":"forced""#) }
            }
            await watch.waitFor { $0.payloads("cantine/paris/doors/sortie/state").last == "forced" }
            #expect(watch.payloads("cantine/paris/doors/sortie/state").last == "forced")

            // Discovery: one occupancy binary_sensor per desk, people and free desks, doors and locks.
            let f01 = "homeassistant/binary_sensor/cantine_paris_desk_f01/config"
            await watch.waitFor { !$0.payloads(f01).isEmpty }
            let config = try #require(watch.payloads(f01).last)
            let desk = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any]
            #expect(desk?["device_class"] as? String == "occupancy")
            #expect(desk?["state_topic"] as? String == "cantine/paris/desks/f01/state")
            #expect(desk?["unique_id"] as? String == "cantine_paris_desk_f01")
            let availability = (desk?["availability"] as? [[String: String]])?.compactMap { $0["topic"] }
            #expect(availability == ["cantine/paris/status", "cantine/paris/nodes/node-f01/status"])
            #expect((desk?["device"] as? [String: Any])?["identifiers"] as? [String] == ["cantine_paris"])
            let all = Set(watch.snapshot.map(\.topic).filter { $0.hasPrefix("homeassistant/") })
            #expect(all.filter { $0.contains("/binary_sensor/cantine_paris_desk_") }.count == 24)
            #expect(all.contains("homeassistant/sensor/cantine_paris_people_present/config"))
            #expect(all.contains("homeassistant/sensor/cantine_paris_free_desks_fenetre/config"))
            #expect(all.contains("homeassistant/binary_sensor/cantine_paris_door_entree/config"))
            #expect(all.contains("homeassistant/binary_sensor/cantine_paris_lock_entree/config"))
            for m in watch.snapshot where m.topic.hasPrefix("homeassistant/") {
                #expect((try? JSONSerialization.jsonObject(with: Data(m.payload))) != nil, "\(m.topic)")
                #expect(!String(decoding: m.payload, as: UTF8.self).contains("command_topic"))
            }

            // Home Assistant restarting asks for discovery again.
            let before = watch.payloads(f01).count
            _ = watch.client.publish("homeassistant/status", "online")
            await watch.waitFor { $0.payloads(f01).count > before }
            #expect(watch.payloads(f01).count == before + 1)
        }
        // Clean shutdown: desks say unknown (nobody watches them), the status says offline.
        await watch.waitFor { $0.payloads("cantine/paris/status").last == "offline" }
        #expect(watch.payloads("cantine/paris/status").last == "offline")
        #expect(watch.payloads("cantine/paris/desks/f01/state").last == "unknown")
        runtime.close()
    }

    @Test func nodeReportsBecomeJournaledDeskStatesAndBadOnesAreCountedNotFatal() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        let watch = try Collector(broker, topics: ["cantine/paris/desks/+/state", "cantine/paris/status"])
        // Left retained on the broker before the daemon starts: delivered at subscribe, ignored.
        let f01 = try TestNode(broker, id: "node-f01", desk: "f01")
        f01.raw("cantine/paris/desks/f01/report", SensorReportText.make(occupied: true, seq: 1), retain: true)
        // Seen by another subscriber: the broker holds it before the daemon subscribes.
        let stored = try Collector(broker, topics: ["cantine/paris/desks/f01/report"])
        _ = await stored.waitFor { !$0.payloads("cantine/paris/desks/f01/report").isEmpty }
        try await withMQTT(runtime, broker) { service in
            await watch.waitFor { $0.payloads("cantine/paris/status").contains("online") }  // subscribed
            let node = try TestNode(broker, id: "node-j01", desk: "j01")
            node.report(true)
            node.report(true)
            node.raw("cantine/paris/desks/j11/report", SensorReportText.make(occupied: true, seq: 1))  // marker
            #expect(await runtime.wait { $0.desks["j11"]?.occupancy == .occupied })
            // The second report only repeats the first: a heartbeat, taken in but journaled with
            // its minute's batch (here forced: the test's clock does not run).
            let j01 = {
                runtime.engine.read { [$0.desks["j01"]?.lastSeq, $0.desks["j01"]?.occupancy == .occupied ? 1 : 0] }
            }
            #expect(j01() == [1, 1])
            runtime.engine.flushHeartbeats(force: true)
            #expect(j01() == [2, 1])
            await watch.waitFor { $0.payloads("cantine/paris/desks/j01/state").last == "occupied" }
            #expect(watch.payloads("cantine/paris/desks/j01/state").last == "occupied")

            // Garbage of every kind, a replay and a redelivery, then a good report: the good
            // one lands, the rest is counted by reason (one connection keeps its order).
            let topic = "cantine/paris/desks/j01/report"
            node.raw(topic, "not json")
            node.raw(topic, #"{"occupied":"yes","seq":9,"uptime_s":9,"fw":"1"}"#)
            node.raw(topic, String(repeating: "x", count: 4096))
            node.raw("cantine/paris/desks/nope/report", SensorReportText.make(occupied: true, seq: 1))
            node.raw(topic, SensorReportText.make(occupied: false, seq: 1))
            node.raw(topic, SensorReportText.make(occupied: true, seq: 2))
            node.report(false)
            // A marker after them on the same connection: a fresh desk turns occupied at once.
            node.raw("cantine/paris/desks/j12/report", SensorReportText.make(occupied: true, seq: 1))
            #expect(await runtime.wait { $0.desks["j12"]?.occupancy == .occupied })
            #expect(runtime.engine.read { $0.desks["j01"]?.lastSeq } == 3)
            let rejected = service.ingest.rejections
            #expect(rejected["not_json"] == 1 && rejected["wrong_type"] == 1 && rejected["too_large"] == 1)
            #expect(rejected["unknown_desk"] == 1 && rejected["out_of_order"] == 1 && rejected["duplicate"] == 1)
            #expect(rejected["retained"] == 1)
            #expect(runtime.engine.read { $0.desks["f01"]?.lastSeq } == nil)
            #expect(service.ingest.acceptedCount == 5, "\(rejected)")

            // Every accepted report is in the journal with its seq and uptime.
            runtime.journal.flush()
            let reports = try runtime.store.read { db in
                try String.fetchAll(db, sql: "SELECT payload FROM journal WHERE kind = 'desk.reported' ORDER BY seq")
            }
            #expect(reports.count == 4)
            #expect(reports.first?.contains(#""seq":1"#) == true && reports.first?.contains(#""uptimeS":1001"#) == true)
            let beats = try runtime.store.read { db in
                try String.fetchAll(db, sql: "SELECT payload FROM journal WHERE kind = 'sensor.heartbeats'")
            }
            #expect(beats.count == 1 && beats.first?.contains(#"["j01",1,2,1002,0,"#) == true, "\(beats)")

            // The node's last will (here said for it): offline makes its desk unknown at once.
            node.raw("cantine/paris/nodes/node-j01/status", "offline", retain: true)
            #expect(await runtime.wait { $0.desks["j01"]?.occupancy == .unknown })
            #expect(runtime.engine.read { $0.nodes["node-j01"]?.fw } == "1.0.0")
            // A status from a node no desk names is refused and counted, never a crash.
            node.raw("cantine/paris/nodes/node-zz/status", "online")
            node.raw("cantine/paris/nodes/node-j01/status", "maybe")
            node.raw("cantine/paris/desks/j10/report", SensorReportText.make(occupied: true, seq: 1))  // marker
            #expect(await runtime.wait { $0.desks["j10"]?.occupancy == .occupied })
            #expect(service.ingest.rejections["unknown_node"] == 1 && service.ingest.rejections["bad_status"] == 1)
        }
        runtime.close()
    }

    @Test func aFloodingNodeIsCutToItsShare() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        let watch = try Collector(broker, topics: ["cantine/paris/status"])
        try await withMQTT(runtime, broker, limits: SensorIngest.Limits(perSecond: 2, burst: 20)) { service in
            await watch.waitFor { $0.payloads("cantine/paris/status").contains("online") }
            let node = try TestNode(broker, id: "node-j01", desk: "j01")
            for i in 0..<30 { node.report(i % 2 == 0) }  // the test clock stands still: no refill
            // j02 has its own share: its report lands, after j01's (one connection keeps order).
            node.raw("cantine/paris/desks/j02/report", SensorReportText.make(occupied: true, seq: 1))
            #expect(await runtime.wait { $0.desks["j02"]?.lastSeq == 1 })
            #expect(service.ingest.acceptedCount == 21)
            #expect(service.ingest.rejections["flood"] == 10)
        }
        runtime.close()
    }

    /// The persistent session survives the daemon's restart under MQTT v5 (where a session
    /// without an expiry ends with its connection): reports sent while it was away are waiting.
    @Test func reportsSentWhileTheDaemonRestartsWaitInItsSession() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        try await withMQTT(runtime, broker) { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
        }
        let node = try TestNode(broker, id: "node-j03", desk: "j03")
        for n in 0..<6 { node.report(n % 2 == 0) }
        let before = runtime.engine.read { $0.desks["j03"]?.lastSeq }
        #expect(before != 6)
        try await withMQTT(runtime, broker) { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            #expect(await runtime.wait { $0.desks["j03"]?.lastSeq == 6 })
            // Nothing the daemon itself said as it stopped (offline, desks unknown) is taken for
            // another client's. (Its own topics are watched at QoS 0 so that the broker queues
            // none of it; at QoS 1 this still passed: the new process knows no truth yet when
            // the queued messages arrive.)
            #expect(service.publisher.stats.overwritten == 0)
        }
    }

    @Test func theBrokerRestartingMidStreamLosesNoReportAndTheOutboxDrainsInOrder() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        let events = try Collector(broker, topics: ["cantine/paris/events"], id: "event-log", persistent: true)
        try await withMQTT(runtime, broker) { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            let nodes = try (1...4).map { try TestNode(broker, id: "node-j0\($0)", desk: "j0\($0)") }
            for round in 0..<25 { for node in nodes { node.report(round % 2 == 0) } }

            broker.stop()
            #expect(await service.client.waitAsync(connected: false, timeout: 10))
            let stopped = runtime.engine.lastSeq
            // While the broker is away: nodes hold their reports, the daemon its events.
            for round in 25..<50 { for node in nodes { node.report(round % 2 == 0) } }
            let door = DoorInput(door: "entree", runtime: runtime)
            for n in [1234, 9999, 1234, 4242] { door.frame(card(UInt64(n))) }
            service.publisher.flush()
            #expect(try runtime.store.outboxCount() >= 4)

            try broker.start()
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            // Each node then marks the end of its stream on a fresh desk (one connection keeps order).
            for (i, node) in nodes.enumerated() {
                node.raw("cantine/paris/desks/j0\(i + 5)/report", SensorReportText.make(occupied: true, seq: 1))
            }
            let marked = await runtime.wait { s in
                (5...8).allSatisfy { s.desks[DeskID("j0\($0)")]?.occupancy == .occupied }
            }
            #expect(marked)
            #expect(
                runtime.engine.read { s in (1...4).map { s.desks[DeskID("j0\($0)")]?.lastSeq } } == [50, 50, 50, 50])
            // Zero lost: every seq of every node taken in exactly once (redeliveries are duplicates).
            runtime.journal.flush()
            let accepted = try runtime.store.read { db in
                try String.fetchAll(db, sql: "SELECT payload FROM journal WHERE kind = 'desk.reported'")
            }.filter { p in (1...4).contains { p.contains(#""desk":"j0\#($0)""#) } }
            #expect(accepted.count == 200, "\(service.ingest.rejections)")
            #expect(service.ingest.acceptedCount == 200 + 4)  // and the four markers

            let received = await events.waitFor { m in m.count >= 4 }
            #expect(received.count >= 4)
            let ids = received.compactMap { m -> Int? in
                let text = String(decoding: m.payload, as: UTF8.self)
                guard let r = text.range(of: #""id":"paris/"#) else { return nil }
                return Int(text[r.upperBound...].prefix { $0.isNumber })
            }
            // What the outbox kept while the broker was away arrives in journal order. Events in
            // flight when the broker died (findings of the reports before it) are sent again by
            // the persistent session on reconnect, and may arrive after later ones: QoS 1 is at
            // least once, consumers de-duplicate by `id`.
            let kept = ids.filter { $0 > stopped }
            #expect(kept.count >= 4 && kept == kept.sorted(), "\(ids)")
            // A repeat is that same message (several in flight may come again as a group, so
            // repeats need not be adjacent); no id stands for two different messages.
            let texts = received.map { String(decoding: $0.payload, as: UTF8.self) }
            #expect(Set(texts).count == Set(ids).count, "\(texts)")
            #expect(try runtime.store.outboxCount() == 0)
            #expect(service.publisher.stats.drained >= 4)
        }
        runtime.close()
    }

    @Test func theACLKeepsANodeToItsOwnDeskAndRefusedCredentialsLeaveTheDoorsWorking() async throws {
        let site = try TestSite()
        let users = ["cantine": "s3cret", "node-j01": "n1", "node-j02": "n2"]
        let broker = try Broker(users: users, acl: BrokerACL.text(site.config))
        let runtime = try site.open()
        try await playADay(runtime, site.time)

        // Wrong password: doctor's probe names it; the service keeps retrying, doors decide.
        let refused = MosquittoClient.probe(broker.settings("probe", user: "cantine", password: "wrong"))
        #expect(refused?.contains("refused the connection") == true)
        #expect(refused?.contains("username/password") == true)
        #expect(MosquittoClient.probe(broker.settings("probe", user: "cantine", password: "s3cret")) == nil)
        try await withMQTT(runtime, broker, user: "cantine", password: "wrong") { service in
            #expect(await service.client.waitAsync(timeout: 10) { $0.refusal != nil })
            #expect(!service.client.isConnected)
            let applied = DoorInput(door: "entree", runtime: runtime).frame(card(1234))
            #expect(applied?.entry.access?.granted == true)
        }

        try await withMQTT(runtime, broker, user: "cantine", password: "s3cret") { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            let j01 = try TestNode(broker, id: "node-j01", desk: "j01", password: "n1")
            _ = try TestNode(broker, id: "node-j02", desk: "j02", password: "n2")
            // node-j01 speaking for j02: the broker drops it. Its own report, sent after, lands.
            j01.raw("cantine/paris/desks/j02/report", SensorReportText.make(occupied: true, seq: 1))
            j01.report(true)
            #expect(await runtime.wait { $0.desks["j01"]?.occupancy == .occupied })
            #expect(runtime.engine.read { $0.desks["j02"]?.lastSeq } == nil)
            #expect(service.ingest.acceptedCount == 1)
        }
        runtime.close()
    }

    @Test func aFullDiskRaisesTheJournalAlarmOnMQTTWhileTheDoorsDecideAndClearsIt() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        let watch = try Collector(broker, topics: ["cantine/paris/health", "cantine/paris/events"])
        try await withMQTT(runtime, broker) { service in
            runtime.journalHealth.watch { service.publisher.journal(failing: $0) }  // as MQTTService(config:) does
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            #expect(await !watch.waitFor { $0.contains { $0.topic == "cantine/paris/health" } }.isEmpty)
            try await runtime.store.pool.writeWithoutTransaction { db in
                let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                try db.execute(sql: "PRAGMA max_page_count = \(pages)")
            }
            let entree = DoorInput(door: "entree", runtime: runtime)
            for _ in 0..<100 { #expect(entree.frame(card(1234))?.entry.access?.granted == true) }
            // A named predicate. Passed inline as a trailing closure (two nested `contains`
            // joined by `&&`), it answered true on a list holding neither message in about one
            // run in five under parallel load (root cause not found: compiler or runtime); stored
            // first, it passed 20 runs in a row.
            let failing: @Sendable ([InboundMessage]) -> Bool = { m in
                let texts = m.map { String(decoding: $0.payload, as: UTF8.self) }
                let health = texts.contains { $0.contains(#""journal":"failing""#) }
                let alarm = texts.contains { $0.contains(#""alarm":"journal_failing""#) }
                return health && alarm
            }
            let raised = await watch.waitFor(failing)
            #expect(failing(raised))
            #expect(
                raised.contains { String(decoding: $0.payload, as: UTF8.self).contains("disk full") },
                "\(raised.map { String(decoding: $0.payload, as: UTF8.self) })")
            try await runtime.store.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA max_page_count = 1073741823")
            }
            await runtime.journal.waitDurable(through: runtime.engine.lastSeq)
            let cleared = await watch.waitFor { m in
                let last = m.last { $0.topic == "cantine/paris/health" }.map {
                    String(decoding: $0.payload, as: UTF8.self)
                }
                return last?.contains(#""journal":"ok""#) == true
                    && m.contains { String(decoding: $0.payload, as: UTF8.self).contains(#""active":false"#) }
            }
            #expect(cleared.contains { String(decoding: $0.payload, as: UTF8.self).contains(#""active":false"#) })
        }
        runtime.close()
    }

    /// A clock the kernel calls unsynchronised: the retained health says so with why, an
    /// alarm goes out, and both clear once NTP has set the clock.
    @Test func anUnsynchronisedClockRaisesItsAlarmOnMQTTAndClearsIt() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        let watch = try Collector(broker, topics: ["cantine/paris/health", "cantine/paris/events"])
        try await withMQTT(runtime, broker) { service in
            runtime.clock.watch { service.publisher.clock(unsynced: $0) }  // as MQTTService(config:) does
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            let synced = await watch.waitFor { m in
                m.contains { String(decoding: $0.payload, as: UTF8.self).contains(#""clock":"synced""#) }
            }
            #expect(synced.contains { String(decoding: $0.payload, as: UTF8.self).contains(#""clock":"synced""#) })
            site.time.setSynchronized(false)
            runtime.clock.check(force: true)
            let unsynced: @Sendable ([InboundMessage]) -> Bool = { m in
                let texts = m.map { String(decoding: $0.payload, as: UTF8.self) }
                let health = texts.contains { $0.contains(#""clock":"unsynced""#) && $0.contains("no time server") }
                let alarm = texts.contains {
                    $0.contains(#""alarm":"clock_unsynced""#) && $0.contains(#""active":true"#)
                }
                return health && alarm
            }
            let raised = await watch.waitFor(unsynced)
            #expect(unsynced(raised), "\(raised.map { String(decoding: $0.payload, as: UTF8.self) })")
            site.time.setSynchronized(true)
            runtime.clock.check(force: true)
            let cleared: @Sendable ([InboundMessage]) -> Bool = { m in
                let last = m.last { $0.topic == "cantine/paris/health" }.map {
                    String(decoding: $0.payload, as: UTF8.self)
                }
                let alarm = m.contains {
                    let text = String(decoding: $0.payload, as: UTF8.self)
                    return text.contains(#""alarm":"clock_unsynced""#) && text.contains(#""active":false"#)
                }
                return last?.contains(#""clock":"synced""#) == true && alarm
            }
            #expect(cleared(await watch.waitFor(cleared)))
        }
        runtime.close()
    }

    @Test func theSampleBrokerConfigTakesNodesOverTLSWithTheirOwnCredentialsOnly() async throws {
        let site = try TestSite()
        let users = ["cantine": "s3cret", "node-j01": "n1", "node-j02": "n2"]
        let broker = try Broker(sample: users, acl: BrokerACL.text(site.config))
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        // TLS with the site's CA; refused without credentials, or without TLS on the TLS port.
        #expect(MosquittoClient.probe(broker.settings("probe", user: "cantine", password: "s3cret", tls: true)) == nil)
        let anonymous = MosquittoClient.probe(broker.settings("probe", tls: true))
        #expect(anonymous?.contains("refused the connection") == true, "\(anonymous ?? "accepted")")
        var plain = broker.settings("probe", user: "cantine", password: "s3cret")
        plain.port = broker.tlsPort
        #expect(MosquittoClient.probe(plain, timeout: 3) != nil)
        // The daemon on loopback (plain), the nodes over TLS with their own users.
        try await withMQTT(runtime, broker, user: "cantine", password: "s3cret") { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            let j01 = try TestNode(broker, id: "node-j01", desk: "j01", password: "n1", tls: true)
            j01.raw("cantine/paris/desks/j02/report", SensorReportText.make(occupied: true, seq: 1))
            j01.report(true)
            #expect(await runtime.wait { $0.desks["j01"]?.occupancy == .occupied })
            #expect(runtime.engine.read { $0.desks["j02"]?.lastSeq } == nil)
            #expect(service.ingest.acceptedCount == 1)
        }
        // The daemon over TLS too.
        try await withMQTT(runtime, broker, user: "cantine", password: "s3cret", tls: true) { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
        }
        runtime.close()
    }

    @Test func aRoomSensorNodeReportsOnItsRoomsTopicOnlyAndTheRoomIsPublished() async throws {
        let site = try TestSite()
        let users = ["cantine": "s3cret", "salle-1-pir": "r1"]
        // The generated ACL, plus the test collector's own ping topic.
        let acl = BrokerACL.text(site.config) + "\nuser cantine\ntopic readwrite cantine-test/#\n"
        let broker = try Broker(users: users, acl: acl)
        let runtime = try site.open()
        let watch = try Collector(
            broker, topics: ["cantine/paris/rooms/+/state", "homeassistant/binary_sensor/#"], user: "cantine",
            password: "s3cret")
        try await withMQTT(runtime, broker, user: "cantine", password: "s3cret") { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            let pir = try TestNode(broker, id: "salle-1-pir", desk: "salle-1", password: "r1")
            // The room's node speaking for a desk: the broker drops it. Its room's report lands.
            pir.raw("cantine/paris/desks/j01/report", SensorReportText.make(occupied: true, seq: 1))
            pir.raw("cantine/paris/rooms/salle-1/report", SensorReportText.make(occupied: true, seq: 2))
            #expect(await runtime.wait { $0.rooms["salle-1"]?.occupancy == .occupied })
            #expect(runtime.engine.read { $0.desks["j01"]?.lastSeq } == nil)
            #expect(runtime.engine.read { $0.nodes["salle-1-pir"]?.fw } == "1.0.0")
            await watch.waitFor { $0.payloads("cantine/paris/rooms/salle-1/state").last == "occupied" }
            #expect(watch.payloads("cantine/paris/rooms/salle-1/state").last == "occupied")
            // Home Assistant sees the room as an occupancy binary_sensor, unavailable with its node.
            let topic = "homeassistant/binary_sensor/cantine_paris_room_salle-1/config"
            await watch.waitFor { !$0.payloads(topic).isEmpty }
            let config = try #require(watch.payloads(topic).last)
            let room = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any]
            #expect(room?["device_class"] as? String == "occupancy")
            #expect(room?["state_topic"] as? String == "cantine/paris/rooms/salle-1/state")
            let availability = (room?["availability"] as? [[String: String]])?.compactMap { $0["topic"] }
            #expect(availability == ["cantine/paris/status", "cantine/paris/nodes/salle-1-pir/status"])
            // A report for a room the config does not have is refused by name (then a marker on
            // the same connection: a fresh desk turns occupied, so the report has been handled).
            let other = watch.client
            _ = other.publish("cantine/paris/rooms/cave/report", SensorReportText.make(occupied: true, seq: 1))
            _ = other.publish("cantine/paris/desks/j12/report", SensorReportText.make(occupied: true, seq: 1))
            #expect(await runtime.wait { $0.desks["j12"]?.occupancy == .occupied })
            #expect(service.ingest.rejections["unknown_room"] == 1)
        }
        runtime.close()
    }

    /// Two daemons on one broker with one client id (a config copied to a second Pi). The
    /// broker here (Debian 12's mosquitto 2.0.11) closes the old connection without saying why
    /// (reason 0x8E comes with 2.0.15): the two take the session from each other until one sees
    /// three of its connections closed within seconds of being accepted; that one says so on
    /// /healthz (not "unreachable") and waits 30 s before connecting again; the other keeps the
    /// session. (SessionWatchTests covers the broker that says 0x8E.)
    @Test func twoDaemonsWithOneClientIDDoNotFightAndTheAlarmNamesTheTakeover() async throws {
        let broker = try Broker()
        let first = try TestSite().open()
        let second = try TestSite().open()
        try await withMQTT(first, broker) { older in
            #expect(await older.client.waitAsync(connected: true, timeout: 10))
            #expect(older.health().status == "ok" && older.client.takeover == nil)
            try await withMQTT(second, broker) { newer in
                // They fight until one of them counts three short-lived connections.
                #expect(
                    await older.client.waitAsync(timeout: 30) { _ in
                        older.client.takeover != nil || newer.client.takeover != nil
                    })
                let (out, holder) = older.client.takeover != nil ? (older, newer) : (newer, older)
                let health = out.health()
                #expect(health.status == "degraded" && health.values["session_takeovers"] == 1)
                let detail = health.detail ?? ""
                #expect(detail.hasPrefix("mqtt_session_taken_over: the broker at 127.0.0.1:"), "\(detail)")
                #expect(
                    detail.contains("client id 'cantine-paris'") && detail.contains("connecting again 30 s after it"))
                #expect(!detail.contains("unreachable"))
                // Neither fights any more: that one waits its 30 s; the other keeps the session.
                #expect(await holder.client.waitAsync(connected: true, timeout: 5))
                #expect(!(await out.client.waitAsync(connected: true, timeout: 4)))
                #expect(holder.client.isConnected && holder.client.takeover == nil)
                #expect(holder.health().status == "ok")
            }
        }
    }

    /// `cantine doctor` before a second daemon starts: the broker's retained health names the
    /// client id and host of the daemon online there, so a copied config is caught.
    @Test func doctorFindsTheDaemonOnlineWithOurClientID() async throws {
        let broker = try Broker()
        let running = try TestSite().open()
        try await withMQTT(running, broker) { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            let watch = try Collector(broker, topics: ["cantine/paris/health"])
            await watch.waitFor { !$0.payloads("cantine/paris/health").isEmpty }
            let holders = MosquittoClient.holders(broker.settings("cantine-paris"))
            let host = ProcessInfo.processInfo.hostName
            #expect(holders == [.init(site: "paris", clientID: "cantine-paris", host: host, online: true)])
            // A second daemon (another Pi, or this one with a copied config) with the same id.
            let clash = Doctor.clientIDCheck(
                broker.settings("cantine-paris"), site: "lyon", holders: holders, localDaemon: false)
            #expect(!clash.ok)
            #expect(
                clash.detail
                    == "client id 'cantine-paris' is in use: site 'paris''s daemon on host '\(host)' is online on 127.0.0.1:\(broker.port) with it; two clients with one id take each other's session: give this daemon its own [mqtt] client_id"
            )
            // The running daemon itself, and a daemon with its own id, are fine.
            #expect(
                Doctor.clientIDCheck(
                    broker.settings("cantine-paris"), site: "paris", holders: holders, localDaemon: true
                ).ok)
            #expect(
                Doctor.clientIDCheck(
                    broker.settings("cantine-lyon"), site: "lyon", holders: holders, localDaemon: false
                )
                .ok)
        }
    }

    /// Our topics are ours: a retained door state another client writes is put back by the
    /// daemon (counted, logged); its own messages coming back from the broker never are.
    @Test func aRetainedStateOverwrittenByAnotherClientIsPutBack() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        try await playADay(runtime, site.time)
        let watch = try Collector(broker, topics: ["cantine/paris/doors/+/state", "cantine/paris/status"])
        try await withMQTT(runtime, broker) { service in
            #expect(await service.client.waitAsync(connected: true, timeout: 10))
            await watch.waitFor { $0.payloads("cantine/paris/doors/entree/state") == ["locked"] }
            // The daemon's own messages, echoed back by the broker (every state published at
            // connect), are not someone else's.
            service.publisher.flush()
            await watch.waitFor { $0.payloads("cantine/paris/status") == ["online"] }
            #expect(service.publisher.stats.overwritten == 0)

            // Someone publishes a stale "unlocked" and an "offline" on the daemon's topics.
            _ = watch.client.publish("cantine/paris/doors/entree/state", "unlocked", retain: true)
            _ = watch.client.publish("cantine/paris/status", "offline", retain: true)
            await watch.waitFor {
                $0.payloads("cantine/paris/doors/entree/state").suffix(2) == ["unlocked", "locked"]
                    && $0.payloads("cantine/paris/status").suffix(2) == ["offline", "online"]
            }
            #expect(service.publisher.stats.overwritten == 2 && service.publisher.stats.repaired == 2)
            #expect(service.health().values["retained_overwrites"] == 2)
            // What a client arriving now is given: the daemon's truth.
            let late = try Collector(broker, topics: ["cantine/paris/doors/entree/state", "cantine/paris/status"])
            await late.waitFor { $0.count >= 2 }
            #expect(late.payloads("cantine/paris/doors/entree/state") == ["locked"])
            #expect(late.payloads("cantine/paris/status") == ["online"])
        }
    }

    @Test func twoReportStreamsOnOneDeskTopicAreAContradictingSensor() async throws {
        let broker = try Broker()
        let site = try TestSite()
        let runtime = try site.open()
        let watch = try Collector(broker, topics: ["cantine/paris/status"])
        try await withMQTT(runtime, broker) { service in
            // "online" is sent after the subscriptions, on the same connection: the daemon listens.
            await watch.waitFor { $0.payloads("cantine/paris/status").contains("online") }
            // Two nodes flashed for desk j01: one up for 1,100 s, one for 1,001 s, interleaved.
            let rogue = try TestNode(broker, id: "rogue")
            let topic = "cantine/paris/desks/j01/report"
            for i in UInt32(0)..<6 {
                rogue.raw(topic, SensorReportText.make(occupied: true, seq: 100 + i))
                rogue.raw(topic, SensorReportText.make(occupied: false, seq: 1 + i))
            }
            // A marker on the same connection: a fresh desk turns occupied once all is handled.
            rogue.raw("cantine/paris/desks/j12/report", SensorReportText.make(occupied: true, seq: 1))
            #expect(await runtime.wait { $0.desks["j12"]?.occupancy == .occupied })
            #expect(
                runtime.engine.read { s in
                    s.findings.values.contains { $0.desk == "j01" && $0.detail == "contradicting" }
                })
            #expect(service.ingest.rejections["out_of_order"] == 6)
            // The stream taken in repeats itself: heartbeats after the first, judged against
            // the latest of them, journaled with their batch.
            #expect(runtime.engine.read { $0.desks["j01"]?.lastSeq } == 100)
            runtime.engine.flushHeartbeats(force: true)
            #expect(runtime.engine.read { $0.desks["j01"]?.lastSeq } == 105)
            runtime.journal.flush()
            let conflicts = try runtime.store.read { db in
                try String.fetchAll(db, sql: "SELECT payload FROM journal WHERE kind = 'sensor.conflict'")
            }
            #expect(conflicts.count == 1)
            #expect(conflicts.first?.contains(#""desk":"j01""#) == true)
            #expect(conflicts.first?.contains(#""refused":5"#) == true)
        }
        runtime.close()
    }

    @Test func aDeskLeavingTheConfigLosesItsDiscoveryEntity() async throws {
        let broker = try Broker()
        let site = try TestSite()
        var runtime = try site.open()
        let watch = try Collector(broker, topics: ["homeassistant/#"])
        let f12 = "homeassistant/binary_sensor/cantine_paris_desk_f12/config"
        try await withMQTT(runtime, broker) { _ in
            await watch.waitFor { !$0.payloads(f12).isEmpty }
        }
        runtime.close()
        let smaller = try Config.parse(
            SampleConfig.text(databasePath: site.config.database.path, simulated: true, desksPerZone: 11),
            file: "smaller.toml")
        runtime = try Site.open(
            config: smaller, role: .daemon, time: site.time, version: "test", logger: Logger(label: "test"))
        try await withMQTT(runtime, broker) { _ in
            await watch.waitFor { $0.payloads(f12).last == "" }
        }
        #expect(watch.payloads(f12).last == "")
        #expect(watch.snapshot.last { $0.topic == f12 }?.payload.isEmpty == true)
        runtime.close()
    }

    /// A client's owner may go while one of its callbacks runs (a test's collector, a
    /// service torn down mid-message): the callback then holds the last reference, and the
    /// owner's `stop()` and the client's `deinit` run on the network thread, which cannot join
    /// itself. Destroying the handle there freed what libmosquitto used on return (CI aborted
    /// in the "mosquitto loop" thread); now the loop ends and another thread destroys it.
    @Test func aClientWhoseLastReferenceGoesInItsOwnCallbackIsTornDownOffItsNetworkThread() throws {
        final class Holder: Sendable {
            let owner = Mutex<Owner?>(nil)
            let calledOnNetworkThread = Mutex<Bool?>(nil)
        }
        // Shaped like `Collector`: weak callbacks, and a deinit that stops the client.
        final class Owner: Sendable {
            let client: MosquittoClient
            let freed: DispatchSemaphore
            init(_ broker: Broker, id: String, holder: Holder, freed: DispatchSemaphore) throws {
                self.freed = freed
                client = try MosquittoClient(settings: broker.settings(id))
                try client.start(
                    subscriptions: ["cantine-test/drop"],
                    onMessage: { [weak self] _ in
                        guard let self else { return }
                        holder.calledOnNetworkThread.withLock { $0 = self.client.onNetworkThread }
                        holder.owner.withLock { $0 = nil }  // this callback holds the last reference now
                    })
            }
            deinit {
                client.stop()
                freed.signal()
            }
        }

        let broker = try Broker()
        let holder = Holder()
        let freed = DispatchSemaphore(value: 0)
        let id = "dropped-\(UUID().uuidString.prefix(8))"
        weak var weakClient: MosquittoClient?
        do {
            let owner = try Owner(broker, id: id, holder: holder, freed: freed)
            #expect(owner.client.wait(connected: true, timeout: 10))
            weakClient = owner.client
            holder.owner.withLock { $0 = owner }
        }

        let sender = try Collector(broker, topics: [])
        _ = sender.client.publish("cantine-test/drop", "go")
        #expect(freed.wait(timeout: .now() + 10) == .success, "the owner went in its client's callback")
        #expect(holder.calledOnNetworkThread.withLock { $0 } == true)
        // The client went too, and its connection ended cleanly: the broker logs the DISCONNECT.
        #expect(broker.waitForLog("Client \(id) disconnected."))
        #expect(weakClient == nil)
        // The process is alive and the broker still serves: a round trip through another client.
        let after = try Collector(broker, topics: ["cantine-test/after"])
        _ = after.client.publish("cantine-test/after", "ok")
        #expect(after.blockingWait { $0.count == 1 }.payloads("cantine-test/after") == ["ok"])
    }

    /// libmosquitto 2.0.11's own loop missed a disconnect that landed while it reconnected, and
    /// its loop_stop then waited forever (a chaos run that never ended in CI). Here the broker
    /// is replaced by a listener whose queue is full, so the client's reconnect hangs in the
    /// TCP handshake (its SYNs dropped), and the client is stopped right then.
    @Test func aClientStoppedWhileItReconnectsStops() throws {
        let broker = try Broker()
        let client = try MosquittoClient(settings: broker.settings("reconnecting-\(UUID().uuidString.prefix(8))"))
        try client.start()
        #expect(client.wait(connected: true, timeout: 10))
        broker.stop()
        #expect(client.wait(connected: false, timeout: 10))
        let tarpit = try Tarpit(port: broker.port)
        defer { tarpit.close() }
        // The client's next attempt (after its 1 s backoff) is a SYN nobody answers.
        var handshaking = false
        for _ in 0..<1000 where !handshaking {
            handshaking = Tarpit.synSent(toPort: broker.port)
            if !handshaking { usleep(10_000) }
        }
        #expect(handshaking, "the client tried to connect again")
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            client.stop()
            stopped.signal()
        }.start()
        #expect(stopped.wait(timeout: .now() + 15) == .success, "stop() returned while the client reconnected")
    }

    @Test func aStoppedClientSaysSoWhenStartedAgain() throws {
        let client = try MosquittoClient(settings: MQTTSettings(host: "127.0.0.1", port: 1, clientID: "stopped"))
        client.stop()
        #expect(throws: MQTTError.self) { try client.start() }
        #expect(!client.isConnected)
    }

    @Test func reconnectsBackOffOneTwoFourThenFiveSecondsOrAsATakeoverAsks() {
        var backoff = Backoff()
        var waits: [Int] = []
        for _ in 0..<5 { waits.append(backoff.next()) }
        #expect(waits == [1, 2, 4, 5, 5])
        backoff.connected()
        #expect(backoff.next() == 1)
        backoff.asked = 30
        let (takeover, after) = (backoff.next(), backoff.next())
        #expect(takeover == 30 && after == 4, "a takeover's wait is used once")
    }
}

/// A TCP listener whose accept queue is full: the kernel drops further SYNs, so a connect()
/// to it stays in its handshake (SYN_SENT) for seconds, as to a host that does not answer.
final class Tarpit {
    let listener: Int32
    let queued: Int32

    init(port: Int) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let tcp = Int32(SOCK_STREAM.rawValue)
        let (listener, queued) = (socket(AF_INET, tcp, 0), socket(AF_INET, tcp, 0))
        (self.listener, self.queued) = (listener, queued)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, size) }
        }
        guard bound == 0, listen(listener, 0) == 0 else { throw POSIXError(.EADDRINUSE) }
        // One connection fills a queue of 0 (Linux keeps backlog + 1); nobody accepts it.
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(queued, $0, size) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func close() {
        Glibc.close(queued)
        Glibc.close(listener)
    }

    /// Whether a socket of this machine is in SYN_SENT to `port` on 127.0.0.1 (/proc/net/tcp,
    /// read to its end: it comes a page at a time, and the sockets of other tests fill pages).
    static func synSent(toPort port: Int) -> Bool {
        guard let data = FileHandle(forReadingAtPath: "/proc/net/tcp")?.readDataToEndOfFile() else { return false }
        let table = String(decoding: data, as: UTF8.self)
        let remote = String(format: "0100007F:%04X", port)
        return table.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[2] == remote && fields[3] == "02"
        }
    }
}

/// Home Assistant's free-desk sensors, rendered by Jinja2 (the engine Home Assistant renders
/// templates with) over the retained occupancy the daemon publishes: a night of silent sensors
/// reads unknown ("None"), never 0 free.
@Suite struct FreeDesksTemplateTests {
    @Test func silentSensorsAreUnknownNotZeroFree() throws {
        let layout = SiteLayout(
            site: "paris", name: "La Cantine", capacity: 10, zones: [Zone(id: "fenetre", name: "Fenêtre")], doors: [],
            desks: ["f01", "f02", "f03"].map {
                Desk(id: DeskID($0), name: $0, zone: "fenetre", sensor: .node(NodeID("n-\($0)")))
            },
            rooms: [])
        let config = try #require(
            Discovery.messages(for: layout, topics: Topics(site: "paris"), version: "t").first {
                $0.topic.hasSuffix("free_desks_fenetre/config")
            })
        let entity = try #require(try JSONSerialization.jsonObject(with: Data(config.payload.utf8)) as? [String: Any])
        let template = try #require(entity["value_template"] as? String)
        let t0 = Instant(seconds: 1_795_251_600)
        func retained(_ reports: [(DeskID, Bool)]) throws -> String {
            var state = State()
            _ = Reducer.apply(&state, .layoutApplied(layout), now: t0)
            for (desk, occupied) in reports {
                _ = Reducer.apply(&state, .deskReported(DeskReport(desk: desk, occupied: occupied)), now: t0)
            }
            return String(decoding: try JSONEncoder().encode(state.occupancy(at: t0)), as: UTF8.self)
        }
        let cases: [(String, [(DeskID, Bool)])] = [
            ("None", []),  // every sensor silent: unknown
            ("None", [("f01", true)]),  // one occupied, two unknown: nothing known free
            ("2", [("f01", true), ("f02", false), ("f03", false)]),
            ("1", [("f01", false)]),  // one known free, two unknown: at least one
            ("0", [("f01", true), ("f02", true), ("f03", true)]),  // really full
        ]
        for (expected, reports) in cases {
            let script = """
                import jinja2, json, sys
                t = jinja2.Environment().from_string(sys.argv[1])
                print(t.render(value_json=json.loads(sys.argv[2])), end="")
                """
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = ["python3", "-c", script, template, try retained(reports)]
            let out = Pipe()
            python.standardOutput = out
            try python.run()
            python.waitUntilExit()
            try #require(python.terminationStatus == 0, "python3 with jinja2 is missing: run scripts/setup-deps")
            let rendered = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(rendered == expected, "\(reports)")
        }
    }
}
