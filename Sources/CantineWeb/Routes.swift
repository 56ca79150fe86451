// The JSON API's read routes, its event stream and /metrics (every one needs a session or a
// token; the guard has checked it before a handler runs).

import CantineCore
import CantineSite
import CantineStore
import Foundation
import HTTPTypes
import Hummingbird

/// The read API: JSON views of the state and records, the event stream, /metrics.
func readRoutes(_ context: WebContext) -> RouteCollection<WebRequestContext> {
    let router = RouteCollection(context: WebRequestContext.self)
    let engine = context.engine
    /// Member names for staff; a reader token sees opaque ids only.
    @Sendable func names(_ ctx: WebRequestContext) -> @Sendable (MemberID) -> String? {
        guard (ctx.identity?.role ?? .reader) >= .staff else { return { _ in nil } }
        let records = context.site.records
        return { records.memberName($0.rawValue) }
    }
    router.get("/api/me") { _, ctx -> Response in
        let me = try ctx.require(.reader)
        let zone = engine.read { $0.layout?.timeZone } ?? "UTC"
        let today = SiteCalendar.cached(zone).date(of: engine.now).description
        return try json(
            Me(
                name: me.name, displayName: me.displayName, role: me.role.rawValue, csrf: me.csrf, timeZone: zone,
                today: today, locale: context.boardSettings.locale))
    }
    router.get("/api/occupancy") { _, _ -> Response in
        let now = engine.now
        return try json(engine.read { $0.occupancy(at: now) })
    }
    router.get("/api/desks") { _, ctx -> Response in
        let now = engine.now
        let lookup = names(ctx)
        return try json(engine.read { DeskView.all($0, now: now, names: lookup) })
    }
    router.get("/api/desks/{id}") { _, ctx -> Response in
        let id = ctx.parameters.get("id") ?? ""
        let now = engine.now
        let lookup = names(ctx)
        guard let desk = engine.read({ DeskView.all($0, now: now, names: lookup) }).first(where: { $0.desk == id })
        else { throw WebError(.notFound, "no desk '\(id)': see GET /api/desks") }
        return try json(desk)
    }
    router.get("/api/floor") { _, ctx -> Response in
        let now = engine.now
        let lookup = names(ctx)
        return try json(engine.read { FloorPlanView.make($0, now: now, names: lookup) })
    }
    router.get("/api/rooms") { _, ctx -> Response in
        let now = engine.now
        let lookup = names(ctx)
        return try json(engine.read { RoomView.all($0, now: now, names: lookup) })
    }
    router.get("/api/doors") { _, _ -> Response in
        try json(engine.read { DoorView.all($0) })
    }
    router.get("/api/sessions/today") { _, _ -> Response in
        let now = engine.now
        return try json(engine.read { SessionView.day($0, date: nil, now: now) })
    }
    router.get("/api/findings") { request, ctx -> Response in
        let all = request.uri.queryParameters["all"].map { $0 == "1" || $0 == "true" } ?? false
        let lookup = names(ctx)
        return try json(engine.read { FindingView.all($0, includeResolved: all, names: lookup) })
    }
    router.get("/api/network") { _, ctx -> Response in
        _ = try ctx.require(.staff)
        guard let staleAfter = context.networkStaleAfter else {
            throw WebError(.notFound, "this site is in no network of cantines (see docs/network.md)")
        }
        return try json(try context.site.records.networkStatus(now: engine.now, staleAfter: staleAfter))
    }
    router.get("/api/access-log") { request, ctx -> Response in
        _ = try ctx.require(.staff)
        return try json(try accessLog(request, context, maxLimit: 1000))
    }
    router.get("/api/access-log.csv") { request, ctx -> Response in
        _ = try ctx.require(.staff)
        let rows = try accessLog(request, context, maxLimit: 100_000, defaultLimit: 100_000)
        var headers: HTTPFields = [
            .contentType: "text/csv; charset=utf-8; header=present", .cacheControl: "no-store",
        ]
        headers[.contentDisposition] = "attachment; filename=\"access-log.csv\""
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: AccessLogView.csv(rows))))
    }
    router.get("/api/utilisation") { request, ctx -> Response in
        _ = try ctx.require(.staff)
        return try json(try utilisation(request, context))
    }
    router.get("/api/utilisation.csv") { request, ctx -> Response in
        _ = try ctx.require(.staff)
        let report = try utilisation(request, context)
        var headers: HTTPFields = [
            .contentType: "text/csv; charset=utf-8; header=present", .cacheControl: "no-store",
        ]
        headers[.contentDisposition] = "attachment; filename=\"utilisation-\(report.from)-\(report.to).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: report.csv)))
    }
    router.get("/api/bookings") { request, ctx -> Response in
        let now = engine.now
        let lookup = names(ctx)
        let date = try request.uri.queryParameters["date"].map { text throws -> LocalDate in
            guard let d = LocalDate(String(text)) else {
                throw WebError(.badRequest, "date must be written YYYY-MM-DD")
            }
            return d
        }
        let calendar = SiteCalendar.cached(engine.read { $0.layout?.timeZone } ?? "UTC")
        // Memory holds a week of ended bookings (State.keepEnded): an older day is read from
        // the records, which the journal keeps in step (CantineStore/Projection).
        if let date,
            calendar.instant(date, hour: 0) + .seconds(86_400) < now - State.keepEnded
        {
            let (from, to) = (
                calendar.instant(date, hour: 0), calendar.instant(calendar.adding(days: 1, to: date), hour: 0)
            )
            let records = try context.site.records.bookings(overlapping: from, to)
            return try json(records.map { BookingView($0, name: lookup(MemberID($0.memberId))) })
        }
        return try json(
            engine.read { state in
                return state.bookings.values
                    .filter { b in
                        if let date { return calendar.date(of: b.start) <= date && date <= calendar.date(of: b.end) }
                        return b.end > now && b.holds
                    }
                    .sorted { ($0.start, $0.id) < ($1.start, $1.id) }
                    .map { BookingView($0, name: lookup($0.member)) }
            })
    }
    router.get("/api/members") { _, ctx -> Response in
        _ = try ctx.require(.staff)
        let now = engine.now
        let state = engine.read { $0 }
        return try json(try MemberView.all(context.site.records, state: state, now: now))
    }
    router.get("/api/presence") { _, ctx -> Response in
        _ = try ctx.require(.staff)
        let now = engine.now
        let lookup = names(ctx)
        return try json(engine.read { PresenceView.all($0, now: now, names: lookup) })
    }
    router.get("/api/unknown-cards") { _, ctx -> Response in
        _ = try ctx.require(.staff)
        let since = (engine.now - .minutes(24 * 60)).micros
        // A card enrolled since it was refused is no longer unknown.
        let enrolled = Set(
            try context.site.records.credentials(member: nil).filter { $0.revokedUs == nil }.map {
                "\($0.format)/\($0.facility)/\($0.cardNumber)"
            })
        let reads = try context.site.records.unknownReads(afterSeq: 0, door: nil, sinceUs: since)
            .filter { !enrolled.contains("\($0.format)/\($0.facility)/\($0.cardNumber)") }
        return try json(Array(reads.reversed().prefix(20)))
    }
    router.get("/api/stream") { request, _ -> Response in
        guard let events = context.events else {
            throw WebError(.serviceUnavailable, "the event stream is not running")
        }
        var last: Int64?
        if let text = request.headers[.lastEventID] ?? request.uri.queryParameters["after"].map(String.init) {
            guard let seq = Int64(text), seq >= 0 else {
                throw WebError(.badRequest, "Last-Event-ID must be a journal sequence number")
            }
            last = seq
        }
        return eventStream(events.connect(lastEventID: last))
    }
    router.get("/metrics") { _, _ -> Response in
        let now = engine.now
        let state = engine.read { $0 }
        let text = context.metrics.scrape(
            state: state, now: now, components: context.health(), sse: context.streams)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    return router
}

