// Where a feed comes from: a local path, `-` for standard input, or a file/http(s) URL;
// and the feed name an import files it under when none is given.

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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
            var request = URLRequest(url: url, timeoutInterval: 30)
            request.setValue("text/calendar, application/json;q=0.9, */*;q=0.5", forHTTPHeaderField: "Accept")
            do {
                let (body, response) = try await URLSession.shared.data(for: request)
                if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                    throw ImportError("\(source): the server answered HTTP \(http.statusCode)")
                }
                data = body
            } catch let e as ImportError {
                throw e
            } catch {
                throw ImportError("\(source): cannot fetch (\(error.localizedDescription))")
            }
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
