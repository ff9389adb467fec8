public import Foundation
import Logging
import NIOCore
import PostgresNIO
public import ServiceLifecycle
import Synchronization
public import SiteflowRuntime

/// The ``Store`` on PostgreSQL, through PostgresNIO's connection pool.
///
/// Its connections live while ``run()`` runs: the store is a `Service` that a `ServiceGroup`
/// runs (a node's group, ADR 0014), or that ``withStore(endpoint:configuration:_:)`` runs for the
/// length of one call. Create it, run it, then ``open()`` it (migrations); operations issued while
/// it does not run wait for a connection and fail with `unavailable` after the timeout.
///
/// Jobs are claimed with `FOR UPDATE SKIP LOCKED`, so several nodes claim from one queue without
/// blocking each other or claiming the same job. When the server is unreachable every operation
/// fails within ``StoreConfiguration/operationTimeout`` with ``StoreError/Code/unavailable``; the
/// pool reconnects by itself once the server is back.
public final class PostgresStore: MessageStore, JobStore, Service {
    /// The store's time source.
    public let clock: any RuntimeClock
    /// The limits applied to messages.
    public let limits: MessageLimits
    /// The server this store talks to.
    public let endpoint: PostgresEndpoint
    private let client: PostgresClient
    /// Finished by ``close()``: ends ``run()``.
    private let closing: (stream: AsyncStream<Never>, continuation: AsyncStream<Never>.Continuation)
    private let timeout: Duration
    private let logger: Logger
    private let closed = Atomic<Bool>(false)

