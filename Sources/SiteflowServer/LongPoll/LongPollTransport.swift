import NIOCore
import NIOHTTP1
import SiteflowRealtime
import Synchronization

/// Phoenix's long-poll transport at `<socketPath>/longpoll`.
///
/// As in Phoenix, every answer is HTTP 200 with a JSON body whose `status` field carries the
/// protocol status (phoenix.js reads that field): `410` opens a session (with its token) or says
/// it is gone, `200` carries messages, `204` means none arrived within the window, `403` means
/// refused. Malformed requests get a real HTTP 4xx with a reason. At most `maxSessions` sessions
/// live at once: beyond that a new one gets HTTP 503 (and `"status":503`) with a reason.
final class LongPollTransport: Sendable {
    private struct Sessions {
        var byToken: [String: LongPollSession] = [:]
        /// Sessions being opened (counted against the limit while the endpoint decides).
        var opening = 0
    }

    private let endpoint: any SocketEndpoint
    private let statistics: SocketStatistics
    private let sessions = Mutex(Sessions())
    private let maxSessions: Int
    private let queueLimit: Int
    private let window: TimeAmount
    private let sessionTimeout: TimeAmount
    private let maxBatch: Int
    private let path: String

    init(endpoint: any SocketEndpoint, configuration: ServerConfiguration, statistics: SocketStatistics) {
        self.endpoint = endpoint
        self.statistics = statistics
        self.maxSessions = configuration.maxLongPollSessions
        self.queueLimit = configuration.outboundQueueLimit
        self.window = TimeAmount(configuration.longPollWindow)
        self.sessionTimeout = TimeAmount(configuration.longPollSessionTimeout)
        self.maxBatch = configuration.longPollMaxBatch
        self.path = configuration.socketPath + "/longpoll"
    }

    /// The number of open sessions.
    var sessionCount: Int { sessions.withLock { $0.byToken.count } }

    /// Serves one request. `respond` is called exactly once on `eventLoop`, possibly later (a
    /// parked GET). Returns what to abandon should the HTTP connection close before that.
    func handle(
        method: HTTPMethod,
        target: RequestTarget,
        headers: HTTPHeaders,
        body: ByteBuffer?,
        remoteAddress: String?,
        eventLoop: any EventLoop,
        respond: @escaping @Sendable (HTTPReply) -> Void
    ) -> (session: LongPollSession, waiter: LongPollWaiter)? {
        // Like Phoenix: every request's Origin is checked (not only the one that opens a session),
        // and CORS is answered with the allowed origin itself, never `*`.
        let origin = headers.first(name: "origin")
        guard endpoint.allowsOrigin(origin, requestHost: headers.first(name: "host")) else {
            statistics.increment(.originRefused)
            respond(statusReply(403, reason: "origin not allowed", allowedOrigin: nil))
            return nil
        }
        let token = target.query["token"] ?? headers.first(name: "x-phoenix-longpoll-token")
        let existing = token.flatMap { token in sessions.withLock { $0.byToken[token] } }
        switch method {
        case .OPTIONS:
            var reply = HTTPReply(status: .ok, contentType: "text/plain", body: ByteBuffer())
            reply.headers.add(name: "access-control-allow-headers", value: headers[canonicalForm: "access-control-request-headers"].joined(separator: ", "))
            reply.headers.add(name: "access-control-allow-methods", value: "get, post, options")
            reply.headers.add(name: "access-control-max-age", value: "3600")
            respond(cors(reply, allowedOrigin: origin))
        case .GET:
            guard let existing, !existing.isClosed else {
                respond(open(target: target, headers: headers, remoteAddress: remoteAddress, eventLoop: eventLoop, allowedOrigin: origin))
                return nil
            }
            let sessionToken = existing.token
            let waiter = LongPollWaiter(eventLoop: eventLoop) { [self] outcome in
                switch outcome {
                case .messages(let frames): respond(statusReply(200, token: sessionToken, messages: frames, allowedOrigin: origin))
                case .noContent: respond(statusReply(204, token: sessionToken, allowedOrigin: origin))
                case .gone: respond(statusReply(410, allowedOrigin: origin))
                }
            }
            existing.poll(waiter, window: window)
            return (existing, waiter)
        case .POST:
            guard let existing else {
                respond(statusReply(410, allowedOrigin: origin))
                return nil
            }
            let frames: [TransportFrame]
            do throws(LongPollRequestBody.Malformed) {
                frames = try LongPollRequestBody.frames(in: body ?? ByteBuffer(), contentType: headers.first(name: "content-type"), maxBatch: maxBatch)
            } catch {
                respond(cors(.text(.badRequest, error.reason), allowedOrigin: origin))
                return nil
            }
            respond(statusReply(existing.deliver(frames) ? 200 : 410, allowedOrigin: origin))
        default:
            var reply = HTTPReply.text(.methodNotAllowed, "\(path) accepts GET, POST and OPTIONS")
            reply.headers.add(name: "allow", value: "GET, POST, OPTIONS")
            respond(cors(reply, allowedOrigin: origin))
        }
        return nil
    }

