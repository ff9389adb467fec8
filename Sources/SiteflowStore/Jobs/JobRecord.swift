public import Foundation

/// A job as stored: what it is, its state, and its attempt history.
public struct JobRecord: Sendable, Hashable, Identifiable {
    /// The store-assigned id.
    public var id: Int64
    /// The worker kind.
    public var kind: String
    /// The JSON-encoded arguments.
    public var args: String
    /// The queue.
    public var queue: String
    /// The current state.
    public var state: JobState
    /// Attempts started so far (the running attempt included).
    public var attempt: Int
    /// Attempts allowed.
    public var maxAttempts: Int
    /// Priority (lower first).
    public var priority: Int
    /// Earliest time of the next run.
    public var runAt: Date
    /// When it was enqueued.
    public var insertedAt: Date
    /// When the last attempt started.
    public var attemptedAt: Date?
    /// The node that ran the last attempt.
    public var attemptedBy: String?
    /// Until when the running node's lease holds (while `executing`).
    public var leaseUntil: Date?
    /// When it completed or was discarded.
    public var finishedAt: Date?
    /// The errors of failed attempts, oldest first (filled by ``Store/job(id:)``; empty in claims).
    public var errors: [JobAttemptError]

    /// Creates a record; see each property.
    public init(
        id: Int64, kind: String, args: String, queue: String, state: JobState, attempt: Int, maxAttempts: Int,
        priority: Int, runAt: Date, insertedAt: Date, attemptedAt: Date?, attemptedBy: String?, leaseUntil: Date?,
        finishedAt: Date?, errors: [JobAttemptError]
    ) {
        self.id = id
        self.kind = kind
        self.args = args
        self.queue = queue
        self.state = state
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.priority = priority
        self.runAt = runAt
        self.insertedAt = insertedAt
        self.attemptedAt = attemptedAt
        self.attemptedBy = attemptedBy
        self.leaseUntil = leaseUntil
        self.finishedAt = finishedAt
        self.errors = errors
    }

    /// The lease that identifies this attempt to the store (see ``JobLease``).
    public var lease: JobLease { JobLease(jobID: id, attempt: attempt, node: attemptedBy ?? "") }
}

/// One failed attempt of a job: its number, when it ended and the error it ended with.
public struct JobAttemptError: Sendable, Hashable {
    /// The attempt number (1 for the first run).
    public var attempt: Int
    /// When the failure was recorded.
    public var at: Date
    /// The error, as text (a thrown error's description, a crash reason, or an expired lease).
    public var error: String

    /// Creates an attempt error; see each property.
    public init(attempt: Int, at: Date, error: String) {
        self.attempt = attempt
        self.at = at
        self.error = error
    }
}

/// Identifies one attempt of a job held by one node: completing, failing or extending a job
/// only takes effect if the job is still executing this attempt on this node, so a node whose
/// lease expired (and whose job was claimed again elsewhere) cannot overwrite the new attempt.
public struct JobLease: Sendable, Hashable {
    /// The job's id.
    public var jobID: Int64
    /// The attempt number the node claimed.
    public var attempt: Int
    /// The node that claimed it.
    public var node: String

    /// Creates a lease; see each property.
    public init(jobID: Int64, attempt: Int, node: String) {
        self.jobID = jobID
        self.attempt = attempt
        self.node = node
    }
}

/// What enqueueing a job did.
public enum JobInsertion: Sendable, Hashable {
    /// A new job with this id was stored.
    case inserted(Int64)
    /// A unique job with the same key exists (this id, or nil if it was since pruned); nothing
    /// was stored.
    case duplicate(Int64?)

    /// The id of the new or existing job.
    public var jobID: Int64? {
        switch self {
        case .inserted(let id): return id
        case .duplicate(let id): return id
        }
    }
}
