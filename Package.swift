// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Firebreak",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "firebreakd", targets: ["firebreakd"]),
        .executable(name: "firebreak", targets: ["firebreak"]),
        .executable(name: "firebreak-bench", targets: ["firebreak-bench"]),
        .library(name: "FirebreakCore", targets: ["FirebreakCore"]),
        .library(name: "FirebreakJournal", targets: ["FirebreakJournal"]),
        // The fuzzers' entry points, for the package in Fuzz/ and the regression tests.
        .library(name: "FirebreakFuzzing", targets: ["FirebreakFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.0"),
    ],
    targets: [
        // libsystemd, seen through its C headers (Debian: libsystemd-dev).
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The pure core: values and functions, no I/O, the clock passed in.
        .target(
            name: "FirebreakCore",
            dependencies: [
                "Yams",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
            ]
        ),
        // Review: post-mortems and metrics from the journal's records and the state, and their renderings (pure), and the
        // one read a review makes of the journal: an incident's records (IncidentRecords).
        .target(name: "FirebreakReview", dependencies: ["FirebreakCore", "FirebreakJournal", "FirebreakProtocol"]),
        // What the fuzzers (Fuzz/) and the fuzz regression tests feed untrusted bytes to.
        .target(name: "FirebreakFuzzing", dependencies: ["FirebreakCore", "FirebreakJournal"]),
        // The operations of the control socket and the web's JSON API, their arguments, results and errors:
        // what the command line, the socket and the web pages all speak.
        .target(name: "FirebreakProtocol", dependencies: ["FirebreakCore"]),
        // Reading playbooks and the roster from disk (parsing and checking are in the core).
        .target(name: "FirebreakConfig", dependencies: ["FirebreakCore"]),
        // The system of record: hash-chained, group-committed, signed segments.
        .target(
            name: "FirebreakJournal",
            dependencies: [
                "FirebreakCore",
                "FirebreakUnix",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The daemon's edges: configuration, the desk where commands and deadlines meet the journal, services.
        .target(
            name: "FirebreakDaemon",
            dependencies: [
                "FirebreakProtocol",
                "FirebreakReview",
                "FirebreakUnix",
                "FirebreakCore",
                "FirebreakConfig",
                "FirebreakJournal",
                "FirebreakSystemd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                // Its thread pool, for blocking work (BlockingWork).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // The report form's screenshots (multipart/form-data): the well-kept parser of the field.
                .product(name: "MultipartKit", package: "multipart-kit"),
                "Yams",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Unix sockets: addresses, and lines with file descriptors attached (SCM_RIGHTS needs C's CMSG macros).
        .target(name: "CUnixSocket"),
        .target(name: "FirebreakUnix", dependencies: ["CUnixSocket"]),
        // Thin glue over libsystemd: sd_notify, listen fds, journald.
        .target(name: "FirebreakSystemd", dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")]),
        // The commands of `firebreak`, as a library so the executable stays a one-liner.
        .target(
            name: "FirebreakCLI",
            dependencies: [
                "FirebreakProtocol",
                "FirebreakReview",
                "FirebreakUnix",
                "FirebreakCore",
                "FirebreakConfig",
                "FirebreakJournal",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "firebreak", dependencies: ["FirebreakCLI"]),
        .executableTarget(
            name: "firebreakd",
            dependencies: [
                "FirebreakDaemon",
                "FirebreakSystemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "firebreak-bench",
            dependencies: [
                "FirebreakUnix",
                "FirebreakCore",
                "FirebreakConfig",
                "FirebreakJournal",
                "FirebreakReview",
                "FirebreakProtocol",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The memory baseline: the libraries firebreakd loads, used as it uses them, and nothing of Firebreak.
        .executableTarget(
            name: "firebreak-floor",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                "Yams",
            ]
        ),
        // What the test targets share: temporary directories, processes, the real daemon started as its tests
        // start it, the simulated engine. A library, not a test target, so each test target mirrors one target.
        .target(
            name: "FirebreakTestSupport",
            dependencies: ["FirebreakCore", "FirebreakConfig", "FirebreakJournal", "FirebreakUnix"],
            path: "Tests/FirebreakTestSupport"
        ),
        .testTarget(
            name: "FirebreakCoreTests",
            dependencies: ["FirebreakCore", "FirebreakConfig", "FirebreakReview", "FirebreakJournal", "FirebreakFuzzing", "FirebreakTestSupport"]
        ),
        .testTarget(
            name: "FirebreakReviewTests",
            dependencies: [
                "FirebreakCore", "FirebreakConfig", "FirebreakJournal", "FirebreakReview", "FirebreakTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "FirebreakProtocolTests", dependencies: ["FirebreakCore", "FirebreakProtocol"]),
        .testTarget(
            name: "FirebreakJournalTests",
            dependencies: [
                "FirebreakCore",
                "FirebreakConfig",
                "FirebreakJournal",
                "FirebreakFuzzing",
                "FirebreakTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "FirebreakDaemonTests",
            dependencies: [
                "FirebreakReview",
                "FirebreakUnix",
                "FirebreakCore",
                "FirebreakConfig",
                "FirebreakJournal",
                "FirebreakDaemon",
                "FirebreakTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "FirebreakCLITests",
            dependencies: ["FirebreakCore", "FirebreakJournal", "FirebreakTestSupport"]
        ),
    ]
)
