#if canImport(Glibc)
import Glibc
#endif

/// The wall-clock time of day, for the raw results file.
enum ClockTime {
    /// Now, as `HH:MM:SS` UTC.
    static var now: String {
        var seconds = time(nil)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "??:??:??" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
