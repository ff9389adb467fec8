import SiteflowApp
import Testing

/// The node supervisor's rules, without processes: each event's actions.
@Suite("Node supervisor: decisions")
struct NodeSupervisorStateMachineTests {
    typealias Machine = NodeSupervisorStateMachine

    private func ready() -> Machine {
        var machine = Machine(intensity: NodeRestartIntensity(maxRestarts: 2, window: .seconds(60)), crashGrace: .seconds(2))
        #expect(machine.start() == [.startNode(1)])
        #expect(machine.nodeReady(1) == [])
        return machine
    }

    @Test("a crash notice starts the replacement at once, before the crashed node has exited")
    func crashNoticeStartsReplacement() {
        var machine = ready()
        let actions = machine.nodeCrashed(1, at: .seconds(1))
        #expect(actions.contains(.startNode(2)))
        #expect(actions.contains(.killNodeAfter(1, grace: .seconds(2))))
        #expect(machine.nodeExited(1, status: .signaled(4), at: .seconds(1.1)) == [.reportCrash(1, .signaled(4))])
        #expect(machine.liveNodes == [2])
    }

    @Test("a node that dies without a notice (SIGKILL, exit 1) is replaced and reported")
    func deathWithoutNoticeIsReplaced() {
        var machine = ready()
        let actions = machine.nodeExited(1, status: .signaled(9), at: .seconds(1))
        #expect(actions.first == .reportCrash(1, .signaled(9)))
        #expect(actions.contains(.startNode(2)))
    }

    @Test("past the restart intensity the supervisor stops every node and exits 1")
    func intensityExceededGivesUp() {
        var machine = ready()
        _ = machine.nodeCrashed(1, at: .seconds(1))
        _ = machine.nodeReady(2)
        _ = machine.nodeCrashed(2, at: .seconds(2))
        _ = machine.nodeReady(3)
        let third = machine.nodeCrashed(3, at: .seconds(3))
        #expect(!third.contains(.startNode(4)), "a third crash within the window is one too many")
        #expect(machine.nodeExited(1, status: .signaled(4), at: .seconds(3)) == [.reportCrash(1, .signaled(4))])
        #expect(machine.nodeExited(2, status: .signaled(4), at: .seconds(3)) == [.reportCrash(2, .signaled(4))])
        let last = machine.nodeExited(3, status: .signaled(4), at: .seconds(3))
        guard case .exit(let code, let reason)? = last.last else {
            Issue.record("expected an exit, got \(last)")
            return
        }
        #expect(code == 1)
        #expect(reason.contains("more than 2 times within"))
    }

    @Test("crashes spread wider than the window never exhaust the intensity")
    func crashesOutsideTheWindowAreForgiven() {
        var machine = ready()
        var generation = 1
        for minute in 1...10 {
            let actions = machine.nodeCrashed(generation, at: .seconds(61 * minute))
            #expect(actions.contains(.startNode(generation + 1)))
            _ = machine.nodeExited(generation, status: .signaled(11), at: .seconds(61 * minute))
            generation += 1
            _ = machine.nodeReady(generation)
        }
    }

    @Test("a stop drains every node and exits 0 once they have exited; a second stop kills")
    func stopDrainsThenExits() {
        var machine = ready()
        #expect(machine.stopRequested() == [.drainNode(1)])
        #expect(machine.stopRequested() == [.killNode(1)])
        #expect(machine.nodeExited(1, status: .exited(0), at: .seconds(1)) == [.exit(code: 0, reason: "stopped by request")])
    }

    @Test("a node that exits 0 by itself is not replaced, and the supervisor exits 0")
    func cleanExitIsNotReplaced() {
        var machine = ready()
        let actions = machine.nodeExited(1, status: .exited(0), at: .seconds(1))
        #expect(actions == [.exit(code: 0, reason: "the node stopped by itself (exit code 0)")])
    }

    @Test("the first node failing before it is ready ends the supervisor with its code (no restart loop)")
    func firstNodeFailingToStartEndsTheSupervisor() {
        var machine = Machine(intensity: NodeRestartIntensity(maxRestarts: 5, window: .seconds(60)))
        _ = machine.start()
        let actions = machine.nodeExited(1, status: .exited(64), at: .seconds(0.2))
        #expect(actions.first == .reportCrash(1, .exited(64)))
        #expect(!actions.contains(.startNode(2)))
        guard case .exit(let code, _)? = actions.last else {
            Issue.record("expected an exit, got \(actions)")
            return
        }
        #expect(code == 64)
    }

    @Test("a reload starts a new node and drains the old one only when the new one is ready")
    func reloadDrainsOldWhenNewIsReady() {
        var machine = ready()
        #expect(machine.reloadRequested().contains(.startNode(2)))
        #expect(machine.reloadRequested() == [.note("reload ignored: a node is already starting")])
        let actions = machine.nodeReady(2)
        #expect(actions.contains(.drainNode(1)))
        #expect(machine.nodeExited(1, status: .exited(0), at: .seconds(5)) == [])
        #expect(machine.liveNodes == [2])
    }

    @Test("a new node that dies before it is ready abandons the reload; the old one keeps serving")
    func failedReloadKeepsTheOldNode() {
        var machine = ready()
        _ = machine.reloadRequested()
        let actions = machine.nodeExited(2, status: .exited(1), at: .seconds(1))
        #expect(actions.first == .reportCrash(2, .exited(1)))
        #expect(!actions.contains(.drainNode(1)))
        #expect(!actions.contains { if case .startNode = $0 { return true } else { return false } })
        #expect(machine.liveNodes == [1])
    }

    @Test("a crashed node still there when its grace runs out is killed")
    func graceTimerKills() {
        var machine = ready()
        _ = machine.nodeCrashed(1, at: .seconds(1))
        #expect(machine.killTimerFired(1) == [.killNode(1)])
        _ = machine.nodeExited(1, status: .signaled(9), at: .seconds(3))
        #expect(machine.killTimerFired(1) == [])
    }
}

@Suite("Node restart intensity")
struct RestartIntensityTests {
    @Test("allows maxRestarts within the window, refuses one more, and forgets restarts older than the window")
    func slidingWindow() {
        var intensity = NodeRestartIntensity(maxRestarts: 2, window: .seconds(10))
        let first = intensity.allowRestart(at: .seconds(0))
        let second = intensity.allowRestart(at: .seconds(5))
        let third = intensity.allowRestart(at: .seconds(9))
        let later = intensity.allowRestart(at: .seconds(10))
        #expect(first && second)
        #expect(!third, "a third restart within 10 s is one too many")
        #expect(later, "the restart at 0 s left the window")
        #expect(intensity.recentRestarts(at: .seconds(10)) == 2)
    }

    @Test("zero restarts allowed refuses the first")
    func zeroRestarts() {
        var intensity = NodeRestartIntensity(maxRestarts: 0, window: .seconds(10))
        let allowed = intensity.allowRestart(at: .seconds(1))
        #expect(!allowed)
    }
}
