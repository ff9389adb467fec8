/// What `siteflow loadtest --fuzz` does: where (loopback only), how many frames for how long, over
/// how many sockets and long-poll sessions, with how many well-behaved chat clients alongside.
public struct FuzzConfiguration: Sendable, Codable {
    /// The server's host; must be a loopback address (``isLoopback(_:)``).
    public var host: String
    /// The server's port.
    public var port: Int
    /// The campaign stops once this many frames have been sent (WebSocket and long-poll together).
    public var frames: Int
    /// …or after this many seconds, whichever comes first.
    public var seconds: Double
    /// Seeds every fuzzing worker (worker *k* draws from `seed + k`), so that the frames each
    /// worker sends are the same on every run.
    public var seed: UInt64
    /// Fuzzing WebSockets open at once (each reconnects after it ends).
    public var sockets: Int
    /// Fuzzing long-poll sessions open at once (each opens a new session when its ends).
    public var longPollSessions: Int
    /// Frames per second one fuzzing socket or session sends: below the server's per-socket limit
    /// (100/s) by default, so that the campaign's volume comes from many sockets, as an
    /// attacker's would.
    public var rateLimitPerSocket: Double
    /// Frames a fuzzing socket or session sends before it closes and a new one opens.
    public var framesPerConnection: Int
    /// Well-behaved chat clients that join one room and keep chatting through the campaign.
    public var chatters: Int
    /// Messages per second each chat client pushes.
    public var chatRate: Double
    /// The server's process id, for RSS samples and the liveness check (optional).
    public var pid: Int32?
    /// Seconds between progress lines.
    public var progressInterval: Double

    /// Creates a configuration; see each property for its meaning.
    public init(
        host: String = "127.0.0.1",
        port: Int = 4000,
        frames: Int = 1_000_000,
        seconds: Double = 600,
        seed: UInt64 = 1,
        sockets: Int = 100,
        longPollSessions: Int = 16,
        rateLimitPerSocket: Double = 90,
        framesPerConnection: Int = 150,
        chatters: Int = 3,
        chatRate: Double = 2,
        pid: Int32? = nil,
        progressInterval: Double = 3
    ) {
        self.host = host
        self.port = port
        self.frames = frames
        self.seconds = seconds
        self.seed = seed
        self.sockets = sockets
        self.longPollSessions = longPollSessions
        self.rateLimitPerSocket = rateLimitPerSocket
        self.framesPerConnection = framesPerConnection
        self.chatters = chatters
        self.chatRate = chatRate
        self.pid = pid
        self.progressInterval = progressInterval
    }

    /// What is wrong with this configuration, or `nil` when it can run.
    public var problem: String? {
        if !Self.isLoopback(host) { return "the fuzzer targets only loopback addresses (127.0.0.0/8, ::1, localhost), got \(host)" }
        if !(1...65535).contains(port) { return "the port must be 1…65535" }
        if frames < 1 { return "--frames must be positive" }
        if !(seconds > 0 && seconds.isFinite) { return "--seconds must be positive" }
        if sockets < 0 || longPollSessions < 0 || sockets + longPollSessions < 1 {
            return "at least one fuzzing socket or long-poll session is needed"
        }
        if !(rateLimitPerSocket > 0 && rateLimitPerSocket.isFinite) { return "the per-socket rate must be positive" }
        if framesPerConnection < 1 { return "frames per connection must be positive" }
        if chatters < 0 || !(chatRate > 0 && chatRate.isFinite) { return "chatters must be zero or more, at a positive rate" }
        return nil
    }

    /// `true` for `localhost`, `::1` and any `127.x.y.z`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
