// Site secrets and derived identifiers: credential tokens (keyed digests of badges, so the
// journal never holds a badge number), the state digest, and fresh opaque ids.

import CantineCore
import CantineProtocol
import Crypto
import Foundation

/// Turns badge reads into tokens with the site's secret key (HMAC-SHA256, 128 bits kept).
public struct CredentialTokenizer: Sendable {
    let key: SymmetricKey

    public init(secretHex: String) {
        key = SymmetricKey(data: Data(hex: secretHex) ?? Data(secretHex.utf8))
    }

    /// A new random 256-bit secret, hex-encoded.
    public static func newSecretHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).hexString }
    }

    /// The token of a card read.
    public func token(for read: CardRead) -> CredentialToken {
        let text = "\(read.format.rawValue):\(read.facility):\(read.card)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)
        return CredentialToken(Data(mac).prefix(16).hexString)
    }

    /// The digest of a PIN typed after the badge `token`: bound to that badge, so equal PINs
    /// of two members differ, and never the digits themselves in the journal.
    public func pinDigest(_ pin: PINEntry.PIN, badge token: CredentialToken) -> String {
        let text = "pin:\(token):\(pin.digits):\(pin.value)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)
        return Data(mac).prefix(16).hexString
    }
}

/// Fresh opaque ids (`m-k3x9q2ha`): random, carrying nothing about the person.
public enum OpaqueID {
    static let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
    public static func make(_ prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        return prefix + "-" + String((0..<8).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
    }
}

extension Data {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }

    init?(hex: String) {
        guard hex.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            guard let b = UInt8(hex[i..<j], radix: 16) else { return nil }
            bytes.append(b)
            i = j
        }
        self.init(bytes)
    }
}
