/// Rules for room names and nicknames, checked before anything reaches the store.
///
/// Lengths are counted in UTF-8 bytes, not Characters: one extended grapheme cluster can be
/// arbitrarily long, and every byte of a nickname is repeated in each push that carries it. Names
/// that could pose as the node itself (``reservedNames``, any letter case) are refused.
enum ChatNames {
    /// The topic prefix of chat rooms.
    static let topicPrefix = "room:"
    /// The longest room name, in UTF-8 bytes.
    static let maxRoomBytes = 64
    /// The longest nickname, in UTF-8 bytes (the store's limit too).
    static let maxNicknameBytes = 64
    /// Names no room or nickname may take, compared case-insensitively.
    static let reservedNames: Set<String> = ["system", "server", "admin", "administrator", "phoenix", "siteflow", "root"]

    /// Why a name was refused (the text of the join refusal).
    enum Refusal: String, Error {
        /// The room name's length or characters are not allowed.
        case invalidRoom = "invalid room name: use 1-64 bytes of letters, digits, '-', '_' or '.'"
        /// The nickname's length or characters are not allowed.
        case invalidNickname = "invalid nickname: use 1-64 bytes (UTF-8) without control characters"
        /// The room name is reserved for the system.
        case reservedRoom = "this room name is reserved"
        /// The nickname is reserved for the system.
        case reservedNickname = "this nickname is reserved"
    }

    /// The room of a topic `room:<name>` if the name is 1–64 bytes of letters, digits, `-`, `_`
    /// or `.` and not reserved.
    static func room(ofTopic topic: String) -> Result<String, Refusal> {
        guard topic.hasPrefix(topicPrefix) else { return .failure(.invalidRoom) }
        let name = topic.dropFirst(topicPrefix.count)
        guard (1...maxRoomBytes).contains(name.utf8.count), name.allSatisfy(isNameCharacter) else {
            return .failure(.invalidRoom)
        }
        guard !isReserved(name) else { return .failure(.reservedRoom) }
        return .success(String(name))
    }

    /// A nickname with surrounding spaces removed, if it is 1–64 bytes, has no control
    /// characters and is not reserved.
    static func nickname(_ raw: String) -> Result<String, Refusal> {
        let trimmed = raw.trimmingSpaces()
        guard (1...maxNicknameBytes).contains(trimmed.utf8.count),
              !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return .failure(.invalidNickname)
        }
        guard !isReserved(trimmed) else { return .failure(.reservedNickname) }
        return .success(trimmed)
    }

    private static func isReserved(_ name: some StringProtocol) -> Bool {
        reservedNames.contains(name.lowercased())
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "-" || character == "_" || character == "."
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
