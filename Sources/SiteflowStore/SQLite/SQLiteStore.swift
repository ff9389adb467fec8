public import Foundation
import GRDB
import Synchronization
public import SiteflowRuntime

/// The default ``Store``: a SQLite file in WAL mode, through GRDB.
///
/// One writer connection (SQLite's single writer) and a pool of readers. Writes use
/// `synchronous = FULL`, so a committed transaction survives a crash of the process or the
/// machine. Jobs are claimed inside the single-writer transaction, so two claimers never
/// claim the same job.
public final class SQLiteStore: MessageStore, JobStore {
    /// The store's time source.
    public let clock: any RuntimeClock
    /// The limits applied to messages.
    public let limits: MessageLimits
    /// The database file's path.
    public let path: String
    private let pool: DatabasePool
    /// WAL pages after which a commit copies the WAL into the database file (SQLite's default
    /// is 1,000, 4 MB). The checkpoint stalls the single writer, and with a unique index on
    /// scattered idempotency keys (about two dirty pages per message) the default came every
    /// few group commits; at 10,000 pages (a WAL of up to about 40 MB) it comes a tenth as often.
    static let writerCheckpointPages = 10_000
    private let closed = Atomic<Bool>(false)

    /// Opens (or creates) the SQLite database at `path` and runs pending migrations.
    /// - Throws: ``StoreError`` `openFailed` if the file cannot be opened or created (missing
    ///   or unwritable directory, not a SQLite database), `migrationFailed` if a migration fails.
    public convenience init(path: String, configuration: StoreConfiguration = StoreConfiguration()) async throws(StoreError) {
        try await self.init(path: path, configuration: configuration, migrations: SchemaMigration.all)
    }

