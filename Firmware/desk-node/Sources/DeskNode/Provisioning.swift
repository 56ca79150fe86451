// The per-node settings written at flash time into a provisioning block (its own flash
// sector, so one firmware image serves every desk): site, desk, node id, Wi-Fi, broker,
// credentials and timings, as `key=value` lines after a `CANTINE-NODE 1` magic line, ended
// by a `crc=` line (CRC-32 of everything before it). Values stay in the block (flash): the
// parsed form only records where each one is. Pure, Embedded-Swift compatible, no heap.

import CantineProtocol

/// Where a value sits in the block.
public struct Field: Sendable, Equatable {
    public var start: Int
    public var count: Int
    public init(start: Int = 0, count: Int = 0) {
        self.start = start
        self.count = count
    }
}

/// The settings of one node, read from its provisioning block.
public struct Provisioning {
    /// The block itself (flash on the node; any buffer that outlives this value in tests).
    public let block: UnsafeBufferPointer<UInt8>
    public var site = Field()
    public var desk = Field()
    public var node = Field()
    public var wifiSSID = Field()
    public var wifiPassword = Field()
    public var brokerHost = Field()
    public var brokerPort: UInt16 = 1883
    public var mqttUser = Field()
    public var mqttPassword = Field()
    /// Presence must hold this long before the desk is reported occupied.
    public var occupyAfterMs: UInt32 = 5_000
    /// Absence must hold this long before the desk is reported vacant.
    public var vacateAfterMs: UInt32 = 120_000
    /// A report is sent at least this often (the daemon marks a node silent after 180 s).
    public var heartbeatMs: UInt32 = 60_000
    /// MQTT keepalive asked of the broker, in seconds.
    public var keepaliveS: UInt16 = 60
    /// A PIR sensor is wired (its level is read as a second presence input).
    public var hasPIR = false
    /// The LD2410's farthest gate (0.75 m each), set at boot: 2 sees the sitter, not the next desk.
    public var radarMaxGate: UInt8 = 2

    /// Largest block read.
    public static let maxBytes = 1024
    static let magic: StaticString = "CANTINE-NODE 1\n"

