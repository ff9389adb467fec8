import SiteflowRuntime

/// The process one job attempt runs in, under the engine's dynamic supervisor: it performs the
/// job on its single `run` message and stops `normal`. A thrown error crashes the process, and
/// the engine records the crash as a failed attempt. The work runs in a task the engine can
/// cancel (``JobCancellation``), so that a drain's deadline can stop it.
struct JobProcess: AsyncBehavior {
    /// The only message: run the job.
    enum Message: Sendable { case run }

    let record: JobRecord
    let perform: JobWorkers.Perform
    /// How the engine stops this attempt at a drain's deadline.
    let cancellation: JobCancellation

    mutating func handle(_ message: Message, context: ProcessContext<Message>) async throws {
        let (perform, record) = (self.perform, self.record)
        try await cancellation.run(on: context.runtime) { try await perform(record.args, record) }
        context.stop(.normal)
    }

    static var kind: String { "job" }
}
