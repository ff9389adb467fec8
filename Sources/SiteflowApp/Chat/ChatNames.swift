/// Rules for room names and nicknames, checked before anything reaches the store.
enum ChatNames {
    /// The topic prefix of chat rooms.
    static let topicPrefix = "room:"

    /// The room of a topic `room:<name>` if the name is 1–64 characters of letters, digits,
    /// `-`, `_` or `.`; else nil.
    static func room(ofTopic topic: String) -> String? {
        guard topic.hasPrefix(topicPrefix) else { return nil }
        let name = topic.dropFirst(topicPrefix.count)
        guard (1...64).contains(name.count), name.allSatisfy(isNameCharacter) else { return nil }
        return String(name)
    }

    /// A nickname with surrounding spaces removed, if it is 1–32 characters and has no control
    /// characters; else nil.
    static func nickname(_ raw: String) -> String? {
        let trimmed = raw.trimmingSpaces()
        guard (1...32).contains(trimmed.count),
              !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return nil }
        return trimmed
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
