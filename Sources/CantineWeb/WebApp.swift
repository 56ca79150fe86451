// The HTTP edge (Hummingbird 2): health and the JSON occupancy API at this stage; the
// display, staff dashboard, SSE, SpaceAPI and metrics plug into the same router later.

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
    public init(engine: Engine, journal: JournalWriter, version: String) {
        self.engine = engine
        self.journal = journal
        self.version = version
    }
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
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    return Response(
        status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
