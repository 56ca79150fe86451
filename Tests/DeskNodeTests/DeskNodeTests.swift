// The node's logic on the host with an injected millisecond tick: the ESP-AT sequence,
// failures with backoff and reset, reconnects, reports the daemon's decoder reads, presence
// from the radar, its OUT pin and the PIR, and a tick that wraps.
import CantineProtocol
import Testing

@testable import DeskNode

/// A basic-mode LD2410 target report: `state` 0 nobody, 1 moving, 2 still; one distance for both.
func radarFrame(_ state: UInt8, _ cm: UInt16 = 0) -> [UInt8] {
    let d = [UInt8(cm & 0xFF), UInt8(cm >> 8)]
    let data: [UInt8] = [0x02, 0xAA, state] + d + [50] + d + [50] + [0, 0, 0x55, 0x00]
    return [0xF4, 0xF3, 0xF2, 0xF1, 13, 0] + data + [0xF8, 0xF7, 0xF6, 0xF5]
}

/// The module's UART as the node sees it: records what the node writes and reset pulses.
struct Wire: ModemPort {
    var out: [UInt8] = []
    var resets = 0
    mutating func put(_ byte: UInt8) { out.append(byte) }
    mutating func pulseReset() { resets += 1 }
}

/// A node on a bench: its block, its wire, a clock the test moves.
final class Rig {
    let block: Block
    var node: DeskNode
    var wire = Wire()
    var now: UInt32

    init(_ lines: [String] = Block.standard, start: UInt32 = 1_000) throws {
        block = Block.make(lines)
        // The block outlives the node (it is the rig's).
        let settings = try Provisioning(block: block.buffer)
        now = start
        node = DeskNode(settings: settings, firmware: "1.0.0", now: start)
    }

    /// Moves the clock by `ms` and polls.
    func tick(_ ms: UInt32 = 0) {
        now &+= ms
        node.poll(at: now, port: &wire)
    }

    /// What the node wrote since the last call.
    func written() -> String {
        defer { wire.out = [] }
        return String(decoding: wire.out, as: UTF8.self)
    }

    /// The module answers.
    func answer(_ text: String) {
        for b in text.utf8 { node.modemByte(b, at: now, port: &wire) }
    }

    /// Radar bytes.
    func radar(_ bytes: [UInt8]) {
        for b in bytes { node.radarByte(b, at: now) }
    }

