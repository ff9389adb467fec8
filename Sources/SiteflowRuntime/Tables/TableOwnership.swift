/// Something the runtime can close when the process that owns it ends (like an ETS table, which
/// is deleted with its owner).
public protocol ProcessOwnedResource: AnyObject, Sendable {
    /// Releases the resource; later operations on it fail with a typed error. Idempotent.
    func close()
}

extension SharedTable: ProcessOwnedResource {}
extension OrderedSharedTable: ProcessOwnedResource {}
extension TTLCache: ProcessOwnedResource {}
extension RateLimiter: ProcessOwnedResource {}

extension Runtime {
    /// Ties `resource` to `owner`: it is closed when `owner` ends (at once if it already has).
    /// Returns the resource, so creation and ownership read as one expression:
    /// `let table = runtime.own(SharedTable<String, Int>(), by: pid.id)`.
    @discardableResult
    public func own<Resource: ProcessOwnedResource>(_ resource: Resource, by owner: ProcessID) -> Resource {
        owner.core.addExitHook { [weak resource] _, _ in resource?.close() }
        return resource
    }
}

extension ProcessContext {
    /// Ties `resource` to this process: it is closed when this process ends.
    @discardableResult
    public func own<Resource: ProcessOwnedResource>(_ resource: Resource) -> Resource {
        runtime.own(resource, by: id)
    }
}
