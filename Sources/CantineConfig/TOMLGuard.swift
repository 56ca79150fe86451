// The TOML guard and `${VAR}` substitution: what runs on a config's text before TOMLKit sees
// it, so that no input — a config, a pinout, safe boot's salvage of a refused one — can abort
// the process, and secrets can come from the environment.

import Foundation
import TOMLKit

extension Config {
    /// Refuses control characters TOML never allows (all but tab, LF and CR), and what toml++
    /// asserts on (aborting the process) rather than failing — found by fuzzing: a table header
    /// that does not start with a name (`[é…]`, `[ # …`), and a `}` inside an array (`[3, }`).
    /// The text is read as toml++ reads it: code points (`[` and a combining mark after it are
    /// one Swift Character), strings and comments skipped, arrays and inline tables nested.
    public static func checkCharacters(_ text: String, file: String) throws(ConfigError) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }  // a byte-order mark, as toml++ skips it
        var i = 0
        var line = 1
        var lineStart = true  // nothing but blanks since the last line break
        var open: [Unicode.Scalar] = []  // the arrays and inline tables the value is in
        func at(_ k: Int) -> Unicode.Scalar { k < scalars.count ? scalars[k] : "\n" }
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "\n":
                line += 1
                lineStart = true
            case " ", "\t", "\r": break
            case "#":
                while i + 1 < scalars.count && scalars[i + 1] != "\n" { i += 1 }
            case "\"", "'":
                // A string, maybe multi-line (line breaks counted); escapes only in "…".
                let quotes = at(i + 1) == c && at(i + 2) == c ? 3 : 1
                i += quotes
                while i < scalars.count {
                    if scalars[i] == "\\" && c == "\"" {
                        i += 1
                        if at(i) == "\n" { line += 1 }
                    } else if scalars[i] == "\n" && quotes == 1 {
                        i -= 1  // an unterminated string ends with its line (toml++ says so)
                        break
                    } else if scalars[i] == "\n" {
                        line += 1
                    } else if scalars[i] == c && (quotes == 1 || (at(i + 1) == c && at(i + 2) == c)) {
                        // A closing """ may carry one or two more quotes of the string's own.
                        if quotes == 3 { while at(i + 3) == c && i + 3 < scalars.count { i += 1 } }
                        i += quotes - 1
                        break
                    }
                    i += 1
                }
                lineStart = false
            case "[" where open.isEmpty && lineStart:
                // A table header (`[name]` or `[[name]]`): a name must follow.
                var k = i + 1
                if at(k) == "[" { k += 1 }
                while at(k) == " " || at(k) == "\t" { k += 1 }
                let first = at(k)
                let bare =
                    first.isASCII
                    && (first.properties.isAlphabetic || ("0"..."9").contains(first) || first == "-" || first == "_")
                if !bare && first != "\"" && first != "'" {
                    throw ConfigError(
                        "\(file):\(line): a table header starts with '\(String(first).oneLine)': write [name] on one line, with ASCII letters, digits, - and _, or a quoted name"
                    )
                }
                i = k - 1
                lineStart = false
            case "[", "{":
                open.append(c)
                lineStart = false
            case "]":
                if open.last == "[" { open.removeLast() }
                lineStart = false
            case "}":
                if open.last == "[" {
                    throw ConfigError(
                        "\(file):\(line): '}' inside an array: an array is written [1, 2], a table {a = 1}")
                }
                if open.last == "{" { open.removeLast() }
                lineStart = false
            default:
                lineStart = false
            }
            i += 1
        }
        line = 1
        var column = 0
        for scalar in text.unicodeScalars {
            column += 1
            if scalar == "\n" {
                line += 1
                column = 0
            } else if scalar != "\t" && scalar != "\r" && String.breaksLine(scalar) && scalar.value < 0x80 {
                throw ConfigError(
                    "\(file):\(line):\(column): control character U+\(String(format: "%04X", scalar.value)) is not allowed in TOML: delete it"
                )
            }
        }
    }

    /// Replaces `${NAME}` with the environment variable NAME (escaped for a TOML string).
    /// Comments are left alone.
    static func substitute(_ text: String, file: String, environment: [String: String]) throws(ConfigError) -> String {
        guard text.contains("${") else { return text }
        var out: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let commentStart = Self.commentStart(line)
            var rest = line[..<commentStart]
            var done = ""
            while let open = rest.range(of: "${") {
                done += rest[..<open.lowerBound]
                guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                    throw ConfigError("config \(file):\(number + 1): unterminated ${…}: write ${VARIABLE}")
                }
                let name = String(rest[open.upperBound..<close])
                guard let value = environment[name] else {
                    throw ConfigError(
                        "config \(file):\(number + 1): environment variable \(name) is not set: export it, or write the value in the file"
                    )
                }
                done += value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                rest = rest[rest.index(after: close)...]
            }
            out.append(done + rest + line[commentStart...])
        }
        return out.joined(separator: "\n")
    }

    /// Index where a line's comment starts (a `#` outside quotes), or its end.
    static func commentStart(_ line: Substring) -> Substring.Index {
        var quote: Character?
        var escaped = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if let q = quote {
                if escaped {
                    escaped = false
                } else if c == "\\" && q == "\"" {
                    escaped = true
                } else if c == q {
                    quote = nil
                }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" {
                return i
            }
            i = line.index(after: i)
        }
        return line.endIndex
    }
}

/// Parsing TOML text with TOMLKit without keeping its memory: a parsed `TOMLTable` is never
/// freed (the class has no deinit), ~20 KB per parse of the sample config. Emptying the table
/// when done frees its nodes (about two thirds of that). Harmless for a config read once per
/// start; it is what let the fuzzer run the config and pinout targets for long.
public enum TOML {
    /// Parses `text` and hands the table to `body`, then empties it.
    /// Every text is first checked for what toml++ asserts on (`Config.checkCharacters`), so
    /// no path — the config, a pinout, safe boot's salvage of a refused one — can abort on it.
    public static func parse<T>(_ text: String, _ body: (TOMLTable) throws -> T) throws -> T {
        try Config.checkCharacters(text, file: "TOML")
        let table = try TOMLTable(string: text)
        defer { table.clear() }
        return try body(table)
    }

    /// Decodes `T` from `text` (with unknown keys refused when `strict`).
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, strict: Bool = false) throws -> T {
        try parse(text) { try TOMLDecoder(strictDecoding: strict).decode(type, from: $0) }
    }

    /// `Config.describe` on a fresh parse of `text` (the error came from decoding it).
    static func describe(_ error: DecodingError, in text: String) -> String {
        (try? parse(text) { Config.describe(error, in: $0) }) ?? Config.describe(error, in: nil)
    }
}
