public import SiteflowObservability
public import SiteflowRealtime
public import SiteflowStore

/// The dashboard panel for sockets, PubSub and jobs.
public struct RealtimeDashboard: DashboardSource {
    private let endpoint: RealtimeEndpoint
    private let pubsub: PubSub
    private let jobs: JobEngine

    /// Shows `endpoint`'s sockets, `pubsub`'s topics and `jobs`' running jobs.
    public init(endpoint: RealtimeEndpoint, pubsub: PubSub, jobs: JobEngine) {
        self.endpoint = endpoint
        self.pubsub = pubsub
        self.jobs = jobs
    }

    public func dashboardSection() -> DashboardSection {
        let snapshot = endpoint.statistics.snapshot()
        let figures: [DashboardSection.Figure] = [
            .init(label: "sockets", value: "\(endpoint.socketCount)", number: Double(endpoint.socketCount)),
            .init(label: "topics", value: "\(pubsub.topicCount)", number: Double(pubsub.topicCount)),
            .init(label: "jobs running", value: "\(jobs.runningCount())", number: Double(jobs.runningCount())),
            .init(label: "frames in", value: "\(snapshot[.framesReceived])", number: Double(snapshot[.framesReceived])),
            .init(label: "fastlane writes", value: "\(snapshot[.fastlaneWrites])", number: Double(snapshot[.fastlaneWrites])),
        ]
        let problems = SocketStatistics.Counter.allCases
            .filter { ![.connectionsAccepted, .framesReceived, .fastlaneWrites].contains($0) }
            .map { ["\($0)", "\(snapshot[$0])"] }
        return DashboardSection(
            title: "Sockets and jobs", figures: figures,
            tables: [DashboardSection.Table(title: "Refusals and errors", columns: ["kind", "count"], rows: problems)])
    }
}
