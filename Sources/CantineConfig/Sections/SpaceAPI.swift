// `[spaceapi]`: what `/spaceapi.json` says about the space (SpaceAPI v15); without it, no SpaceAPI.

extension Config {
    /// `[spaceapi]` as written: everything it has is given, so it is its own resolved value.
    public struct SpaceAPISection: Codable, Equatable, Sendable {
        public var url: String
        public var logo: String
        public var address: String?
        public var lat: Double
        public var lon: Double
        public var email: String?
        public var phone: String?
        /// Where the program's .ics is published (`feeds.calendar`).
        public var calendarURL: String?
        enum CodingKeys: String, CodingKey {
            case url, logo, address, lat, lon, email, phone, calendarURL = "calendar_url"
        }
    }
}

extension Config.SpaceAPISection {
    func validate(_ check: Checks) throws(ConfigError) {
        try Defaults.spaceLat.check(lat, file: check.file)
        try Defaults.spaceLon.check(lon, file: check.file)
        for (key, value) in [("url", url), ("logo", logo)] + (calendarURL.map { [("calendar_url", $0)] } ?? [])
        where !(value.hasPrefix("https://") || value.hasPrefix("http://")) {
            throw check.fail("spaceapi.\(key)", "expected an http(s):// URL")
        }
    }
}
