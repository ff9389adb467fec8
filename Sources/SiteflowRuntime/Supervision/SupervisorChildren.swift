/// A static supervisor's children in start order, with an index from running process to child:
/// a value type with no I/O. Static supervisors have few children, so order-keeping operations
/// are linear; finding the child of an exit signal is a dictionary lookup.
struct SupervisorChildren {
    struct Child {
        var spec: ChildSpec
        var process: ProcessID?
    }

    /// In start order (children added later come last).
    private(set) var list: [Child] = []
    private var byProcess: [ProcessID: String] = [:]

    func index(of id: String) -> Int? {
        list.firstIndex { $0.spec.id == id }
    }

    /// The id of the child running as `process`, if any.
    func childID(of process: ProcessID) -> String? {
        byProcess[process]
    }

    func contains(_ id: String) -> Bool { index(of: id) != nil }

    subscript(id: String) -> Child? {
        index(of: id).map { list[$0] }
    }

    /// Adds a specification at the end (not running).
    mutating func append(_ spec: ChildSpec) {
        list.append(Child(spec: spec, process: nil))
    }

    /// Records that the child `id` runs as `process` (nil: not running).
    mutating func setProcess(_ process: ProcessID?, for id: String) {
        guard let index = index(of: id) else { return }
        if let old = list[index].process { byProcess[old] = nil }
        list[index].process = process
        if let process { byProcess[process] = id }
    }

    mutating func remove(_ id: String) {
        guard let index = index(of: id) else { return }
        if let old = list[index].process { byProcess[old] = nil }
        list.remove(at: index)
    }

    /// The ids a restart of `id` concerns under `strategy`, in start order.
    func restartGroup(of id: String, strategy: SupervisorStrategy) -> [String] {
        guard let index = index(of: id) else { return [] }
        switch strategy.code {
        case .oneForOne: return [id]
        case .oneForAll: return list.map(\.spec.id)
        case .restForOne: return list[index...].map(\.spec.id)
        }
    }

    var infos: [ChildInfo] {
        list.map { ChildInfo(id: $0.spec.id, process: $0.process, type: $0.spec.type, restart: $0.spec.restart) }
    }

    var counts: ChildCounts {
        let supervisors = list.count { $0.spec.type == .supervisor }
        return ChildCounts(
            specs: list.count, active: byProcess.count, supervisors: supervisors, workers: list.count - supervisors)
    }
}
