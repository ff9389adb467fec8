import Synchronization

/// A value behind its own `Mutex`, as a class so that arrays of locks (shards) can be built.
final class Locked<Value>: Sendable where Value: ~Copyable {
    private let mutex: Mutex<Value>

    init(_ value: consuming sending Value) { mutex = Mutex(value) }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    func withLock<R, E: Error>(_ body: (inout sending Value) throws(E) -> sending R) throws(E) -> sending R {
        try mutex.withLock(body)
    }
}
