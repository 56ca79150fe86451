// The node's logic on the host with an injected millisecond tick: the module reset at boot,
// the ESP-AT sequence, slow and busy modules, failures with backoff, resync and reset,
// reconnects, reports the daemon's decoder reads, the radar's configuration, presence from the
// radar, its OUT pin and the PIR, the LED's codes, and a tick that wraps.
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

/// The radar's reply to "read parameters": farthest moving and still gate, no-one duration.
func radarSettings(_ moving: UInt8, _ still: UInt8, _ seconds: UInt8) -> [UInt8] {
    let body: [UInt8] =
        [0x61, 0x01, 0x00, 0x00, 0xAA, 0x08, moving, still] + [UInt8](repeating: 20, count: 18) + [seconds, 0]
    return radarCommandFrame(body)
}

/// An LD2410 command-channel frame around `body`: header, length, body, tail.
func radarCommandFrame(_ body: [UInt8]) -> [UInt8] {
    [0xFD, 0xFC, 0xFB, 0xFA, UInt8(body.count), 0x00] + body + [0x04, 0x03, 0x02, 0x01]
}

/// The radar's ACK of `command` (its word with 0x01 after it), `status` 0 for success, then
/// what the reply carries.
func radarAck(_ command: UInt8, status: UInt8 = 0, _ extra: [UInt8] = []) -> [UInt8] {
    radarCommandFrame([command, 0x01, status, 0x00] + extra)
}

/// The LD2410's UART as the node sees it: what the node writes to it.
struct RadarWire: ByteSink {
    var out: [UInt8] = []
    mutating func put(_ byte: UInt8) { out.append(byte) }
}

/// A node on a bench: its block, its wire, a clock the test moves.
final class Rig {
    let block: Block
    var node: DeskNode
    var wire = Wire()
    var radarWire = RadarWire()
    var now: UInt32

    /// `boot`: the first turn pulses the module's EN line, and the module says `ready`.
    init(_ lines: [String] = Block.standard, start: UInt32 = 1_000, boot: Bool = true) throws {
        block = Block.make(lines)
        // The block outlives the node (it is the rig's).
        let settings = try Provisioning(block: block.buffer)
        now = start
        node = DeskNode(settings: settings, firmware: "1.0.0", now: start)
        guard boot else { return }
        tick()
        #expect(wire.resets == 1 && written() == "")
        answer("\r\nready\r\n")
    }

    /// Moves the clock by `ms` and polls.
    func tick(_ ms: UInt32 = 0) {
        now &+= ms
        node.poll(at: now, port: &wire, radar: &radarWire)
    }

