// A start runs code the running daemon never runs again: the config's parsing, the snapshot's
// decoding, the migrations, the command line. The kernel maps 64 KB around each page it faults
// in, so after a start most of the executable's 30 MB of text is mapped and counted in RSS,
// though nothing will run it. A minute after the start the daemon unmaps its executable's code
// (MADV_DONTNEED on its own r-x mappings): clean pages of the file, still in the page cache;
// what runs maps back in at its next call (a minor fault, no disk read while the page cache
// keeps them), what does not stays out. Only the executable mapping: data and relocated pages
// are never touched. Not while a debugger or tracer is attached: its breakpoints and uprobes
// are private changes to those pages, which MADV_DONTNEED would throw away.

import Foundation

/// The executable's code pages.
enum CodePages {
    /// Unmaps the executable's code from this process (it maps back in as it runs). Returns the
    /// bytes of text covered, 0 when nothing was done.
    @discardableResult
    static func release() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8), !traced(status),
            let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            let maps = FileHandle(forReadingAtPath: "/proc/self/maps")
        else { return 0 }
        defer { try? maps.close() }
        var released = 0
        for (start, end) in executableRanges(String(decoding: maps.readDataToEndOfFile(), as: UTF8.self), of: exe) {
            if madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) == 0 {
                released += end - start
            }
        }
        return released
    }

    /// Whether a `/proc/<pid>/status` text names a tracer (`TracerPid` other than 0); true when
    /// it cannot tell.
    static func traced(_ status: String) -> Bool {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("TracerPid:") }),
            let pid = Int(line.dropFirst("TracerPid:".count).trimmingCharacters(in: .whitespaces))
        else { return true }
        return pid != 0
    }

    /// The r-x private mappings of the file at `path` in a `/proc/<pid>/maps` text.
    static func executableRanges(_ maps: String, of path: String) -> [(Int, Int)] {
        maps.split(separator: "\n").compactMap { line in
            // start-end perms offset dev inode path (the path may hold spaces)
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[1] == "r-xp",
                fields[5].trimmingCharacters(in: .whitespaces) == path
            else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = Int(bounds[0], radix: 16), let end = Int(bounds[1], radix: 16),
                start < end
            else { return nil }
            return (start, end)
        }
    }
}
