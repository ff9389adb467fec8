/// One versioned schema change, written for each database. Applied in version order at start-up,
/// each in its own transaction, and recorded in `siteflow_schema_migrations`; an applied version
/// is never run again.
struct SchemaMigration: Sendable {
    /// Increasing version number.
    let version: Int
    /// A short name for logs and the migrations table.
    let name: String
    /// Statements for SQLite.
    let sqlite: [String]
    /// Statements for PostgreSQL.
    let postgres: [String]

    /// Every migration, in order. Append new ones; never edit an applied one.
    static let all: [SchemaMigration] = [
        SchemaMigration(
            version: 1, name: "chat",
            sqlite: [
                "CREATE TABLE siteflow_rooms (name TEXT PRIMARY KEY NOT NULL, inserted_at INTEGER NOT NULL)",
                """
                CREATE TABLE siteflow_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, \
                nickname TEXT NOT NULL, body TEXT NOT NULL, inserted_at INTEGER NOT NULL, idempotency_key TEXT)
                """,
                "CREATE UNIQUE INDEX siteflow_messages_idempotency ON siteflow_messages (room, idempotency_key)",
                "CREATE INDEX siteflow_messages_room_id ON siteflow_messages (room, id)",
            ],
            postgres: [
                "CREATE TABLE siteflow_rooms (name TEXT PRIMARY KEY, inserted_at BIGINT NOT NULL)",
                """
                CREATE TABLE siteflow_messages (id BIGSERIAL PRIMARY KEY, room TEXT NOT NULL, \
                nickname TEXT NOT NULL, body TEXT NOT NULL, inserted_at BIGINT NOT NULL, idempotency_key TEXT)
                """,
                "CREATE UNIQUE INDEX siteflow_messages_idempotency ON siteflow_messages (room, idempotency_key)",
                "CREATE INDEX siteflow_messages_room_id ON siteflow_messages (room, id)",
            ]),
        SchemaMigration(
            version: 2, name: "jobs",
            sqlite: [
                """
                CREATE TABLE siteflow_jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, \
                kind TEXT NOT NULL, args TEXT NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL, \
                max_attempts INTEGER NOT NULL, priority INTEGER NOT NULL, run_at INTEGER NOT NULL, \
                inserted_at INTEGER NOT NULL, attempted_at INTEGER, attempted_by TEXT, lease_until INTEGER, \
                finished_at INTEGER)
                """,
                "CREATE INDEX siteflow_jobs_fetch ON siteflow_jobs (queue, state, priority, run_at, id)",
                "CREATE INDEX siteflow_jobs_lease ON siteflow_jobs (queue, state, lease_until)",
                "CREATE INDEX siteflow_jobs_finished ON siteflow_jobs (state, finished_at)",
                """
                CREATE TABLE siteflow_job_errors (job_id INTEGER NOT NULL, attempt INTEGER NOT NULL, \
                at INTEGER NOT NULL, error TEXT NOT NULL, PRIMARY KEY (job_id, attempt))
                """,
                """
                CREATE TABLE siteflow_job_uniques (key TEXT PRIMARY KEY NOT NULL, job_id INTEGER, \
                expires_at INTEGER NOT NULL)
                """,
            ],
            postgres: [
                """
                CREATE TABLE siteflow_jobs (id BIGSERIAL PRIMARY KEY, queue TEXT NOT NULL, \
                kind TEXT NOT NULL, args TEXT NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL, \
                max_attempts INTEGER NOT NULL, priority INTEGER NOT NULL, run_at BIGINT NOT NULL, \
                inserted_at BIGINT NOT NULL, attempted_at BIGINT, attempted_by TEXT, lease_until BIGINT, \
                finished_at BIGINT)
                """,
                "CREATE INDEX siteflow_jobs_fetch ON siteflow_jobs (queue, state, priority, run_at, id)",
                "CREATE INDEX siteflow_jobs_lease ON siteflow_jobs (queue, state, lease_until)",
                "CREATE INDEX siteflow_jobs_finished ON siteflow_jobs (state, finished_at)",
                """
                CREATE TABLE siteflow_job_errors (job_id BIGINT NOT NULL, attempt INTEGER NOT NULL, \
                at BIGINT NOT NULL, error TEXT NOT NULL, PRIMARY KEY (job_id, attempt))
                """,
                """
                CREATE TABLE siteflow_job_uniques (key TEXT PRIMARY KEY, job_id BIGINT, \
                expires_at BIGINT NOT NULL)
                """,
            ]),
        // Messages without an idempotency key (what the chat page sends) no longer go into the
        // unique index: each keyed entry lands wherever its key sorts, so 1,000 senders dirtied
        // about one index page per message; keyless ones only cost room-ordered appends.
        SchemaMigration(
            version: 3, name: "keyed messages only in the idempotency index",
            sqlite: [
                "DROP INDEX siteflow_messages_idempotency",
                """
                CREATE UNIQUE INDEX siteflow_messages_idempotency ON siteflow_messages (room, idempotency_key) \
                WHERE idempotency_key IS NOT NULL
                """,
            ],
            postgres: [
                "DROP INDEX siteflow_messages_idempotency",
                """
                CREATE UNIQUE INDEX siteflow_messages_idempotency ON siteflow_messages (room, idempotency_key) \
                WHERE idempotency_key IS NOT NULL
                """,
            ]),
        // An idempotency key belongs to its sender: scoped per room only, one user's key answered
        // another user's message with the first one's id and dropped it (an acknowledged message
        // lost). The index stays partial (keyless messages stay out of it, as in version 3).
        // Existing rows are unique per (room, key), so they are unique per (room, sender, key).
        SchemaMigration(
            version: 4, name: "idempotency keys scoped to the sender",
            sqlite: [
                "DROP INDEX siteflow_messages_idempotency",
                """
                CREATE UNIQUE INDEX siteflow_messages_idempotency ON siteflow_messages (room, nickname, idempotency_key) \
                WHERE idempotency_key IS NOT NULL
                """,
            ],
            postgres: [
                "DROP INDEX siteflow_messages_idempotency",
                """
                CREATE UNIQUE INDEX siteflow_messages_idempotency ON siteflow_messages (room, nickname, idempotency_key) \
                WHERE idempotency_key IS NOT NULL
                """,
            ]),
        // Held chat nicknames (ADR 0013): the claim registry writes through to this table, so a
        // restart keeps every nickname held by its claim. A new table: existing data is untouched.
        SchemaMigration(
            version: 5, name: "nickname claims",
            sqlite: [
                "CREATE TABLE siteflow_nickname_claims (nickname_key TEXT PRIMARY KEY NOT NULL, claim_id TEXT NOT NULL)",
            ],
            postgres: [
                "CREATE TABLE siteflow_nickname_claims (nickname_key TEXT PRIMARY KEY, claim_id TEXT NOT NULL)",
            ]),
    ]
}
