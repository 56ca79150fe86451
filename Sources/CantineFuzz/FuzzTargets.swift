// The fuzz targets: one per external input of Cantine. Each takes arbitrary bytes, feeds them
// to the parser the daemon (or the node) uses on that input, and checks what must hold
// whatever the bytes: no crash, errors of one line, round trips that agree, a parser that
// never wedges. A broken property throws `FuzzFailure`; `cantine-fuzz` turns it into a crash
// for libFuzzer, the corpus tests into a failed expectation.

import CantineConfig
import CantineCore
import CantineDaemon
import CantineImport
@_spi(Fuzzing) import CantineNetwork
import CantineProtocol
@_spi(Fuzzing) import CantineWeb
import DeskNode
import Foundation

/// A property that did not hold for some input.
public struct FuzzFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What a target made of one input.
public enum FuzzOutcome: Sendable, Equatable {
    /// The input was taken in (a report decoded, a config loaded...).
    case accepted
    /// The input was refused with a clear error.
    case refused
}

/// The fuzz targets, by the name `cantine-fuzz` and the corpus folders use.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Falling edges on D0/D1 with their timing → frames → cards, keys and PINs.
    case wiegand
    /// A desk node's MQTT report payload (the JSON of docs/mqtt.md).
    case report
    /// The LD2410 radar's UART bytes, on the node.
    case ld2410
    /// An .ics calendar imported with `cantine bookings import` or a feed.
    case ics
    /// A frab/pretalx schedule.json imported as the day's program.
    case schedule
    /// The daemon's TOML config.
    case config
    /// Hardware/pinout.toml and `cantine hardware check`.
    case pinout
    /// The dashboard's form bodies (URL-encoded or JSON) and their field checks.
    case form
    /// The node's provisioning block, read from flash at boot.
    case provisioning
    /// A message from another site of the network (signed envelope, record, summary, visit).
    case network

    /// Runs one input.
    public func run(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        switch self {
        case .wiegand: try Self.wiegand(bytes)
        case .report: try Self.report(bytes)
        case .ld2410: try Self.ld2410(bytes)
        case .ics: try Self.ics(bytes)
        case .schedule: try Self.schedule(bytes)
        case .config: try Self.config(bytes)
        case .pinout: try Self.pinout(bytes)
        case .form: try Self.form(bytes)
        case .provisioning: try Self.provisioning(bytes)
        case .network: try Self.network(bytes)
        }
    }

    /// Runs one input held in an array.
    public func run(_ bytes: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        do {
            return try bytes.withUnsafeBytes { raw in try run(raw) }
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            throw FuzzFailure("unexpected error \(error)")
        }
    }
}

extension FuzzTarget {
    /// Each byte is an edge: bit 0 the line, bits 1–7 the time since the previous edge (a
    /// shifted scale from 0 to past the 25 ms gap), so bursts, gaps and jitter all occur.
    static func wiegand(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        var decoder = WiegandDecoder()
        var pin = PINEntry()
        var now: UInt64 = 1_000_000_000
        var outcome = FuzzOutcome.refused
        func take(_ burst: WiegandBurst?) throws(FuzzFailure) {
            guard case .frame(let frame, _) = burst else { return }
            guard frame.count >= WiegandDecoder.minimumBits else { throw FuzzFailure("a frame of \(frame.count) bits") }
            switch WiegandInput.classify(frame) {
            case .card(let read):
                outcome = .accepted
                // A card read is exactly the frame its reader would send.
                guard let again = try? Wiegand.encode(read), again == frame else {
                    throw FuzzFailure("card \(read) does not encode back to its frame")
                }
            case .key(let key):
                if let entered = pin.press(key, atNanos: now) {
                    guard (1...PINEntry.maxDigits).contains(entered.digits) else {
                        throw FuzzFailure("a PIN of \(entered.digits) digits")
                    }
                    outcome = .accepted
                }
            case .invalid: break
            }
        }
        for byte in bytes {
            let step = UInt64(byte >> 1)
            now &+= (step * step) << 12  // 0 to ~66 ms
            try take(decoder.poll(nowNanos: now))
            try take(decoder.edge(byte & 1 == 1 ? .d1 : .d0, atNanos: now))
        }
        try take(decoder.poll(nowNanos: now &+ decoder.end.longestSilence))
        guard !decoder.isReceiving else { throw FuzzFailure("a frame still pending after the gap") }
        return outcome
    }

