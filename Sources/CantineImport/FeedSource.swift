// Where a feed comes from: a local path, `-` for standard input, or a file/http(s) URL;
// and the feed name an import files it under when none is given. URLs are fetched with the
// curl command, not URLSession: that keeps FoundationNetworking — libcurl and the two dozen
// libraries behind it, about 4 MB resident — out of the binary the door daemon runs all day
// for a fetch only `cantine import` makes.

import Foundation

/// Reads import sources.
public enum FeedSource {
    /// Largest feed read (a year of a busy calendar is well under it).
    public static let maxBytes = 16 << 20

    /// The text at `source`: a path, `-` (stdin), `file://…`, or `http(s)://…` (30 s timeout).
    public static func text(of source: String) async throws(ImportError) -> String {
        let data: Data
        if source == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else if let url = URL(string: source), let scheme = url.scheme?.lowercased(),
            ["http", "https"].contains(scheme)
        {
            data = try await fetch(source)
        } else {
            let path = source.hasPrefix("file://") ? URL(string: source)?.path ?? source : source
            guard let d = FileManager.default.contents(atPath: path) else {
                throw ImportError("\(source): no such readable file")
            }
            data = d
        }
        guard data.count <= maxBytes else {
            throw ImportError("\(source): \(data.count) bytes is more than the \(maxBytes >> 20) MB a feed may have")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ImportError("\(source): not UTF-8 text")
        }
        return text
    }

    /// The body at an http(s) URL, fetched by curl (redirects followed, 30 s at most, at most
    /// `maxBytes`); a status other than 2xx is an error naming it.
    static func fetch(_ url: String) async throws(ImportError) -> Data {
        guard
            let curl = ["/usr/bin/curl", "/bin/curl", "/usr/local/bin/curl"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw ImportError(
                "\(url): fetching a URL needs curl (apt install curl); or download it and import the file")
        }
        let body = FileManager.default.temporaryDirectory.appendingPathComponent("cantine-feed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: body) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: curl)
        process.arguments = [
            "--silent", "--show-error", "--location", "--max-redirs", "5", "--proto", "=http,https",
            "--max-time", "30", "--max-filesize", "\(maxBytes)", "--output", body.path, "--write-out", "%{http_code}",
            "--header", "Accept: text/calendar, application/json;q=0.9, */*;q=0.5", "--", url,
        ]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = await withCheckedContinuation { done in
            process.terminationHandler = { done.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                done.resume(returning: -1)
            }
        }
        let code = Int(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? 0
        // curl says `curl: (7) Failed to connect to …`: its reason without the prefix.
        let complaint = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(whereSeparator: \.isNewline).last.map { line -> String in
                var reason = line.replacingOccurrences(of: "curl: ", with: "")
                if reason.hasPrefix("("), let close = reason.firstIndex(of: ")") {
                    reason = String(reason[reason.index(after: close)...].drop { $0 == " " })
                }
                return reason
            }
        switch status {
        case 0 where (200..<300).contains(code): break
        case 0: throw ImportError("\(url): the server answered HTTP \(code)")
        case 63: throw ImportError("\(url): more than the \(maxBytes >> 20) MB a feed may have")
        case -1: throw ImportError("\(url): cannot run \(curl)")
        default: throw ImportError("\(url): cannot fetch (\(complaint ?? "curl exit status \(status)"))")
        }
        // curl 7.x enforces --max-filesize only when the size is announced: check what came.
        let size = (try? FileManager.default.attributesOfItem(atPath: body.path))?[.size] as? Int ?? 0
        guard size <= maxBytes else { throw ImportError("\(url): more than the \(maxBytes >> 20) MB a feed may have") }
        guard let data = FileManager.default.contents(atPath: body.path) else {
            throw ImportError("\(url): the server answered HTTP \(code) with no body")
        }
        return data
    }

    /// A feed name from a source: the file name without extension, or the URL's host and last
    /// path component, lower-cased to `a-z 0-9 -`.
    public static func feedName(for source: String) -> String {
        var base: String
        if let url = URL(string: source), let host = url.host {
            let last = url.deletingPathExtension().lastPathComponent
            base = last.isEmpty || last == "/" ? host : host + "-" + last
        } else {
            base = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        }
        base = base.lowercased().folding(options: .diacriticInsensitive, locale: nil)
        var out = ""
        for c in base.unicodeScalars {
            let ok = ("a"..."z").contains(c) || ("0"..."9").contains(c)
            if ok { out.unicodeScalars.append(c) } else if !out.hasSuffix("-") { out += "-" }
        }
        out = String(out.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(64))
        return out.isEmpty ? "feed" : out
    }
}
