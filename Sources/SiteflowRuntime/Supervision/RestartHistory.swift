/// The restarts a supervisor performed recently: a value type that answers "may I restart once
/// more?" according to a ``RestartIntensity``. Holds at most `maxRestarts + 1` timestamps.
struct RestartHistory: Sendable {
    let intensity: RestartIntensity
    /// Times of the restarts still inside the window, oldest first.
    private(set) var timestamps: [Duration] = []

    init(intensity: RestartIntensity) {
        self.intensity = intensity
    }

    /// Records a restart at `now`. Returns false when that restart exceeds the intensity: the
    /// supervisor must give up.
    mutating func recordRestart(at now: Duration) -> Bool {
        timestamps.append(now)
        let firstInside = timestamps.firstIndex { now - $0 <= intensity.period } ?? timestamps.endIndex
        timestamps.removeFirst(firstInside)
        return timestamps.count <= intensity.maxRestarts
    }
}
