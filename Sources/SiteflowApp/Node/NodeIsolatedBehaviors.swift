public import SiteflowRuntime

/// The servers a node may run isolated in a worker OS process, by name. The node's runtime gets
/// this catalogue (``NodeConfiguration/isolation``), and so does the `siteflow isolated-worker`
/// subcommand a worker runs: one function, so both sides always agree.
public enum NodeIsolatedBehaviors {
    /// The name ``IsolatedFaultTarget`` is registered under.
    public static let faultTarget = "siteflow.fault_target"

    /// The catalogue (a new value at each use; nothing global changes).
    public static var catalogue: IsolatedBehaviors {
        IsolatedBehaviors().registering(IsolatedFaultTarget.self, as: faultTarget)
    }
}
