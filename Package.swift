// swift-tools-version: 6.0
// Siteflow: an Erlang/OTP-style process runtime and a Phoenix-compatible real-time server, in Swift.
import PackageDescription

/// Settings every Siteflow target shares: Swift 6 mode plus the upcoming features that make each
/// `public import` and each existential a visible decision.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Siteflow",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SiteflowRuntime", targets: ["SiteflowRuntime"]),
        .library(name: "SiteflowRuntimeTesting", targets: ["SiteflowRuntimeTesting"]),
        .library(name: "SiteflowRealtime", targets: ["SiteflowRealtime"]),
        .library(name: "SiteflowObservability", targets: ["SiteflowObservability"]),
        .library(name: "SiteflowWebSocketCodec", targets: ["SiteflowWebSocketCodec"]),
        .library(name: "SiteflowServer", targets: ["SiteflowServer"]),
        .library(name: "SiteflowLoadTest", targets: ["SiteflowLoadTest"]),
        .library(name: "SiteflowStore", targets: ["SiteflowStore"]),
        .library(name: "SiteflowApp", targets: ["SiteflowApp"]),
        .executable(name: "siteflow", targets: ["siteflow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        // HMAC-SHA256 for Phoenix.Token-style signed tokens (SiteflowRealtime/Auth).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Futex parking, thread start/join, thread-local worker pointer and cache-line-separated
        // worker counters: the few things Swift cannot express directly.
        .target(name: "CSiteflowRuntime"),
        // posix_spawn's close-from action (glibc declares it only with _GNU_SOURCE).
        .target(name: "CSiteflowSpawn"),
        // epoll's declarations for the load tester's listen-only clients.
        .target(name: "CSiteflowEpoll"),
        .target(
            name: "SiteflowRuntime",
            dependencies: [
                "CSiteflowRuntime",
                // Isolated processes: posix_spawn's close-from for their worker OS processes.
                "CSiteflowSpawn",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Phoenix-compatible sockets, channels, PubSub and presence on top of the runtime.
        .target(
            name: "SiteflowRealtime",
            dependencies: [
                "SiteflowRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The WebSocket frame codec (RFC 6455) both ends use: the server's transport and the load
        // tester's clients. A module of its own so that the load tester, which measures the
        // server, shares the codec without linking the server.
        .target(
            name: "SiteflowWebSocketCodec",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // Prometheus metrics and the live dashboard's data, fed by every part of the node.
        .target(
            name: "SiteflowObservability",
            dependencies: [
                "SiteflowRuntime",
                "CSiteflowRuntime",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // HTTP/1.1 + WebSocket + long-poll on one port (plain SwiftNIO) and a route table for the
        // application's pages, /metrics and /dashboard; it knows nothing of chat.
        .target(
            name: "SiteflowServer",
            dependencies: [
                "SiteflowRealtime",
                "SiteflowWebSocketCodec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The lean NIO WebSocket client and the `siteflow loadtest` driver (latency histograms).
        .target(
            name: "SiteflowLoadTest",
            dependencies: [
                "CSiteflowEpoll",
                "SiteflowRealtime",
                "SiteflowWebSocketCodec",
                "SiteflowRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The server side of load tests, linked only by the `siteflow` executable's load-test
        // commands (never by the node): the `bench:*` broadcast channel (`serve --bench-topics`)
        // and the stand-in endpoint of `siteflow loadtest-server`.
        .target(
            name: "SiteflowLoadTestServer",
            dependencies: [
                "SiteflowLoadTest",
                "SiteflowRealtime",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Chat history and durable jobs: one Store interface over SQLite (GRDB) and PostgreSQL
        // (PostgresNIO), with a group-committing message writer and an Oban-style job engine.
        .target(
            name: "SiteflowStore",
            dependencies: [
                "SiteflowRuntime",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // A hidden helper for the store's crash test: writes messages, prints each
        // acknowledgement, and is killed with SIGKILL by the test mid-load.
        .executableTarget(
            name: "SiteflowStoreCrashWriter",
            dependencies: ["SiteflowStore", "SiteflowRuntime"],
            swiftSettings: strictSettings
        ),
        // The node `siteflow serve` runs: the chat app (channel, history, digest job) wired to the
        // runtime, store, sockets, metrics and dashboard.
        .target(
            name: "SiteflowApp",
            dependencies: [
                "SiteflowRuntime", "SiteflowRealtime", "SiteflowStore", "SiteflowServer", "SiteflowObservability",
                // The node supervisor: posix_spawn's close-from, the crash notifier, the demangler.
                "CSiteflowSpawn", "CSiteflowRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            // The chat page, script and style sheet, as real files (served from memory).
            resources: [.copy("Resources/chat")],
            swiftSettings: strictSettings
        ),
        // A throwaway PostgreSQL server (initdb + pg_ctl in a temp folder) for tests and benchmarks.
        .target(
            name: "SiteflowStoreTesting",
            dependencies: ["SiteflowStore", "CSiteflowSpawn"],
            swiftSettings: strictSettings
        ),
        // Test kit shipped for users' own tests: probes that turn messages into awaitable events.
        .target(
            name: "SiteflowRuntimeTesting",
            dependencies: ["SiteflowRuntime"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SiteflowBenchmarks",
            dependencies: [
                "SiteflowRuntime",
                "SiteflowStore",
                "CSiteflowRuntime",
                "CSiteflowSpawn",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The parsers a client can feed, as fuzzing targets (Fuzz/, scripts/fuzz.sh).
        .target(
            name: "SiteflowFuzzTargets",
            dependencies: [
                "SiteflowRealtime", "SiteflowServer", "SiteflowStore", "SiteflowWebSocketCodec",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // `siteflow-fuzz`: libFuzzer's entry point when built with -sanitize=fuzzer -DFUZZING,
        // a corpus replayer otherwise.
        // libFuzzer's driver declaration, for siteflow-fuzz's fuzzing build.
        .target(name: "CSiteflowFuzz"),
        .executableTarget(
            name: "siteflow-fuzz",
            dependencies: ["SiteflowFuzzTargets", "CSiteflowFuzz"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "siteflow",
            dependencies: [
                "SiteflowApp",
                "SiteflowRealtime",
                "SiteflowStore",
                "SiteflowRuntime",
                "SiteflowBenchmarks",
                "SiteflowServer",
                "SiteflowLoadTest",
                "SiteflowLoadTestServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SiteflowRuntimeTests",
            dependencies: [
                "SiteflowRuntime", "SiteflowRuntimeTesting",
                // Calls made from code on a SwiftNIO event loop (CallTimeoutTests).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SiteflowObservabilityTests",
            dependencies: ["SiteflowObservability", "SiteflowRuntime", "SiteflowRuntimeTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SiteflowRealtimeTests",
            dependencies: [
                "SiteflowRealtime",
                "SiteflowRuntime",
                "SiteflowRuntimeTesting",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SiteflowServerTests",
            dependencies: [
                "SiteflowServer",
                "SiteflowWebSocketCodec",
                "SiteflowLoadTest",
                "SiteflowLoadTestServer",
                "SiteflowRealtime",
                "SiteflowRuntimeTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // A Selenium smoke test of the chat page, run by hand (see the file).
            exclude: ["BrowserSmoke"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SiteflowWebSocketCodecTests",
            dependencies: ["SiteflowWebSocketCodec", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SiteflowStoreTests",
            dependencies: ["SiteflowStore", "SiteflowStoreTesting", "SiteflowRuntime", "SiteflowRuntimeTesting", "SiteflowStoreCrashWriter", "CSiteflowSpawn"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SiteflowE2ETests",
            dependencies: [
                "SiteflowApp", "SiteflowRealtime", "SiteflowStore", "SiteflowStoreTesting", "SiteflowLoadTest", "SiteflowLoadTestServer",
                "SiteflowRuntime", "SiteflowRuntimeTesting", "SiteflowObservability",
                // Built for the crash test, which runs `siteflow serve` as a child process.
                "siteflow",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Scripts"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SiteflowFuzzTests",
            dependencies: ["SiteflowFuzzTargets"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SiteflowBenchmarksTests",
            dependencies: ["SiteflowBenchmarks", "SiteflowRuntime", "SiteflowStore"],
            swiftSettings: strictSettings
        ),
    ]
)
