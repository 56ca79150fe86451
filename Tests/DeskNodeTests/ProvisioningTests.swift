// The provisioning block: what Firmware/provision writes is read back, and every broken
// block is refused with the line at fault.
import CantineProtocol
import Testing

@testable import DeskNode

/// A block's bytes kept alive for the tests (the node reads its block from flash).
final class Block {
    let storage: UnsafeMutableBufferPointer<UInt8>
    init(_ bytes: [UInt8]) {
        storage = .allocate(capacity: bytes.count)
        _ = storage.initialize(from: bytes)
    }
    deinit { storage.deallocate() }
    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(storage) }

    /// A block with `lines` and a correct crc line, padded with erased flash (0xFF).
    static func make(_ lines: [String], crc: UInt32? = nil) -> Block {
        var text = Array(("CANTINE-NODE 1\n" + lines.map { $0 + "\n" }.joined()).utf8)
        let sum = text.withUnsafeBufferPointer { crc32($0, count: $0.count) }
        text += Array("crc=\(hex(crc ?? sum))\n".utf8)
        return Block(text + [UInt8](repeating: 0xFF, count: 4096 - text.count))
    }

    static func hex(_ v: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<8).map { digits[Int((v >> (28 - 4 * UInt32($0))) & 0xF)] })
    }

    static let standard = [
        "site=paris", "desk=j01", "node=node-j01", "wifi_ssid=Cantine", "wifi_password=pa\"ss,w",
        "broker_host=192.168.1.10", "broker_port=8883", "mqtt_user=node-j01", "mqtt_password=s3cret",
        "occupy_after_ms=300", "vacate_after_ms=600", "heartbeat_ms=3000", "pir=1",
    ]
}

func text(_ p: Provisioning, _ f: Field) -> String { String(decoding: p.bytes(f), as: UTF8.self) }

func refusal(_ lines: [String], crc: UInt32? = nil) -> ProvisioningError? {
    let block = Block.make(lines, crc: crc)
    do throws(ProvisioningError) {
        _ = try Provisioning(block: block.buffer)
        return nil
    } catch {
        return error
    }
}

