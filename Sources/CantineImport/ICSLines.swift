// libical's parser fed one content line at a time. `icalparser_parse_string` writes a line of
// its own to stderr when an END comes before its BEGIN (`icalerror_warn`, unconditional), ahead
// of our one-line error; here every BEGIN and END is counted as libical counts them, and an END
// that closes nothing is refused first, with the line it is on.

import CICal
import Foundation

extension ICSReader {
    /// The top-level components libical builds from `text` (one VCALENDAR in a good file), for
    /// the caller to free; empty when no component is complete. Throws on an END line that
    /// closes no component.
    static func parse(_ text: String) throws(ImportError) -> [OpaquePointer] {
        let feed = LineFeed(text)
        guard let parser = icalparser_new() else { throw ImportError("out of memory reading the calendar") }
        defer { icalparser_free(parser) }
        let saved = icalerror_get_error_state(ICAL_MALFORMEDDATA_ERROR)
        icalerror_set_error_state(ICAL_MALFORMEDDATA_ERROR, ICAL_ERROR_NONFATAL)
        defer { icalerror_set_error_state(ICAL_MALFORMEDDATA_ERROR, saved) }

        var roots: [OpaquePointer] = []
        var depth = 0
        var start = 1
        return try withExtendedLifetime(feed) { () throws(ImportError) -> [OpaquePointer] in
            icalparser_set_gen_data(parser, Unmanaged.passUnretained(feed).toOpaque())
            while let line = icalparser_get_line(parser, LineFeed.next) {
                defer { icalmemory_free_buffer(line) }
                // libical reads a line ahead: the piece it holds starts the next content line.
                let number = start
                start = feed.lastPieceLine
                let bytes = UnsafeRawBufferPointer(start: line, count: strlen(line)).bindMemory(to: UInt8.self)
                let marker = Marker(bytes)
                if marker == .end && depth == 0 {
                    roots.forEach { icalcomponent_free($0) }
                    let quoted = String(decoding: bytes.prefix(60), as: UTF8.self)
                    throw ImportError(
                        "line \(number): '\(quoted)' ends a component that never began: every END needs its BEGIN before it"
                    )
                }
                depth += marker == .begin ? 1 : marker == .end ? -1 : 0
                if let root = icalparser_add_line(parser, line) { roots.append(root) }
                agrees(icalparser_get_state(parser), marker: marker, depth: depth, blank: Marker.isBlank(bytes))
            }
            return roots
        }
    }

    /// A component's first or last line, as libical tells them: the name before the first `:`
    /// or `;` is BEGIN or END in any case (trailing blanks dropped).
    enum Marker {
        case begin, end

        init?(_ line: UnsafeBufferPointer<UInt8>) {
            func named(_ word: String) -> Bool {
                let n = word.utf8.count
                guard line.count > n, zip(line.prefix(n), word.utf8).allSatisfy({ $0 & 0xDF == $1 }) else {
                    return false
                }
                let rest = line.dropFirst(n).drop { [9, 10, 11, 12, 13, 32].contains($0) }
                return rest.first == UInt8(ascii: ":") || rest.first == UInt8(ascii: ";")
            }
            if named("BEGIN") {
                self = .begin
            } else if named("END") {
                self = .end
            } else {
                return nil
            }
        }

        /// A line libical skips (spaces, tabs and newlines only).
        static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
            line.allSatisfy { $0 == 32 || $0 == 9 || $0 == 10 }
        }
    }

    /// Whether libical's state after a line is what counting BEGIN and END lines expects: a
    /// component begun, ended, the calendar complete, or a property. Checked in test and fuzz
    /// builds: a line libical counted and this file did not would be a stray END let through.
    static func agrees(_ state: icalparser_state, marker: Marker?, depth: Int, blank: Bool) {
        let expected: Bool =
            switch marker {
            case .begin: state == ICALPARSER_BEGIN_COMP
            case .end: state == (depth == 0 ? ICALPARSER_SUCCESS : ICALPARSER_END_COMP)
            case nil: blank || state == ICALPARSER_IN_PROGRESS || state == ICALPARSER_ERROR
            }
        #if FUZZING
            precondition(expected, "libical counted BEGIN/END lines differently (state \(state.rawValue))")
        #else
            assert(expected, "libical counted BEGIN/END lines differently (state \(state.rawValue))")
        #endif
    }
}

/// The text handed to libical piece by piece as its own string reader does — a piece ends
/// after a newline (after a CR when no LF is left), is at most the buffer libical gives, and
/// the text ends at its first NUL; a UTF-8 BOM is skipped — with the line each piece starts on.
final class LineFeed {
    let bytes: [UInt8]
    let end: Int
    var position: Int
    /// Where the current physical line ends (its LF or lone CR), or `end`.
    var lineBreak = -1
    var lineBreakIsCR = false
    var noLFLeft = false
    var newlines = 0
    /// The 1-based line on which the last piece handed out starts.
    var lastPieceLine = 1

    init(_ text: String) {
        bytes = Array(text.utf8)
        end = bytes.firstIndex(of: 0) ?? bytes.count
        position = end >= 3 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    /// libical's line generator: `data` is the feed.
    static let next: icalparser_line_gen_func = { out, size, data in
        guard let out, let data, size > 1 else { return nil }
        return Unmanaged<LineFeed>.fromOpaque(data).takeUnretainedValue().piece(into: out, size: size)
    }

    func piece(into out: UnsafeMutablePointer<CChar>, size: Int) -> UnsafeMutablePointer<CChar>? {
        guard position < end else { return nil }
        if lineBreak < position {
            if !noLFLeft, let lf = bytes[position..<end].firstIndex(of: 10) {
                (lineBreak, lineBreakIsCR) = (lf, false)
            } else {
                noLFLeft = true
                let cr = bytes[position..<end].firstIndex(of: 13)
                (lineBreak, lineBreakIsCR) = (cr ?? end, cr != nil)
            }
        }
        let stop = lineBreak < end ? lineBreak + 1 : end
        let count = min(stop - position, size - 1)
        bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(out).copyMemory(from: raw.baseAddress! + position, byteCount: count)
        }
        position += count
        if lineBreakIsCR && position == stop { out[count - 1] = 10 }
        out[count] = 0
        lastPieceLine = newlines + 1
        if out[count - 1] == 10 { newlines += 1 }
        return out
    }
}
