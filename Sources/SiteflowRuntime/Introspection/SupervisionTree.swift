/// One process in the supervision tree and the processes it supervises.
public struct SupervisionTreeNode: Sendable {
    /// The process.
    public let process: ProcessSnapshot
    /// The processes whose parent it is, in no particular order.
    public let children: [SupervisionTreeNode]
}

extension Runtime {
    /// The supervision tree: every live process that has children or a parent, arranged under
    /// its parent; roots are processes without a live parent. Processes that have neither
    /// parent nor children are left out (there can be millions).
    public func supervisionTree() -> [SupervisionTreeNode] {
        let all = snapshots()
        var children: [ProcessID: [ProcessSnapshot]] = [:]
        for snapshot in all {
            if let parent = snapshot.parent, parent.isAlive { children[parent, default: []].append(snapshot) }
        }
        func build(_ snapshot: ProcessSnapshot, depth: Int) -> SupervisionTreeNode {
            let kids = depth < 64 ? (children[snapshot.id] ?? []).map { build($0, depth: depth + 1) } : []
            return SupervisionTreeNode(process: snapshot, children: kids)
        }
        return all
            .filter { snapshot in
                let hasLiveParent = snapshot.parent.map { $0.isAlive } ?? false
                return !hasLiveParent && children[snapshot.id] != nil
            }
            .map { build($0, depth: 0) }
    }
}
