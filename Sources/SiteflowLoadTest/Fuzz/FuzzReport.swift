import Foundation

/// What a fuzzing campaign found: how much it sent, how the server answered, whether the node
/// survived and how its memory moved, and whether the well-behaved chat clients kept chatting.
public struct FuzzReport: Sendable, Codable, Equatable {
    /// Frames sent over WebSockets.
    public var webSocketFrames = 0
    /// Frames sent as long-poll POST bodies.
    public var longPollFrames = 0
    /// WebSocket connections opened by the fuzzer.
    public var webSocketConnections = 0
    /// WebSocket connection attempts that failed (refused, upgrade refused, timed out).
    public var webSocketConnectFailures = 0
    /// Long-poll sessions opened by the fuzzer.
    public var longPollSessions = 0
    /// Long-poll requests that failed without an HTTP answer (connection refused or dropped).
    public var longPollRequestFailures = 0
    /// Text replies on the fuzzing sockets by kind: `ok`, `error` (phx_reply statuses),
    /// `phx_error`, `phx_close`, `other`.
    public var replies: [String: Int] = [:]
    /// How the fuzzing sockets ended: close code (`1000`, `1002`, `1007`, `1008`, `1009`, …) or
    /// `dropped` (no close frame). Every opened connection ends exactly once.
    public var closes: [String: Int] = [:]
    /// Answers to the long-poll POSTs by HTTP status and protocol status, e.g. `200/200`,
    /// `200/410` (session gone), `400`; a GET that opened no session counts as `open <status>`.
    public var longPollAnswers: [String: Int] = [:]
    /// Seconds the campaign ran.
    public var seconds = 0.0
    /// The node's resident memory (bytes) at the start, at its peak and at the end; `nil`
    /// without a pid.
    public var rssStart: Int?
    /// The largest RSS sample.
    public var rssPeak: Int?
    /// The RSS after the campaign.
    public var rssEnd: Int?
    /// The node's process was looked at after the campaign (a pid was given).
    public var processChecked = false
    /// The node's process was gone after the campaign (only known with a pid).
    public var processGone = false
    /// A fresh client could connect, join a room and get a reply after the campaign.
    public var nodeServesAfterwards = false
    /// Chat messages the well-behaved clients pushed.
    public var chatSent = 0
    /// …of which the server acknowledged (`ok` reply).
    public var chatAcknowledged = 0
    /// …acknowledged and received as a broadcast by every chat client.
    public var chatDelivered = 0
    /// Acknowledged messages some chat client never received.
    public var chatMissed = 0
    /// Chat pushes answered with an error or not answered at all.
    public var chatUnacknowledged = 0
    /// Times a chat client's socket was closed by the server during the campaign.
    public var chatDisconnects = 0

    /// Creates an empty report.
    public init() {}

    /// All fuzz frames sent.
    public var framesSent: Int { webSocketFrames + longPollFrames }

    /// The node crashed: its process is gone or it no longer serves.
    public var nodeCrashed: Bool { processGone || !nodeServesAfterwards }

    /// The report for people.
    public var text: String {
        func sorted(_ counts: [String: Int]) -> String {
            counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        }
        func mebibytes(_ bytes: Int?) -> String {
            bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "n/a"
        }
        let rate = seconds > 0 ? Double(framesSent) / seconds : 0
        return """
            fuzz frames sent: \(framesSent) in \(String(format: "%.1f", seconds)) s (\(Int(rate))/s)
              WebSocket: \(webSocketFrames) frames over \(webSocketConnections) connections (\(webSocketConnectFailures) failed to connect)
              long-poll: \(longPollFrames) frames over \(longPollSessions) sessions (\(longPollRequestFailures) requests failed)
            replies (WebSocket): \(sorted(replies))
            closes (WebSocket): \(sorted(closes))
            answers (long-poll): \(sorted(longPollAnswers))
            node: \(nodeCrashed ? "CRASHED" : "alive") (process \(processChecked ? (processGone ? "gone" : "present") : "not checked"), serves afterwards: \(nodeServesAfterwards ? "yes" : "no"))
            node RSS: start \(mebibytes(rssStart)), peak \(mebibytes(rssPeak)), end \(mebibytes(rssEnd))
            chat clients: \(chatSent) sent, \(chatAcknowledged) acknowledged, \(chatDelivered) delivered to every client, \(chatMissed) acknowledged but missed, \(chatUnacknowledged) unacknowledged, \(chatDisconnects) disconnects
            """
    }
}
