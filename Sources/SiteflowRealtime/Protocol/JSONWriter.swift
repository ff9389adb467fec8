import NIOCore

/// Encodes ``JSONValue`` trees as compact JSON straight into a `ByteBuffer`: no intermediate
/// strings, keys in the object's order, so the output is deterministic.
///
/// Strings are escaped as JSON requires (`"`, `\`, control characters); non-ASCII characters are
/// written as UTF-8. Non-finite doubles (which JSON cannot express) are written as `null`.
struct JSONWriter {
    var buffer: ByteBuffer

    /// Starts with room for a typical Phoenix frame, so small frames need one allocation.
    init(buffer: ByteBuffer = ByteBufferAllocator().buffer(capacity: 256)) { self.buffer = buffer }

    var string: String { String(buffer: buffer) }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: buffer.writeStaticString("null")
        case .bool(let flag):
            if flag { buffer.writeStaticString("true") } else { buffer.writeStaticString("false") }
        case .int(let number): writeInteger(number)
        case .double(let number):
            if number.isFinite {
                if let exact = Int64(exactly: number), abs(number) < 1e15 {
                    writeInteger(exact)
                    buffer.writeStaticString(".0")
                } else {
                    buffer.writeString(number.description)
                }
            } else {
                buffer.writeStaticString("null")
            }
        case .string(let text): writeString(text)
        case .array(let elements):
            buffer.writeInteger(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { buffer.writeInteger(UInt8(ascii: ",")) }
                first = false
                write(element)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .object(let object):
            buffer.writeInteger(UInt8(ascii: "{"))
            var first = true
            for entry in object.entries {
                if !first { buffer.writeInteger(UInt8(ascii: ",")) }
                first = false
                writeString(entry.key)
                buffer.writeInteger(UInt8(ascii: ":"))
                write(entry.value)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// Writes `null` for `nil`, else the string.
    mutating func writeOptionalString(_ text: String?) {
        if let text { writeString(text) } else { buffer.writeStaticString("null") }
    }

    mutating func writeInteger(_ number: Int64) {
        if number == 0 {
            buffer.writeInteger(UInt8(ascii: "0"))
            return
        }
        var magnitude = number.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, no allocation
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            while magnitude > 0 {
                scratch[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if number < 0 {
                scratch[23 - count] = UInt8(ascii: "-")
                count += 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[(24 - count)...]))
        }
    }

    mutating func writeString(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var needsEscape = false
        for byte in text.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        if !needsEscape {
            buffer.writeString(text)
        } else {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                case 0..<0x20:
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(Self.hexDigit(byte >> 4))
                    buffer.writeInteger(Self.hexDigit(byte & 0xF))
                default: buffer.writeInteger(byte)
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
