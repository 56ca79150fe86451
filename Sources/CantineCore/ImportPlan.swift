// Import planning: what reading a calendar or schedule feed again changes. Items are matched
// with what the site holds by origin (feed + key): new ones are added, changed ones updated,
// and those the feed no longer lists (and not yet over) are cancelled. Pure: the daemon
// carries out the plan's one batch command, so an import lands whole or not at all.

/// A booking or session read from a feed, with where it sits in its source.
public struct ImportCandidate: Codable, Equatable, Sendable {
    public enum Item: Codable, Equatable, Sendable {
        case booking(Booking)
        case session(ProgramSession)
    }

    public var item: Item
    /// Where the item is in its source, for messages: `line 42`, `$.schedule.conference…`.
    public var location: String

    public init(_ item: Item, at location: String) {
        self.item = item
        self.location = location
    }

    public var origin: ImportOrigin? {
        switch item {
        case .booking(let b): b.origin
        case .session(let s): s.origin
        }
    }
}

/// The changes an import makes, and the batch command that makes them.
public struct ImportPlan: Equatable, Sendable {
    public enum Change: String, Equatable, Sendable {
        case add, update, cancel
    }

    /// One change, with the item as it will be (or, for a cancel, as it was).
    public struct Line: Equatable, Sendable {
        public var change: Change
        public var item: ImportCandidate.Item
        public var location: String
    }

    public var feed: String
    public var lines: [Line]
    /// Items the site already holds exactly as the feed has them (or that are over both
    /// here and in the feed).
    public var unchanged: Int
    /// Items the site does not hold that ended before the week of history the state keeps
    /// (`State.keepEnded`): left alone, never journaled, so an unchanged feed changes nothing.
    public var past: Int = 0
    /// One `.batch` of every change; nil when there is nothing to do.
    public var command: Command?

    /// `feed 'x': 2 to add, 1 to update, 0 to cancel, 12 unchanged` (with `done`: `2 added, …`).
    public func summary(done: Bool = false) -> String {
        func n(_ c: Change) -> Int { lines.count { $0.change == c } }
        let (add, update, cancel) = done ? ("added", "updated", "cancelled") : ("to add", "to update", "to cancel")
        return
            "feed '\(feed)': \(n(.add)) \(add), \(n(.update)) \(update), \(n(.cancel)) \(cancel), \(unchanged) unchanged"
            + (past > 0 ? ", \(past) past left alone" : "")
    }

    /// Plans importing `candidates` as the whole content of `feed` over `window` (items of the
    /// feed outside it are left alone; nil: the feed is complete). Items are matched by origin
    /// key; new ones get an id derived from feed and key, so importing into a fresh site gives
    /// the same ids.
    public static func make(
        feed: String, candidates: [ImportCandidate], window: (start: Instant, end: Instant)?, state: State,
        now: Instant
    ) throws(CommandError) -> ImportPlan {
        guard Slug.isValid(feed) else {
            throw CommandError("feed name '\(feed)' is not valid: use 1–64 of a-z 0-9 - _ (--feed)")
        }
        var seen: [String: String] = [:]
        var keyed: [(key: String, candidate: ImportCandidate)] = []
        for c in candidates {
            guard let origin = c.origin, origin.feed == feed else {
                throw CommandError("\(c.location): the item does not belong to feed '\(feed)'")
            }
            if let first = seen[origin.key] {
                throw CommandError(
                    "\(c.location): '\(origin.key)' appears twice (first at \(first)): keys must be unique in a feed")
            }
            seen[origin.key] = c.location
            keyed.append((origin.key, c))
        }
        let bookings = Dictionary(
            state.bookings.values.compactMap { b in b.origin.flatMap { $0.feed == feed ? ($0.key, b) : nil } },
            uniquingKeysWith: { a, _ in a })
        let sessions = Dictionary(
            state.sessions.values.compactMap { s in s.origin.flatMap { $0.feed == feed ? ($0.key, s) : nil } },
            uniquingKeysWith: { a, _ in a })

        var lines: [Line] = []
        var unchanged = 0
        var past = 0
        // The state keeps a week of ended items: what ended before is neither held nor added.
        let forgotten = now - State.keepEnded
        for (key, c) in keyed {
            switch c.item {
            case .booking(var b):
                if let old = bookings[key] {
                    b.id = old.id
                    b.status = old.status
                    let same = (b.member, b.resource, b.start, b.end) == (old.member, old.resource, old.start, old.end)
                    if same && old.status != .cancelled || old.end <= now && b.end <= now {
                        unchanged += 1
                    } else {
                        lines.append(Line(change: .update, item: .booking(b), location: c.location))
                    }
                } else if b.end < forgotten {
                    past += 1  // over before what the state keeps: the past is not rewritten
                } else {
                    b.id = BookingID("imp-" + stableHash(feed, key))
                    lines.append(Line(change: .add, item: .booking(b), location: c.location))
                }
            case .session(var s):
                if let old = sessions[key] {
                    s.id = old.id
                    if s == old || old.end <= now && s.end <= now {
                        unchanged += 1
                    } else {
                        lines.append(Line(change: .update, item: .session(s), location: c.location))
                    }
                } else if s.end < forgotten {
                    past += 1
                } else {
                    s.id = SessionID("imp-" + stableHash(feed, key))
                    lines.append(Line(change: .add, item: .session(s), location: c.location))
                }
            }
        }
        func inWindow(_ start: Instant, _ end: Instant) -> Bool {
            guard end > now else { return false }
            guard let window else { return true }
            return start < window.end && end > window.start
        }
        var cancels: [Line] = []
        for (key, b) in bookings.sorted(by: { $0.value.start < $1.value.start })
        where seen[key] == nil && b.status != .cancelled && inWindow(b.start, b.end) {
            cancels.append(Line(change: .cancel, item: .booking(b), location: "no longer in the feed"))
        }
        for (key, s) in sessions.sorted(by: { $0.value.start < $1.value.start })
        where seen[key] == nil && inWindow(s.start, s.end) {
            cancels.append(Line(change: .cancel, item: .session(s), location: "no longer in the feed"))
        }
        lines = cancels + lines
        let commands: [Command] = lines.map { line in
            switch (line.change, line.item) {
            case (.add, .booking(let b)): .book(b)
            case (.update, .booking(let b)): .rebook(b)
            case (.cancel, .booking(let b)): .cancelBooking(b.id)
            case (.add, .session(let s)), (.update, .session(let s)): .scheduleSession(s)
            case (.cancel, .session(let s)): .removeSession(s.id)
            }
        }
        return ImportPlan(
            feed: feed, lines: lines, unchanged: unchanged, past: past,
            command: commands.isEmpty ? nil : .batch(commands, labels: lines.map(\.location)))
    }

    /// 16 hex digits of FNV-1a over feed and key: stable across runs and machines.
    static func stableHash(_ feed: String, _ key: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array(feed.utf8) + [0] + Array(key.utf8) {
            h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
