// SessionWatch on an injected clock: a broker that says "session taken over" (v5 reason 0x8E)
// is believed at once; one that only closes the connection is taken at its third close within
// a minute of a connection it had just accepted; broker restarts and a clean stop are not a
// takeover; the wait doubles when it happens again soon and is forgotten after ten minutes
// connected.

import CantineMQTT
import Foundation
import Testing

@Suite struct SessionWatchTests {
    let t0 = Date(timeIntervalSince1970: 1_796_400_000)
    func at(_ s: TimeInterval) -> Date { t0.addingTimeInterval(s) }

    @Test func aBrokerThatSaysSoIsBelievedAtOnce() {
        var watch = SessionWatch(backoff: 30)
        watch.connected(at: at(0))
        let takeover = watch.disconnected(reason: 0x8E, at: at(3600))
        #expect(takeover == SessionTakeover(count: 1, at: at(3600), backoff: 30, certain: true))
        #expect(watch.current(at: at(3601)) == takeover)
    }

    @Test func closesRightAfterConnectingAreATakeoverAtTheThirdInAMinute() {
        var watch = SessionWatch(backoff: 30)
        let lost: Int32 = 7  // MOSQ_ERR_CONN_LOST: the broker closed the connection
        watch.connected(at: at(0))
        #expect(watch.disconnected(reason: lost, at: at(3600)) == nil)  // the newer one connects
        watch.connected(at: at(3601))
        #expect(watch.disconnected(reason: lost, at: at(3602)) == nil)
        watch.connected(at: at(3603))
        #expect(watch.disconnected(reason: lost, at: at(3604)) == nil)
        watch.connected(at: at(3605))
        let takeover = watch.disconnected(reason: lost, at: at(3606))
        #expect(takeover == SessionTakeover(count: 1, at: at(3606), backoff: 30, certain: false))
    }

    @Test func aBrokerRestartOrACleanStopIsNotATakeover() {
        var watch = SessionWatch(backoff: 30)
        watch.connected(at: at(0))
        #expect(watch.disconnected(reason: 7, at: at(100)) == nil)  // the broker went away
        // Reconnecting fails while it is down: no connection, nothing to count.
        #expect(watch.disconnected(reason: 7, at: at(101)) == nil)
        watch.connected(at: at(160))
        #expect(watch.disconnected(reason: 7, at: at(161)) == nil)  // restarted again at once
        watch.connected(at: at(162))
        #expect(watch.disconnected(reason: 7, at: at(200)) == nil)  // held 38 s: not a fight
        watch.connected(at: at(201))
        #expect(watch.disconnected(reason: 7, at: at(400)) == nil)
        watch.connected(at: at(401))
        #expect(watch.disconnected(reason: 0, at: at(402)) == nil)  // we stopped
        #expect(watch.current(at: at(403)) == nil)
    }

    @Test func theWaitDoublesWhenItHappensAgainSoonAndIsForgottenAfterTenMinutes() {
        var watch = SessionWatch(backoff: 30)
        watch.connected(at: at(0))
        #expect(watch.disconnected(reason: 0x8E, at: at(10))?.backoff == 30)
        watch.connected(at: at(40))
        #expect(watch.disconnected(reason: 0x8E, at: at(50))?.backoff == 60)
        watch.connected(at: at(110))
        #expect(
            watch.disconnected(reason: 0x8E, at: at(120))
                == SessionTakeover(count: 3, at: at(120), backoff: 120, certain: true))
        // Held for ten minutes: forgotten; the next one starts from 30 s again.
        watch.connected(at: at(240))
        #expect(watch.current(at: at(600)) != nil)
        #expect(watch.current(at: at(840)) == nil)
        #expect(watch.disconnected(reason: 0x8E, at: at(900))?.backoff == 30)
        // Never more than ten minutes.
        var t = 900.0
        var last = 0
        for _ in 0..<8 {
            watch.connected(at: at(t + 1))
            last = watch.disconnected(reason: 0x8E, at: at(t + 2))?.backoff ?? 0
            t += 3
        }
        #expect(last == 600)
    }
}
