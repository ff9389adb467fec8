import CSiteflowSpawn
import Foundation
import SiteflowStore
import SiteflowStoreTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Store: crash recovery")
struct CrashRecoveryTests {
    /// The helper executable built beside the test bundle.
    static var writerPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("SiteflowStoreCrashWriter").path
    }

    @Test("a writer killed with SIGKILL mid-load loses no acknowledged message and stores none twice", arguments: StoreBackend.available)
    func killNine(backend: StoreBackend) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.writerPath), "helper not built at \(Self.writerPath)")
        let url: String
        let open: () async throws -> any Store
        switch backend {
        case .sqlite:
            let path = try StoreBackend.temporarySQLitePath()
            url = "sqlite:\(path)"
            open = { try await SQLiteStore(path: path) }
        case .postgres:
            let endpoint = try await ThrowawayPostgres.shared.value.makeDatabase()
            url = "postgres://\(endpoint.username)@\(endpoint.host):\(endpoint.port)/\(endpoint.database)"
            open = { try await PostgresStore.opened(endpoint: endpoint) }
        }
        let output = try await Self.runAndKill(arguments: [url, "16"], afterAcks: 2000)
        var acked: [String: Int64] = [:]
        // The line being written when the kill came may be cut short: only whole lines count.
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        for line in lines {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == "ack", let id = Int64(fields[1]) else { continue }
            acked[String(fields[2])] = id
        }
        #expect(acked.count >= 2000)

        let store = try await open()
        var stored: [ChatMessage] = []
        var cursor: MessageCursor?
        repeat {
            let page = try await store.history(room: "room:crash", limit: 1000, before: cursor)
            stored += page.messages
            cursor = page.olderCursor
        } while cursor != nil
        var byKey: [String: [Int64]] = [:]
        for message in stored { byKey[message.idempotencyKey ?? "", default: []].append(message.id) }
        #expect(byKey.values.allSatisfy { $0.count == 1 }, "a message was stored twice")
        let lost = acked.filter { byKey[$0.key] != [$0.value] }
        #expect(lost.isEmpty, "acknowledged but missing or different: \(lost.prefix(5))")
        await store.close()
    }

    /// Starts the helper, reads its output until `afterAcks` acknowledgements, kills it with
    /// SIGKILL, and returns everything it printed.
    static func runAndKill(arguments: [String], afterAcks: Int) async throws -> String {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw FixtureError("pipe() failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        sf_spawn_file_actions_add_close_from(&actions, 3)  // no other test's sockets or pipes in the child
        let argv: [UnsafeMutablePointer<CChar>?] = ([writerPath] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, writerPath, &actions, nil, argv, environ) == 0 else { throw FixtureError("cannot start the helper") }
        close(pipe[1])
        let readEnd = pipe[0]
        let child = pid
        // Read on a thread of its own: blocking reads must not hold a Swift concurrency thread.
        let text = await withCheckedContinuation { (done: CheckedContinuation<String, Never>) in
            let thread = Thread {
                var data = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 65536)
                var acks = 0
                var killed = false
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, 65536) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    data += buffer[0..<count]
                    if !killed {
                        acks += buffer[0..<count].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                        if acks >= afterAcks + 1 {
                            kill(child, SIGKILL)
                            killed = true
                        }
                    }
                }
                if !killed { kill(child, SIGKILL) }
                var status: Int32 = 0
                while waitpid(child, &status, 0) < 0 && errno == EINTR {}
                close(readEnd)
                done.resume(returning: String(decoding: data, as: UTF8.self))
            }
            thread.start()
        }
        return text
    }
}
