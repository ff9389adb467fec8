import Foundation
import SiteflowRealtime
import SiteflowStore
import Synchronization
import Testing

/// The bodies the node acknowledged, and a signal once `target` of them have been.
private final class AcknowledgedBodies: Sendable {
    private let bodies = Mutex<Set<String>>([])
    let reached = AsyncStream<Void>.makeStream()
    let target: Int
    init(target: Int) { self.target = target }

    func record(_ body: String) {
        let count = bodies.withLock { set -> Int in
            set.insert(body)
            return set.count
        }
        if count == target { reached.continuation.yield() }
    }

    var all: Set<String> { bodies.withLock { $0 } }
}

@Suite("Crash recovery of a whole node")
struct CrashRecoveryTests {
    @Test("kill -9 during heavy chat load: after a restart every acknowledged message is in history exactly once")
    func killNineKeepsAcknowledgedMessages() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = "sqlite:" + folder.appendingPathComponent("chat.db").path

        let node = try await NodeProcess.start(database: database)
        let acknowledged = AcknowledgedBodies(target: 500)
        let senders = 20
        var clients: [PhoenixTestClient] = []
        for index in 0..<senders {
            let client = try await PhoenixTestClient.connect(port: node.port)
            clients.append(client)
            let joined = try await client.join("room:crash", payload: ["nickname": .string("sender\(index)")])
            #expect(joined.reply["status"] == "ok")
            Task {
                var sequence = 0
                while true {
                    sequence += 1
                    let body = "s\(index)-\(sequence)"
                    let ref = client.push(joinRef: joined.joinRef, topic: "room:crash", event: "new_msg", payload: ["body": .string(body), "key": .string(body)])
                    guard let reply = try? await client.reply(to: ref) else { return }  // the node died
                    guard reply.payload["status"] == "ok" else { continue }
                    acknowledged.record(body)
                }
            }
        }
        for await _ in acknowledged.reached.stream { break }
        await node.kill(SIGKILL)
        let acked = acknowledged.all
        for client in clients { client.close() }

        // The node starts again on the same file (recovering its WAL), and the history is whole.
        let restarted = try await NodeProcess.start(database: database)
        defer { restarted.signal(SIGKILL) }  // if an expectation below throws
        let bodies = try await StoreFactory.withStore(try DatabaseURL(parsing: database)) { store in
            var bodies: [String] = []
            var cursor: MessageCursor? = nil
            repeat {
                let page = try await store.history(room: "crash", limit: 1_000, before: cursor)
                bodies += page.messages.map(\.body)
                cursor = page.olderCursor
            } while cursor != nil
            return bodies
        }
        #expect(Set(bodies).count == bodies.count, "no message is stored twice")
        let missing = acked.subtracting(bodies)
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.sorted().prefix(10))")
        #expect(acked.count >= 500)
        await restarted.kill(SIGTERM)
    }
}