@Suite struct ProvisioningTests {
    @Test func crcIsZlibs() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBufferPointer { crc32($0, count: 9) } == 0xCBF4_3926)
    }

    @Test func readsEverySetting() throws {
        let block = Block.make(Block.standard)
        defer { withExtendedLifetime(block) {} }  // p reads its values from the block
        let p = try Provisioning(block: block.buffer)
        #expect(text(p, p.site) == "paris" && text(p, p.desk) == "j01" && text(p, p.node) == "node-j01")
        #expect(text(p, p.wifiSSID) == "Cantine" && text(p, p.wifiPassword) == "pa\"ss,w")
        #expect(text(p, p.brokerHost) == "192.168.1.10" && p.brokerPort == 8883)
        #expect(text(p, p.mqttUser) == "node-j01" && text(p, p.mqttPassword) == "s3cret")
        #expect(p.occupyAfterMs == 300 && p.vacateAfterMs == 600 && p.heartbeatMs == 3000 && p.hasPIR)
        #expect(p.keepaliveS == 60 && p.radarMaxGate == 2)
        let far = Block.make(Block.standard + ["radar_max_gate=8"])
        #expect(try withExtendedLifetime(far) { try Provisioning(block: far.buffer).radarMaxGate } == 8)
        #expect(refusal(Block.standard + ["radar_max_gate=1"]) == .badValue(line: 15))
        #expect(refusal(Block.standard + ["radar_max_gate=9"]) == .badValue(line: 15))
    }

    /// What fits the block but not ESP-AT: a command line of 256 bytes or more (escaping
    /// doubles `"` `,` `\\`), a topic over 64 bytes. Each limit's edge passes, one more byte is refused.
    @Test func refusesWhatESPATCannotTakeAtTheEdge() throws {
        func with(_ changes: [String]) -> [String] {
            let keys = Set(changes.map { $0.prefix { $0 != "=" } })
            return Block.standard.filter { !keys.contains($0.prefix { $0 != "=" }) } + changes
        }
        // AT+MQTTUSERCFG=0,1,"node-j01","<user>","<password>",0,0,""\r\n: 36 bytes + node 8 + the
        // escaped user (64 commas: 128) + the escaped password: 255 passes, 256 is refused.
        let user = "mqtt_user=" + String(repeating: ",", count: 64)
        let fits = with([user, "mqtt_password=" + String(repeating: "\"", count: 41) + "p"])
        #expect(refusal(fits) == nil)
        let fitting = Block.make(fits)  // kept alive while its bytes are read
        #expect(try withExtendedLifetime(fitting) { try Provisioning(block: fitting.buffer).length(.mqttLogin) } == 255)
        let over = with([user, "mqtt_password=" + String(repeating: "\"", count: 42)])
        #expect(refusal(over) == .tooLong(.mqttLogin, bytes: 256))
        // AT+CWJAP="<ssid>","<password>"\r\n: 16 bytes; a 32-byte SSID, a password of commas.
        let join = with([
            "wifi_ssid=" + String(repeating: "s", count: 32), "wifi_password=" + String(repeating: ",", count: 64),
        ])
        #expect(refusal(join) == nil)  // 16 + 32 + 128 = 176: the block's own limits keep CWJAP short
        // cantine/<site>/nodes/<node>/status: 22 bytes + site + node, at most 64.
        let node42 = with(["site=" + String(repeating: "s", count: 20), "node=" + String(repeating: "n", count: 22)])
        #expect(refusal(node42) == nil)
        let node43 = with(["site=" + String(repeating: "s", count: 21), "node=" + String(repeating: "n", count: 22)])
        #expect(refusal(node43) == .tooLong(.willTopic, bytes: 65))
        let desk = with(["site=" + String(repeating: "s", count: 32), "desk=" + String(repeating: "d", count: 11)])
        #expect(refusal(desk) == .tooLong(.reportTopic, bytes: 65))
        var out: [UInt8] = []
        ProvisioningError.tooLong(.willTopic, bytes: 65).describe(to: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == "provisioning: site and node make the status topic 65 bytes, ESP-AT takes 64: shorten them and rewrite the block"
        )
    }

    @Test func refusesBrokenBlocksNamingTheLine() {
        #expect(refusal(Block.standard, crc: 0x1234_5678) == .badCRC)
        #expect(refusal(Block.standard.filter { !$0.hasPrefix("desk=") }) == .missing(.desk))
        #expect(refusal(Block.standard.filter { !$0.hasPrefix("broker_host=") }) == .missing(.brokerHost))
        #expect(refusal(["site=Paris"] + Block.standard.dropFirst()) == .badValue(line: 2))
        #expect(refusal(Block.standard + ["colour=blue"]) == .unknownKey(line: 15))
        #expect(refusal(Block.standard + ["no equals sign"]) == .malformed(line: 15))
        #expect(refusal(Block.standard + ["heartbeat_ms=999999"]) == .badValue(line: 15))
        #expect(refusal(Block.standard + ["broker_port=http"]) == .badValue(line: 15))
        #expect(refusal(Block.standard + ["wifi_password=tab\there"]) == .badValue(line: 15))
        let erased = Block([UInt8](repeating: 0xFF, count: 4096))
        #expect(throws: ProvisioningError.notProvisioned) { try Provisioning(block: erased.buffer) }
        let cut = Block(Array("CANTINE-NODE 1\nsite=paris".utf8))
        #expect(throws: ProvisioningError.unterminated(line: 2)) { try Provisioning(block: cut.buffer) }
        let noCRC = Block(Array(("CANTINE-NODE 1\n" + Block.standard.map { $0 + "\n" }.joined()).utf8))
        #expect(throws: ProvisioningError.missingCRC) { try Provisioning(block: noCRC.buffer) }
    }

    @Test func describesEachRefusalOnOneLine() {
        var out: [UInt8] = []
        ProvisioningError.badValue(line: 4).describe(to: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == "provisioning: line 4 has a value out of range or with a bad character")
        out = []
        ProvisioningError.missing(.wifiSSID).describe(to: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == "provisioning: missing wifi_ssid: rewrite the block with Firmware/provision")
    }
}
