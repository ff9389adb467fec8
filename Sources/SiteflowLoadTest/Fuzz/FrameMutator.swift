/// Makes the fuzzer's frames: valid Phoenix frames (V1 objects, V2 arrays, V2 binary pushes) of
/// joins, leaves, heartbeats and pushes on random topics, mutated by bit flips, truncation,
/// splices, wrong types, huge numbers, deep nesting, bad UTF-8 and random event names; plus raw
/// random bytes and a few WebSocket-level oddities (unmasked, unfinished, ping). Deterministic for
/// a given ``FuzzRandom``.
public struct FrameMutator: Sendable {
    private var random: FuzzRandom
    private var nextRef = 1
    /// The topics this mutator's frames use: a few rooms of its own, so that joins and pushes meet.
    private let rooms: [String]

    /// A mutator drawing from `random`; `worker` names its rooms (`room:fuzz-<worker>-<k>`).
    public init(random: FuzzRandom, worker: Int) {
        self.random = random
        rooms = (0..<4).map { "room:fuzz-\(worker)-\($0)" }
    }

    /// The next frame; `isV2` says which protocol the connection speaks (frames of the other
    /// protocol are sent now and then too).
    ///
    /// A `survivable` frame is well-formed JSON (or a well-formed binary push) in the connection's
    /// protocol whose refs, topic and event may be odd strings and whose payload may hold values
    /// of surprising types, sizes and nesting: the server should answer it without closing the
    /// socket, so that most frames reach the channel layer. Otherwise anything goes (malformed
    /// JSON, wrong types at the frame level, bad UTF-8, raw bytes, WebSocket-level violations),
    /// which usually ends the socket.
    public mutating func next(isV2: Bool, survivable: Bool = false) -> FuzzFrame {
        if survivable {
            if isV2, random.chance(8) {
                return FuzzFrame(bytes: binaryPush(), kind: .binary, isV2: true)
            }
            return FuzzFrame(bytes: Array(oddFrame(isV2: isV2).utf8), kind: .text, isV2: isV2)
        }
        let roll = random.below(100)
        if roll < 4 {
            return FuzzFrame(bytes: randomBytes(count: random.below(300)), kind: random.chance(50) ? .text : .binary, isV2: isV2)
        }
        if roll < 12 {
            var frame = FuzzFrame(bytes: binaryPush(), kind: .binary, isV2: true)
            if random.chance(70) { frame.bytes = mutate(frame.bytes) }
            return frame
        }
        let speaksV2 = random.chance(90) ? isV2 : !isV2
        var bytes = Array((speaksV2 ? v2Frame() : v1Frame()).utf8)
        if random.chance(75) { bytes = mutate(bytes) }
        let kindRoll = random.below(1000)
        let kind: FuzzFrame.Kind =
            kindRoll < 3 ? .unmaskedText : kindRoll < 6 ? .unfinishedText : kindRoll < 16 ? .ping : .text
        return FuzzFrame(bytes: bytes, kind: kind, isV2: speaksV2)
    }

    // MARK: Valid frames

    private mutating func topic() -> String {
        switch random.below(10) {
        case 0: "phoenix"
        case 1: "room:" + randomName()
        case 2: randomName() + ":" + randomName()
        default: rooms[random.below(rooms.count)]
        }
    }

    private mutating func event() -> String {
        switch random.below(12) {
        case 0...3: "new_msg"
        case 4, 5: "phx_join"
        case 6: "phx_leave"
        case 7: "heartbeat"
        case 8: "typing"
        default: randomName()
        }
    }

    private mutating func payload(for event: String) -> String {
        switch event {
        case "phx_join": #"{"nickname":"fz\#(random.below(1000))"}"#
        case "new_msg": #"{"body":"fuzz \#(random.below(1_000_000))"}"#
        default: "{}"
        }
    }

    private mutating func ref() -> String {
        nextRef += 1
        return String(nextRef)
    }

    private mutating func v2Frame() -> String {
        let event = event()
        let topic = event == "heartbeat" ? "phoenix" : topic()
        let joinRef = event == "heartbeat" ? "null" : quoted(random.below(8))
        return #"[\#(joinRef),"\#(ref())","\#(topic)","\#(event)",\#(payload(for: event))]"#
    }

