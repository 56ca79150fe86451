// The desk report wire format and the occupancy hysteresis shared with the firmware.

import CantineProtocol
import Testing

@Suite struct SensorReportTests {
    @Test func roundTripsWithAndWithoutOptionalKeys() throws {
        let full = SensorReport(occupied: true, seq: 123, uptimeS: 4567, fw: "1.0.0", rssi: -61, distanceCm: 74)
        #expect(
            full.encoded() == #"{"occupied":true,"seq":123,"uptime_s":4567,"fw":"1.0.0","rssi":-61,"distance_cm":74}"#)
        #expect(try SensorReport.decode(Array(full.encoded().utf8)) == full)
        let bare = SensorReport(occupied: false, seq: 0, uptimeS: 0, fw: "2.1-rc1")
        #expect(try SensorReport.decode(Array(bare.encoded().utf8)) == bare)
    }

    @Test func acceptsAnyKeyOrderWhitespaceAndUnknownKeys() throws {
        let text =
            #" { "fw" : "1.0.0", "future" : {"a":[1,2.5,"x",null]}, "uptime_s":9 ,"seq":4294967295, "occupied":false } "#
        let report = try SensorReport.decode(Array(text.utf8))
        #expect(report == SensorReport(occupied: false, seq: 4_294_967_295, uptimeS: 9, fw: "1.0.0"))
    }

