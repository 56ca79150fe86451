// The fuzz targets in the ordinary test run: every committed seed (and every crash found and
// fixed, kept beside them) replays through its target, as does every slow input found and
// fixed (Tests/FuzzRegressions: kept out of the seeds, where libFuzzer would spend its time
// mutating them), and each target takes a hundred mutated seeds from a fixed generator — so
// a regression shows up here before libFuzzer runs.

import CantineFuzz
import CantineGPIO
import Foundation
import Testing

@Suite struct FuzzCorpusTests {
    static let corpus = repoRoot.appendingPathComponent("Tests/FuzzCorpus")
    static let regressions = repoRoot.appendingPathComponent("Tests/FuzzRegressions")

    static func seeds(_ target: FuzzTarget, in root: URL = corpus) throws -> [[UInt8]] {
        let dir = root.appendingPathComponent(target.rawValue)
        guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map {
            Array(try Data(contentsOf: dir.appendingPathComponent($0)))
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everySeedRunsAndTheCorpusReachesBothOutcomes(_ target: FuzzTarget) throws {
        let seeds = try Self.seeds(target)
        #expect(seeds.count >= 2, "Tests/FuzzCorpus/\(target.rawValue) needs seeds")
        var outcomes: [FuzzOutcome] = []
        for seed in try seeds + Self.seeds(target, in: Self.regressions) {
            #expect(throws: Never.self) { outcomes.append(try target.run(seed)) }
        }
        // A corpus only of refusals would never reach past the parser's first check.
        #expect(outcomes.contains(.accepted))
    }

    @Test(arguments: FuzzTarget.allCases)
    func mutatedSeedsKeepEveryProperty(_ target: FuzzTarget) throws {
        let seeds = try Self.seeds(target)
        var random = SplitMix64(seed: 0xCA27_1E00 &+ UInt64(target.rawValue.utf8.count))
        for _ in 0..<100 {
            var input = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0...(random.next() % 8) {
                let at = input.isEmpty ? 0 : Int(random.next() % UInt64(input.count))
                switch random.next() % 4 {
                case 0 where !input.isEmpty: input[at] = UInt8(truncatingIfNeeded: random.next())
                case 1 where !input.isEmpty: input.remove(at: at)
                case 2: input.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                default: input = Array(input.prefix(at))
                }
            }
            #expect(throws: Never.self, "\(input)") { _ = try target.run(input) }
        }
    }
}

/// SQL is always parameterised: no value is ever spliced into SQL text. The one interpolation
/// allowed builds a list of `?` placeholders; a WHERE clause assembled from fixed fragments is
/// checked by name.
@Suite struct SQLTextTests {
    @Test func noSQLStringInterpolatesAValue() throws {
        let sources = repoRoot.appendingPathComponent("Sources")
        let files =
            FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") } ?? []
        var checked = 0
        var offenders: [String] = []
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for (i, line) in lines.enumerated() where line.contains("sql:") || line.contains("sql =") {
                // The statement: this line and, for a multi-line literal, the lines up to its end.
                var statement = String(line)
                if line.hasSuffix("\"\"\"") {
                    var j = i + 1
                    while j < lines.count, !lines[j].contains("\"\"\"") {
                        statement += "\n" + lines[j]
                        j += 1
                    }
                }
                checked += 1
                let interpolations = statement.matches(of: /\\\(([^)]*)\)/).map { String($0.output.1) }
                for expression in interpolations
                where !expression.contains("\"?\"") && expression != "whereSQL" {
                    offenders.append("\(file):\(i + 1): \\(\(expression))")
                }
            }
        }
        #expect(checked > 20)
        #expect(offenders == [], "values spliced into SQL: use arguments")
    }
}
