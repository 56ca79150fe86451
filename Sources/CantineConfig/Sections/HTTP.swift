// `[http]`: where the dashboard, the entrance screen and the API listen.

extension Config {
    /// `[http]` as written.
    public struct HTTPSection: Codable, Equatable, Sendable {
        public var host: String?
        public var port: Int?
        /// Mark the staff session cookie Secure: set it when a TLS proxy serves the dashboard.
        public var secureCookies: Bool?
        public init() {}
        enum CodingKeys: String, CodingKey { case host, port, secureCookies = "secure_cookies" }
    }
}

extension Settings {
    /// The HTTP listener, resolved.
    public struct HTTP: Equatable, Sendable {
        public var host: String
        public var port: Int
        /// The staff session cookie is marked Secure.
        public var secureCookies: Bool
    }
}

extension Config.HTTPSection {
    var resolved: Settings.HTTP {
        Settings.HTTP(
            host: Defaults.httpHost.or(host), port: Defaults.httpPort.or(port),
            secureCookies: Defaults.secureCookies.or(secureCookies))
    }

    func validate(_ check: Checks) throws(ConfigError) {
        try Defaults.httpPort.check(port, file: check.file)
    }
}
