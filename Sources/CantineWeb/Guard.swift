// The request context and the middleware every request passes: errors become one-line JSON
// (never a stack trace), the public pages pass, everything else needs a session cookie or a
// bearer token, a state-changing request from a browser needs its CSRF token, and a reader
// token may only read.

import CantineCore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// Per-request context: who is asking, from where.
public struct WebRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address (login throttling); nil in router tests.
    public let remoteAddress: String?
    /// Set by `AccessGuard` for authenticated requests.
    public var identity: Identity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Forms and JSON bodies are small: anything larger is refused with 413.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The caller, or a 401/403 refusal when it is missing or its role is below `role`.
    func require(_ role: Role) throws -> Identity {
        guard let identity else { throw WebError(.unauthorized, "sign in first") }
        guard identity.role >= role else {
            throw WebError(
                .forbidden, "this needs the \(role.rawValue) role; \(identity.name) is \(identity.role.rawValue)")
        }
        return identity
    }
}

/// An error answered as JSON `{"error": ..., "fields": {...}}` with its status.
struct WebError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    /// Per-field messages of a refused form.
    var fields: [String: String]?

    init(_ status: HTTPResponse.Status, _ message: String, fields: [String: String]? = nil) {
        self.status = status
        self.message = message
        self.fields = fields
    }

    var headers: HTTPFields {
        var h: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        if status == .unauthorized { h[.wwwAuthenticate] = "Bearer realm=\"cantine\"" }
        return h
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = APIError(error: message, fields: fields)
        let data = (try? JSONEncoder.sorted.encode(body)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error into a JSON answer: Hummingbird's own (404, 413) keep their status with
/// a sentence; anything unexpected is a 500 whose details go to the log only.
struct ErrorBody<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as WebError {
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            // Hummingbird's own: an unknown route, a body over the limit, a bad request.
            let message: String
            switch error.status {
            case .notFound: message = "no such page or resource: \(request.uri.path)"
            case .contentTooLarge: message = "the request body is too large (at most 64 KiB)"
            case .methodNotAllowed: message = "\(request.method) is not allowed on \(request.uri.path)"
            default: message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            }
            return try WebError(error.status, message).response(from: request, context: context)
        } catch {
            logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            return try WebError(.internalServerError, "internal error: see the daemon's log")
                .response(from: request, context: context)
        }
    }
}

/// Authentication and authorization in one place.
struct AccessGuard: RouterMiddleware {
    typealias Context = WebRequestContext
    let accounts: Accounts?
    let clock: @Sendable () -> Instant

    /// Paths anyone may GET: the entrance display, SpaceAPI, health, the sign-in page, and the
    /// helpers the pages' scripts share.
    static func isPublic(_ path: String) -> Bool {
        path == "/healthz" || path == "/display" || path.hasPrefix("/display/") || path == "/spaceapi.json"
            || path == "/program" || path.hasPrefix("/program/")
            || path == "/login" || path == "/login.css" || path == "/common.js" || path == "/favicon.ico"
    }

    static let cookieName = "cantine_session"

    func handle(
        _ request: Request, context: WebRequestContext, next: (Request, WebRequestContext) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        let reading = request.method == .get || request.method == .head
        // Public pages are served without looking anyone up (no database read per screen).
        if Self.isPublic(path) && (reading || path == "/login") {
            return try await next(request, context)
        }
        var context = context
        if let accounts {
            context.identity = identify(request, accounts)
        }
        guard let identity = context.identity else {
            if accounts == nil {
                throw WebError(
                    .unauthorized,
                    "authentication is not set up on this daemon: create an account with `cantine staff add`")
            }
            // A browser asking for a page is sent to sign in; a program gets 401.
            if reading && (path == "/" || path.hasPrefix("/staff")) {
                return Response(status: .seeOther, headers: [.location: "/login?next=\(path)"])
            }
            throw WebError(.unauthorized, "sign in at /login, or send an API token (Authorization: Bearer …)")
        }
        if !reading {
            guard identity.role >= .staff else {
                throw WebError(.forbidden, "token \(identity.name) is read-only (role reader)")
            }
            if let expected = identity.csrf {
                let sent = request.headers.first { $0.name.canonicalName == "x-csrf-token" }?.value ?? ""
                guard !sent.isEmpty, constantTimeEqual(sent, expected) else {
                    throw WebError(.forbidden, "missing or wrong CSRF token: reload the page and try again")
                }
            }
        }
        return try await next(request, context)
    }

    func identify(_ request: Request, _ accounts: Accounts) -> Identity? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return accounts.token(bearer: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        }
        if let cookie = request.cookies[Self.cookieName]?.value, !cookie.isEmpty {
            return accounts.session(cookie: cookie, now: clock())
        }
        return nil
    }
}
