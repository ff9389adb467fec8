#if os(Linux)
import Foundation
import CSiteflowEpoll
import Glibc
import NIOCore
import SiteflowWebSocketCodec
import Synchronization

/// Listen-only load-test clients on raw non-blocking sockets, one epoll loop per thread: each
/// connects, upgrades to a WebSocket, joins the topic and then only times the broadcasts it
/// receives (and answers pings, sends heartbeats, closes cleanly).
///
/// Why not NIO: the load tester runs on the machine it measures. With NIO a received frame cost
/// the client about as much CPU as the server spent sending it (a channel read through the
/// pipeline, a registration look-up, a buffer per read), so a broadcast to 15,000 clients
/// measured the client as much as the server. Here a received frame costs one `read` into a
/// buffer shared by the thread's connections and an in-place parse. The clients that push stay
/// on NIO (``LoadTestClient``).
final class EpollListeners: @unchecked Sendable {
    // @unchecked Sendable: the connections are touched only by their loop's thread; the
    // statistics are Mutex-protected and `stopping` is atomic.
    private let configuration: LoadTestConfiguration
    private let loops: [Loop]
    private let threads: [Thread]

    /// The statistics of each loop (for ``LoadTestStatisticsGroup``).
    let statistics: [LoadTestStatistics]

    /// Starts `count` listeners with global indices from `firstIndex`, spread over `threads`
    /// loops; they connect at most `configuration.connectConcurrency` at a time per loop.
    init(configuration: LoadTestConfiguration, count: Int, firstIndex: Int, threads: Int) throws {
        self.configuration = configuration
        let threadCount = max(1, min(threads, count))
        var loops: [Loop] = []
        for thread in 0..<threadCount {
            let share = count / threadCount + (thread < count % threadCount ? 1 : 0)
            let first = firstIndex + (count / threadCount) * thread + min(thread, count % threadCount)
            loops.append(try Loop(configuration: configuration, indices: first..<(first + share)))
        }
        self.loops = loops
        self.statistics = loops.map(\.statistics)
        self.threads = loops.enumerated().map { number, loop in
            let thread = Thread { loop.run() }
            thread.name = "listeners-\(number)"
            return thread
        }
        for thread in self.threads { thread.start() }
    }

    /// Whether every listener has either joined, failed to connect, or been refused its join.
    var settled: Bool {
        loops.allSatisfy { $0.settled.load(ordering: .acquiring) }
    }

    /// Closes every connection (a close frame each) and ends the loops' threads.
    func stop() {
        for loop in loops { loop.stopping.store(true, ordering: .releasing) }
        for loop in loops { loop.finished.wait() }
    }
}

extension EpollListeners {
    /// One thread's connections and its epoll set.
    final class Loop: @unchecked Sendable {
        // @unchecked Sendable: everything but `stopping`, `settled`, `finished` and `statistics`
        // is touched only on the loop's thread.
        enum Phase { case connecting, upgrading, joining, joined, closed }

        struct Connection {
            var fd: Int32 = -1
            var index: Int
            var phase = Phase.connecting
            /// Bytes of an unfinished upgrade response or frame.
            var pending: [UInt8] = []
            /// The text of a fragmented message being reassembled.
            var fragments: [UInt8]?
        }

        /// How long a loop waits after a batch of events before it polls again.
        static let coalescingMicroseconds: UInt32 = 500

        let statistics = LoadTestStatistics()
        let stopping = Atomic<Bool>(false)
        let settled = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)

        private let configuration: LoadTestConfiguration
        private let parser = WebSocketFrameParser(role: .client, maxPayloadSize: 16 << 20)
        private let writer = WebSocketFrameWriter(role: .client)
        private let epoll: Int32
        private var connections: [Connection]
        private var nextToStart = 0
        private var inFlight = 0
        private var unsettled: Int
        private var nextRef: UInt64 = 2
        private let addresses: [String]
        private let request: [UInt8]

