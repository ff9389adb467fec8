public import SiteflowRealtime
public import SiteflowStore
import Foundation

extension ChatMessage {
    /// The message as the chat page receives it: `{"id", "nickname", "body", "at"}` (ISO 8601).
    public var json: JSONValue {
        [
            "id": .int(id),
            "nickname": .string(nickname),
            "body": .string(body),
            "at": .string(insertedAt.formatted(.iso8601)),
        ]
    }
}
