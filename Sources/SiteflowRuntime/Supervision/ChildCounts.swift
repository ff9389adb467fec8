/// Counts of a supervisor's children (OTP's `count_children`): a snapshot.
public struct ChildCounts: Sendable, Hashable {
    /// Child specifications held, running or not.
    public var specs: Int
    /// Children whose process is running.
    public var active: Int
    /// Specifications of type ``ChildType/supervisor``, running or not.
    public var supervisors: Int
    /// Specifications of type ``ChildType/worker``, running or not.
    public var workers: Int

    /// Creates counts; see each property.
    public init(specs: Int, active: Int, supervisors: Int, workers: Int) {
        self.specs = specs
        self.active = active
        self.supervisors = supervisors
        self.workers = workers
    }
}
