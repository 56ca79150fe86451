// The commented sample configuration written by `cantine init` (and, with a demo database
// path and simulated GPIO, used by `cantine demo`).

/// Sample configuration text.
public enum SampleConfig {
    /// A commented config for La Cantine: two zones of desks, one entrance door, one room.
    /// - Parameters:
    ///   - databasePath: where the SQLite file lives.
    ///   - simulated: use the simulated GPIO twin instead of libgpiod.
    ///   - httpPort: HTTP port.
    ///   - mqttPort: MQTT broker port.
    public static func text(
        databasePath: String, simulated: Bool = false, httpPort: Int = 8080, mqttPort: Int = 1883,
        desksPerZone: Int = 12
    ) -> String {
        var desks = ""
        for (zone, prefix) in [("fenetre", "f"), ("jardin", "j")] {
            for i in 1...desksPerZone {
                let id = "\(prefix)\(i < 10 ? "0" : "")\(i)"
                desks += """

                    [[desks]]
                    id = "\(id)"
                    zone = "\(zone)"
                    node = "node-\(id)"

                    """
            }
        }
        return """
            # Cantine configuration (TOML). Every key is documented in README.md § Configuration.
            # Strings may take secrets from the environment: password = "${CANTINE_MQTT_PASSWORD}".

            [site]
            id = "paris"                 # site id: a-z 0-9 - _ ; used in MQTT topics and event ids
            name = "La Cantine"
            time_zone = "Europe/Paris"   # IANA name: plans, bookings and the program use local time
            locale = "fr"                # "fr" or "en" for the display
            capacity = 60                # fire-safety limit on people present

            [database]
            path = "\(databasePath)"
            snapshot_every = 10000       # events between state snapshots (replay starts from the latest)

            [http]
            host = "127.0.0.1"           # 0.0.0.0 to serve the LAN (the entrance screen, staff laptops)
            port = \(httpPort)
            secure_cookies = false       # true when a TLS reverse proxy serves the staff dashboard

            [mqtt]
            enabled = true
            host = "127.0.0.1"
            port = \(mqttPort)
            client_id = "cantine-paris"
            # username = "cantine"
            # password = "${CANTINE_MQTT_PASSWORD}"
            keepalive_s = 30
            # ca_file = "/etc/cantine/ca.pem"     # enables TLS
            # cert_file = "/etc/cantine/client.pem"
            # key_file = "/etc/cantine/client.key"
            persistent_session = true    # the broker keeps reports for us while we restart
            discovery = true             # Home Assistant MQTT discovery (read-only entities)
            discovery_prefix = "homeassistant"
            names_in_events = false      # true: access events carry the member's name
            outbox_max_age_h = 24        # undelivered messages kept this long while the broker is away
            # queue_size = 8192          # inbound messages waiting for the ingest thread

            [sensors]
            occupied_after_s = 5         # presence must hold this long (a passer-by does not count)
            vacant_after_s = 120         # absence must hold this long (a coffee break keeps the desk)
            silent_after_s = 180         # a node silent this long makes its desk unknown
            max_report_age_s = 120       # reports older than this when they arrive are ignored
            presence_hours = 14          # a badge-in stops counting after this (nobody badges out)
            max_reports_per_s = 2        # per desk, on average; more is flooding and is dropped
            burst = 20

            [reconcile]
            no_show_grace_min = 30       # a booked desk still empty this long after its start is released
            flapping_changes = 6         # this many occupancy changes …
            flapping_window_min = 10     # … within this many minutes: the sensor is flapping
            overstay_grace_min = 10      # a room with a sensor still occupied this long after its booking

            [display]
            welcome = true               # the entrance screen greets members by first name on badge-in
            late_start_min = 10          # a session stays "just started: come in" this long

            # How long personal data is kept (days), enforced daily; see docs/privacy.md.
            [retention]
            access_log_days = 90         # who badged where and when (CNIL: a few months)
            journal_days = 30            # per-event detail, then compacted and counted per desk and day
            bookings_days = 3653         # booking records after their end (accounting: ten years)

            # SpaceAPI v15 at /spaceapi.json (left out: no SpaceAPI):
            # [spaceapi]
            # url = "https://lacantine.example"
            # logo = "https://lacantine.example/logo.png"
            # address = "151 rue Montmartre, 75002 Paris, France"
            # lat = 48.8698
            # lon = 2.3431
            # email = "bonjour@lacantine.example"
            # calendar_url = "https://lacantine.example/program.ics"

            [program]
            # The barcamp grid on the blackboard: `cantine sessions add --slot 2 --room salle-1 "Title"`
            slots = ["09:30-10:15", "10:30-11:15", "11:30-12:15", "14:00-14:45", "15:00-15:45", "16:00-16:45"]

            [gpio]
            mode = "\(simulated ? "simulated" : "real")"   # "real" (libgpiod) or "simulated" (no hardware)
            # chip = "pinctrl-bcm2711"   # the lines' chip, by label; default: the 40-pin header's,
            #                            # found by its label on any Pi (`gpiodetect` lists chips)
            gap_timeout_ms = 25          # silence that ends a Wiegand frame
            desk_settle_ms = 50          # a wired desk sensor's level must hold this long (bounce)

            [access]
            public_hours = "mon-fri 08:00-20:00"   # staffed hours; outside them pin_after_hours applies
            pin_after_hours = false      # true: after hours, badge then PIN + # on the reader's keypad
            pin_timeout_s = 20
            booking_margin_min = 15      # a booking opens the door 15 min before and after it
            denied_alarm_count = 5       # this many denied badges at one reader ...
            denied_alarm_window_s = 60   # ... within this window raise an alarm
            remote_unlock_max_age_s = 30 # a remote unlock request older than this is refused

            [access.hours]               # when each plan opens the doors (within its own window)
            half-day-am = "mon-sun 08:00-20:00"
            half-day-pm = "mon-sun 08:00-20:00"
            day = "mon-sun 08:00-20:00"
            multi-day = "mon-sun 08:00-20:00"
            resident = "always"
            staff = "always"

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
            direction = "entry"          # badging here means coming in ("exit" for an exit reader)
            d0_line = 17                 # Wiegand D0 (green), through a level shifter: readers are 5 V
            d1_line = 27                 # Wiegand D1 (white)
            relay_line = 22              # strike relay
            relay_active_low = true      # optocoupled relay modules switch on when IN is low
            contact_line = 23            # door contact (reed switch)
            contact_active_low = true
            exit_button_line = 24        # request-to-exit button
            exit_button_active_low = true
            pulse_s = 5                  # unlock pulse, 0.1 to 10 s (the hard cap, enforced in code too)
            held_open_s = 30             # open longer than this raises the held-open alarm
            relock_on_close = false      # true: lock as soon as the door closes after entry
            fail_secure = true           # stays locked without power (false for fire exits)

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
            # gpio_active_low = false    # true: the line reads low when someone is there
            """
    }
}
