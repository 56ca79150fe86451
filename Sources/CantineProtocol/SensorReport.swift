// A desk node's report on `desks/<desk>/report`, encoded and decoded by hand: the firmware
// and the daemon share this file. Pure and Embedded-Swift compatible (no Foundation, no
// Codable, typed throws). A strict little JSON reader: one flat object, bounded size.

/// What a desk sensor node reports: `{"occupied":true,"seq":123,"uptime_s":4567,"fw":"1.0.0"}`
/// plus the optional `"rssi"` (dBm) and `"distance_cm"`.
public struct SensorReport: Sendable, Equatable {
    public var occupied: Bool
    /// Increases with every report of one boot of the node.
    public var seq: UInt32
    /// Seconds since the node booted.
    public var uptimeS: UInt32
    /// Firmware version (1–24 of 0-9 a-z A-Z . - + _).
    public var fw: String
    public var rssi: Int32?
    public var distanceCm: UInt32?

    /// Largest payload accepted, in bytes.
    public static let maxBytes = 256

    public init(
        occupied: Bool, seq: UInt32, uptimeS: UInt32, fw: String, rssi: Int32? = nil, distanceCm: UInt32? = nil
    ) {
        self.occupied = occupied
        self.seq = seq
        self.uptimeS = uptimeS
        self.fw = fw
        self.rssi = rssi
        self.distanceCm = distanceCm
    }

