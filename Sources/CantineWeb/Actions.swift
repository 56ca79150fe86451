// The dashboard's actions (POST, a session with its CSRF token or a staff/admin token): each
// checks its form field by field and hands one operation to the site, which validates it
// against the state and journals it with its records in one transaction — or changes nothing
// and says why, answered with the status of the refusal's code (404 for what does not exist,
// 409 for what the state does not allow, 422 for a wrong request, 503 when it cannot write).

import CantineCore
import CantineProtocol
import CantineSite
import Foundation
import Hummingbird

/// The dashboard's actions (POST; staff or admin, a CSRF token with a session).
func actionRoutes(_ context: WebContext) -> RouteCollection<WebRequestContext> {
    let router = RouteCollection(context: WebRequestContext.self)
    let engine = context.engine

    /// Runs `op` for the caller; a refusal is answered with the operation's own sentence and
    /// the status of its code (the site alone says whether what is named exists).
    @Sendable func run(_ op: SiteOperation, _ who: Identity) async throws -> Response {
        let result: OperationResult
        do {
            result = try await context.site.perform(op, source: EventSource("web:\(who.name)"))
        } catch {
            throw WebError(status(of: error), error.message)
        }
        return try json(ActionResult(ok: true, message: result.message, id: result.id))
    }

    router.post("/api/doors/{door}/unlock") { request, ctx -> Response in
        let who = try ctx.require(.staff)
        let door = ctx.parameters.get("door") ?? ""
        var form = try await Form.read(request, context: ctx)
        let reason = form.required("reason", "a reason (it goes in the access log)")
        if form.optional("confirm") != "yes" {
            form.errors["confirm"] = "tick the box to confirm that the door should open now"
        }
        try form.check()
        return try await run(
            .unlockDoor(door: door, by: "staff:\(who.name)", reason: reason, requestedAtUs: engine.now.micros), who)
    }

    router.post("/api/presence/{member}/leave") { _, ctx -> Response in
        let who = try ctx.require(.staff)
        let member = ctx.parameters.get("member") ?? ""
        return try await run(.markLeft(member: member, by: "staff:\(who.name)"), who)
    }

    router.post("/api/findings/{id}/resolve") { request, ctx -> Response in
        let who = try ctx.require(.staff)
        let id = ctx.parameters.get("id") ?? ""
        var form = try await Form.read(request, context: ctx)
        let action = form.choice("action", FindingAction.self, "the action")
        let member = form.optional("member")
        if action == .attach && member == nil { form.errors["member"] = "attach needs the member the walk-in is" }
        if let member, !engine.read({ $0.members[MemberID(member)] != nil }) {
            form.errors["member"] = "no member '\(member)'"
        }
        try form.check()
        guard let action else { throw WebError(.unprocessableContent, "the action is required") }
        return try await run(.resolveFinding(id: id, action: action, member: member, by: "staff:\(who.name)"), who)
    }

    router.post("/api/bookings") { request, ctx -> Response in
        let who = try ctx.require(.staff)
        var form = try await Form.read(request, context: ctx)
        let member = form.required("member", "the member")
        let date = form.date("date")
        let op: SiteOperation
        if let room = form.optional("room") {
            let start = form.time("start", "the start")
            let end = form.time("end", "the end")
            if !engine.read({ $0.layout?.room(RoomID(room)) != nil }) { form.errors["room"] = "no room '\(room)'" }
            op = .bookRoom(member: member, room: room, date: date, start: start, end: end, id: nil)
        } else {
            let desk = form.required("desk", "the desk (or a room)")
            if !desk.isEmpty && !engine.read({ $0.layout?.desk(DeskID(desk)) != nil }) {
                form.errors["desk"] = "no desk '\(desk)'"
            }
            let period = form.optional("period").map { DeskPeriod(rawValue: $0) } ?? .day
            if period == nil { form.errors["period"] = "the period must be am, pm or day" }
            let days = form.integer("days", "the number of days", in: 1...SiteCalendar.maxDays, fallback: 1)
            op = .bookDesk(member: member, desk: desk, date: date, period: period ?? .day, days: days, id: nil)
        }
        if !member.isEmpty && !engine.read({ $0.members[MemberID(member)] != nil }) {
            form.errors["member"] = "no member '\(member)'"
        }
        try form.check()
        return try await run(op, who)
    }

    router.get("/api/members/{id}/export") { _, ctx -> Response in
        _ = try ctx.require(.admin)
        let id = ctx.parameters.get("id") ?? ""
        let data: [UInt8]
        do {
            data = try context.site.exportJSON(member: id)
        } catch let error as SiteError {
            throw WebError(error.code == .notFound ? .notFound : .serviceUnavailable, error.message)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/json; charset=utf-8",
                .contentDisposition: "attachment; filename=\"cantine-\(id).json\"", .cacheControl: "no-store",
            ], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    router.post("/api/members/{id}/erase") { request, ctx -> Response in
        let who = try ctx.require(.admin)
        let id = ctx.parameters.get("id") ?? ""
        var form = try await Form.read(request, context: ctx)
        if form.optional("confirm") != id {
            form.errors["confirm"] = "type the member's id (\(id)) to confirm: erasure cannot be undone"
        }
        try form.check()
        return try await run(.eraseMember(member: id), who)
    }

    router.post("/api/bookings/{id}/cancel") { _, ctx -> Response in
        let who = try ctx.require(.staff)
        let id = ctx.parameters.get("id") ?? ""
        return try await run(.cancelBooking(id: id), who)
    }

    router.post("/api/sessions") { request, ctx -> Response in
        let who = try ctx.require(.staff)
        var form = try await Form.read(request, context: ctx)
        let title = form.required("title", "the title", max: 120)
        let room = form.optional("room")
        let date = form.date("date")
        let start = form.time("start", "the start")
        let end = form.time("end", "the end")
        let kind = form.optional("kind").map { SessionKind(rawValue: $0) } ?? .talk
        if kind == nil { form.errors["kind"] = "the kind must be one of: talk, workshop, barcamp, meetup, break" }
        if let room, !engine.read({ $0.layout?.room(RoomID(room)) != nil }) {
            form.errors["room"] = "no room '\(room)'"
        }
        try form.check()
        return try await run(
            .addSession(
                title: title, room: room, date: date, start: start, end: end, kind: kind ?? .talk, track: nil,
                speakers: [], id: nil), who)
    }

    router.post("/api/sessions/{id}") { request, ctx -> Response in
        let who = try ctx.require(.staff)
        let id = ctx.parameters.get("id") ?? ""
        var form = try await Form.read(request, context: ctx)
        let title = form.optional("title")
        if let title, title.count > 120 { form.errors["title"] = "the title is too long (at most 120 characters)" }
        let room = form.optional("room")
        if let room, !engine.read({ $0.layout?.room(RoomID(room)) != nil }) {
            form.errors["room"] = "no room '\(room)'"
        }
        let date = form.optional("date") != nil ? form.date("date") : nil
        let start = form.optional("start") != nil ? form.time("start", "the start") : nil
        let end = form.optional("end") != nil ? form.time("end", "the end") : nil
        try form.check()
        return try await run(.editSession(id: id, title: title, room: room, date: date, start: start, end: end), who)
    }

    router.post("/api/sessions/{id}/delete") { _, ctx -> Response in
        let who = try ctx.require(.staff)
        let id = ctx.parameters.get("id") ?? ""
        return try await run(.removeSession(id: id), who)
    }

    router.post("/api/members") { request, ctx -> Response in
        let who = try ctx.require(.admin)
        var form = try await Form.read(request, context: ctx)
        let name = form.required("name", "the member's name", max: 120)
        let email = form.optional("email")
        if let email, email.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) == nil {
            form.errors["email"] = "the email address does not look right (name@example.org)"
        }
        try form.check()
        return try await run(.addMember(id: nil, name: name, email: email), who)
    }

    router.post("/api/members/{id}/plans") { request, ctx -> Response in
        let who = try ctx.require(.staff)
        let id = ctx.parameters.get("id") ?? ""
        var form = try await Form.read(request, context: ctx)
        let kind = form.choice("kind", PlanKind.self, "the plan")
        let from = form.optional("from") != nil ? form.date("from", "the first day") : "today"
        let days = form.integer("days", "the number of days", in: 1...SiteCalendar.maxDays, fallback: 1)
        try form.check()
        guard let kind else { throw WebError(.unprocessableContent, "the plan is required") }
        return try await run(.grantPlan(member: id, kind: kind, from: from, days: days), who)
    }

    router.post("/api/members/{id}/plans/{plan}/end") { _, ctx -> Response in
        let who = try ctx.require(.staff)
        let (id, plan) = (ctx.parameters.get("id") ?? "", ctx.parameters.get("plan") ?? "")
        return try await run(.endPlan(member: id, plan: plan, by: "staff:\(who.name)"), who)
    }

    router.post("/api/badges") { request, ctx -> Response in
        let who = try ctx.require(.admin)
        var form = try await Form.read(request, context: ctx)
        let member = form.required("member", "the member")
        if !member.isEmpty && !engine.read({ $0.members[MemberID(member)] != nil }) {
            form.errors["member"] = "no member '\(member)'"
        }
        var card: (format: WiegandFormat, facility: UInt32, card: UInt64)?
        if let read = form.optional("read") {
            // Enroll the card a reader saw and refused (GET /api/unknown-cards).
            let seq = Int64(read) ?? -1
            let found = try? context.site.records.unknownReads(afterSeq: seq - 1, door: nil, sinceUs: 0)
                .first { $0.seq == seq }
            if let found, let format = WiegandFormat(rawValue: found.format) {
                card = (format, UInt32(clamping: found.facility), UInt64(clamping: found.cardNumber))
            } else {
                form.errors["read"] = "no unknown card read #\(read): present the badge to a reader again"
            }
        } else {
            let format = form.choice("format", WiegandFormat.self, "the card format")
            let facility = form.integer("facility", "the facility code", in: 0...65535, fallback: 0)
            let number = form.integer("card", "the card number", in: 0...Int(Int32.max))
            if let format { card = (format, UInt32(facility), UInt64(number)) }
        }
        try form.check()
        guard let card else { throw WebError(.unprocessableContent, "the card is required") }
        return try await run(
            .enrollBadge(
                member: member, format: card.format, facility: card.facility, card: card.card, id: nil, pin: nil), who)
    }

    router.post("/api/badges/{id}/revoke") { _, ctx -> Response in
        let who = try ctx.require(.admin)
        let id = ctx.parameters.get("id") ?? ""
        return try await run(.revokeBadge(id: id), who)
    }
    return router
}

/// What an action answers when it was carried out.
struct ActionResult: Codable {
    var ok: Bool
    var message: String
    var id: String
}

/// The status answering a refused operation.
func status(of error: CommandError) -> HTTPResponse.Status {
    switch error.code {
    case .notFound: .notFound
    case .conflict, .stale: .conflict
    case .invalid: .unprocessableContent
    case .unavailable: .serviceUnavailable
    }
}