    @Test(arguments: [
        ("", "not_json"),
        ("occupied", "not_json"),
        (#"{"occupied":true,"seq":1,"uptime_s":2,"fw":"1"} trailing"#, "not_json"),
        (#"["occupied"]"#, "not_json"),
        (#"{"occupied":"yes","seq":1,"uptime_s":2,"fw":"1"}"#, "wrong_type"),
        (#"{"occupied":true,"seq":"1","uptime_s":2,"fw":"1"}"#, "wrong_type"),
        (#"{"occupied":true,"seq":1.5,"uptime_s":2,"fw":"1"}"#, "wrong_type"),
        (#"{"occupied":true,"seq":-1,"uptime_s":2,"fw":"1"}"#, "bad_value"),
        (#"{"occupied":true,"seq":4294967296,"uptime_s":2,"fw":"1"}"#, "bad_value"),
        (#"{"occupied":true,"seq":1,"uptime_s":2,"fw":"1","rssi":12}"#, "bad_value"),
        (#"{"occupied":true,"seq":1,"uptime_s":2,"fw":"<script>"}"#, "bad_value"),
        (#"{"occupied":true,"seq":1,"uptime_s":2,"fw":7}"#, "wrong_type"),
        (#"{"occupied":true,"seq":1,"uptime_s":2}"#, "missing_key"),
        (#"{"occupied":true,"occupied":false,"seq":1,"uptime_s":2,"fw":"1"}"#, "duplicate_key"),
        (#"{"a":[[[[[[[[[[1]]]]]]]]]],"occupied":true,"seq":1,"uptime_s":2,"fw":"1"}"#, "not_json"),
    ])
    func refusesBadPayloadsWithAReason(payload: String, reason: String) {
        #expect(throws: SensorReportError.self) { try SensorReport.decode(Array(payload.utf8)) }
        do {
            _ = try SensorReport.decode(Array(payload.utf8))
        } catch {
            #expect(error.reason == reason, "\(payload): \(error.message)")
        }
    }

    @Test func refusesOversizedPayloadsBeforeReadingThem() {
        let big =
            #"{"occupied":true,"seq":1,"uptime_s":2,"fw":"1","pad":""# + String(repeating: "x", count: 300) + #""}"#
        #expect(throws: SensorReportError.tooLarge(big.utf8.count)) { try SensorReport.decode(Array(big.utf8)) }
    }
}

@Suite struct OccupancyHysteresisTests {
    /// Runs a mutating step (the #expect macro cannot take one inline).
    func step(_ body: () -> Bool) -> Bool { body() }

    @Test func firstObservationIsTakenAtOnceThenChangesMustHold() {
        var h = OccupancyHysteresis(occupyAfter: 5, releaseAfter: 120)
        #expect(step { h.observe(true, at: 0) })
        #expect(h.stable == true)
        // Someone leaves for a coffee: still occupied until the absence has held 120.
        #expect(!step { h.observe(false, at: 10) })
        #expect(h.deadline == 130)
        #expect(!step { h.advance(to: 129) })
        #expect(!step { h.observe(true, at: 100) })  // back before the deadline: nothing changed
        #expect(h.deadline == nil)
        #expect(!step { h.observe(false, at: 200) })
        #expect(!step { h.observe(false, at: 250) })  // repeated absence keeps the original start
        #expect(step { h.advance(to: 320) })
        #expect(h.stable == false)
    }

    @Test func aPasserByDoesNotOccupyADesk() {
        var h = OccupancyHysteresis(occupyAfter: 5, releaseAfter: 120, stable: false)
        #expect(!step { h.observe(true, at: 0) })
        #expect(!step { h.observe(false, at: 3) })
        #expect(!step { h.advance(to: 10) })
        #expect(h.stable == false)
        #expect(!step { h.observe(true, at: 20) })
        #expect(step { h.observe(true, at: 25) })
        #expect(h.stable == true)
    }

    @Test func resetMakesItUnknown() {
        var h = OccupancyHysteresis(occupyAfter: 0, releaseAfter: 0, stable: true)
        h.reset()
        #expect(h.stable == nil && h.deadline == nil)
    }
}

@Suite struct ReportBytesTests {
    @Test func writtenBytesAreWhatTheDecoderReadsForAnyValues() throws {
        var rng = SplitMix(seed: 7)
        for i in 0..<2000 {
            let report = SensorReport(
                occupied: rng.next() % 2 == 0, seq: UInt32(truncatingIfNeeded: rng.next()),
                uptimeS: i == 0 ? UInt32.max : UInt32(truncatingIfNeeded: rng.next()),
                fw: ["1.0.0", "2.1-rc1+b_7", "x"][i % 3], rssi: i % 2 == 0 ? -Int32(rng.next() % 200) : nil,
                distanceCm: i % 3 == 0 ? UInt32(rng.next() % 100_001) : nil)
            var bytes: [UInt8] = []
            SensorReport.write(
                occupied: report.occupied, seq: report.seq, uptimeS: report.uptimeS, fw: report.fw.utf8,
                rssi: report.rssi, distanceCm: report.distanceCm, to: &bytes)
            #expect(try SensorReport.decode(bytes) == report)
            #expect(String(decoding: bytes, as: UTF8.self) == report.encoded())
        }
    }

    @Test func decimalsAndCountsWithoutStoring() {
        var out: [UInt8] = []
        out.put(decimal: UInt32(0))
        out.put(",")
        out.put(decimal: UInt32.max)
        out.put(",")
        out.put(decimal: Int32.min)
        #expect(String(decoding: out, as: UTF8.self) == "0,4294967295,-2147483648")
        var counter = ByteCounter()
        SensorReport.write(occupied: true, seq: 12, uptimeS: 3, fw: "1.0.0".utf8, to: &counter)
        #expect(counter.count == #"{"occupied":true,"seq":12,"uptime_s":3,"fw":"1.0.0"}"#.utf8.count)
    }
}

@Suite struct WrappingClockTests {
    func step(_ body: () -> Bool) -> Bool { body() }

    @Test func aMillisecondTickThatWrapsStillHolds() {
        var h = OccupancyHysteresis<UInt32>(occupyAfter: 5_000, releaseAfter: 120_000, stable: false)
        let start = UInt32.max - 1_000
        #expect(!step { h.observe(true, at: start) })
        #expect(h.remaining(at: start &+ 3_000) == 2_000)
        #expect(!step { h.advance(to: start &+ 4_999) })  // wrapped past zero, not yet due
        #expect(step { h.advance(to: start &+ 5_000) })
        #expect(h.stable == true)
        #expect(h.deadline == nil)
    }

    @Test func aSignedClockSteppedBackNeverFiresEarly() {
        var h = OccupancyHysteresis<Int64>(occupyAfter: 5, releaseAfter: 10, stable: true)
        #expect(!step { h.observe(false, at: 100) })
        #expect(!step { h.advance(to: 50) })
        #expect(step { h.advance(to: 110) })
    }
}
