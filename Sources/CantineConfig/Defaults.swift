// Every default of the config, in one table: the value a left-out key takes, the range a given
// one must be in, and the sample's line and comment. `Settings` resolves from it, `validate`
// checks ranges with it and `cantine init`'s sample is generated from it (a test checks that
// the sample, the defaults and a resolved empty config agree).

import CantineCore

/// The settings of the config, by section, in the order the sample writes them.
public enum Defaults {
    // [site]
    public static let siteID = Setting<String>(
        "site.id", nil, sample: .example("paris"), "site id: a-z 0-9 - _ ; used in MQTT topics and event ids")
    public static let siteName = Setting<String>("site.name", nil, sample: .example("La Cantine"))
    public static let timeZone = Setting(
        "site.time_zone", "Europe/Paris", "IANA name: plans, bookings and the program use local time")
    public static let locale = Setting("site.locale", "fr", "\"fr\" or \"en\" for the display")
    public static let capacity = Setting(
        "site.capacity", 50, 1...100_000, "people", "fire-safety limit on people present")

    // [database]
    public static let databasePath = Setting<String>(
        "database.path", nil, sample: .example("/var/lib/cantine/cantine.sqlite"))
    public static let snapshotEvery = Setting(
        "database.snapshot_every", 10_000, 100...100_000_000, "events",
        "events between state snapshots (replay starts from the latest)")
    public static let commitLingerMs = Setting(
        "database.commit_linger_ms", 1000, 0...10_000, "ms",
        "how long entries nobody waits for may wait to share a commit (SD card wear); 0: commit each at once")

    // [http]
    public static let httpHost = Setting(
        "http.host", "127.0.0.1", "0.0.0.0 to serve the LAN (the entrance screen, staff laptops)")
    public static let httpPort = Setting("http.port", 8080, 1...65535, "")
    public static let secureCookies = Setting(
        "http.secure_cookies", false, "true when a TLS reverse proxy serves the staff dashboard")
    public static let publicURL = Setting<String>(
        "http.public_url", nil, sample: .commented("https://cantine.example.org"),
        "where phones and other tools reach this daemon (the program's links, SpaceAPI's calendar); default http://<hostname>.local:<port>"
    )

    // [mqtt]
    public static let mqttEnabled = Setting("mqtt.enabled", true)
    public static let mqttHost = Setting("mqtt.host", "127.0.0.1")
    public static let mqttPort = Setting("mqtt.port", 1883, 1...65535, "")
    public static let clientID = Setting<String>(
        "mqtt.client_id", nil, sample: .example("cantine-paris"), "unique per broker; default: cantine-<site id>")
    public static let username = Setting<String>("mqtt.username", nil, sample: .commented("cantine"))
    public static let password = Setting<String>(
        "mqtt.password", nil, sample: .commented("${CANTINE_MQTT_PASSWORD}"))
    public static let keepalive = Setting("mqtt.keepalive_s", 30, 5...3600, "seconds")
    public static let caFile = Setting<String>(
        "mqtt.ca_file", nil, sample: .commented("/etc/cantine/ca.pem"), "enables TLS")
    public static let certFile = Setting<String>("mqtt.cert_file", nil, sample: .commented("/etc/cantine/client.pem"))
    public static let keyFile = Setting<String>("mqtt.key_file", nil, sample: .commented("/etc/cantine/client.key"))
    public static let persistentSession = Setting(
        "mqtt.persistent_session", true, "the broker keeps reports for us while we restart")
    public static let discovery = Setting("mqtt.discovery", true, "Home Assistant MQTT discovery (read-only entities)")
    public static let discoveryPrefix = Setting("mqtt.discovery_prefix", "homeassistant")
    public static let namesInEvents = Setting(
        "mqtt.names_in_events", false, "true: access events carry the member's name (if they agreed)")
    public static let outboxMaxAge = Setting(
        "mqtt.outbox_max_age_h", 24.0, 0...720, "hours", "undelivered messages kept this long while the broker is away")
    public static let queueSize = Setting(
        "mqtt.queue_size", 8192, 16...1_000_000, "messages", "inbound messages waiting for the ingest thread")

