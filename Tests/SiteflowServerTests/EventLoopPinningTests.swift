import Foundation
import NIOCore
import SiteflowLoadTest
@testable import SiteflowServer
import Testing

@Suite("Server: event loops pinned to CPUs")
struct EventLoopPinningTests {
    @Test("the allowed-CPU list of /proc/self/status is read with ranges and singles; anything else is no list")
    func allowedCPUList() {
        #expect(SiteflowHTTPServer.allowedCPUs(status: "Name:\tx\nCpus_allowed_list:\t0-3,6\nMems_allowed:\t1\n") == [0, 1, 2, 3, 6])
        #expect(SiteflowHTTPServer.allowedCPUs(status: "Cpus_allowed_list:\t5\n") == [5])
        #expect(SiteflowHTTPServer.allowedCPUs(status: "Cpus_allowed_list:\t3-1\n") == nil)
        #expect(SiteflowHTTPServer.allowedCPUs(status: "Cpus_allowed_list:\tx\n") == nil)
        #expect(SiteflowHTTPServer.allowedCPUs(status: "Name:\tx\n") == nil)
        #expect(SiteflowHTTPServer.allowedCPUs(status: nil) == nil)
    }

    #if os(Linux)
    @Test("a server that pins its event loops runs each loop thread on one allowed CPU, and serves")
    func pinnedServerServes() async throws {
        let allowed = SiteflowHTTPServer.allowedCPUs() ?? []
        try #require(!allowed.isEmpty)
        let before = Self.singleCPUThreads()
        try await withServer(RecordingEndpoint(.echo), configuration: ServerConfiguration(pinsEventLoops: true)) { _, port in
            let (client, connection) = try await RecordingClient.connect(port: port)
            connection.sendText("pinned")
            #expect(try await client.next() == .message(.text(ByteBuffer(string: "pinned"))))
            // The test server runs 2 loops: both are on one CPU each, and on an allowed one.
            let pinned = Self.singleCPUThreads().subtracting(before)
            if allowed.count > 1 {
                #expect(pinned.count == 2)
            }
            #expect(pinned.allSatisfy { allowed.contains($0.cpu) })
        }
    }

    /// The threads of this process whose affinity is a single CPU, with that CPU.
    private static func singleCPUThreads() -> Set<PinnedThread> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var result: Set<PinnedThread> = []
        for task in tasks {
            guard let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8),
                let cpus = SiteflowHTTPServer.allowedCPUs(status: status), cpus.count == 1
            else { continue }
            result.insert(PinnedThread(task: task, cpu: cpus[0]))
        }
        return result
    }

    private struct PinnedThread: Hashable {
        var task: String
        var cpu: Int
    }
    #endif
}