    private mutating func v1Frame() -> String {
        let event = event()
        let topic = event == "heartbeat" ? "phoenix" : topic()
        return #"{"topic":"\#(topic)","event":"\#(event)","payload":\#(payload(for: event)),"ref":"\#(ref())","join_ref":"\#(random.below(8))"}"#
    }

    /// A well-formed frame (strings where the protocol wants strings, an object for the payload)
    /// whose refs, topic and event may be odd strings and whose payload may hold values of
    /// surprising types and sizes. (Frames with wrong types at the frame level are protocol
    /// errors that close the socket; ``mutate(_:)`` makes those.)
    private mutating func oddFrame(isV2: Bool) -> String {
        let event = event()
        var fields = [
            random.chance(10) ? "null" : quoted(random.below(8)),
            quoted(ref()),
            quoted(event == "heartbeat" ? "phoenix" : topic()),
            quoted(event),
            payload(for: event),
        ]
        if random.chance(70) {
            let field = random.below(fields.count + 2)
            if field < 4 {
                fields[field] = random.chance(50) ? "\"" + randomName() + "\"" : "\"" + String(repeating: "9", count: 1 + random.below(400)) + "\""
            } else {
                fields[4] = #"{"body":\#(oddValue()),"nickname":\#(oddValue()),"\#(randomName())":\#(oddValue())}"#
            }
        }
        if isV2 { return "[" + fields.joined(separator: ",") + "]" }
        return #"{"join_ref":\#(fields[0]),"ref":\#(fields[1]),"topic":\#(fields[2]),"event":\#(fields[3]),"payload":\#(fields[4])}"#
    }

    /// `value` as a JSON string literal (values here need no escaping).
    private func quoted(_ value: some CustomStringConvertible) -> String {
        "\"" + value.description + "\""
    }

    /// A valid JSON value of a surprising type or size.
    private mutating func oddValue() -> String {
        switch random.below(5) {
        case 0:
            return String(decoding: wrongTypeValue(), as: UTF8.self)
        case 1:
            // Numbers beyond what the parser takes, and nesting beyond its depth limit (32), are
            // decoding errors that close the socket: now and then only.
            return random.chance(10) ? String(decoding: hugeNumber(), as: UTF8.self) : String(random.next())
        case 2:
            let depth = 1 + random.below(random.chance(95) ? 24 : 2_000)
            return String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        case 3:
            return "\"" + randomName() + "\""
        default:
            return "\"" + String(repeating: "x", count: random.below(random.chance(95) ? 200 : 20_000)) + "\""
        }
    }

    /// A V2 binary push: kind 0, the four sizes, join ref, ref, topic, event, then the payload.
    private mutating func binaryPush() -> [UInt8] {
        let joinRef = Array(String(random.below(8)).utf8)
        let ref = Array(ref().utf8)
        let topic = Array(topic().utf8)
        let event = Array(event().utf8)
        var bytes: [UInt8] = [0, UInt8(truncatingIfNeeded: joinRef.count), UInt8(truncatingIfNeeded: ref.count),
                              UInt8(truncatingIfNeeded: topic.count), UInt8(truncatingIfNeeded: event.count)]
        bytes += joinRef + ref + topic + event
        bytes += randomBytes(count: random.below(64))
        return bytes
    }

    // MARK: Mutations

