// The snapshot's stored form: the state's own Codable written as tagged binary values, each
// field name stored once in a table, each container prefixed with its length. A start decodes
// it several times faster than the JSON snapshots were (a 100,000-member site's 33 MB took
// 1.8 s on its own), which is most of how long the doors wait after a power cut. Snapshots
// written as JSON before are still read; bad bytes are a decoding error, never a crash.
//
// Layout: "CSB1", the key table (varint count, then strings), then one value:
//   0 nil · 1 false · 2 true · 3 signed (zigzag varint) · 4 unsigned (varint) · 5 Double (8 bytes
//   LE) · 6 Float (4 bytes LE) · 7 string (varint length, UTF-8) · 8 keyed (UInt32 LE byte length,
//   varint count, then count × (key, value)) · 9 unkeyed (UInt32 LE byte length, varint count,
//   then values). A key is a varint: n > 0 is the table's entry n - 1, 0 an inline string.

import Foundation

/// Encodes and decodes snapshots in their binary form (and reads the JSON ones).
public enum SnapshotCoding {
    static let magic: [UInt8] = Array("CSB1".utf8)

    /// The binary form of `value`.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = BinaryEncoder()
        try value.encode(to: encoder)
        var writer = BinaryWriter()
        writer.write(encoder.result)
        return writer.finish()
    }

    /// Decodes `data` written by `encode`, or by `JSONEncoder` (snapshots written before).
    /// - Parameter alongside: top-level fields of a keyed value to decode on other threads
    ///   meanwhile, each by its closure (a large site's members take a quarter of a start);
    ///   a field whose closure fails or gives another type is decoded in line instead.
    public static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, alongside: [String: @Sendable (any Decoder) throws -> Any] = [:]
    ) throws -> T {
        guard data.starts(with: magic) else { return try JSONDecoder().decode(type, from: data) }
        return try data.withUnsafeBytes { raw in
            var reader = Cursor(bytes: raw, at: magic.count)
            let count = try reader.varint()
            // Each key takes a byte at least: a count past what is left is damage, not a size to reserve.
            guard count <= raw.count - reader.at else { throw reader.corrupt("key table of \(count) entries") }
            var table: [String] = []
            table.reserveCapacity(min(Int(count), 1024))
            for _ in 0..<count { table.append(try reader.string()) }
            let source = Source(bytes: raw, keys: table)
            let root = reader.at
            let end = try source.validate(root)
            guard end == raw.count else { throw reader.corrupt("\(raw.count - end) bytes after the value") }
            let early = try source.fields(of: root).compactMap { field in
                alongside[field.key].map { EarlyField(offset: field.at, decode: $0) }
            }
            if early.isEmpty { return try BinaryDecoder.decode(T.self, from: source, at: root) }
            for field in early { field.start(on: source) }
            defer { for field in early { field.done.wait() } }  // the bytes outlive every reader
            // Only the root's own container hands them out: a thread decoding one never waits on itself.
            return try T(from: BinaryDecoder(source, at: root, early: early))
        }
    }
}

extension SnapshotCoding {
    /// Decodes a dictionary keyed by ids (an object in JSON, a keyed container here) sized
    /// once, straight from the binary entries: for the `alongside` closures of large fields,
    /// where `Dictionary.init(from:)` spent a tenth of a start growing its table.
    public static func dictionary<Key: CodingKeyRepresentable & Hashable & Decodable, Value: Decodable>(
        of: Value.Type, keyedBy: Key.Type, from decoder: any Decoder
    ) throws -> [Key: Value] {
        guard let binary = decoder as? BinaryDecoder else { return try [Key: Value](from: decoder) }
        // Anything else (nil, a list) is an error, never an empty dictionary: a state without
        // its members would deny every badge.
        guard try binary.open().0 == 8 else { throw binary.mismatch([Key: Value].self, "a keyed container") }
        let fields = try binary.source.fields(of: binary.offset)
        var result = [Key: Value](minimumCapacity: fields.count)
        for field in fields {
            guard let key = Key(codingKey: AnyKey(field.key)) else {
                throw binary.mismatch(Key.self, "a \(Key.self) key, not \(field.key)")
            }
            result[key] = try BinaryDecoder.decode(Value.self, from: binary.source, at: field.at)
        }
        return result
    }
}

/// A key read from the bytes.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A field decoded on another thread while the rest of the value is.
final class EarlyField: @unchecked Sendable {  // `result` is written before `done` is left, read after
    let offset: Int
    let decode: @Sendable (any Decoder) throws -> Any
    let done = DispatchGroup()
    var result: Result<Any, any Error>?

