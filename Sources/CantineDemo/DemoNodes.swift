// The demo's sensor nodes on MQTT as the firmware is (Firmware/desk-node): each node its own
// connection, `nodes/<node>/status` retained `online` once connected with `offline` as its
// last will, and `offline` when the demo stops — so Home Assistant's desk and room entities,
// whose availability includes their node's status, are available in the demo. (The nodes'
// reports reach the engine directly: DemoHardware.)

import CantineCore
import CantineMQTT
import Logging
import ServiceLifecycle

struct DemoNodes: Service {
    let nodes: [NodeID]
    let settings: MQTTSettings
    let topics: Topics
    let logger: Logger

    init(layout: SiteLayout, settings: MQTTSettings, logger: Logger) {
        // The crowd's nodes (a large demo site) do not connect: hundreds of clients for a status.
        let cast = layout.desks.filter { !DemoCrowd.plays($0.id) }
        nodes = Array(Set(cast.compactMap(\.node) + layout.rooms.compactMap(\.node))).sorted { $0 < $1 }
        self.settings = settings
        topics = Topics(site: layout.site)
        self.logger = logger
    }

    func run() async throws {
        var clients: [(NodeID, MosquittoClient)] = []
        for node in nodes {
            var s = settings
            s.clientID = "demo-node-\(node)"
            s.persistentSession = false
            let status = topics.nodeStatus(node)
            do {
                let client = try MosquittoClient(settings: s, will: (status, "offline"))
                // Set before starting: a quick connect calls back at once.
                let weak = WeakClient()
                weak.client = client
                try client.start(onConnect: { weak.client?.publish(status, "online", retain: true) })
                clients.append((node, client))
            } catch {
                logger.warning("demo node \(node) cannot reach the broker: \(error)")
            }
        }
        try? await gracefulShutdown()
        for (node, client) in clients {
            // Queued before the DISCONNECT on the same connection: the broker has it first.
            client.publish(topics.nodeStatus(node), "offline", retain: true)
            client.stop()
        }
    }
}

/// The client a connect callback publishes with, set once it exists.
private final class WeakClient: @unchecked Sendable {
    weak var client: MosquittoClient?
}
