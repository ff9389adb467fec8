public import NIOCore

/// A strict JSON parser (RFC 8259) over raw bytes, written by hand so that it can enforce
/// ``JSONLimits`` (depth, size), reject invalid UTF-8 and raw control characters, and avoid the
/// `Data`/`Codable` round trip of Foundation's `JSONDecoder`.
///
/// It never traps on input: every failure is a ``JSONDecodingError`` with the byte offset.
struct JSONParser: ~Copyable {
    private let bytes: UnsafeRawBufferPointer
    private let limits: JSONLimits
    private var index = 0
    private var depth = 0
    private var scratch: [UInt8] = []

    private init(bytes: UnsafeRawBufferPointer, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Parses exactly one JSON value (surrounded by optional whitespace) from `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, limits: JSONLimits) throws(JSONDecodingError) -> JSONValue {
        guard bytes.count <= limits.maxBytes else { throw JSONDecodingError(.tooLarge, offset: limits.maxBytes) }
        var parser = JSONParser(bytes: bytes, limits: limits)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw JSONDecodingError(.trailingData, offset: parser.index) }
        return value
    }

    /// Parses the readable bytes of `buffer`.
    static func parse(_ buffer: ByteBuffer, limits: JSONLimits) throws(JSONDecodingError) -> JSONValue {
        let result: Result<JSONValue, JSONDecodingError> = buffer.withUnsafeReadableBytes { raw in
            do throws(JSONDecodingError) { return .success(try parse(raw, limits: limits)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func fail(_ code: JSONDecodingError.Code) -> JSONDecodingError {
        JSONDecodingError(code, offset: index)
    }

    private mutating func parseValue() throws(JSONDecodingError) -> JSONValue {
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail(.unexpectedCharacter)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONDecodingError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw fail(.unexpectedEnd) }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] {
            index += offset
            throw fail(.unexpectedCharacter)
        }
        index += count
    }

    private mutating func enter() throws(JSONDecodingError) {
        depth += 1
        guard depth <= limits.maxDepth else { throw fail(.tooDeep) }
        index += 1
    }

    private mutating func parseArray() throws(JSONDecodingError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(elements)
            default: throw fail(.unexpectedCharacter)
            }
        }
    }

    private mutating func parseObject() throws(JSONDecodingError) -> JSONValue {
        try enter()
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[index] == UInt8(ascii: "\"") else { throw fail(.unexpectedCharacter) }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[index] == UInt8(ascii: ":") else { throw fail(.unexpectedCharacter) }
            index += 1
            skipWhitespace()
            object.appendUnchecked(key, try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(object)
            default: throw fail(.unexpectedCharacter)
            }
        }
    }

    /// Parses a string starting at the opening quote.
    private mutating func parseString() throws(JSONDecodingError) -> String {
        index += 1
        let start = index
        var ascii = true
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if ascii { return String(decoding: slice, as: UTF8.self) }
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw JSONDecodingError(.invalidUTF8, offset: start)
                }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail(.controlCharacterInString) }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        // Slow path: copy what we have, then decode escapes.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: scratch, as: UTF8.self) else {
                    throw JSONDecodingError(.invalidUTF8, offset: start)
                }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw fail(.unexpectedEnd) }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scratch.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): scratch.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"): try parseUnicodeEscape()
                default:
                    index -= 1
                    throw fail(.invalidEscape)
                }
            case 0..<0x20:
                throw fail(.controlCharacterInString)
            default:
                scratch.append(byte)
                index += 1
            }
        }
        throw fail(.unexpectedEnd)
    }

    private mutating func readHex4() throws(JSONDecodingError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw fail(.unexpectedEnd) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail(.invalidEscape)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseUnicodeEscape() throws(JSONDecodingError) {
        var code = try readHex4()
        if (0xD800...0xDBFF).contains(code) {
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw fail(.invalidEscape)
            }
            index += 2
            let low = try readHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw fail(.invalidEscape) }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
            throw fail(.invalidEscape)
        }
        guard let scalar = Unicode.Scalar(code) else { throw fail(.invalidEscape) }
        for unit in UTF8.encode(scalar) ?? UTF8.EncodedScalar() { scratch.append(unit) }
    }

    private mutating func parseNumber() throws(JSONDecodingError) -> JSONValue {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        var isInteger = true
        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]) {
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                magnitude = plus
                index += 1
            }
        } else {
            throw fail(.invalidNumber)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard try skipDigits() > 0 else { throw fail(.invalidNumber) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard try skipDigits() > 0 else { throw fail(.invalidNumber) }
        }
        if isInteger, !overflow {
            if negative, magnitude <= UInt64(Int64.max) + 1 {
                return .int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            }
            if !negative, magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw JSONDecodingError(.invalidNumber, offset: start) }
        return .double(value)
    }

    private mutating func skipDigits() throws(JSONDecodingError) -> Int {
        var count = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            index += 1
            count += 1
        }
        if count == 0, index >= bytes.count { throw fail(.unexpectedEnd) }
        return count
    }
}

extension JSONValue {
    /// Parses JSON text from raw bytes, enforcing `limits`.
    /// - Throws: ``JSONDecodingError`` naming what was wrong and where.
    public init(parsing bytes: some Sequence<UInt8>, limits: JSONLimits = .default) throws(JSONDecodingError) {
        let array = Array(bytes)
        let result: Result<JSONValue, JSONDecodingError> = array.withUnsafeBytes { raw in
            do throws(JSONDecodingError) { return .success(try JSONParser.parse(raw, limits: limits)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// Parses JSON text from a string.
    public init(parsing text: String, limits: JSONLimits = .default) throws(JSONDecodingError) {
        try self.init(parsing: text.utf8, limits: limits)
    }

    /// Parses the readable bytes of a `ByteBuffer` (no copy).
    public init(parsing buffer: ByteBuffer, limits: JSONLimits = .default) throws(JSONDecodingError) {
        self = try JSONParser.parse(buffer, limits: limits)
    }

    /// The value encoded as compact JSON into a new `ByteBuffer`.
    public func encoded() -> ByteBuffer {
        var writer = JSONWriter()
        writer.write(self)
        return writer.buffer
    }
}
