// The network's topics and message bodies (docs/network.md). A site publishes under its own
// prefix, `cantine/<site>/net/…`; its mosquitto bridge sends `cantine/<site>/#` to the hub and
// brings every site's `cantine/<site>/net/#` back in under `cantine/network/<site>/net/…`, so
// what a site reads from the network never overlaps what it writes (no loops, one ACL rule).

import CantineCore
import Foundation

/// Topic names of the network for one site.
public struct NetworkTopics: Sendable {
    public let site: SiteID
    /// The local prefix under which the bridge brings the network in.
    public static let inbound = "cantine/network/"
    public init(site: SiteID) { self.site = site }

    /// This site's record of one of its members (retained).
    public func member(_ member: MemberID) -> String { "cantine/\(site)/net/members/\(member)" }
    /// This site's summary (retained).
    public var summary: String { "cantine/\(site)/net/summary" }
    /// A visit to this site by a member of `home` (not retained, QoS 1).
    public func visit(home: SiteID) -> String { "cantine/\(site)/net/visits/\(home)" }

    /// What this site subscribes to on its own broker: every site's records and summaries, and
    /// the visits reported to this site.
    public var subscriptions: [String] {
        [
            Self.inbound + "+/net/members/+", Self.inbound + "+/net/summary",
            Self.inbound + "+/net/visits/\(site)",
        ]
    }

    /// An inbound topic, parsed: the site whose prefix it came under, the kind, the last level.
    public static func parse(_ topic: String) -> (site: SiteID, kind: NetworkKind, leaf: String)? {
        guard topic.hasPrefix(inbound) else { return nil }
        let parts = topic.dropFirst(inbound.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[1] == "net", Slug.isValid(String(parts[0])) else { return nil }
        let site = SiteID(String(parts[0]))
        switch (parts.count, parts[2]) {
        case (3, "summary"): return (site, .summary, "")
        case (4, "members"): return (site, .member, String(parts[3]))
        case (4, "visits"): return (site, .visit, String(parts[3]))
        default: return nil
        }
    }
}

/// Limits a record must keep (a larger one is refused, not truncated).
public enum RecordLimits {
    public static let credentials = 32
    public static let plans = 64
    /// A ttl from one minute to thirty days.
    public static let ttlSeconds: ClosedRange<Int64> = 60...2_592_000

    /// Why `record`, published under `from`'s prefix on the topic's `leaf`, is refused; nil when it is sound.
    public static func check(_ record: RoamingRecord, from: SiteID, leaf: String) -> NetworkRejection? {
        if record.home != from {
            return NetworkRejection(
                "record of a member of '\(record.home.rawValue.oneLine)' published by '\(from)': only a member's home site speaks for them"
            )
        }
        if record.member.rawValue != leaf || !record.member.isSlug {
            return NetworkRejection(
                "record under members/\(leaf.oneLine) names member '\(record.member.rawValue.oneLine)'")
        }
        if record.credentials.count > credentials || record.plans.count > plans {
            return NetworkRejection(
                "oversized record for \(record.member)@\(from): \(record.credentials.count) badges, \(record.plans.count) plans (limits \(credentials), \(plans))"
            )
        }
        if !ttlSeconds.contains(record.ttlSeconds) {
            return NetworkRejection(
                "record for \(record.member)@\(from) has ttl_s \(record.ttlSeconds): expected 60 to 2592000")
        }
        if record.version < 1 {
            return NetworkRejection(
                "record for \(record.member)@\(from) has version \(record.version): expected 1 or more")
        }
        return nil
    }
}
