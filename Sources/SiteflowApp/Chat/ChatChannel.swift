import Foundation
public import SiteflowRealtime
public import SiteflowRuntime
import SiteflowStore

/// The chat app's channel for topics `room:<name>` (the contract is written at the top of the
/// chat page's script):
///
/// - join `{"nickname", "token"?, "after"?}` (else the socket's `nickname` param, else a guest name) → ok
///   `{"messages": [latest…], "nickname", "token"}`; then `presence_state`, and the room's presence
///   shows the nickname. The nickname must be free, held by this connection, or claimed by the
///   presented token (``NicknameClaims``); else the join is refused (`nickname taken`, or why the
///   token was not accepted). A join of a room that does not exist yet creates it, within the
///   client address's budget (``ChatRooms``; else refused `room creation rate limited`). The reply's token is what to present next time. If the room's history is not in memory yet, the join answers `messages: []` and a
///   `history` push `{"messages"}` follows once the store has answered.
///   With `"after": <id>` (a rejoin resuming from the last message the client saw) the reply's
///   messages are those after that id instead, oldest first, at most one page, with
///   `"more": bool` (``ChatResumePage``): while more, the client asks `history {"after": <the last
///   id it got, else its after>}`. If the cache does not cover them, the reply is
///   `messages: [], more: true` (the client's history request reads the store). An `after` that
///   is not an integer ≥ 0 refuses the join (``ChatResumePage/invalidAfterReason``). After any
///   join answered from the cache, messages committed between the reply and the channel's
///   subscription follow as `history {"messages", "more", "after"}` (they may also arrive as
///   broadcasts: clients show a message once per id).
/// - `new_msg {"body", "key"?}` → committed through the group-commit writer, *then* broadcast as
///   `new_msg` Message to the room and acknowledged `{"id"}`; a store failure answers
///   `{"reason": "unavailable"}` (nothing is broadcast), an invalid or oversized body is refused
///   before the store. A `new_msg` with a null ref (no reply wanted) is stored and broadcast
///   the same, without the acknowledgement.
/// - `typing {}` → the others get `typing {"nickname"}`.
/// - `history {"before": id}` → `{"messages": [older…]}`; `history {"after": id}` →
///   `{"messages": [newer…], "more": bool}` (the rest of a resume, a page at a time).
public struct ChatChannel: Channel {
    private let services: ChatServices
    private var room = ""
    private var nickname = ""
    private var historyPending = false
    /// Whether a resuming join's page was not in the cache: ``afterJoin(socket:)`` warms it.
    private var warmCache = false
    /// The newest message id the join reply covered (its last message, else its `after`, else
    /// 0 for a loaded room's empty reply): ``afterJoin(socket:)`` pushes what was committed after
    /// it between the reply's cache read and the channel's subscription.
    private var repliedThrough: Int64?
    private var holding: NicknameClaims.Holding?

    /// A channel using the node's chat services.
    public init(services: ChatServices) {
        self.services = services
    }

    public mutating func join(topic: String, payload: JSONValue, socket: inout ChannelSocket) throws -> ChannelJoinResult {
        let room: String
        switch ChatNames.room(ofTopic: topic) {
        case .success(let valid): room = valid
        case .failure(let refusal): return .refuse(refusal.rawValue)
        }
        let after: Int64?
        switch ChatResumePage.afterID(in: payload) {
        case .success(let id): after = id
        case .failure(let invalid): return .refuse(invalid.reason)
        }
        // Checked before the nickname is claimed (a refused creation holds nothing), charged after
        // (a join refused for its nickname creates nothing).
        let address = socket.assigns.get(ChatRooms.addressAssign, as: String.self)
        guard services.rooms.mayJoin(room, address: address) else { return .refuse(ChatRooms.rateLimitedReason) }
        let requested = payload["nickname"]?.stringValue ?? socket.assigns.get("nickname", as: String.self)
        let token = payload["token"]?.stringValue
        let connection = socket.assigns.get(NicknameClaims.connectionAssign, as: String.self) ?? NicknameClaims.newConnectionID()
        let nickname: String
        let grant: NicknameClaims.Grant
        if let requested {
            switch ChatNames.nickname(requested) {
            case .success(let valid): nickname = valid
            case .failure(let refusal): return .refuse(refusal.rawValue)
            }
            switch services.claims.claim(nickname, token: token, connection: connection) {
            case .success(let granted): grant = granted
            case .failure(let refusal): return .refuse(refusal.rawValue)
            }
        } else {
            // A guest name is claimed like any other; a held one is skipped.
            var guest: (String, NicknameClaims.Grant)?
            var lastRefusal = NicknameClaims.Refusal.taken
            for _ in 0..<8 where guest == nil {
                let candidate = "guest-\(UInt16.random(in: 1000...9999))"
                switch services.claims.claim(candidate, token: nil, connection: connection) {
                case .success(let granted): guest = (candidate, granted)
                case .failure(let refusal): lastRefusal = refusal
                }
            }
            guard let guest else { return .refuse(lastRefusal.rawValue) }
            (nickname, grant) = guest
        }
        if case .rateLimited = services.rooms.admit(room, address: address) {
            // Another join from this address took the last creation meanwhile.
            services.claims.release(grant.holding)
            return .refuse(ChatRooms.rateLimitedReason)
        }
        self.room = room
        self.nickname = nickname
        self.holding = grant.holding
        socket.assigns["nickname"] = nickname
        if let after {
            let page = services.cachedResume(room: room, after: after)
            warmCache = page == nil
            repliedThrough = page.map { $0.more ? nil : ($0.messages.last?.id ?? after) } ?? nil
            return .ok([
                "messages": .array((page?.messages ?? []).map(\.json)),
                "more": .bool(page?.more ?? true),
                "nickname": .string(nickname),
                "token": .string(grant.token),
            ])
        }
        let cached = services.recent.latest(room: room)
        historyPending = cached == nil
        repliedThrough = cached.map { $0.last?.id ?? 0 }
        return .ok([
            "messages": .array((cached ?? []).map(\.json)),
            "nickname": .string(nickname),
            "token": .string(grant.token),
        ])
    }

