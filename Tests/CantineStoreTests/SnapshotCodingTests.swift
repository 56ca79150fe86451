// The snapshot's binary form: a state built from every kind of event comes back equal (and
// with the same digest), every primitive at its edges survives, JSON snapshots written before
// are still read, and damaged bytes are an error that falls back to an older snapshot, never
// a crash.

import CantineCore
import Foundation
import Testing

@testable import CantineStore

@Suite struct SnapshotCodingTests {
    /// The state every sample event leaves (members, plans, badges, bookings, sessions, doors,
    /// desks, rooms, nodes, findings, the network).
    static func richState() -> State {
        var state = State()
        // The member the samples erase comes back, with her plan and badge.
        let kinds = EventKind.allCases + [.memberRegistered, .planGranted, .credentialEnrolled]
        for (n, kind) in kinds.enumerated() {
            _ = Reducer.apply(&state, EventCodecTests.sample(kind), now: EventCodecTests.t0 + .seconds(Int64(n)))
        }
        return state
    }

    @Test func aStateFromEveryKindOfEventComesBackEqual() throws {
        let state = Self.richState()
        #expect(state.layout != nil && state.network != nil, "the samples reach the state")
        #expect(state.members["ada"]?.plans.isEmpty == false && !state.credentials.isEmpty)
        let data = try SnapshotCoding.encode(state)
        #expect(data.starts(with: Array("CSB1".utf8)))
        let back = try SnapshotCoding.decode(State.self, from: data)
        #expect(back == state)
        #expect(StateDigest.of(back) == StateDigest.of(state))
        #expect(data.count < (try JSONEncoder().encode(state)).count)
    }

    struct Edges: Codable, Equatable {
        enum Kind: Codable, Equatable {
            case none
            case one(Int8)
            case two(a: String, b: [UInt16]?)
        }
        var ints: [Int64] = [.min, -1, 0, 1, .max]
        var uints: [UInt64] = [0, 127, 128, .max]
        var small: [Int8] = [.min, .max]
        var int32: Int32 = .min
        var uint8: UInt8 = .max
        var int: Int = .min
        var uint: UInt = .max
        var doubles: [Double] = [-0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1]
        var float: Float = -1.5
        var strings: [String] = ["", "é", "🚪 porte", "a\u{0}b", String(repeating: "x", count: 300)]
        var optional: String? = nil
        var present: String? = "là"
        var nils: [Int?] = [nil, 3, nil]
        var nested: [[String: [Bool]]] = [["a": [true, false]], [:]]
        var members: [MemberID: Int] = ["ada": 1, "bob": 2]
        var kinds: [Kind] = [.none, .one(-3), .two(a: "x", b: nil), .two(a: "", b: [1, 65_535])]
        var empty: [String] = []
    }

