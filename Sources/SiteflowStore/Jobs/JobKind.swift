public import Foundation

/// A kind of job with typed arguments: the name workers are registered under and the `Codable`
/// type of its arguments, so an enqueued job always matches its worker.
///
/// ```swift
/// let sendDigest = JobKind<DigestArgs>("send_digest")
/// workers.register(sendDigest) { args, job in try await mailer.send(args) }
/// try await store.enqueue(sendDigest.job(DigestArgs(user: 42), queue: "mail"))
/// ```
public struct JobKind<Args: Codable & Sendable>: Sendable, Hashable {
    /// The kind's name, stored with each job.
    public let name: String

    /// Creates a kind named `name`.
    public init(_ name: String) { self.name = name }

    /// A job of this kind with `args` JSON-encoded; see ``NewJob`` for the other parameters.
    /// - Throws: ``StoreError`` `invalidJob` if the arguments cannot be encoded.
    public func job(
        _ args: Args, queue: String = "default", maxAttempts: Int = 20, runAt: Date? = nil, priority: Int = 0,
        unique: JobUniqueness? = nil
    ) throws(StoreError) -> NewJob {
        let encoded: String
        do {
            let data = try JSONEncoder().encode(args)
            encoded = String(decoding: data, as: UTF8.self)
        } catch {
            throw StoreError(.invalidJob, "arguments of job kind '\(name)' cannot be encoded: \(error)", underlying: error)
        }
        return NewJob(kind: name, args: encoded, queue: queue, maxAttempts: maxAttempts, runAt: runAt, priority: priority, unique: unique)
    }

    public static func == (lhs: JobKind, rhs: JobKind) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
