import NIOCore
import SiteflowRealtime
import SiteflowWebSocketCodec

/// The server side of one WebSocket (RFC 6455) as a value: fragment reassembly, ping answers,
/// the close handshake and the partial-frame deadline. It performs no I/O; each `mutating`
/// method returns what the connection's NIO handler must do, so every rule is specified
/// without sockets.
///
/// Rules:
/// - a message is at most ``Limits/maxMessageSize`` bytes, however it is fragmented (1009);
///   a continuation without a message, or a new message inside a fragmented one, is 1002;
///   text is UTF-8 (1007);
/// - pings are coalesced (RFC 6455 §5.5.3): only the latest unanswered ping is answered, and a
///   client that sends more than ``Limits/maxUnansweredPings`` pings the server could not answer
///   yet is flooding (1008);
/// - a close frame carries no code, or a valid one (§7.4: 1000–1003, 1007–1014, 3000–4999) —
///   otherwise 1002 — and a UTF-8 reason (otherwise 1007); an acceptable one is echoed;
/// - a frame (or fragmented message) begun must complete within ``Limits/partialFrameTimeout``
///   (1008).
///
/// An idle connection's machine is a shared limits reference, a phase and one `nil` reference: what only a fragmented
/// message, an unanswered ping or the close handshake needs is kept out of line.
struct WebSocketStateMachine {
    /// The limits in force (one shared object for every connection of a server).
    typealias Limits = WebSocketLimits

    /// Where the connection is in its life.
    enum Phase: Equatable {
        /// Frames flow both ways.
        case open
        /// A close frame was sent or received; only the client's close frame still matters.
        case closing
        /// The TCP connection is gone.
        case closed
    }

    /// What the handler does with a frame the client sent.
    enum FrameAction: Equatable {
        /// Nothing to do now.
        case none
        /// Hand a complete message to the session.
        case deliver(ByteBuffer, isText: Bool)
        /// The client broke a rule: send a close frame with this code and reason, then wait
        /// for the client's close (bounded by the handshake timeout).
        case fail(TransportCloseCode, String)
        /// The client began the close handshake: send a close frame with `code` (none when the
        /// client sent none) and drop the TCP connection once it is written.
        case answerClose(code: TransportCloseCode?)
        /// The handshake is complete (our close was answered): drop the TCP connection.
        case dropConnection
    }

    /// What the handler does when a partial frame's deadline timer fires.
    enum DeadlineAction: Equatable {
        /// Nothing is overdue, and nothing partial is held.
        case none
        /// Something partial is held that is not overdue yet: check again at this time.
        case checkAgain(at: NIODeadline)
        /// A frame stayed incomplete too long: close with this code and reason.
        case fail(TransportCloseCode, String)
    }

    /// The rarely needed state, out of line.
    private struct Occasional {
        var fragments: ByteBuffer?
        var fragmentIsText = false
        var pendingPong: ByteBuffer?
        var unansweredPings = 0
        var closeCode: TransportCloseCode?
        var closeReason = ""
        var partialSince: NIODeadline?
        var deadlineArmed = false
    }

    /// A copy-on-write box, so that the machine stays a value while an idle one carries only a
    /// `nil` reference.
    private final class Box {
        var value: Occasional
        init(_ value: Occasional) { self.value = value }
    }

    // Declared so that the one-byte phase comes last: the owner's flags pack behind it.
    /// The limits in force.
    let limits: Limits
    private var box: Box?
    /// Where the connection is.
    private(set) var phase = Phase.open

    /// A machine for a freshly opened connection.
    init(limits: Limits) {
        self.limits = limits
    }

    /// Mutates the out-of-line state, creating it, or copying it when shared (copy on write).
    private mutating func update<Result>(_ body: (inout Occasional) -> Result) -> Result {
        let storage: Box
        if isKnownUniquelyReferenced(&box), let unique = box {
            storage = unique
        } else {
            storage = Box(box?.value ?? Occasional())
            box = storage
        }
        return body(&storage.value)
    }

    // MARK: Frames

    /// Decides what to do with one complete frame from the client.
    mutating func received(_ frame: WebSocketFrameParser.Frame) -> FrameAction {
        switch frame.opcode {
        case .text, .binary:
            guard phase == .open else { return .none }
            guard box?.value.fragments == nil else {
                return fail(.protocolError, "a new message began before the fragmented one ended")
            }
            let isText = frame.opcode == .text
            if frame.fin { return complete(frame.payload, isText: isText) }
            update {
                $0.fragments = frame.payload
                $0.fragmentIsText = isText
            }
            return .none
        case .continuation:
            guard phase == .open else { return .none }
            guard var buffer = box?.value.fragments else {
                return fail(.protocolError, "a continuation frame without a message to continue")
            }
            update { $0.fragments = nil }
            guard buffer.readableBytes + frame.payload.readableBytes <= limits.maxMessageSize else {
                return fail(.messageTooBig, "message larger than \(limits.maxMessageSize) bytes")
            }
            var payload = frame.payload
            buffer.writeBuffer(&payload)
            if frame.fin { return complete(buffer, isText: box?.value.fragmentIsText ?? false) }
            update { $0.fragments = buffer }
            return .none
        case .ping:
            guard phase == .open else { return .none }
            let budget = limits.maxUnansweredPings
            let flooding = update { state -> Bool in
                if state.pendingPong != nil { state.unansweredPings += 1 }
                state.pendingPong = frame.payload
                return state.unansweredPings > budget
            }
            if flooding {
                return fail(.policyViolation, "ping flood: more than \(limits.maxUnansweredPings) pings unanswered")
            }
            return .none
        case .pong:
            return .none
        case .close:
            return receivedClose(frame.payload)
        }
    }

