import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Restart policies: permanent, transient and temporary × normal, shutdown and abnormal exits")
struct SupervisorRestartPolicyTests {
    struct Case: Sendable, CustomStringConvertible {
        let restart: RestartPolicy
        let command: String
        let reason: ExitReason
        let restarted: Bool
        var description: String { "\(restart) child exiting with \(reason)" }
    }

    static let boom = ExitReason.error(TestFailure(message: "boom"))

    static let cases: [Case] = [
        Case(restart: .permanent, command: "crash", reason: boom, restarted: true),
        Case(restart: .permanent, command: "stop", reason: .normal, restarted: true),
        Case(restart: .permanent, command: "shutdown", reason: .shutdown, restarted: true),
        Case(restart: .transient, command: "crash", reason: boom, restarted: true),
        Case(restart: .transient, command: "stop", reason: .normal, restarted: false),
        Case(restart: .transient, command: "shutdown", reason: .shutdown, restarted: false),
        Case(restart: .temporary, command: "crash", reason: boom, restarted: false),
        Case(restart: .temporary, command: "stop", reason: .normal, restarted: false),
        Case(restart: .temporary, command: "shutdown", reason: .shutdown, restarted: false),
    ]

    @Test("the policy decides whether the child is started again", arguments: cases)
    func policy(_ testCase: Case) async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [harness.spec("x", restart: testCase.restart), harness.spec("y")])
            try await harness.expect([.started("x"), .started("y")])
            let first = try harness.pid("x")
            try harness.send(testCase.command, to: "x")
            if testCase.restarted {
                try await harness.expect([.terminated("x", testCase.reason), .started("x")])
            } else {
                try await harness.expect([.terminated("x", testCase.reason)])
            }
            // Once its exit completed, the exit signal is in the supervisor's system lane, which is
            // served before the next request.
            _ = await runtime.waitForExit(first.id)
            try await harness.expectQuiet(after: supervisor)
            let x = try await supervisor.whichChildren().first { $0.id == "x" }
            switch (testCase.restarted, testCase.restart) {
            case (true, _):
                #expect(x?.process != nil)
            case (false, .temporary):
                #expect(x == nil, "a temporary child's spec is removed when it ends")
            default:
                #expect(x != nil && x?.process == nil, "the spec stays, not running")
            }
            #expect(try harness.pid("y").isAlive)
        }
    }

    @Test("an untrappable kill is abnormal: a transient child killed from outside is restarted")
    func killedTransientRestarts() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne, children: [harness.spec("x", restart: .transient)])
            try await harness.expect([.started("x")])
            let old = try harness.pid("x")
            runtime.exit(old.id, reason: .kill)
            try await harness.expect([.started("x")])  // killed: terminate did not run
            #expect(try harness.pid("x") != old)
            try await harness.expectQuiet(after: supervisor)
        }
    }

    @Test("RestartPolicy.restarts(after:) follows OTP")
    func restartsAfter() {
        #expect(RestartPolicy.permanent.restarts(after: .normal))
        #expect(!RestartPolicy.transient.restarts(after: .shutdownWith("x")))
        #expect(RestartPolicy.transient.restarts(after: .killed))
        #expect(!RestartPolicy.temporary.restarts(after: .killed))
    }
}
