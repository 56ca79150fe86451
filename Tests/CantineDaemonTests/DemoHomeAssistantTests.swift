// The demo as Home Assistant sees it: every discovery config's availability topics retained
// `online` (the daemon's and each sensor node's, published as the firmware does), names in
// the site's language, and the nodes `offline` once the demo stops.

import CantineMQTT
import Foundation
import Testing

@Suite struct DemoHomeAssistantTests {
    @Test func everyEntityOfTheDemoIsAvailable() async throws {
        let broker = try Broker()
        defer { broker.stop() }
        let demo = try DemoProcess(speed: 60, mqttPort: broker.port)
        let all = try Collector(broker, topics: ["homeassistant/#", "cantine/paris/#"])
        @Sendable func configs(_ messages: [InboundMessage]) -> [[String: Any]] {
            messages.filter { $0.topic.hasPrefix("homeassistant/") && $0.topic.hasSuffix("/config") }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any]
            }
        }
        @Sendable func availability(_ config: [String: Any]) -> [String] {
            ((config["availability"] as? [[String: Any]]) ?? []).compactMap { $0["topic"] as? String }
        }
        @Sendable func online(_ messages: [InboundMessage], _ topic: String) -> Bool {
            messages.payloads(topic).last == "online"
        }
        let seen = await all.waitFor { messages in
            let found = configs(messages)
            return found.count >= 30
                && found.allSatisfy { config in availability(config).allSatisfy { online(messages, $0) } }
        }
        let found = configs(seen)
        #expect(found.count >= 30, "discovery configs: \(found.count)")
        let topics = Set(found.flatMap(availability))
        #expect(topics.contains { $0.contains("/nodes/") }, "desk and room entities wait on their nodes")
        let offline = topics.sorted().filter { !online(seen, $0) }
        #expect(offline.isEmpty, "not online: \(offline.map { "\($0) \(seen.payloads($0))" })")
        // Names in the site's language (the demo's is French).
        let names = found.compactMap { $0["name"] as? String }
        #expect(names.contains("Personnes présentes"))
        #expect(names.contains { $0.hasPrefix("Bureaux libres ") } && names.contains { $0.hasPrefix("Verrou ") })
        #expect(!names.contains { $0.hasSuffix(" lock") || $0.hasPrefix("Free desks") })

        // Stopped, the nodes say they are offline (as their last will would on a power cut).
        kill(demo.process.processIdentifier, SIGTERM)
        demo.process.waitUntilExit()
        let nodeTopics = topics.filter { $0.contains("/nodes/") }
        let after = try Collector(broker, topics: Array(nodeTopics))
        let retained = await after.waitFor { m in nodeTopics.allSatisfy { !m.payloads($0).isEmpty } }
        let still = nodeTopics.sorted().filter { retained.payloads($0).last != "offline" }
        #expect(still.isEmpty, "not offline: \(still)")
    }
}
