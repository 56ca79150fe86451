// Signed network messages: every message a site puts on the network is an envelope holding
// its body (JSON text) and an Ed25519 signature over the site, the kind and the body, made
// with the site's key. Receivers check the size, the envelope, that the signing site is the
// one whose prefix the message came under, the signature against that site's configured
// public key, then the body — and refuse anything else with a one-line reason.

import CantineCore
import Crypto
import Foundation

/// What a network message carries.
public enum NetworkKind: String, Codable, Sendable {
    /// A member's entitlement record (retained, from their home site).
    case member
    /// A site's occupancy summary (retained, refreshed every minute).
    case summary
    /// A visit of a member to another site, reported to their home site.
    case visit
}

/// Why a network message was refused: one line naming what was wrong.
public struct NetworkRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A site's Ed25519 keys: its own private key, and every site's public key (its own included).
public struct NetworkKeys: Sendable {
    public let site: SiteID
    let signing: Curve25519.Signing.PrivateKey
    let peers: [SiteID: Curve25519.Signing.PublicKey]

    /// Messages larger than this are refused unread (a record is well under 4 KB).
    public static let maxMessageBytes = 16_384

    /// - Parameters:
    ///   - privateKey: this site's private key, base64 of its 32 raw bytes (`cantine network keygen`).
    ///   - peers: site id → public key, base64 of 32 raw bytes.
    public init(site: SiteID, privateKey: String, peers: [String: String]) throws(NetworkRejection) {
        self.site = site
        guard let raw = Data(base64Encoded: privateKey.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw NetworkRejection(
                "the site's network key is not a base64 Ed25519 private key: make one with `cantine network keygen`")
        }
        signing = key
        var keys: [SiteID: Curve25519.Signing.PublicKey] = [:]
        for (id, text) in peers {
            guard let raw = Data(base64Encoded: text),
                let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
            else {
                throw NetworkRejection(
                    "network.sites.\(id): not a base64 Ed25519 public key (the line `cantine network keygen` printed at that site)"
                )
            }
            keys[SiteID(id)] = key
        }
        keys[site] = key.publicKey
        self.peers = keys
    }

    /// A new private key, base64.
    public static func newPrivateKey() -> String {
        Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString()
    }

    /// The public key of a base64 private key, base64; nil when it is not one.
    public static func publicKey(of privateKey: String) -> String? {
        guard let raw = Data(base64Encoded: privateKey.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { return nil }
        return key.publicKey.rawRepresentation.base64EncodedString()
    }

    /// This site's public key, base64.
    public var publicKey: String { signing.publicKey.rawRepresentation.base64EncodedString() }

    /// The sites whose messages this site can verify.
    public var knownSites: [SiteID] { peers.keys.sorted() }

    /// The envelope of `body`, signed by this site.
    public func seal<Body: Encodable>(_ kind: NetworkKind, _ body: Body) -> [UInt8] {
        seal(kind, text: String(decoding: (try? JSONEncoder.sorted.encode(body)) ?? Data(), as: UTF8.self))
    }

    /// The envelope of a body already in text, signed by this site (the fuzzer's way past the
    /// signature to the body's decoding).
    @_spi(Fuzzing) public func seal(_ kind: NetworkKind, text: String) -> [UInt8] {
        let signature = (try? signing.signature(for: Self.signed(site: site, kind: kind, body: text))) ?? Data()
        let envelope = Envelope(
            v: 1, site: site.rawValue, kind: kind.rawValue, body: text, sig: signature.base64EncodedString())
        return Array((try? JSONEncoder.sorted.encode(envelope)) ?? Data())
    }

    /// Opens a message that came under `from`'s prefix: checks size, envelope, signer, signature
    /// and kind; returns the verified body.
    public func open<Body: Decodable>(
        _ payload: [UInt8], from: SiteID, kind: NetworkKind, as: Body.Type
    ) throws(NetworkRejection) -> Body {
        guard payload.count <= Self.maxMessageBytes else {
            throw NetworkRejection(
                "oversized \(kind.rawValue) message from '\(from)': \(payload.count) bytes, the limit is \(Self.maxMessageBytes)"
            )
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(payload)) else {
            throw NetworkRejection("malformed \(kind.rawValue) message under '\(from)': not a signed Cantine envelope")
        }
        guard envelope.v == 1 else {
            throw NetworkRejection(
                "\(kind.rawValue) message from '\(from)' has envelope version \(envelope.v): upgrade cantine")
        }
        guard envelope.site == from.rawValue else {
            throw NetworkRejection(
                "\(kind.rawValue) message signed as '\(envelope.site.oneLine)' under site '\(from)''s prefix: a site writes only under its own prefix"
            )
        }
        guard envelope.kind == kind.rawValue else {
            throw NetworkRejection("a '\(envelope.kind.oneLine)' message from '\(from)' on a \(kind.rawValue) topic")
        }
        guard let key = peers[from] else {
            throw NetworkRejection(
                "\(kind.rawValue) message from unknown site '\(from)': add its public key to [network.sites]")
        }
        guard let signature = Data(base64Encoded: envelope.sig),
            key.isValidSignature(signature, for: Self.signed(site: from, kind: kind, body: envelope.body))
        else {
            throw NetworkRejection("bad signature on a \(kind.rawValue) message from '\(from)': forged or corrupted")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(envelope.body.utf8))
        } catch {
            throw NetworkRejection("malformed \(kind.rawValue) body from '\(from)': \(Self.describe(error))")
        }
    }

    /// The bytes signed: a domain tag, the site, the kind, the body.
    static func signed(site: SiteID, kind: NetworkKind, body: String) -> Data {
        Data("cantine-network/1\n\(site.rawValue)\n\(kind.rawValue)\n\(body)".utf8)
    }

    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _): "missing \"\(key.stringValue)\""
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            "bad \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\""
        default: "not JSON"
        }
    }

    struct Envelope: Codable {
        var v: Int
        var site: String
        var kind: String
        var body: String
        var sig: String
    }
}