        init(configuration: LoadTestConfiguration, indices: Range<Int>) throws {
            self.configuration = configuration
            epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
            guard epoll >= 0 else { throw LoadTestError(description: "epoll_create1 failed: \(String(cString: strerror(errno)))") }
            connections = indices.map { Connection(index: $0) }
            unsettled = connections.count
            addresses = configuration.sourceAddressList
            var key = [UInt8](repeating: 0, count: 16)
            for index in key.indices { key[index] = UInt8.random(in: .min ... .max) }
            var text = "GET \(configuration.target) HTTP/1.1\r\nHost: \(configuration.host):\(configuration.port)\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(Data(key).base64EncodedString())\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
            for (name, value) in configuration.headerPairs { text += "\(name): \(value)\r\n" }
            request = Array((text + "\r\n").utf8)
            if connections.isEmpty { settled.store(true, ordering: .releasing) }
        }

        deinit {
            close(epoll)
        }

        // MARK: The loop

        func run() {
            var events = [epoll_event](repeating: epoll_event(), count: 1024)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
            defer {
                buffer.deallocate()
                finished.signal()
            }
            var lastHeartbeat = ContinuousClock.now
            startConnections()
            while !stopping.load(ordering: .acquiring) {
                let ready = events.withUnsafeMutableBufferPointer { events in
                    epoll_wait(epoll, events.baseAddress, Int32(events.count), 50)
                }
                if ready > 0 {
                    for event in events.prefix(Int(ready)) {
                        handle(slot: Int(event.data.u64), events: event.events, buffer: buffer)
                    }
                    // Let more frames arrive before asking again: during a broadcast this turns
                    // thousands of wake-ups (a context switch each, here and in the sender's
                    // kernel path) into a few hundred, at the cost of up to this much latency
                    // per frame (so latencies err on the high side).
                    if ready < Int32(events.count) { usleep(Self.coalescingMicroseconds) }
                }
                startConnections()
                if ContinuousClock.now - lastHeartbeat >= .seconds(25) {
                    lastHeartbeat = ContinuousClock.now
                    heartbeat()
                }
            }
            for slot in connections.indices where connections[slot].phase != .closed {
                if connections[slot].phase == .joined || connections[slot].phase == .joining {
                    var body = ByteBuffer()
                    WebSocketCloseBody(code: 1000, reason: "load test over").write(into: &body)
                    body.withUnsafeReadableBytes { sendFrame(slot: slot, opcode: .close, payload: $0) }
                }
                closeConnection(slot: slot)
            }
        }

        private func startConnections() {
            while inFlight < max(1, configuration.connectConcurrency), nextToStart < connections.count {
                let slot = nextToStart
                nextToStart += 1
                if connect(slot: slot) {
                    inFlight += 1
                } else {
                    statistics.update { $0.connectFailures += 1 }
                    settle()
                }
            }
        }

