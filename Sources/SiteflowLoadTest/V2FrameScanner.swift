/// A minimal, allocation-free reader of Phoenix V2 JSON frames
/// (`[join_ref, ref, topic, event, payload]`): it finds the byte ranges of the five elements
/// without decoding the payload, which is all the load tester and the bench endpoint need.
public struct V2FrameScanner {
    /// Byte range of one element in the scanned bytes; `nil` for a JSON `null`.
    public typealias Field = Range<Int>?

    /// `join_ref`'s characters (without quotes), or `nil`.
    public var joinRef: Field
    /// `ref`'s characters (without quotes), or `nil`.
    public var ref: Field
    /// The topic's characters.
    public var topic: Range<Int>
    /// The event's characters.
    public var event: Range<Int>
    /// The payload object, braces included.
    public var payload: Range<Int>

    /// Scans `bytes`; `nil` when they are not a V2 frame.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        func skipSpaces() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }
        func expect(_ byte: UInt8) -> Bool {
            skipSpaces()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        /// A string (range inside the quotes) or null (`.some(nil)`); `nil` on error.
        func stringOrNull() -> Field? {
            skipSpaces()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "n") {
                guard index + 4 <= bytes.count else { return nil }
                index += 4
                return .some(nil)
            }
            guard bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard index < bytes.count else { return nil }
            let range = start..<index
            index += 1
            return .some(range)
        }
        guard expect(UInt8(ascii: "[")),
            let joinRef = stringOrNull(), expect(UInt8(ascii: ",")),
            let ref = stringOrNull(), expect(UInt8(ascii: ",")),
            let topicField = stringOrNull(), let topic = topicField, expect(UInt8(ascii: ",")),
            let eventField = stringOrNull(), let event = eventField, expect(UInt8(ascii: ","))
        else { return nil }
        skipSpaces()
        var end = bytes.count
        while end > index, bytes[end - 1] != UInt8(ascii: "]") { end -= 1 }
        guard end > index else { return nil }
        end -= 1
        while end > index, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D || bytes[end - 1] == 0x09 {
            end -= 1
        }
        self.joinRef = joinRef
        self.ref = ref
        self.topic = topic
        self.event = event
        self.payload = index..<end
    }

    /// Whether the bytes in `range` equal `text`.
    public static func bytes(_ bytes: UnsafeRawBufferPointer, in range: Range<Int>, equal text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != expected[offset] {
            return false
        }
        return true
    }

    /// The decimal number in `range`, if it is one.
    public static func integer(_ bytes: UnsafeRawBufferPointer, in range: Range<Int>) -> UInt64? {
        guard !range.isEmpty, range.count <= 19 else { return nil }
        var value: UInt64 = 0
        for index in range {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + UInt64(digit)
        }
        return value
    }

    /// The range of the first occurrence of `needle` inside `range`.
    public static func find(_ needle: StaticString, in bytes: UnsafeRawBufferPointer, within range: Range<Int>) -> Range<Int>? {
        let count = needle.utf8CodeUnitCount
        guard count > 0, range.count >= count else { return nil }
        var index = range.lowerBound
        while index + count <= range.upperBound {
            if Self.bytes(bytes, in: index..<(index + count), equal: needle) {
                return index..<(index + count)
            }
            index += 1
        }
        return nil
    }
}
