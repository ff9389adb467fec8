/// What the node is doing, for the dashboard and metrics (a snapshot).
public struct NodeStatistics: Sendable {
    /// Processes alive now.
    public let processCount: Int
    /// Run-queue length of each ordinary worker.
    public let runQueueLengths: [Int]
    /// Run-queue length of each blocking-pool worker.
    public let blockingRunQueueLengths: [Int]
    /// Messages handled per second, over the last half second sampled by the watchdog.
    public let messagesPerSecond: Double
    /// Fraction of time each worker (ordinary, then blocking) was running something, 0...1.
    public let workerUtilisation: [Double]
    /// Messages handled since start.
    public let messagesHandled: Int
    /// Processes spawned, ended, and crashed since start.
    public let spawned: Int, exited: Int, crashed: Int
    /// Spawns refused at the process limit, mailbox overflows, long handlers, supervisor restarts.
    public let spawnsRefused: Int, mailboxOverflows: Int, longRuns: Int, restarts: Int
    /// Messages for isolated processes' workers refused (``RuntimeStatistics/isolatedMessagesRefused``).
    public let isolatedMessagesRefused: Int
}

extension Runtime {
    /// A snapshot of node-wide statistics.
    public func nodeStatistics() -> NodeStatistics {
        let samples = monitorSamples
        return NodeStatistics(
            processCount: processCount, runQueueLengths: scheduler.runQueueLengths,
            blockingRunQueueLengths: blockingScheduler.runQueueLengths,
            messagesPerSecond: samples.messagesPerSecond, workerUtilisation: samples.utilisation,
            messagesHandled: messagesHandled, spawned: statistics.spawned, exited: statistics.exited,
            crashed: statistics.crashed, spawnsRefused: statistics.spawnsRefused,
            mailboxOverflows: statistics.mailboxOverflows, longRuns: statistics.longRuns,
            restarts: statistics.restarts, isolatedMessagesRefused: statistics.isolatedMessagesRefused)
    }
}
