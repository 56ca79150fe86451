// From a chip's edges to wired desk sensors: a presence line (a PIR or mmWave module's OUT
// pin, a seat mat) debounced until stable, starting from its level read at start. Pure; the
// occupancy hysteresis (seconds) is the core's, this only removes electrical bounce (ms).

import CantineCore

/// The line of one wired desk sensor.
public struct DeskLines: Sendable, Equatable {
    public var desk: DeskID
    public var line: Int
    /// The line reads low when someone is present (a mat switching to ground, pulled up).
    public var activeLow: Bool
    /// The pull requested on the line (nil: left as it is).
    public var bias: Bias?

    public init(desk: DeskID, line: Int, activeLow: Bool = false, bias: Bias? = nil) {
        self.desk = desk
        self.line = line
        self.activeLow = activeLow
        self.bias = bias
    }
}

/// What a wired desk sensor says: presence or absence, stable since `nanos` (monotonic).
public struct DeskSignal: Sendable, Equatable {
    public var desk: DeskID
    public var present: Bool
    public var nanos: UInt64

    public init(desk: DeskID, present: Bool, nanos: UInt64) {
        self.desk = desk
        self.present = present
        self.nanos = nanos
    }
}

/// Debounces wired desk sensors. A level must hold `settleNanos` before it counts. The level
/// after an edge is taken from the edge's direction, not by toggling; a batch that may have
/// overflowed the kernel's 16-event buffer asks for the line's level to be read, so lost
/// edges cannot leave the desk wrong.
public struct DeskEdgeDecoder: EdgeDecoding {
    /// Default settle time: longer than any switch bounce, far shorter than a sitting.
    public static let defaultSettleNanos: UInt64 = 50_000_000

    let desks: [DeskLines]
    let settleNanos: UInt64
    var index: [Int: Int] = [:]
    /// Per desk: the debounced presence (nil until primed or settled), and a change waiting.
    var present: [Bool?]
    var pending: [(present: Bool, since: UInt64)?]
    /// Desks whose level must be read (all of them until primed).
    var unread: Set<Int>

    public init(desks: [DeskLines], settleNanos: UInt64 = Self.defaultSettleNanos) {
        self.desks = desks
        self.settleNanos = settleNanos
        present = desks.map { _ in nil }
        pending = desks.map { _ in nil }
        unread = Set(desks.indices)
        for (i, d) in desks.enumerated() { index[d.line] = i }
    }

    public var lines: [Int] { desks.map(\.line) }
    /// Both edges: a level's edge named late is still the level now, which is what counts here.
    public var requests: [InputRequest] { desks.map { InputRequest(line: $0.line, edges: .both, bias: $0.bias) } }
    public var linesToRead: [Int] { unread.sorted().map { desks[$0].line } }

    public var deadline: UInt64? { pending.compactMap { $0.map { $0.since + settleNanos } }.min() }

    /// A desk's first level (at start) is its first signal at once; a level read later is
    /// an observation like an edge's, which must settle.
    public mutating func take(levels: [Int: Bool], now: UInt64) -> [DeskSignal] {
        var out: [DeskSignal] = []
        for (i, d) in desks.enumerated() {
            guard let high = levels[d.line] else { continue }
            unread.remove(i)
            let p = high != d.activeLow
            if present[i] == nil {
                present[i] = p
                pending[i] = nil
                out.append(DeskSignal(desk: d.desk, present: p, nanos: now))
            } else {
                observe(i, p, at: now)
            }
        }
        return out
    }

    /// The source failed: what was known of the lines is gone (the core forgets the desks too);
    /// once back, each line's level is read and reported at once, as at start.
    public mutating func lostTrack() {
        present = desks.map { _ in nil }
        pending = desks.map { _ in nil }
        unread = Set(desks.indices)
    }

    public mutating func handle(_ edges: [GPIOEdge]) -> [DeskSignal] {
        var batch: [Int: Int] = [:]
        for edge in edges {
            guard let i = index[edge.line] else { continue }
            batch[i, default: 0] += 1
            observe(i, edge.rising != desks[i].activeLow, at: edge.nanos)
        }
        // A full buffer may have dropped the line's last edges: its level will be read.
        for (i, n) in batch where n >= GPIOEdge.lineBuffer { unread.insert(i) }
        return []
    }

    mutating func observe(_ i: Int, _ p: Bool, at nanos: UInt64) {
        if present[i] == p {
            pending[i] = nil  // bounced back before settling
        } else if pending[i]?.present != p {
            pending[i] = (p, nanos)
        }
    }

    public mutating func poll(now: UInt64) -> [DeskSignal] {
        var out: [DeskSignal] = []
        for i in desks.indices {
            guard let change = pending[i], now >= change.since + settleNanos else { continue }
            present[i] = change.present
            pending[i] = nil
            out.append(DeskSignal(desk: desks[i].desk, present: change.present, nanos: change.since))
        }
        return out
    }
}
