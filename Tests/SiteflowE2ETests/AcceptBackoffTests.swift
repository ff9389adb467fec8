import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A raw keep-alive HTTP connection that keeps everything the node sends.
private final class KeepAliveConnection: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let bytes = Mutex<[UInt8]>([])
    private let channel = Mutex<(any Channel)?>(nil)

    static func open(port: Int) async throws -> KeepAliveConnection {
        let connection = KeepAliveConnection()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(connection) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        connection.channel.withLock { $0 = channel }
        return connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLock { $0 += buffer.readableBytesView }
    }

    /// Sends a GET for `path` and returns the response (head and body) once it is complete.
    func get(_ path: String) async throws -> String {
        bytes.withLock { $0 = [] }
        let channel = try #require(self.channel.withLock { $0 })
        try await channel.writeAndFlush(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer \(NodeProcess.adminToken)\r\n\r\n")).get()
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let text = String(decoding: bytes.withLock { $0 }, as: UTF8.self)
            if let split = text.range(of: "\r\n\r\n") {
                let length = text[..<split.lowerBound].lowercased().split(separator: "\r\n")
                    .first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<split.upperBound].utf8.count >= length { return text }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("no complete response to GET \(path) within 20 s")
        throw CancellationError()
    }

    func close() async {
        try? await channel.withLock { $0 }?.close()
    }
}

/// `siteflow_socket_events_total{event="acceptBackoffs"}` in a `/metrics` response.
private func acceptBackoffs(in metrics: String) -> Int {
    let prefix = #"siteflow_socket_events_total{event="acceptBackoffs"} "#
    return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
}

@Suite("Accepting at the open-files limit", .timeLimit(.minutes(2)))
struct AcceptBackoffTests {
    @Test("at the open-files limit the node pauses accepting instead of spinning, keeps serving its clients, and accepts again once descriptors are free")
    func backsOffAtTheDescriptorLimit() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else {
            try Test.cancel("skipped: prlimit (util-linux) is not installed")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-emfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The node needs about 25 descriptors of its own; 64 leaves room for a few dozen clients.
        let node = try await NodeProcess.start(database: "sqlite:" + folder.appendingPathComponent("chat.db").path, openFilesLimit: 64)
        do {
            try await Self.exercise(node)
        } catch {
            await node.kill(SIGKILL)
            throw error
        }
        await node.kill(SIGTERM)
    }

    private static func exercise(_ node: NodeProcess) async throws {
        let client = try await KeepAliveConnection.open(port: node.port)
        #expect(try await client.get("/assets/chat.css").hasPrefix("HTTP/1.1 200"))

        // More connections than descriptors are left: the kernel completes them all, the node
        // cannot accept the rest.
        var held: [any Channel] = []
        for _ in 0..<64 {
            held.append(try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: node.port).get())
        }
        var first = 0
        let started = ContinuousClock.now
        while first == 0 {
            #expect(ContinuousClock.now - started < .seconds(20), "the node never reported an accept backoff")
            guard ContinuousClock.now - started < .seconds(20) else { break }
            first = acceptBackoffs(in: try await client.get("/metrics"))
        }
        // While the limit holds, accept is retried after each pause, not in a loop (which
        // keeps a core busy and makes thousands of retries a second): over ten pauses the
        // node retries about ten times and uses a small part of one core.
        let measuring = ContinuousClock.now
        let cpuBefore = try node.cpuTime()
        var latest = first
        while latest < first + 10, ContinuousClock.now - measuring < .seconds(20) {
            try await Task.sleep(for: .milliseconds(50))
            latest = acceptBackoffs(in: try await client.get("/metrics"))
        }
        let elapsed = ContinuousClock.now - measuring
        let cpu = try node.cpuTime() - cpuBefore
        let pausesInElapsed = Int(elapsed / .milliseconds(100)) + 1
        #expect(latest - first <= 2 * pausesInElapsed + 5, "\(latest - first) accept retries in \(elapsed)")
        #expect(cpu < elapsed / 2, "the node used \(cpu) of CPU in \(elapsed) at the limit")

        // The existing client was served all along (the scrapes above); once descriptors are
        // free the waiting connections are accepted and a new one is served.
        for channel in held { try? await channel.close() }
        let fresh = try await KeepAliveConnection.open(port: node.port)
        #expect(try await fresh.get("/assets/chat.css").hasPrefix("HTTP/1.1 200"))
        await fresh.close()
        await client.close()
    }
}
