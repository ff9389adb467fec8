import Foundation

/// The registered workers, by job kind name: what the engine runs for each claimed job.
///
/// A worker receives its decoded arguments and the job's record (attempt number, id, …). It
/// succeeds by returning and fails by throwing (or crashing its process): the attempt is then
/// retried with backoff until the job's `maxAttempts`. Arguments that do not decode fail the
/// attempt the same way.
public struct JobWorkers: Sendable {
    /// Runs one job from its stored JSON arguments.
    typealias Perform = @Sendable (String, JobRecord) async throws -> Void

    private(set) var performers: [String: Perform] = [:]

    /// Creates an empty registry.
    public init() {}

    /// Registers `perform` for jobs of `kind` (replacing any earlier worker for that name).
    public mutating func register<Args: Codable & Sendable>(
        _ kind: JobKind<Args>, _ perform: @escaping @Sendable (Args, JobRecord) async throws -> Void
    ) {
        let name = kind.name
        performers[name] = { json, record in
            let args: Args
            do {
                args = try JSONDecoder().decode(Args.self, from: Data(json.utf8))
            } catch {
                throw StoreError(.invalidJob, "arguments of job \(record.id) do not decode as \(Args.self) for kind '\(name)'", underlying: error)
            }
            try await perform(args, record)
        }
    }

    /// The kind names with a worker.
    public var kinds: [String] { performers.keys.sorted() }
}
