import Foundation
import Testing

/// Runs one of the Python end-to-end scripts beside this file (a real browser via Selenium, or a
/// third-party Phoenix client) and turns its exit status into a test outcome: 0 passes, 77 skips
/// with the script's reason, anything else fails with the script's output.
struct PythonScript {
    /// The script's file name in `Scripts/`.
    let name: String

    /// The interpreter: `SITEFLOW_PYTHON`, else the venv that `.ci/run` prepares, else the system's.
    static var interpreter: String? {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["SITEFLOW_PYTHON"], "/opt/siteflow-venv/bin/python", "/usr/bin/python3"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs the script with `arguments`, waiting at most `timeout`; records the outcome.
    func run(_ arguments: [String], timeout: Duration = .seconds(180)) async throws {
        guard let interpreter = Self.interpreter else {
            try Test.cancel("skipped: no Python interpreter (set SITEFLOW_PYTHON)")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Scripts").appendingPathComponent(name).path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = [script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        // The pipe is drained by Foundation's handler thread, never by a blocking read on the
        // cooperative pool (two scripts blocking both of its threads would stall every task).
        let printed = NodeProcess.OutputLog()
        let drained = AsyncStream<Void>.makeStream()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                drained.continuation.finish()
            } else {
                printed.append(String(decoding: data, as: UTF8.self))
            }
        }
        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished.continuation.yield($0.terminationStatus); finished.continuation.finish() }
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            process.terminate()
        }
        var status: Int32 = -1
        for await code in finished.stream { status = code }
        for await _ in drained.stream {}
        watchdog.cancel()
        let text = printed.value
        switch status {
        case 0:
            return
        case 77:
            try Test.cancel("skipped: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        default:
            Issue.record("\(name) failed (exit \(status)):\n\(text)")
        }
    }
}
