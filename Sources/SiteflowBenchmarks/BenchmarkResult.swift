/// One measurement, as printed by every benchmark program (Siteflow's hidden
/// `siteflow bench runtime-one`, the Erlang and the Go anchors) on a line of its own:
///
///     RESULT impl=erlang bench=ring n=10000 m=1000 setup_s=0.051 run_s=5.801 hops_per_s=1723902.159
///
/// `impl` and `bench` name the program and the benchmark; every other `key=value` pair is a
/// number. Pairs whose value is not a number are kept in ``labels``.
public struct BenchmarkResult: Sendable, Hashable {
    /// The program that measured (`siteflow`, `erlang`, `go`).
    public var implementation: String
    /// The benchmark it ran (`spawn`, `ring`, …).
    public var benchmark: String
    /// The numeric fields, by key.
    public var values: [String: Double]
    /// The keys of ``values`` in the order they were printed.
    public var keys: [String]
    /// Fields whose value is not a number (kept so nothing printed is lost).
    public var labels: [String: String]

    /// Creates a result; `fields` keep their order in ``line``.
    public init(implementation: String, benchmark: String, fields: [(String, Double)]) {
        self.implementation = implementation
        self.benchmark = benchmark
        self.values = Dictionary(fields, uniquingKeysWith: { _, last in last })
        self.keys = fields.map(\.0)
        self.labels = [:]
    }

    /// Parses a `RESULT …` line; nil if `line` is not one (it must start with `RESULT ` and name
    /// both `impl` and `bench`).
    public init?(line: some StringProtocol) {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
        guard words.popFirst() == "RESULT" else { return nil }
        var implementation: String?
        var benchmark: String?
        var values: [String: Double] = [:]
        var keys: [String] = []
        var labels: [String: String] = [:]
        for word in words {
            guard let equals = word.firstIndex(of: "=") else { continue }
            let key = String(word[..<equals])
            let value = String(word[word.index(after: equals)...])
            switch key {
            case "impl": implementation = value
            case "bench": benchmark = value
            default:
                if let number = Double(value), number.isFinite {
                    if values.updateValue(number, forKey: key) == nil { keys.append(key) }
                } else {
                    labels[key] = value
                }
            }
        }
        guard let implementation, let benchmark, !implementation.isEmpty, !benchmark.isEmpty else { return nil }
        self.implementation = implementation
        self.benchmark = benchmark
        self.values = values
        self.keys = keys
        self.labels = labels
    }

    /// The last `RESULT` line in `output` (a program's whole standard output), parsed.
    public static func last(in output: String) -> BenchmarkResult? {
        output.split(whereSeparator: \.isNewline).reversed().lazy.compactMap { BenchmarkResult(line: $0) }.first
    }

    /// The line in the anchors' format: integers without a fraction, other numbers with 3 decimals.
    public var line: String {
        var text = "RESULT impl=\(implementation) bench=\(benchmark)"
        for key in keys {
            guard let value = values[key] else { continue }
            text += " \(key)=\(Self.format(value))"
        }
        for key in labels.keys.sorted() {
            if let label = labels[key] { text += " \(key)=\(label)" }
        }
        return text
    }

    /// Formats a value as the anchors do: `42`, `0.051`, `1723902.159`.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))
        }
        let scaled = (value * 1000).rounded()
        let sign = scaled < 0 ? "-" : ""
        let magnitude = Int64(abs(scaled))
        let fraction = String(magnitude % 1000)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
