import Synchronization
public import SiteflowRealtime
public import SiteflowRuntime
public import SiteflowStore
public import SiteflowRuntime

/// Who holds which nickname (ADR 0013): a nickname is held by the identity that claimed it, and
/// only that identity may join, post or appear in presence under it.
///
/// - A join for a free nickname claims it: the registry records a new random claim id and issues
///   a token signing (claim id, nickname) with the node's secret key.
/// - A join for a held nickname is granted only to a connection that already holds it (another
///   room of the same connection) or that presents a valid, unexpired token of that claim; any
///   other join is refused `nickname taken`. Nicknames compare case-insensitively.
/// - A presented token must be valid: forged, tampered, expired or other-nickname tokens are
///   refused (the page then forgets the token and claims afresh).
/// - A claim nobody holds (its last channel ended) is released after ``Policy/grace``, so a
///   reconnect with the token gets the nickname back and nobody takes it meanwhile. A valid token
///   for a free nickname (released, or the node restarted) claims it again under the same id.
/// - The registry is bounded (``Policy/maxClaims``, ``Policy/maxPerConnection``); refusals at a
///   bound are counted as ``SocketStatistics/Counter/nicknameClaimLimitRefusals``.
///
/// The registry lives in memory and writes through to the store (``NicknameClaimRecord``, in
/// order, off the join path, from the process ``writerSpec(id:name:)`` describes):
/// ``load(from:secret:policy:statistics:)`` restores every claim after a restart, each held for
/// a new grace period, so its holder reconnects with the token and nobody else takes it
/// meanwhile (ADR 0013).
public final class NicknameClaims: Sendable {
    /// The registry's bounds and timings.
    public struct Policy: Sendable {
        /// How long a nickname stays held after the last channel holding it ended.
        public var grace: Duration
        /// How long an issued token is accepted (each join issues a fresh one).
        public var tokenLifetime: Duration
        /// The most nicknames held at once on the node.
        public var maxClaims: Int
        /// The most nicknames one connection may hold at once.
        public var maxPerConnection: Int
        /// The clock that stamps tokens and times the grace period (tests move it).
        public var clock: any RuntimeClock

        /// A policy; the defaults hold a nickname 2 minutes past its last channel, accept a
        /// token for 7 days, and allow 100,000 claims on the node (the default connection limit) and 8 per connection.
        public init(grace: Duration = .seconds(120), tokenLifetime: Duration = .seconds(7 * 24 * 3600),
                    maxClaims: Int = 100_000, maxPerConnection: Int = 8, clock: any RuntimeClock = SystemClock()) {
            self.grace = grace
            self.tokenLifetime = tokenLifetime
            self.maxClaims = maxClaims
            self.maxPerConnection = maxPerConnection
            self.clock = clock
        }
    }

    /// Why a claim was refused (the text of the join refusal).
    public enum Refusal: String, Error, Sendable {
        /// Another identity holds the nickname.
        case taken = "nickname taken"
        /// The presented token is malformed, forged or for another nickname.
        case invalidToken = "invalid nickname token"
        /// The presented token is older than the token lifetime.
        case expiredToken = "nickname token expired"
        /// The node holds its most nicknames.
        case full = "too many nicknames held on this server; try again later"
        /// The connection holds its most nicknames.
        case tooManyForConnection = "too many nicknames on this connection"
    }

    /// A granted claim: the token to present next time, and the holding to release when the
    /// channel ends.
    public struct Grant: Sendable {
        /// The signed token for (claim id, nickname).
        public let token: String
        /// What ``release(_:)`` takes.
        public let holding: Holding
    }

    /// One channel's hold on a nickname.
    public struct Holding: Sendable, Hashable {
        let key: String
        let claimID: String
        let connection: String
    }

    private struct Claim {
        let claimID: String
        /// Channels holding the claim, per connection.
        var holders: [String: Int] = [:]
        /// When the last holder left (ms), if none holds it now.
        var idleSince: Int64?
    }

    private struct State {
        var claims: [String: Claim] = [:]
        var perConnection: [String: Int] = [:]
        /// When the table was last swept for released claims (ms; at most once a second, so
        /// joins refused at the cap do not each scan the whole table).
        var lastSweep: Int64 = 0
        /// Store writes not yet taken by the writer process, in the order the registry changed.
        var journal: [JournalEntry] = []
        /// Whether the writer was woken and has not yet found the journal empty.
        var writing = false
    }

