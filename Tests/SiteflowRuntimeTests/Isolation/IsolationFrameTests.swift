@testable import SiteflowRuntime
import Testing

/// The frames between a node and an isolated worker: whole frames out of a byte stream however
/// it is cut, and a typed error — never a crash, never a huge buffer — for a bad one.
@Suite("Isolation frames")
struct IsolationFrameTests {
    private func feed(_ reader: inout IsolationFrameReader, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { reader.append($0) }
    }

    @Test("frames come out whole and in order, however the stream is cut")
    func roundTrip() throws {
        let frames = [
            IsolationFrame(kind: .start, id: 0, payload: Array("{}".utf8)),
            IsolationFrame(kind: .call, id: 42, payload: Array(repeating: 7, count: 300)),
            IsolationFrame(kind: .reply, id: UInt64.max, payload: []),
        ]
        let stream = frames.flatMap(\.bytes)
        for cut in [1, 5, 13, 64, stream.count] {
            var reader = IsolationFrameReader(limit: 1024)
            var out: [IsolationFrame] = []
            var offset = 0
            while offset < stream.count {
                feed(&reader, Array(stream[offset..<min(offset + cut, stream.count)]))
                offset += cut
                while let frame = try reader.next() { out.append(frame) }
            }
            #expect(out == frames, "cut every \(cut) bytes")
        }
    }

    @Test("a frame above the limit is refused from its header, before its bytes arrive")
    func tooLarge() {
        var reader = IsolationFrameReader(limit: 100)
        feed(&reader, [0xff, 0xff, 0xff, 0x7f])
        #expect(throws: IsolationFrameError.tooLarge(0x7fff_ffff - 9, limit: 100)) { try reader.next() }
    }

    @Test("a frame shorter than its header, or of an unknown kind, is a typed error")
    func malformed() {
        var short = IsolationFrameReader(limit: 100)
        feed(&short, [3, 0, 0, 0, 1, 2, 3])
        #expect(throws: IsolationFrameError.tooShort(3)) { try short.next() }
        var unknown = IsolationFrameReader(limit: 100)
        feed(&unknown, [9, 0, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: IsolationFrameError.unknownKind(99)) { try unknown.next() }
    }

    @Test("a worker's exit status becomes the proxy's exit reason")
    func exitReasons() {
        let trapped = WorkerConnection.reason(
            status: 4, pid: 9, protocolError: nil, exitReport: nil,
            output: ["log line", "Fatal error: boom", "*** Signal 4: Backtracing", "0 0x1"])
        guard case .error(let error) = trapped, let crash = error as? IsolatedProcessError else {
            Issue.record("not an IsolatedProcessError: \(trapped)")
            return
        }
        #expect(crash.code == .signaled && crash.signal == 4)
        #expect(crash.backtrace == ["log line", "Fatal error: boom", "*** Signal 4: Backtracing", "0 0x1"])
        #expect(WorkerConnection.reason(status: 0, pid: 9, protocolError: nil, exitReport: (true, "shutdown"), output: []) == .shutdown)
        #expect(WorkerConnection.reason(status: 0, pid: 9, protocolError: nil, exitReport: (true, "normal"), output: []) == .normal)
        guard case .error(let exited) = WorkerConnection.reason(status: 3 << 8, pid: 9, protocolError: nil, exitReport: nil, output: []) else {
            Issue.record("a non-zero exit is an error")
            return
        }
        #expect((exited as? IsolatedProcessError)?.exitCode == 3)
    }
}
