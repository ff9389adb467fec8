import Histogram
import NIOCore
import SiteflowLoadTest
import SiteflowLoadTestServer
import SiteflowServer
import Testing

@Suite("Load tester", .timeLimit(.minutes(2)))
struct LoadTestTests {
    @Test("against a real server and broadcast room, every push comes back to its sender and fans out to every client")
    func roundTripAgainstBenchRoom() async throws {
        let endpoint = BenchRoomEndpoint()
        try await withServer(endpoint) { _, port in
            let configuration = LoadTestConfiguration(
                port: port,
                clients: 20,
                topic: "room:spec",
                rate: 40,
                duration: .milliseconds(500),
                sourceAddresses: 2,
                drainTime: .seconds(30)
            )
            let result = try await LoadTest(configuration: configuration) { _ in }.run()
            #expect(result.connected == 20)
            #expect(result.joined == 20)
            #expect(result.connectFailures == 0)
            #expect(result.sent > 0)
            #expect(result.delivered == result.sent)
            #expect(result.lost == 0)
            #expect(result.received == result.sent * 20)
            #expect(result.latency.totalCount == UInt64(result.sent))
            #expect(result.replyLatency.totalCount == UInt64(result.sent))
            #expect(result.closedByServer == 0)
        }
    }

    @Test("listen-only clients on raw sockets join next to the pushing clients, and receive and time every broadcast")
    func listenersAgainstBenchRoom() async throws {
        let endpoint = BenchRoomEndpoint()
        try await withServer(endpoint) { _, port in
            let configuration = LoadTestConfiguration(
                port: port,
                clients: 4,
                topic: "room:spec",
                rate: 20,
                duration: .milliseconds(500),
                listeners: 30,
                threads: 2,
                sourceAddresses: 2,
                drainTime: .seconds(30)
            )
            let result = try await LoadTest(configuration: configuration) { _ in }.run()
            #expect(result.connected == 34)
            #expect(result.joined == 34)
            #expect(result.connectFailures == 0)
            #expect(result.joinErrors == 0)
            #expect(result.sent > 0)
            #expect(result.delivered == result.sent)
            #expect(result.received == result.sent * 34)
            #expect(result.fanoutLatency.totalCount == UInt64(result.sent * 34))
            #expect(result.closedByServer == 0)
        }
    }

    @Test("a refused upgrade counts as a failed connection, not a crash, for pushing and listen-only clients alike")
    func refusedClients() async throws {
        try await withServer(RecordingEndpoint(.refuse(status: 403, reason: "no"))) { _, port in
            let configuration = LoadTestConfiguration(port: port, clients: 3, rate: 0, duration: .zero, listeners: 5, drainTime: .zero)
            let result = try await LoadTest(configuration: configuration) { _ in }.run()
            #expect(result.connected == 0)
            #expect(result.connectFailures == 8)
        }
    }

    @Test("results from several processes merge: counts add up, histograms combine")
    func mergeResults() {
        var first = LoadTestResult()
        first.sent = 10
        first.delivered = 9
        _ = first.latency.record(1000)
        var second = LoadTestResult()
        second.sent = 5
        second.delivered = 5
        _ = second.latency.record(3000)
        first.merge(second)
        #expect(first.sent == 15)
        #expect(first.lost == 1)
        #expect(first.latency.totalCount == 2)
        #expect(first.latency.max >= 3000)
    }

    @Test("client processes share the cores instead of each running a thread per core; --threads overrides")
    func threadsPerProcess() {
        #expect(LoadTestConfiguration.threadsPerProcess(threads: 0, processes: 2, cores: 2) == 1)
        #expect(LoadTestConfiguration.threadsPerProcess(threads: 0, processes: 1, cores: 2) == 2)
        #expect(LoadTestConfiguration.threadsPerProcess(threads: 0, processes: 4, cores: 2) == 1)
        #expect(LoadTestConfiguration.threadsPerProcess(threads: 3, processes: 2, cores: 2) == 3)
    }

    @Test("the --url option is parsed into host, port and a target with vsn=2.0.0")
    func urlParsing() throws {
        let parsed = try #require(LoadTestConfiguration.parse(url: "ws://127.0.0.1:4000/socket/websocket"))
        #expect(parsed.host == "127.0.0.1")
        #expect(parsed.port == 4000)
        #expect(parsed.target == "/socket/websocket?vsn=2.0.0")
        #expect(LoadTestConfiguration.parse(url: "ws://h:1/s?token=x&vsn=1.0.0")?.target == "/s?token=x&vsn=1.0.0")
        #expect(LoadTestConfiguration.parse(url: "http://h:1/s") == nil)
        #expect(LoadTestConfiguration.parse(url: "ws://h:99999/s") == nil)
    }

    @Test("the V2 scanner finds the five elements and rejects what is not a V2 frame")
    func scanner() {
        let frame = Array(#"["1", null ,"room:a","new_msg",{"body":"x\"y]"}]"#.utf8)
        frame.withUnsafeBytes { bytes in
            let scanned = V2FrameScanner(bytes)
            #expect(scanned != nil)
            guard let scanned else { return }
            #expect(scanned.ref == nil)
            #expect(String(decoding: bytes[scanned.topic], as: UTF8.self) == "room:a")
            #expect(V2FrameScanner.bytes(bytes, in: scanned.event, equal: "new_msg"))
            #expect(String(decoding: bytes[scanned.payload], as: UTF8.self) == #"{"body":"x\"y]"}"#)
        }
        for bad in ["", "{}", "[1,2,3]", #"["1","1","t""#] {
            Array(bad.utf8).withUnsafeBytes { #expect(V2FrameScanner($0) == nil) }
        }
    }
}
