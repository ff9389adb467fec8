import Foundation
import SiteflowLoadTest
import Synchronization
import Testing

/// `siteflow loadtest --recovery` against the real binary: a supervised `siteflow serve
/// --fault-injection` is trapped while clients chat; they come back on phoenix.js's schedule and
/// nothing acknowledged is lost or doubled.
@Suite("Load tester recovery mode", .serialized, .timeLimit(.minutes(3)))
struct LoadTestRecoveryTests {
    @Test("a trap mid-run: every client is joined again, no acknowledged message is missing from history, none is stored twice, none failed for good")
    func trapMidRun() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-recovery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let supervisor = try await NodeProcess.start(
            database: "sqlite:" + folder.appendingPathComponent("chat.db").path, options: ["--fault-injection"],
            supervised: true, logLevel: "info")
        defer { supervisor.signal(SIGKILL) }
        await supervisor.waitForOutput("node 1 is ready")

        let configuration = LoadTestConfiguration(
            port: supervisor.port, clients: 50, topic: "room:recovery", rooms: 2, rate: 25, duration: .seconds(8),
            threads: 1, sourceAddresses: 1,
            recovery: RecoveryConfiguration(disruption: .trap, disruptAfter: .seconds(3), settleTime: .seconds(60)))
        let lines = LinesSeen()
        let result = try await LoadTest(configuration: configuration) { lines.add($0) }.run()
        let recovery = try #require(result.recovery, "the recovery figures")
        let report = "\(recovery.report)\n\(lines.text.suffix(3000))\n\(supervisor.printed.suffix(2000))"

        #expect(recovery.disruptionError == nil, "\(report)")
        #expect(recovery.disruptedAt != nil)
        await supervisor.waitForOutput("node 2 is ready")
        let event = try #require(recovery.events.first, "the trap was seen as a disconnect event\n\(report)")
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

        supervisor.signal(SIGTERM)
        #expect(await supervisor.exitStatus() == 0)
    }
}

/// The load test's progress lines, kept for a failure's message.
private final class LinesSeen: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}
