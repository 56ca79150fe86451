// The journal payload of the events that come by the thousand, a desk or room node's report,
// written straight to bytes: JSONEncoder spent 40 % of the journal writer's time on them when a
// backlog drained. Same keys and values as the encoder (nil fields left out), decoded by the
// same JSONDecoder; EventCodecTests holds the two to each other. The bytes differ only where
// JSON allows a choice: `/` is not escaped, control characters other than \n, \r and \t are
// written \u00XX. Nothing compares payloads by their bytes.

import Foundation

extension Event {
    /// The payload of a desk or room report as JSON, nil for other events.
    var reportPayload: Data? {
        switch self {
        case .deskReported(let r):
            ReportJSON.encode(
                place: "desk", r.desk.rawValue, r.occupied, r.seq, r.uptimeS, r.fw, r.rssi.map(Int64.init))
        case .roomReported(let r):
            ReportJSON.encode(
                place: "room", r.room.rawValue, r.occupied, r.seq, r.uptimeS, r.fw, r.rssi.map(Int64.init))
        default: nil
        }
    }
}

enum ReportJSON {
    static func encode(
        place key: StaticString, _ id: String, _ occupied: Bool, _ seq: Int64?, _ uptimeS: Int64?, _ fw: String?,
        _ rssi: Int64?
    ) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(96 + id.utf8.count + (fw?.utf8.count ?? 0))
        out.append(UInt8(ascii: "{"))
        name(key, &out)
        string(id, &out)
        out.append(UInt8(ascii: ","))
        name("occupied", &out)
        out.append(contentsOf: (occupied ? "true" : "false").utf8)
        if let seq { number("seq", seq, &out) }
        if let uptimeS { number("uptimeS", uptimeS, &out) }
        if let fw {
            out.append(UInt8(ascii: ","))
            name("fw", &out)
            string(fw, &out)
        }
        if let rssi { number("rssi", rssi, &out) }
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }

    static func name(_ key: StaticString, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    static func number(_ key: StaticString, _ value: Int64, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        name(key, &out)
        out.append(contentsOf: String(value).utf8)
    }

    /// A JSON string (RFC 8259 § 7): quote, backslash and control characters escaped.
    static func string(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), byte])
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