    // [sensors]
    public static let occupiedAfter = Setting(
        "sensors.occupied_after_s", 5.0, 0...600, "seconds", "presence must hold this long (a passer-by does not count)"
    )
    public static let vacantAfter = Setting(
        "sensors.vacant_after_s", 120.0, 0...3600, "seconds",
        "absence must hold this long (a coffee break keeps the desk)")
    public static let silentAfter = Setting(
        "sensors.silent_after_s", 180.0, 10...86_400, "seconds", "a node silent this long makes its desk unknown")
    public static let maxReportAge = Setting(
        "sensors.max_report_age_s", 120.0, 1...86_400, "seconds",
        "reports older than this when they arrive are ignored")
    public static let presenceHours = Setting(
        "sensors.presence_hours", 14.0, 1...48, "hours", "a badge-in stops counting after this (nobody badges out)")
    public static let maxReportsPerSecond = Setting(
        "sensors.max_reports_per_s", 2.0, 0...10_000, "reports per second",
        "per desk, on average (0: no limit); more is flooding and is dropped")
    public static let burst = Setting("sensors.burst", 20, 1...10_000, "reports")

    // [reconcile]
    public static let dayCheckIn = Setting(
        "reconcile.check_in_day", "11:00", "a day's desk booking not checked in (badge or sensor) by then is released")
    public static let morningCheckIn = Setting("reconcile.check_in_morning", "10:00", "a morning's (08:00-13:00)")
    public static let afternoonCheckIn = Setting(
        "reconcile.check_in_afternoon", "15:00", "an afternoon's (13:00-20:00)")
    public static let multiDayCheckIn = Setting(
        "reconcile.check_in_multi_day", "11:00", "each day of a multi-day booking (that day only is released)")
    public static let roomCheckIn = Setting(
        "reconcile.room_check_in_min", 15, 5...120, "minutes",
        "a room slot whose sensor says empty, its booker not inside, this long after its start")
    public static let noShowGrace = Setting(
        "reconcile.no_show_grace_min", 30, 5...240, "minutes",
        "any other booking (imported at its own times) this long after its start")
    public static let flappingChanges = Setting(
        "reconcile.flapping_changes", 6, 3...100, "changes", "this many occupancy changes …")
    public static let flappingWindow = Setting(
        "reconcile.flapping_window_min", 10, 1...120, "minutes", "… within this many minutes: the sensor is flapping")
    public static let overstayGrace = Setting(
        "reconcile.overstay_grace_min", 10, 0...120, "minutes",
        "a room with a sensor still occupied this long after its booking")

    // [display]
    public static let welcome = Setting(
        "display.welcome", true, "the entrance screen greets members by first name on badge-in")
    public static let cec = Setting(
        "display.cec", false,
        "this Pi drives the entrance TV: standby over HDMI-CEC (cec-ctl) when the space is closed")
    public static let cecDevice = Setting("display.cec_device", "/dev/cec0", "the CEC adapter cec-ctl talks through")
    public static let cecMargin = Setting(
        "display.cec_margin_min", 15, 0...240, "minutes",
        "the TV wakes this long before opening, sleeps this long after")
    public static let lateStart = Setting(
        "display.late_start_min", 10, 0...60, "minutes", "a session stays \"just started: come in\" this long")

    // [retention] (docs/privacy.md)
    public static let accessLogDays = Setting(
        "retention.access_log_days", 90, 1...36_500, "days", "who badged where and when (CNIL: a few months)")
    public static let journalDays = Setting(
        "retention.journal_days", 30, 1...36_500, "days",
        "per-event detail, then compacted and counted per desk and day")
    public static let bookingsDays = Setting(
        "retention.bookings_days", 3_653, 1...36_500, "days",
        "booking records after their end (accounting: ten years)")

