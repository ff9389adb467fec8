import CSiteflowRuntime
import Glibc

/// A node's side of the node supervisor: the crash notifier (on a fatal signal, close every
/// client connection at once and tell the supervisor, before Swift's backtracer runs), a stop
/// when the supervisor dies, and the "ready" notice once the node serves.
public struct SupervisorLink: Sendable {
    private let noticeDescriptor: CInt

    /// Links this node to the supervisor that writes notices to `noticeDescriptor` and handed it
    /// the listening socket `listeningDescriptor` (which the crash notifier takes out of the event
    /// loops' epoll sets, so a dying node stops accepting). The node gets SIGTERM (a drain) if the
    /// supervisor dies.
    /// - Throws: ``SupervisorError`` when a descriptor is not open or a handler cannot be set.
    public init(noticeDescriptor: CInt, listeningDescriptor: CInt, supervisorPID: Int32?) throws {
        guard fcntl(noticeDescriptor, F_GETFD) >= 0, fcntl(listeningDescriptor, F_GETFD) >= 0 else {
            throw SupervisorError("--supervisor-fd \(noticeDescriptor) / --listen-fd \(listeningDescriptor) are not open: "
                + "these options are for the node supervisor; run `siteflow serve` without them")
        }
        // Our own children (none but the backtracer) must not inherit the supervisor's descriptors.
        _ = fcntl(noticeDescriptor, F_SETFD, FD_CLOEXEC)
        _ = fcntl(listeningDescriptor, F_SETFD, FD_CLOEXEC)
        let installed = sf_install_crash_notifier(noticeDescriptor, listeningDescriptor)
        guard installed == 0 else { throw SupervisorError("cannot install the crash notifier: \(String(cString: strerror(installed)))") }
        if let supervisorPID {
            let linked = sf_stop_with_parent(supervisorPID, SIGTERM)
            guard linked == 0 else { throw SupervisorError("cannot follow the supervisor: \(String(cString: strerror(linked)))") }
        }
        self.noticeDescriptor = noticeDescriptor
    }

    /// Tells the supervisor that the node serves on `port` (a reload drains the old node now).
    public func ready(port: Int) {
        let line = Array("ready \(port)\n".utf8)
        _ = line.withUnsafeBytes { write(noticeDescriptor, $0.baseAddress, $0.count) }
    }
}
