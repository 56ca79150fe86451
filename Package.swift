// swift-tools-version:6.0
// Cantine: one daemon for a coworking space — doors, desk sensors, bookings, live occupancy.
import PackageDescription

let package = Package(
    name: "Cantine",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cantine", targets: ["cantine"]),
        .library(name: "CantineProtocol", targets: ["CantineProtocol"]),
        .library(name: "CantineCore", targets: ["CantineCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries from Debian / Raspberry Pi OS, linked for real.
        .systemLibrary(
            name: "CMosquitto", pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]),
        .systemLibrary(
            name: "CGPIOD", pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]),
        .systemLibrary(
            name: "CICal", pkgConfig: "libical",
            providers: [.apt(["libical-dev"])]),
        // glibc's heap statistics and SQLite's memory counter, for the soak bench.
        .systemLibrary(name: "CMemoryStats", providers: [.apt(["libsqlite3-dev"])]),
        // The kernel's view of the wall clock (adjtimex): is it synchronised to a time server?
        .systemLibrary(name: "CTimex"),

        // A power-cut and I/O-error VFS for SQLite (after SQLite's test6.c), for the power-cut
        // bench and its tests; the daemon never installs it.
        .target(name: "CSQLiteFaults", linkerSettings: [.linkedLibrary("sqlite3")]),

        // Pure wire-level logic shared with the firmware (Embedded-Swift compatible).
        .target(name: "CantineProtocol"),
        // The desk sensor node's logic (ESP-AT link, presence, provisioning), pure: built here for
        // host tests, and with Embedded Swift into the firmware images by Firmware/build.
        .target(name: "DeskNode", dependencies: ["CantineProtocol"], path: "Firmware/desk-node/Sources/DeskNode"),
        // Domain model, events, the reducer, access policy, ports.
        .target(name: "CantineCore", dependencies: ["CantineProtocol"]),
        // SQLite: migrations, journal, records.
        .target(
            name: "CantineStore",
            dependencies: [
                "CantineCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Edges: GPIO (libgpiod v1), MQTT (libmosquitto), calendars (libical), HTTP (Hummingbird).
        .target(
            name: "CantineGPIO",
            dependencies: [
                "CantineProtocol", "CantineCore", "CGPIOD", .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "CantineMQTT",
            dependencies: [
                "CantineProtocol", "CantineCore", "CantineStore", "CMosquitto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(name: "CantineImport", dependencies: ["CantineCore", "CICal"]),
        // The network of cantines: signed member records, summaries and visits over the site's
        // broker (mosquitto bridges carry them to the hub).
        .target(
            name: "CantineNetwork",
            dependencies: [
                "CantineCore", "CantineStore", "CantineMQTT",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "CantineWeb",
            dependencies: [
                "CantineCore", "CantineStore", "CantineSite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["Assets/display/fonts/OFL.txt"],
            resources: [
                .embedInCode("Assets/common.js"),
                .embedInCode("Assets/display/display.html"), .embedInCode("Assets/display/display.css"),
                .embedInCode("Assets/display/display.js"),
                .embedInCode("Assets/display/fonts/ComicNeue-Regular.woff2"),
                .embedInCode("Assets/display/fonts/ComicNeue-Bold.woff2"),
                .embedInCode("Assets/staff/staff.html"), .embedInCode("Assets/staff/staff.css"),
                .embedInCode("Assets/staff/staff.js"),
                .embedInCode("Assets/login/login.html"), .embedInCode("Assets/login/login.css"),
                .embedInCode("Assets/program/program.css"),
            ]),
        // The configuration: the TOML file and the pinout, their guard against what toml++
        // aborts on, `${VAR}` substitution, validation, the commented sample.
        .target(
            name: "CantineConfig",
            dependencies: [
                "CantineProtocol", "CantineCore", .product(name: "TOMLKit", package: "TOMLKit"),
            ]),
        // The application layer: a site opened (store, journal, engine) and its use cases —
        // operations, imports, privacy, replay, its timers and inbox. The edges work through it.
        .target(
            name: "CantineSite",
            dependencies: [
                "CantineProtocol", "CantineCore", "CantineStore", "CantineImport", "CTimex",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Wiring: config → ServiceGroup; the only place that picks real vs simulated adapters.
        .target(
            name: "CantineDaemon",
            dependencies: [
                "CantineProtocol", "CantineCore", "CantineStore", "CantineConfig", "CantineSite", "CantineGPIO",
                "CantineMQTT", "CantineImport", "CantineWeb", "CantineNetwork", "CMemoryStats",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // `cantine demo`: a whole simulated site (doors, sensors, members, a day's program) on
        // the daemon, and the local mosquitto it (and the benches) start.
        .target(
            name: "CantineDemo",
            dependencies: [
                "CantineProtocol", "CantineCore", "CantineStore", "CantineConfig", "CantineSite", "CantineGPIO",
                "CantineMQTT", "CantineDaemon",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // `cantine bench`: the seven benches whose figures docs/benchmarks.md records.
        .target(
            name: "CantineBench",
            dependencies: [
                "CantineProtocol", "CantineCore", "CantineStore", "CantineConfig", "CantineSite", "CantineGPIO",
                "CantineMQTT", "CantineNetwork", "CantineWeb", "CantineDaemon", "CantineDemo", "CMemoryStats",
                "CSQLiteFaults",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .executableTarget(
            name: "cantine",
            dependencies: [
                "CantineDaemon", "CantineDemo", "CantineBench", "CantineConfig", "CantineSite", "CantineCore",
                "CantineProtocol", "CantineStore", "CantineGPIO", "CantineImport", "CantineWeb", "CantineNetwork",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Fuzz targets, one per external input, and `cantine-fuzz`: libFuzzer when built by
        // scripts/fuzz (-sanitize=fuzzer -DFUZZING), a corpus replayer otherwise.
        .target(
            name: "CantineFuzz",
            dependencies: [
                "CantineProtocol", "CantineCore", "CantineConfig", "CantineSite", "CantineDaemon", "CantineImport",
                "CantineWeb", "DeskNode", "CantineNetwork",
            ]
        ),
        .target(name: "CLibFuzzer"),
        .executableTarget(name: "cantine-fuzz", dependencies: ["CantineFuzz", "CLibFuzzer"]),

        .testTarget(name: "CantineProtocolTests", dependencies: ["CantineProtocol"]),
        .testTarget(name: "DeskNodeTests", dependencies: ["DeskNode", "CantineProtocol"]),
        .testTarget(name: "CantineCoreTests", dependencies: ["CantineCore"]),
        .testTarget(name: "CantineStoreTests", dependencies: ["CantineStore"]),
        .testTarget(name: "CantineImportTests", dependencies: ["CantineImport"]),
        .testTarget(
            name: "CantineWebTests",
            dependencies: [
                "CantineWeb", "CantineSite", "CantineStore", "CantineCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .testTarget(name: "CantineGPIOTests", dependencies: ["CantineGPIO", "CantineProtocol", "CantineCore"]),
        .testTarget(
            name: "CantineDaemonTests",
            dependencies: [
                "CantineConfig", "CantineSite", "CantineDaemon", "CantineDemo", "CantineBench", "cantine",
                "CantineFuzz", "CSQLiteFaults",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
