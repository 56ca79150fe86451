// Text quoted from outside (a config line, a calendar property, a form field) goes into error
// messages and log lines; escaping its control characters keeps each message on one line and
// keeps a hostile input from forging a second log line.

extension String {
    /// The text with control characters and line separators written as `\u{XX}` escapes.
    public var oneLine: String {
        guard unicodeScalars.contains(where: Self.breaksLine) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            if Self.breaksLine(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A control character (C0, DEL, C1) or a Unicode line or paragraph separator.
    public static func breaksLine(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028
            || scalar.value == 0x2029
    }
}
