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

    /// The exit status of `pid`: reaped here with `waitpid` (polling), or, if Foundation reaped
    /// it first, read from `process`.
    static func exitStatus(of pid: Int32, process: Process) async -> Int32 {
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let signalled = status & 0x7f
                return signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
            }
            if reaped < 0 {  // already reaped by Foundation
                for _ in 0..<500 where process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
                return process.isRunning ? -1 : process.terminationStatus
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
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
        // The pipe is drained by a thread of its own, never by a blocking read on the cooperative
        // pool (two scripts blocking both of its threads would stall every task), and not by a
        // readabilityHandler: tearing its dispatch source down as the pipe closed was seen to
        // crash the test process in libdispatch's event loop (2 runs in 8 of the resume spec).
        let printed = NodeProcess.OutputLog()
        let drained = AsyncStream<Void>.makeStream()
        let reading = output.fileHandleForReading
        let reader = Thread {
            while let data = try? reading.read(upToCount: 65_536), !data.isEmpty {
                printed.append(String(decoding: data, as: UTF8.self))
            }
            drained.continuation.finish()
        }
        try process.run()
        reader.start()
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        // The script's output ends when it exits. Its status is then read with our own
        // `waitpid`: Foundation's termination notice (SIGCHLD) was seen to go missing on Linux
        // while other tests spawn processes, leaving a zombie and a test waiting for ever.
        for await _ in drained.stream {}
        let status = await Self.exitStatus(of: pid, process: process)
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
