// `[http]`: where the dashboard, the entrance screen and the API listen, and the address
// the world reaches them at.

import Foundation

extension Config {
    /// `[http]` as written.
    public struct HTTPSection: Codable, Equatable, Sendable {
        public var host: String?
        public var port: Int?
        /// Mark the staff session cookie Secure: set it when a TLS proxy serves the dashboard.
        public var secureCookies: Bool?
        public var publicURL: String?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case host, port, secureCookies = "secure_cookies", publicURL = "public_url"
        }
    }
}

extension Settings {
    /// The HTTP listener, resolved.
    public struct HTTP: Equatable, Sendable {
        public var host: String
        public var port: Int
        /// The staff session cookie is marked Secure.
        public var secureCookies: Bool
        /// Where phones and other tools reach the daemon, without a trailing slash.
        public var publicURL: String
    }
}

extension Config.HTTPSection {
    var resolved: Settings.HTTP {
        let port = Defaults.httpPort.or(port)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let url = publicURL ?? "http://\(host).local" + (port == 80 ? "" : ":\(port)")
        return Settings.HTTP(
            host: Defaults.httpHost.or(self.host), port: port, secureCookies: Defaults.secureCookies.or(secureCookies),
            publicURL: url.hasSuffix("/") ? String(url.dropLast()) : url)
    }

    func validate(_ check: Checks) throws(ConfigError) {
        try Defaults.httpPort.check(port, file: check.file)
        if let publicURL, !(publicURL.hasPrefix("https://") || publicURL.hasPrefix("http://")) {
            throw check.fail("http.public_url", "expected an http(s):// URL, e.g. \"https://cantine.example.org\"")
        }
    }
}