    /// Fields decoded on another thread come back the same; one whose closure fails or gives
    /// another type is decoded in line.
    @Test func fieldsDecodedAlongsideComeBackEqualAndAWrongOneIsDecodedInLine() throws {
        struct Refused: Error {}
        let state = Self.richState()
        let data = try SnapshotCoding.encode(state)
        let ways: [[String: @Sendable (any Decoder) throws -> Any]] = [
            Store.stateAlongside,
            [
                "members": { try [MemberID: Member](from: $0) },
                "credentials": { try [CredentialToken: Credential](from: $0) },
            ],
            ["members": { _ in throw Refused() }],
            ["members": { _ in 42 }],
            ["no-such-field": { _ in 42 }],
        ]
        for alongside in ways {
            #expect(try SnapshotCoding.decode(State.self, from: data, alongside: alongside) == state)
        }
        // A field that is not a dictionary is an error, never an empty one.
        struct Other: Codable {
            var members = ["ada"]
            var credentials: [String: String] = [:]
            var credentialTokens: [String: String] = [:]
            var bookings: [String: String] = [:]
            var sessions: [String: String] = [:]
            var doors: [String: String] = [:]
            var desks: [String: String] = [:]
            var present: [String: String] = [:]
            var counters = Counters()
        }
        #expect(throws: DecodingError.self) {
            try SnapshotCoding.decode(
                State.self, from: SnapshotCoding.encode(Other()), alongside: Store.stateAlongside)
        }
    }

    @Test func everyPrimitiveAtItsEdgesComesBackEqual() throws {
        let value = Edges()
        let back = try SnapshotCoding.decode(Edges.self, from: SnapshotCoding.encode(value))
        #expect(back.doubles[0].sign == .minus)
        #expect(back == value)
        #expect(
            try SnapshotCoding.decode([Edges].self, from: SnapshotCoding.encode([value, value])) == [value, value])
    }

    /// A value written through `superEncoder` (keyed, unkeyed or single) reads back through
    /// `superDecoder`.
    @Test func superEncodersComeBackEqual() throws {
        struct Wrapped: Codable, Equatable {
            var base: String
            var tags: [Int]
            var edges: Edges
            enum CodingKeys: String, CodingKey { case base, tags }
            init(base: String, tags: [Int], edges: Edges) {
                (self.base, self.tags, self.edges) = (base, tags, edges)
            }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try base.encode(to: c.superEncoder(forKey: .base))
                try edges.encode(to: c.superEncoder())
                var list = c.nestedUnkeyedContainer(forKey: .tags)
                try tags.encode(to: list.superEncoder())
            }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                base = try String(from: c.superDecoder(forKey: .base))
                edges = try Edges(from: c.superDecoder())
                var list = try c.nestedUnkeyedContainer(forKey: .tags)
                tags = try [Int](from: list.superDecoder())
            }
        }
        let value = Wrapped(base: "x", tags: [1, -2], edges: Edges())
        #expect(try SnapshotCoding.decode(Wrapped.self, from: SnapshotCoding.encode(value)) == value)
    }

    /// As JSON reads them: an integer where a Double is now expected.
    @Test func anIntegerReadsAsADouble() throws {
        #expect(try SnapshotCoding.decode([Double].self, from: SnapshotCoding.encode([Int64(-3), 7])) == [-3, 7])
        #expect(try SnapshotCoding.decode([Float].self, from: SnapshotCoding.encode([UInt8(2)])) == [2])
    }

    @Test func aValueThatDoesNotFitItsTypeIsAnErrorNotATruncation() throws {
        let data = try SnapshotCoding.encode(["n": Int64(300)])
        #expect(throws: DecodingError.self) { try SnapshotCoding.decode([String: UInt8].self, from: data) }
        #expect(throws: DecodingError.self) { try SnapshotCoding.decode([String: String].self, from: data) }
    }

    @Test func aJSONSnapshotWrittenBeforeIsStillRead() throws {
        let state = Self.richState()
        let json = try JSONEncoder().encode(state)
        #expect(try SnapshotCoding.decode(State.self, from: json) == state)
    }

    /// Every cut and thousands of flipped bytes: an error or a value, never a crash.
    @Test func damagedBytesAreAnErrorNeverACrash() throws {
        let data = [UInt8](try SnapshotCoding.encode(Self.richState()))
        for n in stride(from: 0, to: data.count, by: max(1, data.count / 500)) {
            #expect(throws: (any Error).self) { try SnapshotCoding.decode(State.self, from: Data(data[..<n])) }
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            var bad = data
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bad[Int.random(in: 4..<bad.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = try? SnapshotCoding.decode(State.self, from: Data(bad))
        }
        // Nested past any sensible depth.
        var deep: [UInt8] = Array("CSB1".utf8) + [0]
        for _ in 0..<10_000 { deep += [9, 0, 0, 0, 0, 1] }
        #expect(throws: DecodingError.self) { try SnapshotCoding.decode([Int].self, from: Data(deep)) }
    }

    /// A snapshot whose bytes were damaged is skipped for the one before it.
    @Test func aDamagedNewestSnapshotFallsBackToTheOneBefore() throws {
        let dir = TempDir()
        let store = try Store(path: dir.db, mode: .create)
        let older = Self.richState()
        var newer = older
        newer.counters.granted += 1
        try store.saveSnapshot(seq: 10, site: "paris", taken: Instant(seconds: 1), digest: "d10", state: older)
        try store.saveSnapshot(seq: 20, site: "paris", taken: Instant(seconds: 2), digest: "d20", state: newer)
        try store.pool.write { db in
            try db.execute(sql: "UPDATE snapshots SET state = substr(state, 1, length(state) / 2) WHERE seq = 20")
        }
        let start = try #require(try store.replayStart(site: "paris", useSnapshot: true))
        #expect(start.seq == 10 && start.state == older)
    }
}
