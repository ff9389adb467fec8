/// Why a benchmark run could not be made (bad arguments, a failed spawn, a failed call).
public struct BenchmarkError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for the person running the benchmark.
    public var description: String

    /// Creates an error with its message.
    public init(_ description: String) {
        self.description = description
    }
}
