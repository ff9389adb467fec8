import Foundation
import NIOCore
import SiteflowLoadTest
import SiteflowRealtime
import Synchronization
import Testing

/// The recovery mode's clients against a scripted chat server that misbehaves on purpose: it
/// refuses every first join, answers `unavailable`, refuses a message for good, stores a key
/// twice and acknowledges a message it never stores. The report must say exactly that.
@Suite("Load tester recovery clients", .timeLimit(.minutes(2)))
struct RecoveryClientTests {
    @Test("a refused join is retried, 'unavailable' is retried with the same key, other errors fail for good, and the history audit finds the doubled and the missing messages")
    func failurePaths() async throws {
        let endpoint = ScriptedChatEndpoint()
        try await withServer(endpoint) { _, port in
            let configuration = LoadTestConfiguration(
                port: port, clients: 4, topic: "room:scripted", rate: 12, duration: .seconds(2), threads: 1, sourceAddresses: 1,
                recovery: RecoveryConfiguration(disruption: .none, runID: "spec", settleTime: .seconds(30)))
            let result = try await LoadTest(configuration: configuration) { _ in }.run()
            let recovery = try #require(result.recovery)
            #expect(recovery.joinRefusals == ["try again": 4], "every first join refused, then retried on the rejoin schedule")
            #expect(recovery.joinedAtEnd == 4)
            #expect(recovery.events.isEmpty, "no socket closed")
            #expect(recovery.messages >= 16, "at least four messages per client")
            #expect(recovery.unavailableReplies == 4)
            #expect(recovery.resends >= 4, "each 'unavailable' message was sent again")
            #expect(recovery.failedForGood == ["body refused": 4])
            #expect(recovery.unresolved == 0)
            #expect(recovery.acknowledged == recovery.messages - 4)
            let audit = try #require(recovery.audit)
            #expect(audit.roomsRead == 1)
            #expect(audit.missing == 4, "each client's 4th message was acknowledged but never stored")
            #expect(audit.duplicatedKeys == 4, "each client's 3rd message was stored twice")
            #expect(audit.duplicates == 4)
            #expect(audit.messagesRead == recovery.acknowledged, "read back through pages of five")
            #expect(endpoint.keysSeen.allSatisfy { $0.hasPrefix("spec-") })
            #expect(endpoint.unavailableKeysRetried, "the retried message carried the key of the first attempt")
        }
    }
}

/// A chat server scripted to misbehave: per client, the first join is refused ("try again");
/// message 1 is answered `unavailable` once; message 2 is refused for good; message 3 is stored
/// twice; message 4 is acknowledged and not stored. History pages hold five messages.
final class ScriptedChatEndpoint: SocketEndpoint {
    struct State {
        var refusedNicknames: Set<String> = []
        var unavailableKeys: Set<String> = []
        var retriedUnavailable = 0
        var idsByKey: [String: Int] = [:]
        var stored: [(id: Int, body: String)] = []
        var nextID = 1
        var keysSeen: [String] = []
    }

    let state = Mutex(State())

    func connect(_ request: ConnectionRequest, connection: any TransportConnection) -> ConnectionDecision {
        .accept(subprotocol: nil, session: ScriptedChatSession(endpoint: self, connection: connection))
    }

    var keysSeen: [String] { state.withLock { $0.keysSeen } }
    var unavailableKeysRetried: Bool { state.withLock { $0.retriedUnavailable == $0.unavailableKeys.count && $0.retriedUnavailable > 0 } }

    /// The reply to a frame: status and response JSON.
    func answer(event: String, payload: [String: Any]) -> (status: String, response: String) {
        state.withLock { state in
            switch event {
            case "heartbeat":
                return ("ok", "{}")
            case "phx_join":
                let nickname = payload["nickname"] as? String ?? ""
                if !nickname.hasPrefix("ltaudit"), state.refusedNicknames.insert(nickname).inserted {
                    return ("error", "{\"reason\":\"try again\"}")
                }
                return ("ok", "{\"messages\":[],\"nickname\":\"\(nickname)\",\"token\":\"t-\(nickname)\"}")
            case "new_msg":
                guard let key = payload["key"] as? String, let body = payload["body"] as? String else { return ("error", "{\"reason\":\"no key\"}") }
                state.keysSeen.append(key)
                if let id = state.idsByKey[key] { return ("ok", "{\"id\":\(id)}") }
                let sequence = Int(key.split(separator: "-").last ?? "") ?? 0
                func store() -> Int {
                    let id = state.nextID
                    state.nextID += 1
                    state.stored.append((id, body))
                    return id
                }
                switch sequence {
                case 1 where state.unavailableKeys.insert(key).inserted:
                    return ("error", "{\"reason\":\"unavailable\"}")
                case 1:
                    state.retriedUnavailable += 1
                case 2:
                    return ("error", "{\"reason\":\"body refused\"}")
                case 3:
                    let id = store()
                    _ = store()
                    state.idsByKey[key] = id
                    return ("ok", "{\"id\":\(id)}")
                case 4:
                    let id = state.nextID
                    state.nextID += 1
                    state.idsByKey[key] = id
                    return ("ok", "{\"id\":\(id)}")
                default:
                    break
                }
                let id = store()
                state.idsByKey[key] = id
                return ("ok", "{\"id\":\(id)}")
            case "history":
                let before = (payload["before"] as? NSNumber)?.intValue ?? Int.max
                let page = state.stored.filter { $0.id < before }.suffix(5)
                let messages = page.map { "{\"id\":\($0.id),\"nickname\":\"n\",\"body\":\"\($0.body)\",\"at\":\"1970-01-01T00:00:00Z\"}" }
                return ("ok", "{\"messages\":[\(messages.joined(separator: ","))]}")
            default:
                return ("error", "{\"reason\":\"unmatched topic\"}")
            }
        }
    }
}

/// One connection of a ``ScriptedChatEndpoint``: answers every frame with a reply.
final class ScriptedChatSession: TransportSession {
    let endpoint: ScriptedChatEndpoint
    let connection: any TransportConnection

    init(endpoint: ScriptedChatEndpoint, connection: any TransportConnection) {
        self.endpoint = endpoint
        self.connection = connection
    }

    func received(_ frame: TransportFrame) {
        guard case .text(var buffer) = frame, let bytes = buffer.readBytes(length: buffer.readableBytes),
            let message = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any], message.count == 5,
            let topic = message[2] as? String, let event = message[3] as? String
        else { return }
        let (status, response) = endpoint.answer(event: event, payload: message[4] as? [String: Any] ?? [:])
        func field(_ value: Any) -> String { (value as? String).map { "\"\($0)\"" } ?? "null" }
        let reply = "[\(field(message[0])),\(field(message[1])),\"\(topic)\",\"phx_reply\",{\"status\":\"\(status)\",\"response\":\(response)}]"
        _ = connection.send(.text(ByteBuffer(string: reply)))
    }

    func transportClosed(code: TransportCloseCode?, reason: String) {}
}
