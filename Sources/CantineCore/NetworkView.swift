// The network view's values: a site's summary as the network sees it, and a site as this
// site last heard it. Pure values, shared by the network service, the CLI and the dashboard.

import Foundation

/// A site's summary as the network sees it: people present, desks, and a counter that orders
/// its summaries without clocks (`epoch`: the site's journal sequence at start; `count`: the
/// summaries since).
public struct SiteSummary: Codable, Equatable, Sendable {
    public var site: SiteID
    public var name: String
    public var epoch: Int64
    public var count: Int64
    public var peoplePresent: Int
    public var desksFree: Int
    public var desksOccupied: Int
    public var desksUnknown: Int
    public var capacity: Int
    public var visitors: Int
    /// The sending site's clock when it sent the summary (shown, never compared).
    public var sentAt: Instant

    public init(
        site: SiteID, name: String, epoch: Int64, count: Int64, occupancy: OccupancySummary, visitors: Int,
        sentAt: Instant
    ) {
        self.site = site
        self.name = name
        self.epoch = epoch
        self.count = count
        peoplePresent = occupancy.peoplePresent
        desksFree = occupancy.zones.reduce(0) { $0 + $1.free }
        desksOccupied = occupancy.desksOccupied
        desksUnknown = occupancy.zones.reduce(0) { $0 + $1.unknown }
        capacity = occupancy.capacity
        self.visitors = visitors
        self.sentAt = sentAt
    }

    /// True when this summary is newer than `other` (from the same site).
    public func isNewer(than other: SiteSummary) -> Bool { (epoch, count) > (other.epoch, other.count) }

    enum CodingKeys: String, CodingKey {
        case site, name, epoch, count, peoplePresent = "people_present", desksFree = "desks_free"
        case desksOccupied = "desks_occupied", desksUnknown = "desks_unknown", capacity, visitors
        case sentAt = "sent_at"
    }
}

/// A site in the network view: its last summary, when it was heard, whether it is stale.
public struct NetworkSite: Codable, Equatable, Sendable {
    public var summary: SiteSummary
    @ISO8601Instant public var heardAt: Instant?
    public var stale: Bool
    enum CodingKeys: String, CodingKey { case summary, heardAt = "heard_at", stale }

    public init(summary: SiteSummary, heardAt: Instant?, stale: Bool) {
        self.summary = summary
        self._heardAt = ISO8601Instant(wrappedValue: heardAt)
        self.stale = stale
    }
}

extension NetworkSite {
    /// A site as stored by the network service (its summary's JSON, heard at `heardUs`), stale
    /// when not heard for `staleAfter`; nil when the JSON is not a summary.
    public static func decode(summary json: String, heardUs: Int64, now: Instant, staleAfter: Span) -> NetworkSite? {
        guard let summary = try? JSONDecoder().decode(SiteSummary.self, from: Data(json.utf8)) else { return nil }
        let heard = Instant(micros: heardUs)
        return NetworkSite(summary: summary, heardAt: heard, stale: now - heard > staleAfter)
    }
}