    private mutating func complete(_ payload: ByteBuffer, isText: Bool) -> FrameAction {
        if isText {
            let valid = payload.withUnsafeReadableBytes { UTF8Validation.isValid($0) }
            guard valid else { return fail(.invalidPayload, "text frame is not valid UTF-8") }
        }
        return .deliver(payload, isText: isText)
    }

    /// Whether a pong waits to be written (the latest unanswered ping's).
    var hasPendingPong: Bool { box?.value.pendingPong != nil }

    /// The pong to write now, if any; the pings it answers count as answered.
    mutating func takePendingPong() -> ByteBuffer? {
        guard phase == .open, box?.value.pendingPong != nil else { return nil }
        return update { state in
            defer {
                state.pendingPong = nil
                state.unansweredPings = 0
            }
            return state.pendingPong
        }
    }

    /// Bytes of an unfinished fragmented message held by the machine.
    var fragmentBytes: Int { box?.value.fragments?.readableBytes ?? 0 }

    // MARK: Closing

    private mutating func receivedClose(_ payload: ByteBuffer) -> FrameAction {
        switch phase {
        case .closing:
            return .dropConnection
        case .closed:
            return .none
        case .open:
            break
        }
        let body: WebSocketCloseBody
        do throws(WebSocketProtocolViolation) {
            body = try WebSocketCloseBody(decoding: payload)
        } catch {
            return fail(TransportCloseCode(rawValue: error.closeCode), error.reason)
        }
        let code = body.code.map { TransportCloseCode(rawValue: $0) }
        let reason = body.reason
        phase = .closing
        update { state in
            state.closeCode = code
            state.closeReason = reason
            state.fragments = nil
            state.pendingPong = nil
            state.partialSince = nil
        }
        return .answerClose(code: code)
    }

    /// Starts the close handshake from the server side (the socket layer's close, or a rule the
    /// client broke). Returns whether a close frame with ``closeCode`` and ``closeReason`` must
    /// now be sent (`false` when the handshake already began).
    mutating func close(code: TransportCloseCode, reason: String) -> Bool {
        guard phase == .open else { return false }
        phase = .closing
        update { state in
            state.closeCode = code
            state.closeReason = reason
            state.fragments = nil
            state.pendingPong = nil
            state.partialSince = nil
        }
        return true
    }

    private mutating func fail(_ code: TransportCloseCode, _ reason: String) -> FrameAction {
        guard close(code: code, reason: reason) else { return .none }
        return .fail(code, reason)
    }

    /// The TCP connection is gone; everything held is dropped.
    mutating func connectionClosed() {
        phase = .closed
        guard box != nil else { return }
        update { state in
            state.fragments = nil
            state.pendingPong = nil
            state.partialSince = nil
        }
    }

    /// The code of the close handshake (ours or the client's), for the session.
    var closeCode: TransportCloseCode? { box?.value.closeCode }
    /// The reason of the close handshake, for the session.
    var closeReason: String { box?.value.closeReason ?? "" }

    // MARK: Partial frames

    /// Records how many bytes of unfinished frames and messages the connection holds after a
    /// read, at `now` (only read when bytes are held). Returns the time a deadline check must run, when a partial frame just
    /// began and no check is pending.
    mutating func holding(partialBytes: Int, now: @autoclosure () -> NIODeadline) -> NIODeadline? {
        if partialBytes == 0 {
            if box?.value.partialSince != nil { update { $0.partialSince = nil } }
            return nil
        }
        guard phase == .open, box?.value.partialSince == nil else { return nil }
        let timeout = limits.partialFrameTimeout
        let now = now()
        return update { state -> NIODeadline? in
            state.partialSince = now
            guard !state.deadlineArmed else { return nil }
            state.deadlineArmed = true
            return now + timeout
        }
    }

    /// The deadline check asked for by ``holding(partialBytes:now:)`` runs at `now`.
    mutating func partialDeadlineReached(now: NIODeadline) -> DeadlineAction {
        update { $0.deadlineArmed = false }
        guard phase == .open, let since = box?.value.partialSince else { return .none }
        let due = since + limits.partialFrameTimeout
        guard now >= due else {
            update { $0.deadlineArmed = true }
            return .checkAgain(at: due)
        }
        _ = close(code: .policyViolation, reason: "frame incomplete after \(limits.partialFrameTimeout.nanoseconds / 1_000_000) ms")
        return .fail(.policyViolation, closeReason)
    }
}
