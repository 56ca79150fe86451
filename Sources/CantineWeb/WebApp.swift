// The HTTP edge (Hummingbird 2): health, the occupancy API, the entrance blackboard
// (/display, its board as JSON and its SSE stream) and SpaceAPI, all public and read-only;
// the staff dashboard, auth and metrics plug into the same router later.

import CantineCore
import CantineStore
import Foundation
import Hummingbird
import Logging

/// What the web edge reads from the running daemon.
public struct WebContext: Sendable {
    public let engine: Engine
    public let journal: JournalWriter
    public let version: String
    /// The blackboard's live stream (nil: /display/stream answers 503).
    public let board: BoardStream?
    public let boardSettings: BoardSettings
    /// SpaceAPI facts from `[spaceapi]` (nil: /spaceapi.json answers 404).
    public let space: SpaceInfo?
    public init(
        engine: Engine, journal: JournalWriter, version: String, board: BoardStream? = nil,
        boardSettings: BoardSettings = BoardSettings(), space: SpaceInfo? = nil
    ) {
        self.engine = engine
        self.journal = journal
        self.version = version
        self.board = board
        self.boardSettings = board?.settings ?? boardSettings
        self.space = space
    }
}

/// A JSON error body: `{"error": "..."}`.
struct APIError: Codable {
    var error: String
}

/// Health report served at /healthz.
struct Health: Codable {
    var status: String
    var version: String
    var site: String
    var lastSeq: Int64
    var durableSeq: Int64
    var journalError: String?

    enum CodingKeys: String, CodingKey {
        case status, version, site, lastSeq = "last_seq", durableSeq = "durable_seq", journalError = "journal_error"
    }
}

/// The router, shared by the server and by tests (`app.test(.router)`).
public func buildRouter(_ context: WebContext) -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/healthz") { _, _ -> Response in
        let error = context.journal.lastError
        let health = Health(
            status: error == nil ? "ok" : "degraded", version: context.version, site: context.engine.site.rawValue,
            lastSeq: context.engine.lastSeq, durableSeq: context.journal.durableSeq, journalError: error)
        return try json(health, status: error == nil ? .ok : .serviceUnavailable)
    }
    router.get("/api/occupancy") { _, _ -> Response in
        let now = context.engine.now
        return try json(context.engine.read { $0.occupancy(at: now) })
    }
    router.get("/display") { _, _ -> Response in
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-cache",
                .contentSecurityPolicy:
                    "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: DisplayPage.html)))
    }
    router.get("/display/board.json") { _, _ -> Response in
        let now = context.engine.now
        return try json(context.engine.read { Board.make($0, now: now, settings: context.boardSettings) })
    }
    router.get("/display/stream") { _, _ -> Response in
        guard let board = context.board else {
            return try json(APIError(error: "the live stream is not running"), status: .serviceUnavailable)
        }
        let frames = board.connect()
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                for await frame in frames {
                    try await writer.write(ByteBuffer(string: frame))
                }
                try await writer.finish(nil)
            })
    }
    router.get("/spaceapi.json") { _, _ -> Response in
        guard let space = context.space else {
            return try json(
                APIError(error: "SpaceAPI is not configured: add a [spaceapi] table (url, logo, lat, lon)"),
                status: .notFound)
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
        router: buildRouter(context),
        configuration: .init(address: .hostname(host, port: port), serverName: "cantine"),
        onServerRunning: { _ in await onServerRunning() },
        logger: logger)
}

func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONEncoder.sorted.encode(value)
    return Response(
        status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