    /// The bytes of a field.
    public func bytes(_ field: Field) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: block[field.start..<field.start + field.count])
    }

    /// Reads a block. Checks the magic line, the CRC, each key and value; requires site,
    /// desk, node, wifi_ssid and broker_host.
    public init(block: UnsafeBufferPointer<UInt8>) throws(ProvisioningError) {
        self.block = block
        let magic = Self.magic
        let m = magic.utf8CodeUnitCount
        guard block.count >= m else { throw .notProvisioned }
        for i in 0..<m where block[i] != magic.utf8Start[i] { throw .notProvisioned }
        var at = m
        var sawCRC = false
        var line = 1
        while at < block.count, at < Self.maxBytes {
            line += 1
            let start = at
            var end = at
            while end < block.count, block[end] != 0x0A {
                end += 1
            }
            guard end < block.count else { throw .unterminated(line: line) }
            at = end + 1
            var eq = start
            while eq < end, block[eq] != UInt8(ascii: "=") { eq += 1 }
            guard eq < end, eq > start else { throw .malformed(line: line) }
            let key = Field(start: start, count: eq - start)
            let value = Field(start: eq + 1, count: end - eq - 1)
            if equals(key, "crc") {
                guard let stated = hex32(value) else { throw .malformed(line: line) }
                guard crc32(block, count: start) == stated else { throw .badCRC }
                sawCRC = true
                break
            }
            try assign(key, value, line: line)
        }
        guard sawCRC else { throw .missingCRC }
        guard site.count > 0 else { throw .missing(.site) }
        guard desk.count > 0 else { throw .missing(.desk) }
        guard node.count > 0 else { throw .missing(.node) }
        guard wifiSSID.count > 0 else { throw .missing(.wifiSSID) }
        guard brokerHost.count > 0 else { throw .missing(.brokerHost) }
        for limit in ATLimit.allCases where length(limit) > limit.maximum {
            throw .tooLong(limit, bytes: length(limit))
        }
    }

    /// The bytes `limit` measures with these settings: the whole AT command line (`\r\n`
    /// included, each `"` `,` `\` escaped) or the topic.
    public func length(_ limit: ATLimit) -> Int {
        switch limit {
        case .wifiJoin:  // AT+CWJAP="ssid","password"
            "AT+CWJAP=\"\",\"\"\r\n".utf8.count + escaped(wifiSSID) + escaped(wifiPassword)
        case .mqttLogin:  // AT+MQTTUSERCFG=0,1,"node","user","password",0,0,""
            "AT+MQTTUSERCFG=0,1,\"\",\"\",\"\",0,0,\"\"\r\n".utf8.count + escaped(node) + escaped(mqttUser)
                + escaped(mqttPassword)
        case .willTopic: "cantine//nodes//status".utf8.count + site.count + node.count
        case .reportTopic: "cantine//desks//report".utf8.count + site.count + desk.count
        }
    }

    /// A value's length once `"`, `,` and `\` are escaped for an AT string parameter.
    func escaped(_ field: Field) -> Int {
        var n = field.count
        for i in field.start..<field.start + field.count {
            let b = block[i]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: ",") || b == UInt8(ascii: "\\") { n += 1 }
        }
        return n
    }

    mutating func assign(_ key: Field, _ value: Field, line: Int) throws(ProvisioningError) {
        // Control characters never: they would end an AT command early.
        for i in value.start..<value.start + value.count where block[i] < 0x20 || block[i] == 0x7F {
            throw .badValue(line: line)
        }
        if equals(key, "site") {
            try identifier(value, line: line)
            site = value
        } else if equals(key, "desk") {
            try identifier(value, line: line)
            desk = value
        } else if equals(key, "node") {
            try identifier(value, line: line)
            node = value
        } else if equals(key, "wifi_ssid") {
            guard (1...32).contains(value.count) else { throw .badValue(line: line) }
            wifiSSID = value
        } else if equals(key, "wifi_password") {
            guard value.count <= 64 else { throw .badValue(line: line) }
            wifiPassword = value
        } else if equals(key, "broker_host") {
            guard (1...64).contains(value.count) else { throw .badValue(line: line) }
            brokerHost = value
        } else if equals(key, "broker_port") {
            brokerPort = UInt16(try number(value, in: 1...65535, line: line))
        } else if equals(key, "mqtt_user") {
            guard value.count <= 64 else { throw .badValue(line: line) }
            mqttUser = value
        } else if equals(key, "mqtt_password") {
            guard value.count <= 64 else { throw .badValue(line: line) }
            mqttPassword = value
        } else if equals(key, "occupy_after_ms") {
            occupyAfterMs = try number(value, in: 0...600_000, line: line)
        } else if equals(key, "vacate_after_ms") {
            vacateAfterMs = try number(value, in: 0...3_600_000, line: line)
        } else if equals(key, "heartbeat_ms") {
            heartbeatMs = try number(value, in: 1_000...170_000, line: line)
        } else if equals(key, "keepalive_s") {
            keepaliveS = UInt16(try number(value, in: 10...3600, line: line))
        } else if equals(key, "radar_max_gate") {
            radarMaxGate = UInt8(try number(value, in: 2...8, line: line))
        } else if equals(key, "pir") {
            hasPIR = try number(value, in: 0...1, line: line) == 1
        } else {
            throw .unknownKey(line: line)
        }
    }

    func equals(_ field: Field, _ text: StaticString) -> Bool {
        guard field.count == text.utf8CodeUnitCount else { return false }
        for i in 0..<field.count where block[field.start + i] != text.utf8Start[i] { return false }
        return true
    }

    /// Ids go into MQTT topics: 1–32 of a-z 0-9 - _.
    func identifier(_ value: Field, line: Int) throws(ProvisioningError) {
        guard (1...32).contains(value.count) else { throw .badValue(line: line) }
        for i in value.start..<value.start + value.count {
            let b = block[i]
            let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
            guard ok else { throw .badValue(line: line) }
        }
    }

    func number(_ value: Field, in range: ClosedRange<UInt32>, line: Int) throws(ProvisioningError) -> UInt32 {
        guard (1...7).contains(value.count) else { throw .badValue(line: line) }
        var n: UInt32 = 0
        for i in value.start..<value.start + value.count {
            let b = block[i]
            guard b >= 0x30, b <= 0x39 else { throw .badValue(line: line) }
            n = n * 10 + UInt32(b - 0x30)
        }
        guard range.contains(n) else { throw .badValue(line: line) }
        return n
    }

    func hex32(_ value: Field) -> UInt32? {
        guard value.count == 8 else { return nil }
        var n: UInt32 = 0
        for i in value.start..<value.start + 8 {
            let b = block[i]
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x61...0x66: digit = b - 0x61 + 10
            case 0x41...0x46: digit = b - 0x41 + 10
            default: return nil
            }
            n = n << 4 | UInt32(digit)
        }
        return n
    }
}

