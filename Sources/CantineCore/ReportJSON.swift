// The journal payload of the events that come by the thousand, a desk or room node's report,
// written straight to bytes: JSONEncoder spent 40 % of the journal writer's time on them when a
// backlog drained. Same keys and values as the encoder (nil fields left out), decoded by the
// same JSONDecoder; EventCodecTests holds the two to each other. The bytes differ only where
// JSON allows a choice: `/` is not escaped, control characters other than \n, \r and \t are
// written \u00XX. Nothing compares payloads by their bytes.

import CantineProtocol
import Foundation

extension Event {
    /// The payload of a desk or room report as JSON, nil for other events.
    var reportPayload: Data? {
        switch self {
        case .deskReported(let r):
            ReportJSON.encode(
                place: "{\"desk\":", r.desk.rawValue, r.occupied, r.seq, r.uptimeS, r.fw, r.rssi.map(Int64.init))
        case .roomReported(let r):
            ReportJSON.encode(
                place: "{\"room\":", r.room.rawValue, r.occupied, r.seq, r.uptimeS, r.fw, r.rssi.map(Int64.init))
        default: nil
        }
    }
}

enum ReportJSON {
    /// `place` opens the object with the place's key (`{"desk":`).
    static func encode(
        place: StaticString, _ id: String, _ occupied: Bool, _ seq: Int64?, _ uptimeS: Int64?, _ fw: String?,
        _ rssi: Int64?
    ) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(96 + id.utf8.count + (fw?.utf8.count ?? 0))
        out.put(place)
        string(id, &out)
        out.put(occupied ? ",\"occupied\":true" : ",\"occupied\":false")
        if let seq { number(",\"seq\":", seq, &out) }
        if let uptimeS { number(",\"uptimeS\":", uptimeS, &out) }
        if let fw {
            out.put(",\"fw\":")
            string(fw, &out)
        }
        if let rssi { number(",\"rssi\":", rssi, &out) }
        out.put("}")
        return Data(out)
    }

    static func number(_ key: StaticString, _ value: Int64, _ out: inout [UInt8]) {
        out.put(key)
        out.put(bytes: String(value).utf8)
    }

    /// A JSON string (RFC 8259 § 7): quote, backslash and control characters escaped.
    static func string(_ s: String, _ out: inout [UInt8]) {
        out.put("\"")
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.put(bytes: [UInt8(ascii: "\\"), byte])
            case 0x0A: out.put("\\n")
            case 0x0D: out.put("\\r")
            case 0x09: out.put("\\t")
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                out.put("\\u00")
                out.put(hex.utf8Start[Int(byte >> 4)])
                out.put(hex.utf8Start[Int(byte & 0xF)])
            default: out.put(byte)
            }
        }
        out.put("\"")
    }
}
