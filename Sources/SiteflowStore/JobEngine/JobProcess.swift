import SiteflowRuntime

/// The process one job attempt runs in, under the engine's dynamic supervisor: it performs the
/// job on its single `run` message and stops `normal`. A thrown error crashes the process, and
/// the engine records the crash as a failed attempt.
struct JobProcess: AsyncBehavior {
    /// The only message: run the job.
    enum Message: Sendable { case run }

    let record: JobRecord
    let perform: JobWorkers.Perform

    mutating func handle(_ message: Message, context: ProcessContext<Message>) async throws {
        try await perform(record.args, record)
        context.stop(.normal)
    }

    static var kind: String { "job" }
}
