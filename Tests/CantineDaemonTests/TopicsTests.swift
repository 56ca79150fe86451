// The topic contract read byte by byte (Topics.levels): what the ingest takes in, and which
// topics are the daemon's own retained state, for the shapes a broker can deliver.

import CantineCore
import CantineMQTT
import Testing

@Suite struct TopicsTests {
    let topics = Topics(site: "paris")

    @Test func inboundTopicsAreReadAndEverythingElseIsNot() {
        #expect(topics.parse("cantine/paris/desks/f01/report") == .deskReport("f01"))
        #expect(topics.parse("cantine/paris/rooms/salle-1/report") == .roomReport("salle-1"))
        #expect(topics.parse("cantine/paris/nodes/node-7/status") == .nodeStatus("node-7"))
        for topic in [
            "cantine/lyon/desks/f01/report", "cantine/paris/desks/f01/state", "cantine/paris/desks/f01",
            "cantine/paris/desks/f01/report/x", "cantine/paris/desks//report", "cantine/paris/desks/F 01/report",
            "cantine/paris/doors/entree/report", "cantine/paris/nodes/n1/report", "cantine/paris/rooms/r1/status",
            "cantine/paris/", "cantine/paris", "", "/cantine/paris/desks/f01/report", "cantine/paris/deskss/f01/report",
        ] {
            #expect(topics.parse(topic) == nil, "\(topic)")
        }
    }

    @Test func theDaemonsOwnStateTopicsAreKnownAndReportsAreNot() {
        for topic in [
            "cantine/paris/status", "cantine/paris/occupancy", "cantine/paris/health", "cantine/paris/desks/f01/state",
            "cantine/paris/rooms/salle-1/state", "cantine/paris/doors/entree/state",
        ] {
            #expect(topics.isOwnState(topic), "\(topic)")
        }
        for topic in [
            "cantine/paris/desks/f01/report", "cantine/paris/events", "cantine/paris/status/x", "cantine/lyon/status",
            "cantine/paris/nodes/n1/state", "cantine/paris/desks/f01/state/x", "homeassistant/status", "",
        ] {
            #expect(!topics.isOwnState(topic), "\(topic)")
        }
    }
}
