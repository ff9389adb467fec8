import Foundation
import SiteflowFuzzTargets

#if FUZZING
import CSiteflowFuzz

// Built with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh): this module's entry point (SwiftPM
// links `main` to `siteflow_fuzz_main`) hands the command line to libFuzzer's driver;
// SITEFLOW_FUZZ_TARGET names the target.

/// The target, chosen before the driver starts.
nonisolated(unsafe) private var selectedTarget: FuzzTarget?

@_cdecl("siteflow_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    guard let name = ProcessInfo.processInfo.environment["SITEFLOW_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("set SITEFLOW_FUZZ_TARGET to one of: \(names)\n".utf8))
        return 2
    }
    selectedTarget = target
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in
        guard let target = selectedTarget else { return 0 }
        if let violation = target.check(Array(UnsafeBufferPointer(start: data, count: size))) {
            FileHandle.standardError.write(Data("\(target.rawValue): \(violation)\n".utf8))
            abort()
        }
        return 0
    }
}
#else
/// `siteflow-fuzz TARGET PATH…`: replays files (or every file of folders) through a fuzzing
/// target, as the fuzzer would; exits 1 if one breaks the target's promise (a trap ends it at
/// once, with the signal). Built normally, without libFuzzer.
@main
struct FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("usage: siteflow-fuzz \(names) FILE_OR_FOLDER…\n".utf8))
            exit(2)
        }
        var inputs = 0
        var violations = 0
        for path in arguments.dropFirst() {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                inputs += 1
                if let violation = target.check(Array(data)) {
                    violations += 1
                    print("\(file): \(violation)")
                }
            }
        }
        print("\(target.rawValue): \(inputs) inputs replayed, \(violations) broke the target")
        exit(violations == 0 ? 0 : 1)
    }

    private static func files(at path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
        guard isFolder.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { "\(path)/\($0)" }
    }
}
#endif
