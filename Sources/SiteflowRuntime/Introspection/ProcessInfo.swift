import CSiteflowRuntime

/// A snapshot of one process, for dashboards and debugging (Erlang's `process_info/1`).
public struct ProcessSnapshot: Sendable, CustomStringConvertible {
    /// The process.
    public let id: ProcessID
    /// Its registered name, if any.
    public let name: String?
    /// Its behaviour: "gen_server", "supervisor", or the behaviour type's name.
    public let kind: String
    /// Messages waiting in its mailbox.
    public let mailboxLength: Int
    /// Messages it has handled so far.
    public let messagesHandled: UInt64
    /// Estimated bytes it holds: its object, its extras, and its queued message nodes.
    public let memoryEstimate: Int
    /// Processes it is linked to.
    public let links: [ProcessID]
    /// Processes it monitors.
    public let monitors: [ProcessID]
    /// Processes that monitor it.
    public let monitoredBy: [ProcessID]
    /// Its supervisor (or the process that spawned it linked), if any.
    public let parent: ProcessID?
    /// Whether it runs on the blocking pool.
    public let isBlocking: Bool
    /// Messages its bounded mailbox dropped or refused (0 when unbounded).
    public let mailboxOverflows: Int

    public var description: String {
        "\(id) \(name ?? "-") \(kind) mailbox=\(mailboxLength) handled=\(messagesHandled) memory=\(memoryEstimate)B"
    }
}

extension Runtime {
    /// Every live process (a snapshot; processes may end right after).
    public func processes() -> [ProcessID] {
        processTable.all().map(ProcessID.init)
    }

    /// A snapshot of `process`, or nil if it has ended.
    public func snapshot(of process: ProcessID) -> ProcessSnapshot? {
        let core = process.core
        guard core.isAlive else { return nil }
        let state = core.existingExtras?.state.withLock { state in
            (
                name: state.name, kind: state.kind,
                links: state.links.members.map(ProcessID.init),
                monitors: Array(state.monitoring.values).map(ProcessID.init),
                monitoredBy: Array(state.watchers.values).map(ProcessID.init),
                parent: state.parent.map(ProcessID.init),
                extraEntries: state.links.count + state.monitoring.count + state.watchers.count + state.exitHooks.count
            )
        }
        let queued = Swift.max(0, Int(core.pending.load(ordering: .relaxed)) + Int(core.fifoCount.load(ordering: .relaxed)))
        var memory = Self.allocationSize(of: core) + core.stateSize
        if let extras = core.existingExtras {
            memory += Self.allocationSize(of: extras) + (state?.extraEntries ?? 0) * 48
        }
        memory += queued * 48
        return ProcessSnapshot(
            id: process, name: state?.name, kind: state?.kind ?? core.behaviorName,
            mailboxLength: queued, messagesHandled: core.handledCount.load(ordering: .relaxed),
            memoryEstimate: memory, links: state?.links ?? [], monitors: state?.monitors ?? [],
            monitoredBy: state?.monitoredBy ?? [], parent: state?.parent,
            isBlocking: core.isBlocking,
            mailboxOverflows: core.bound?.overflowed.load(ordering: .relaxed) ?? 0)
    }

    /// Snapshots of every live process.
    public func snapshots() -> [ProcessSnapshot] {
        processes().compactMap { snapshot(of: $0) }
    }

    private static func allocationSize(of object: AnyObject) -> Int {
        let size = sf_allocation_size(Unmanaged.passUnretained(object).toOpaque())
        return size > 0 ? size : 64
    }
}

import Synchronization