    private mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + random.below(3)) {
            // Mostly mutations that keep text valid UTF-8, so that the frames reach the JSON and
            // channel layers rather than ending every socket with 1007.
            switch random.below(20) {
            case 0, 1: bytes = flipBits(bytes)
            case 2, 3: bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
            case 4, 5: bytes = splice(bytes)
            case 6, 7: bytes = replaceValue(bytes, with: wrongTypeValue())
            case 8, 9: bytes = replaceValue(bytes, with: hugeNumber())
            case 10: bytes = replaceValue(bytes, with: deepNesting())
            case 11: bytes = insert(badUTF8(), into: bytes)
            case 12, 13: bytes = replaceValue(bytes, with: Array("\"\(randomName())\"".utf8))
            case 14, 15: bytes = insert(randomBytes(count: 1 + random.below(8)).map { $0 & 0x7F }, into: bytes)
            default: bytes = duplicateRange(bytes)
            }
        }
        return bytes
    }

    /// Flips one to eight bits, almost always below bit 7 so that ASCII stays valid UTF-8.
    private mutating func flipBits(_ input: [UInt8]) -> [UInt8] {
        guard !input.isEmpty else { return input }
        var bytes = input
        for _ in 0..<(1 + random.below(8)) {
            let bit = random.chance(97) ? random.below(7) : 7
            bytes[random.below(bytes.count)] ^= UInt8(1) << UInt8(bit)
        }
        return bytes
    }

    /// The start of this frame with the end of another valid frame.
    private mutating func splice(_ input: [UInt8]) -> [UInt8] {
        let other = Array((random.chance(50) ? v2Frame() : v1Frame()).utf8)
        return Array(input.prefix(random.below(input.count + 1))) + Array(other.suffix(random.below(other.count + 1)))
    }

    /// Replaces the value after a random separator (`,` or `:`) up to the next one.
    private mutating func replaceValue(_ input: [UInt8], with value: [UInt8]) -> [UInt8] {
        let separators = input.indices.filter { input[$0] == UInt8(ascii: ",") || input[$0] == UInt8(ascii: ":") || input[$0] == UInt8(ascii: "[") }
        guard let start = separators.isEmpty ? nil : separators[random.below(separators.count)] else {
            return value
        }
        var end = start + 1
        while end < input.count, ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(input[end]) { end += 1 }
        return Array(input[...start]) + value + Array(input[end...])
    }

    private mutating func wrongTypeValue() -> [UInt8] {
        let values = ["1", "-1", "true", "false", "null", "{}", "[]", "[1,2,3]", #"{"a":{"b":[]}}"#, "0.5", "\"\"", "1e3"]
        return Array(values[random.below(values.count)].utf8)
    }

    private mutating func hugeNumber() -> [UInt8] {
        let values = ["18446744073709551616", "-9223372036854775809", "1e999999", "-1e-999999",
                      String(repeating: "9", count: 1 + random.below(5000)), "123456789012345678901234567890.5e308"]
        return Array(values[random.below(values.count)].utf8)
    }

    private mutating func deepNesting() -> [UInt8] {
        let depth = random.chance(80) ? 1 + random.below(200) : 1 + random.below(20_000)
        let open: UInt8 = random.chance(50) ? UInt8(ascii: "[") : UInt8(ascii: "{")
        if open == UInt8(ascii: "{") {
            return Array(String(repeating: "{\"a\":", count: depth).utf8) + [UInt8(ascii: "1")] + Array(repeating: UInt8(ascii: "}"), count: random.chance(80) ? depth : random.below(depth + 1))
        }
        return Array(repeating: open, count: depth) + Array(repeating: UInt8(ascii: "]"), count: random.chance(80) ? depth : random.below(depth + 1))
    }

    private mutating func badUTF8() -> [UInt8] {
        let sequences: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xC0, 0xAF], [0x80], [0x00]]
        return sequences[random.below(sequences.count)]
    }

    private mutating func insert(_ inserted: [UInt8], into input: [UInt8]) -> [UInt8] {
        let at = random.below(input.count + 1)
        return Array(input[..<at]) + inserted + Array(input[at...])
    }

    private mutating func duplicateRange(_ input: [UInt8]) -> [UInt8] {
        guard !input.isEmpty else { return input }
        let start = random.below(input.count)
        let end = min(input.count, start + 1 + random.below(64))
        let copies = 1 + random.below(random.chance(90) ? 4 : 400)
        var bytes = Array(input[..<end])
        for _ in 0..<copies { bytes += input[start..<end] }
        return bytes + input[end...]
    }

    private mutating func randomName() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz_0123456789:-*/.%é😀 ")
        let count = random.chance(95) ? 1 + random.below(16) : 1 + random.below(600)
        return String((0..<count).map { _ in alphabet[random.below(alphabet.count)] })
    }

    private mutating func randomBytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }
}
