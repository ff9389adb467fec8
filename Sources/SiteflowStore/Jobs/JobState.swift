/// Where a job is in its life.
///
/// - `available`: waiting to run at or after its `runAt` (scheduled jobs and retries too).
/// - `executing`: claimed by a node, which holds a lease on it until `leaseUntil`; if the lease
///   expires (the node died) the job becomes claimable again.
/// - `completed`: its worker returned.
/// - `discarded`: it failed on its last allowed attempt; its errors are kept.
public struct JobState: Sendable, Hashable, CustomStringConvertible {
    /// The state's name as stored in the database.
    public let name: String
    private init(_ name: String) { self.name = name }

    /// Waiting to run at or after its `runAt`.
    public static var available: JobState { JobState("available") }
    /// Claimed by a node and running (or its node died and the lease has not expired yet).
    public static var executing: JobState { JobState("executing") }
    /// Finished successfully.
    public static var completed: JobState { JobState("completed") }
    /// Failed on its last allowed attempt.
    public static var discarded: JobState { JobState("discarded") }

    /// The state stored under `name`, or nil for an unknown name.
    public init?(stored name: String) {
        switch name {
        case "available", "executing", "completed", "discarded": self.name = name
        default: return nil
        }
    }

    public var description: String { name }
}
