// The start's code pages given back: only the executable's own r-x mappings are chosen from
// /proc/self/maps, and unmapping them in a running process lowers its file-backed resident
// memory while everything keeps running (the pages map back in as they are called).

import Foundation
import Testing

@testable import CantineDaemon

@Suite struct CodePagesTests {
    @Test func onlyTheExecutablesCodeMappingsAreChosen() {
        let maps = """
            5581a0000000-5581a1000000 r--p 00000000 08:01 1234                       /usr/bin/cantine
            5581a1000000-5581a2e00000 r-xp 01000000 08:01 1234                       /usr/bin/cantine
            5581a2e00000-5581a3000000 r--p 02e00000 08:01 1234                       /usr/bin/cantine
            5581a3000000-5581a3100000 rw-p 03000000 08:01 1234                       /usr/bin/cantine
            7f0000000000-7f0000100000 r-xp 00000000 08:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6
            7f0000200000-7f0000300000 r-xp 00000000 08:01 77                         /usr/bin/cantine (deleted)
            7f0000400000-7f0000500000 r-xp 00000000 08:01 78                         /opt/my cantine/cantine
            7f0000600000-7f0000700000 rwxp 00000000 00:00 0
            7ffc00000000-7ffc00021000 r-xp 00000000 00:00 0                          [vdso]
            """
        let chosen = CodePages.executableRanges(maps, of: "/usr/bin/cantine")
        #expect(chosen.count == 1)
        #expect(chosen.first?.0 == 0x5581_a100_0000 && chosen.first?.1 == 0x5581_a2e0_0000)
        #expect(CodePages.executableRanges(maps, of: "/opt/my cantine/cantine").count == 1)
        #expect(CodePages.executableRanges("garbage\n\n-\nr-xp", of: "/usr/bin/cantine").isEmpty)
    }

    @Test func notWhileATracerIsAttached() {
        #expect(!CodePages.traced("Name:\tcantine\nTracerPid:\t0\nUid:\t0\n"))
        #expect(CodePages.traced("Name:\tcantine\nTracerPid:\t4242\nUid:\t0\n"))
        #expect(CodePages.traced("Name:\tcantine\n"), "cannot tell: not released")
    }

    @Test func releasingTheCodeLowersResidentFilePagesAndTheProcessRunsOn() throws {
        let before = try Self.rssFileKB()
        let released = CodePages.release()
        let after = try Self.rssFileKB()
        #expect(released > 1 << 20, "the test binary's text is mapped r-x")
        #expect(after < before - 1024, "RssFile \(before) kB → \(after) kB")
        // Code runs on: it maps back in as it is called.
        #expect((1...1000).reduce(0, +) == 500_500)
        #expect(try Self.rssFileKB() > 0)
    }

    static func rssFileKB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }
}
