public import SiteflowRuntime
import Synchronization

/// Phoenix-compatible presence for one node: who is present on each topic, with per-process
/// metadata, replicated as a ``PresenceSet`` CRDT.
///
/// - ``track(_:topic:key:meta:)`` adds a meta with a fresh `phx_ref` and broadcasts
///   `presence_diff` `{"joins": {key: {"metas": [meta]}}, "leaves": {}}` on the topic;
/// - ``update(_:topic:key:meta:)`` replaces it: the new meta has a new `phx_ref` and
///   `phx_ref_prev`; the diff has the new meta in `joins` and the old one in `leaves`;
/// - ``untrack(_:topic:key:)`` and the death of the tracking process (watched through the
///   runtime) remove it, with a `leaves` diff;
/// - ``state(of:)`` is the `presence_state` payload a channel pushes after join.
///
/// Deltas for other nodes accumulate until ``takeDelta()``; deltas from them are applied with
/// ``merge(_:)``, which broadcasts the resulting diffs locally.
///
/// Work is linear: presences are indexed by owner and by topic, so tracking, untracking and an
/// owner's exit cost that owner's own entries, and ``state(of:)`` the topic's. The leaves of
/// owners that exit at the same time are coalesced into one `presence_diff` per topic (10,000
/// presences leaving 100 topics at once are 100 diffs, not 10,000).
public final class Presence: Sendable {
    struct State {
        var set: PresenceSet
        var pending: PresenceSet
        var dotsByOwner: [ProcessID: [Dot]] = [:]
        var nextRef: UInt64 = 0
        /// Leaves of exited owners not yet broadcast, by topic (in the order topics first left).
        var departures: [String: [PresenceEntry]] = [:]
        var departureTopics: [String] = []
        /// Whether a thread is broadcasting `departures` (it takes whatever others add meanwhile).
        var broadcastingDepartures = false
    }

    /// This node's name (tags its dots).
    public let node: String
    private let runtime: Runtime
    private let pubsub: PubSub
    private let state: Mutex<State>
    private let refPrefix: UInt64
    private let emptiedObservers = Mutex<[@Sendable (String) -> Void]>([])
    /// The process watching the owners, once ``watcherSpec(id:name:)`` started one (the latest
    /// of its restarts); without one, owners are watched through the runtime's exit hooks.
    private let watcher = Mutex<ServerRef<PresenceWatcher>?>(nil)

    /// Presence for `runtime`'s processes, broadcasting diffs through `pubsub`; `node` must be
    /// unique in the cluster.
    public init(runtime: Runtime, pubsub: PubSub, node: String = "local") {
        self.node = node
        self.runtime = runtime
        self.pubsub = pubsub
        self.state = Mutex(State(set: PresenceSet(replica: node), pending: PresenceSet(replica: node)))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the node name: refs differ between nodes
        for byte in node.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        self.refPrefix = hash << 32
    }

    private func ownerName(_ owner: ProcessID) -> String { "\(node)/\(owner.serial)" }

    /// Calls `observer` with a topic each time its last presence is removed, however the leave
    /// came: untracked here, its owner exited, a leave merged from another node (``merge(_:)``) or
    /// that node found down (``removeNode(_:)``); after the leave is broadcast. Observers run on
    /// the thread that removed it and must not block.
    public func whenTopicEmpties(_ observer: @escaping @Sendable (String) -> Void) {
        emptiedObservers.withLock { $0.append(observer) }
    }

    private func reportEmptied(_ topics: [String]) {
        guard !topics.isEmpty else { return }
        let observers = emptiedObservers.withLock { $0 }
        for topic in topics { for observer in observers { observer(topic) } }
    }

    /// Tracks `owner` as present under `key` on `topic`; returns the meta's `phx_ref`.
    @discardableResult
    public func track(_ owner: ProcessID, topic: String, key: String, meta: JSONObject = JSONObject()) -> String {
        let (ref, entry, watch) = state.withLock { state -> (String, PresenceEntry, Bool) in
            let ref = makeRef(&state)
            let entry = PresenceEntry(topic: topic, key: key, owner: ownerName(owner), meta: Self.meta(meta, ref: ref, previous: nil))
            let (dot, _) = state.set.add(entry)
            state.pending.absorbAddition(dot, entry)
            let watch = state.dotsByOwner[owner] == nil
            state.dotsByOwner[owner, default: []].append(dot)
            return (ref, entry, watch)
        }
        if watch {
            if let watcher = watcher.withLock({ $0 }) {
                // Dropped if the watcher is between restarts: the next one monitors every owner.
                watcher.info(.watch(owner))
            } else {
                runtime.onExit(of: owner) { [weak self] owner, _ in self?.ownerExited(owner) }
            }
        }
        broadcastDiff(topic: topic, joins: [entry], leaves: [])
        return ref
    }

