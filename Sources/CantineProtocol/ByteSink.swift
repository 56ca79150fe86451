// Where encoded bytes go — a UART, a byte counter, an array — so encoders write straight to
// their destination with no intermediate buffer (the node has no heap on its hot path).
// Pure and Embedded-Swift compatible: used through generics, never as an existential.

/// A destination for bytes.
public protocol ByteSink {
    /// Writes one byte.
    mutating func put(_ byte: UInt8)
}

extension ByteSink {
    /// Writes the bytes of a static string.
    public mutating func put(_ text: StaticString) {
        let p = text.utf8Start
        for i in 0..<text.utf8CodeUnitCount { put(p[i]) }
    }

    /// Writes every byte of `bytes`.
    public mutating func put(bytes: some Sequence<UInt8>) {
        for b in bytes { put(b) }
    }

    /// Writes `value` in decimal ASCII.
    public mutating func put(decimal value: UInt32) {
        var divisor: UInt32 = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            put(UInt8(truncatingIfNeeded: (value / divisor) % 10) + 0x30)
            divisor /= 10
        }
    }

    /// Writes `value` in decimal ASCII, with a minus sign when negative.
    public mutating func put(decimal value: Int32) {
        if value < 0 { put(UInt8(ascii: "-")) }
        put(decimal: value.magnitude)
    }
}

/// Counts bytes without storing them (the length of a payload before sending it).
public struct ByteCounter: ByteSink, Sendable {
    public private(set) var count = 0
    public init() {}
    public mutating func put(_ byte: UInt8) { count += 1 }
}

extension Array: ByteSink where Element == UInt8 {
    public mutating func put(_ byte: UInt8) { append(byte) }
}
