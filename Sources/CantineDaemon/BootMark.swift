// The milestones of a start, logged with the machine's monotonic clock so that anyone who
// noted the clock before exec (`cantine bench boot`, a boot chart) can tell how long each took.

import CantineSite
import Logging

/// A milestone of `cantine serve`'s start.
public enum BootMark: String, CaseIterable, Sendable {
    /// Every relay line claimed at its locked level.
    case relaysLocked = "relays locked"
    /// The state rebuilt and the door readers running: a badge can be decided.
    case doorsReady = "doors ready"
    /// The HTTP server listening.
    case serving = "http serving"

    /// The metadata key carrying CLOCK_MONOTONIC in nanoseconds at the mark.
    public static let clockKey = "boot.monotonic_ns"

    /// Logs the mark at info level, with the monotonic clock now.
    func log(_ logger: Logger, _ metadata: Logger.Metadata = [:]) {
        var metadata = metadata
        metadata[Self.clockKey] = "\(SystemTime().monotonicNanos())"
        logger.info("\(rawValue)", metadata: metadata)
    }
}
