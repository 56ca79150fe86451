// The HTTP edge (Hummingbird 2). Public and read-only: health, the entrance blackboard
// (/display, its board as JSON and its SSE stream), the program (/program and its files),
// SpaceAPI and the sign-in page. Behind a
// session or an API token: the staff dashboard, the JSON API and its event stream, the
// dashboard's actions and /metrics. Every error is a one-line JSON answer.

import CantineCore
import CantineSite
import CantineStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// What the web edge works with: the running site (through `SiteService`, never the daemon),
/// and the edge's own parts.
public struct WebContext: Sendable {
    /// The running site: its state, records, operations.
    public let site: any SiteService
    public let version: String
    /// The blackboard's live stream (nil: /display/stream answers 503).
    public let board: BoardStream?
    public let boardSettings: BoardSettings
    /// SpaceAPI facts from `[spaceapi]` (nil: /spaceapi.json answers 404).
    public let space: SpaceInfo?
    /// The published program (nil: /program answers 404).
    public var program: ProgramPublisher?
    /// Staff accounts (nil: only the public pages work).
    public var accounts: Accounts?
    /// The journal's live stream (nil: /api/stream answers 503).
    public var events: JournalStream?
    public var metrics: WebMetrics
    /// Components the daemon reports on besides the journal (MQTT, the network).
    public var components: [any HealthReporting]
    /// Mark the session cookie Secure (the dashboard is served over TLS by a proxy).
    public var secureCookies: Bool
    /// In a network of cantines: after how long a silent site is shown stale (nil: a lone
    /// site, /api/network answers 404).
    public var networkStaleAfter: Span?
    /// The people's clock: sign-ins, their sessions and the login throttle. The site's own
    /// (nil) but in the demo, whose site runs faster than the staff using it.
    public var peopleTime: (any TimeSource)?
    let logins = LoginGate()

    /// Now, for people's sessions.
    var peopleNow: Instant { peopleTime?.now() ?? engine.now }

    public init(
        site: some SiteService, version: String, board: BoardStream? = nil,
        boardSettings: BoardSettings = BoardSettings(), space: SpaceInfo? = nil, accounts: Accounts? = nil,
        events: JournalStream? = nil, metrics: WebMetrics = WebMetrics(), components: [any HealthReporting] = [],
        secureCookies: Bool = false
    ) {
        self.site = site
        self.version = version
        self.board = board
        self.boardSettings = board?.settings ?? boardSettings
        self.space = space
        self.accounts = accounts
        self.events = events
        self.metrics = metrics
        self.components = components
        self.secureCookies = secureCookies
    }

    /// The live state and the site's clock.
    var engine: Engine { site.engine }

    /// Every component's health, the journal first.
    func health() -> [ComponentHealth] {
        let progress = site.journalProgress
        let lag = Double(engine.lastSeq - progress.durableSeq)
        let journalHealth: ComponentHealth
        if let error = progress.error {
            journalHealth = ComponentHealth(
                name: "journal", status: "down", detail: "\(error): doors keep deciding; free space on the data disk",
                values: ["lag": lag])
        } else {
            journalHealth = ComponentHealth(name: "journal", status: "ok", values: ["lag": lag])
        }
        return [journalHealth] + components.map { $0.health() }
    }

    /// Open SSE streams by kind.
    var streams: [String: Int] {
        ["display": board?.clientCount ?? 0, "api": events?.clientCount ?? 0]
    }
}

/// A JSON error body: `{"error": "...", "fields": {...}}`.
struct APIError: Codable {
    var error: String
    /// Per-field messages of a refused form.
    var fields: [String: String]?
}

/// Health report served at /healthz.
struct Health: Codable {
    var status: String
    var version: String
    var site: String
    var lastSeq: Int64
    var durableSeq: Int64
    var journalError: String?
    var components: [ComponentHealth]

    enum CodingKeys: String, CodingKey {
        case status, version, site, lastSeq = "last_seq", durableSeq = "durable_seq", journalError = "journal_error"
        case components
    }
}

/// The router, shared by the server and by tests (`app.test(.router)`).
public func buildRouter(_ context: WebContext, logger: Logger = Logger(label: "cantine.web"))
    -> Router<WebRequestContext>
{
    let router = Router(context: WebRequestContext.self)
    router.add(middleware: ErrorBody(logger: logger))
    router.add(middleware: AccessGuard(accounts: context.accounts, clock: { context.peopleNow }))
    router.addRoutes(publicRoutes(context))
    router.addRoutes(signInRoutes(context))
    router.addRoutes(readRoutes(context))
    router.addRoutes(actionRoutes(context))
    return router
}

