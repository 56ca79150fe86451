// The site's local clock, computed from a cached zone offset, against Foundation's calendar
// at random instants and around every transition of zones with odd rules.

import Foundation
import Testing

@testable import CantineCore

@Suite struct LocalClockTests {
    /// Zones with DST both ways, half-hour and 45-minute offsets, a 30-minute DST shift,
    /// DST abolished, and historical changes of standard time.
    static let zones = [
        "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Africa/Casablanca",
        "America/Sao_Paulo", "Pacific/Chatham", "Europe/Moscow", "Pacific/Apia", "UTC",
    ]

    /// What Foundation's calendar says: the reference the cached offset must match.
    static func reference(_ zone: TimeZone, _ t: Instant) -> (weekday: Int, minute: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.weekday, .hour, .minute], from: t.date)
        return (((c.weekday ?? 2) + 5) % 7 + 1, (c.hour ?? 0) * 60 + (c.minute ?? 0))
    }

    @Test(arguments: zones)
    func theLocalClockMatchesFoundationAcrossCenturiesAndTransitions(_ identifier: String) throws {
        let zone = try #require(TimeZone(identifier: identifier))
        let site = try #require(SiteCalendar(timeZone: identifier))
        var rng = SystemRandomNumberGenerator()
        // 1900 to 2100 in a random order: the held span moves back and forth.
        var instants = (0..<4_000).map { _ in
            Instant(micros: Int64.random(in: -2_208_988_800_000_000...4_102_444_800_000_000, using: &rng))
        }
        // Each transition from 1950 to 2040, and a second and a microsecond either side.
        var at = Date(timeIntervalSince1970: -631_152_000)
        while let next = zone.nextDaylightSavingTimeTransition(after: at), next.timeIntervalSince1970 < 2_208_988_800 {
            let micros = Int64(next.timeIntervalSince1970 * 1_000_000)
            instants += [-1_000_000, -1, 0, 1, 1_000_000, 59_999_999].map { Instant(micros: micros + $0) }
            at = next
        }
        // In order too: a badge a minute through a transition day.
        instants += (0..<2_880).map { Instant(micros: 1_774_742_400_000_000 + Int64($0) * 60_000_000) }
        for t in instants {
            let got = site.clock(t)
            let want = Self.reference(zone, t)
            #expect(got.weekday == want.weekday && got.minute == want.minute, "\(identifier) at \(t.micros) µs")
        }
    }
}
