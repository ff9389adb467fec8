import Synchronization
import Testing
@testable import SiteflowRuntime

@Suite("Compact per-process storage: the link set and the exit-hook list")
struct LinkSetAndExitHookListTests {
    struct Idle: Behavior {
        typealias Message = Int
        mutating func handle(_ message: Int, context: ProcessContext<Int>) {}
    }

    @Test("a link set holds none, one, then many processes, and shrinks back as they are removed")
    func linkSet() throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 1)))
        defer { runtime.shutdown() }
        let cores = try (0..<3).map { _ in try runtime.spawn(Idle()).id.core }
        var links = LinkSet()
        #expect(links.count == 0 && links.members.isEmpty)
        links.insert(cores[0])
        links.insert(cores[0])
        #expect(links.count == 1)
        #expect(links.members.map(ObjectIdentifier.init) == [ObjectIdentifier(cores[0])])
        links.insert(cores[1])
        links.insert(cores[2])
        #expect(links.count == 3)
        #expect(Set(links.members.map(ObjectIdentifier.init)) == Set(cores.map(ObjectIdentifier.init)))
        links.remove(cores[1])
        links.remove(cores[1])
        #expect(links.count == 2)
        links.remove(cores[0])
        links.remove(cores[2])
        #expect(links.count == 0 && links.members.isEmpty)
        links.insert(cores[2])
        links.remove(cores[0])  // not linked: no effect
        #expect(links.count == 1)
    }

    @Test("exit hooks run once each, in the order they were added, whether one or many")
    func exitHooks() throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 1)))
        defer { runtime.shutdown() }
        let calls = Mutex<[Int]>([])
        var hooks = ExitHookList()
        #expect(hooks.isEmpty)
        hooks.append { _, _ in calls.withLock { $0.append(1) } }
        #expect(hooks.count == 1)
        var taken = hooks.takeAll()
        #expect(hooks.isEmpty && taken.count == 1)
        taken.append { _, _ in calls.withLock { $0.append(2) } }
        taken.append { _, _ in calls.withLock { $0.append(3) } }
        #expect(taken.count == 3)
        let process = try runtime.spawn(Idle()).id
        taken.callAll(process, .normal)
        #expect(calls.withLock { $0 } == [1, 2, 3])
    }
}