    static func report(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        let report: SensorReport
        do {
            report = try SensorReport.decode(bytes)
        } catch {
            try oneLine(error.message, "report error")
            return .refused
        }
        // What the daemon accepts, the node's encoder writes back identically.
        let again = report.encoded()
        guard again.utf8.count <= SensorReport.maxBytes, (try? SensorReport.decode(Array(again.utf8))) == report else {
            throw FuzzFailure("report \(report) does not survive encode → decode (\(again))")
        }
        return .accepted
    }

    /// Arbitrary bytes, then a good frame three times: whatever came before, the parser is back
    /// in step within them (a corrupt header can hold up to its 58-byte buffer, two frames'
    /// worth, before it is judged; nothing after a judged frame is dropped).
    static func ld2410(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        var parser = LD2410Parser()
        var outcome = FuzzOutcome.refused
        for byte in bytes {
            guard let frame = parser.feed(byte) else { continue }
            outcome = .accepted
            if case .target(let target) = frame, target.engineering == false, target.present,
                target.distanceCm == nil
            {
                throw FuzzFailure("a present target without a distance")
            }
        }
        let good = LD2410Probe.frame
        var seen = 0
        for _ in 0..<3 {
            for byte in good where parser.feed(byte) == LD2410Probe.expected { seen += 1 }
        }
        guard seen >= 2 else { throw FuzzFailure("the parser found \(seen) of three good frames after the input") }
        return outcome
    }

    static func ics(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        let text = String(decoding: bytes, as: UTF8.self)
        let day = Instant(micros: 1_795_219_200_000_000)  // 2026-11-21T00:00:00Z
        do {
            let events = try ICSReader.events(
                in: text, timeZone: "Europe/Paris", window: (day - .minutes(7 * 24 * 60), day + .minutes(7 * 24 * 60)))
            for e in events where e.end < e.start {
                throw FuzzFailure("event \(e.key) ends before it starts")
            }
            return .accepted
        } catch let error as ImportError {
            try oneLine(error.message, "ICS error")
            return .refused
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            throw FuzzFailure("unexpected error \(error)")
        }
    }

    static func schedule(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        do {
            let talks = try FrabSchedule.talks(in: Data(bytes))
            for t in talks where t.end < t.start { throw FuzzFailure("talk \(t.key) ends before it starts") }
            return .accepted
        } catch let error as ImportError {
            try oneLine(error.message, "schedule error")
            return .refused
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            throw FuzzFailure("unexpected error \(error)")
        }
    }

    static func config(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        let text = String(decoding: bytes, as: UTF8.self)
        // The safe boot reads the relays from the same text first, with its own reader.
        do {
            _ = try RelayPlan.parse(text, file: "fuzz.toml")
        } catch {
            try oneLine(error.message, "relay plan error")
            // Refused: safe boot then locks what it can still read, line by line.
            _ = RelayPlan.salvage(text, file: "fuzz.toml")
        }
        do {
            _ = try Config.parse(text, file: "fuzz.toml", environment: ["CANTINE_SECRET": "s3cret"])
            return .accepted
        } catch {
            try oneLine(error.message, "config error")
            return .refused
        }
    }

    static func pinout(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        let text = String(decoding: bytes, as: UTF8.self)
        let pinout: Pinout
        do {
            pinout = try Pinout.parse(text, file: "fuzz.toml")
        } catch {
            try oneLine(error.message, "pinout error")
            return .refused
        }
        for check in pinout.check() { if let failure = check.failure { try oneLine(failure, "pinout check") } }
        return .accepted
    }

    /// The first byte picks JSON or URL-encoded; every field then goes through each check the
    /// dashboard's actions use. Accepted when the body decodes (its fields may still be wrong).
    static func form(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        guard let first = bytes.first else { return .refused }
        let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
        var form: Form
        do {
            form = try Form.decode(text, json: first & 1 == 1)
        } catch {
            try oneLine("\(error)", "form error")
            return .refused
        }
        for name in form.values.keys.sorted() {
            _ = form.required(name, "the field", max: 120)
            _ = form.date(name)
            _ = form.time(name, "the time")
            _ = form.integer(name, "the number", in: 0...65535)
            _ = form.choice(name, WiegandFormat.self, "the card format")
        }
        for message in form.errors.values { try oneLine(message, "form field error") }
        return .accepted
    }