/// Who is signed in (the dashboard reads its CSRF token here).
struct Me: Codable {
    var name: String
    var displayName: String
    var role: String
    var csrf: String?
    /// The site's IANA time zone: the dashboard shows times as the site's clocks do.
    var timeZone: String
    /// The site's date now (`YYYY-MM-DD`): what the dashboard's date fields start at.
    var today: String
    /// `fr` or `en`: the site's language.
    var locale: String
}

/// The access log as `request`'s filters ask: `member`, `door`, `outcome` (granted, denied or
/// a reason code), `q` (a name or id), `from` and `to` (the site's days, inclusive), `since`
/// and `until` (ISO 8601 times), `before` (a row's seq: the next page) and `limit`.
func accessLog(_ request: Request, _ context: WebContext, maxLimit: Int, defaultLimit: Int = 50) throws
    -> [AccessLogView]
{
    let q = request.uri.queryParameters
    let state = context.site.engine.read { ($0.layout?.timeZone ?? "UTC", $0.layout?.doors ?? []) }
    let calendar = SiteCalendar.cached(state.0)
    var query = AccessLogQuery(limit: defaultLimit)
    func text(_ name: String) -> String? { q[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
    query.member = text("member")
    query.door = text("door")
    query.search = text("q")
    if let outcome = text("outcome") {
        let codes = AccessReason.allCases.map(\.rawValue)
        guard (["granted", "denied"] + codes).contains(outcome) else {
            throw WebError(.badRequest, "outcome must be granted, denied or a reason code such as denied.expired")
        }
        query.outcome = outcome
    }
    if let limit = text("limit") {
        guard let n = Int(limit), (1...maxLimit).contains(n) else {
            throw WebError(.badRequest, "limit must be a whole number from 1 to \(maxLimit)")
        }
        query.limit = n
    }
    if let before = text("before") {
        guard let seq = Int64(before), seq > 0 else {
            throw WebError(.badRequest, "before must be a row's seq, as the last row of the previous page gives it")
        }
        query.beforeSeq = seq
    }
    for (name, keyPath) in [("since", \AccessLogQuery.sinceUs), ("until", \AccessLogQuery.untilUs)] {
        guard let value = text(name) else { continue }
        guard let date = try? Date(value, strategy: .iso8601) else {
            throw WebError(.badRequest, "\(name) must be an ISO 8601 time such as 2026-11-21T09:00:00Z")
        }
        query[keyPath: keyPath] = Instant(date).micros
    }
    for (name, keyPath, days) in [("from", \AccessLogQuery.sinceUs, 0), ("to", \AccessLogQuery.untilUs, 1)] {
        guard let value = text(name) else { continue }
        guard let day = LocalDate(value) else { throw WebError(.badRequest, "\(name) must be a date: YYYY-MM-DD") }
        query[keyPath: keyPath] = calendar.instant(calendar.adding(days: days, to: day), hour: 0).micros
    }
    if let since = query.sinceUs, let until = query.untilUs, until <= since {
        throw WebError(.badRequest, "the end of the range must come after its start")
    }
    let names = Dictionary(state.1.map { ($0.id.rawValue, $0.name) }) { a, _ in a }
    let locale = context.boardSettings.locale
    return try context.site.records.accessLog(query).map {
        AccessLogView($0, calendar: calendar, locale: locale, doorName: names[$0.door])
    }
}

/// The utilisation history `request` asks for: `from` and `to`, the site's days (inclusive;
/// by default the `days` (30) days through today, at most 366).
func utilisation(_ request: Request, _ context: WebContext) throws -> UtilisationReport {
    let engine = context.site.engine
    let calendar = SiteCalendar.cached(engine.read { $0.layout?.timeZone } ?? "UTC")
    let today = calendar.date(of: engine.now)
    func day(_ name: String, default value: LocalDate) throws -> LocalDate {
        guard let text = request.uri.queryParameters[Substring(name)], !text.isEmpty else { return value }
        guard let day = LocalDate(String(text)) else {
            throw WebError(.badRequest, "\(name) must be a date: YYYY-MM-DD")
        }
        return day
    }
    let to = try day("to", default: today)
    var span = 30
    if let text = request.uri.queryParameters["days"], !text.isEmpty {
        guard let n = Int(text), (1...366).contains(n) else {
            throw WebError(.badRequest, "days must be a whole number from 1 to 366")
        }
        span = n
    }
    let from = try day("from", default: calendar.adding(days: 1 - span, to: to))
    guard from <= to else { throw WebError(.badRequest, "from must be on or before to") }
    guard calendar.adding(days: -365, to: to) <= from else {
        throw WebError(.badRequest, "a range is at most 366 days: ask for a year at a time")
    }
    do {
        return try context.site.utilisation(from: from, to: to)
    } catch {
        throw WebError(.serviceUnavailable, error.message)
    }
}

extension HTTPField.Name {
    static let lastEventID = named("Last-Event-ID")
}