    /// Ends this channel's hold on its nickname (the claim's grace period starts when no channel
    /// holds it).
    public mutating func terminate(reason: ExitReason, socket: inout ChannelSocket) {
        if let holding { services.claims.release(holding) }
        holding = nil
    }

    public mutating func afterJoin(socket: inout ChannelSocket) throws {
        socket.push("presence_state", services.presence.state(of: socket.topic))
        if let channel = socket.channelID {
            services.presence.track(channel, topic: socket.topic, key: nickname,
                                    meta: JSONObject([(key: "online_at", value: .int(Int64(Date().timeIntervalSince1970)))]))
        }
        let services = self.services
        let room = self.room
        let pushTarget = socket
        if warmCache {
            // One store read loads the room for its later joins (a rejoin storm after a restart
            // finds it cached); this client's own page comes with its history request.
            warmCache = false
            Task { _ = try? await services.loadRecent(room: room) }
            return
        }
        if let through = repliedThrough {
            // A message committed after the reply read the cache and broadcast before this
            // channel subscribed would be missed: the cache has it now; pushed like a resume page.
            repliedThrough = nil
            if let page = services.cachedResume(room: room, after: through), !page.messages.isEmpty {
                socket.push("history", ["messages": .array(page.messages.map(\.json)), "more": .bool(page.more), "after": .int(through)])
            }
            return
        }
        guard historyPending else { return }
        Task {
            // A failure leaves the room without history on screen; the next join tries again.
            if let messages = try? await services.loadRecent(room: room) {
                pushTarget.push("history", ["messages": .array(messages.map(\.json))])
            }
        }
    }

    public mutating func handleIn(event: String, payload: PhoenixPayload, socket: inout ChannelSocket) throws -> ChannelReplyAction {
        let fields = payload.json ?? .emptyObject
        switch event {
        case "new_msg":
            guard let body = fields["body"]?.stringValue else { return .error("body must be a string") }
            let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { return .error("empty message") }
            let message = NewMessage(room: room, nickname: nickname, body: trimmed, idempotencyKey: fields["key"]?.stringValue)
            do {
                try services.store.limits.validate(message)
            } catch {
                return .error(error.reason)
            }
            // A push with a null ref wants no reply (the protocol allows it): it is still stored
            // and broadcast like any other; only the acknowledgement is left out. Dropping it
            // would lose a message the client sent in good faith.
            let reply = socket.deferReply()
            let services = self.services
            let broadcaster = socket
            // Queued now, in this channel's order; the writer runs the callbacks in commit
            // order, so a sender's messages are broadcast (and acknowledged) in the order sent.
            do {
                try services.writer.submit(message) { result in
                    switch result {
                    case .success(let stored):
                        services.recent.append(stored)
                        services.rooms.stored(stored.room)
                        broadcaster.broadcast("new_msg", stored.json)
                        reply?.ok(["id": .int(stored.id)])
                    case .failure(let error):
                        reply?.error(error.code == .unavailable ? "unavailable" : error.reason)
                    }
                }
            } catch {
                guard let reply else { return .error(error.reason) }
                reply.error(error.reason)
            }
            return .noReply
        case "typing":
            socket.broadcastFrom("typing", ["nickname": .string(nickname)])
            return .ok()
        case "history":
            let after: Int64?
            switch ChatResumePage.afterID(in: fields) {
            case .success(let id): after = id
            case .failure(let invalid): return .error(invalid.reason)
            }
            if let after {
                if let page = services.cachedResume(room: room, after: after) { return .ok(page.json) }
                guard let reply = socket.deferReply() else { return .noReply }
                let services = self.services
                let room = self.room
                Task {
                    do {
                        reply.ok(try await services.resume(room: room, after: after).json)
                    } catch let error as StoreError {
                        reply.error(error.code == .unavailable ? "unavailable" : error.reason)
                    } catch {
                        reply.error("unavailable")
                    }
                }
                return .noReply
            }
            guard let before = fields["before"]?.intValue else { return .error("before must be a message id") }
            guard let reply = socket.deferReply() else { return .noReply }
            let services = self.services
            let room = self.room
            Task {
                do {
                    let page = try await services.store.history(room: room, limit: services.pageSize, before: MessageCursor(beforeID: before))
                    reply.ok(["messages": .array(page.messages.map(\.json))])
                } catch let error as StoreError {
                    reply.error(error.code == .unavailable ? "unavailable" : error.reason)
                } catch {
                    reply.error("unavailable")
                }
            }
            return .noReply
        default:
            return .error("unknown event \(event)")
        }
    }
}