/// CRC-32 (IEEE 802.3, as zlib computes it) of the first `count` bytes, bit by bit: no table.
public func crc32(_ bytes: UnsafeBufferPointer<UInt8>, count: Int) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for i in 0..<count {
        crc ^= UInt32(bytes[i])
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
        }
    }
    return ~crc
}

/// What ESP-AT cannot take: a command line of 256 bytes or more ("the length of the entire AT
/// command should be less than 256 bytes", its MQTT command notes), and topics over 64 bytes
/// (older ESP-AT releases cap them there; newer ones take 128).
public enum ATLimit: CaseIterable, Sendable, Equatable {
    /// `AT+CWJAP`: wifi_ssid and wifi_password.
    case wifiJoin
    /// `AT+MQTTUSERCFG`: node, mqtt_user and mqtt_password.
    case mqttLogin
    /// The last will's topic `cantine/<site>/nodes/<node>/status`.
    case willTopic
    /// The report topic `cantine/<site>/desks/<desk>/report`.
    case reportTopic

    /// The most bytes ESP-AT takes.
    public var maximum: Int {
        switch self {
        case .wifiJoin, .mqttLogin: 255
        case .willTopic, .reportTopic: 64
        }
    }
}

/// A setting every node needs.
public enum RequiredSetting: Sendable, Equatable {
    case site, desk, node, wifiSSID, brokerHost
}

/// Why a provisioning block was refused (the node prints it on its console and stays offline).
public enum ProvisioningError: Error, Equatable {
    /// No `CANTINE-NODE 1` magic line: the block was never written (erased flash).
    case notProvisioned
    case unterminated(line: Int)
    case malformed(line: Int)
    case unknownKey(line: Int)
    case badValue(line: Int)
    case missing(RequiredSetting)
    case missingCRC
    case badCRC
    /// Settings that fit the block but not an AT command or topic: `bytes` it would take.
    case tooLong(ATLimit, bytes: Int)

    /// One line for the console, naming what is wrong and how to fix it.
    public func describe<Sink: ByteSink>(to sink: inout Sink) {
        sink.put("provisioning: ")
        switch self {
        case .notProvisioned: sink.put("no block (erased flash): write one with Firmware/provision")
        case .unterminated(let line): Self.at(line, "is not ended by a newline", to: &sink)
        case .malformed(let line): Self.at(line, "is not key=value", to: &sink)
        case .unknownKey(let line): Self.at(line, "has an unknown key", to: &sink)
        case .badValue(let line): Self.at(line, "has a value out of range or with a bad character", to: &sink)
        case .missing(let key):
            sink.put("missing ")
            switch key {
            case .site: sink.put("site")
            case .desk: sink.put("desk")
            case .node: sink.put("node")
            case .wifiSSID: sink.put("wifi_ssid")
            case .brokerHost: sink.put("broker_host")
            }
            sink.put(": rewrite the block with Firmware/provision")
        case .missingCRC: sink.put("no crc= line: the block is truncated, rewrite it")
        case .badCRC: sink.put("crc mismatch: the block is corrupt, rewrite it")
        case .tooLong(let limit, let bytes):
            switch limit {
            case .wifiJoin: sink.put("wifi_ssid and wifi_password make AT+CWJAP ")
            case .mqttLogin: sink.put("node, mqtt_user and mqtt_password make AT+MQTTUSERCFG ")
            case .willTopic: sink.put("site and node make the status topic ")
            case .reportTopic: sink.put("site and desk make the report topic ")
            }
            sink.put(decimal: UInt32(truncatingIfNeeded: bytes))
            sink.put(" bytes, ESP-AT takes ")
            sink.put(decimal: UInt32(limit.maximum))
            sink.put(": shorten them and rewrite the block")
        }
    }

    static func at<Sink: ByteSink>(_ line: Int, _ what: StaticString, to sink: inout Sink) {
        sink.put("line ")
        sink.put(decimal: UInt32(truncatingIfNeeded: line))
        sink.put(" ")
        sink.put(what)
    }
}
