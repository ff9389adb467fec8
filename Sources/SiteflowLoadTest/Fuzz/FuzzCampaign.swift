import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// `siteflow loadtest --fuzz`: a server-level fuzzing campaign against a running node on
/// loopback. Fuzzing WebSockets (V1 and V2) and long-poll sessions send mutated Phoenix frames
/// (``FrameMutator``) at a per-socket rate below the server's limit, reconnecting as they are
/// closed or spent, while well-behaved chat clients keep chatting in one room. Stops after
/// ``FuzzConfiguration/frames`` frames or ``FuzzConfiguration/seconds``, then checks that the
/// node still serves and reports (``FuzzReport``).
public struct FuzzCampaign: Sendable {
    /// What to run.
    public var configuration: FuzzConfiguration
    /// Where progress lines go (every ``FuzzConfiguration/progressInterval`` seconds).
    public var progress: @Sendable (String) -> Void

    /// Why a campaign cannot start.
    public struct InvalidConfiguration: Error, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    /// The room the well-behaved chat clients talk in.
    public static let chatTopic = "room:fuzz-chat"

    /// Creates a campaign.
    public init(configuration: FuzzConfiguration, progress: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.progress = progress
    }

    /// Runs the campaign to its end and returns the report.
    ///
    /// - Throws: ``InvalidConfiguration`` for a non-loopback host or bad bounds; the chat clients'
    ///   connection error when the node cannot be reached at the start.
    public func run() async throws -> FuzzReport {
        if let problem = configuration.problem { throw InvalidConfiguration(description: problem) }
        let configuration = self.configuration
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let tally = FuzzTally(budget: configuration.frames)
        let memory = MemorySamples()
        if let pid = configuration.pid, let rss = ProcessProbe.residentBytes(pid: pid) {
            memory.record(rss)
        }

        // The chat clients join first: the campaign is about whether they keep chatting.
        let ledger = ChatLedger(clients: configuration.chatters)
        var chatters: [ChatProbe] = []
        var chatConnections: [WebSocketClientConnection] = []
        for index in 0..<configuration.chatters {
            let loop = group.next()
            let probe = ChatProbe(index: index, topic: Self.chatTopic, ledger: ledger, eventLoop: loop)
            let connection = try await WebSocketClient.connect(
                host: configuration.host, port: configuration.port, target: "/socket/websocket?vsn=2.0.0",
                on: loop, delegate: probe
            ).get()
            loop.execute { probe.start(connection) }
            guard try await probe.joined.futureResult.get() else {
                throw InvalidConfiguration(description: "chat client \(index) could not join \(Self.chatTopic)")
            }
            chatters.append(probe)
            chatConnections.append(connection)
        }

        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int64(configuration.seconds * 1000))
        let running: @Sendable () -> Bool = { ContinuousClock.now < deadline && !tally.isSpent }
        let probes = zip(chatters, chatConnections).map { $0 }

        await withTaskGroup(of: Void.self) { tasks in
            for worker in 0..<configuration.sockets {
                tasks.addTask {
                    await Self.fuzzWebSocket(worker: worker, configuration: configuration, loop: group.next(), tally: tally, running: running)
                }
            }
            for worker in 0..<configuration.longPollSessions {
                tasks.addTask {
                    await Self.fuzzLongPoll(worker: configuration.sockets + worker, configuration: configuration, loop: group.next(), tally: tally, running: running)
                }
            }
            // The chat clients push at their rate until the fuzzers are done.
            tasks.addTask {
                guard !probes.isEmpty else { return }
                let pause = Duration.milliseconds(Int64(1000 / configuration.chatRate))
                while running() {
                    for (probe, connection) in probes {
                        connection.eventLoop.execute { probe.push() }
                    }
                    try? await Task.sleep(for: pause)
                }
            }
            // Progress lines and RSS samples.
            tasks.addTask {
                var lastLine = ContinuousClock.now
                var lastFrames = 0
                while running() {
                    try? await Task.sleep(for: .milliseconds(250))
                    if let pid = configuration.pid, let rss = ProcessProbe.residentBytes(pid: pid) {
                        memory.record(rss)
                    }
                    let now = ContinuousClock.now
                    if now - lastLine >= .milliseconds(Int64(configuration.progressInterval * 1000)) {
                        let report = tally.report
                        let frames = report.framesSent
                        let seconds = Self.seconds(now - lastLine)
                        let rss = memory.peak.map { ", node RSS peak \($0 / 1_048_576) MiB" } ?? ""
                        progress("fuzz: \(frames) frames (WebSocket \(report.webSocketFrames), long-poll \(report.longPollFrames)), \(Int(Double(frames - lastFrames) / seconds))/s, \(report.webSocketConnections) sockets, \(report.longPollSessions) sessions\(rss)")
                        lastLine = now
                        lastFrames = frames
                    }
                }
            }
            await tasks.waitForAll()
        }
        var report = tally.report
        report.seconds = Self.seconds(ContinuousClock.now - started)

