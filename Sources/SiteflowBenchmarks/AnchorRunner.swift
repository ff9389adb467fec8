#if canImport(Glibc)
import Glibc
#endif

/// The Erlang and Go anchor programs (`shared/anchors/erlang/bench.erl`, `shared/anchors/go/main.go`),
/// compiled into a cache directory and ready to run with a benchmark's arguments.
///
/// The anchors' folder is read-only: nothing is ever written into it. An anchor whose toolchain
/// is not on `PATH` (`erl`/`erlc`, `go`) or that fails to compile is left out, with a note.
public struct AnchorRunner: Sendable {
    /// One compiled anchor program.
    public struct Anchor: Sendable, Hashable {
        /// The implementation label (``ResultTable/erlang`` or ``ResultTable/go``).
        public var label: String
        /// The program to start.
        public var executable: String
        /// Arguments before the benchmark's own (`-noshell +P 8000000 -pa … -run bench main`).
        public var leadingArguments: [String]
        /// The toolchain's version, for the report.
        public var version: String

        /// The full argument list for one benchmark run.
        public func arguments(for benchmarkArguments: [String]) -> [String] {
            leadingArguments + benchmarkArguments
        }
    }

    /// The anchors' folder that was used.
    public var directory: String
    /// The anchors that compiled.
    public var anchors: [Anchor]
    /// Why an anchor is missing (toolchain not found, compile error).
    public var notes: [String]

    /// Finds the anchors' folder: `override` if given, else `<package>/../shared/anchors` for the
    /// package that contains the working directory or, failing that, this source file.
    public static func locate(override: String?) -> String? {
        if let override {
            return isAnchorFolder(override) ? override : nil
        }
        for root in PackageLocation.candidateRoots() {
            let candidate = PackageLocation.parent(of: root) + "/shared/anchors"
            if isAnchorFolder(candidate) { return candidate }
        }
        return nil
    }

    private static func isAnchorFolder(_ path: String) -> Bool {
        access(path + "/erlang/bench.erl", R_OK) == 0 || access(path + "/go/main.go", R_OK) == 0
    }

    /// Compiles the anchors found in `directory` into `cacheDirectory` (created if needed).
    /// `only` limits which anchors are built (labels), nil for all.
    public static func prepare(directory: String, cacheDirectory: String, only: Set<String>? = nil) -> AnchorRunner {
        var runner = AnchorRunner(directory: directory, anchors: [], notes: [])
        guard PackageLocation.makeDirectories(cacheDirectory) else {
            runner.notes.append("could not create \(cacheDirectory); no anchors")
            return runner
        }
        if only?.contains(ResultTable.erlang) ?? true {
            runner.prepareErlang(cacheDirectory: cacheDirectory)
        }
        if only?.contains(ResultTable.go) ?? true {
            runner.prepareGo(cacheDirectory: cacheDirectory)
        }
        return runner
    }

    private mutating func prepareErlang(cacheDirectory: String) {
        guard let erl = ChildProcess.findExecutable("erl"), let erlc = ChildProcess.findExecutable("erlc") else {
            notes.append("Erlang skipped: erl/erlc not on PATH (apt-get install erlang-nox erlang-dev)")
            return
        }
        let sources = ["\(directory)/erlang/bench.erl", "\(directory)/erlang/bench_srv.erl"]
        let compiled = ChildProcess.run(erlc, arguments: ["-o", cacheDirectory] + sources, timeout: .seconds(120))
        guard compiled.succeeded else {
            notes.append("Erlang skipped: erlc \(compiled.status): \(compiled.standardError.prefix(300))")
            return
        }
        let probe = ChildProcess.run(
            erl,
            arguments: ["-noshell", "-eval", #"io:format("OTP ~s, erts ~s, ~s emulator", [erlang:system_info(otp_release), erlang:system_info(version), erlang:system_info(emu_flavor)]), halt()."#],
            timeout: .seconds(30))
        anchors.append(
            Anchor(
                label: ResultTable.erlang, executable: erl,
                leadingArguments: ["-noshell", "+P", "8000000", "-pa", cacheDirectory, "-run", "bench", "main"],
                version: probe.succeeded ? probe.standardOutput : "unknown"))
    }

    private mutating func prepareGo(cacheDirectory: String) {
        guard let go = ChildProcess.findExecutable("go") else {
            notes.append("Go skipped: go not on PATH (apt-get install golang-go)")
            return
        }
        let binary = "\(cacheDirectory)/anchors-go"
        // A file argument instead of the package folder: `go build` needs no write access there.
        let built = ChildProcess.run(go, arguments: ["build", "-o", binary, "\(directory)/go/main.go"], timeout: .seconds(300))
        guard built.succeeded else {
            notes.append("Go skipped: go build \(built.status): \(built.standardError.prefix(300))")
            return
        }
        let version = ChildProcess.run(go, arguments: ["version"], timeout: .seconds(30))
        anchors.append(
            Anchor(
                label: ResultTable.go, executable: binary, leadingArguments: [],
                version: version.succeeded ? String(version.standardOutput.split(whereSeparator: \.isNewline).first ?? "") : "unknown"))
    }
}