/// What anyone may GET: health, the entrance display, the program, SpaceAPI, the shared script.
func publicRoutes(_ context: WebContext) -> RouteCollection<WebRequestContext> {
    let router = RouteCollection(context: WebRequestContext.self)
    router.get("/healthz") { _, _ -> Response in
        let components = context.health()
        let worst =
            components.contains { $0.status == "down" }
            ? "down" : components.contains { $0.status != "ok" } ? "degraded" : "ok"
        let progress = context.site.journalProgress  // read once: seq and error agree
        let health = Health(
            status: worst, version: context.version, site: context.engine.site.rawValue,
            lastSeq: context.engine.lastSeq, durableSeq: progress.durableSeq, journalError: progress.error,
            components: components)
        return try json(health, status: progress.error == nil ? .ok : .serviceUnavailable)
    }
    router.get("/display") { _, _ -> Response in
        // The board is in the page: right at first paint, before (or without) the stream.
        let board: String
        if let stream = context.board {
            board = stream.currentJSON
        } else {
            let now = context.engine.now
            let made = context.engine.read { Board.make($0, now: now, settings: context.boardSettings) }
            board = String(decoding: (try? JSONEncoder.sorted.encode(made)) ?? Data(), as: UTF8.self)
        }
        var attributes = "data-board=\"\(attributeEscaped(board))\""
        // The program's link for phones, as a QR code the page draws in a free corner.
        if let url = context.program?.pageURL, let qr = QRCode(url) {
            attributes +=
                " data-qr-path=\"\(qr.svgPath)\" data-qr-size=\"\(qr.size)\" data-qr-url=\"\(attributeEscaped(url))\""
        }
        let page = Asset.displayPage.text.replacingOccurrences(
            of: "<body data-boards=\"0\">", with: "<body data-boards=\"0\" \(attributes)>")
        return html(page, framing: true)
    }
    router.get("/display/style.css") { _, _ -> Response in
        Asset.displayStyle.response
    }
    router.get("/display/app.js") { _, _ -> Response in
        Asset.displayScript.response
    }
    router.get("/display/fonts/comic-neue-regular.woff2") { _, _ -> Response in
        Asset.chalkRegular.response
    }
    router.get("/display/fonts/comic-neue-bold.woff2") { _, _ -> Response in
        Asset.chalkBold.response
    }
    router.get("/common.js") { _, _ -> Response in
        Asset.common.response
    }
    router.get("/display/board.json") { _, _ -> Response in
        let now = context.engine.now
        return try json(context.engine.read { Board.make($0, now: now, settings: context.boardSettings) })
    }
    router.get("/display/stream") { _, _ -> Response in
        guard let board = context.board else {
            throw WebError(.serviceUnavailable, "the live stream is not running")
        }
        return eventStream(board.connect())
    }
    router.addRoutes(programRoutes(context))
    router.get("/spaceapi.json") { _, _ -> Response in
        guard let space = context.space else {
            throw WebError(.notFound, "SpaceAPI is not configured: add a [spaceapi] table (url, logo, lat, lon)")
        }
        let now = context.engine.now
        let document = context.engine.read { SpaceAPIDocument($0, info: space, now: now) }
        var response = try json(document)
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }
    return router
}

/// The HTTP application (a Service for the daemon's ServiceGroup).
public func buildApplication(
    _ context: WebContext, host: String, port: Int, logger: Logger,
    onServerRunning: @escaping @Sendable () async -> Void = {}
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(context, logger: logger),
        configuration: .init(address: .hostname(host, port: port), serverName: "cantine"),
        onServerRunning: { _ in await onServerRunning() },
        logger: logger)
}

func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONEncoder.api.encode(value)
    return Response(
        status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// The policy of every page: scripts, styles and connections from this server only, nothing
/// inline (a name typed into a form can never run as script), forms posted here only.
/// Only the entrance display may be framed (a signage player may embed it).
func contentSecurityPolicy(framing: Bool) -> String {
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors \(framing ? "*" : "'none'")"
}

/// A page of ours, with the security headers (X-Frame-Options too, except for the display).
/// `text` safe inside a double-quoted HTML attribute.
func attributeEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        default: out.append(c)
        }
    }
    return out
}

func html(_ text: String, status: HTTPResponse.Status = .ok, framing: Bool = false) -> Response {
    var headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
        .contentSecurityPolicy: contentSecurityPolicy(framing: framing),
        .xContentTypeOptions: "nosniff", .referrerPolicy: "same-origin",
    ]
    if !framing { headers[.xFrameOptions] = "DENY" }
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
}

/// An SSE response over `frames`; it ends when they end.
func eventStream(_ frames: AsyncStream<String>) -> Response {
    Response(
        status: .ok,
        headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .xAccelBuffering: "no"],
        body: ResponseBody { writer in
            for await frame in frames {
                try await writer.write(ByteBuffer(string: frame))
            }
            try await writer.finish(nil)
        })
}

extension JSONEncoder {
    /// The API's JSON: sorted keys, snake_case keys.
    static var api: JSONEncoder {
        let e = JSONEncoder.sorted
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }
}

extension HTTPField.Name {
    static let xFrameOptions = named("X-Frame-Options")
    static let referrerPolicy = named("Referrer-Policy")
    static let xAccelBuffering = named("X-Accel-Buffering")

    /// A header name written in this file (valid by construction: the fallback is never used).
    static func named(_ text: String) -> HTTPField.Name { HTTPField.Name(text) ?? .cacheControl }
}

/// The login throttle shared by every request.
final class LoginGate: Sendable {
    let throttle = Mutex(LoginThrottle())
    func withLock<T>(_ body: (inout LoginThrottle) -> T) -> T { throttle.withLock { body(&$0) } }
}