    /// Creates a store for `endpoint` without connecting: it connects once ``run()`` runs.
    public init(endpoint: PostgresEndpoint, configuration: StoreConfiguration = StoreConfiguration()) {
        self.clock = configuration.clock
        self.limits = configuration.limits
        self.endpoint = endpoint
        self.timeout = configuration.operationTimeout
        self.logger = configuration.logger
        self.closing = AsyncStream<Never>.makeStream()
        var postgres = PostgresClient.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.username, password: endpoint.password,
            database: endpoint.database, tls: .disable)
        postgres.options.maximumConnections = max(1, configuration.maxConnections)
        postgres.options.connectTimeout = min(configuration.operationTimeout, .seconds(2))
        postgres.options.keepAliveBehavior = .init(frequency: .seconds(10))
        self.client = PostgresClient(configuration: postgres, backgroundLogger: configuration.logger)
    }

    /// Runs the connection pool until the store is closed (``close()``), its group shuts down
    /// gracefully, or the task is cancelled; the store is closed when it returns. Call it once.
    public func run() async {
        let client = self.client
        let closing = self.closing.stream
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            group.addTask { for await _ in closing {} }
            _ = await group.next()
            group.cancelAll()
        }
        closed.store(true, ordering: .relaxed)
        self.closing.continuation.finish()
    }

    /// Runs pending migrations (one migrator at a time across nodes); ``run()`` must run.
    /// - Throws: ``StoreError`` `unavailable` if the server cannot be reached within the
    ///   operation timeout, `openFailed` if it refuses the login or database, `migrationFailed`.
    public func open() async throws(StoreError) {
        try await migrate(SchemaMigration.all)
    }

    /// Applies only `migrations` (tests use a prefix to build an older schema).
    func open(migrations: [SchemaMigration]) async throws(StoreError) {
        try await migrate(migrations)
    }

    /// Runs `body` with an open store whose connections run in a child task for the length of
    /// the call (for tools and tests outside a node's `ServiceGroup`); closes the store after.
    /// - Throws: what ``open()`` or `body` throws.
    public static func withStore<Result>(
        endpoint: PostgresEndpoint, configuration: StoreConfiguration = StoreConfiguration(),
        _ body: (PostgresStore) async throws -> Result
    ) async throws -> Result {
        let store = PostgresStore(endpoint: endpoint, configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            do {
                try await store.open()
                let result = try await body(store)
                await store.close()
                try await group.waitForAll()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    }

    private func migrate(_ migrations: [SchemaMigration]) async throws(StoreError) {
        do {
            try await transaction { connection, logger in
                // One migrator at a time across nodes.
                try await connection.query("SELECT pg_advisory_xact_lock(7438291)", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS siteflow_schema_migrations (version INTEGER PRIMARY KEY, \
                    name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                    """, logger: logger)
                var applied = Set<Int>()
                for try await version in try await connection.query(
                    "SELECT version FROM siteflow_schema_migrations", logger: logger
                ).decode(Int.self) {
                    applied.insert(version)
                }
                for migration in migrations where !applied.contains(migration.version) {
                    for statement in migration.postgres {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        """
                        INSERT INTO siteflow_schema_migrations (version, name, applied_at) \
                        VALUES (\(migration.version), \(migration.name), \(Date().storeMicros))
                        """, logger: logger)
                }
            }
        } catch where error.code == .unavailable || error.code == .closed {
            throw error
        } catch {
            if let underlying = error.underlying as? PSQLError, let state = underlying.serverInfo?[.sqlState],
                state.hasPrefix("28") || state == "3D000"
            {
                throw StoreError(.openFailed, "PostgreSQL refused \(endpoint): \(error.reason)", underlying: underlying)
            }
            throw StoreError(.migrationFailed, "PostgreSQL migration failed on \(endpoint): \(error.reason)", underlying: error)
        }
    }

    /// Runs `statements` (raw SQL, trusted) in one transaction; tests write rows of an older
    /// schema with it, which the current insert statements no longer match.
    func execute(trustedSQL statements: [String]) async throws(StoreError) {
        try await transaction { connection, logger in
            for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
        }
    }

    /// The versions of the applied migrations, in order.
    public func appliedMigrations() async throws(StoreError) -> [Int] {
        try await transaction { connection, logger in
            var versions: [Int] = []
            for try await version in try await connection.query(
                "SELECT version FROM siteflow_schema_migrations ORDER BY version", logger: logger
            ).decode(Int.self) {
                versions.append(version)
            }
            return versions
        }
    }

    // MARK: Access

    /// Runs `body` in a transaction on a pooled connection, failing with `unavailable` if the
    /// server cannot be reached within the timeout. With `atomic: false` the body runs without
    /// BEGIN/COMMIT (two round trips fewer), for a body whose only write is a single statement.
    private func transaction<T: Sendable>(
        atomic: Bool = true,
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws(StoreError) -> T {
        guard !closed.load(ordering: .relaxed) else { throw StoreError(.closed, "the store is closed") }
        let client = self.client
        let logger = self.logger
        let timeout = self.timeout
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        guard atomic else { return try await body(connection, logger) }
                        try await connection.query("BEGIN", logger: logger)
                        do {
                            let value = try await body(connection, logger)
                            try await connection.query("COMMIT", logger: logger)
                            return value
                        } catch {
                            _ = try? await connection.query("ROLLBACK", logger: logger)
                            throw error
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw StoreError(.unavailable, "PostgreSQL at \(endpoint.host):\(endpoint.port) did not answer within \(timeout)")
                }
                return value
            }
        } catch {
            throw map(error)
        }
    }

    private func map(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            if error.code == .server {
                let state = error.serverInfo?[.sqlState] ?? ""
                let message = error.serverInfo?[.message] ?? "server error"
                // 08: connection exception; 57P: operator intervention (shutdown); 53: resources.
                if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") {
                    return StoreError(.unavailable, "PostgreSQL unavailable: \(message) (\(state))", underlying: error)
                }
                return StoreError(.queryFailed, "PostgreSQL: \(message) (\(state))", underlying: error)
            }
            return StoreError(.unavailable, "PostgreSQL connection failed: \(error.code)", underlying: error)
        }
        return StoreError(.unavailable, "PostgreSQL unavailable: \(error)", underlying: error)
    }

    // MARK: Writes

    public func commit(_ transaction: StoreTransaction) async throws(StoreError) -> TransactionResult {
        if let error = transaction.validationError { throw error }
        let operations = transaction.operations
        let now = clock.date().storeMicros
        var roomSet = Set<String>()
        var pending: [NewMessage] = []
        var hasJobs = false
        pending.reserveCapacity(operations.count)
        for operation in operations {
            switch operation {
            case .room(let name):
                roomSet.insert(name)
            case .message(let message):
                roomSet.insert(message.room)
                pending.append(message)
            case .job:
                hasJobs = true
            }
        }
        let rooms = Array(roomSet)
        let messages = pending
        // Messages and their rooms go in one statement; a batch without jobs (the message
        // writer's) therefore needs no BEGIN/COMMIT: one round trip per group commit.
        return try await self.transaction(atomic: hasJobs) { connection, logger in
            var result = TransactionResult()
            if messages.isEmpty, !rooms.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO siteflow_rooms (name, inserted_at) SELECT unnest(\(rooms)::text[]), \(now) \
                    ON CONFLICT (name) DO NOTHING
                    """, logger: logger)
            }
            result.messages = try await Self.insertMessages(messages, rooms: rooms, now: now, connection: connection, logger: logger)
            for operation in operations {
                if case .job(let job) = operation {
                    result.jobs.append(try await Self.insertJob(job, now: now, connection: connection, logger: logger))
                }
            }
            return result
        }
    }

    /// Inserts messages with one statement (arrays unnested server-side), then looks up the
    /// originals of any idempotency-key conflicts.
    private static func insertMessages(
        _ messages: [NewMessage], rooms roomNames: [String], now: Int64, connection: PostgresConnection, logger: Logger
    ) async throws -> [ChatMessage] {
        guard !messages.isEmpty else { return [] }
        var indexes: [Int] = []
        var rooms: [String] = []
        var nicknames: [String] = []
        var bodies: [String] = []
        var keys: [String] = []
        indexes.reserveCapacity(messages.count)
        for (index, message) in messages.enumerated() {
            indexes.append(index)
            rooms.append(message.room)
            nicknames.append(message.nickname)
            bodies.append(message.body)
            keys.append(message.idempotencyKey ?? "")  // validation refuses empty keys
        }
        var results = [ChatMessage?](repeating: nil, count: messages.count)
        let rows = try await connection.query(
            """
            WITH new_rooms AS (INSERT INTO siteflow_rooms (name, inserted_at) \
            SELECT unnest(\(roomNames)::text[]), \(now) ON CONFLICT (name) DO NOTHING) \
            INSERT INTO siteflow_messages (room, nickname, body, inserted_at, idempotency_key) \
            SELECT r, n, b, \(now), NULLIF(k, '') FROM unnest(\(indexes)::bigint[], \(rooms)::text[], \(nicknames)::text[], \
            \(bodies)::text[], \(keys)::text[]) WITH ORDINALITY AS t(i, r, n, b, k, o) ORDER BY o \
            ON CONFLICT (room, nickname, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING \
            RETURNING id, room, nickname, idempotency_key
            """, logger: logger)
        // Without a key a message never conflicts; match returned ids to inputs in order.
        var returned: [(Int64, String, String, String?)] = []
        for try await row in rows.decode((Int64, String, String, String?).self) { returned.append(row) }
        returned.sort { $0.0 < $1.0 }
        var byKey: [String: [Int64]] = [:]
        var keyless: [String: [Int64]] = [:]
        for (id, room, sender, key) in returned {
            if let key {
                byKey[keyedComposite(room: room, sender: sender, key: key), default: []].append(id)
            } else {
                keyless[room, default: []].append(id)
            }
        }
        var missing: [Int] = []
        for (index, message) in messages.enumerated() {
            let id: Int64?
            if let key = message.idempotencyKey {
                let composite = keyedComposite(room: message.room, sender: message.nickname, key: key)
                id = byKey[composite]?.first
                if id != nil { byKey[composite]?.removeFirst() }
            } else {
                id = keyless[message.room]?.first
                if id != nil { keyless[message.room]?.removeFirst() }
            }
            if let id {
                results[index] = ChatMessage(
                    id: id, room: message.room, nickname: message.nickname, body: message.body,
                    insertedAt: Date(storeMicros: now), idempotencyKey: message.idempotencyKey)
            } else {
                missing.append(index)
            }
        }
        if !missing.isEmpty {
            // Retried keys: fetch the originals in one query.
            let missingRooms = missing.map { messages[$0].room }
            let missingSenders = missing.map { messages[$0].nickname }
            let missingKeys = missing.map { messages[$0].idempotencyKey ?? "" }
            var originals: [String: ChatMessage] = [:]
            for try await row in try await connection.query(
                """
                SELECT m.id, m.room, m.nickname, m.body, m.inserted_at, m.idempotency_key FROM siteflow_messages m \
                JOIN unnest(\(missingRooms)::text[], \(missingSenders)::text[], \(missingKeys)::text[]) AS x(r, n, k) \
                ON m.room = x.r AND m.nickname = x.n AND m.idempotency_key = x.k
                """, logger: logger
            ).decode((Int64, String, String, String, Int64, String?).self) {
                originals[keyedComposite(room: row.1, sender: row.2, key: row.5 ?? "")] = ChatMessage(
                    id: row.0, room: row.1, nickname: row.2, body: row.3, insertedAt: Date(storeMicros: row.4),
                    idempotencyKey: row.5)
            }
            for index in missing {
                let message = messages[index]
                results[index] = originals[
                    keyedComposite(room: message.room, sender: message.nickname, key: message.idempotencyKey ?? "")]
            }
        }
        return try results.map { message in
            guard let message else { throw StoreError(.queryFailed, "a message conflicted on its idempotency key but was not found") }
            return message
        }
    }

    /// One dictionary key for a keyed message's scope: room, sender and idempotency key, each
    /// ended by a NUL (which validation keeps out of names and keys).
    private static func keyedComposite(room: String, sender: String, key: String) -> String {
        room + "\u{0}" + sender + "\u{0}" + key
    }

    private static func insertJob(_ job: NewJob, now: Int64, connection: PostgresConnection, logger: Logger) async throws -> JobInsertion {
        if let unique = job.unique {
            let expires = unique.period.map { now + Int64($0.timeInterval * 1_000_000) } ?? Int64.max
            var claimed = false
            for try await _ in try await connection.query(
                """
                INSERT INTO siteflow_job_uniques (key, job_id, expires_at) VALUES (\(unique.key), NULL, \(expires)) \
                ON CONFLICT (key) DO UPDATE SET job_id = NULL, expires_at = excluded.expires_at \
                WHERE siteflow_job_uniques.expires_at <= \(now) RETURNING key
                """, logger: logger
            ).decode(String.self) {
                claimed = true
            }
            if !claimed {
                var existing: Int64?
                for try await id in try await connection.query(
                    "SELECT job_id FROM siteflow_job_uniques WHERE key = \(unique.key)", logger: logger
                ).decode(Int64?.self) {
                    existing = id
                }
                return .duplicate(existing)
            }
        }
        let runAt = job.runAt?.storeMicros ?? now
        var inserted: Int64?
        for try await id in try await connection.query(
            """
            INSERT INTO siteflow_jobs (queue, kind, args, state, attempt, max_attempts, priority, run_at, inserted_at) \
            VALUES (\(job.queue), \(job.kind), \(job.args), 'available', 0, \(job.maxAttempts), \(job.priority), \
            \(runAt), \(now)) RETURNING id
            """, logger: logger
        ).decode(Int64.self) {
            inserted = id
        }
        guard let id = inserted else { throw StoreError(.queryFailed, "job insert returned no id") }
        if let unique = job.unique {
            try await connection.query(
                "UPDATE siteflow_job_uniques SET job_id = \(id) WHERE key = \(unique.key)", logger: logger)
        }
        return .inserted(id)
    }

    // MARK: Reads

    public func rooms() async throws(StoreError) -> [String] {
        try await transaction { connection, logger in
            var names: [String] = []
            for try await name in try await connection.query(
                "SELECT name FROM siteflow_rooms ORDER BY name", logger: logger
            ).decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    public func history(room: String, limit: Int, from cursor: MessageCursor?) async throws(StoreError) -> HistoryPage {
        guard (1...1000).contains(limit) else { throw StoreError(.invalidArgument, "history limit must be 1…1000, got \(limit)") }
        let newer = cursor?.direction == .newer
        let afterID = cursor?.id ?? 0
        let beforeID = cursor?.beforeID ?? Int64.max
        return try await transaction { connection, logger in
            let query: PostgresQuery =
                newer
                ? """
                SELECT id, room, nickname, body, inserted_at, idempotency_key FROM siteflow_messages \
                WHERE room = \(room) AND id > \(afterID) ORDER BY id ASC LIMIT \(limit + 1)
                """
                : """
                SELECT id, room, nickname, body, inserted_at, idempotency_key FROM siteflow_messages \
                WHERE room = \(room) AND id < \(beforeID) ORDER BY id DESC LIMIT \(limit + 1)
                """
            var messages: [ChatMessage] = []
            for try await row in try await connection.query(query, logger: logger)
                .decode((Int64, String, String, String, Int64, String?).self)
            {
                messages.append(
                    ChatMessage(
                        id: row.0, room: row.1, nickname: row.2, body: row.3, insertedAt: Date(storeMicros: row.4),
                        idempotencyKey: row.5))
            }
            let more = messages.count > limit
            var page = Array(messages.prefix(limit))
            if newer {
                return HistoryPage(messages: page, olderCursor: nil, newerCursor: more ? page.last.map { MessageCursor(afterID: $0.id) } : nil)
            }
            page.reverse()
            return HistoryPage(messages: page, olderCursor: more ? page.first?.cursor : nil)
        }
    }

    // MARK: Jobs

    private static let jobColumns = """
        id, kind, args, queue, state, attempt, max_attempts, priority, run_at, inserted_at, attempted_at, \
        attempted_by, lease_until, finished_at
        """

    private static func jobRecords(_ rows: PostgresRowSequence) async throws -> [JobRecord] {
        var records: [JobRecord] = []
        for try await row in rows.decode(
            (Int64, String, String, String, String, Int, Int, Int, Int64, Int64, Int64?, String?, Int64?, Int64?).self)
        {
            records.append(
                JobRecord(
                    id: row.0, kind: row.1, args: row.2, queue: row.3, state: JobState(stored: row.4) ?? .discarded,
                    attempt: row.5, maxAttempts: row.6, priority: row.7, runAt: Date(storeMicros: row.8),
                    insertedAt: Date(storeMicros: row.9), attemptedAt: row.10.map(Date.init(storeMicros:)),
                    attemptedBy: row.11, leaseUntil: row.12.map(Date.init(storeMicros:)),
                    finishedAt: row.13.map(Date.init(storeMicros:)), errors: []))
        }
        return records
    }

    public func claimJobs(queue: String, limit: Int, node: String, now: Date, leaseUntil: Date) async throws(StoreError) -> [JobRecord] {
        guard limit > 0 else { return [] }
        let now = now.storeMicros
        let lease = leaseUntil.storeMicros
        return try await transaction { connection, logger in
            // Rescue jobs whose node stopped heartbeating: record the lost attempt, then make the
            // job available again (or discard it if it has no attempts left).
            try await connection.query(
                """
                WITH expired AS (SELECT id FROM siteflow_jobs WHERE queue = \(queue) AND state = 'executing' \
                AND lease_until < \(now) FOR UPDATE SKIP LOCKED), \
                lost AS (INSERT INTO siteflow_job_errors (job_id, attempt, at, error) \
                SELECT j.id, j.attempt, \(now), 'lease expired: node ' || coalesce(j.attempted_by, '?') || \
                ' stopped heartbeating' FROM siteflow_jobs j JOIN expired e ON e.id = j.id ON CONFLICT DO NOTHING) \
                UPDATE siteflow_jobs j SET \
                state = CASE WHEN j.attempt >= j.max_attempts THEN 'discarded' ELSE 'available' END, \
                finished_at = CASE WHEN j.attempt >= j.max_attempts THEN \(now) ELSE NULL END, lease_until = NULL \
                FROM expired e WHERE j.id = e.id
                """, logger: logger)
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE siteflow_jobs SET state = 'executing', attempt = attempt + 1, attempted_at = $1, \
                        attempted_by = $2, lease_until = $3 WHERE id IN (SELECT id FROM siteflow_jobs \
                        WHERE queue = $4 AND state = 'available' AND run_at <= $1 ORDER BY priority, run_at, id \
                        LIMIT $5 FOR UPDATE SKIP LOCKED) RETURNING \(Self.jobColumns)
                        """,
                    binds: Self.binds(now, node, lease, queue, limit)),
                logger: logger)
            return try await Self.jobRecords(rows).sorted {
                ($0.priority, $0.runAt, $0.id) < ($1.priority, $1.runAt, $1.id)
            }
        }
    }

    private static func binds(_ now: Int64, _ node: String, _ lease: Int64, _ queue: String, _ limit: Int) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(now)
        bindings.append(node)
        bindings.append(lease)
        bindings.append(queue)
        bindings.append(limit)
        return bindings
    }

    public func extendLeases(_ leases: [JobLease], until: Date) async throws(StoreError) -> Int {
        guard !leases.isEmpty else { return 0 }
        let until = until.storeMicros
        let ids = leases.map(\.jobID)
        let attempts = leases.map(\.attempt)
        let nodes = leases.map(\.node)
        return try await transaction { connection, logger in
            var extended = 0
            for try await _ in try await connection.query(
                """
                UPDATE siteflow_jobs j SET lease_until = \(until) FROM unnest(\(ids)::bigint[], \(attempts)::bigint[], \
                \(nodes)::text[]) AS l(id, attempt, node) WHERE j.id = l.id AND j.attempt = l.attempt \
                AND j.attempted_by = l.node AND j.state = 'executing' RETURNING j.id
                """, logger: logger
            ).decode(Int64.self) {
                extended += 1
            }
            return extended
        }
    }

    public func completeJob(_ lease: JobLease, at: Date) async throws(StoreError) -> Bool {
        let at = at.storeMicros
        return try await transaction { connection, logger in
            var changed = false
            for try await _ in try await connection.query(
                """
                UPDATE siteflow_jobs SET state = 'completed', finished_at = \(at), lease_until = NULL \
                WHERE id = \(lease.jobID) AND attempt = \(lease.attempt) AND attempted_by = \(lease.node) \
                AND state = 'executing' RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                changed = true
            }
            return changed
        }
    }

    public func completeJobs(_ leases: [JobLease], at: Date) async throws(StoreError) -> Int {
        guard !leases.isEmpty else { return 0 }
        let at = at.storeMicros
        let ids = leases.map(\.jobID)
        let attempts = leases.map(\.attempt)
        let nodes = leases.map(\.node)
        return try await transaction { connection, logger in
            var completed = 0
            for try await _ in try await connection.query(
                """
                UPDATE siteflow_jobs j SET state = 'completed', finished_at = \(at), lease_until = NULL \
                FROM unnest(\(ids)::bigint[], \(attempts)::bigint[], \(nodes)::text[]) AS l(id, attempt, node) \
                WHERE j.id = l.id AND j.attempt = l.attempt AND j.attempted_by = l.node AND j.state = 'executing' \
                RETURNING j.id
                """, logger: logger
            ).decode(Int64.self) {
                completed += 1
            }
            return completed
        }
    }

    public func failJob(_ lease: JobLease, error: String, at: Date, retryAt: Date?) async throws(StoreError) -> Bool {
        let at = at.storeMicros
        let retry = retryAt?.storeMicros
        let text = String(error.prefix(4000)).replacingOccurrences(of: "\0", with: "")
        return try await transaction { connection, logger in
            var changed = false
            let rows: PostgresRowSequence
            if let retry {
                rows = try await connection.query(
                    """
                    UPDATE siteflow_jobs SET state = 'available', run_at = \(retry), lease_until = NULL \
                    WHERE id = \(lease.jobID) AND attempt = \(lease.attempt) AND attempted_by = \(lease.node) \
                    AND state = 'executing' RETURNING id
                    """, logger: logger)
            } else {
                rows = try await connection.query(
                    """
                    UPDATE siteflow_jobs SET state = 'discarded', finished_at = \(at), lease_until = NULL \
                    WHERE id = \(lease.jobID) AND attempt = \(lease.attempt) AND attempted_by = \(lease.node) \
                    AND state = 'executing' RETURNING id
                    """, logger: logger)
            }
            for try await _ in rows.decode(Int64.self) { changed = true }
            guard changed else { return false }
            try await connection.query(
                """
                INSERT INTO siteflow_job_errors (job_id, attempt, at, error) \
                VALUES (\(lease.jobID), \(lease.attempt), \(at), \(text)) \
                ON CONFLICT (job_id, attempt) DO UPDATE SET at = excluded.at, error = excluded.error
                """, logger: logger)
            return true
        }
    }

    public func job(id: Int64) async throws(StoreError) -> JobRecord? {
        try await transaction { connection, logger in
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: "SELECT \(Self.jobColumns) FROM siteflow_jobs WHERE id = $1",
                    binds: { var b = PostgresBindings(capacity: 1); b.append(id); return b }()),
                logger: logger)
            guard var record = try await Self.jobRecords(rows).first else { return nil }
            for try await row in try await connection.query(
                "SELECT attempt, at, error FROM siteflow_job_errors WHERE job_id = \(id) ORDER BY attempt", logger: logger
            ).decode((Int, Int64, String).self) {
                record.errors.append(JobAttemptError(attempt: row.0, at: Date(storeMicros: row.1), error: row.2))
            }
            return record
        }
    }

    public func jobs(queue: String?) async throws(StoreError) -> [JobRecord] {
        try await transaction { connection, logger in
            var binds = PostgresBindings(capacity: 1)
            binds.append(queue)
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: "SELECT \(Self.jobColumns) FROM siteflow_jobs WHERE $1::text IS NULL OR queue = $1 ORDER BY id",
                    binds: binds),
                logger: logger)
            return try await Self.jobRecords(rows)
        }
    }

    public func pruneJobs(finishedBefore cutoff: Date) async throws(StoreError) -> Int {
        let cutoff = cutoff.storeMicros
        return try await transaction { connection, logger in
            try await connection.query(
                """
                DELETE FROM siteflow_job_errors WHERE job_id IN (SELECT id FROM siteflow_jobs \
                WHERE state IN ('completed', 'discarded') AND finished_at < \(cutoff))
                """, logger: logger)
            var pruned = 0
            for try await _ in try await connection.query(
                """
                DELETE FROM siteflow_jobs WHERE state IN ('completed', 'discarded') AND finished_at < \(cutoff) RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                pruned += 1
            }
            try await connection.query("DELETE FROM siteflow_job_uniques WHERE expires_at < \(cutoff)", logger: logger)
            return pruned
        }
    }

    public func nicknameClaims() async throws(StoreError) -> [NicknameClaimRecord] {
        try await transaction(atomic: false) { connection, logger in
            var claims: [NicknameClaimRecord] = []
            for try await (key, claimID) in try await connection.query(
                "SELECT nickname_key, claim_id FROM siteflow_nickname_claims", logger: logger
            ).decode((String, String).self) {
                claims.append(NicknameClaimRecord(key: key, claimID: claimID))
            }
            return claims
        }
    }

    public func saveNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError) {
        try await transaction(atomic: false) { connection, logger in
            _ = try await connection.query(
                """
                INSERT INTO siteflow_nickname_claims (nickname_key, claim_id) VALUES (\(claim.key), \(claim.claimID)) \
                ON CONFLICT (nickname_key) DO UPDATE SET claim_id = excluded.claim_id
                """, logger: logger)
        }
    }

    public func trimHistory(room: String, keepNewest: Int, insertedBefore: Date?, limit: Int) async throws(StoreError) -> Int {
        guard keepNewest >= 0, limit >= 1 else {
            throw StoreError(.invalidArgument, "trimHistory needs keepNewest >= 0 and limit >= 1, got \(keepNewest) and \(limit)")
        }
        let cutoff = insertedBefore?.storeMicros ?? Int64.min
        return try await transaction(atomic: false) { connection, logger in
            var trimmed = 0
            for try await _ in try await connection.query(
                """
                DELETE FROM siteflow_messages WHERE id IN (SELECT id FROM siteflow_messages \
                WHERE room = \(room) AND (id <= COALESCE((SELECT id FROM siteflow_messages WHERE room = \(room) \
                ORDER BY id DESC LIMIT 1 OFFSET \(keepNewest)), -1) OR inserted_at < \(cutoff)) ORDER BY id LIMIT \(limit)) RETURNING id
                """, logger: logger
            ).decode(Int64.self) {
                trimmed += 1
            }
            return trimmed
        }
    }

    public func deleteNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError) {
        try await transaction(atomic: false) { connection, logger in
            _ = try await connection.query(
                "DELETE FROM siteflow_nickname_claims WHERE nickname_key = \(claim.key) AND claim_id = \(claim.claimID)",
                logger: logger)
        }
    }

    /// Closes the store: later operations throw `closed`, and ``run()`` ends its connections.
    public func close() async {
        closed.store(true, ordering: .relaxed)
        closing.continuation.finish()
    }
}