    /// The first byte set odd makes the harness append the right CRC line, so the fuzzer gets
    /// past the checksum to the settings.
    static func provisioning(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        var block = Array(bytes.dropFirst())
        if let first = bytes.first, first & 1 == 1 {
            let crc = block.withUnsafeBufferPointer { crc32($0, count: $0.count) }
            block += Array("crc=\(String(crc, radix: 16))\n".utf8)
        }
        return try block.withUnsafeBufferPointer { buffer throws(FuzzFailure) -> FuzzOutcome in
            do {
                let settings = try Provisioning(block: buffer)
                for field in [settings.site, settings.desk, settings.node, settings.brokerHost] {
                    guard field.start >= 0, field.start + field.count <= buffer.count else {
                        throw FuzzFailure("a field outside the block")
                    }
                }
                return .accepted
            } catch let failure as FuzzFailure {
                throw failure
            } catch {
                return .refused
            }
        }
    }

    /// Keys of a fuzzing network: Nantes, whose messages Paris reads.
    static let nantes = try! NetworkKeys(
        site: "nantes", privateKey: Data(repeating: 7, count: 32).base64EncodedString(), peers: [:])
    static let parisReads = try! NetworkKeys(
        site: "paris", privateKey: Data(repeating: 9, count: 32).base64EncodedString(),
        peers: ["nantes": nantes.publicKey])

    /// The first byte picks the kind (low two bits) and whether the rest is a whole payload as
    /// it came off the broker (bit 2 clear: envelope parsing and the signature check) or a body
    /// that Nantes signs first (bit 2 set: past the signature, to the body's decoding and the
    /// record's limits). A refusal is one line; what is taken in survives seal → open unchanged.
    static func network(_ bytes: UnsafeRawBufferPointer) throws(FuzzFailure) -> FuzzOutcome {
        guard let first = bytes.first else { return .refused }
        let kind = [NetworkKind.member, .summary, .visit, .member][Int(first & 3)]
        let rest = Array(bytes.dropFirst())
        let payload = first & 4 == 0 ? rest : nantes.seal(kind, text: String(decoding: rest, as: UTF8.self))
        // What was taken in, re-checked after the do: a property broken is not a refusal.
        var check: () throws(FuzzFailure) -> Void = {}
        do throws(NetworkRejection) {
            switch kind {
            case .member:
                let record = try parisReads.open(payload, from: "nantes", kind: .member, as: RoamingRecord.self)
                if let problem = RecordLimits.check(record, from: "nantes", leaf: record.member.rawValue) {
                    throw problem
                }
                check = { () throws(FuzzFailure) in try same(record, kind) }
            case .summary:
                let summary = try parisReads.open(payload, from: "nantes", kind: .summary, as: SiteSummary.self)
                check = { () throws(FuzzFailure) in try same(summary, kind) }
            case .visit:
                let visit = try parisReads.open(payload, from: "nantes", kind: .visit, as: VisitReport.self)
                check = { () throws(FuzzFailure) in try same(visit, kind) }
            }
        } catch {
            try oneLine(error.reason, "network refusal")
            return .refused
        }
        try check()
        return .accepted
    }

    static func same<Body: Codable & Equatable>(_ body: Body, _ kind: NetworkKind) throws(FuzzFailure) {
        let again = try? parisReads.open(nantes.seal(kind, body), from: "nantes", kind: kind, as: Body.self)
        guard again == body else { throw FuzzFailure("\(kind) \(body) does not survive seal → open") }
    }

    static func oneLine(_ message: String, _ what: String) throws(FuzzFailure) {
        guard !message.isEmpty, !message.unicodeScalars.contains(where: String.breaksLine) else {
            throw FuzzFailure("\(what) is not one line: \(message.debugDescription)")
        }
    }
}

/// The good LD2410 frame the ld2410 target ends every input with.
enum LD2410Probe {
    static let frame: [UInt8] = [
        0xF4, 0xF3, 0xF2, 0xF1, 0x0D, 0x00, 0x02, 0xAA, 0x02, 0x00, 0x00, 0x00, 0x78, 0x00, 0x28, 0x2C, 0x01, 0x55,
        0x00, 0xF8, 0xF7, 0xF6, 0xF5,
    ]
    static let expected = LD2410Frame.target(
        LD2410Target(state: .stationary, stationaryCm: 120, stationaryEnergy: 40, detectionCm: 300))
}