        private func connect(slot: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return false }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let source = addresses[connections[slot].index % addresses.count]
            guard bind(fd, address: source, port: 0), let target = Self.address(configuration.host, port: configuration.port) else {
                close(fd)
                return false
            }
            var remote = target
            let result = withUnsafePointer(to: &remote) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 || errno == EINPROGRESS else {
                close(fd)
                return false
            }
            var event = epoll_event()
            event.events = EPOLLOUT.rawValue | EPOLLIN.rawValue | EPOLLRDHUP.rawValue
            event.data.u64 = UInt64(slot)
            guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else {
                close(fd)
                return false
            }
            connections[slot].fd = fd
            return true
        }

        private func bind(_ fd: Int32, address: String, port: Int) -> Bool {
            guard var local = Self.address(address, port: port) else { return false }
            return withUnsafePointer(to: &local) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
        }

        private static func address(_ host: String, port: Int) -> sockaddr_in? {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let numeric = host == "localhost" ? "127.0.0.1" : host
            guard inet_pton(AF_INET, numeric, &address.sin_addr) == 1 else { return nil }
            return address
        }

        // MARK: Events

        private func handle(slot: Int, events: UInt32, buffer: UnsafeMutableRawBufferPointer) {
            guard connections[slot].phase != .closed else { return }
            if connections[slot].phase == .connecting {
                guard events & EPOLLOUT.rawValue != 0 || events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 else { return }
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(connections[slot].fd, SOL_SOCKET, SO_ERROR, &error, &length)
                guard error == 0, writeAll(slot: slot, request) else {
                    fail(slot: slot, connectFailure: true)
                    return
                }
                connections[slot].phase = .upgrading
                var event = epoll_event()
                event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
                event.data.u64 = UInt64(slot)
                epoll_ctl(epoll, EPOLL_CTL_MOD, connections[slot].fd, &event)
                return
            }
            guard events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 else { return }
            let count = read(connections[slot].fd, buffer.baseAddress, buffer.count)
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { return }
            guard count > 0 else {
                // EOF or an error: the server went away.
                if connections[slot].phase == .joined { statistics.update { $0.closedByServer += 1 } }
                fail(slot: slot, connectFailure: connections[slot].phase == .upgrading)
                return
            }
            let received = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            if connections[slot].pending.isEmpty {
                let used = consume(slot: slot, received)
                if used < received.count, connections[slot].phase != .closed {
                    connections[slot].pending = Array(received[used...])
                }
            } else {
                var bytes = connections[slot].pending
                bytes.append(contentsOf: received)
                connections[slot].pending = []
                let used = bytes.withUnsafeBytes { consume(slot: slot, $0) }
                if used < bytes.count, connections[slot].phase != .closed {
                    connections[slot].pending = Array(bytes[used...])
                }
            }
        }

        /// Handles what `bytes` holds (the upgrade response, then frames); returns how many bytes
        /// it used (the rest is an unfinished response or frame).
        private func consume(slot: Int, _ bytes: UnsafeRawBufferPointer) -> Int {
            var offset = 0
            if connections[slot].phase == .upgrading {
                guard let end = Self.endOfHeaders(bytes) else { return 0 }
                let statusLine = String(decoding: bytes[..<min(end, 12)], as: UTF8.self)
                guard statusLine == "HTTP/1.1 101" else {
                    fail(slot: slot, connectFailure: true)
                    return bytes.count
                }
                inFlight -= 1
                statistics.update { $0.connected += 1 }
                connections[slot].phase = .joining
                join(slot: slot)
                offset = end
            }
            while offset < bytes.count, connections[slot].phase != .closed {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                switch parser.header(in: rest) {
                case .needMoreData:
                    return offset
                case .violation(let violation):
                    var payload = ByteBuffer()
                    WebSocketCloseBody(code: violation.closeCode, reason: violation.reason).write(into: &payload)
                    payload.withUnsafeReadableBytes { sendFrame(slot: slot, opcode: .close, payload: $0) }
                    fail(slot: slot, connectFailure: false)
                    return bytes.count
                case .complete(let header):
                    let payload = UnsafeRawBufferPointer(rebasing: rest[header.headerLength..<header.frameLength])
                    frame(slot: slot, header: header, payload: payload)
                    offset += header.frameLength
                }
            }
            return offset
        }

        private static func endOfHeaders(_ bytes: UnsafeRawBufferPointer) -> Int? {
            guard bytes.count >= 4 else { return nil }
            for index in 3..<bytes.count
            where bytes[index] == 0x0A && bytes[index - 1] == 0x0D && bytes[index - 2] == 0x0A && bytes[index - 3] == 0x0D {
                return index + 1
            }
            return nil
        }

        private func frame(slot: Int, header: WebSocketFrameParser.Header, payload: UnsafeRawBufferPointer) {
            switch header.opcode {
            case .text, .binary:
                if header.fin {
                    message(slot: slot, payload)
                } else {
                    connections[slot].fragments = Array(payload)
                }
            case .continuation:
                guard var fragments = connections[slot].fragments else { return }
                fragments.append(contentsOf: payload)
                if header.fin {
                    connections[slot].fragments = nil
                    fragments.withUnsafeBytes { message(slot: slot, $0) }
                } else {
                    connections[slot].fragments = fragments
                }
            case .ping:
                sendFrame(slot: slot, opcode: .pong, payload: payload)
            case .close:
                sendFrame(slot: slot, opcode: .close, payload: UnsafeRawBufferPointer(rebasing: payload.prefix(2)))
                if connections[slot].phase == .joined { statistics.update { $0.closedByServer += 1 } }
                fail(slot: slot, connectFailure: false)
            case .pong:
                break
            }
        }

        private func message(slot: Int, _ bytes: UnsafeRawBufferPointer) {
            guard let frame = V2FrameScanner(bytes) else { return }
            if V2FrameScanner.bytes(bytes, in: frame.event, equal: "new_msg") {
                let now = NIODeadline.now().uptimeNanoseconds
                guard let stamp = PushStamp(in: bytes, payload: frame.payload), now > stamp.sentAt else {
                    statistics.update { $0.received += 1 }
                    return
                }
                statistics.recordBroadcast(micros: (now - stamp.sentAt) / 1000, isOwn: false)
            } else if V2FrameScanner.bytes(bytes, in: frame.event, equal: "phx_reply"), connections[slot].phase == .joining,
                let ref = frame.ref, V2FrameScanner.integer(bytes, in: ref) == 1 {
                let ok = V2FrameScanner.find("\"status\":\"ok\"", in: bytes, within: frame.payload) != nil
                if ok {
                    connections[slot].phase = .joined
                    statistics.update { $0.joined += 1 }
                } else {
                    statistics.update { $0.joinErrors += 1 }
                }
                settle()
            }
        }

        // MARK: Sending

        private func join(slot: Int) {
            let text = "[\"1\",\"1\",\"\(configuration.topic(forClient: connections[slot].index))\",\"phx_join\",{\"nickname\":\"lt\(connections[slot].index)\"}]"
            sendFrame(slot: slot, opcode: .text, text: text)
        }

        private func heartbeat() {
            for slot in connections.indices where connections[slot].phase == .joined {
                nextRef += 1
                sendFrame(slot: slot, opcode: .text, text: "[null,\"\(nextRef)\",\"phoenix\",\"heartbeat\",{}]")
            }
        }

        /// Sends one masked text frame.
        private func sendFrame(slot: Int, opcode: WebSocketFrameOpcode, text: String) {
            var text = text
            text.withUTF8 { sendFrame(slot: slot, opcode: opcode, payload: UnsafeRawBufferPointer($0)) }
        }

        /// Sends one masked frame (client frames are always masked).
        private func sendFrame(slot: Int, opcode: WebSocketFrameOpcode, payload: UnsafeRawBufferPointer) {
            var frame = ByteBuffer()
            frame.reserveCapacity(writer.frameSize(payloadLength: payload.count))
            writer.writeFrame(opcode: opcode, payload: payload, into: &frame)
            if !frame.withUnsafeReadableBytes({ writeAll(slot: slot, $0) }) {
                fail(slot: slot, connectFailure: false)
            }
        }

        /// Writes all of `bytes` (small frames and the request fit the empty socket buffer; a
        /// full buffer here means a stuck server, and the connection is given up).
        private func writeAll(slot: Int, _ bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBytes { writeAll(slot: slot, $0) }
        }

        /// Writes all of `raw` (see the other `writeAll`).
        private func writeAll(slot: Int, _ raw: UnsafeRawBufferPointer) -> Bool {
            var offset = 0
            while offset < raw.count {
                let written = write(connections[slot].fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }

        // MARK: Ending

        private func fail(slot: Int, connectFailure: Bool) {
            let phase = connections[slot].phase
            guard phase != .closed else { return }
            if phase == .connecting || phase == .upgrading {
                inFlight -= 1
                if connectFailure { statistics.update { $0.connectFailures += 1 } }
                settle()
            } else if phase == .joining {
                statistics.update { $0.joinErrors += 1 }
                settle()
            }
            closeConnection(slot: slot)
        }

        private func closeConnection(slot: Int) {
            guard connections[slot].phase != .closed else { return }
            connections[slot].phase = .closed
            connections[slot].pending = []
            connections[slot].fragments = nil
            if connections[slot].fd >= 0 {
                close(connections[slot].fd)
                connections[slot].fd = -1
            }
        }

        private func settle() {
            unsettled -= 1
            if unsettled == 0 { settled.store(true, ordering: .releasing) }
        }
    }
}
#endif
