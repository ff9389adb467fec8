import ArgumentParser
import Foundation
import SiteflowApp
import SiteflowLoadTest
import SiteflowStore

/// `siteflow loadtest --url ws://127.0.0.1:4000/socket/websocket --clients N --topic room:bench
/// --rate R --duration D [--processes P]`: drives many WebSocket clients at a server and reports
/// latency percentiles and delivery counts. With `--fuzz` it runs a fuzzing campaign against a
/// node on loopback instead (``FuzzCampaign``). With `--recovery` it measures how the clients come
/// back after a disruption (``RecoveryConfiguration``).
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Drive many Phoenix WebSocket clients at a server and report latency percentiles.",
        discussion: """
            Every client joins --topic and the clients together push new_msg at --rate per second. \
            Latency is the round trip from a push to its sender receiving its own broadcast (the \
            push → reply time is reported too). --rate 0 only connects and holds (memory checks).

            --fuzz runs a fuzzing campaign against a node on loopback instead: --fuzz-sockets \
            WebSockets and --long-poll-sessions long-poll sessions send mutated Phoenix frames \
            (--frames in all, at most --seconds, reproducible with --seed) while --chatters \
            well-behaved clients keep chatting; with --pid the node's RSS is sampled. The report \
            counts frames, replies, closes by code, whether the node survived, and whether every \
            acknowledged chat message reached every chat client.

            --recovery measures how clients come back after a disruption: they reconnect and \
            rejoin on phoenix.js's schedules (no jitter), make keyed new_msg at --rate and resend \
            every unacknowledged one with its key after a rejoin. --disrupt trap|reload triggers a \
            disruption --disrupt-after seconds into sending; a disruption from outside (a restart) \
            is noticed too. At the end one reader per room pages back through the room's history. \
            Example: siteflow loadtest --recovery --clients 15000 --rooms 100 --topic room:rec \
            --rate 2000 --duration 40 --processes 4 --disrupt trap --disrupt-after 15
            """
    )

    @Option(help: "The socket's WebSocket URL.")
    var url = "ws://127.0.0.1:4000/socket/websocket"

    @Option(help: "How many clients to open.")
    var clients = 100

    @Option(help: "The topic every client joins.")
    var topic = "room:bench"

    @Option(help: "Spread the clients over this many rooms: client i joins <topic>-<i mod rooms>.")
    var rooms = 1

    @Option(help: "Aggregate new_msg pushes per second (0: connect and hold).")
    var rate = 100.0

    @Option(help: "Seconds to send for once every client has joined.")
    var duration = 10.0

    @Option(help: "Child processes to spread the clients over (each under the open-files limit).")
    var processes = 1

    @Option(help: "Listen-only clients on top of --clients (Linux): raw sockets that join and time broadcasts at a fraction of a NIO client's CPU, so that a co-located load test measures the server.")
    var listeners = 0

    @Option(help: .hidden)
    var firstListenerIndex = 1_000_000

    @Option(help: "Event-loop threads per client process (0: the cores shared among the processes, at least one each).")
    var threads = 0

    @Option(help: "Source addresses 127.0.0.1…127.0.0.k to spread the clients over (0: one per 20,000 clients).")
    var sourceAddresses = 0

    @Option(help: "Connection attempts in flight at once.")
    var connectConcurrency = 256

    @Option(name: .customLong("header"), help: "An extra upgrade-request header, `name: value` (repeatable), e.g. `origin: http://localhost:4000`.")
    var headers: [String] = []

    @Option(help: .hidden)
    var firstClientIndex = 0

    @Option(help: .hidden)
    var sendOffset = 0.0

    @Flag(help: .hidden)
    var json = false

    @Flag(help: "Recovery mode: clients reconnect and rejoin as phoenix.js does, send keyed chat messages (--topic must be a room:…) and resend unacknowledged ones after a rejoin; reports the time until 99% and 100% are joined again after each disconnect, acknowledged messages missing from history, duplicates, pushes failed for good, and p99 push → ack before and after.")
    var recovery = false

    @Option(help: "--recovery: a disruption to trigger during sending: none (watch only, e.g. for a restart driven from outside), trap (POST /_fault/trap; serve --fault-injection) or reload (SIGHUP to the supervisor).")
    var disrupt = "none"

    @Option(help: "--recovery: seconds after sending starts to trigger --disrupt.")
    var disruptAfter = 10.0

    @Option(help: "--recovery --disrupt reload: the supervisor's pid.")
    var supervisorPid: Int32?

    @Option(help: "--recovery --disrupt reload: the supervisor's pid file (default: found from --database, as `siteflow reload` does).")
    var supervisorPidFile: String?

    @Option(help: "--recovery --disrupt reload: the database serve was started with, to find the supervisor's pid file.")
    var database: String?

    @Option(help: "--recovery: seconds to wait after sending stops for every client to be joined and every message acknowledged or refused.")
    var settleTime = 30.0

    @Option(help: .hidden)
    var runId: String?

    @Flag(help: .hidden)
    var skipHistoryAudit = false

    @Flag(help: "Run a fuzzing campaign against the node at --url (loopback only) instead of a load test.")
    var fuzz = false

    @Option(help: "--fuzz: frames to send in all (WebSocket and long-poll together).")
    var frames = 1_000_000

    @Option(help: "--fuzz: stop after this many seconds even if --frames are not all sent.")
    var seconds = 600.0

    @Option(help: "--fuzz: the seed of the frame generators (same seed, same frames per worker).")
    var seed: UInt64 = 1

    @Option(help: "--fuzz: the server's process id, to sample its RSS and check it survived.")
    var pid: Int32?

    @Option(help: "--fuzz: fuzzing WebSockets open at once.")
    var fuzzSockets = 100

    @Option(help: "--fuzz: fuzzing long-poll sessions open at once.")
    var longPollSessions = 16

    @Option(help: "--fuzz: frames per second per fuzzing socket or session (the server allows 100).")
    var socketRate = 90.0

    @Option(help: "--fuzz: frames a fuzzing socket or session sends before it is replaced.")
    var framesPerConnection = 150

    @Option(help: "--fuzz: well-behaved chat clients chatting during the campaign.")
    var chatters = 3

    private var fuzzConfiguration: FuzzConfiguration? {
        guard let endpoint = LoadTestConfiguration.parse(url: url) else { return nil }
        return FuzzConfiguration(
            host: endpoint.host, port: endpoint.port, frames: frames, seconds: seconds, seed: seed,
            sockets: fuzzSockets, longPollSessions: longPollSessions, rateLimitPerSocket: socketRate,
            framesPerConnection: framesPerConnection, chatters: chatters, pid: pid
        )
    }

    func validate() throws {
        guard LoadTestConfiguration.parse(url: url) != nil else {
            throw ValidationError("--url must look like ws://host:port/path, got \(url)")
        }
        guard clients > 0 else { throw ValidationError("--clients must be positive") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be zero or positive") }
        guard duration >= 0, duration.isFinite else { throw ValidationError("--duration must be zero or positive") }
        guard processes >= 1 else { throw ValidationError("--processes must be at least 1") }
        guard listeners >= 0 else { throw ValidationError("--listeners must be zero or positive") }
        guard threads >= 0 else { throw ValidationError("--threads must be zero or positive") }
        guard rooms >= 1 else { throw ValidationError("--rooms must be at least 1") }
        if fuzz, let problem = fuzzConfiguration?.problem {
            throw ValidationError(problem)
        }
        for header in headers where !header.contains(":") {
            throw ValidationError("--header must look like `name: value`, got \(header)")
        }
        guard Disruption(rawValue: disrupt) != nil else { throw ValidationError("--disrupt must be none, trap or reload, got \(disrupt)") }
        if recovery {
            guard topic.hasPrefix("room:") else { throw ValidationError("--recovery needs chat rooms: --topic must start with room:") }
            guard disruptAfter >= 0, disruptAfter.isFinite, settleTime >= 0, settleTime.isFinite else {
                throw ValidationError("--disrupt-after and --settle-time must be zero or positive")
            }
            if let runId, !RecoveryConfiguration.isValidRunID(runId) { throw ValidationError("--run-id must be 1 to 12 letters or digits") }
            guard listeners == 0 else { throw ValidationError("--recovery does not use --listeners") }
        } else if disrupt != "none" {
            throw ValidationError("--disrupt needs --recovery")
        }
        guard topic.utf8.allSatisfy({ $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 >= 0x20 }) else {
            throw ValidationError("--topic must not contain quotes, backslashes or control characters")
        }
    }

    private func recoveryConfiguration() throws -> RecoveryConfiguration? {
        guard recovery else { return nil }
        let disrupt = Disruption(rawValue: self.disrupt) ?? .none
        var pidFile = supervisorPidFile
        if disrupt == .reload, supervisorPid == nil, pidFile == nil {
            let url: DatabaseURL
            do {
                url = try DatabaseURL(parsing: database ?? "sqlite:siteflow.db")
            } catch {
                throw ValidationError("--database: \(error)")
            }
            pidFile = CrashReportFolder(database: url).supervisorPIDFile
        }
        return RecoveryConfiguration(
            disruption: disrupt, disruptAfter: .milliseconds(Int64(disruptAfter * 1000)), supervisorPID: supervisorPid,
            supervisorPIDFile: pidFile, runID: runId ?? RecoveryConfiguration.newRunID(),
            settleTime: .milliseconds(Int64(settleTime * 1000)), auditsHistory: !skipHistoryAudit)
    }

    func run() async throws {
        if fuzz, let configuration = fuzzConfiguration {
            // Progress goes out unbuffered, so that it shows when stdout is a file too.
            let report = try await FuzzCampaign(configuration: configuration) { line in
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }.run()
            if json {
                print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
            return
        }
        guard let endpoint = LoadTestConfiguration.parse(url: url) else { return }
        let configuration = LoadTestConfiguration(
            host: endpoint.host,
            port: endpoint.port,
            target: endpoint.target,
            clients: clients,
            topic: topic,
            rooms: rooms,
            rate: rate,
            duration: .milliseconds(Int64(duration * 1000)),
            listeners: listeners,
            firstListenerIndex: firstListenerIndex,
            processes: processes,
            threads: threads,
            sourceAddresses: sourceAddresses,
            connectConcurrency: connectConcurrency,
            sendOffset: .milliseconds(Int64(max(0, sendOffset) * 1000)),
            firstClientIndex: firstClientIndex,
            headers: headers,
            recovery: try recoveryConfiguration()
        )
        let asChild = json
        let label = "[clients \(firstClientIndex)…\(firstClientIndex + clients - 1)] "
        var test = LoadTest(configuration: configuration) { line in
            if asChild {
                FileHandle.standardError.write(Data((label + line + "\n").utf8))
            } else {
                print(line)
            }
        }
        if asChild {
            // Joined: tell the parent, and send only when it says so (all children together).
            test.startSignal = {
                FileHandle.standardOutput.write(Data((LoadTest.readyLine + "\n").utf8))
                _ = await Task.detached { readLine() }.value
            }
        }
        let result = try await test.run()
        if json {
            let data = try JSONEncoder().encode(result)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(result.report)
        }
    }
}
