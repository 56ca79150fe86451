// `cantine-fuzz TARGET ...`: built by scripts/fuzz with `-sanitize=fuzzer -DFUZZING`, it is
// libFuzzer running one target (the remaining arguments are libFuzzer's: corpus folders,
// -runs=, -max_total_time=...); built plainly, it replays files and folders of inputs through
// the target and reports what each made of them (a crash reproducer, or a corpus check).

import CantineFuzz
import Foundation

#if FUZZING
    import CLibFuzzer
#endif

/// The variable that names the target for libFuzzer's child processes.
let targetVariable = "CANTINE_FUZZ_TARGET"

/// The target libFuzzer's callback runs (set once, before the driver starts).
nonisolated(unsafe) var selected = FuzzTarget.report

#if FUZZING
    /// libFuzzer's entry point (its runtime refers to it by name): one input through `selected`.
    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        do {
            _ = try selected.run(UnsafeRawBufferPointer(start: data, count: size))
        } catch {
            fatalError("\(selected.rawValue): \(error)")
        }
        return 0
    }
#endif

@main
enum FuzzMain {
    static func main() {
        let args = CommandLine.arguments
        // libFuzzer's -merge=1 and -fork=N run this binary again with libFuzzer's arguments
        // only: the target reaches those children through the environment.
        let named = args.count >= 2 ? FuzzTarget(rawValue: args[1]) : nil
        guard let target = named ?? ProcessInfo.processInfo.environment[targetVariable].flatMap(FuzzTarget.init)
        else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            fail("usage: cantine-fuzz TARGET [inputs...]: TARGET is one of \(names)")
        }
        selected = target
        let rest = args.dropFirst(named == nil ? 1 : 2)
        #if FUZZING
            setenv(targetVariable, target.rawValue, 1)
            var argv: [UnsafeMutablePointer<CChar>?] = ([args[0]] + rest).map { strdup($0) } + [nil]
            var argc = CInt(argv.count - 1)
            let status = argv.withUnsafeMutableBufferPointer { buffer in
                var base = buffer.baseAddress
                return LLVMFuzzerRunDriver(&argc, &base) { data, size in fuzzOne(data, size) }
            }
            exit(status)
        #else
            replay(target, paths: Array(rest))
        #endif
    }

    static func replay(_ target: FuzzTarget, paths: [String]) {
        var accepted = 0
        var refused = 0
        for file in paths.flatMap(files) {
            guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
            do {
                switch try target.run(Array(data)) {
                case .accepted: accepted += 1
                case .refused: refused += 1
                }
            } catch {
                fail("\(file): \(error)")
            }
        }
        print("\(target.rawValue): \(accepted + refused) inputs, \(accepted) accepted, \(refused) refused")
    }

    /// A file, or the files of a folder.
    static func files(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            fail("no such file or folder: \(path)")
        }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("cantine-fuzz: \(message)\n".utf8))
        exit(1)
    }
}
