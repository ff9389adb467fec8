import CSiteflowRuntime
import Foundation

/// Turns a crashed node's frame addresses into function names and source lines after the node has
/// gone, with `llvm-symbolizer` (or binutils' `addr2line`) when one is installed. Swift names are
/// demangled with the Swift runtime's own demangler.
struct Symbolizer: Sendable {
    /// One symbolicated frame.
    struct Symbol: Sendable, Equatable, CustomStringConvertible {
        var function: String
        var location: String?
        var description: String { location.map { "\(function) at \($0)" } ?? function }
    }

    private enum Tool: Sendable {
        case llvmSymbolizer(String)
        case addr2line(String)
    }
    private let tool: Tool

    /// The symbolizer found on `PATH` (llvm-symbolizer, then llvm-symbolizer-N, then addr2line),
    /// or nil when there is none (reports then keep raw addresses and the image list).
    static func find(path: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") -> Symbolizer? {
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin"]
        let manager = FileManager.default
        for folder in folders {
            let candidate = folder + "/llvm-symbolizer"
            if manager.isExecutableFile(atPath: candidate) { return Symbolizer(tool: .llvmSymbolizer(candidate)) }
        }
        for folder in folders {
            if let names = try? manager.contentsOfDirectory(atPath: folder),
                let versioned = names.filter({ $0.hasPrefix("llvm-symbolizer-") }).sorted().last
            {
                return Symbolizer(tool: .llvmSymbolizer(folder + "/" + versioned))
            }
        }
        for folder in folders where manager.isExecutableFile(atPath: folder + "/addr2line") {
            return Symbolizer(tool: .addr2line(folder + "/addr2line"))
        }
        return nil
    }

    /// One symbol (or nil) per frame, in order; empty when the tool could not be run.
    func symbolicate(_ frames: [BacktraceText.Frame], images: [BacktraceText.Image]) -> [Symbol?] {
        var symbols = [Symbol?](repeating: nil, count: frames.count)
        var byImage: [String: [(frame: Int, offset: UInt64)]] = [:]
        for (position, frame) in frames.enumerated() {
            guard let image = images.first(where: { $0.start <= frame.address && frame.address < $0.end }) else { continue }
            // A return address points after the call: look up the call itself.
            let offset = frame.address - image.start - (frame.isReturnAddress ? 1 : 0)
            byImage[image.path, default: []].append((position, offset))
        }
        var ranAny = false
        for (path, wanted) in byImage {
            guard let answers = run(path: path, offsets: wanted.map(\.offset)) else { continue }
            ranAny = true
            for (entry, answer) in zip(wanted, answers) { symbols[entry.frame] = answer }
        }
        return ranAny ? symbols : []
    }

    /// Runs the tool on one image; one answer per offset.
    private func run(path: String, offsets: [UInt64]) -> [Symbol?]? {
        let process = Process()
        let hexOffsets = offsets.map { "0x" + String($0, radix: 16) }
        switch tool {
        case .llvmSymbolizer(let executable):
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["--obj=\(path)", "--no-demangle", "--no-inlines"] + hexOffsets
        case .addr2line(let executable):
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-f", "-e", path] + hexOffsets
        }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        var answers: [Symbol?] = []
        var index = 0
        while answers.count < offsets.count, index < lines.count {
            let function = String(lines[index])
            let location = index + 1 < lines.count ? String(lines[index + 1]) : nil
            index += 2
            if function == "??" {
                answers.append(nil)
            } else {
                let known = location.flatMap { $0.hasPrefix("??") ? nil : $0 }
                answers.append(Symbol(function: Self.demangle(function), location: known))
            }
        }
        while answers.count < offsets.count { answers.append(nil) }
        return answers
    }

    /// A Swift symbol's readable name (C and C++ names come back as they are).
    static func demangle(_ name: String) -> String {
        guard name.hasPrefix("$s") || name.hasPrefix("_$s") || name.hasPrefix("$S") else { return name }
        return name.withCString { pointer in
            guard let demangled = swift_demangle(pointer, strlen(pointer), nil, nil, 0) else { return name }
            defer { free(demangled) }
            return String(cString: demangled)
        }
    }
}