    /// Replaces the meta of `owner`'s presence under `key` on `topic`; returns the new `phx_ref`,
    /// or `nil` if it was not tracked.
    @discardableResult
    public func update(_ owner: ProcessID, topic: String, key: String, meta: JSONObject) -> String? {
        let change = state.withLock { state -> (String, PresenceEntry, PresenceEntry)? in
            guard let dots = state.dotsByOwner[owner],
                let oldDot = dots.first(where: { state.set.entries[$0]?.topic == topic && state.set.entries[$0]?.key == key }),
                let old = state.set.entries[oldDot]
            else { return nil }
            let ref = makeRef(&state)
            let previous = old.meta["phx_ref"]?.stringValue
            let entry = PresenceEntry(topic: topic, key: key, owner: old.owner, meta: Self.meta(meta, ref: ref, previous: previous))
            state.set.remove(oldDot)
            state.pending.absorbRemoval(oldDot)
            let (dot, _) = state.set.add(entry)
            state.pending.absorbAddition(dot, entry)
            state.dotsByOwner[owner] = dots.filter { $0 != oldDot } + [dot]
            return (ref, entry, old)
        }
        guard let (ref, entry, old) = change else { return nil }
        broadcastDiff(topic: topic, joins: [entry], leaves: [old])
        return ref
    }

    /// Stops tracking `owner` under `key` on `topic`.
    public func untrack(_ owner: ProcessID, topic: String, key: String) {
        let left = state.withLock { state -> [PresenceEntry] in
            guard let dots = state.dotsByOwner[owner] else { return [] }
            var kept: [Dot] = []
            var left: [PresenceEntry] = []
            for dot in dots {
                if let entry = state.set.entries[dot], entry.topic == topic, entry.key == key {
                    state.set.remove(dot)
                    state.pending.absorbRemoval(dot)
                    left.append(entry)
                } else {
                    kept.append(dot)
                }
            }
            state.dotsByOwner[owner] = kept
            return left
        }
        if !left.isEmpty {
            broadcastDiff(topic: topic, joins: [], leaves: left)
            if state.withLock({ $0.set.dotsByTopic[topic] == nil }) { reportEmptied([topic]) }
        }
    }

    /// The child specification of the process that watches the owners (a server,
    /// registered under `name`): `permanent`; each (re)start monitors every owner present then.
    /// Without it, owners are watched through the runtime's exit hooks.
    public func watcherSpec(id: String = "presence", name: String? = nil) -> ChildSpec {
        .server(id: id, options: SpawnOptions(name: name)) { [self] in PresenceWatcher(presence: self) }
    }

    /// Makes `started` the watcher of owners tracked from now on (called by it as it starts,
    /// before it reads ``owners()``, so that every owner is watched by it one way or the other).
    func adopt(_ started: ServerRef<PresenceWatcher>) {
        watcher.withLock { $0 = started }
    }

    /// The processes that have presences now.
    func owners() -> [ProcessID] {
        state.withLock { Array($0.dotsByOwner.keys) }
    }

    /// Removes an exited owner's presences (O(its own entries)) and queues their leaves; the
    /// thread that finds no broadcast running broadcasts the queue, one diff per topic, until it is
    /// empty, taking along the leaves other exits add meanwhile.
    func ownerExited(_ owner: ProcessID) {
        let broadcasts = state.withLock { state -> Bool in
            for dot in state.dotsByOwner.removeValue(forKey: owner) ?? [] {
                guard let entry = state.set.entries[dot] else { continue }
                state.set.remove(dot)
                state.pending.absorbRemoval(dot)
                if state.departures[entry.topic] == nil { state.departureTopics.append(entry.topic) }
                state.departures[entry.topic, default: []].append(entry)
            }
            guard !state.broadcastingDepartures, !state.departureTopics.isEmpty else { return false }
            state.broadcastingDepartures = true
            return true
        }
        guard broadcasts else { return }
        while true {
            let batch = state.withLock { state -> [(topic: String, leaves: [PresenceEntry])] in
                let batch = state.departureTopics.map { (topic: $0, leaves: state.departures[$0] ?? []) }
                state.departureTopics = []
                state.departures = [:]
                if batch.isEmpty { state.broadcastingDepartures = false }
                return batch
            }
            if batch.isEmpty { return }
            for (topic, leaves) in batch { broadcastDiff(topic: topic, joins: [], leaves: leaves) }
            let emptied = state.withLock { state in batch.map(\.topic).filter { state.set.dotsByTopic[$0] == nil } }
            reportEmptied(emptied)
        }
    }

