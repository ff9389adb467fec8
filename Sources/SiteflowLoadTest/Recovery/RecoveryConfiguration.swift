/// What the recovery mode of `siteflow loadtest` does besides the load (``LoadTestConfiguration``):
/// whether it disrupts the node itself, when, and how long it waits for things to settle.
public struct RecoveryConfiguration: Sendable, Codable {
    /// The disruption the load tester triggers itself (``Disruption/none``: only watch for
    /// disruptions caused from outside, e.g. a restart by a script).
    public var disruption: Disruption
    /// How long after sending starts the disruption is triggered.
    public var disruptAfter: Duration
    /// The supervisor to send SIGHUP to for ``Disruption/reload``.
    public var supervisorPID: Int32?
    /// The supervisor's pid file (read when the reload is triggered), if no ``supervisorPID``.
    public var supervisorPIDFile: String?
    /// Keeps this run's idempotency keys and nicknames apart from other runs' (letters and
    /// digits, at most 12).
    public var runID: String
    /// How long, after sending stops, to wait for every client to be joined and every push to
    /// be acknowledged or refused for good.
    public var settleTime: Duration
    /// Whether this process reads the rooms' history at the end (the parent of child processes
    /// does; its children do not).
    public var auditsHistory: Bool

    /// Creates a recovery configuration; see each property.
    public init(
        disruption: Disruption = .none, disruptAfter: Duration = .seconds(10), supervisorPID: Int32? = nil,
        supervisorPIDFile: String? = nil, runID: String = RecoveryConfiguration.newRunID(),
        settleTime: Duration = .seconds(30), auditsHistory: Bool = true
    ) {
        self.disruption = disruption
        self.disruptAfter = disruptAfter
        self.supervisorPID = supervisorPID
        self.supervisorPIDFile = supervisorPIDFile
        self.runID = runID
        self.settleTime = settleTime
        self.auditsHistory = auditsHistory
    }

    /// A fresh random run id (8 lowercase letters and digits).
    public static func newRunID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// Whether `id` is a usable run id.
    public static func isValidRunID(_ id: String) -> Bool {
        (1...12).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// The nickname of client `index` (unique per run, so a rerun never meets a held claim).
    func nickname(client index: Int) -> String { "lt\(runID)-\(index)" }
}

/// A disruption the load tester can trigger in the node it loads.
public enum Disruption: String, Sendable, Codable, CaseIterable {
    /// None: the mode still notices disruptions caused from outside.
    case none
    /// `POST /_fault/trap` to the node (`siteflow serve --fault-injection`, loopback only): the
    /// node traps and its supervisor starts a new one.
    case trap
    /// SIGHUP to the node's supervisor: a new node from the binary on disk, the old one drained.
    case reload
}
