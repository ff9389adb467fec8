/// The restarts a supervisor performed recently: a value type that answers "may I restart once
/// more?" according to a ``RestartIntensity``. Recording a restart costs amortised O(1), even
/// with a large `maxRestarts`: timestamps only grow (the clock is monotonic), so expired ones are
/// dropped from the front by moving an index.
struct RestartHistory: Sendable {
    let intensity: RestartIntensity
    /// Times of restarts, oldest first; those before `head` have left the window.
    private var timestamps: [Duration] = []
    private var head = 0

    init(intensity: RestartIntensity) {
        self.intensity = intensity
    }

    /// Restarts still inside the window as of the last ``recordRestart(at:)``.
    var count: Int { timestamps.count - head }

    /// Records a restart at `now`. Returns false when that restart exceeds the intensity (more
    /// than `maxRestarts` restarts with `now - t <= period`): the supervisor must give up.
    mutating func recordRestart(at now: Duration) -> Bool {
        timestamps.append(now)
        while head < timestamps.count && now - timestamps[head] > intensity.period {
            head += 1
        }
        if head > 32 && head * 2 > timestamps.count {
            timestamps.removeFirst(head)
            head = 0
        }
        return count <= intensity.maxRestarts
    }
}