    /// The presences on `topic` as `presence_state` encodes them:
    /// `{key: {"metas": [meta, …]}, …}`, metas in the order they were added.
    public func state(of topic: String) -> JSONValue {
        let entries = state.withLock { $0.set.entries(of: topic).map(\.entry) }
        return Self.grouped(entries)
    }

    /// The presences on `topic` by key (metas include `phx_ref`).
    public func list(_ topic: String) -> [String: [JSONObject]] {
        let entries = state.withLock { $0.set.entries(of: topic).map(\.entry) }
        return Dictionary(grouping: entries, by: \.key).mapValues { $0.map(\.meta) }
    }

    /// The changes made here since the last call, for the cluster backplane (`nil`: none).
    public func takeDelta() -> PresenceSet? {
        state.withLock { state in
            guard !state.pending.entries.isEmpty || !state.pending.context.vector.isEmpty || !state.pending.context.cloud.isEmpty else {
                return nil
            }
            let delta = state.pending
            state.pending = PresenceSet(replica: node)
            return delta
        }
    }

    /// Applies a delta (or a full state) from another node and broadcasts the resulting diffs.
    /// A topic left empty by the merge is reported to ``whenTopicEmpties(_:)``'s observers.
    public func merge(_ delta: PresenceSet) {
        let (joins, leaves) = state.withLock { $0.set.merge(delta) }
        broadcastDiffs(joins: Array(joins.values), leaves: Array(leaves.values))
        reportEmptied(topicsEmptied(by: leaves.values))
    }

    /// Removes every presence of a node found down, broadcasting the leaves; a topic left empty is
    /// reported to ``whenTopicEmpties(_:)``'s observers.
    public func removeNode(_ node: String) {
        let gone = state.withLock { $0.set.removeReplica(node) }
        broadcastDiffs(joins: [], leaves: Array(gone.values))
        reportEmptied(topicsEmptied(by: gone.values))
    }

    /// The topics of `leaves` that hold no presence now, each once, sorted.
    private func topicsEmptied(by leaves: some Collection<PresenceEntry>) -> [String] {
        guard !leaves.isEmpty else { return [] }
        let topics = Set(leaves.map(\.topic))
        return state.withLock { state in topics.filter { state.set.dotsByTopic[$0] == nil } }.sorted()
    }

    private func broadcastDiffs(joins: [PresenceEntry], leaves: [PresenceEntry]) {
        let topics = Set(joins.map(\.topic)).union(leaves.map(\.topic))
        for topic in topics.sorted() {
            broadcastDiff(topic: topic, joins: joins.filter { $0.topic == topic }, leaves: leaves.filter { $0.topic == topic })
        }
    }

    private func broadcastDiff(topic: String, joins: [PresenceEntry], leaves: [PresenceEntry]) {
        let payload: JSONValue = ["joins": Self.grouped(joins), "leaves": Self.grouped(leaves)]
        pubsub.broadcast(topic: topic, event: "presence_diff", payload: .json(payload))
    }

    static func grouped(_ entries: [PresenceEntry]) -> JSONValue {
        var object = JSONObject()
        var order: [String] = []
        var metas: [String: [JSONValue]] = [:]
        for entry in entries {
            if metas[entry.key] == nil { order.append(entry.key) }
            metas[entry.key, default: []].append(.object(entry.meta))
        }
        for key in order {
            object.appendUnchecked(key, .object(JSONObject([(key: "metas", value: .array(metas[key] ?? []))])))
        }
        return .object(object)
    }

    static func meta(_ meta: JSONObject, ref: String, previous: String?) -> JSONObject {
        var result = JSONObject([(key: "phx_ref", value: .string(ref))])
        if let previous { result.appendUnchecked("phx_ref_prev", .string(previous)) }
        for (key, value) in meta where key != "phx_ref" && key != "phx_ref_prev" { result.appendUnchecked(key, value) }
        return result
    }

    private func makeRef(_ state: inout State) -> String {
        state.nextRef += 1
        let value = refPrefix | (state.nextRef & 0xFFFF_FFFF)
        return Base64URL.encode(withUnsafeBytes(of: value.bigEndian) { Array($0) })
    }
}
