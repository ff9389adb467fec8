import NIOCore
import SiteflowRealtime
import Testing

@Suite("JSON values: strict parsing with limits, deterministic encoding")
struct JSONValueTests {
    @Test("parses every JSON type and encodes it back byte for byte")
    func roundTrip() throws {
        let text = #"{"a":1,"b":-2.5,"c":"x\"y\\z\n\u00e9","d":[true,false,null],"e":{},"f":[],"g":9223372036854775807,"h":1.0e+30}"#
        let value = try JSONValue(parsing: text)
        #expect(value["a"] == 1)
        #expect(value["b"] == .double(-2.5))
        #expect(value["c"] == .string("x\"y\\z\né"))
        #expect(value["g"] == .int(Int64.max))
        #expect(value["h"] == .double(1e30))
        let again = try JSONValue(parsing: value.description)
        #expect(again == value)
    }

    @Test("encoding keeps insertion order, so equal values built the same way give the same bytes")
    func deterministicEncoding() {
        let value: JSONValue = ["z": 1, "a": ["y": "q", "b": nil], "m": [1, 2.5, "s"]]
        #expect(value.description == #"{"z":1,"a":{"y":"q","b":null},"m":[1,2.5,"s"]}"#)
        #expect(value.description == value.description)
        #expect(String(buffer: value.encoded()) == value.description)
    }

    @Test("objects compare as dictionaries: order does not matter, the last repeated key wins")
    func objectEquality() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"b":2}"#) == JSONValue(parsing: #"{"b":2,"a":1}"#))
        #expect(try JSONValue(parsing: #"{"a":1,"a":2}"#)["a"] == 2)
    }

    @Test("control characters and non-ASCII are escaped or kept as UTF-8 correctly")
    func escaping() throws {
        let value = JSONValue.string("tab\tbell\u{07}é😀")
        #expect(value.description == "\"tab\\tbell\\u0007é😀\"")
        #expect(try JSONValue(parsing: value.description) == value)
        #expect(try JSONValue(parsing: #""\ud83d\ude00""#) == .string("😀"))
    }

    @Test("nesting beyond the depth limit is refused with tooDeep")
    func depthLimit() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: JSONDecodingError.self) { try JSONValue(parsing: deep, limits: JSONLimits(maxDepth: 32)) }
        do {
            _ = try JSONValue(parsing: deep, limits: JSONLimits(maxDepth: 32))
        } catch {
            #expect(error.code == .tooDeep)
        }
        #expect((try? JSONValue(parsing: deep, limits: JSONLimits(maxDepth: 40))) != nil)
    }

    @Test("input larger than maxBytes is refused with tooLarge")
    func sizeLimit() {
        #expect(throws: JSONDecodingError(.tooLarge, offset: 4)) { try JSONValue(parsing: "[1,2,3]", limits: JSONLimits(maxBytes: 4)) }
    }

    @Test("invalid UTF-8 inside a string is refused with invalidUTF8")
    func invalidUTF8() {
        let bytes: [UInt8] = [0x22, 0x61, 0xC3, 0x28, 0x22]
        #expect(throws: JSONDecodingError(.invalidUTF8, offset: 1)) { try JSONValue(parsing: bytes) }
        let overlong: [UInt8] = [0x22, 0xC0, 0xAF, 0x22]
        #expect(throws: JSONDecodingError.self) { try JSONValue(parsing: overlong) }
    }

    @Test("malformed text names what was wrong and where", arguments: [
        ("", JSONDecodingError.Code.unexpectedEnd),
        ("[1,", .unexpectedEnd),
        ("[1 2]", .unexpectedCharacter),
        ("{\"a\" 1}", .unexpectedCharacter),
        ("01", .trailingData),
        ("-", .unexpectedEnd),
        ("1.", .unexpectedEnd),
        ("1.e5", .invalidNumber),
        ("tru", .unexpectedEnd),
        ("nul!", .unexpectedCharacter),
        ("\"a\\x\"", .invalidEscape),
        ("\"\\ud800\"", .invalidEscape),
        ("\"a\u{01}\"", .controlCharacterInString),
        ("[1] x", .trailingData),
        ("1e999", .invalidNumber),
    ])
    func malformed(text: String, code: JSONDecodingError.Code) {
        do {
            _ = try JSONValue(parsing: text)
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.code == code, "\(text): \(error)")
        }
    }

    @Test("large integers beyond Int64 become doubles; integral doubles keep a fraction")
    func numbers() throws {
        #expect(try JSONValue(parsing: "18446744073709551616") == .double(18446744073709551616))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(Int64.min))
        #expect(JSONValue.double(3).description == "3.0")
        #expect(JSONValue.double(.nan).description == "null")
    }
}
