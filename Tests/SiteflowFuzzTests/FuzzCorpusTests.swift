import Foundation
import SiteflowFuzzTargets
import Testing

/// Every committed fuzzing input — the seed corpus and each crash a fuzzing run ever found
/// (`Fuzz/regressions/<target>/`) — replayed through its target on every test run.
@Suite("Fuzzing corpus and regressions")
struct FuzzCorpusTests {
    /// The package's `Fuzz` folder, found from this file's path.
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    private static func inputs(_ kind: String, _ target: FuzzTarget) -> [URL] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appendingPathComponent($0) }
    }

    @Test("every seed input and every past crash passes through its target without a violation", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let seeds = Self.inputs("corpus", target)
        #expect(!seeds.isEmpty, "Fuzz/corpus/\(target.rawValue) has seed inputs")
        for file in seeds + Self.inputs("regressions", target) {
            let violation = target.check(Array(try Data(contentsOf: file)))
            #expect(violation == nil, "\(file.lastPathComponent): \(violation?.description ?? "")")
        }
    }
}
