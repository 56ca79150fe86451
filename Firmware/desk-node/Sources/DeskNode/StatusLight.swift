// What the node's LED says, for an installer with no console: steady when connected and well,
// a slow flash while connecting, otherwise a count of short flashes then a pause, one count
// per thing wrong (listed in Firmware/README.md). Pure: a pattern and the millisecond tick.

/// Something wrong the LED names by its count of flashes (its raw value).
public enum NodeCondition: UInt8, Equatable {
    case noProvisioning = 1
    case badProvisioning = 2
    case noModule = 3
    case noWiFi = 4
    case noBroker = 5
    case radarSilent = 6
    case radarNotConfigured = 7

    /// What it means, for the console.
    public var meaning: StaticString {
        switch self {
        case .noProvisioning: "no provisioning block"
        case .badProvisioning: "provisioning block refused"
        case .noModule: "no answer from the Wi-Fi module"
        case .noWiFi: "cannot join Wi-Fi"
        case .noBroker: "no broker"
        case .radarSilent: "radar silent, using its OUT pin"
        case .radarNotConfigured: "radar not configured (no ACK)"
        }
    }
}

/// The LED's pattern.
public enum StatusLight: Equatable {
    /// Connected, all well.
    case steady
    /// Joining Wi-Fi and the broker, nothing failed yet: 0.5 s on, 0.5 s off.
    case connecting
    /// A condition's count of 200 ms flashes, 400 ms apart, then 1.6 s dark.
    case code(NodeCondition)

    /// Whether the LED is lit at `now`.
    public func lit(at now: UInt32) -> Bool {
        switch self {
        case .steady: return true
        case .connecting: return now % 1_000 < 500
        case .code(let condition):
            let flashes = UInt32(condition.rawValue)
            let t = now % (flashes * 400 + 1_600)
            return t < flashes * 400 && t % 400 < 200
        }
    }
}