    /// Opens the database and applies only `migrations` (tests use a prefix to build an older schema).
    init(path: String, configuration: StoreConfiguration, migrations: [SchemaMigration]) async throws(StoreError) {
        self.clock = configuration.clock
        self.limits = configuration.limits
        self.path = path
        var grdb = Configuration()
        grdb.busyMode = .timeout(configuration.busyTimeout.timeInterval)
        grdb.label = "siteflow.store"
        do {
            pool = try DatabasePool(path: path, configuration: grdb)
            // Not in `prepareDatabase`: when GRDB turns WAL on it sets the writer connection to
            // `synchronous = NORMAL` afterwards, which would leave the last commits unsynced.
            try await pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.writerCheckpointPages)")
            }
            // Touch the schema: a file that is not a database fails here, not on first use.
            _ = try await pool.read { db in try Int.fetchOne(db, sql: "PRAGMA schema_version") }
        } catch {
            throw StoreError(.openFailed, "cannot open SQLite database at '\(path)': \(Self.describe(error))", underlying: error)
        }
        try await migrate(migrations)
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }

    private func migrate(_ migrations: [SchemaMigration]) async throws(StoreError) {
        do {
            try await pool.writeWithoutTransaction { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS siteflow_schema_migrations (version INTEGER PRIMARY KEY NOT NULL, \
                        name TEXT NOT NULL, applied_at INTEGER NOT NULL)
                        """)
                for migration in migrations {
                    try db.inTransaction(.immediate) {
                        let applied = try Int.fetchOne(
                            db, sql: "SELECT version FROM siteflow_schema_migrations WHERE version = ?",
                            arguments: [migration.version])
                        if applied == nil {
                            for statement in migration.sqlite { try db.execute(sql: statement) }
                            try db.execute(
                                sql: "INSERT INTO siteflow_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                arguments: [migration.version, migration.name, Date().storeMicros])
                        }
                        return .commit
                    }
                }
            }
        } catch {
            throw StoreError(.migrationFailed, "SQLite migration failed at '\(path)': \(Self.describe(error))", underlying: error)
        }
    }

    /// The writer connection's `PRAGMA synchronous` level (2: FULL, every commit is synced).
    func writerSynchronousLevel() async throws(StoreError) -> Int {
        try await write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// The writer connection's automatic checkpoint threshold, in WAL pages.
    func writerAutoCheckpointPages() async throws(StoreError) -> Int {
        try await write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1 }
    }

    /// SQLite's plan for looking up a stored message by room, sender and idempotency key (one line per step).
    func idempotencyLookupPlan() async throws(StoreError) -> [String] {
        try await read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(SQLiteMessageBatch.storedSQL)", arguments: ["room", "sender", "key"])
                .map { row in row["detail"] ?? "" }
        }
    }

    /// Runs `statements` (raw SQL, trusted) in one write transaction; tests write rows of an older
    /// schema with it, which the current insert statements no longer match.
    func execute(trustedSQL statements: [String]) async throws(StoreError) {
        try await write { db in for statement in statements { try db.execute(sql: statement) } }
    }

    /// The versions of the applied migrations, in order.
    public func appliedMigrations() async throws(StoreError) -> [Int] {
        try await read { db in try Int.fetchAll(db, sql: "SELECT version FROM siteflow_schema_migrations ORDER BY version") }
    }

    // MARK: Access

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        guard !closed.load(ordering: .relaxed) else { throw StoreError(.closed, "the store is closed") }
        do {
            return try await pool.write(body)
        } catch {
            throw Self.map(error)
        }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        guard !closed.load(ordering: .relaxed) else { throw StoreError(.closed, "the store is closed") }
        do {
            return try await pool.read(body)
        } catch {
            throw Self.map(error)
        }
    }

    private static func map(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_CANTOPEN, .SQLITE_READONLY:
                return StoreError(.unavailable, "SQLite: \(describe(error))", underlying: error)
            default:
                return StoreError(.queryFailed, "SQLite: \(describe(error))", underlying: error)
            }
        }
        return StoreError(.unavailable, "SQLite: \(error)", underlying: error)
    }

    // MARK: Writes

    public func commit(_ transaction: StoreTransaction) async throws(StoreError) -> TransactionResult {
        if let error = transaction.validationError { throw error }
        let operations = transaction.operations
        let now = clock.date().storeMicros
        var rooms: [String] = []
        var seenRooms = Set<String>()
        var messages: [NewMessage] = []
        var jobs: [NewJob] = []
        messages.reserveCapacity(operations.count)
        for operation in operations {
            switch operation {
            case .room(let name):
                if seenRooms.insert(name).inserted { rooms.append(name) }
            case .message(let message):
                // Consecutive messages mostly share a room: skip the set for a repeat.
                if rooms.last != message.room, seenRooms.insert(message.room).inserted { rooms.append(message.room) }
                messages.append(message)
            case .job(let job):
                jobs.append(job)
            }
        }
        return try await write { [rooms, messages, jobs] db in
            var result = TransactionResult()
            for room in rooms { try Self.insertRoom(room, now: now, db: db) }
            result.messages = try SQLiteMessageBatch.insert(messages, now: now, db: db)
            result.jobs.reserveCapacity(jobs.count)
            for job in jobs { result.jobs.append(try Self.insertJob(job, now: now, db: db)) }
            return result
        }
    }

    private static func insertRoom(_ name: String, now: Int64, db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO siteflow_rooms (name, inserted_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
        try statement.execute(arguments: [name, now])
    }

    private static let messageColumns =
        "SELECT id, room, nickname, body, inserted_at, idempotency_key FROM siteflow_messages"

    private static func chatMessage(_ row: Row) -> ChatMessage {
        ChatMessage(
            id: row[0], room: row[1], nickname: row[2], body: row[3], insertedAt: Date(storeMicros: row[4]),
            idempotencyKey: row[5])
    }

    private static func insertJob(_ job: NewJob, now: Int64, db: Database) throws -> JobInsertion {
        if let unique = job.unique {
            let expires = unique.period.map { now + Int64($0.timeInterval * 1_000_000) } ?? Int64.max
            let claimed = try String.fetchOne(
                db,
                sql: """
                    INSERT INTO siteflow_job_uniques (key, job_id, expires_at) VALUES (?, NULL, ?) \
                    ON CONFLICT (key) DO UPDATE SET job_id = NULL, expires_at = excluded.expires_at \
                    WHERE siteflow_job_uniques.expires_at <= ? RETURNING key
                    """,
                arguments: [unique.key, expires, now])
            if claimed == nil {
                let existing = try Int64?.fetchOne(
                    db, sql: "SELECT job_id FROM siteflow_job_uniques WHERE key = ?", arguments: [unique.key])
                return .duplicate(existing.flatMap { $0 })
            }
        }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO siteflow_jobs (queue, kind, args, state, attempt, max_attempts, priority, run_at, inserted_at) \
                VALUES (?, ?, ?, 'available', 0, ?, ?, ?, ?)
                """)
        try insert.execute(arguments: [
            job.queue, job.kind, job.args, job.maxAttempts, job.priority, job.runAt?.storeMicros ?? now, now,
        ])
        let id = db.lastInsertedRowID
        if let unique = job.unique {
            try db.execute(sql: "UPDATE siteflow_job_uniques SET job_id = ? WHERE key = ?", arguments: [id, unique.key])
        }
        return .inserted(id)
    }

    // MARK: Reads

    public func rooms() async throws(StoreError) -> [String] {
        try await read { db in try String.fetchAll(db, sql: "SELECT name FROM siteflow_rooms ORDER BY name") }
    }

    public func history(room: String, limit: Int, from cursor: MessageCursor?) async throws(StoreError) -> HistoryPage {
        guard (1...1000).contains(limit) else { throw StoreError(.invalidArgument, "history limit must be 1…1000, got \(limit)") }
        if let cursor, cursor.direction == .newer {
            return try await read { db in
                let rows = try Row.fetchAll(
                    db, sql: "\(Self.messageColumns) WHERE room = ? AND id > ? ORDER BY id ASC LIMIT ?",
                    arguments: [room, cursor.id, limit + 1])
                let messages = rows.prefix(limit).map(Self.chatMessage)
                let newer = rows.count > limit ? messages.last.map { MessageCursor(afterID: $0.id) } : nil
                return HistoryPage(messages: messages, olderCursor: nil, newerCursor: newer)
            }
        }
        let beforeID = cursor?.beforeID ?? Int64.max
        return try await read { db in
            let rows = try Row.fetchAll(
                db, sql: "\(Self.messageColumns) WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?",
                arguments: [room, beforeID, limit + 1])
            var messages = rows.prefix(limit).map(Self.chatMessage)
            messages.reverse()
            return HistoryPage(messages: messages, olderCursor: rows.count > limit ? messages.first?.cursor : nil)
        }
    }

    // MARK: Jobs

    private static let jobColumns = """
        id, kind, args, queue, state, attempt, max_attempts, priority, run_at, inserted_at, attempted_at, \
        attempted_by, lease_until, finished_at
        """

    private static func jobRecord(_ row: Row) -> JobRecord {
        let state: String = row[4]
        return JobRecord(
            id: row[0], kind: row[1], args: row[2], queue: row[3], state: JobState(stored: state) ?? .discarded,
            attempt: row[5], maxAttempts: row[6], priority: row[7], runAt: Date(storeMicros: row[8]),
            insertedAt: Date(storeMicros: row[9]), attemptedAt: (row[10] as Int64?).map(Date.init(storeMicros:)),
            attemptedBy: row[11], leaseUntil: (row[12] as Int64?).map(Date.init(storeMicros:)),
            finishedAt: (row[13] as Int64?).map(Date.init(storeMicros:)), errors: [])
    }

    public func claimJobs(queue: String, limit: Int, node: String, now: Date, leaseUntil: Date) async throws(StoreError) -> [JobRecord] {
        guard limit > 0 else { return [] }
        let now = now.storeMicros
        let lease = leaseUntil.storeMicros
        return try await write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO siteflow_job_errors (job_id, attempt, at, error) \
                    SELECT id, attempt, ?, 'lease expired: node ' || coalesce(attempted_by, '?') || ' stopped heartbeating' \
                    FROM siteflow_jobs WHERE queue = ? AND state = 'executing' AND lease_until < ?
                    """,
                arguments: [now, queue, now])
            try db.execute(
                sql: """
                    UPDATE siteflow_jobs SET \
                    state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'available' END, \
                    finished_at = CASE WHEN attempt >= max_attempts THEN ? ELSE NULL END, lease_until = NULL \
                    WHERE queue = ? AND state = 'executing' AND lease_until < ?
                    """,
                arguments: [now, queue, now])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE siteflow_jobs SET state = 'executing', attempt = attempt + 1, attempted_at = ?, \
                    attempted_by = ?, lease_until = ? WHERE id IN (SELECT id FROM siteflow_jobs WHERE queue = ? AND \
                    state = 'available' AND run_at <= ? ORDER BY priority, run_at, id LIMIT ?) \
                    RETURNING \(Self.jobColumns)
                    """,
                arguments: [now, node, lease, queue, now, limit])
            return rows.map(Self.jobRecord).sorted { ($0.priority, $0.runAt, $0.id) < ($1.priority, $1.runAt, $1.id) }
        }
    }

    public func extendLeases(_ leases: [JobLease], until: Date) async throws(StoreError) -> Int {
        guard !leases.isEmpty else { return 0 }
        let until = until.storeMicros
        return try await write { db in
            var extended = 0
            for lease in leases {
                try db.execute(
                    sql: """
                        UPDATE siteflow_jobs SET lease_until = ? WHERE id = ? AND attempt = ? AND attempted_by = ? \
                        AND state = 'executing'
                        """,
                    arguments: [until, lease.jobID, lease.attempt, lease.node])
                extended += db.changesCount
            }
            return extended
        }
    }

    public func completeJob(_ lease: JobLease, at: Date) async throws(StoreError) -> Bool {
        let at = at.storeMicros
        return try await write { db in
            try db.execute(
                sql: """
                    UPDATE siteflow_jobs SET state = 'completed', finished_at = ?, lease_until = NULL \
                    WHERE id = ? AND attempt = ? AND attempted_by = ? AND state = 'executing'
                    """,
                arguments: [at, lease.jobID, lease.attempt, lease.node])
            return db.changesCount > 0
        }
    }

    public func completeJobs(_ leases: [JobLease], at: Date) async throws(StoreError) -> Int {
        guard !leases.isEmpty else { return 0 }
        let at = at.storeMicros
        return try await write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE siteflow_jobs SET state = 'completed', finished_at = ?, lease_until = NULL \
                    WHERE id = ? AND attempt = ? AND attempted_by = ? AND state = 'executing'
                    """)
            var completed = 0
            for lease in leases {
                try statement.execute(arguments: [at, lease.jobID, lease.attempt, lease.node])
                completed += db.changesCount
            }
            return completed
        }
    }

    public func failJob(_ lease: JobLease, error: String, at: Date, retryAt: Date?) async throws(StoreError) -> Bool {
        let at = at.storeMicros
        let retry = retryAt?.storeMicros
        let text = String(error.prefix(4000)).replacingOccurrences(of: "\0", with: "")
        return try await write { db in
            if let retry {
                try db.execute(
                    sql: """
                        UPDATE siteflow_jobs SET state = 'available', run_at = ?, lease_until = NULL \
                        WHERE id = ? AND attempt = ? AND attempted_by = ? AND state = 'executing'
                        """,
                    arguments: [retry, lease.jobID, lease.attempt, lease.node])
            } else {
                try db.execute(
                    sql: """
                        UPDATE siteflow_jobs SET state = 'discarded', finished_at = ?, lease_until = NULL \
                        WHERE id = ? AND attempt = ? AND attempted_by = ? AND state = 'executing'
                        """,
                    arguments: [at, lease.jobID, lease.attempt, lease.node])
            }
            guard db.changesCount > 0 else { return false }
            try db.execute(
                sql: "INSERT OR REPLACE INTO siteflow_job_errors (job_id, attempt, at, error) VALUES (?, ?, ?, ?)",
                arguments: [lease.jobID, lease.attempt, at, text])
            return true
        }
    }

    public func job(id: Int64) async throws(StoreError) -> JobRecord? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.jobColumns) FROM siteflow_jobs WHERE id = ?", arguments: [id])
            else { return nil }
            var record = Self.jobRecord(row)
            record.errors = try Row.fetchAll(
                db, sql: "SELECT attempt, at, error FROM siteflow_job_errors WHERE job_id = ? ORDER BY attempt",
                arguments: [id]
            ).map { JobAttemptError(attempt: $0[0], at: Date(storeMicros: $0[1]), error: $0[2]) }
            return record
        }
    }

    public func jobs(queue: String?) async throws(StoreError) -> [JobRecord] {
        try await read { db in
            if let queue {
                return try Row.fetchAll(
                    db, sql: "SELECT \(Self.jobColumns) FROM siteflow_jobs WHERE queue = ? ORDER BY id", arguments: [queue]
                ).map(Self.jobRecord)
            }
            return try Row.fetchAll(db, sql: "SELECT \(Self.jobColumns) FROM siteflow_jobs ORDER BY id").map(Self.jobRecord)
        }
    }

    public func pruneJobs(finishedBefore cutoff: Date) async throws(StoreError) -> Int {
        let cutoff = cutoff.storeMicros
        return try await write { db in
            let finished = "SELECT id FROM siteflow_jobs WHERE state IN ('completed', 'discarded') AND finished_at < ?"
            try db.execute(sql: "DELETE FROM siteflow_job_errors WHERE job_id IN (\(finished))", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM siteflow_jobs WHERE id IN (\(finished))", arguments: [cutoff])
            let pruned = db.changesCount
            try db.execute(sql: "DELETE FROM siteflow_job_uniques WHERE expires_at < ?", arguments: [cutoff])
            return pruned
        }
    }

    public func trimHistory(room: String, keepNewest: Int, insertedBefore: Date?, limit: Int) async throws(StoreError) -> Int {
        guard keepNewest >= 0, limit >= 1 else {
            throw StoreError(.invalidArgument, "trimHistory needs keepNewest >= 0 and limit >= 1, got \(keepNewest) and \(limit)")
        }
        let cutoff = insertedBefore?.storeMicros ?? Int64.min
        return try await write { db in
            // The newest message beyond the kept ones (nil: the room holds no more than those).
            let lastTrimmed = try Int64.fetchOne(
                db, sql: "SELECT id FROM siteflow_messages WHERE room = ? ORDER BY id DESC LIMIT 1 OFFSET ?",
                arguments: [room, keepNewest]) ?? -1
            try db.execute(
                sql: """
                    DELETE FROM siteflow_messages WHERE id IN (SELECT id FROM siteflow_messages \
                    WHERE room = ? AND (id <= ? OR inserted_at < ?) ORDER BY id LIMIT ?)
                    """,
                arguments: [room, lastTrimmed, cutoff, limit])
            return db.changesCount
        }
    }

    public func nicknameClaims() async throws(StoreError) -> [NicknameClaimRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT nickname_key, claim_id FROM siteflow_nickname_claims").map { row in
                NicknameClaimRecord(key: row[0], claimID: row[1])
            }
        }
    }

    public func saveNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError) {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO siteflow_nickname_claims (nickname_key, claim_id) VALUES (?, ?) \
                    ON CONFLICT (nickname_key) DO UPDATE SET claim_id = excluded.claim_id
                    """, arguments: [claim.key, claim.claimID])
        }
    }

    public func deleteNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: "DELETE FROM siteflow_nickname_claims WHERE nickname_key = ? AND claim_id = ?",
                           arguments: [claim.key, claim.claimID])
        }
    }

    public func close() async {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        try? pool.close()
    }
}
