// Facts of the wiring that the config checks and the GPIO edge acts on: the pull an input is
// requested with, how a chip is named, and how a hub's address is written.

/// The pull a line is requested with (libgpiod's bias flags, Linux 5.5+).
public enum Bias: String, Sendable, Equatable, CaseIterable {
    case pullUp = "pull-up"
    case pullDown = "pull-down"
    /// No internal pull: an external resistor or a driven signal sets the level.
    case disabled
}

extension Bias {
    /// The pull that holds an input at rest when nothing drives it: up for a line that rests
    /// high (active-low: a switch to ground, an open-collector output), down for one that rests
    /// low. A cut wire then reads "at rest" — for a door contact wired to read closed low,
    /// that is "open", which raises the door's alarms.
    public static func resting(activeLow: Bool) -> Bias { activeLow ? .pullUp : .pullDown }

    /// Why this pull is wrong for a line that is active low (or high), nil when it is not:
    /// pulled towards its active level, a floating or cut wire reads active forever.
    public func problem(activeLow: Bool) -> String? {
        switch (self, activeLow) {
        case (.pullDown, true):
            "pull-down on a line that rests high: a cut wire or an open switch would read active; use \"pull-up\" (or \"disabled\" with an external pull-up)"
        case (.pullUp, false):
            "pull-up on a line that rests low: a cut wire would read active; use \"pull-down\" (or \"disabled\" with an external pull-down)"
        default: nil
        }
    }
}

/// How the config names a GPIO chip.
public enum ChipSpec {
    /// The 40-pin header's chip, found by its label (the default).
    public static let header = "header"
    /// A spec as errors name it.
    public static func describe(_ spec: String) -> String { spec == header ? "the header's chip" : spec }
}

/// A network hub's address, `host:port`.
public enum HubAddress {
    /// Why `hub` is not a `host:port` address, nil when it is.
    public static func problem(_ hub: String) -> String? {
        let parts = hub.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[0].contains(where: { $0 == " " || $0 == "#" }),
            let port = Int(parts[1]), (1...65535).contains(port)
        else { return "hub address '\(hub.oneLine)': expected host:port, such as hub.cantine.coop:8883" }
        return nil
    }
}
