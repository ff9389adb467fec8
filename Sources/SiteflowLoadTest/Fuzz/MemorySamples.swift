import Synchronization

/// The node's RSS as sampled during a campaign: the first sample and the largest.
final class MemorySamples: Sendable {
    private let samples = Mutex<(first: Int?, peak: Int?)>((nil, nil))

    /// Records one sample (bytes).
    func record(_ bytes: Int) {
        samples.withLock { samples in
            if samples.first == nil { samples.first = bytes }
            samples.peak = max(samples.peak ?? 0, bytes)
        }
    }

    /// The first sample.
    var first: Int? { samples.withLock { $0.first } }
    /// The largest sample.
    var peak: Int? { samples.withLock { $0.peak } }
}