    /// The JSON payload, keys in a fixed order.
    public func encoded() -> String {
        var bytes: [UInt8] = []
        Self.write(
            occupied: occupied, seq: seq, uptimeS: uptimeS, fw: fw.utf8, rssi: rssi, distanceCm: distanceCm,
            to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes a report's JSON payload to `sink`, keys in a fixed order, with no allocation:
    /// what the firmware sends, byte for byte. `fw` must pass the decoder's firmware rule
    /// (1–24 of 0-9 a-z A-Z . - + _); it is written as is.
    public static func write<Sink: ByteSink, Version: Sequence<UInt8>>(
        occupied: Bool, seq: UInt32, uptimeS: UInt32, fw: Version, rssi: Int32? = nil, distanceCm: UInt32? = nil,
        to sink: inout Sink
    ) {
        sink.put("{\"occupied\":")
        if occupied { sink.put("true") } else { sink.put("false") }
        sink.put(",\"seq\":")
        sink.put(decimal: seq)
        sink.put(",\"uptime_s\":")
        sink.put(decimal: uptimeS)
        sink.put(",\"fw\":\"")
        sink.put(bytes: fw)
        sink.put(UInt8(ascii: "\""))
        if let rssi {
            sink.put(",\"rssi\":")
            sink.put(decimal: rssi)
        }
        if let distanceCm {
            sink.put(",\"distance_cm\":")
            sink.put(decimal: distanceCm)
        }
        sink.put(UInt8(ascii: "}"))
    }

    /// Decodes a payload. Unknown keys are skipped (newer firmware); the four required keys
    /// must be present once each, with their types and ranges.
    public static func decode(_ bytes: some Collection<UInt8>) throws(SensorReportError) -> SensorReport {
        guard bytes.count <= maxBytes else { throw .tooLarge(bytes.count) }
        var reader = JSONScanner(Array(bytes))
        var occupied: Bool?
        var seq: UInt32?
        var uptime: UInt32?
        var fw: String?
        var rssi: Int32?
        var distance: UInt32?
        try reader.expect(UInt8(ascii: "{"))
        if !reader.take(UInt8(ascii: "}")) {
            repeat {
                let key = try reader.string()
                try reader.expect(UInt8(ascii: ":"))
                switch key {
                case "occupied":
                    guard occupied == nil else { throw .duplicateKey(key) }
                    occupied = try reader.bool(key)
                case "seq":
                    guard seq == nil else { throw .duplicateKey(key) }
                    seq = UInt32(try reader.integer(key, in: 0...Int64(UInt32.max)))
                case "uptime_s":
                    guard uptime == nil else { throw .duplicateKey(key) }
                    uptime = UInt32(try reader.integer(key, in: 0...Int64(UInt32.max)))
                case "fw":
                    guard fw == nil else { throw .duplicateKey(key) }
                    let text = try reader.string(key)
                    guard Self.validFirmware(text) else { throw .badValue(key) }
                    fw = text
                case "rssi":
                    guard rssi == nil else { throw .duplicateKey(key) }
                    rssi = Int32(try reader.integer(key, in: -200...0))
                case "distance_cm":
                    guard distance == nil else { throw .duplicateKey(key) }
                    distance = UInt32(try reader.integer(key, in: 0...100_000))
                default:
                    try reader.skipValue()
                }
            } while reader.take(UInt8(ascii: ","))
            try reader.expect(UInt8(ascii: "}"))
        }
        guard reader.atEnd else { throw .notJSON(at: reader.offset) }
        guard let occupied else { throw .missingKey("occupied") }
        guard let seq else { throw .missingKey("seq") }
        guard let uptime else { throw .missingKey("uptime_s") }
        guard let fw else { throw .missingKey("fw") }
        return SensorReport(occupied: occupied, seq: seq, uptimeS: uptime, fw: fw, rssi: rssi, distanceCm: distance)
    }

    static func validFirmware(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 24 else { return false }
        for b in bytes {
            let ok =
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E
                || b == 0x2D || b == 0x2B || b == 0x5F
            if !ok { return false }
        }
        return true
    }
}

/// Why a report payload was refused. `reason` is a stable code (metrics, logs).
public enum SensorReportError: Error, Sendable, Equatable {
    case tooLarge(Int)
    case notJSON(at: Int)
    case missingKey(String)
    case duplicateKey(String)
    case wrongType(String)
    case badValue(String)

    /// Stable short code: `too_large`, `not_json`, `missing_key`, `duplicate_key`, `wrong_type`, `bad_value`.
    public var reason: String {
        switch self {
        case .tooLarge: "too_large"
        case .notJSON: "not_json"
        case .missingKey: "missing_key"
        case .duplicateKey: "duplicate_key"
        case .wrongType: "wrong_type"
        case .badValue: "bad_value"
        }
    }

    /// One line for a log.
    public var message: String {
        switch self {
        case .tooLarge(let n): "payload of \(n) bytes: at most \(SensorReport.maxBytes) accepted"
        case .notJSON(let at): "not a JSON object (byte \(at))"
        case .missingKey(let k): "key \"\(k)\" is missing"
        case .duplicateKey(let k): "key \"\(k)\" appears twice"
        case .wrongType(let k): "key \"\(k)\" has the wrong type"
        case .badValue(let k): "key \"\(k)\" is out of range or malformed"
        }
    }
}

/// A cursor over JSON bytes: just what a flat report needs.
struct JSONScanner {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool {
        var copy = self
        copy.skipSpace()
        return copy.offset == bytes.count
    }

    mutating func skipSpace() {
        while offset < bytes.count,
            bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x0D || bytes[offset] == 0x09
        {
            offset += 1
        }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    mutating func expect(_ byte: UInt8) throws(SensorReportError) {
        guard take(byte) else { throw .notJSON(at: offset) }
    }

    mutating func peek() -> UInt8? {
        skipSpace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard offset + n <= bytes.count else { return false }
        let p = word.utf8Start
        for i in 0..<n where bytes[offset + i] != p[i] { return false }
        offset += n
        return true
    }

    /// A string value of `key` (a key's own name when `key` is nil).
    mutating func string(_ key: String? = nil) throws(SensorReportError) -> String {
        guard peek() == UInt8(ascii: "\"") else {
            if let key { throw .wrongType(key) }
            throw .notJSON(at: offset)
        }
        offset += 1
        var out: [UInt8] = []
        while offset < bytes.count {
            let b = bytes[offset]
            offset += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard offset < bytes.count else { throw .notJSON(at: offset) }
                let e = bytes[offset]
                offset += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    // Kept as the escape itself: reports never need one, and skipping is safe.
                    guard offset + 4 <= bytes.count else { throw .notJSON(at: offset) }
                    out.append(UInt8(ascii: "?"))
                    offset += 4
                default: throw .notJSON(at: offset - 1)
                }
            case 0..<0x20:
                throw .notJSON(at: offset - 1)
            default:
                out.append(b)
            }
        }
        throw .notJSON(at: offset)
    }

    mutating func bool(_ key: String) throws(SensorReportError) -> Bool {
        skipSpace()
        if literal("true") { return true }
        if literal("false") { return false }
        if peek() == nil { throw .notJSON(at: offset) }
        throw .wrongType(key)
    }

    /// An integer value (no fraction, no exponent) within `range`.
    mutating func integer(_ key: String, in range: ClosedRange<Int64>) throws(SensorReportError) -> Int64 {
        skipSpace()
        let start = offset
        var negative = false
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") {
            negative = true
            offset += 1
        }
        var value: Int64 = 0
        var digits = 0
        while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 {
            guard digits < 12 else { throw .badValue(key) }
            value = value * 10 + Int64(bytes[offset] - 0x30)
            digits += 1
            offset += 1
        }
        guard digits > 0 else {
            offset = start
            throw .wrongType(key)
        }
        if offset < bytes.count,
            bytes[offset] == UInt8(ascii: ".") || bytes[offset] == UInt8(ascii: "e")
                || bytes[offset] == UInt8(ascii: "E")
        {
            throw .wrongType(key)
        }
        if negative { value = -value }
        guard range.contains(value) else { throw .badValue(key) }
        return value
    }

    /// Skips any value (for keys this version does not know), nesting at most 8 deep.
    mutating func skipValue(depth: Int = 0) throws(SensorReportError) {
        guard depth < 8, let b = peek() else { throw .notJSON(at: offset) }
        switch b {
        case UInt8(ascii: "\""):
            _ = try string()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = b == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            offset += 1
            if take(close) { return }
            repeat {
                if close == UInt8(ascii: "}") {
                    _ = try string()
                    try expect(UInt8(ascii: ":"))
                }
                try skipValue(depth: depth + 1)
            } while take(UInt8(ascii: ","))
            try expect(close)
        default:
            if literal("true") || literal("false") || literal("null") { return }
            let start = offset
            while offset < bytes.count,
                (bytes[offset] >= 0x30 && bytes[offset] <= 0x39) || bytes[offset] == UInt8(ascii: "-")
                    || bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: ".")
                    || bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E")
            {
                offset += 1
            }
            if offset == start { throw .notJSON(at: offset) }
        }
    }
}
