// The daemon's own long-running services besides the site's (CantineSite/SiteServices.swift):
// the memory trim, the GPIO reader threads and the live streams' shutdown. Each is a
// swift-service-lifecycle Service with a single run().

import CMemoryStats
import CantineCore
import CantineGPIO
import CantineSite
import CantineStore
import CantineWeb
import Foundation
import Logging
import ServiceLifecycle

/// Gives memory back: a minute after the start, the code pages only the start ran
/// (`CodePages`); every ten minutes, the heap pages freed since (glibc keeps them in its arenas
/// otherwise, one per thread that allocated, and the RSS creeps up by the pages a burst of
/// requests or a snapshot once needed).
struct MemoryTrimService: Service {
    let logger: Logger

    func run() async throws {
        await pause(.seconds(60))
        guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
        let released = CodePages.release()
        logger.debug("start's code pages unmapped", metadata: ["text_mb": "\(released >> 20)"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await pause(.seconds(600))
            malloc_trim(0)
        }
    }
}

/// Runs a reader thread per chip of door inputs until shutdown, each SCHED_FIFO when the
/// system allows it (the unit's `LimitRTPRIO`): a frame's decision then preempts everything
/// but the kernel, on a Pi whose cores are also busy with sensors, the journal and the web.
struct EdgeReaderService: Service {
    let readers: [(name: String, reader: EdgeReader<ChipDecoder>)]
    let logger: Logger

    func run() async throws {
        for (name, reader) in readers {
            let refused = reader.start(name: name, realtimePriority: ReaderPriority.realtime)
            if let refused, refused != 0 {
                logger.notice(
                    "door reader at normal priority: real-time scheduling refused",
                    metadata: ["reader": "\(name)", "errno": "\(refused)", "fix": "LimitRTPRIO=10 in the unit"])
            }
        }
        BootMark.doorsReady.log(logger, ["readers": "\(readers.count)"])
        try? await gracefulShutdown()
        for (_, reader) in readers { reader.stop() }
    }
}

/// The live streams (the blackboard, the API's journal stream) until the daemon stops.
struct LiveStreamsService: Service {
    let board: BoardStream
    let events: JournalStream

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await board.run() }
            group.addTask { await events.run() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
