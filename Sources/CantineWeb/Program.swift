// The program, public: /program (today and the coming days, readable on a phone — the
// entrance screen's QR code points here; drawn fresh, it marks what is on) and its files for
// other tools (/program/schedule.json and .xml in frab's format, /program/program.ics), each
// cacheable with an ETag and Last-Modified and answered 304 when the client already has it.

import CantineCore
import CantineSite
import Foundation
import HTTPTypes
import Hummingbird

func programRoutes(_ context: WebContext) -> RouteCollection<WebRequestContext> {
    let router = RouteCollection(context: WebRequestContext.self)
    @Sendable func published() throws -> PublishedProgram {
        guard let program = context.program else { throw WebError(.notFound, "the program is not published here") }
        return program.current()
    }
    router.get("/program") { _, _ -> Response in
        // The page marks what is on now: drawn fresh each time, no validators to go stale.
        html(programPage(try published(), locale: context.boardSettings.locale, now: context.engine.now))
    }
    router.get("/program/style.css") { _, _ -> Response in Asset.programStyle.response }
    router.get("/program/schedule.json") { request, _ -> Response in
        let program = try published()
        return cacheable(request, program.scheduleJSON, type: "application/json; charset=utf-8", program, tag: "json")
    }
    router.get("/program/schedule.xml") { request, _ -> Response in
        let program = try published()
        return cacheable(request, program.scheduleXML, type: "application/xml; charset=utf-8", program, tag: "xml")
    }
    router.get("/program/program.ics") { request, _ -> Response in
        let program = try published()
        return cacheable(request, program.ics, type: "text/calendar; charset=utf-8", program, tag: "ics")
    }
    return router
}

/// A published file with its validators; 304 when the client's copy is current.
func cacheable(
    _ request: Request, _ body: [UInt8], type: String, _ program: PublishedProgram, tag: String
) -> Response {
    let etag = "\"\(program.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))).\(tag)\""
    let modified = httpDate(program.modified)
    let headers: HTTPFields = [
        .contentType: type, .eTag: etag, .lastModified: modified, .cacheControl: "public, max-age=60",
        .accessControlAllowOrigin: "*", .xContentTypeOptions: "nosniff",
    ]
    let matches: Bool
    if let tags = request.headers[.ifNoneMatch] {
        // Weak comparison (RFC 9110 §13.1.2): a proxy that compresses hands back W/"…".
        matches = tags.split(separator: ",").contains { tag in
            let t = tag.trimmingCharacters(in: .whitespaces)
            return t == "*" || (t.hasPrefix("W/") ? String(t.dropFirst(2)) : t) == etag
        }
    } else if let since = request.headers[.ifModifiedSince].flatMap(parseHTTPDate) {
        // HTTP dates have whole seconds.
        matches = Double(program.modified.micros) / 1_000_000 < since + 1
    } else {
        matches = false
    }
    if matches { return Response(status: .notModified, headers: headers) }
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
}

/// `Fri, 04 Dec 2026 17:04:49 GMT` (RFC 9110's IMF-fixdate).
func httpDate(_ t: Instant) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "GMT")
    f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return f.string(from: t.date)
}

/// Seconds since 1970 of an IMF-fixdate, nil when it is not one.
func parseHTTPDate(_ text: String) -> Double? {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "GMT")
    f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return f.date(from: text)?.timeIntervalSince1970
}

/// The program as a page: a section per day, a row per session (time, title, room, speakers,
/// track; the abstract behind a disclosure), links to the files.
func programPage(_ program: PublishedProgram, locale: String, now: Instant) -> String {
    let fr = locale == "fr"
    let zone = TimeZone(identifier: program.zone) ?? .gmt
    let dayName = DateFormatter()
    dayName.locale = Locale(identifier: fr ? "fr_FR" : "en_GB")
    dayName.timeZone = zone
    dayName.setLocalizedDateFormatFromTemplate("EEEEdMMMM")
    let calendar = SiteCalendar.cached(program.zone)
    let today = calendar.date(of: now)
    let e = Asset.escape
    var body = ""
    func item(_ s: ProgramSession, _ room: String?) -> String {
        let over = s.end <= now
        let live = s.start <= now && now < s.end
        var li = "<li id=\"s-\(e(s.id.rawValue))\" class=\"\(s.kind.rawValue)\(over ? " over" : live ? " live" : "")\">"
        li += "<p class=\"when\"><time datetime=\"\(e(iso(s.start)))\">\(calendar.hhmm(s.start))</time>–"
        li += "<time datetime=\"\(e(iso(s.end)))\">\(calendar.hhmm(s.end))</time>"
        if live { li += " <strong class=\"now\">\(fr ? "en cours" : "now")</strong>" }
        li += "</p><h3>\(e(s.title))</h3><p class=\"where\">"
        li += e(room ?? (fr ? "Tout le lieu" : "Whole space"))
        let people = s.details?.persons.map(\.name) ?? s.speakers
        if !people.isEmpty { li += " · " + e(people.joined(separator: ", ")) }
        if let track = s.track { li += " · <span class=\"track\">\(e(track))</span>" }
        li += "</p>"
        if let about = s.details?.abstract ?? s.details?.subtitle {
            li += "<details><summary>\(fr ? "Résumé" : "Abstract")</summary><p>\(e(about))</p></details>"
        }
        return li + "</li>"
    }
    for day in program.days {
        let heading =
            day.date == today
            ? (fr ? "Aujourd’hui" : "Today") + " · " + dayName.string(from: calendar.instant(day.date, hour: 12).date)
            : dayName.string(from: calendar.instant(day.date, hour: 12).date)
        body += "<section aria-labelledby=\"d-\(day.date)\"><h2 id=\"d-\(day.date)\">\(e(heading))</h2>"
        if day.sessions.isEmpty {
            body += "<p class=\"none\">\(fr ? "Pas de session prévue." : "No session planned.")</p>"
        }
        // What is over is folded away: a phone opens on what is on now and next.
        let over = day.sessions.filter { $0.session.end <= now }
        if !over.isEmpty {
            let label = fr ? "\(over.count) déjà passée\(over.count > 1 ? "s" : "")" : "\(over.count) over"
            body += "<details class=\"past\"><summary>\(label)</summary><ol>"
            for (s, room) in over { body += item(s, room) }
            body += "</ol></details>"
        }
        body += "<ol>"
        for (s, room) in day.sessions where s.end > now { body += item(s, room) }
        body += "</ol></section>"
    }
    let files =
        "<a href=\"/program/program.ics\">\(fr ? "Agenda (.ics)" : "Calendar (.ics)")</a> · "
        + "<a href=\"/program/schedule.json\">schedule.json</a> · <a href=\"/program/schedule.xml\">schedule.xml</a>"
    return """
        <!doctype html>
        <html lang="\(fr ? "fr" : "en")">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(program.siteName)) — \(fr ? "Programme" : "Program")</title>
        <link rel="stylesheet" href="/program/style.css">
        <link rel="alternate" type="text/calendar" href="/program/program.ics">
        </head>
        <body>
        <header><h1>\(e(program.siteName))</h1><p>\(fr ? "Programme" : "Program")</p></header>
        <main>\(body)</main>
        <footer><p>\(files)</p></footer>
        </body>
        </html>

        """
}

private func iso(_ t: Instant) -> String {
    let f = ISO8601DateFormatter()
    return f.string(from: t.date)
}
