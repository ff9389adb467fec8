/// The reply to one client push, kept to be sent later — after an asynchronous step such as a
/// store commit — from any thread (Phoenix's `socket_ref` + `reply/2`). Get it with
/// ``ChannelSocket/deferReply()`` inside `handleIn` and return ``ChannelReplyAction/noReply``.
///
/// Replying more than once sends more than one reply; the client uses only the first.
public struct DeferredReply: Sendable {
    let output: SocketOutput
    let joinRef: String?
    let ref: String?
    let topic: String

    /// Sends the reply. Returns `false` if the connection has closed meanwhile.
    @discardableResult
    public func reply(_ status: PhoenixReply.Status, _ response: PhoenixPayload) -> Bool {
        output.reply(PhoenixReply(joinRef: joinRef, ref: ref, topic: topic, status: status, response: response))
    }

    /// Replies ok with a JSON response.
    @discardableResult
    public func ok(_ response: JSONValue = .emptyObject) -> Bool {
        reply(.ok, .json(response))
    }

    /// Replies error with `{"reason": reason}`.
    @discardableResult
    public func error(_ reason: String) -> Bool {
        reply(.error, .json(.object(JSONObject([(key: "reason", value: .string(reason))]))))
    }
}
