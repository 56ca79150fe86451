// Site secrets and derived identifiers: credential tokens (keyed digests of badges, so the
// journal never holds a badge number), the state digest, and fresh opaque ids.

import CantineCore
import CantineProtocol
import Crypto
import Foundation

/// Turns badge reads into tokens with the site's secret key (HMAC-SHA256, 128 bits kept).
public struct CredentialTokenizer: Sendable {
    /// HMAC-SHA256 with the key absorbed once: each token copies it (a value) and goes on from
    /// there, instead of hashing the key's pads again on the door's path.
    let keyed: HMAC<SHA256>

    public init(secretHex: String) {
        keyed = HMAC(key: SymmetricKey(data: Data(hex: secretHex) ?? Data(secretHex.utf8)))
    }

    /// A new random 256-bit secret, hex-encoded.
    public static func newSecretHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).hexString }
    }

    /// The token of a card read.
    public func token(for read: CardRead) -> CredentialToken {
        CredentialToken(digest("\(read.format.rawValue):\(read.facility):\(read.card)"))
    }

    /// The digest of a PIN typed after the badge `token`: bound to that badge, so equal PINs
    /// of two members differ, and never the digits themselves in the journal.
    public func pinDigest(_ pin: PINEntry.PIN, badge token: CredentialToken) -> String {
        digest("pin:\(token):\(pin.digits):\(pin.value)")
    }

    /// The first 128 bits of the text's HMAC, in lowercase hex.
    func digest(_ text: String) -> String {
        var mac = keyed
        var text = text
        text.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return mac.finalize().withUnsafeBytes { Hex.lower($0.prefix(16)) }
    }
}

/// Lowercase hex without a formatter per byte.
enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    static func lower(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for byte in bytes {
                out[i] = digits[Int(byte >> 4)]
                out[i + 1] = digits[Int(byte & 0xF)]
                i += 2
            }
            return i
        }
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
    var hexString: String { Hex.lower(self) }

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