    private let signer: TokenSigner
    private let policy: Policy
    private let statistics: SocketStatistics?
    private let graceMillis: Int64
    private let state = Mutex(State())
    /// Where changes are written (nil: not persisted).
    private let store: (any MessageStore)?
    /// The most unwritten changes held; past it the newest are dropped (a dropped save is
    /// recovered by its token; a dropped delete leaves a row released at its next load).
    private let journalBound: Int
    /// The writer process of the latest (re)start.
    private let writer = Mutex<ServerRef<NicknameClaimWriter>?>(nil)

    private enum JournalEntry: Sendable {
        case save(NicknameClaimRecord)
        case delete(NicknameClaimRecord)
    }

    /// A registry signing with `secret` (the node's secret key); refusals at a bound counted
    /// in `statistics`.
    /// Not persisted: a restart forgets every claim (tokens then reclaim free nicknames).
    public convenience init(secret: some Sequence<UInt8>, policy: Policy = Policy(), statistics: SocketStatistics? = nil) {
        self.init(secret: secret, policy: policy, statistics: statistics, store: nil, restoring: [])
    }

    /// A registry holding every claim `store` kept (each in a new grace period) and writing its
    /// changes through to `store`.
    /// - Throws: ``StoreError`` if the claims cannot be read (the node does not start without them).
    public static func load(from store: any MessageStore, secret: some Sequence<UInt8>, policy: Policy = Policy(),
                            statistics: SocketStatistics? = nil) async throws(StoreError) -> NicknameClaims {
        NicknameClaims(secret: secret, policy: policy, statistics: statistics, store: store, restoring: try await store.nicknameClaims())
    }

    private init(secret: some Sequence<UInt8>, policy: Policy, statistics: SocketStatistics?, store: (any MessageStore)?,
                 restoring records: [NicknameClaimRecord]) {
        self.signer = TokenSigner(secret: secret, salt: "nickname claim", clock: policy.clock)
        self.policy = policy
        self.statistics = statistics
        let (seconds, attoseconds) = policy.grace.components
        self.graceMillis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let now = policy.clock.wallClockMilliseconds()
        state.withLock { state in
            for record in records { state.claims[record.key] = Claim(claimID: record.claimID, idleSince: now) }
        }
        self.store = store
        self.journalBound = max(1024, policy.maxClaims)
    }

    /// The child specification of the process that writes this registry's changes to its store
    /// (kind `nickname_claim_writer`, registered under `name`). Changes queue (bounded) until it
    /// runs; a registry that is not persisted has nothing for it to write.
    ///
    /// The child is `transient`: ``close()`` ends it normally once the queued changes are
    /// written, and it stays down; killed or crashed, its supervisor starts a new one, which
    /// takes the queue over (a process is ended only between messages, so no change is half
    /// taken: the killed one had written what it took).
    public func writerSpec(id: String = "nickname_claim_writer", name: String? = nil) -> ChildSpec {
        ChildSpec(id: id, restart: .transient) { [self] context in
            let started = try await NicknameClaimWriter.start(
                NicknameClaimWriter(claims: self), runtime: context.runtime,
                options: context.spawnOptions(basedOn: SpawnOptions(name: name)))
            writer.withLock { $0 = started }
            let wake = state.withLock { state -> Bool in
                state.writing = !state.journal.isEmpty
                return state.writing
            }
            if wake { started.info(.write) }
            return started.id
        }
    }

    /// Waits until the changes queued so far are written (at once if no writer process runs:
    /// they stay queued).
    public func flush() async {
        let writer = writer.withLock { $0 }
        try? await writer?.call(.flush, timeout: nil)
    }

    /// Writes the queued changes, then ends the writer process (it is not restarted). Changes
    /// made afterwards stay in memory only.
    public func close() async {
        let writer = writer.withLock { $0 }
        try? await writer?.call(.close, timeout: nil)
    }

    /// The writer process's work: writes the queued changes in order until none is left (a
    /// failed write is dropped; see ``journalBound``).
    func writeJournal() async {
        guard let store else { return }
        while true {
            let entries = state.withLock { state -> [JournalEntry] in
                if state.journal.isEmpty { state.writing = false }
                defer { state.journal = [] }
                return state.journal
            }
            if entries.isEmpty { return }
            for entry in entries {
                switch entry {
                case .save(let record): try? await store.saveNicknameClaim(record)
                case .delete(let record): try? await store.deleteNicknameClaim(record)
                }
            }
        }
    }

    /// How many changes wait for the writer process (for tests and the dashboard).
    public var unwrittenCount: Int { state.withLock { $0.journal.count } }

