// `[network]`: this site in a network of cantines (docs/network.md). Absent: a lone site.

import CantineCore
import CantineProtocol
import Foundation

extension Config {
    /// `[network]` as written.
    public struct NetworkSection: Codable, Equatable, Sendable {
        public var enabled: Bool?
        /// This site's Ed25519 private key (`cantine network keygen` writes it).
        public var keyFile: String
        /// The network's shared secret for badge tokens (hex, 128 bits or more): the same card
        /// gives the same token at every site, and never its number.
        public var credentialSecret: String
        /// How long other sites honour this site's members without hearing from it.
        public var visitorTtlHours: Seconds?
        /// A site not heard for this long is shown stale.
        public var staleAfterS: Seconds?
        /// This site's summary at least this often.
        public var summaryEveryS: Seconds?
        /// Publish this site's members' records so they can badge in elsewhere.
        public var publishMembers: Bool?
        /// The hub (`host:port`) and its CA, for `cantine network bridge-config`.
        public var hub: String?
        public var hubCaFile: String?
        /// Every site's public key, by site id (this site's own included or not).
        public var sites: [String: String]
        enum CodingKeys: String, CodingKey {
            case enabled, keyFile = "key_file", credentialSecret = "credential_secret"
            case visitorTtlHours = "visitor_ttl_hours", staleAfterS = "stale_after_s", summaryEveryS = "summary_every_s"
            case publishMembers = "publish_members", hub, hubCaFile = "hub_ca_file", sites
        }
    }
}

extension Settings {
    /// The network, resolved (only when `[network]` is there and enabled).
    public struct Network: Equatable, Sendable {
        public var keyFile: String
        public var credentialSecret: String
        /// How long other sites honour this site's members without hearing from it.
        public var visitorTTL: Span
        /// A site not heard for this long is shown stale.
        public var staleAfter: Span
        /// This site's summary at least this often.
        public var summaryEvery: Span
        public var publishMembers: Bool
        public var hub: String?
        public var hubCAFile: String?
        /// Every site's public key, by site id.
        public var sites: [String: String]
    }
}

extension Config.NetworkSection {
    var resolved: Settings.Network? {
        guard Defaults.networkEnabled.or(enabled) else { return nil }
        return Settings.Network(
            keyFile: keyFile, credentialSecret: credentialSecret,
            visitorTTL: Span(seconds: Defaults.visitorTTL.or(visitorTtlHours?.value) * 3600),
            staleAfter: Span(seconds: Defaults.staleAfter.or(staleAfterS?.value)),
            summaryEvery: Span(seconds: Defaults.summaryEvery.or(summaryEveryS?.value)),
            publishMembers: Defaults.publishMembers.or(publishMembers), hub: hub, hubCAFile: hubCaFile, sites: sites)
    }

    /// Checks `[network]`: key file, shared secret, site keys, periods.
    func validate(_ check: Checks, mqttEnabled: Bool) throws(ConfigError) {
        func fail(_ key: String, _ what: String) -> ConfigError { check.fail("network.\(key)", what) }
        guard Defaults.networkEnabled.or(enabled) else { return }
        guard mqttEnabled else {
            throw ConfigError(
                "config \(check.file): [network] needs MQTT (the bridge is the site's broker): enable [mqtt]")
        }
        guard FileManager.default.fileExists(atPath: keyFile) else {
            throw fail(
                "key_file", "file \(keyFile) does not exist: make it with `cantine network keygen -o \(keyFile)`")
        }
        guard credentialSecret.count >= 32, credentialSecret.count % 2 == 0,
            credentialSecret.allSatisfy(\.isHexDigit)
        else {
            throw fail(
                "credential_secret", "expected 32 or more hex digits, the same at every site (`openssl rand -hex 32`)")
        }
        for (id, key) in sites.sorted(by: { $0.key < $1.key }) {
            guard Slug.isValid(id), id != "network" else {
                throw fail("sites.\(id)", "'\(id)' is not a valid site id: use 1–64 of a-z 0-9 - _")
            }
            guard let raw = Data(base64Encoded: key), raw.count == 32 else {
                throw fail("sites.\(id)", "expected the site's public key, as `cantine network keygen` printed it")
            }
        }
        try Defaults.visitorTTL.check(visitorTtlHours?.value, file: check.file)
        try Defaults.staleAfter.check(staleAfterS?.value, file: check.file)
        try Defaults.summaryEvery.check(summaryEveryS?.value, file: check.file)
        if let hub, let problem = HubAddress.problem(hub) { throw fail("hub", problem) }
        if let ca = hubCaFile, !FileManager.default.fileExists(atPath: ca) {
            throw fail("hub_ca_file", "file \(ca) does not exist")
        }
    }
}
