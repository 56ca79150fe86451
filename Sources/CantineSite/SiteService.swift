// What the edges read and ask of a running site. The web depends on this protocol, never on
// the daemon: the daemon hands it the opened `Site`; the web's tests an in-memory one.

import CantineCore
import CantineStore

/// A running site as the web sees it.
public protocol SiteService: Sendable {
    /// The live state and the site's clock.
    var engine: Engine { get }
    /// State changes as they happen (the live streams follow it).
    var bus: NoticeBus { get }
    /// Personal data and history the state does not keep.
    var records: any SiteRecords { get }
    /// The last journal entry on disk, and why writing fails (nil while it does not).
    var journalProgress: JournalProgress { get }
    /// Returns once the journal is on disk through `seq` (at once while writing fails).
    func waitDurable(through seq: Int64) async
    /// Performs an operation and waits until it is durable; a refusal changes nothing.
    func perform(_ op: SiteOperation, source: EventSource) async throws(CommandError) -> OperationResult
    /// Everything held about a member (their right of access), as JSON.
    func exportJSON(member: String) throws(SiteError) -> [UInt8]
    /// How the floor was used from `from` through `to` (local dates), today as it runs.
    func utilisation(from: LocalDate, to: LocalDate) throws(SiteError) -> UtilisationReport
}

/// How far the journal has been written.
public struct JournalProgress: Sendable, Equatable {
    /// The last entry on disk.
    public var durableSeq: Int64
    /// Why writing fails, while it does.
    public var error: String?
    public init(durableSeq: Int64, error: String?) {
        self.durableSeq = durableSeq
        self.error = error
    }
}

extension Site: SiteService {
    public var records: any SiteRecords { store }
    public func waitDurable(through seq: Int64) async { await journal.waitDurable(through: seq) }
    public var journalProgress: JournalProgress {
        JournalProgress(durableSeq: journal.durableSeq, error: journal.lastError)
    }
    public func exportJSON(member: String) throws(SiteError) -> [UInt8] {
        do {
            return Array(try export(member: member).json())
        } catch let error as SiteError {
            throw error
        } catch {
            throw SiteError(.unavailable, "cannot export \(member): \(error)")
        }
    }
    public func utilisation(from: LocalDate, to: LocalDate) throws(SiteError) -> UtilisationReport {
        do {
            return try usage.report(from: from, to: to, now: engine.now, layout: settings.layout)
        } catch {
            throw SiteError(.unavailable, "cannot read the utilisation history: \(error)")
        }
    }
}
