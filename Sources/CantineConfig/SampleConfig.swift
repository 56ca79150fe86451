// The commented sample configuration written by `cantine init` (and, with a demo database
// path and simulated GPIO, used by `cantine demo`). Its sections are generated from
// `Defaults`: every key with its default (or an example), and the table's comment on it; only
// the example zones, doors, rooms and desks are written out here.

/// Sample configuration text.
public enum SampleConfig {
    /// A commented config for La Cantine: two zones of desks, two doors, three rooms.
    /// - Parameters:
    ///   - databasePath: where the SQLite file lives.
    ///   - simulated: use the simulated GPIO twin instead of libgpiod.
    ///   - httpPort: HTTP port.
    ///   - mqttPort: MQTT broker port.
    ///   - desksPerZone: desks in each of the two zones.
    ///   - examplesCommented: the example zones, doors, rooms and desks written as comments:
    ///     a daemon started on it drives no line (the Debian package's conffile).
    public static func text(
        databasePath: String, simulated: Bool = false, httpPort: Int = 8080, mqttPort: Int = 1883,
        desksPerZone: Int = 12, siteID: String? = nil, siteName: String? = nil, examplesCommented: Bool = false
    ) -> String {
        var given = [
            Defaults.databasePath.key: databasePath.toml, Defaults.httpPort.key: httpPort.toml,
            Defaults.mqttPort.key: mqttPort.toml, Defaults.gpioMode.key: (simulated ? "simulated" : "real").toml,
        ]
        if let siteID { given[Defaults.siteID.key] = siteID.toml }
        if let siteName { given[Defaults.siteName.key] = siteName.toml }
        var out = """
            # Cantine configuration (TOML). Every key is documented in docs/configuration.md;
            # a key left out takes the value shown here. Strings may take secrets from the
            # environment: password = "${CANTINE_MQTT_PASSWORD}".

            """
        for (section, settings) in sections() {
            let lines: [(line: String, commented: Bool, note: String)] = settings.compactMap { setting in
                given[setting.key].map { ("\(name(setting)) = \($0)", false, setting.note) }
                    ?? setting.sampleTOML.map { ($0.line, $0.commented, setting.note) }
            }
            guard !lines.isEmpty else { continue }
            let commented = lines.allSatisfy(\.commented)
            out += "\n"
            if let note = sectionNotes[section] { out += "# \(note)\n" }
            out += (commented ? "# " : "") + "[\(section)]\n"
            for line in lines { out += aligned((line.commented ? "# " : "") + line.line, note: line.note) }
        }
        guard examplesCommented else { return out + examples(desksPerZone: desksPerZone) }
        // Two desks a zone show the shape; the wiring decides how many there are.
        let commented = examples(desksPerZone: min(desksPerZone, 2))
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty || $0.hasPrefix("#") ? String($0) : "# " + $0 }
        return out + """

            # No door, desk or room yet: the daemon drives no line until they are described.
            # The examples below show how; uncomment and change them to match the wiring (or
            # set [gpio] pinout), then `sudo -u cantine cantine init` and
            # `systemctl enable --now cantine` (Hardware/BRINGUP.md).
            """ + commented.joined(separator: "\n") + "\n"
    }

    /// The table's settings grouped by section, in the table's order; list sections left out.
    static func sections() -> [(String, [any AnySetting])] {
        var order: [String] = []
        var bySection: [String: [any AnySetting]] = [:]
        for setting in Defaults.all where setting.sampleTOML != nil {
            let section = setting.key.split(separator: ".").dropLast().joined(separator: ".")
            if bySection[section] == nil { order.append(section) }
            bySection[section, default: []].append(setting)
        }
        return order.map { ($0, bySection[$0] ?? []) }
    }

    static let sectionNotes = [
        "retention": "How long personal data is kept (days), enforced daily; see docs/privacy.md.",
        "spaceapi": "SpaceAPI v15 at /spaceapi.json (left out: no SpaceAPI):",
        "access.hours": "When each plan opens the doors (within the plan's own dates):",
        "network": "A network of cantines (docs/network.md; left out: a lone site). Add [network.sites].",
    ]

    static func name(_ setting: any AnySetting) -> String { String(setting.key.split(separator: ".").last ?? "") }

    /// `line` with its note from column 30, a note's further lines under it; the note of a
    /// long line goes above it.
    static func aligned(_ line: String, note: String) -> String {
        guard !note.isEmpty else { return line + "\n" }
        let column = 29
        if line.count > column + 8 {
            return note.split(separator: "\n").map { "# \($0)\n" }.joined() + line + "\n"
        }
        let pad = { (text: String) in text + String(repeating: " ", count: max(1, column - text.count)) }
        let notes = note.split(separator: "\n")
        var out = pad(line) + "# \(notes[0])\n"
        for more in notes.dropFirst() { out += pad(line.hasPrefix("#") ? "#" : "") + "# \(more)\n" }
        return out
    }

    /// The sample's zones, doors, rooms and desks.
    static func examples(desksPerZone: Int) -> String {
        var desks = ""
        for (zone, prefix) in [("fenetre", "f"), ("jardin", "j")] {
            for i in 1...desksPerZone {
                let id = "\(prefix)\(i < 10 ? "0" : "")\(i)"
                desks += "\n[[desks]]\nid = \"\(id)\"\nzone = \"\(zone)\"\nnode = \"node-\(id)\"\n"
            }
        }
        return """

            [[zones]]
            id = "fenetre"
            name = "Côté fenêtre"

            [[zones]]
            id = "jardin"
            name = "Côté jardin"
            bookable = 10                # desks booked at once at most; the others stay for walk-ins

            [[doors]]
            id = "entree"
            name = "Entrée"
            direction = \(Defaults.direction.or(nil).toml)          # badging here means coming in ("exit" for an exit reader)
            d0_line = 17                 # Wiegand D0 (green), through a level shifter: readers are 5 V
            d1_line = 27                 # Wiegand D1 (white)
            relay_line = 22              # strike relay
            relay_active_low = true      # optocoupled relay modules switch on when IN is low
            contact_line = 23            # door contact (reed switch)
            contact_active_low = \(Defaults.contactActiveLow.or(nil))
            exit_button_line = 24        # request-to-exit button
            exit_button_active_low = \(Defaults.exitButtonActiveLow.or(nil))
            pulse_s = \(Defaults.pulse.or(nil).toml)                  # unlock pulse, 0.1 to 10 s (the hard cap, enforced in code too)
            held_open_s = \(Defaults.heldOpen.or(nil).toml)             # open longer than this raises the held-open alarm
            relock_on_close = \(Defaults.relockOnClose.or(nil))      # true: lock as soon as the door closes after entry
            fail_secure = \(Defaults.failSecure.or(nil))           # stays locked without power (false for fire exits)

            [[doors]]
            id = "sortie"
            name = "Sortie (lecteur intérieur)"
            direction = "exit"           # badging here means leaving: people present = in − out
            d0_line = 5
            d1_line = 6
            relay_line = 13
            relay_active_low = true
            exit_button_line = 19
            exit_button_active_low = true
            pulse_s = 3

            [[rooms]]
            id = "salle-1"
            name = "Salle de réunion"
            capacity = 10
            slot_min = 60                # booked by whole hours from 08:00 (120: 2-hour blocks)
            node = "salle-1-pir"         # occupancy sensor node on rooms/salle-1/report (overstays, walk-ins)

            [[rooms]]
            id = "grande-salle"
            name = "Grande salle"
            capacity = 80

            [[rooms]]
            id = "mezzanine"
            name = "Mezzanine"
            capacity = 25
            \(desks)
            # A desk whose sensor is wired to the board rather than a node on MQTT:
            # [[desks]]
            # id = "bar-1"
            # zone = "fenetre"
            # gpio_line = 16             # presence output (PIR/mmWave OUT, seat mat), 3.3 V
            # gpio_active_low = \(Defaults.gpioActiveLow.or(nil))    # true: the line reads low when someone is there
            """
    }
}
