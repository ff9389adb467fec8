/// Every acknowledged push's round trip (its last send → its `{"id"}` reply), kept with the
/// instant it was sent, so that percentiles can be taken over any window afterwards (the 10 s
/// before a disruption, the 10 s after recovery), over all client processes.
public struct RoundTripSamples: Sendable, Codable, Equatable {
    /// When each push was (last) sent, monotonic ns.
    public private(set) var sentAt: [UInt64] = []
    /// Its round trip, µs.
    public private(set) var micros: [UInt64] = []

    /// No samples.
    public init() {}

    /// Records one round trip.
    public mutating func record(sentAt instant: UInt64, micros value: UInt64) {
        sentAt.append(instant)
        micros.append(value)
    }

    /// Adds another process's samples.
    public mutating func add(_ other: RoundTripSamples) {
        sentAt += other.sentAt
        micros += other.micros
    }

    /// How many samples there are.
    public var count: Int { sentAt.count }

    /// The `percentile` (0…100) of the round trips of pushes sent in `from..<to`, in µs, and the
    /// number of samples; `nil` without samples there.
    public func percentile(_ percentile: Double, from: UInt64, to: UInt64) -> (micros: UInt64, samples: Int)? {
        var values: [UInt64] = []
        for index in sentAt.indices where sentAt[index] >= from && sentAt[index] < to {
            values.append(micros[index])
        }
        guard !values.isEmpty else { return nil }
        values.sort()
        let rank = Int((percentile / 100 * Double(values.count)).rounded(.up))
        return (values[min(values.count - 1, max(0, rank - 1))], values.count)
    }
}
