import Foundation
import Testing

/// A long-poll reply body, decoded.
struct LongPollBody {
    var status: Int
    var token: String?
    var messages: [String]?
    var reason: String?

    init(_ response: TestResponse) throws {
        #expect(response.status == 200, "long-poll replies are HTTP 200; the protocol status is in the body")
        #expect(response.header("access-control-allow-origin") != "*", "CORS never answers '*'")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        status = try #require(object["status"] as? Int)
        token = object["token"] as? String
        messages = object["messages"] as? [String]
        reason = object["reason"] as? String
    }
}
