// swift-tools-version:6.1
// The fuzzers, kept out of the main package because they build only with `-sanitize=fuzzer` (libFuzzer gives
// `main`). Build and run them with scripts/fuzz.
import Foundation
import PackageDescription

/// A path dependency is known by its directory's name, which is whatever the clone was called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "FirebreakFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        // libFuzzer's driver, called from each executable's entry point.
        .target(name: "FuzzDriver"),
    ] + ["report", "playbook", "journal", "line"].map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: ["FuzzDriver", .product(name: "FirebreakFuzzing", package: root)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    }
)
