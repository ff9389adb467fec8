import Foundation
import SiteflowRuntime
import SiteflowServer

/// A fault the node's fault-injection process carries out in its own handler, as if the
/// application's code had it (`siteflow serve --fault-injection` only).
public enum InjectedFault: Sendable {
    /// A Swift trap (`fatalError`): the whole node OS process dies, as with a force unwrap of nil.
    case trap
    /// A thrown error: only the fault process crashes, and its supervisor restarts it.
    case throwError
    /// The handler blocks its worker thread for this long (a slow or stuck handler).
    case stall(Duration)
}

/// The error a ``InjectedFault/throwError`` throws.
public struct InjectedFaultError: Error, CustomStringConvertible {
    public var description: String { "fault injection: an error thrown on request (POST /_fault/throw)" }
}

/// The process that carries out injected faults, under the node's root supervisor.
struct FaultInjector: Behavior {
    typealias Message = InjectedFault
    static var kind: String { "fault_injector" }

    mutating func handle(_ message: InjectedFault, context: ProcessContext<InjectedFault>) throws {
        switch message {
        case .trap:
            fatalError("fault injection: a trap requested through POST /_fault/trap")
        case .throwError:
            throw InjectedFaultError()
        case .stall(let duration):
            let (seconds, attoseconds) = duration.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
    }
}

/// Fault injection for tests, benchmarks and drills: off by default; with it on, POST hooks that
/// answer loopback clients only (403 for anyone else):
/// - `/_fault/trap`: trap the node (its supervisor process replaces it);
/// - `/_fault/trap-isolated`: trap the isolated fault target's worker OS process (the node lives
///   on; the target's supervisor starts a new worker);
/// - `/_fault/throw`: throw in a handler (the fault process is restarted by its supervisor);
/// - `/_fault/stall?ms=N`: block a handler for N ms (1…600,000);
/// - `/_fault/kill?name=NAME`: kill the process registered as NAME (e.g. `siteflow.message_writer`).
/// Each answers 202 once the fault is on its way, or 4xx with the reason.
enum FaultInjection {
    /// The fault process (registered as `name`, the node's `siteflow.faults`) and the isolated
    /// fault target (registered as `isolatedName`, in a worker OS process of its own). The target
    /// has a supervisor of its own that tolerates many restarts, so that drills trapping it in a
    /// row never use up the root supervisor's restart intensity.
    static func childSpecs(name: String, isolatedName: String) -> [ChildSpec] {
        [
            .worker(id: "faults", options: SpawnOptions(name: name)) { FaultInjector() },
            .supervisor(
                id: "isolated_faults", strategy: .oneForOne,
                children: [
                    .server(id: "target", options: SpawnOptions(name: isolatedName, isolation: .osProcess)) {
                        IsolatedFaultTarget()
                    }
                ],
                intensity: RestartIntensity(maxRestarts: 1000, period: .seconds(60))),
        ]
    }

    /// Registers the hooks, which reach the fault process and the isolated target by their
    /// registered names.
    static func register(in routes: inout RouteTable, runtime: Runtime, processName: String, isolatedProcessName: String) {
        @Sendable func refusal(_ request: RouteRequest) -> RouteResponse? {
            request.isFromLoopback
                ? nil : RouteResponse(status: 403, contentType: "text/plain", text: "fault injection hooks answer loopback clients only")
        }
        @Sendable func inject(_ fault: InjectedFault, _ request: RouteRequest) -> RouteResponse {
            if let refused = refusal(request) { return refused }
            guard let injector = runtime.whereis(processName, as: InjectedFault.self), injector.send(fault) else {
                return RouteResponse(status: 503, contentType: "text/plain", text: "the fault process is restarting; try again")
            }
            return RouteResponse(status: 202, contentType: "text/plain", text: "\(fault) injected into \(injector.id)")
        }
        routes.post("/_fault/trap") { inject(.trap, $0) }
        routes.post("/_fault/trap-isolated") { request in
            if let refused = refusal(request) { return refused }
            guard let target = runtime.server(named: isolatedProcessName, as: IsolatedFaultTarget.self),
                target.cast(.trap)
            else {
                return RouteResponse(status: 503, contentType: "text/plain", text: "the isolated fault target is restarting; try again")
            }
            return RouteResponse(status: 202, contentType: "text/plain", text: "trap injected into the isolated process \(target.id)")
        }
        routes.post("/_fault/throw") { inject(.throwError, $0) }
        routes.post("/_fault/stall") { request in
            guard let text = request.queryParameters["ms"], let milliseconds = Int(text), (1...600_000).contains(milliseconds) else {
                return RouteResponse(status: 400, contentType: "text/plain", text: "/_fault/stall needs ms=N with N in 1...600000")
            }
            return inject(.stall(.milliseconds(milliseconds)), request)
        }
        routes.post("/_fault/kill") { request in
            if let refused = refusal(request) { return refused }
            guard let name = request.queryParameters["name"], !name.isEmpty else {
                return RouteResponse(status: 400, contentType: "text/plain", text: "/_fault/kill needs name=NAME (a registered process name)")
            }
            guard let target = runtime.names.lookup(name).first else {
                return RouteResponse(status: 404, contentType: "text/plain", text: "no process is registered as \(name)")
            }
            runtime.exit(target, reason: .kill)
            return RouteResponse(status: 202, contentType: "text/plain", text: "killed \(target) (\(name))")
        }
    }
}
