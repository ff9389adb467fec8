import ArgumentParser
import SiteflowBenchmarks

@main
struct Siteflow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "siteflow", abstract: "Siteflow node")
    @Argument var args: [String] = []
    func run() throws {
        let n = Int(args.first ?? "10000") ?? 10000
        let tokens = Int(args.dropFirst().first ?? "1") ?? 1
        let r = try QuickRing.run(processes: n, hops: 10_000_000, tokens: tokens)
        print("ring hops/s: \(Int(r))")
    }
}
