/// What a load-test push carries in its body, `"body":"lt <client> <seq> <sent-at-ns>"`: who
/// pushed it, its sequence number, and when (the monotonic clock, shared by every process on
/// the machine), so that every receiver of the broadcast can time it.
struct PushStamp: Equatable {
    /// The pushing client's index.
    var client: UInt64
    /// The push's sequence number (its `ref`).
    var sequence: UInt64
    /// When it was pushed, in monotonic nanoseconds.
    var sentAt: UInt64

    /// Reads the stamp from the `payload` range of a V2 frame's `bytes`; `nil` when it has none.
    init?(in bytes: UnsafeRawBufferPointer, payload: Range<Int>) {
        guard let marker = V2FrameScanner.find("\"body\":\"lt ", in: bytes, within: payload) else { return nil }
        var fields: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var start = marker.upperBound
        var cursor = start
        while cursor < payload.upperBound, count < 3 {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\"") {
                guard let value = V2FrameScanner.integer(bytes, in: start..<cursor) else { return nil }
                switch count {
                case 0: fields.0 = value
                case 1: fields.1 = value
                default: fields.2 = value
                }
                count += 1
                start = cursor + 1
                if byte == UInt8(ascii: "\"") { break }
            }
            cursor += 1
        }
        guard count == 3 else { return nil }
        (client, sequence, sentAt) = fields
    }
}
