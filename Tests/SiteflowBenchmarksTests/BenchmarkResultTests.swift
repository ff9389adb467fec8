import Testing

@testable import SiteflowBenchmarks

@Suite("RESULT lines")
struct BenchmarkResultTests {
    @Test("parses an anchor's line, keeping the key order")
    func parsesAnchorLine() throws {
        let line = "RESULT impl=erlang bench=ring n=10000 m=1000 setup_s=0.051 run_s=5.801 hops_per_s=1723902.159"
        let result = try #require(BenchmarkResult(line: line))
        #expect(result.implementation == "erlang")
        #expect(result.benchmark == "ring")
        #expect(result.keys == ["n", "m", "setup_s", "run_s", "hops_per_s"])
        #expect(result.values["hops_per_s"] == 1723902.159)
        #expect(result.values["n"] == 10000)
    }

    @Test("rejects lines that are not results", arguments: [
        "", "RESULT", "hello RESULT impl=go bench=ring", "RESULT impl=go n=3", "RESULT bench=ring n=3",
        "RESULTS impl=go bench=ring",
    ])
    func rejects(line: String) {
        #expect(BenchmarkResult(line: line) == nil)
    }

    @Test("keeps non-numeric fields apart and survives odd spacing")
    func labels() throws {
        let result = try #require(BenchmarkResult(line: "RESULT  impl=siteflow\tbench=call  variant=global  us_per_call=0.9 junk"))
        #expect(result.labels == ["variant": "global"])
        #expect(result.values == ["us_per_call": 0.9])
    }

    @Test("finds the last RESULT line of a program's output")
    func lastInOutput() throws {
        let output = """
            Erlang/OTP noise
            RESULT impl=go bench=spawn n=1 spawn_s=1.0
            RESULT impl=go bench=spawn n=2 spawn_s=2.0
            trailing text
            """
        let result = try #require(BenchmarkResult.last(in: output))
        #expect(result.values["n"] == 2)
        #expect(BenchmarkResult.last(in: "nothing here\n") == nil)
    }

    @Test("prints in the anchors' format and parses back")
    func roundTrip() throws {
        let result = BenchmarkResult(
            implementation: "siteflow", benchmark: "spawn",
            fields: [("n", 1_000_000), ("spawn_s", 0.0781), ("rss_per_proc", 56), ("send_exit_s", 1.5)])
        #expect(result.line == "RESULT impl=siteflow bench=spawn n=1000000 spawn_s=0.078 rss_per_proc=56 send_exit_s=1.500")
        let parsed = try #require(BenchmarkResult(line: result.line))
        #expect(parsed.keys == result.keys)
        #expect(parsed.values["rss_per_proc"] == 56)
    }
}
