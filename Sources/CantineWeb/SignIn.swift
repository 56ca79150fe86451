// Signing in and out, and the staff pages: the sign-in form (plain HTML, works without
// JavaScript), the session cookie (HttpOnly, SameSite=Strict, Secure behind TLS), login rate
// limiting per username and per address, and the dashboard's page, script and style.

import CantineCore
import Foundation
import Hummingbird

/// Signing in and out, and the staff pages.
func signInRoutes(_ context: WebContext) -> RouteCollection<WebRequestContext> {
    let router = RouteCollection(context: WebRequestContext.self)
    router.get("/") { _, _ -> Response in
        Response(status: .seeOther, headers: [.location: "/staff"])
    }
    router.get("/login") { request, _ -> Response in
        html(Asset.loginPage(next: safeNext(request.uri.queryParameters["next"].map(String.init)), error: nil))
    }
    router.post("/login") { request, ctx -> Response in
        guard let accounts = context.accounts else {
            throw WebError(.serviceUnavailable, "sign-in is not set up: create an account with `cantine staff add`")
        }
        let form = try await Form.read(request, context: ctx)
        let next = safeNext(form.optional("next"))
        let username = (form.optional("username") ?? "").lowercased()
        let password = form.values["password"] ?? ""
        guard !username.isEmpty, !password.isEmpty else {
            return html(
                Asset.loginPage(next: next, error: "Give your username and your password."),
                status: .unprocessableContent)
        }
        let now = context.peopleNow
        var keys = ["user:\(username)"]
        if let address = ctx.remoteAddress { keys.append("addr:\(address)") }
        if let until = context.logins.withLock({ $0.retryAfter(keys, now: now) }) {
            let wait = max(1, (until - now).micros / 1_000_000)
            var response = html(
                Asset.loginPage(
                    next: next, error: "Too many failed attempts: try again in \((wait + 59) / 60) min."),
                status: .tooManyRequests)
            response.headers[.retryAfter] = "\(wait)"
            return response
        }
        // bcrypt is slow on purpose: off the event loop.
        let staff = await Task.detached { accounts.verify(username: username, password: password) }.value
        guard let staff else {
            context.logins.withLock { $0.failed(keys, now: now) }
            return html(Asset.loginPage(next: next, error: "Wrong username or password."), status: .unauthorized)
        }
        context.logins.withLock { $0.succeeded(["user:\(username)"]) }
        let token = try accounts.openSession(for: staff, now: now)
        var response = Response(status: .seeOther, headers: [.location: next])
        response.setCookie(
            Cookie(
                name: AccessGuard.cookieName, value: token, maxAge: Int(accounts.sessionLifetime.seconds), path: "/",
                secure: context.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }
    router.post("/logout") { _, ctx -> Response in
        let me = try ctx.require(.staff)
        if let hash = me.sessionHash { context.accounts?.closeSession(hash: hash) }
        var response = try json(ActionResult(ok: true, message: "signed out", id: me.name))
        response.setCookie(
            Cookie(
                name: AccessGuard.cookieName, value: "", maxAge: 0, path: "/", secure: context.secureCookies,
                httpOnly: true, sameSite: .strict))
        return response
    }
    router.get("/staff") { _, ctx -> Response in
        _ = try ctx.require(.staff)
        return html(Asset.staffPage.text)
    }
    router.get("/login.css") { _, _ -> Response in
        Asset.loginStyle.response
    }
    router.get("/staff/app.js") { _, ctx -> Response in
        _ = try ctx.require(.staff)
        return Asset.staffScript.response
    }
    router.get("/staff/style.css") { _, ctx -> Response in
        _ = try ctx.require(.staff)
        return Asset.staffStyle.response
    }
    return router
}

/// Where to go after signing in: a path of this site only (never another host).
func safeNext(_ next: String?) -> String {
    guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"),
        next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
    else { return "/staff" }
    return next
}