    // [spaceapi]: none of it by default (no SpaceAPI).
    public static let spaceURL = Setting<String>(
        "spaceapi.url", nil, sample: .commented("https://lacantine.example"))
    public static let spaceLogo = Setting<String>(
        "spaceapi.logo", nil, sample: .commented("https://lacantine.example/logo.png"))
    public static let spaceAddress = Setting<String>(
        "spaceapi.address", nil, sample: .commented("151 rue Montmartre, 75002 Paris, France"))
    public static let spaceLat = Setting<Double>("spaceapi.lat", nil, -90...90, "degrees", sample: .commented(48.8698))
    public static let spaceLon = Setting<Double>("spaceapi.lon", nil, -180...180, "degrees", sample: .commented(2.3431))
    public static let spaceEmail = Setting<String>(
        "spaceapi.email", nil, sample: .commented("bonjour@lacantine.example"))
    public static let spacePhone = Setting<String>("spaceapi.phone", nil, sample: .commented("+33 1 23 45 67 89"))
    public static let calendarURL = Setting<String>(
        "spaceapi.calendar_url", nil, sample: .commented("https://lacantine.example/program.ics"),
        "feeds.calendar; default: this daemon's <http.public_url>/program/program.ics")

    // [program]
    public static let slots = Setting<[String]>(
        "program.slots", [],
        sample: .example(["09:30-10:15", "10:30-11:15", "11:30-12:15", "14:00-14:45", "15:00-15:45", "16:00-16:45"]),
        "the barcamp grid: `cantine sessions add --slot 2 --room salle-1 \"Title\"`")

    // [gpio]
    public static let gpioMode = Setting("gpio.mode", "real", "\"real\" (libgpiod) or \"simulated\" (no hardware)")
    public static let chip = Setting<String>(
        "gpio.chip", nil, sample: .commented("pinctrl-bcm2711"),
        "the lines' chip, by label; default: the 40-pin header's,\nfound by its label on any Pi (`gpiodetect` lists chips)"
    )
    public static let frameEnd = Setting(
        "gpio.frame_end", "adaptive",
        "\"adaptive\": a Wiegand frame ends after 3× its longest bit interval\n(5–60 ms); \"fixed\": after gap_timeout_ms"
    )
    public static let gapTimeout = Setting(
        "gpio.gap_timeout_ms", 25, 5...250, "milliseconds", sample: .commentedValue,
        "with frame_end = \"fixed\" (implied when set): the silence that ends a frame")
    public static let deskSettle = Setting(
        "gpio.desk_settle_ms", 50, 0...5_000, "milliseconds", "a wired desk sensor's level must hold this long (bounce)"
    )
    public static let pinout = Setting<String>(
        "gpio.pinout", nil, sample: .commented("pinout.toml"),
        "every door's and wired desk's lines from a pinout file\n(docs/wiring.md), relative to this file")

    // [access]
    public static let publicHours = Setting(
        "access.public_hours", "mon-fri 08:00-20:00", "staffed hours; outside them pin_after_hours applies")
    public static let pinAfterHours = Setting(
        "access.pin_after_hours", false, "true: after hours, badge then PIN + # on the reader's keypad")
    public static let pinTimeout = Setting("access.pin_timeout_s", 20.0, 3...120, "seconds")
    public static let bookingMargin = Setting(
        "access.booking_margin_min", 15, 0...240, "minutes", "a booking opens the door this long before and after it")
    public static let deniedAlarmCount = Setting(
        "access.denied_alarm_count", 5, 2...100, "denied badges", "this many denied badges at one reader …")
    public static let deniedAlarmWindow = Setting(
        "access.denied_alarm_window_s", 60.0, 5...3600, "seconds", "… within this window raise an alarm")
    public static let remoteUnlockMaxAge = Setting(
        "access.remote_unlock_max_age_s", 30.0, 1...300, "seconds", "a remote unlock request older than this is refused"
    )

    // [access.hours]: when each plan opens the doors (within its own window).
    public static let planHours: [PlanKind: Setting<String>] = Dictionary(
        uniqueKeysWithValues: PlanKind.allCases.map { kind in
            let always = kind == .residentMonthly || kind == .staff
            return (kind, Setting("access.hours.\(kind.rawValue)", always ? "always" : "mon-sun 08:00-20:00"))
        })