    init(offset: Int, decode: @escaping @Sendable (any Decoder) throws -> Any) {
        self.offset = offset
        self.decode = decode
    }

    func start(on source: Source) {
        done.enter()
        // A thread of its own: the global queue started some of these only once others ended.
        Thread.detachNewThread {
            self.result = Result { try self.decode(BinaryDecoder(source, at: self.offset)) }
            self.done.leave()
        }
    }

    /// The value, once decoded, if it is a `T`.
    func value<T>(as: T.Type) -> T? {
        done.wait()
        return try? result?.get() as? T
    }
}

// MARK: - Encoding

/// A value as the encoder builds it (containers are boxes: Codable fills them after handing them out).
enum BinaryValue {
    case null, bool(Bool), signed(Int64), unsigned(UInt64), double(Double), float(Float), string(String)
    case keyed(KeyedBox), unkeyed(UnkeyedBox)
    /// What an encoder handed out by `superEncoder` holds once its value is encoded.
    case encoder(BinaryEncoder)
}

final class KeyedBox {
    var entries: [(key: String, value: BinaryValue)] = []
}

final class UnkeyedBox {
    var values: [BinaryValue] = []
}

/// Coding paths are not kept (a path per value costs an allocation each): errors name the
/// byte offset instead.
final class BinaryEncoder: Encoder {
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var result: BinaryValue = .null

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: KeyedBox
        if case .keyed(let existing) = result {
            box = existing
        } else {
            box = KeyedBox()
            result = .keyed(box)
        }
        return KeyedEncodingContainer(KeyedEncoding<Key>(box: box))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: UnkeyedBox
        if case .unkeyed(let existing) = result {
            box = existing
        } else {
            box = UnkeyedBox()
            result = .unkeyed(box)
        }
        return UnkeyedEncoding(box: box)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleEncoding(encoder: self) }

    /// `value` as a tree: primitives directly, anything else through its own `encode(to:)`.
    static func value<T: Encodable>(_ value: T) throws -> BinaryValue {
        if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if T.self == Int64.self { return .signed(unsafeBitCast(value, to: Int64.self)) }
        if T.self == Int.self { return .signed(Int64(unsafeBitCast(value, to: Int.self))) }
        if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        let encoder = BinaryEncoder()
        try value.encode(to: encoder)
        return encoder.result
    }
}

