import Foundation
import NIOCore
import Synchronization

/// Reads one room's history the way the chat page pages back: it joins the room, then sends
/// `history {"before": id}` with the oldest id seen so far until a page is empty or holds no
/// message of this run (each page is bounded by the server). One reader, one socket per room.
final class HistoryReader: WebSocketClientDelegate, Sendable {
    /// A reply, decoded as far as the reader needs it.
    private struct Reply: Sendable {
        var ok: Bool
        var reason: String?
        /// A history page's messages (id, body), if the reply carries one.
        var messages: [Message]?
    }

    private struct Message: Sendable {
        var id: Int
        var body: String?
    }

    private struct State {
        var replies: [UInt64: Reply] = [:]
        var waiters: [UInt64: CheckedContinuation<Reply?, Never>] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// The id and (for messages of `runID`) key of every message of the run in `topic`, newest
    /// first. Throws a ``LoadTestError`` when the room cannot be joined or a page is not answered.
    static func read(
        configuration: LoadTestConfiguration, topic: String, nickname: String, runID: String, on group: any EventLoopGroup
    ) async throws -> [(id: Int, key: String?)] {
        let reader = HistoryReader()
        let connection = try await WebSocketClient.connect(
            host: configuration.host, port: configuration.port, target: configuration.target,
            headers: configuration.headerPairs, on: group, delegate: reader
        ).get()
        defer { connection.close(code: 1000, reason: "history read") }
        var ref: UInt64 = 1
        connection.sendText("[\"1\",\"1\",\"\(topic)\",\"phx_join\",{\"nickname\":\"\(nickname)\"}]")
        guard let joined = await reader.reply(to: ref, on: connection.eventLoop), joined.ok else {
            throw LoadTestError(description: "the history reader could not join \(topic)")
        }
        var before = 9_007_199_254_740_991  // the largest integer every JSON reader keeps exact
        var messages: [(id: Int, key: String?)] = []
        var unavailable = 0
        while true {
            ref += 1
            connection.sendText("[\"1\",\"\(ref)\",\"\(topic)\",\"history\",{\"before\":\(before)}]")
            guard let reply = await reader.reply(to: ref, on: connection.eventLoop) else {
                throw LoadTestError(description: "history of \(topic) before \(before): no reply within 30 s")
            }
            guard reply.ok, let page = reply.messages else {
                let reason = reply.reason ?? "no reason"
                unavailable += 1
                guard reason == "unavailable", unavailable < 50 else {
                    throw LoadTestError(description: "history of \(topic) before \(before): \(reason)")
                }
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            var ofThisRun = 0
            var oldest = before
            for message in page {
                let key = message.body.flatMap { RecoveryMessage.key(inBody: $0, run: runID) }
                if key != nil { ofThisRun += 1 }
                messages.append((message.id, key))
                oldest = min(oldest, message.id)
            }
            if page.isEmpty || ofThisRun == 0 || oldest >= before { break }
            before = oldest
        }
        return messages
    }

    /// Waits (at most 30 s) for the reply with `ref`; `nil` when none came or the socket closed.
    private func reply(to ref: UInt64, on eventLoop: any EventLoop) async -> Reply? {
        let timeout = eventLoop.scheduleTask(in: .seconds(30)) { self.resume(ref, with: nil) }
        defer { timeout.cancel() }
        return await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> (Bool, Reply?) in
                if let reply = state.replies.removeValue(forKey: ref) { return (true, reply) }
                if state.closed { return (true, nil) }
                state.waiters[ref] = continuation
                return (false, nil)
            }
            if ready.0 { continuation.resume(returning: ready.1) }
        }
    }

    private func resume(_ ref: UInt64, with reply: Reply?) {
        let waiter = state.withLock { state -> CheckedContinuation<Reply?, Never>? in
            if let waiter = state.waiters.removeValue(forKey: ref) { return waiter }
            if let reply { state.replies[ref] = reply }
            return nil
        }
        waiter?.resume(returning: reply)
    }

    func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage) {
        guard case .text(var buffer) = message, let bytes = buffer.readBytes(length: buffer.readableBytes),
            let frame = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any], frame.count == 5,
            frame[3] as? String == "phx_reply", let refText = frame[1] as? String, let ref = UInt64(refText),
            let payload = frame[4] as? [String: Any]
        else { return }
        let response = payload["response"] as? [String: Any]
        let messages = (response?["messages"] as? [[String: Any]])?.compactMap { message -> Message? in
            guard let id = (message["id"] as? NSNumber)?.intValue else { return nil }
            return Message(id: id, body: message["body"] as? String)
        }
        resume(ref, with: Reply(ok: payload["status"] as? String == "ok", reason: response?["reason"] as? String, messages: messages))
    }

    func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Reply?, Never>] in
            state.closed = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }
}
