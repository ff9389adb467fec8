/// Where a ``SocketOutput`` reports that its connection ended: the endpoint's registry of open
/// sockets, named by this protocol so the writing side needs nothing of the socket layer.
protocol SocketOutputRegistry: AnyObject, Sendable {
    /// Forgets the socket writing to `output` (idempotent).
    func remove(_ output: SocketOutput)
}