struct KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: KeyedBox
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { box.entries.append((key.stringValue, .null)) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { box.entries.append((key.stringValue, .bool(value))) }
    mutating func encode(_ value: String, forKey key: Key) throws {
        box.entries.append((key.stringValue, .string(value)))
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        box.entries.append((key.stringValue, .double(value)))
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        box.entries.append((key.stringValue, .float(value)))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws {
        box.entries.append((key.stringValue, .signed(Int64(value))))
    }
    mutating func encode(_ value: Int8, forKey key: Key) throws {
        box.entries.append((key.stringValue, .signed(Int64(value))))
    }
    mutating func encode(_ value: Int16, forKey key: Key) throws {
        box.entries.append((key.stringValue, .signed(Int64(value))))
    }
    mutating func encode(_ value: Int32, forKey key: Key) throws {
        box.entries.append((key.stringValue, .signed(Int64(value))))
    }
    mutating func encode(_ value: Int64, forKey key: Key) throws {
        box.entries.append((key.stringValue, .signed(value)))
    }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        box.entries.append((key.stringValue, .unsigned(UInt64(value))))
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        box.entries.append((key.stringValue, .unsigned(UInt64(value))))
    }
    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        box.entries.append((key.stringValue, .unsigned(UInt64(value))))
    }
    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        box.entries.append((key.stringValue, .unsigned(UInt64(value))))
    }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        box.entries.append((key.stringValue, .unsigned(value)))
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.entries.append((key.stringValue, try BinaryEncoder.value(value)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let nested = KeyedBox()
        box.entries.append((key.stringValue, .keyed(nested)))
        return KeyedEncodingContainer(KeyedEncoding<NestedKey>(box: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = UnkeyedBox()
        box.entries.append((key.stringValue, .unkeyed(nested)))
        return UnkeyedEncoding(box: nested)
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let encoder = BinaryEncoder()
        box.entries.append((name, .encoder(encoder)))
        return encoder
    }
}

struct UnkeyedEncoding: UnkeyedEncodingContainer {
    let box: UnkeyedBox
    var codingPath: [any CodingKey] { [] }
    var count: Int { box.values.count }

    mutating func encodeNil() throws { box.values.append(.null) }
    mutating func encode(_ value: Bool) throws { box.values.append(.bool(value)) }
    mutating func encode(_ value: String) throws { box.values.append(.string(value)) }
    mutating func encode(_ value: Double) throws { box.values.append(.double(value)) }
    mutating func encode(_ value: Float) throws { box.values.append(.float(value)) }
    mutating func encode(_ value: Int) throws { box.values.append(.signed(Int64(value))) }
    mutating func encode(_ value: Int8) throws { box.values.append(.signed(Int64(value))) }
    mutating func encode(_ value: Int16) throws { box.values.append(.signed(Int64(value))) }
    mutating func encode(_ value: Int32) throws { box.values.append(.signed(Int64(value))) }
    mutating func encode(_ value: Int64) throws { box.values.append(.signed(value)) }
    mutating func encode(_ value: UInt) throws { box.values.append(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { box.values.append(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { box.values.append(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { box.values.append(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { box.values.append(.unsigned(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        box.values.append(try BinaryEncoder.value(value))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let nested = KeyedBox()
        box.values.append(.keyed(nested))
        return KeyedEncodingContainer(KeyedEncoding<NestedKey>(box: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = UnkeyedBox()
        box.values.append(.unkeyed(nested))
        return UnkeyedEncoding(box: nested)
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = BinaryEncoder()
        box.values.append(.encoder(encoder))
        return encoder
    }
}

struct SingleEncoding: SingleValueEncodingContainer {
    let encoder: BinaryEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.result = .null }
    mutating func encode(_ value: Bool) throws { encoder.result = .bool(value) }
    mutating func encode(_ value: String) throws { encoder.result = .string(value) }
    mutating func encode(_ value: Double) throws { encoder.result = .double(value) }
    mutating func encode(_ value: Float) throws { encoder.result = .float(value) }
    mutating func encode(_ value: Int) throws { encoder.result = .signed(Int64(value)) }
    mutating func encode(_ value: Int8) throws { encoder.result = .signed(Int64(value)) }
    mutating func encode(_ value: Int16) throws { encoder.result = .signed(Int64(value)) }
    mutating func encode(_ value: Int32) throws { encoder.result = .signed(Int64(value)) }
    mutating func encode(_ value: Int64) throws { encoder.result = .signed(value) }
    mutating func encode(_ value: UInt) throws { encoder.result = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { encoder.result = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { encoder.result = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { encoder.result = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { encoder.result = .unsigned(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.result = try BinaryEncoder.value(value)
    }
}

/// Writes the tree: the keys used more than once go to the table.
struct BinaryWriter {
    var out: [UInt8] = []
    var table: [String: Int] = [:]

    mutating func write(_ root: BinaryValue) {
        var uses: [String: Int] = [:]
        Self.count(root, into: &uses)
        let shared = uses.filter { $0.value > 1 }.keys.sorted()
        for (n, key) in shared.enumerated() { table[key] = n + 1 }
        out = SnapshotCoding.magic
        varint(UInt64(shared.count))
        for key in shared { string(key) }
        value(root)
    }

    func finish() -> Data { Data(out) }

    static func count(_ value: BinaryValue, into uses: inout [String: Int]) {
        switch value {
        case .keyed(let box):
            for (key, v) in box.entries {
                uses[key, default: 0] += 1
                count(v, into: &uses)
            }
        case .unkeyed(let box): for v in box.values { count(v, into: &uses) }
        case .encoder(let encoder): count(encoder.result, into: &uses)
        default: break
        }
    }

    mutating func value(_ value: BinaryValue) {
        switch value {
        case .encoder(let encoder): self.value(encoder.result)
        case .null: out.append(0)
        case .bool(let b): out.append(b ? 2 : 1)
        case .signed(let n):
            out.append(3)
            varint(UInt64(bitPattern: (n << 1) ^ (n >> 63)))
        case .unsigned(let n):
            out.append(4)
            varint(n)
        case .double(let d):
            out.append(5)
            fixed(d.bitPattern.littleEndian)
        case .float(let f):
            out.append(6)
            fixed(f.bitPattern.littleEndian)
        case .string(let s):
            out.append(7)
            string(s)
        case .keyed(let box):
            out.append(8)
            let start = reserveLength()
            varint(UInt64(box.entries.count))
            for (key, v) in box.entries {
                if let n = table[key] {
                    varint(UInt64(n))
                } else {
                    varint(0)
                    string(key)
                }
                self.value(v)
            }
            patchLength(start)
        case .unkeyed(let box):
            out.append(9)
            let start = reserveLength()
            varint(UInt64(box.values.count))
            for v in box.values { self.value(v) }
            patchLength(start)
        }
    }

    mutating func varint(_ n: UInt64) {
        var n = n
        while n >= 0x80 {
            out.append(UInt8(n & 0x7f) | 0x80)
            n >>= 7
        }
        out.append(UInt8(n))
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            out.append(contentsOf: utf8)
        }
    }

    mutating func fixed<T: FixedWidthInteger>(_ n: T) {
        withUnsafeBytes(of: n) { out.append(contentsOf: $0) }
    }

    /// Room for a container's byte length (what follows it), filled in by `patchLength`.
    mutating func reserveLength() -> Int {
        out.append(contentsOf: [0, 0, 0, 0])
        return out.count
    }

    mutating func patchLength(_ start: Int) {
        let length = UInt32(out.count - start).littleEndian
        withUnsafeBytes(of: length) { for (i, b) in $0.enumerated() { out[start - 4 + i] = b } }
    }
}

// MARK: - Decoding

/// Reads values at an offset, every read checked against the end.
struct Cursor {
    let bytes: UnsafeRawBufferPointer
    var at: Int

    func corrupt(_ what: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "snapshot: \(what) at byte \(at)"))
    }

    mutating func byte() throws -> UInt8 {
        guard at < bytes.count else { throw corrupt("unexpected end") }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func varint() throws -> UInt64 {
        var n: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw corrupt("varint too long") }
            n |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return n }
            shift += 7
        }
    }

    mutating func count(_ what: String) throws -> Int {
        let n = try varint()
        guard n <= UInt64(bytes.count - at) else { throw corrupt("\(what) of \(n) past the end") }
        return Int(n)
    }

    mutating func string() throws -> String {
        let n = try count("string")
        defer { at += n }
        // Repairs bad UTF-8 rather than refusing it (the validating initialiser took an eighth of
        // a large decode); structure is what `Source.validate` checks.
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + n]), as: UTF8.self)
    }

    mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard bytes.count - at >= size else { throw corrupt("unexpected end") }
        defer { at += size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
    }

    /// A container's byte length; returns where it ends.
    mutating func length() throws -> Int {
        let n = Int(try fixed(UInt32.self))
        guard n <= bytes.count - at else { throw corrupt("container of \(n) bytes past the end") }
        return at + n
    }
}

/// The bytes and the key table a decode reads, unchanged once made: shared by the threads of
/// one decode (the bytes stay valid until every thread is done).
final class Source: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    let keys: [String]

    init(bytes: UnsafeRawBufferPointer, keys: [String]) {
        self.bytes = bytes
        self.keys = keys
    }

    /// Where the value at `offset` ends, every container checked to end where its length says
    /// and nested at most `depth` deep: once, before decoding trusts the lengths.
    func validate(_ offset: Int, depth: Int = 0) throws -> Int {
        var c = Cursor(bytes: bytes, at: offset)
        guard depth < 256 else { throw c.corrupt("containers nested too deep") }
        switch try c.byte() {
        case 8:
            let end = try c.length()
            let n = try c.count("keyed container")
            for _ in 0..<n {
                _ = try key(&c)
                c.at = try validate(c.at, depth: depth + 1)
            }
            guard c.at == end else { throw c.corrupt("keyed container length") }
            return end
        case 9:
            let end = try c.length()
            let n = try c.count("unkeyed container")
            for _ in 0..<n { c.at = try validate(c.at, depth: depth + 1) }
            guard c.at == end else { throw c.corrupt("unkeyed container length") }
            return end
        default:
            return try skip(offset)
        }
    }

    /// Where the value at `offset` ends (a container by its length).
    func skip(_ offset: Int) throws -> Int {
        var c = Cursor(bytes: bytes, at: offset)
        switch try c.byte() {
        case 0, 1, 2: break
        case 3, 4: _ = try c.varint()
        case 5: _ = try c.fixed(UInt64.self)
        case 6: _ = try c.fixed(UInt32.self)
        case 7: c.at += try c.count("string")
        case 8, 9: return try c.length()
        case let tag: throw c.corrupt("unknown tag \(tag)")
        }
        return c.at
    }

    /// The fields of the value at `offset` and where each starts (none unless it is keyed).
    func fields(of offset: Int) throws -> [(key: String, at: Int)] {
        var c = Cursor(bytes: bytes, at: offset)
        guard try c.byte() == 8 else { return [] }
        _ = try c.length()
        var fields: [(key: String, at: Int)] = []
        for _ in 0..<(try c.count("keyed container")) {
            fields.append((try key(&c), c.at))
            c.at = try skip(c.at)
        }
        return fields
    }

    func key(_ c: inout Cursor) throws -> String {
        let n = try c.varint()
        if n == 0 { return try c.string() }
        guard n <= UInt64(keys.count) else { throw c.corrupt("key \(n) not in the table") }
        return keys[Int(n - 1)]
    }
}

/// Decodes the value at `offset`. Coding paths are not kept (errors name the byte offset).
final class BinaryDecoder: Decoder {
    let source: Source
    let offset: Int
    /// Fields of this (root) value decoded on other threads.
    let early: [EarlyField]
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ source: Source, at offset: Int, early: [EarlyField] = []) {
        self.source = source
        self.offset = offset
        self.early = early
    }

    func mismatch(_ type: Any.Type, _ what: String) -> DecodingError {
        .typeMismatch(type, .init(codingPath: [], debugDescription: "snapshot: expected \(what) at byte \(offset)"))
    }

    /// The value's tag and a cursor after it.
    func open() throws -> (UInt8, Cursor) {
        var c = Cursor(bytes: source.bytes, at: offset)
        return (try c.byte(), c)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        var (tag, c) = try open()
        guard tag == 8 else { throw mismatch(KeyedDecodingContainer<Key>.self, "a keyed container") }
        _ = try c.length()
        let n = try c.count("keyed container")
        var entries: [(key: String, at: Int)] = []
        entries.reserveCapacity(n)
        for _ in 0..<n {
            let key = try source.key(&c)
            entries.append((key, c.at))
            c.at = try source.skip(c.at)
        }
        return KeyedDecodingContainer(KeyedDecoding<Key>(decoder: self, entries: KeyedEntries(entries)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        var (tag, c) = try open()
        guard tag == 9 else { throw mismatch(UnkeyedDecodingContainer.self, "an unkeyed container") }
        _ = try c.length()
        let n = try c.count("unkeyed container")
        return UnkeyedDecoding(source: source, count: n, at: c.at)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleDecoding(decoder: self) }

    // Scalars at this decoder's offset.

    func decodeNil() throws -> Bool { try open().0 == 0 }

    func bool() throws -> Bool {
        switch try open().0 {
        case 1: false
        case 2: true
        default: throw mismatch(Bool.self, "a Bool")
        }
    }

    func string() throws -> String {
        var (tag, c) = try open()
        guard tag == 7 else { throw mismatch(String.self, "a string") }
        return try c.string()
    }

    /// Any number, as JSON reads one: a field that was an integer in an older snapshot reads
    /// as a Double.
    func double() throws -> Double {
        var (tag, c) = try open()
        switch tag {
        case 3:
            let z = try c.varint()
            return Double(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
        case 4: return Double(try c.varint())
        case 5: return Double(bitPattern: try c.fixed(UInt64.self))
        case 6: return Double(Float(bitPattern: try c.fixed(UInt32.self)))
        default: throw mismatch(Double.self, "a number")
        }
    }

    func float() throws -> Float { Float(try double()) }

    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        var (tag, c) = try open()
        let value: T?
        switch tag {
        case 3:
            let z = try c.varint()
            value = T(exactly: Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
        case 4: value = T(exactly: try c.varint())
        default: throw mismatch(type, "an integer")
        }
        guard let value else { throw mismatch(type, "an integer that fits \(type)") }
        return value
    }

    /// Decodes a `T` at `offset`: primitives directly, anything else through its own `init(from:)`.
    static func decode<T: Decodable>(_ type: T.Type, from source: Source, at offset: Int) throws -> T {
        let decoder = BinaryDecoder(source, at: offset)
        // Metatype comparisons, not casts: a dynamic cast per value showed in the profile.
        if T.self == String.self { return unsafeBitCast(try decoder.string(), to: T.self) }
        if T.self == Int64.self { return unsafeBitCast(try decoder.integer(Int64.self), to: T.self) }
        if T.self == Int.self { return unsafeBitCast(try decoder.integer(Int.self), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try decoder.bool(), to: T.self) }
        return try T(from: decoder)
    }
}

/// A keyed container's entries, found in the order synthesized `init(from:)` and `Dictionary`
/// read them; a read out of order scans a small container, or builds a map of a large one.
final class KeyedEntries {
    let list: [(key: String, at: Int)]
    var next = 0
    var map: [String: Int]?

    init(_ list: [(key: String, at: Int)]) { self.list = list }

    func find(_ key: String) -> Int? {
        if next < list.count, list[next].key == key {
            next += 1
            return list[next - 1].at
        }
        if next > 0, list[next - 1].key == key { return list[next - 1].at }  // contains, then decode
        let n: Int?
        if list.count <= 16 {
            n = list.firstIndex { $0.key == key }
        } else {
            if map == nil {
                var m: [String: Int] = [:]
                m.reserveCapacity(list.count)
                for (n, e) in list.enumerated() where m[e.key] == nil { m[e.key] = n }
                map = m
            }
            n = map![key]
        }
        guard let n else { return nil }
        next = n + 1
        return list[n].at
    }
}

struct KeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: BinaryDecoder
    let entries: KeyedEntries
    var codingPath: [any CodingKey] { [] }

    var allKeys: [Key] { entries.list.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { entries.find(key.stringValue) != nil }

    func at(_ key: Key) throws -> Int {
        guard let at = entries.find(key.stringValue) else {
            throw DecodingError.keyNotFound(
                key,
                .init(codingPath: [], debugDescription: "snapshot: no \(key.stringValue) at byte \(decoder.offset)"))
        }
        return at
    }

    func child(_ key: Key) throws -> BinaryDecoder { BinaryDecoder(decoder.source, at: try at(key)) }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).decodeNil() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).bool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).string() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).double() }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).float() }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).integer(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).integer(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).integer(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).integer(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).integer(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).integer(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).integer(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).integer(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).integer(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).integer(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let at = try at(key)
        if !decoder.early.isEmpty, let field = decoder.early.first(where: { $0.offset == at }),
            let value = field.value(as: T.self)
        {
            return value
        }
        return try BinaryDecoder.decode(type, from: decoder.source, at: at)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let at = entries.find("super") else {
            throw DecodingError.keyNotFound(
                AnyKey("super"), .init(codingPath: [], debugDescription: "snapshot: no super at byte \(decoder.offset)")
            )
        }
        return BinaryDecoder(decoder.source, at: at)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

struct UnkeyedDecoding: UnkeyedDecodingContainer {
    let source: Source
    let total: Int
    var at: Int
    var currentIndex = 0
    var codingPath: [any CodingKey] { [] }

    init(source: Source, count: Int, at: Int) {
        self.source = source
        self.total = count
        self.at = at
    }

    var count: Int? { total }
    var isAtEnd: Bool { currentIndex >= total }

    /// The next value's offset, the cursor moved past it.
    mutating func next() throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, .init(codingPath: [], debugDescription: "snapshot: past a container's end at byte \(at)"))
        }
        let offset = at
        at = try source.skip(at)
        currentIndex += 1
        return offset
    }

    mutating func child() throws -> BinaryDecoder { BinaryDecoder(source, at: try next()) }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, try BinaryDecoder(source, at: at).decodeNil() else { return false }
        _ = try next()
        return true
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try child().bool() }
    mutating func decode(_ type: String.Type) throws -> String { try child().string() }
    mutating func decode(_ type: Double.Type) throws -> Double { try child().double() }
    mutating func decode(_ type: Float.Type) throws -> Float { try child().float() }
    mutating func decode(_ type: Int.Type) throws -> Int { try child().integer(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try child().integer(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try child().integer(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try child().integer(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try child().integer(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try child().integer(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try child().integer(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try child().integer(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try child().integer(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try child().integer(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try BinaryDecoder.decode(type, from: source, at: try next())
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try child().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try child().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try child() }
}

struct SingleDecoding: SingleValueDecodingContainer {
    let decoder: BinaryDecoder
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { (try? decoder.decodeNil()) ?? false }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.bool() }
    func decode(_ type: String.Type) throws -> String { try decoder.string() }
    func decode(_ type: Double.Type) throws -> Double { try decoder.double() }
    func decode(_ type: Float.Type) throws -> Float { try decoder.float() }
    func decode(_ type: Int.Type) throws -> Int { try decoder.integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try BinaryDecoder.decode(type, from: decoder.source, at: decoder.offset)
    }
}
