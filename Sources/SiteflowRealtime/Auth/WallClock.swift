#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall-clock time tokens are stamped with, in milliseconds since the Unix epoch. Injected
/// into ``TokenSigner`` so tests can move time.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A clock that reads `read` (milliseconds since the epoch).
    public init(_ read: @escaping @Sendable () -> Int64) { self.read = read }

    /// Milliseconds since the Unix epoch.
    public func milliseconds() -> Int64 { read() }

    /// The system's real-time clock.
    public static let system = WallClock {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