    /// What the node wrote to the radar since the last call.
    func toRadar() -> [UInt8] {
        defer { radarWire.out = [] }
        return radarWire.out
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

    /// Joins Wi-Fi, answering OK, up to AT+MQTTUSERCFG sent and not answered.
    func joinUntilLogin(sourceLocation: SourceLocation = #_sourceLocation) {
        expect("AT")
        expect("ATE0")
        expect("AT+CWMODE=1")
        expect(#"AT+CWJAP="Cantine","pa\"ss\,w""#, reply: "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n")
        expect("AT+MQTTCLEAN=0", reply: "\r\nERROR\r\n")
        tick()
        #expect(written().hasPrefix("AT+MQTTUSERCFG="), sourceLocation: sourceLocation)
    }

    /// Runs the whole connection sequence, answering OK (`refuse`: the broker refuses the
    /// connection); checks the birth message.
    func connect(refuse: Bool = false) {
        expect("AT")
        expect("ATE0")
        expect("AT+CWMODE=1")
        expect(#"AT+CWJAP="Cantine","pa\"ss\,w""#, reply: "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n")
        expect("AT+MQTTCLEAN=0", reply: "\r\nERROR\r\n")
        expect(#"AT+MQTTUSERCFG=0,1,"node-j01","node-j01","s3cret",0,0,"""#)
        expect(#"AT+MQTTCONNCFG=0,60,0,"cantine/paris/nodes/node-j01/status","offline",1,1"#)
        if refuse {
            expect(#"AT+MQTTCONN=0,"192.168.1.10",8883,0"#, reply: "\r\nERROR\r\n")
            return
        }
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
        let rig = try Rig(boot: false)
        rig.radar(radarFrame(2, 85))  // someone there from the first turn
        rig.tick()
        rig.answer("\r\nready\r\n")
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
        rig.tick(1)  // no answer in 2 s: second failure, 2 s backoff, then a resync
        #expect(rig.node.link.failures == 2 && rig.node.link.backoffMs == 2_000)
        #expect(rig.node.link.step == .resync && rig.node.light(at: rig.now) == .code(.noModule))
        rig.tick(2_000)
        #expect(rig.written() == "AT\r\n")
        rig.answer("\r\nERROR\r\n")  // may be a late answer: a resync waits for OK
        #expect(rig.node.link.failures == 2 && rig.node.link.inFlight)
        rig.tick(2_000)  // no OK: third failure, the reset line is pulsed
        #expect(rig.wire.resets == 2 && rig.node.link.resets == 2)
        #expect(rig.node.link.step == .waitReady)
        rig.answer("\r\nready\r\n")  // back at once, no need to wait out the backoff
        rig.connect()
        #expect(rig.node.link.failures == 0)
    }

    @Test func aSilentModuleThatNeverSaysReadyIsProbedAnyway() throws {
        let rig = try Rig(boot: false)
        rig.tick()
        #expect(rig.wire.resets == 1 && rig.written() == "" && rig.node.link.step == .waitReady)
        rig.tick(4_999)
        rig.tick(1)  // no "ready" in 5 s: probed anyway
        rig.tick()
        #expect(rig.written() == "AT\r\n")
        for backoff: UInt32 in [1_000, 2_000] {
            rig.tick(2_000)  // unanswered: resync after the backoff
            rig.tick(backoff)
            #expect(rig.written() == "AT\r\n" && rig.node.link.step == .resync)
        }
        rig.tick(2_000)  // the third failure resets the module
        #expect(rig.wire.resets == 2 && rig.node.link.step == .waitReady)
        rig.tick(4_000)  // backoff over; waiting for "ready"
        rig.tick(5_000)  // never came
        rig.tick()
        #expect(rig.written() == "AT\r\n" && rig.node.light(at: rig.now) == .code(.noModule))
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
        rig.answer(String(repeating: "x", count: 500) + "\r\n\u{0}\u{7}garbage\r\n")
        #expect(rig.node.link.step == .probe && rig.node.link.inFlight)
        rig.answer("OK\r\n")
        rig.tick()
        #expect(rig.written() == "ATE0\r\n")
    }

    @Test func theModuleIsResetAtBootBeforeAnythingIsSent() throws {
        // Were it caught inside an AT+MQTTPUBRAW data phase by the node's own reset, our first
        // commands would be published as a report: EN is pulsed first, then "ready" awaited.
        let rig = try Rig(boot: false)
        #expect(rig.node.link.step == .start)
        rig.tick()
        #expect(rig.wire.resets == 1 && rig.written() == "" && rig.node.link.step == .waitReady)
        rig.tick(100)
        #expect(rig.written() == "")
        rig.answer("\r\nready\r\n")
        rig.tick()
        #expect(rig.written() == "AT\r\n" && rig.node.link.resets == 1)
    }

    @Test func slowMQTTCommandsAreWaitedForLongerThanTheModuleItself() throws {
        let rig = try Rig()
        rig.joinUntilLogin()
        rig.tick(14_999)  // ESP-AT answers MQTT commands within 10 s; 15 s are waited
        rig.answer("\r\nOK\r\n")
        rig.expect(#"AT+MQTTCONNCFG=0,60,0,"cantine/paris/nodes/node-j01/status","offline",1,1"#)
        rig.tick()
        #expect(rig.written().hasPrefix("AT+MQTTCONN="))
        rig.tick(12_000)  // a broker 12 s away (TCP retransmissions)
        #expect(rig.node.link.failures == 0 && rig.node.link.inFlight)
        rig.answer("+MQTTCONNECTED:0,1,\"h\",\"8883\",\"\",0\r\n\r\nOK\r\n")
        #expect(rig.publish().payload == Array("online".utf8))
        #expect(rig.node.link.connections == 1 && rig.node.link.failures == 0)
        #expect(ESPATLink.timeoutMs(.connect) > 12_000 && ESPATLink.timeoutMs(.userConfig) > 10_000)
    }

    @Test func busyIsWaitedOutAndTheSameCommandAskedAgain() throws {
        let rig = try Rig()
        rig.expect("AT")
        rig.expect("ATE0", reply: "busy p...\r\n")  // still busy with something: not taken
        #expect(rig.node.link.step == .echoOff && !rig.node.link.inFlight)
        rig.tick(600)
        rig.answer("\r\nOK\r\n")  // the earlier command's late answer: not ATE0's
        rig.tick(999)
        #expect(rig.written() == "")  // not a quiet second since that OK yet
        rig.tick(1)
        #expect(rig.written() == "ATE0\r\n")  // asked again
        rig.answer("\r\nOK\r\n")
        rig.expect("AT+CWMODE=1")
        #expect(rig.node.link.failures == 0)
    }

    @Test func aLateAnswerAfterATimeoutIsNeverTakenForTheNextCommand() throws {
        let rig = try Rig()
        rig.joinUntilLogin()
        rig.tick(ESPATLink.timeoutMs(.userConfig))  // no answer: a failure, then a resync
        #expect(rig.node.link.failures == 1 && rig.node.link.step == .resync)
        rig.tick(1_000)
        #expect(rig.written() == "AT\r\n")
        rig.answer("\r\nOK\r\n")  // MQTTUSERCFG's late OK, taken for the resync's
        rig.tick(100)
        rig.answer("\r\nOK\r\n")  // the resync's own OK: inside the quiet spell, so ignored
        rig.tick(499)
        #expect(rig.written() == "")
        rig.tick(1)  // quiet for 500 ms: the sequence starts over, in step with the module
        #expect(rig.written() == "AT\r\n" && rig.node.link.step == .probe)
        rig.answer("\r\nOK\r\n")
        rig.expect("ATE0")
        #expect(rig.node.link.step == .stationMode)
    }

    @Test func theRadarIsConfiguredAtBootEachStepAcknowledged() throws {
        let rig = try Rig()
        rig.radar(radarFrame(0))
        rig.connect()  // the link and the radar go their own ways
        let enable: [UInt8] = radarCommandFrame([0xFF, 0x00, 0x01, 0x00])
        #expect(rig.toRadar() == [])  // the radar boots with the node: a second first
        rig.tick(RadarSetup.startDelayMs)
        #expect(rig.toRadar() == enable)
        rig.tick(999)
        #expect(rig.toRadar() == [])
        rig.tick(1)  // no ACK in 1 s: sent again
        #expect(rig.toRadar() == enable && rig.node.radarSetup.missedAcks == 1)
        rig.radar(radarAck(0xFF, [0x01, 0x00, 0x40, 0x00]))
        rig.tick()
        #expect(rig.toRadar() == radarCommandFrame([0x61, 0x00]))
        rig.radar(radarSettings(8, 8, 5))  // the factory's: written
        rig.tick()
        // Max gate 2 for moving and still targets, no-one duration 5 s (protocol V1.02 §2.2.3).
        #expect(
            rig.toRadar() == [
                0xFD, 0xFC, 0xFB, 0xFA, 0x14, 0x00, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,
                0x00, 0x00, 0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01,
            ])
        rig.radar(radarAck(0x60))
        rig.tick()
        #expect(rig.toRadar() == radarCommandFrame([0xFE, 0x00]))
        rig.radar(radarAck(0xFE))
        #expect(rig.node.radarSetup.step == .done && rig.node.radarSetup.wrote)
        rig.tick(5_000)
        #expect(rig.toRadar() == [])
        rig.radar(radarFrame(0))
        #expect(rig.node.light(at: rig.now) == .steady)
    }

    @Test func aRadarThatNeverAcknowledgesIsNamedOnTheLED() throws {
        let rig = try Rig()
        rig.radar(radarFrame(0))
        rig.connect()
        for _ in 0..<20 where !rig.node.radarSetup.finished { rig.tick(1_000) }
        #expect(rig.node.radarSetup.step == .failed && rig.node.radarSetup.missedAcks == 6)
        // Three tries of "enable", then three of "end" all the same: configuration mode may
        // have opened with only its ACKs lost, and the radar says nothing while in it.
        #expect(rig.toRadar().count == 14 * 3 + 12 * 3)
        rig.tick(1_000)
        #expect(rig.toRadar() == [])
        rig.radar(radarFrame(0))
        #expect(rig.node.light(at: rig.now) == .code(.radarNotConfigured))
        // A step the radar refuses (status 1) still closes configuration mode, then fails.
        let refused = try Rig()
        refused.tick(RadarSetup.startDelayMs)
        _ = refused.toRadar()
        refused.radar(radarAck(0xFF, [0x01, 0x00, 0x40, 0x00]))
        refused.tick()
        refused.radar(radarSettings(8, 8, 5))
        refused.tick()
        #expect(refused.toRadar().count == 12 + 30)
        refused.radar(radarAck(0x60, status: 1))
        refused.tick()
        #expect(refused.toRadar() == radarCommandFrame([0xFE, 0x00]))
        refused.radar(radarAck(0xFE))
        #expect(refused.node.radarSetup.step == .failed)
    }

    @Test func settingsAlreadyInPlaceAreNotWrittenAgain() throws {
        // The radar keeps them across power cuts: a node rebooting in a loop must not wear it.
        let rig = try Rig()
        rig.tick(RadarSetup.startDelayMs)
        rig.radar(radarAck(0xFF, [0x01, 0x00, 0x40, 0x00]))
        rig.tick()
        rig.radar(radarSettings(2, 2, 5))
        rig.tick()
        #expect(rig.toRadar().suffix(12) == radarCommandFrame([0xFE, 0x00]))
        rig.radar(radarAck(0xFE))
        #expect(rig.node.radarSetup.step == .done && !rig.node.radarSetup.wrote)
        // One setting differs (the still gate): written.
        let other = try Rig()
        other.tick(RadarSetup.startDelayMs)
        other.radar(radarAck(0xFF, [0x01, 0x00, 0x40, 0x00]))
        other.tick()
        other.radar(radarSettings(2, 3, 5))
        other.tick()
        #expect(other.toRadar().suffix(30).prefix(8) == [0xFD, 0xFC, 0xFB, 0xFA, 0x14, 0x00, 0x60, 0x00])
    }

    @Test func targetFramesAfterTheCloseStandForItsLostACK() throws {
        let rig = try Rig()
        rig.tick(RadarSetup.startDelayMs)
        rig.radar(radarAck(0xFF, [0x01, 0x00, 0x40, 0x00]))
        rig.tick()
        rig.radar(radarSettings(8, 8, 5))
        rig.tick()
        rig.radar(radarAck(0x60))
        rig.tick()
        #expect(rig.toRadar().suffix(12) == radarCommandFrame([0xFE, 0x00]))
        #expect(rig.node.radarSetup.step == .end)
        rig.radar(radarFrame(1, 90))  // reporting again: configuration mode is closed
        #expect(rig.node.radarSetup.step == .done)
    }

    @Test func aPublishThatTimesOutResetsTheModuleRatherThanSendAT() throws {
        // Its prompt lost, the module may be inside the data phase: a bare AT would be
        // published (the birth's six bytes: "AT\r\nAT", retained, on the status topic).
        let rig = try Rig()
        rig.radar(radarFrame(0))
        rig.connect()
        rig.tick()
        #expect(rig.written().hasPrefix("AT+MQTTPUBRAW=0,\"cantine/paris/desks/j01/report\""))
        rig.tick(ESPATLink.timeoutMs(.report))
        #expect(rig.wire.resets == 2 && rig.node.link.step == .waitReady)
        rig.tick(1_000)
        #expect(rig.written() == "")  // nothing until the module says ready
    }

    @Test func theLEDSaysWhatIsWrong() throws {
        let rig = try Rig()
        #expect(rig.node.light(at: rig.now) == .connecting)
        rig.expect("AT")
        rig.expect("ATE0")
        rig.expect("AT+CWMODE=1")
        rig.expect(#"AT+CWJAP="Cantine","pa\"ss\,w""#, reply: "+CWJAP:1\r\n\r\nFAIL\r\n")
        #expect(rig.node.light(at: rig.now) == .code(.noWiFi))
        rig.tick(1_000)
        rig.connect(refuse: true)
        #expect(rig.node.light(at: rig.now) == .code(.noBroker))
        // Connected with the radar silent: its OUT pin stands in, and the LED says so.
        rig.tick(2_000)
        rig.connect()
        #expect(rig.node.light(at: rig.now) == .code(.radarSilent))
        // Three flashes: lit 200 ms every 400 ms, three times, then 1.6 s dark; a 2.8 s cycle.
        let three = StatusLight.code(.noModule)
        let lit = (0..<2_800).filter { three.lit(at: UInt32($0)) }
        #expect(lit.count == 600 && lit.first == 0 && lit.last == 999 && !three.lit(at: 1_000))
        #expect(three.lit(at: 2_800) && three.lit(at: 800) && !three.lit(at: 300))
        #expect(StatusLight.steady.lit(at: 1234) && StatusLight.connecting.lit(at: 400))
        #expect(!StatusLight.connecting.lit(at: 600))
    }
}
