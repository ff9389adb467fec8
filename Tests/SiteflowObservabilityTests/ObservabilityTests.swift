import Foundation
import Prometheus
import SiteflowObservability
import SiteflowRuntime
import Testing

private struct Idle: Behavior {
    func handle(_ message: Int, context: ProcessContext<Int>) throws {}
}

private struct Crasher: Behavior {
    struct Boom: Error {}
    func handle(_ message: Int, context: ProcessContext<Int>) throws { throw Boom() }
}

private func withRuntime<R>(_ body: (Runtime) async throws -> R) async rethrows -> R {
    let runtime = Runtime()
    defer { runtime.shutdown() }
    return try await body(runtime)
}

/// The value of the sample line `name{…} value` or `name value` in a Prometheus text exposition.
private func sample(_ text: String, _ name: String) -> Double? {
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ")
        guard parts.count == 2 else { continue }
        let metric = parts[0].split(separator: "{").first.map(String.init)
        if metric == name { return Double(parts[1]) }
    }
    return nil
}

@Suite("Metrics and dashboard")
struct ObservabilityTests {
    @Test("/metrics shows the live process count and counts crashes as they happen")
    func scrapeReflectsRuntime() async throws {
        try await withRuntime { runtime in
            let metrics = NodeMetrics()
            metrics.add(RuntimeMetrics(runtime: runtime, registry: metrics.registry))
            let idle = try (0..<10).map { _ in try runtime.spawn(Idle()) }
            let first = String(decoding: metrics.scrape(), as: UTF8.self)
            #expect(sample(first, "siteflow_processes") == Double(runtime.processCount))
            #expect((sample(first, "siteflow_processes") ?? 0) >= 10)
            #expect(first.contains("# TYPE siteflow_processes_crashed_total counter"))
            let crashedBefore = sample(first, "siteflow_processes_crashed_total") ?? -1

            let crasher = try runtime.spawn(Crasher())
            crasher.send(1)
            _ = await runtime.waitForExit(crasher.id)
            let second = String(decoding: metrics.scrape(), as: UTF8.self)
            #expect(sample(second, "siteflow_processes_crashed_total") == crashedBefore + 1)
            #expect((sample(second, "siteflow_resident_memory_bytes") ?? 0) > 0)
            #expect(sample(second, "siteflow_run_queue_length") != nil)
            _ = idle
        }
    }

    @Test("a mirrored counter grows by the source's growth and survives a source reset")
    func counterMirror() {
        let registry = PrometheusCollectorRegistry()
        let mirror = MonotonicCounterMirror(registry, name: "test_events_total", help: "events")
        mirror.update(to: 5)
        mirror.update(to: 8)
        #expect(sample(registry.emitToString(), "test_events_total") == 8)
        mirror.update(to: 2)  // the source restarted: its 2 are new events
        #expect(sample(registry.emitToString(), "test_events_total") == 10)
    }

    @Test("the dashboard document shows node figures, named processes and the supervision tree")
    func dashboardDocument() async throws {
        try await withRuntime { runtime in
            let dashboard = Dashboard(nodeName: "test-node")
            dashboard.add(RuntimeDashboard(runtime: runtime))
            _ = try runtime.spawn(Idle(), options: SpawnOptions(name: "lonely"))
            let root = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [.worker(id: "child", options: SpawnOptions(name: "supervised-child")) { Idle() }],
                name: "root-supervisor")
            let document = try JSONDecoder().decode(Dashboard.Document.self, from: Data(dashboard.documentJSON()))
            #expect(document.node == "test-node")
            let section = try #require(document.sections.first)
            #expect(section.title == "Runtime")
            let processes = section.figures.first { $0.label == "processes" }
            #expect(processes?.number == Double(runtime.processCount))
            let names = section.tables.first?.rows.map { $0[1] } ?? []
            #expect(names.contains("lonely"))
            let tree = try #require(section.trees.first { $0.label.hasPrefix("root-supervisor") })
            #expect(tree.children.contains { $0.label.hasPrefix("supervised-child") })
            _ = root
        }
    }

    @Test("the dashboard page is self-contained HTML that polls its data")
    func dashboardPage() {
        let page = String(decoding: Dashboard.pageHTML, as: UTF8.self)
        #expect(page.hasPrefix("<!doctype html>"))
        #expect(page.contains("fetch(\"data\""))
        #expect(!page.contains("http://") && !page.contains("https://"), "no external assets")
    }
}
