// Lines from an ESP-AT module: bytes up to "\n" with the "\r" dropped, in a fixed buffer (a
// longer line is cut and flagged, never overflows), plus the bare ">" prompt that
// AT+MQTTPUBRAW sends without a newline. Pure, Embedded-Swift compatible, no heap.

import CantineProtocol

/// What a received byte completed.
public enum ModemInput: Equatable {
    /// A whole line is in `ModemLine.text`.
    case line
    /// The data prompt of AT+MQTTPUBRAW.
    case prompt
}

/// Assembles a module's output into lines.
public struct ModemLine {
    public static let capacity = 96
    var storage = InlineArray<96, UInt8>(repeating: 0)
    /// Bytes of the current (or just completed) line.
    public private(set) var count = 0
    /// The line was longer than the buffer; its end was dropped.
    public private(set) var truncated = false
    var complete = false

    public init() {}

    /// Feeds one byte.
    public mutating func feed(_ byte: UInt8) -> ModemInput? {
        if complete {
            count = 0
            truncated = false
            complete = false
        }
        switch byte {
        case 0x0A:
            complete = true
            // Blank lines (the module's "\r\n" separators) complete nothing.
            if count == 0 && !truncated {
                complete = false
                return nil
            }
            return .line
        case 0x0D:
            return nil
        case UInt8(ascii: ">") where count == 0:
            complete = true
            return .prompt
        default:
            if count < Self.capacity {
                storage[count] = byte
                count += 1
            } else {
                truncated = true
            }
            return nil
        }
    }

    /// The completed line is exactly `text`.
    public func isExactly(_ text: StaticString) -> Bool {
        count == text.utf8CodeUnitCount && hasPrefix(text)
    }

    /// The completed line starts with `text`.
    public func hasPrefix(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard n <= count else { return false }
        for i in 0..<n where storage[i] != text.utf8Start[i] { return false }
        return true
    }
}
