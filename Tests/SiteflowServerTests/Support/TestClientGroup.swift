import NIOPosix

/// The event loops of the transport specs' own clients: apart from NIO's shared singleton group
/// (which PostgreSQL clients of other suites in the same test process use), so a spec that keeps
/// its client loops busy — 32 MB of frames, thousands of connections — slows no other suite, and
/// is slowed by none.
enum TestClientGroup {
    static let shared = MultiThreadedEventLoopGroup(numberOfThreads: 2)
}