        // Let the last acknowledged chat messages arrive (at most 10 s), then close the chatters.
        let settleDeadline = ContinuousClock.now + .seconds(10)
        while !ledger.isSettled, ContinuousClock.now < settleDeadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for (probe, connection) in zip(chatters, chatConnections) {
            connection.eventLoop.execute { probe.stop() }
        }
        ledger.fill(&report)

        // Does the node still serve? A fresh client joins a room.
        report.nodeServesAfterwards = await Self.nodeServes(configuration: configuration, loop: group.next())
        if let pid = configuration.pid {
            report.processChecked = true
            report.processGone = !ProcessProbe.isAlive(pid: pid)
            let end = ProcessProbe.residentBytes(pid: pid)
            report.rssStart = memory.first
            report.rssEnd = end
            report.rssPeak = [memory.peak, end].compactMap { $0 }.max()
        }
        return report
    }

    // MARK: Workers

    /// One fuzzing WebSocket after another: connect (V2 mostly, V1 sometimes), send
    /// 1…`framesPerConnection` frames at the per-socket rate (odd but well-formed ones, then a
    /// malformed last one), close, count how it ended.
    private static func fuzzWebSocket(
        worker: Int, configuration: FuzzConfiguration, loop: any EventLoop, tally: FuzzTally, running: @Sendable () -> Bool
    ) async {
        var mutator = FrameMutator(random: FuzzRandom(seed: configuration.seed &+ UInt64(worker)), worker: worker)
        var random = FuzzRandom(seed: ~(configuration.seed &+ UInt64(worker)))
        let batch = 10
        let pause = Duration.milliseconds(Int64(Double(batch) * 1000 / configuration.rateLimitPerSocket))
        while running() {
            let isV2 = random.chance(75)
            let socket = FuzzSocket(eventLoop: loop)
            let connection: WebSocketClientConnection
            do {
                connection = try await WebSocketClient.connect(
                    host: configuration.host, port: configuration.port,
                    target: isV2 ? "/socket/websocket?vsn=2.0.0" : "/socket/websocket?vsn=1.0.0",
                    on: loop, delegate: socket
                ).get()
            } catch {
                tally.update { $0.webSocketConnectFailures += 1 }
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            // Connections live for 1…framesPerConnection frames, so that the malformed last
            // frames are a fair share of the campaign.
            let length = 1 + random.below(configuration.framesPerConnection)
            var sent = 0
            while sent < length, !socket.isClosed, running() {
                let granted = tally.reserve(min(batch, length - sent))
                guard granted > 0 else { break }
                for offset in 0..<granted {
                    // Only a connection's last frame may be malformed: one that ends the socket
                    // earlier would waste the rest, unread by the server.
                    let last = sent + offset == length - 1
                    send(mutator.next(isV2: isV2, survivable: !last), on: connection)
                }
                sent += granted
                try? await Task.sleep(for: pause)
            }
            connection.close(code: 1000, reason: "fuzz connection done")
            // A server that never answers the close is dropped after 5 s.
            let guardTimer = loop.scheduleTask(in: .seconds(5)) { connection.disconnect() }
            let ending = (try? await socket.ended.futureResult.get()) ?? "dropped"
            guardTimer.cancel()
            let replies = socket.replies
            tally.update { report in
                report.webSocketConnections += 1
                report.webSocketFrames += sent
                report.closes[ending, default: 0] += 1
                report.replies.merge(replies, uniquingKeysWith: +)
            }
        }
    }

    private static func send(_ frame: FuzzFrame, on connection: WebSocketClientConnection) {
        let bytes = ByteBuffer(bytes: frame.bytes)
        switch frame.kind {
        case .text: connection.sendText(bytes)
        case .binary: connection.sendBinary(bytes)
        case .unmaskedText: connection.send(WebSocketFrame(fin: true, opcode: .text, data: bytes), masked: false)
        case .unfinishedText: connection.send(WebSocketFrame(fin: false, opcode: .text, data: bytes))
        case .ping: connection.ping(ByteBuffer(bytes: frame.bytes.prefix(125)))
        }
    }

    /// One long-poll session after another: open one (GET), POST 1…`framesPerConnection`
    /// fuzzed frames to it at the per-socket rate (binary frames as base64 lines of an ndjson
    /// batch; only the last may be malformed), and count the POSTs' answers by status.
    private static func fuzzLongPoll(
        worker: Int, configuration: FuzzConfiguration, loop: any EventLoop, tally: FuzzTally, running: @Sendable () -> Bool
    ) async {
        var mutator = FrameMutator(random: FuzzRandom(seed: configuration.seed &+ UInt64(worker)), worker: worker)
        var random = FuzzRandom(seed: ~(configuration.seed &+ UInt64(worker)))
        let pause = Duration.milliseconds(Int64(1000 / configuration.rateLimitPerSocket))
        var http: PlainHTTPConnection?
        while running() {
            do {
                let connection: PlainHTTPConnection
                if let http, http.isActive {
                    connection = http
                } else {
                    connection = try await PlainHTTPConnection.connect(host: configuration.host, port: configuration.port, on: loop)
                    http = connection
                }
                let opened = try await connection.request(.GET, "/socket/longpoll?vsn=2.0.0")
                guard let token = token(in: opened.body) else {
                    let openKey = "open " + answerKey(opened)
                    tally.update { $0.longPollAnswers[openKey, default: 0] += 1 }
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                tally.update { $0.longPollSessions += 1 }
                let length = 1 + random.below(configuration.framesPerConnection)
                var sent = 0
                while sent < length, running(), tally.reserve(1) == 1 {
                    let frame = mutator.next(isV2: true, survivable: sent < length - 1)
                    sent += 1
                    tally.update { $0.longPollFrames += 1 }
                    let answer: PlainHTTPConnection.Response
                    if frame.kind == .binary {
                        let line = Data(frame.bytes).base64EncodedString()
                        answer = try await connection.request(.POST, "/socket/longpoll?vsn=2.0.0&token=\(token)",
                                                              contentType: "application/x-ndjson", body: ByteBuffer(string: line))
                    } else {
                        answer = try await connection.request(.POST, "/socket/longpoll?vsn=2.0.0&token=\(token)",
                                                              contentType: "text/plain", body: ByteBuffer(bytes: frame.bytes))
                    }
                    let key = answerKey(answer)
                    tally.update { $0.longPollAnswers[key, default: 0] += 1 }
                    if key == "200/410" { break }
                    try? await Task.sleep(for: pause)
                }
            } catch {
                tally.update { $0.longPollRequestFailures += 1 }
                http?.close()
                http = nil
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        http?.close()
    }

    /// `"<http status>"`, or `"200/<protocol status>"` for a 200 whose JSON body has a status.
    private static func answerKey(_ response: PlainHTTPConnection.Response) -> String {
        guard response.status == 200 else { return String(response.status) }
        let body = String(buffer: response.body)
        guard let range = body.range(of: "\"status\":") else { return "200" }
        let digits = body[range.upperBound...].prefix { $0.isNumber }
        return "200/\(digits)"
    }

    private static func token(in body: ByteBuffer) -> String? {
        let text = String(buffer: body)
        guard let range = text.range(of: "\"token\":\"") else { return nil }
        let token = text[range.upperBound...].prefix { $0 != "\"" }
        return token.isEmpty ? nil : String(token)
    }

    /// Whether a fresh client can connect and join a room within 10 s.
    private static func nodeServes(configuration: FuzzConfiguration, loop: any EventLoop) async -> Bool {
        // A nickname none of the chat clients holds (nicknames are claimed per connection), in the
        // chatters' room, which exists: the fuzzing connections, all from this address, may have
        // spent its budget for creating rooms (`--rooms-per-minute`).
        let probe = ChatProbe(index: configuration.chatters, topic: Self.chatTopic, ledger: nil, eventLoop: loop)
        guard let connection = try? await WebSocketClient.connect(
            host: configuration.host, port: configuration.port, target: "/socket/websocket?vsn=2.0.0",
            on: loop, delegate: probe
        ).get() else { return false }
        loop.execute { probe.start(connection) }
        let timeout = loop.scheduleTask(in: .seconds(10)) { connection.disconnect() }
        let joined = (try? await probe.joined.futureResult.get()) ?? false
        timeout.cancel()
        loop.execute { probe.stop() }
        return joined
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
