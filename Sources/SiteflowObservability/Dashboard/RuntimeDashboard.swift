public import SiteflowRuntime

/// The runtime's dashboard panel: node figures, the busiest processes and the supervision tree.
public struct RuntimeDashboard: DashboardSource {
    private let runtime: Runtime
    private let processRows: Int
    private let treeNodes: Int

    /// Shows `runtime`; at most `processRows` processes in the table and `treeNodes` nodes of the
    /// supervision tree (a node with a million processes must still answer quickly).
    public init(runtime: Runtime, processRows: Int = 25, treeNodes: Int = 200) {
        self.runtime = runtime
        self.processRows = processRows
        self.treeNodes = treeNodes
    }

    public func dashboardSection() -> DashboardSection {
        let statistics = runtime.nodeStatistics()
        var figures: [DashboardSection.Figure] = [
            .init(label: "processes", value: NumberFormatting.grouped(statistics.processCount), number: Double(statistics.processCount)),
            .init(label: "messages/s", value: NumberFormatting.grouped(Int(statistics.messagesPerSecond)), number: statistics.messagesPerSecond),
            .init(label: "memory (RSS)", value: NumberFormatting.bytes(OwnProcess.residentBytes()), number: Double(OwnProcess.residentBytes())),
            .init(label: "run queues", value: statistics.runQueueLengths.map(String.init).joined(separator: " / ")),
        ]
        let ordinary = statistics.runQueueLengths.count
        for (index, share) in statistics.workerUtilisation.enumerated() {
            let label = index < ordinary ? "worker \(index) busy" : "blocking \(index - ordinary) busy"
            figures.append(.init(label: label, value: "\(Int((share * 100).rounded()))%", number: share * 100))
        }
        figures += [
            .init(label: "spawned", value: NumberFormatting.grouped(statistics.spawned)),
            .init(label: "crashed", value: NumberFormatting.grouped(statistics.crashed)),
            .init(label: "restarts", value: NumberFormatting.grouped(statistics.restarts)),
            .init(label: "long handlers", value: NumberFormatting.grouped(statistics.longRuns)),
            .init(label: "mailbox overflows", value: NumberFormatting.grouped(statistics.mailboxOverflows)),
        ]
        let busiest = runtime.snapshots()
            .sorted { ($0.mailboxLength, $0.messagesHandled) > ($1.mailboxLength, $1.messagesHandled) }
            .prefix(processRows)
        let table = DashboardSection.Table(
            title: "Busiest processes",
            columns: ["process", "name", "behaviour", "mailbox", "handled", "memory", "links", "monitors", "parent"],
            rows: busiest.map { process in
                [
                    "\(process.id)", process.name ?? "", process.kind, "\(process.mailboxLength)",
                    "\(process.messagesHandled)", NumberFormatting.bytes(process.memoryEstimate),
                    "\(process.links.count)", "\(process.monitors.count)", process.parent.map { "\($0)" } ?? "",
                ]
            })
        var budget = treeNodes
        func convert(_ node: SupervisionTreeNode) -> DashboardSection.TreeNode? {
            guard budget > 0 else { return nil }
            budget -= 1
            let process = node.process
            let label = "\(process.name ?? "\(process.id)") · \(process.kind) · mailbox \(process.mailboxLength)"
            let shown = node.children.compactMap(convert)
            var children = shown
            if shown.count < node.children.count {
                children.append(.init(label: "… \(node.children.count - shown.count) more"))
            }
            return .init(label: label, children: children)
        }
        let trees = runtime.supervisionTree().compactMap(convert)
        return DashboardSection(title: "Runtime", figures: figures, tables: [table], trees: trees)
    }
}
