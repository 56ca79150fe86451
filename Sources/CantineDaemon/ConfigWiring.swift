// The config mapped into the edges' own types: the blackboard's settings and SpaceAPI facts
// for the web, each door's and desk's input lines for the GPIO edge.

import CantineConfig
import CantineCore
import CantineGPIO
import CantineWeb

extension Config {
    /// How the blackboard is shown.
    public var boardSettings: BoardSettings {
        BoardSettings(
            locale: locale == "en" ? "en" : "fr", lateStart: .minutes(Int64(display.lateStartMin ?? 10)),
            welcome: display.welcome ?? true)
    }

    /// SpaceAPI facts, when `[spaceapi]` is there.
    public var spaceInfo: SpaceInfo? {
        spaceapi.map {
            SpaceInfo(
                url: $0.url, logo: $0.logo, address: $0.address, lat: $0.lat, lon: $0.lon, email: $0.email,
                phone: $0.phone, calendarURL: $0.calendarURL)
        }
    }

    /// A door's input lines, with the pulls requested on them.
    public func lines(of door: DoorSection) -> DoorLines {
        let contactActiveLow = door.contactActiveLow ?? true
        let exitActiveLow = door.exitButtonActiveLow ?? true
        return DoorLines(
            door: DoorID(door.id), d0: door.d0Line, d1: door.d1Line, contact: door.contactLine,
            contactActiveLow: contactActiveLow, exitButton: door.exitButtonLine, exitButtonActiveLow: exitActiveLow,
            dataBias: door.dataBias.flatMap(Bias.init(rawValue:)) ?? .pullUp,
            contactBias: door.contactBias.flatMap(Bias.init(rawValue:)) ?? Bias.resting(activeLow: contactActiveLow),
            exitButtonBias: door.exitButtonBias.flatMap(Bias.init(rawValue:)) ?? Bias.resting(activeLow: exitActiveLow))
    }

    /// A desk's wired sensor line, with its pull (nil for a desk with a node).
    public func lines(of desk: DeskSection) -> DeskLines? {
        guard let line = desk.gpioLine else { return nil }
        let activeLow = desk.gpioActiveLow ?? false
        return DeskLines(
            desk: DeskID(desk.id), line: line, activeLow: activeLow,
            bias: desk.gpioBias.flatMap(Bias.init(rawValue:)) ?? Bias.resting(activeLow: activeLow))
    }
}