    /// Polls, expects `command` as the next line, answers `reply`.
    @discardableResult
    func expect(_ command: String, reply: String = "\r\nOK\r\n", sourceLocation: SourceLocation = #_sourceLocation)
        -> Bool
    {
        tick()
        let got = written()
        #expect(got == command + "\r\n", sourceLocation: sourceLocation)
        answer(reply)
        return got == command + "\r\n"
    }

    /// Answers a PUBRAW: the prompt, then reads the payload the node writes, then acknowledges.
    func publish(sourceLocation: SourceLocation = #_sourceLocation) -> (command: String, payload: [UInt8]) {
        tick()
        let command = written()
        answer("\r\nOK\r\n\r\n>")
        let payload = wire.out
        wire.out = []
        answer("\r\n+MQTTPUB:OK\r\n")
        return (command, payload)
    }

    /// Runs the whole connection sequence, answering OK; returns the birth payload.
    func connect() {
        expect("AT")
        expect("ATE0")
        expect("AT+CWMODE=1")
        expect(#"AT+CWJAP="Cantine","pa\"ss\,w""#, reply: "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n")
        expect("AT+MQTTCLEAN=0", reply: "\r\nERROR\r\n")
        expect(#"AT+MQTTUSERCFG=0,1,"node-j01","node-j01","s3cret",0,0,"""#)
        expect(#"AT+MQTTCONNCFG=0,60,0,"cantine/paris/nodes/node-j01/status","offline",1,1"#)
        expect(#"AT+MQTTCONN=0,"192.168.1.10",8883,0"#, reply: "+MQTTCONNECTED:0,1,\"h\",\"8883\",\"\",0\r\n\r\nOK\r\n")
        let birth = publish()
        #expect(birth.command == "AT+MQTTPUBRAW=0,\"cantine/paris/nodes/node-j01/status\",6,1,1\r\n")
        #expect(birth.payload == Array("online".utf8))
    }

    /// The next report: checks the PUBRAW line and decodes the payload with the daemon's decoder.
    func report(sourceLocation: SourceLocation = #_sourceLocation) throws -> SensorReport {
        let (command, payload) = publish()
        #expect(
            command == "AT+MQTTPUBRAW=0,\"cantine/paris/desks/j01/report\",\(payload.count),1,0\r\n",
            sourceLocation: sourceLocation)
        return try SensorReport.decode(payload)
    }
}

@Suite struct DeskNodeTests {
    @Test func connectsThenReportsWhatTheDaemonDecodes() throws {
        let rig = try Rig()
        rig.radar(radarFrame(2, 85))
        rig.connect()
        let first = try rig.report()
        #expect(first == SensorReport(occupied: true, seq: 1, uptimeS: 0, fw: "1.0.0", distanceCm: 85))
        #expect(rig.node.link.delivered == 1 && rig.node.link.connections == 1)
        // Nothing more until something changes or the heartbeat (3 s) is due.
        rig.tick(2_999)
        #expect(rig.written() == "")
        rig.radar(radarFrame(2, 85))
        rig.now &+= 1  // 3 s since the last report
        let heartbeat = try rig.report()
        #expect(heartbeat.seq == 2 && heartbeat.occupied && heartbeat.uptimeS == 3)
    }

    @Test func presenceMustHoldAndAbsenceToo() throws {
        let rig = try Rig()
        rig.radar(radarFrame(0))
        rig.connect()
        #expect(try rig.report().occupied == false)
        rig.radar(radarFrame(1, 120))
        rig.tick(100)
        rig.radar(radarFrame(0))  // a passer-by: gone before 300 ms
        rig.tick(250)
        rig.tick(100)
        #expect(rig.written() == "")
        rig.radar(radarFrame(1, 120))
        rig.tick(100)  // presence seen from here
        #expect(rig.written() == "")
        rig.now &+= 300
        rig.radar(radarFrame(1, 120))
        let occupied = try rig.report()
        #expect(occupied.occupied && occupied.distanceCm == 120 && occupied.seq == 2)
        rig.radar(radarFrame(0))
        rig.tick()  // absence seen from here
        rig.tick(599)
        #expect(rig.written() == "")
        rig.radar(radarFrame(0))
        rig.now &+= 1
        #expect(try rig.report().occupied == false)
    }

    @Test func theOutPinStandsInForASilentRadarAndThePIRCountsWhenWired() throws {
        let rig = try Rig()
        rig.radar(radarFrame(0))
        rig.connect()
        #expect(try rig.report().occupied == false)
        rig.node.pins(out: true, pir: false)
        rig.tick(1_999)  // the radar said "nobody" 1.999 s ago: still trusted
        #expect(rig.written() == "")
        rig.tick(1)
        #expect(rig.node.usingOutPin(at: rig.now))
        rig.now &+= 300
        let byPin = try rig.report()
        #expect(byPin.occupied && byPin.distanceCm == nil)

        let unwired = try Rig(Block.standard.filter { $0 != "pir=1" })
        unwired.node.pins(out: false, pir: true)
        #expect(!unwired.node.present(at: unwired.now))
        rig.node.pins(out: false, pir: true)
        #expect(rig.node.present(at: rig.now))
    }

    @Test func errorsBackOffThenTheModuleIsReset() throws {
        let rig = try Rig()
        rig.expect("AT")
        rig.expect("ATE0")
        rig.expect("AT+CWMODE=1")
        rig.expect(#"AT+CWJAP="Cantine","pa\"ss\,w""#, reply: "+CWJAP:1\r\n\r\nFAIL\r\n")
        #expect(rig.node.link.failures == 1 && rig.node.link.backoffMs == 1_000)
        rig.tick(999)
        #expect(rig.written() == "")  // backing off
        rig.tick(1)
        #expect(rig.written() == "AT\r\n")  // starts over
        rig.tick(1_999)
        #expect(rig.written() == "")
        rig.tick(1)  // no answer in 2 s: second failure, 2 s backoff
        #expect(rig.node.link.failures == 2 && rig.node.link.backoffMs == 2_000)
        rig.tick(2_000)
        #expect(rig.written() == "AT\r\n")
        rig.answer("\r\nERROR\r\n")  // third failure: the reset line is pulsed
        #expect(rig.wire.resets == 1 && rig.node.link.resets == 1)
        #expect(rig.node.link.step == .waitReady)
        rig.answer("\r\nready\r\n")  // back at once, no need to wait out the backoff
        rig.connect()
        #expect(rig.node.link.failures == 0)
    }

    @Test func aSilentModuleThatNeverSaysReadyIsProbedAnyway() throws {
        let rig = try Rig()
        for _ in 0..<3 {
            rig.tick(60_000)
            _ = rig.written()
            rig.tick(2_000)
        }
        #expect(rig.wire.resets == 1)
        rig.tick(60_000)  // backoff over; waiting for "ready"
        rig.tick(5_000)  // never came
        rig.tick()
        #expect(rig.written() == "AT\r\n")
    }

    @Test func aDroppedBrokerReconnectsWithoutRejoiningWiFiAndSendsAFreshReport() throws {
        let rig = try Rig()
        rig.radar(radarFrame(0))
        rig.connect()
        #expect(try rig.report().seq == 1)
        rig.answer("+MQTTDISCONNECTED:0\r\n")
        #expect(rig.node.link.step == .clean)
        rig.expect("AT+MQTTCLEAN=0")
        rig.expect(#"AT+MQTTUSERCFG=0,1,"node-j01","node-j01","s3cret",0,0,"""#)
        rig.expect(#"AT+MQTTCONNCFG=0,60,0,"cantine/paris/nodes/node-j01/status","offline",1,1"#)
        rig.expect(#"AT+MQTTCONN=0,"192.168.1.10",8883,0"#)
        #expect(rig.publish().payload == Array("online".utf8))
        rig.radar(radarFrame(0))
        let fresh = try rig.report()
        #expect(fresh.seq == 2 && fresh.occupied == false)
    }

    @Test func aFailedPublishIsSentAgainFreshAfterReconnecting() throws {
        let rig = try Rig()
        rig.radar(radarFrame(0))
        rig.connect()
        rig.tick()
        #expect(rig.written().hasPrefix("AT+MQTTPUBRAW=0,\"cantine/paris/desks/j01/report\""))
        rig.answer("\r\nOK\r\n\r\n>")
        _ = rig.written()
        rig.answer("\r\n+MQTTPUB:FAIL\r\n")
        #expect(rig.node.link.failures == 1 && rig.node.link.delivered == 0)
        rig.tick(1_000)
        #expect(rig.written() == "AT+MQTTCLEAN=0\r\n")
        rig.answer("\r\nOK\r\n")
        rig.expect(#"AT+MQTTUSERCFG=0,1,"node-j01","node-j01","s3cret",0,0,"""#)
        rig.expect(#"AT+MQTTCONNCFG=0,60,0,"cantine/paris/nodes/node-j01/status","offline",1,1"#)
        rig.expect(#"AT+MQTTCONN=0,"192.168.1.10",8883,0"#)
        _ = rig.publish()
        rig.radar(radarFrame(0))
        #expect(try rig.report().seq == 2)
    }

    @Test func theTickWrapsWithoutLosingTimeOrTheHeartbeat() throws {
        let rig = try Rig(start: UInt32.max - 1_500)
        rig.radar(radarFrame(0))
        rig.connect()
        #expect(try rig.report().uptimeS == 0)
        for _ in 0..<30 {
            rig.radar(radarFrame(0))
            rig.tick(100)  // crosses zero on the way
        }
        rig.radar(radarFrame(0))
        let beat = try rig.report()
        #expect(beat.seq == 2 && beat.uptimeS == 3)
        #expect(rig.now < 2_000)  // it did wrap
    }

    @Test func longLinesAndNoiseFromTheModuleDoNotDerailIt() throws {
        let rig = try Rig()
        rig.tick()
        #expect(rig.written() == "AT\r\n")
        rig.answer(String(repeating: "x", count: 500) + "\r\n\u{0}\u{7}garbage\r\nbusy p...\r\n")
        #expect(rig.node.link.step == .probe && rig.node.link.inFlight)
        rig.answer("OK\r\n")
        rig.tick()
        #expect(rig.written() == "ATE0\r\n")
    }
}
