// Home Assistant MQTT discovery: one device for the site; per desk an occupancy
// binary_sensor (unavailable with the daemon, or with the desk's node), the same per room
// that has a sensor; people present and
// free desks per zone as sensors; per door a door binary_sensor and a lock binary_sensor.
// Read-only on purpose: nothing here has a command topic, so Home Assistant cannot unlock.

import CantineCore
import Foundation

/// One discovery config: its topic and JSON payload (empty to remove the entity).
public struct DiscoveryMessage: Equatable, Sendable {
    public var topic: String
    public var payload: String
}

/// A Home Assistant entity as announced by discovery (keys as HA names them).
struct DiscoveryEntity: Encodable {
    struct Availability: Encodable {
        var topic: String
    }
    struct Device: Encodable {
        var identifiers: [String]
        var name: String
        var manufacturer = "Cantine"
        var model = "cantine daemon"
        var swVersion: String
        enum CodingKeys: String, CodingKey {
            case identifiers, name, manufacturer, model, swVersion = "sw_version"
        }
    }

    var name: String
    var uniqueID: String
    var stateTopic: String
    var valueTemplate: String?
    var payloadOn: String?
    var payloadOff: String?
    var deviceClass: String?
    var stateClass: String?
    var unit: String?
    var icon: String?
    var availability: [Availability]
    var availabilityMode: String?
    var device: Device

    enum CodingKeys: String, CodingKey {
        case name, uniqueID = "unique_id", stateTopic = "state_topic", valueTemplate = "value_template"
        case payloadOn = "payload_on", payloadOff = "payload_off", deviceClass = "device_class"
        case stateClass = "state_class", unit = "unit_of_measurement", icon, availability
        case availabilityMode = "availability_mode", device
    }
}

/// The discovery configs of a layout.
public enum Discovery {
    /// Every config for `layout`, sorted by topic.
    /// The free desks of `zone` from the retained occupancy: the desks known free, or
    /// "None" (Home Assistant's unknown) when none is known free while some are unknown — a
    /// silent night is not a full floor.
    static func freeDesksTemplate(_ zone: ZoneID) -> String {
        "{% set z = value_json.zones | selectattr('zone', 'equalto', '\(zone)') | first %}"
            + "{{ 'None' if z.free == 0 and z.unknown > 0 else z.free }}"
    }

    /// Names of the site's own entities in its language (desks, rooms and doors are named
    /// in the config).
    struct Names {
        var peoplePresent: String
        var freeDesks: (String) -> String
        var lock: (String) -> String
        init(_ locale: String) {
            if locale == "fr" {
                peoplePresent = "Personnes présentes"
                freeDesks = { "Bureaux libres \($0)" }
                lock = { "Verrou \($0)" }
            } else {
                peoplePresent = "People present"
                freeDesks = { "Free desks \($0)" }
                lock = { "\($0) lock" }
            }
        }
    }

    public static func messages(for layout: SiteLayout, topics: Topics, version: String, locale: String = "en")
        -> [DiscoveryMessage]
    {
        let names = Names(locale)
        let site = layout.site.rawValue
        let device = DiscoveryEntity.Device(identifiers: ["cantine_\(site)"], name: layout.name, swVersion: version)
        let daemon = [DiscoveryEntity.Availability(topic: topics.status)]
        var out: [(String, DiscoveryEntity)] = []
        func add(_ component: String, _ object: String, _ entity: DiscoveryEntity) {
            out.append((topics.discovery(component, "cantine_\(site)_\(object)"), entity))
        }
        for desk in layout.desks {
            let availability = daemon + (desk.node.map { [.init(topic: topics.nodeStatus($0))] } ?? [])
            add(
                "binary_sensor", "desk_\(desk.id)",
                DiscoveryEntity(
                    name: desk.name, uniqueID: "cantine_\(site)_desk_\(desk.id)", stateTopic: topics.deskState(desk.id),
                    valueTemplate: "{{ value if value in ['occupied', 'vacant'] else 'None' }}",
                    payloadOn: "occupied", payloadOff: "vacant", deviceClass: "occupancy", availability: availability,
                    availabilityMode: availability.count > 1 ? "all" : nil, device: device))
        }
        for room in layout.rooms {
            guard let node = room.node else { continue }
            let availability = daemon + [.init(topic: topics.nodeStatus(node))]
            add(
                "binary_sensor", "room_\(room.id)",
                DiscoveryEntity(
                    name: room.name, uniqueID: "cantine_\(site)_room_\(room.id)", stateTopic: topics.roomState(room.id),
                    valueTemplate: "{{ value if value in ['occupied', 'vacant'] else 'None' }}",
                    payloadOn: "occupied", payloadOff: "vacant", deviceClass: "occupancy", availability: availability,
                    availabilityMode: "all", device: device))
        }
        add(
            "sensor", "people_present",
            DiscoveryEntity(
                name: names.peoplePresent, uniqueID: "cantine_\(site)_people_present", stateTopic: topics.occupancy,
                valueTemplate: "{{ value_json.people_present }}", stateClass: "measurement", unit: "people",
                icon: "mdi:account-group", availability: daemon, device: device))
        for zone in layout.zones {
            add(
                "sensor", "free_desks_\(zone.id)",
                DiscoveryEntity(
                    name: names.freeDesks(zone.name), uniqueID: "cantine_\(site)_free_desks_\(zone.id)",
                    stateTopic: topics.occupancy,
                    // No desk known free while some are unknown (sensors silent): Home Assistant's
                    // unknown ("None"), never 0.
                    valueTemplate: Self.freeDesksTemplate(zone.id),
                    stateClass: "measurement", unit: "desks", icon: "mdi:desk", availability: daemon, device: device))
        }
        for door in layout.doors {
            add(
                "binary_sensor", "door_\(door.id)",
                DiscoveryEntity(
                    name: door.name, uniqueID: "cantine_\(site)_door_\(door.id)", stateTopic: topics.doorState(door.id),
                    valueTemplate: "{{ 'ON' if value in ['open', 'forced', 'held_open'] else 'OFF' }}",
                    payloadOn: "ON", payloadOff: "OFF", deviceClass: "door", availability: daemon, device: device))
            add(
                "binary_sensor", "lock_\(door.id)",
                DiscoveryEntity(
                    name: names.lock(door.name), uniqueID: "cantine_\(site)_lock_\(door.id)",
                    stateTopic: topics.doorState(door.id),
                    valueTemplate: "{{ 'OFF' if value == 'locked' else 'ON' }}", payloadOn: "ON", payloadOff: "OFF",
                    deviceClass: "lock", availability: daemon, device: device))
        }
        let encoder = JSONEncoder.sorted
        return out.map { topic, entity in
            DiscoveryMessage(
                topic: topic, payload: String(decoding: (try? encoder.encode(entity)) ?? Data(), as: UTF8.self))
        }.sorted { $0.topic < $1.topic }
    }
}
