// The site as the daemon opens it: its settings resolved from the config, its relays the GPIO
// edge's drivers, its errors worded as the daemon's.

import CantineConfig
import CantineCore
import CantineGPIO
import CantineProtocol
import CantineSite
import CantineStore
import Logging

/// A one-line error from opening or running the daemon.
public struct DaemonError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Settings {
    /// What the site needs of the config.
    public var siteSettings: SiteSettings {
        SiteSettings(
            site: site.id, databasePath: database.path, timeZone: site.timeZone, layout: layout,
            networkCredentialSecret: network?.credentialSecret, remoteUnlockMaxAge: remoteUnlockMaxAge,
            retention: .init(
                accessLogDays: retention.accessLogDays, journalDays: retention.journalDays,
                bookingsDays: retention.bookingsDays),
            wiegand37: Dictionary(
                uniqueKeysWithValues: doors.compactMap { d in d.wiegand37.map { (d.door, $0) } }),
            commitLinger: .milliseconds(Int64(database.commitLingerMs)))
    }
}

extension Site {
    /// Opens the site described by `config`.
    /// - Parameters:
    ///   - relays: relay drivers by door, already driven locked (daemon only).
    public static func open(
        config: Config, role: Role, mode: Store.Mode = .existing, time: any TimeSource = SystemTime(),
        relays: [DoorID: RelayDriver] = [:], version: String, logger: Logger
    ) throws(DaemonError) -> Site {
        do throws(SiteError) {
            return try Site.open(
                config.settings.siteSettings, role: role, mode: mode, time: time,
                relays: { door, command in
                    relays[door]?.apply(command)
                }, version: version, logger: logger)
        } catch {
            throw DaemonError(error.message)
        }
    }
}
