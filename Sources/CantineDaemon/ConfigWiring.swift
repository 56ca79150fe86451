// The resolved config mapped into the edges' own types: the blackboard's settings and
// SpaceAPI facts for the web, the site as the program's exports name it, each door's and desk's input lines for the GPIO edge.

import CantineConfig
import CantineCore
import CantineGPIO
import CantineImport
import CantineWeb

extension Settings {
    /// How the blackboard is shown.
    public var boardSettings: BoardSettings {
        BoardSettings(
            locale: site.locale, lateStart: display.lateStart, welcome: display.welcome, screenMargin: display.cecMargin
        )
    }

    /// SpaceAPI facts, when `[spaceapi]` is there.
    public var spaceInfo: SpaceInfo? {
        spaceapi.map {
            SpaceInfo(
                url: $0.url, logo: $0.logo, address: $0.address, lat: $0.lat, lon: $0.lon, email: $0.email,
                phone: $0.phone, calendarURL: $0.calendarURL ?? http.publicURL + "/program/program.ics")
        }
    }
}

extension FrabSchedule.Site {
    /// The site as the program's exports name it, from the resolved config.
    public init(_ settings: Settings) {
        self.init(
            id: settings.site.id.rawValue, name: settings.site.name, timeZone: settings.site.timeZone,
            rooms: settings.layout.rooms.map { ($0.id.rawValue, $0.name) }, language: settings.site.locale,
            baseURL: settings.http.publicURL)
    }
}

extension DoorLines {
    /// A door's input lines, with the pulls requested on them.
    public init(_ door: Settings.DoorWiring) {
        self.init(
            door: door.door, d0: door.d0, d1: door.d1, contact: door.contact, contactActiveLow: door.contactActiveLow,
            exitButton: door.exitButton, exitButtonActiveLow: door.exitButtonActiveLow, dataBias: door.dataBias,
            contactBias: door.contactBias, exitButtonBias: door.exitButtonBias)
    }
}

extension DeskLines {
    /// A wired desk sensor's line, with its pull.
    public init(_ desk: Settings.DeskWiring) {
        self.init(desk: desk.desk, line: desk.line, activeLow: desk.activeLow, bias: desk.bias)
    }
}
