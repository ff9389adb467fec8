package import NIOCore

/// Encodes ``JSONValue`` trees as compact JSON: keys in the object's order, so the output is
/// deterministic. Bytes accumulate in a reserved array (appending a byte is a capacity check
/// and a store) and become one `ByteBuffer` at the end (``buffer``).
///
/// Strings are escaped as JSON requires (`"`, `\`, control characters); non-ASCII characters are
/// written as UTF-8. Non-finite doubles (which JSON cannot express) are written as `null`.
package struct JSONWriter {
    private(set) var bytes: [UInt8]

    /// Starts with room for a typical Phoenix frame, so small frames need one allocation.
    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The bytes written so far, as a `ByteBuffer` (one copy).
    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always)
    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag):
            if flag { raw("true") } else { raw("false") }
        case .int(let number): writeInteger(number)
        case .double(let number):
            if number.isFinite {
                if let exact = Int64(exactly: number), abs(number) < 1e15 {
                    writeInteger(exact)
                    raw(".0")
                } else {
                    bytes.append(contentsOf: number.description.utf8)
                }
            } else {
                raw("null")
            }
        case .string(let text): writeString(text)
        case .array(let elements):
            byte(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { byte(UInt8(ascii: ",")) }
                first = false
                write(element)
            }
            byte(UInt8(ascii: "]"))
        case .object(let object):
            byte(UInt8(ascii: "{"))
            var first = true
            for entry in object.entries {
                if !first { byte(UInt8(ascii: ",")) }
                first = false
                writeString(entry.key)
                byte(UInt8(ascii: ":"))
                write(entry.value)
            }
            byte(UInt8(ascii: "}"))
        }
    }

    /// Writes `null` for `nil`, else the string.
    mutating func writeOptionalString(_ text: String?) {
        if let text { writeString(text) } else { raw("null") }
    }

    mutating func writeInteger(_ number: Int64) {
        if number == 0 {
            byte(UInt8(ascii: "0"))
            return
        }
        if number < 0 { byte(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        let start = bytes.count
        while magnitude > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        }
        bytes[start...].reverse()
    }

    mutating func writeString(_ text: String) {
        var text = text
        text.withUTF8 { Self.writeString(UnsafeRawBufferPointer($0), into: &bytes) }
    }

    /// Appends `"…"` holding the UTF-8 `text` to `sink`, escaped as JSON requires (`"`, `\`,
    /// control characters; other bytes as they are): the package's one JSON string escaper,
    /// for this writer and for transports that write replies straight into a `ByteBuffer`.
    package static func writeString(_ text: UnsafeRawBufferPointer, into sink: inout some JSONByteSink) {
        sink.appendJSONByte(UInt8(ascii: "\""))
        var clean = 0  // start of the run of bytes that need no escaping
        for index in text.indices {
            let value = text[index]
            guard value < 0x20 || value == UInt8(ascii: "\"") || value == UInt8(ascii: "\\") else { continue }
            sink.appendJSONBytes(UnsafeRawBufferPointer(rebasing: text[clean..<index]))
            clean = index + 1
            switch value {
            case UInt8(ascii: "\""): sink.appendJSONBytes("\\\"")
            case UInt8(ascii: "\\"): sink.appendJSONBytes("\\\\")
            case 0x0A: sink.appendJSONBytes("\\n")
            case 0x0D: sink.appendJSONBytes("\\r")
            case 0x09: sink.appendJSONBytes("\\t")
            case 0x08: sink.appendJSONBytes("\\b")
            case 0x0C: sink.appendJSONBytes("\\f")
            default:
                sink.appendJSONBytes("\\u00")
                sink.appendJSONByte(hexDigit(value >> 4))
                sink.appendJSONByte(hexDigit(value & 0xF))
            }
        }
        sink.appendJSONBytes(UnsafeRawBufferPointer(rebasing: text[clean...]))
        sink.appendJSONByte(UInt8(ascii: "\""))
    }

    /// Appends `"…"` holding `text` to a `ByteBuffer`.
    package static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { writeString(UnsafeRawBufferPointer($0), into: &buffer) }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

/// Where JSON text is appended: the writer's byte array, or a transport's `ByteBuffer`.
package protocol JSONByteSink {
    /// Appends one byte.
    mutating func appendJSONByte(_ byte: UInt8)
    /// Appends bytes.
    mutating func appendJSONBytes(_ bytes: UnsafeRawBufferPointer)
}

extension JSONByteSink {
    /// Appends a literal.
    @inline(__always)
    mutating func appendJSONBytes(_ text: StaticString) {
        appendJSONBytes(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

extension Array: JSONByteSink where Element == UInt8 {
    @inline(__always)
    package mutating func appendJSONByte(_ byte: UInt8) { append(byte) }
    @inline(__always)
    package mutating func appendJSONBytes(_ bytes: UnsafeRawBufferPointer) { append(contentsOf: bytes) }
}

extension ByteBuffer: JSONByteSink {
    package mutating func appendJSONByte(_ byte: UInt8) { writeInteger(byte) }
    package mutating func appendJSONBytes(_ bytes: UnsafeRawBufferPointer) { writeBytes(bytes) }
}