    /// Queues `entry` for the store; true if the writer must be woken.
    private func record(_ entry: JournalEntry, in state: inout State) -> Bool {
        guard store != nil, state.journal.count < journalBound else { return false }
        state.journal.append(entry)
        if state.writing { return false }
        state.writing = true
        return true
    }

    private func wakeWriter() {
        writer.withLock { $0 }?.info(.write)
    }

    /// A new connection identity (what the socket assigns as ``connectionAssign``).
    public static func newConnectionID() -> String { randomID() }

    private static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<12).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// The socket assign naming the connection (shared by all its channels).
    public static let connectionAssign = "connection_id"

    /// Claims `nickname` for `connection`, presenting `token` if the client has one (see the
    /// type's description for when it is granted).
    public func claim(_ nickname: String, token: String?, connection: String) -> Result<Grant, Refusal> {
        let key = nickname.lowercased()
        var presentedClaim: String?
        if let token {
            do {
                let data = try signer.verify(token, maxAge: policy.tokenLifetime)
                guard let newline = data.firstIndex(of: "\n"), data[data.index(after: newline)...].lowercased() == key else {
                    return .failure(.invalidToken)
                }
                presentedClaim = String(data[..<newline])
            } catch {
                return .failure(error.code == .expired ? .expiredToken : .invalidToken)
            }
        }
        let now = policy.clock.wallClockMilliseconds()
        var wake = false
        let result: Result<String, Refusal> = state.withLock { state in
            if let claim = state.claims[key], isStale(claim, now: now) {
                state.claims[key] = nil
                if record(.delete(NicknameClaimRecord(key: key, claimID: claim.claimID)), in: &state) { wake = true }
            }
            let claimID: String
            if let claim = state.claims[key] {
                guard claim.holders[connection] != nil || presentedClaim == claim.claimID else { return .failure(.taken) }
                claimID = claim.claimID
                if claim.holders[connection] == nil {
                    guard state.perConnection[connection, default: 0] < policy.maxPerConnection else {
                        return .failure(.tooManyForConnection)
                    }
                }
            } else {
                guard state.perConnection[connection, default: 0] < policy.maxPerConnection else {
                    return .failure(.tooManyForConnection)
                }
                if state.claims.count >= policy.maxClaims, now - state.lastSweep >= 1000 {
                    state.lastSweep = now
                    for (staleKey, claim) in state.claims where isStale(claim, now: now) {
                        state.claims[staleKey] = nil
                        if record(.delete(NicknameClaimRecord(key: staleKey, claimID: claim.claimID)), in: &state) { wake = true }
                    }
                }
                guard state.claims.count < policy.maxClaims else { return .failure(.full) }
                claimID = presentedClaim ?? Self.randomID()
                state.claims[key] = Claim(claimID: claimID)
                if record(.save(NicknameClaimRecord(key: key, claimID: claimID)), in: &state) { wake = true }
            }
            if state.claims[key]?.holders[connection] == nil { state.perConnection[connection, default: 0] += 1 }
            state.claims[key]?.holders[connection, default: 0] += 1
            state.claims[key]?.idleSince = nil
            return .success(claimID)
        }
        if wake { wakeWriter() }
        switch result {
        case .success(let claimID):
            return .success(Grant(token: signer.sign(claimID + "\n" + nickname),
                                  holding: Holding(key: key, claimID: claimID, connection: connection)))
        case .failure(let refusal):
            if refusal == .full || refusal == .tooManyForConnection { statistics?.increment(.nicknameClaimLimitRefusals) }
            return .failure(refusal)
        }
    }

    /// Ends one channel's hold; when no channel holds the claim, its grace period starts.
    public func release(_ holding: Holding) {
        let now = policy.clock.wallClockMilliseconds()
        state.withLock { state in
            guard var claim = state.claims[holding.key], claim.claimID == holding.claimID,
                  let count = claim.holders[holding.connection] else { return }
            if count > 1 {
                claim.holders[holding.connection] = count - 1
            } else {
                claim.holders[holding.connection] = nil
                let left = state.perConnection[holding.connection, default: 1] - 1
                state.perConnection[holding.connection] = left > 0 ? left : nil
            }
            if claim.holders.isEmpty { claim.idleSince = now }
            state.claims[holding.key] = claim
        }
    }

    /// How many nicknames are held or within their grace period (for tests and the dashboard).
    public var count: Int {
        let now = policy.clock.wallClockMilliseconds()
        return state.withLock { state in state.claims.values.count { !isStale($0, now: now) } }
    }

    private func isStale(_ claim: Claim, now: Int64) -> Bool {
        guard let idleSince = claim.idleSince else { return false }
        return now - idleSince >= graceMillis
    }
}
