/// Siteflow's whole persistence, chat history and durable jobs, on SQLite or PostgreSQL: a
/// ``MessageStore`` and a ``JobStore`` in one database, so one ``StoreTransaction`` may hold
/// both a message and the job it causes.
///
/// Both implementations (``SQLiteStore``, ``PostgresStore``) pass the same behavioural test
/// suite. Open one with ``StoreFactory/withStore(_:configuration:_:)``, or as ``SQLiteStore`` or ``PostgresStore``. Components take the narrower
/// protocol they need.
public typealias Store = MessageStore & JobStore
