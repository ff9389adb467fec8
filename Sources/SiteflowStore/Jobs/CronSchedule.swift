/// A job enqueued at every fire time of a cron expression.
///
/// Each fire time is enqueued with the unique key `cron:<name>:<fire time>`, so when several
/// nodes evaluate the same schedule exactly one job is inserted per fire time.
public struct CronSchedule: Sendable, Hashable {
    /// A name unique among the schedules (part of the unique key).
    public var name: String
    /// When it fires (UTC).
    public var expression: CronExpression
    /// The job inserted at each fire time (its `runAt` and `unique` are set by the engine).
    public var job: NewJob

    /// Creates a schedule; see each property.
    public init(name: String, expression: CronExpression, job: NewJob) {
        self.name = name
        self.expression = expression
        self.job = job
    }
}
