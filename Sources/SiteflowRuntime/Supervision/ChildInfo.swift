/// One child as seen by ``SupervisorRef/whichChildren()`` (OTP's `which_children`): a snapshot.
public struct ChildInfo: Sendable, Hashable {
    /// The child's ``ChildSpec/id``.
    public var id: String
    /// The running process, or nil when the child is not running (terminated, ended without
    /// restart, or waiting for a restart to be tried again).
    public var process: ProcessID?
    /// Worker or supervisor.
    public var type: ChildType
    /// The child's restart policy.
    public var restart: RestartPolicy

    /// Creates a snapshot; see each property.
    public init(id: String, process: ProcessID?, type: ChildType, restart: RestartPolicy) {
        self.id = id
        self.process = process
        self.type = type
        self.restart = restart
    }
}
