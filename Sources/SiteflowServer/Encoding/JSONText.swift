import NIOCore

/// Writes JSON string literals straight into a `ByteBuffer` (long-poll replies), escaping as
/// RFC 8259 requires, without building intermediate `String`s.
enum JSONText {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `"…"` holding `bytes` (UTF-8) to `buffer`.
    static func writeString(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var runStart = 0
        for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            if runStart < index {
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            }
            runStart = index + 1
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            default:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0x0F)])
            }
        }
        if runStart < bytes.count {
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// Appends `"…"` holding `text` to `buffer`.
    static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { writeString(UnsafeRawBufferPointer($0), into: &buffer) }
    }
}
