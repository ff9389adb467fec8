public import Foundation

/// A job to enqueue: its kind, JSON-encoded arguments and how it runs. Build one with
/// ``JobKind/job(_:queue:maxAttempts:runAt:priority:unique:)`` so the arguments match the worker.
public struct NewJob: Sendable, Hashable {
    /// The worker kind that runs it (the name it was registered under).
    public var kind: String
    /// The arguments, JSON-encoded.
    public var args: String
    /// The queue it waits in (default `"default"`).
    public var queue: String
    /// Attempts allowed before the job is discarded (default 20, at least 1).
    public var maxAttempts: Int
    /// Run no earlier than this (nil: as soon as possible).
    public var runAt: Date?
    /// Lower runs first among due jobs of a queue (default 0).
    public var priority: Int
    /// Makes the job unique by key for a period (nil: not unique).
    public var unique: JobUniqueness?

    /// Creates a job from already-encoded arguments; see each property.
    public init(kind: String, args: String, queue: String = "default", maxAttempts: Int = 20, runAt: Date? = nil, priority: Int = 0, unique: JobUniqueness? = nil) {
        self.kind = kind
        self.args = args
        self.queue = queue
        self.maxAttempts = maxAttempts
        self.runAt = runAt
        self.priority = priority
        self.unique = unique
    }

    /// Checks the job before it reaches the store.
    /// - Throws: ``StoreError`` `invalidJob` for an empty kind or queue or fewer than 1 attempt.
    func validate() throws(StoreError) {
        if kind.isEmpty || kind.utf8.count > 200 { throw StoreError(.invalidJob, "job kind must be 1…200 bytes") }
        if queue.isEmpty || queue.utf8.count > 200 { throw StoreError(.invalidJob, "queue name must be 1…200 bytes") }
        if maxAttempts < 1 { throw StoreError(.invalidJob, "maxAttempts must be at least 1") }
        if args.utf8.contains(0) || kind.utf8.contains(0) || queue.utf8.contains(0) {
            throw StoreError(.invalidJob, "job contains a NUL character")
        }
        if let unique, unique.key.isEmpty { throw StoreError(.invalidJob, "unique key is empty") }
    }
}

/// Makes a job unique: while a job inserted with the same key is younger than `period`, inserting
/// another is a no-op that reports the existing job (Oban's unique jobs). The check is atomic on
/// both databases, so two nodes enqueueing at once still insert one job.
public struct JobUniqueness: Sendable, Hashable {
    /// The uniqueness key (e.g. `"digest:user-42"`).
    public var key: String
    /// How long the key stays taken after the job is inserted; nil: forever.
    public var period: Duration?

    /// Creates a uniqueness rule; see each property.
    public init(key: String, period: Duration?) {
        self.key = key
        self.period = period
    }
}
