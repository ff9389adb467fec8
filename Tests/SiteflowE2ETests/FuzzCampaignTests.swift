import Foundation
import SiteflowApp
import SiteflowLoadTest
import Testing

@Suite("siteflow loadtest --fuzz against a real node")
struct FuzzCampaignTests {
    @Test("a short campaign leaves the node serving, loses no acknowledged chat message, and its counts add up")
    func shortCampaign() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let configuration = FuzzConfiguration(
                port: port, frames: 20_000, seconds: 300, seed: 7, sockets: 24, longPollSessions: 4,
                chatters: 3, pid: getpid(), progressInterval: 1_000
            )
            let report = try await FuzzCampaign(configuration: configuration) { _ in }.run()

            // The node survived and still serves a fresh client.
            #expect(!report.nodeCrashed)
            #expect(report.nodeServesAfterwards)
            #expect(report.rssStart != nil && report.rssPeak != nil && report.rssEnd != nil)
            // The well-behaved clients kept chatting: every acknowledged message reached all of them.
            #expect(report.chatAcknowledged > 0)
            #expect(report.chatMissed == 0)
            #expect(report.chatDelivered == report.chatAcknowledged)
            #expect(report.chatDisconnects == 0)
            // The counts add up: every frame of the budget was sent over one transport or the other,
            // every fuzzing connection ended exactly once, every long-poll request was answered or failed.
            #expect(report.framesSent == 20_000)
            #expect(report.webSocketFrames > 0 && report.longPollFrames > 0)
            #expect(report.closes.values.reduce(0, +) == report.webSocketConnections)
            #expect(report.longPollAnswers.values.reduce(0, +) + report.longPollRequestFailures >= report.longPollFrames)
            #expect(report.chatSent == report.chatAcknowledged + report.chatUnacknowledged)
            // The frames were hostile: the server answered errors and closed some sockets itself.
            #expect((report.replies["error"] ?? 0) > 0)
            #expect(report.closes.keys.contains { $0 != "1000" })
        }
    }

    @Test("the fuzzer refuses any host but loopback")
    func loopbackOnly() async throws {
        #expect(FuzzConfiguration(host: "10.0.0.1").problem != nil)
        #expect(FuzzConfiguration(host: "example.com").problem != nil)
        #expect(FuzzConfiguration(host: "127.0.0.1").problem == nil)
        #expect(FuzzConfiguration(host: "localhost").problem == nil)
        await #expect(throws: FuzzCampaign.InvalidConfiguration.self) {
            _ = try await FuzzCampaign(configuration: FuzzConfiguration(host: "192.168.1.1")) { _ in }.run()
        }
    }

    @Test("the same seed gives the same frames")
    func seedReproducesFrames() {
        func frames(seed: UInt64) -> [FuzzFrame] {
            var mutator = FrameMutator(random: FuzzRandom(seed: seed), worker: 0)
            return (0..<500).map { _ in mutator.next(isV2: true) }
        }
        #expect(frames(seed: 42) == frames(seed: 42))
        #expect(frames(seed: 42) != frames(seed: 43))
    }
}