    // [network] (docs/network.md): none by default (a lone site).
    public static let networkEnabled = Setting("network.enabled", true, sample: .commentedValue)
    public static let networkKeyFile = Setting<String>(
        "network.key_file", nil, sample: .commented("/etc/cantine/site.key"), "`cantine network keygen` writes it")
    public static let credentialSecret = Setting<String>(
        "network.credential_secret", nil, sample: .commented("${CANTINE_NETWORK_SECRET}"),
        "the same at every site (`openssl rand -hex 32`)")
    public static let visitorTTL = Setting(
        "network.visitor_ttl_hours", 24.0, 1...720, "hours", sample: .commentedValue,
        "other sites honour our members this long without hearing from us")
    public static let staleAfter = Setting(
        "network.stale_after_s", 180.0, 10...86_400, "seconds", sample: .commentedValue,
        "a site not heard for this long is shown stale")
    public static let summaryEvery = Setting(
        "network.summary_every_s", 60.0, 1...3600, "seconds", sample: .commentedValue)
    public static let publishMembers = Setting(
        "network.publish_members", true, sample: .commentedValue, "our members may badge in at other sites")
    public static let hub = Setting<String>("network.hub", nil, sample: .commented("hub.example:8883"))
    public static let hubCAFile = Setting<String>(
        "network.hub_ca_file", nil, sample: .commented("/etc/cantine/hub-ca.pem"))

    // [[zones]], [[doors]], [[desks]], [[rooms]]: the sample's entries are written out whole.
    public static let direction = Setting("doors.direction", "entry", sample: .none)
    public static let pulse = Setting(
        "doors.pulse_s", Door.defaultPulse.seconds, 0.1...Door.maxPulse.seconds, "seconds", sample: .none)
    public static let heldOpen = Setting(
        "doors.held_open_s", Door.defaultHeldOpen.seconds, 1...3600, "seconds", sample: .none)
    public static let relockOnClose = Setting("doors.relock_on_close", false, sample: .none)
    public static let failSecure = Setting("doors.fail_secure", true, sample: .none)
    public static let contactActiveLow = Setting("doors.contact_active_low", true, sample: .none)
    public static let exitButtonActiveLow = Setting("doors.exit_button_active_low", true, sample: .none)
    public static let gpioActiveLow = Setting("desks.gpio_active_low", false, sample: .none)
    public static let roomCapacity = Setting("rooms.capacity", 8, 1...100_000, "people", sample: .none)
    public static let slotMinutes = Setting<Int>("rooms.slot_min", nil, 15...480, "minutes", sample: .none)

    /// Every setting, in the sample's order.
    public static let all: [any AnySetting] =
        [
            siteID, siteName, timeZone, locale, capacity, databasePath, snapshotEvery, commitLingerMs, httpHost,
            httpPort,
            secureCookies, publicURL, mqttEnabled, mqttHost, mqttPort, clientID, username, password, keepalive, caFile,
            certFile,
            keyFile, persistentSession, discovery, discoveryPrefix, namesInEvents, outboxMaxAge, queueSize,
            occupiedAfter, vacantAfter, silentAfter, maxReportAge, presenceHours, maxReportsPerSecond, burst,
            dayCheckIn, morningCheckIn, afternoonCheckIn, multiDayCheckIn, roomCheckIn, noShowGrace, flappingChanges,
            flappingWindow, overstayGrace, welcome, lateStart, cec, cecDevice, cecMargin, accessLogDays,
            journalDays, bookingsDays, spaceURL, spaceLogo, spaceAddress, spaceLat, spaceLon, spaceEmail, spacePhone,
            calendarURL, slots, gpioMode, chip, frameEnd, gapTimeout, deskSettle, pinout, publicHours, pinAfterHours,
            pinTimeout, bookingMargin, deniedAlarmCount, deniedAlarmWindow, remoteUnlockMaxAge,
        ] + PlanKind.allCases.compactMap { planHours[$0] }
        + [
            networkEnabled, networkKeyFile, credentialSecret, visitorTTL, staleAfter, summaryEvery, publishMembers,
            hub, hubCAFile, direction, pulse, heldOpen, relockOnClose, failSecure, contactActiveLow,
            exitButtonActiveLow, gpioActiveLow, roomCapacity, slotMinutes,
        ]
}
