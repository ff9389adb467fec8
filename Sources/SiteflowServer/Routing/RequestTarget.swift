/// A request URI split into its path and percent-decoded query parameters.
package struct RequestTarget: Sendable {
    /// The path, without the query.
    package var path: String
    /// Query parameters; a repeated name keeps its last value; `+` means a space.
    package var query: [String: String]

    package init(uri: String) {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else {
            path = uri
            query = [:]
            return
        }
        path = String(uri[..<mark])
        var parameters: [String: String] = [:]
        let rest = uri.utf8[uri.utf8.index(after: mark)...]
        for pair in rest.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.percentDecode(parts[0])
            let value = parts.count > 1 ? Self.percentDecode(parts[1]) : ""
            parameters[name] = value
        }
        query = parameters
    }

    /// Decodes `%XX` and `+`; malformed escapes are kept as they are.
    static func percentDecode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var iterator = Array(bytes)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let high = hexValue(iterator[iterator.startIndex]),
                let low = hexValue(iterator[iterator.startIndex + 1])
            {
                output.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
