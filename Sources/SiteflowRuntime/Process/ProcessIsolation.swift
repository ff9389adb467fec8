/// Where a process's code runs (``SpawnOptions/isolation``).
///
/// - ``none``: in this OS process, like every process (the default). A trap in its handler (a
///   force unwrap of nil, an overflow, a failed precondition) ends the whole OS process.
/// - ``osProcess``: in a worker OS process of its own, as Erlang's ports isolate foreign code.
///   The node holds an ordinary process (a proxy) with a normal ``ProcessID`` that forwards
///   calls, casts and info messages to the worker over a socket pair; a trap ends only the
///   worker, and the proxy exits with an ``IsolatedProcessError`` that carries the signal and the
///   worker's backtrace, so links, monitors and supervisors see it like any other crash.
public enum ProcessIsolation: Sendable, Hashable {
    /// In this OS process, like every process (the default).
    case none
    /// In a worker OS process of its own, behind a proxy process in this one.
    case osProcess
}
