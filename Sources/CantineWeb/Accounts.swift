// Who is asking: staff accounts (bcrypt passwords), browser sessions (a random cookie whose
// SHA-256 is stored, with its CSRF token), API tokens for machine clients (bearer, SHA-256
// stored), and the roles that gate what each may do. The CLI (`cantine staff add`,
// `cantine tokens create`) and the web edge share this code.

import CantineCore
import CantineStore
import Crypto
import Foundation
import HummingbirdBcrypt

/// What an identity may do, each role including the ones before it.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Read-only API access (a Prometheus scraper, a wall screen): GET only.
    case reader
    /// The space's staff: the dashboard and its actions (unlock, findings, bookings, program).
    case staff
    /// Staff who also manage members, badges and accounts.
    case admin

    public static func < (a: Role, b: Role) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }
}

/// An authenticated caller.
public struct Identity: Sendable, Equatable {
    /// The staff username or the API token id.
    public var name: String
    public var displayName: String
    public var role: Role
    /// The session's CSRF token (nil for a bearer token, which a browser never sends by itself).
    public var csrf: String?
    /// The SHA-256 of the session cookie (sign-out), nil for a bearer token.
    public var sessionHash: String?
}

/// A one-line refusal from account management.
public struct AccountError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Accounts, sessions and tokens over the site's records.
public struct Accounts: Sendable {
    let store: any AccountRecords
    /// bcrypt cost of new password hashes (12 in production; tests use the minimum, 4).
    public let bcryptCost: UInt8
    /// How long a browser session lasts.
    public let sessionLifetime: Span

    public init(store: any AccountRecords, bcryptCost: UInt8 = 12, sessionLifetime: Span = .minutes(12 * 60)) {
        self.store = store
        self.bcryptCost = bcryptCost
        self.sessionLifetime = sessionLifetime
    }

    /// Passwords shorter than this are refused.
    public static let minimumPasswordLength = 10

    /// Adds a staff account.
    public func addStaff(
        username: String, displayName: String?, password: String, role: Role, now: Instant
    ) throws(AccountError) {
        guard Self.isUsername(username) else {
            throw AccountError(
                "username '\(username)' is not valid: use 2-32 lowercase letters, digits, '.', '-' or '_'")
        }
        guard role != .reader else {
            throw AccountError("role 'reader' is for API tokens: give a staff account --role staff or --role admin")
        }
        try Self.checkPassword(password)
        let hash = Bcrypt.hash(password, cost: bcryptCost)
        do {
            try store.addStaff(
                StaffRecord(
                    username: username, displayName: displayName ?? username, passwordHash: hash,
                    role: role.rawValue, createdUs: now.micros))
        } catch {
            throw AccountError("\(error)")
        }
    }

    /// Changes a password (and signs the account out everywhere).
    public func setPassword(username: String, password: String) throws(AccountError) {
        try Self.checkPassword(password)
        do {
            try store.setStaffPassword(username, hash: Bcrypt.hash(password, cost: bcryptCost))
        } catch {
            throw AccountError("\(error)")
        }
    }

    static func checkPassword(_ password: String) throws(AccountError) {
        guard password.count >= minimumPasswordLength else {
            throw AccountError("the password is too short: use at least \(minimumPasswordLength) characters")
        }
        guard password.utf8.count <= 72 else {
            throw AccountError("the password is too long for bcrypt: use at most 72 bytes")
        }
    }

    static func isUsername(_ s: String) -> Bool {
        (2...32).contains(s.count)
            && s.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)
            }
    }

    /// A hash to verify against when the username is unknown, so both cases take as long.
    static let decoy = Bcrypt.hash("not a password of anyone", cost: 12)

    /// Checks a username and password (slow by design: run it off the event loop). Nil when
    /// they do not match an enabled account.
    public func verify(username: String, password: String) -> StaffRecord? {
        let record = try? store.staff(username)
        guard let record, record.disabledUs == nil else {
            _ = Bcrypt.verify(password, hash: Self.decoy)
            return nil
        }
        return Bcrypt.verify(password, hash: record.passwordHash) ? record : nil
    }

    /// Opens a session for `staff`; returns the cookie value (shown once, stored hashed).
    public func openSession(for staff: StaffRecord, now: Instant) throws -> String {
        let token = Self.randomToken()
        try store.openWebSession(
            WebSessionRecord(
                tokenHash: Self.sha256(token), username: staff.username, csrf: Self.randomToken(),
                createdUs: now.micros, expiresUs: (now + sessionLifetime).micros))
        return token
    }

    /// The identity behind a session cookie, if it is live.
    public func session(cookie: String, now: Instant) -> Identity? {
        let hash = Self.sha256(cookie)
        guard let (session, staff) = try? store.webSession(tokenHash: hash, nowUs: now.micros),
            let role = Role(rawValue: staff.role)
        else { return nil }
        return Identity(
            name: staff.username, displayName: staff.displayName, role: role, csrf: session.csrf, sessionHash: hash)
    }

    /// Ends a session.
    public func closeSession(hash: String) {
        try? store.closeWebSession(tokenHash: hash)
    }

    /// Creates an API token; returns the secret (shown once, stored hashed).
    public func createToken(id: String, name: String?, role: Role, now: Instant) throws(AccountError) -> String {
        guard Self.isUsername(id) else {
            throw AccountError("token id '\(id)' is not valid: use 2-32 lowercase letters, digits, '.', '-' or '_'")
        }
        let secret = "cnt_" + Self.randomToken()
        do {
            try store.addAPIToken(
                APITokenRecord(
                    id: id, name: name ?? id, tokenHash: Self.sha256(secret), role: role.rawValue, createdUs: now.micros
                ))
        } catch {
            throw AccountError("\(error)")
        }
        return secret
    }

    /// The identity behind a bearer token, if it is valid and not revoked.
    public func token(bearer: String) -> Identity? {
        guard let record = try? store.apiToken(hash: Self.sha256(bearer)), let role = Role(rawValue: record.role)
        else { return nil }
        return Identity(name: record.id, displayName: record.name, role: role, csrf: nil, sessionHash: nil)
    }

    /// 32 random bytes, base64url without padding.
    static func randomToken() -> String {
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Compares two secrets in time independent of where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in x.indices { diff |= x[i] ^ y[i] }
    return diff == 0
}

/// Login rate limiting: after `limit` failures within `window` for one username or one
/// address, further attempts are refused until the oldest of them leaves the window.
public struct LoginThrottle: Sendable {
    public var limit = 5
    public var window: Span = .minutes(15)
    var failures: [String: [Instant]] = [:]

    public init(limit: Int = 5, window: Span = .minutes(15)) {
        self.limit = limit
        self.window = window
    }

    /// When the attempt for `keys` may be tried again; nil when it may be tried now.
    public mutating func retryAfter(_ keys: [String], now: Instant) -> Instant? {
        var until: Instant?
        for key in keys {
            let recent = (failures[key] ?? []).filter { now - $0 < window }
            failures[key] = recent.isEmpty ? nil : recent
            if recent.count >= limit, let oldest = recent.first {
                until = max(until ?? oldest, oldest + window)
            }
        }
        return until
    }

    public mutating func failed(_ keys: [String], now: Instant) {
        for key in keys { failures[key, default: []].append(now) }
    }

    public mutating func succeeded(_ keys: [String]) {
        for key in keys { failures[key] = nil }
    }
}
