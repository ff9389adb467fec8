import ArgumentParser
import SiteflowBenchmarks
import SiteflowStore

/// `siteflow bench store`: chat messages persisted per second with acknowledgement latency, and
/// jobs per second, on SQLite and on a PostgreSQL server given by URL.
struct StoreBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measure the store: persisted chat messages/s, ack latency percentiles, jobs/s.",
        discussion: """
            Each message run has N concurrent senders writing through the group-commit writer and \
            waiting for each acknowledgement (the commit). PostgreSQL runs against --postgres, a \
            scratch database that the runs write to (scripts/throwaway-postgres.sh starts a \
            throwaway server with fsync on and prints its URL); without it, PostgreSQL is skipped.
            """
    )

    @Option(help: "Comma-separated databases: sqlite, postgres.")
    var databases: String = "sqlite,postgres"

    @Option(help: "The PostgreSQL database to measure (postgres://user[:pass]@host:port/db): a scratch database, the runs write to it.")
    var postgres: String?

    @Option(help: "Comma-separated numbers of concurrent senders.")
    var senders: String = "1,100,1000"

    @Option(help: "Seconds per message run.")
    var seconds: Int = 3

    @Option(help: "Jobs pushed through the queue per database.")
    var jobs: Int = 20000

    @Option(help: "Also run each sender count open-loop at this total offered rate (msgs/s); 0 to skip.")
    var rate: Int = 20000

    @Option(help: "Comma-separated idempotency key settings: none (no key), every (<run>-<sender>-<n>), sequential (time-ordered per sender, as the chat page sends), random (a UUID per message).")
    var keys: String = "none,every"

    /// The sender counts asked for (positive numbers only).
    private var senderCounts: [Int] { senders.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 } }

    /// The key settings asked for; nil if one of them is unknown.
    private var keySettings: [StoreBenchmark.MessageKeys]? {
        let names = keys.split(separator: ",")
        let settings = names.compactMap { StoreBenchmark.MessageKeys(rawValue: String($0)) }
        return settings.count == names.count ? settings : nil
    }

    func validate() throws {
        guard !senderCounts.isEmpty else { throw ValidationError("--senders needs positive numbers") }
        guard seconds > 0, jobs > 0 else { throw ValidationError("--seconds and --jobs must be positive") }
        guard let settings = keySettings else { throw ValidationError("--keys: use none, every, sequential or random (comma-separated)") }
        guard !settings.isEmpty else { throw ValidationError("--keys needs none, every, sequential or random") }
        _ = try postgresEndpoint()
    }

    /// The endpoint `--postgres` names, if given.
    private func postgresEndpoint() throws -> PostgresEndpoint? {
        guard let postgres else { return nil }
        let url: DatabaseURL
        do {
            url = try DatabaseURL(parsing: postgres)
        } catch {
            throw ValidationError("--postgres: \(error)")
        }
        guard case .postgres(let endpoint) = url else { throw ValidationError("--postgres needs a postgres:// URL") }
        return endpoint
    }

    func run() throws {
        let benchmark = StoreBenchmark(
            backends: databases.split(separator: ",").map(String.init), senders: senderCounts, duration: .seconds(seconds), jobs: jobs,
            offeredRate: rate > 0 ? rate : nil, keys: keySettings ?? [.none, .every], postgres: try postgresEndpoint())
        print(try benchmark.runBlocking(), terminator: "")
    }
}