    /// Ends every session (graceful shutdown).
    func closeAll(code: TransportCloseCode, reason: String) {
        let all = sessions.withLock { Array($0.byToken.values) }
        for session in all { session.close(code: code, reason: reason) }
    }

    // MARK: Opening

    private func open(target: RequestTarget, headers: HTTPHeaders, remoteAddress: String?, eventLoop: any EventLoop, allowedOrigin: String?) -> HTTPReply {
        let reserved = sessions.withLock { sessions -> Bool in
            guard sessions.byToken.count + sessions.opening < maxSessions else { return false }
            sessions.opening += 1
            return true
        }
        guard reserved else {
            statistics.increment(.longPollSessionLimitRefusals)
            return statusReply(503, reason: "the server holds its most long-poll sessions (\(maxSessions)); try again later",
                               httpStatus: .serviceUnavailable, allowedOrigin: allowedOrigin)
        }
        let session = LongPollSession(
            token: SessionToken.make(),
            eventLoop: eventLoop,
            queueLimit: queueLimit,
            sessionTimeout: sessionTimeout,
            statistics: statistics
        ) { [weak self] session in
            self?.forget(session)
        }
        var query = target.query
        query.removeValue(forKey: "token")
        let request = ConnectionRequest(
            transport: .longPoll,
            path: target.path,
            queryParameters: query,
            headers: headers.map { (name: $0.name.lowercased(), value: $0.value) },
            subprotocols: [],
            remoteAddress: remoteAddress
        )
        switch endpoint.connect(request, connection: session) {
        case .accept(_, let transportSession):
            sessions.withLock { sessions in
                sessions.opening -= 1
                sessions.byToken[session.token] = session
            }
            session.attach(transportSession)
            if session.isClosed { forget(session) }
            return statusReply(410, token: session.token, messages: [], allowedOrigin: allowedOrigin)
        case .refuse(let status, let reason):
            sessions.withLock { $0.opening -= 1 }
            return statusReply(status, reason: reason, allowedOrigin: allowedOrigin)
        }
    }

    private func forget(_ session: LongPollSession) {
        sessions.withLock { sessions in
            guard sessions.byToken.removeValue(forKey: session.token) != nil else { return }
            // A flood of abandoned sessions leaves a large table behind: give it back once it is
            // mostly empty.
            if sessions.byToken.capacity > 1024, sessions.byToken.count * 8 < sessions.byToken.capacity {
                var smaller = [String: LongPollSession](minimumCapacity: sessions.byToken.count)
                for (token, session) in sessions.byToken { smaller[token] = session }
                sessions.byToken = smaller
            }
        }
    }

    // MARK: Replies

    private func statusReply(
        _ status: Int, token: String? = nil, messages: [TransportFrame]? = nil, reason: String? = nil, httpStatus: HTTPResponseStatus = .ok,
        allowedOrigin: String?
    ) -> HTTPReply {
        var body = ByteBuffer()
        body.writeString("{\"status\":\(status)")
        if let token {
            body.writeStaticString(",\"token\":")
            JSONWriter.writeString(token, into: &body)
        }
        if let reason {
            body.writeStaticString(",\"reason\":")
            JSONWriter.writeString(reason, into: &body)
        }
        if let messages {
            body.writeStaticString(",\"messages\":[")
            for (index, frame) in messages.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                switch frame {
                case .text(let bytes):
                    bytes.withUnsafeReadableBytes { JSONWriter.writeString($0, into: &body) }
                case .binary(let bytes):
                    let encoded = Base64.encode(bytes.readableBytesView)
                    encoded.withUnsafeBytes { JSONWriter.writeString($0, into: &body) }
                }
            }
            body.writeStaticString("]")
        }
        body.writeStaticString("}")
        return cors(HTTPReply(status: httpStatus, contentType: "application/json; charset=utf-8", body: body), allowedOrigin: allowedOrigin)
    }

    /// CORS for a page of `allowedOrigin` (an origin the endpoint allows; nil: no CORS at all, as
    /// for same-origin requests without an `Origin` header).
    private func cors(_ reply: HTTPReply, allowedOrigin: String?) -> HTTPReply {
        guard let allowedOrigin else { return reply }
        var reply = reply
        reply.headers.replaceOrAdd(name: "access-control-allow-origin", value: allowedOrigin)
        reply.headers.replaceOrAdd(name: "vary", value: "origin")
        return reply
    }
}
