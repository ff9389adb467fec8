/// Values a socket or channel keeps about its client (user id, role, …), set by `connect` and
/// `join`, like Phoenix's `socket.assigns`. Each channel gets a copy of the socket's assigns at
/// join and may change its own copy.
public struct Assigns: Sendable {
    private var storage: [String: any Sendable] = [:]

    /// No assigns.
    public init() {}

    /// Assigns from a dictionary.
    public init(_ values: [String: any Sendable]) { storage = values }

    /// The value for `key`, or `nil`; setting `nil` removes it.
    public subscript(key: String) -> (any Sendable)? {
        get { storage[key] }
        set { storage[key] = newValue }
    }

    /// The value for `key` if it has type `T`.
    public func get<T>(_ key: String, as type: T.Type = T.self) -> T? {
        storage[key] as? T
    }

    /// The keys present.
    public var keys: [String] { Array(storage.keys) }
}
