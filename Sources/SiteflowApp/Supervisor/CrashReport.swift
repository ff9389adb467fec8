import Foundation

/// What the supervisor knows about a node that died abnormally: how it ended, which process was
/// running on the crashing thread, the crashing thread's backtrace (symbolicated by the supervisor
/// after the node has gone, so that the dying node does not hold its clients), and its last log
/// lines. Written to the log and, as JSON, beside the database for the dashboard.
public struct CrashReport: Codable, Sendable, Equatable {
    /// When the supervisor wrote the report (ISO 8601, UTC).
    public var time: String
    /// The node's number under this supervisor.
    public var generation: Int
    /// The node's OS process id.
    public var pid: Int32
    /// How it ended, e.g. "crashed with signal 4 (SIGILL)" or "exited with code 1".
    public var status: String
    /// The fatal signal its crash notice named (nil when it died without one, e.g. SIGKILL).
    public var signal: Int32?
    /// The process that was running on the crashing thread, e.g. "<0.42.0>" (nil when the crash
    /// happened off the runtime's workers, or without a notice).
    public var process: String?
    /// The first frame of the crashing thread in Siteflow's own code (usually the handler that
    /// trapped), when the backtrace could be symbolicated.
    public var handler: String?
    /// The crashing thread's frames, symbolicated where a symbolizer was found
    /// ("3 ChatChannel.handleIn(...) at Sources/…/ChatChannel.swift:120"), else raw addresses.
    public var frames: [String]
    /// The backtracer's output as the node wrote it (addresses and loaded images).
    public var backtrace: [String]
    /// The node's last log lines before the crash.
    public var lastLogLines: [String]
    /// What the supervisor did: "restarted as node 3", "not restarted: …".
    public var decision: String

    /// The report as log text, one line per field and frame.
    public var text: String {
        var lines = ["crash report: node \(generation) (pid \(pid)) \(status)"]
        if let process { lines.append("  process running on the crashing thread: \(process)") }
        if let handler { lines.append("  in: \(handler)") }
        lines.append("  supervisor: \(decision)")
        if !frames.isEmpty {
            lines.append("  crashing thread:")
            lines += frames.map { "    \($0)" }
        }
        if !lastLogLines.isEmpty {
            lines.append("  last log lines:")
            lines += lastLogLines.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

extension CrashReport {
    /// Builds a report from what a node printed (`output`: its standard error's last lines).
    /// `executable` is the node's binary, to tell Siteflow's frames from the libraries'.
    static func make(
        generation: Int, pid: Int32, status: NodeExitStatus, notice: (signal: Int32, processSerial: UInt64)?,
        output: [String], executable: String, decision: String, symbolizer: Symbolizer?
    ) -> CrashReport {
        let parsed = BacktraceText(lines: output)
        var frames = parsed.frames.map { "\($0.index) 0x\(String($0.address, radix: 16))" }
        var handler: String?
        if let symbolizer {
            let symbols = symbolizer.symbolicate(parsed.frames, images: parsed.images)
            if !symbols.isEmpty {
                frames = zip(parsed.frames, symbols).map { frame, symbol in
                    "\(frame.index) \(symbol?.description ?? "0x" + String(frame.address, radix: 16))"
                }
                handler = zip(parsed.frames, symbols).first { frame, symbol in
                    symbol != nil && parsed.image(containing: frame.address)?.path == executable
                }?.1?.description
            }
        }
        let formatter = ISO8601DateFormatter()
        return CrashReport(
            time: formatter.string(from: Date()), generation: generation, pid: pid,
            status: notice.map { notice in
                let crashed = "crashed with signal \(notice.signal) (\(NodeExitStatus.signalName(notice.signal)))"
                return status == .signaled(notice.signal) ? crashed : "\(crashed), then \(status) after its grace period"
            } ?? status.description,
            signal: notice?.signal,
            process: notice.flatMap { $0.processSerial == 0 ? nil : "<0.\($0.processSerial).0>" },
            handler: handler, frames: frames, backtrace: parsed.backtrace,
            lastLogLines: Array(parsed.logLines.suffix(40)), decision: decision)
    }
}

/// The Swift runtime backtracer's text (`SWIFT_BACKTRACE=…,symbolicate=off`), taken apart:
/// the log lines before it, the crashing thread's frame addresses, and the loaded images.
struct BacktraceText {
    /// One frame: its number, address, and whether it is a return address (one past the call).
    struct Frame: Equatable {
        var index: Int
        var address: UInt64
        var isReturnAddress: Bool
    }
    /// One loaded image: its address range and file.
    struct Image: Equatable {
        var start: UInt64
        var end: UInt64
        var path: String
    }

    var logLines: [String] = []
    var backtrace: [String] = []
    var frames: [Frame] = []
    var images: [Image] = []

    init(lines: [String]) {
        guard let start = lines.firstIndex(where: { $0.hasPrefix("*** Signal") || $0.hasPrefix("*** Program crashed") })
        else {
            logLines = lines
            return
        }
        // A fatal error's message ("Fatal error: Index out of range") comes just before the banner.
        logLines = Array(lines[..<start])
        backtrace = Array(lines[start...])
        var section = ""
        for line in backtrace {
            if line.hasPrefix("Thread ") && line.hasSuffix("crashed:") { section = "thread"; continue }
            if line.hasPrefix("Images") { section = "images"; continue }
            if line.hasPrefix("Registers") || line.hasPrefix("Backtrace took") { section = ""; continue }
            switch section {
            case "thread":
                if let frame = Self.frame(line) { frames.append(frame) }
            case "images":
                if let image = Self.image(line) { images.append(image) }
            default:
                break
            }
        }
    }

    /// The image whose range holds `address`.
    func image(containing address: UInt64) -> Image? {
        images.first { $0.start <= address && address < $0.end }
    }

    /// "3 [ra] 0x0000557915e9e0c1" (symbolicate=off) or "3 [ra] 0x0000557915e9e0c1 main + 12 in …".
    private static func frame(_ line: String) -> Frame? {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2, let index = Int(words[0]) else { return nil }
        var position = 1
        var isReturnAddress = false
        if words[position].hasPrefix("[") {
            isReturnAddress = words[position] == "[ra]" || words[position] == "[async]"
            position += 1
        }
        guard position < words.count, words[position].hasPrefix("0x"),
            let address = UInt64(words[position].dropFirst(2), radix: 16)
        else { return nil }
        return Frame(index: index, address: address, isReturnAddress: isReturnAddress)
    }

    /// "0x0000557915e9d000–0x0000557915e9e478 <build id> crash0   /tmp/bt/crash0".
    private static func image(_ line: String) -> Image? {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 4 else { return nil }
        let range = words[0].split(whereSeparator: { $0 == "–" || $0 == "-" })
        guard range.count == 2, range[0].hasPrefix("0x"), range[1].hasPrefix("0x"),
            let start = UInt64(range[0].dropFirst(2), radix: 16), let end = UInt64(range[1].dropFirst(2), radix: 16)
        else { return nil }
        guard let pathStart = words.indices.dropFirst(2).first(where: { words[$0].hasPrefix("/") }) else { return nil }
        return Image(start: start, end: end, path: words[pathStart...].joined(separator: " "))
    }
}
