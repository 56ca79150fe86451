// `[site]`: which site this is, its name, its time zone, its locale and how many people it holds.

import CantineCore
import CantineProtocol
import Foundation

extension Config {
    /// `[site]` as written.
    public struct SiteSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        public var timeZone: String?
        public var locale: String?
        public var capacity: Int?
        enum CodingKeys: String, CodingKey { case id, name, timeZone = "time_zone", locale, capacity }
    }
}

extension Settings {
    /// The site, resolved.
    public struct Site: Equatable, Sendable {
        public var id: SiteID
        public var name: String
        /// IANA name: plans, bookings and the program use local time.
        public var timeZone: String
        /// `fr` or `en`.
        public var locale: String
        /// The fire-safety limit on people present.
        public var capacity: Int
    }
}

extension Config.SiteSection {
    var resolved: Settings.Site {
        Settings.Site(
            id: SiteID(id), name: name, timeZone: Defaults.timeZone.or(timeZone), locale: Defaults.locale.or(locale),
            capacity: Defaults.capacity.or(capacity))
    }

    func validate(_ check: Checks) throws(ConfigError) {
        try check.slug("site.id", id)
        guard id != "network" else {
            throw check.fail(
                "site.id", "'network' is reserved (cantine/network/ carries the other sites): choose another id")
        }
        let zone = Defaults.timeZone.or(timeZone)
        guard TimeZone(identifier: zone) != nil else {
            throw check.fail(
                "site.time_zone", "'\(zone)' is not a known time zone: use an IANA name such as Europe/Paris")
        }
        guard ["fr", "en"].contains(Defaults.locale.or(locale)) else {
            throw check.fail("site.locale", "expected \"fr\" or \"en\"")
        }
        try Defaults.capacity.check(capacity, file: check.file)
    }
}
