import Foundation
import SiteflowLoadTest
import Synchronization
import Testing

/// `siteflow loadtest --recovery` against the real binary: a supervised `siteflow serve
/// --fault-injection` is disrupted while clients chat — trapped through the fault hook, reloaded
/// by SIGHUP, or its node killed from outside — and the clients come back on phoenix.js's
/// schedule with nothing acknowledged lost or doubled.
@Suite("Load tester recovery mode", .serialized, .timeLimit(.minutes(3)))
struct LoadTestRecoveryTests {
    enum Scenario: String, CaseIterable, CustomTestStringConvertible {
        /// The load tester traps the node (POST /_fault/trap).
        case trap
        /// The load tester sends SIGHUP to the supervisor.
        case reload
        /// The test kills the node (SIGKILL) without telling the load tester.
        case killedFromOutside
        var testDescription: String { rawValue }
    }

    @Test("a disruption mid-run: every client is joined again, no acknowledged message is missing from history, none is stored twice, none failed for good", arguments: Scenario.allCases)
    func disruptionMidRun(_ scenario: Scenario) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-recovery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let supervisor = try await NodeProcess.start(
            database: "sqlite:" + folder.appendingPathComponent("chat.db").path, options: ["--fault-injection"],
            supervised: true, logLevel: "info")
        defer { supervisor.signal(SIGKILL) }
        await supervisor.waitForOutput("node 1 is ready")
        let node = await supervisor.nodePID(generation: 1)

        let disruption: Disruption = switch scenario {
        case .trap: .trap
        case .reload: .reload
        case .killedFromOutside: .none
        }
        let configuration = LoadTestConfiguration(
            port: supervisor.port, clients: 50, topic: "room:recovery", rooms: 2, rate: 25, duration: .seconds(8),
            threads: 1, sourceAddresses: 1,
            recovery: RecoveryConfiguration(
                disruption: disruption, disruptAfter: .seconds(3), supervisorPID: supervisor.pid, settleTime: .seconds(60)))
        let lines = LinesSeen()
        let run = Task { try await LoadTest(configuration: configuration) { lines.add($0) }.run() }
        if scenario == .killedFromOutside, let node {
            await lines.waitFor("[sending ")  // a second into sending
            kill(node, SIGKILL)
        }
        let result = try await run.value
        let recovery = try #require(result.recovery, "the recovery figures")
        let report = "\(recovery.report)\n\(lines.text.suffix(3000))\n\(supervisor.printed.suffix(2000))"

        #expect(recovery.disruptionError == nil, "\(report)")
        #expect((recovery.disruptedAt != nil) == (disruption != .none))
        await supervisor.waitForOutput("node 2 is ready")
        let event = try #require(recovery.events.first, "the disruption was seen as a disconnect event\n\(report)")
        #expect(event.wentDown == 50, "every client lost its socket\n\(report)")
        #expect(event.stillDown == 0, "\(report)")
        #expect(event.timeUntil(joined: 1) != nil, "every client was joined again\n\(report)")
        #expect(recovery.joinedAtEnd == 50)
        #expect(recovery.reconnects >= 50)
        #expect(recovery.rejoins >= 50)

        #expect(recovery.acknowledged > 0)
        #expect(recovery.failedForGoodCount == 0, "\(report)")
        #expect(recovery.unresolved == 0, "\(report)")
        let audit = try #require(recovery.audit, "the history was read")
        #expect(audit.roomsRead == 2, "\(report)")
        #expect(audit.acknowledged == recovery.acknowledged, "every acknowledgement carried a distinct id")
        #expect(audit.missing == 0, "no acknowledged message is missing from history\n\(report)")
        #expect(audit.duplicates == 0, "no key is stored twice\n\(report)")
        #expect(audit.messagesRead >= audit.acknowledged)
        #expect(recovery.figures.count == recovery.events.count, "the JSON result carries each event's figures")

        supervisor.signal(SIGTERM)
        #expect(await supervisor.exitStatus() == 0)
    }
}

/// The load test's progress lines, kept for a failure's message; a test can wait for one.
private final class LinesSeen: Sendable {
    private struct State {
        var lines: [String] = []
        var waiters: [(text: String, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    func add(_ line: String) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.lines.append(line)
            let met = state.waiters.filter { line.contains($0.text) }
            state.waiters.removeAll { line.contains($0.text) }
            return met.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once a line containing `text` has been seen.
    func waitFor(_ text: String) async {
        await withCheckedContinuation { continuation in
            let seen = state.withLock { state -> Bool in
                if state.lines.contains(where: { $0.contains(text) }) { return true }
                state.waiters.append((text, continuation))
                return false
            }
            if seen { continuation.resume() }
        }
    }

    var text: String { state.withLock { $0.lines.joined(separator: "\n") } }
}
