// `[[zones]]`: the areas desks are grouped in, and how many of each may be booked at once.

import CantineCore

extension Config {
    /// A `[[zones]]` entry as written.
    public struct ZoneSection: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        /// Most desks of the zone booked at once; the others stay for walk-ins (all by default).
        public var bookable: Int?
    }
}

extension Config.ZoneSection {
    var zone: Zone { Zone(id: ZoneID(id), name: name, bookable: bookable) }

    func validate(_ check: Checks, index: Int) throws(ConfigError) {
        try check.slug("zones[\(index)].id", id)
        if let b = bookable, b < 0 { throw check.fail("zones[\(index)].bookable", "expected 0 or more desks") }
    }
}
