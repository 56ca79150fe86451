// Rebuilding the state from the journal: from a snapshot plus the entries after it (start-up),
// or from the first entry (`cantine replay`, to check the journal against the live state).

import CantineCore
import CantineStore
import Foundation

/// The outcome of a replay.
public struct ReplayResult: Sendable {
    public var state: State
    public var lastSeq: Int64
    /// Entries applied (not counting those folded into the snapshot).
    public var applied: Int64
    /// Snapshot the replay started from, if any.
    public var fromSnapshot: Int64?
    /// Seconds in all, and of them reading the snapshot.
    public var seconds: Double
    public var snapshotSeconds: Double = 0
    public var digest: String { StateDigest.of(state) }
}

public enum Replay {
    /// Rebuilds the state. With `useSnapshot`, starts from the newest snapshot at or before
    /// `through`; without, from the journal's beginning: its first entry, or its base snapshot
    /// once compacted (checked to be this `site`'s, when given).
    public static func rebuild(store: Store, site: SiteID? = nil, useSnapshot: Bool, through: Int64 = .max) throws
        -> ReplayResult
    {
        let start = ContinuousClock.now
        var state = State()
        var after: Int64 = 0
        var fromSnapshot: Int64?
        let expected = try site ?? store.latestSnapshot()?.site ?? SiteID("")
        if let snap = try store.replayStart(site: expected, useSnapshot: useSnapshot, through: through) {
            state = snap.state
            after = snap.seq
            fromSnapshot = snap.seq
        }
        let snapshotRead = ContinuousClock.now - start
        var last = after
        var applied: Int64 = 0
        try store.forEachEntry(after: after, through: through) { entry in
            _ = Reducer.apply(&state, entry.event, now: entry.wall)
            last = entry.seq
            applied += 1
        }
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        return ReplayResult(
            state: state, lastSeq: last, applied: applied, fromSnapshot: fromSnapshot,
            seconds: seconds(ContinuousClock.now - start), snapshotSeconds: seconds(snapshotRead))
    }
}
