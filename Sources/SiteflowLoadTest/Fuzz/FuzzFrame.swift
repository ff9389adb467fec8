/// One frame the fuzzer sends: the bytes and how they travel.
public struct FuzzFrame: Sendable, Equatable {
    /// How a frame is carried over a WebSocket (long-poll sends every kind as a POST body).
    public enum Kind: Sendable, Equatable {
        /// A text message (the bytes may be invalid UTF-8 on purpose).
        case text
        /// A binary message.
        case binary
        /// A text message sent without a mask key (a protocol violation by a client).
        case unmaskedText
        /// The first fragment of a text message whose rest never comes.
        case unfinishedText
        /// A ping carrying the bytes (at most 125 of them reach the server).
        case ping
    }

    /// The payload.
    public var bytes: [UInt8]
    /// How it is sent.
    public var kind: Kind
    /// The protocol the frame was derived from (`true`: V2 arrays or binary, `false`: V1 objects).
    public var isV2: Bool
}
