// The configuration resolved: every key at its value or its default (`Defaults`), in one
// pass, so nothing downstream writes `?? default` again. Each section's file resolves its part.

import CantineCore

/// The resolved configuration: what the daemon, the CLI and the tools run with.
public struct Settings: Equatable, Sendable {
    public var site: Site
    public var database: Database
    public var http: HTTP
    public var mqtt: MQTT
    public var gpio: GPIO
    /// The site as the core sees it: zones, doors, desks, rooms and the access, sensor and
    /// reconciliation rules.
    public var layout: SiteLayout
    public var sensorLimits: SensorLimits
    /// A remote unlock request older than this is refused, never carried out late.
    public var remoteUnlockMaxAge: Span
    public var display: Display
    public var retention: Retention
    /// The barcamp grid's slots, in order.
    public var program: [Slot]
    /// Each door's lines, in the config's order.
    public var doors: [DoorWiring]
    /// Each wired desk sensor's line (desks with a node have none).
    public var desks: [DeskWiring]
    /// SpaceAPI facts, when `[spaceapi]` is there.
    public var spaceapi: Config.SpaceAPISection?
    /// The network, when `[network]` is there and enabled.
    public var network: Network?
}

extension Config {
    /// The configuration resolved (validated first by `parse`: nothing here can fail).
    /// Build it once and keep it: it resolves every section.
    public var settings: Settings {
        let gpio = self.gpio.resolved
        return Settings(
            site: site.resolved, database: database.resolved, http: http.resolved,
            mqtt: mqtt.resolved(site: site.id), gpio: gpio,
            layout: SiteLayout(
                site: SiteID(site.id), name: site.name, timeZone: Defaults.timeZone.or(site.timeZone),
                capacity: Defaults.capacity.or(site.capacity), zones: zones.map(\.zone), doors: doors.map(\.door),
                desks: desks.map(\.desk), rooms: rooms.map(\.room), access: access.rules, sensors: sensors.rules,
                reconcile: reconcile.rules),
            sensorLimits: sensors.limits, remoteUnlockMaxAge: access.remoteUnlockMaxAge, display: display.resolved,
            retention: retention.resolved, program: program.resolved,
            doors: doors.map { $0.wiring(defaultChip: gpio.chip) },
            desks: desks.compactMap { $0.wiring(defaultChip: gpio.chip) }, spaceapi: spaceapi,
            network: network?.resolved)
    }
}
