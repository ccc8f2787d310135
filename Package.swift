// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    // Hot loops (walks, matcher) pay for dynamic exclusivity checks; the code keeps accesses local.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "sy",
    products: [
        .executable(name: "sy", targets: ["sy"]),
        .executable(name: "sy-scan", targets: ["sy-scan"]),
        .executable(name: "sy-sum", targets: ["sy-sum"]),
        .executable(name: "sy-delta", targets: ["sy-delta"]),
        .executable(name: "sy-apply", targets: ["sy-apply"]),
        .library(name: "SyCore", targets: ["SyCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries and the Linux shim. The shim also compiles libxxhash-dev's xxhash.h
        // inline (XXH_INLINE_ALL), with AVX2 where the CPU has it: twice the shared library's speed.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "CSyLinux", cSettings: [.define("_GNU_SOURCE"), .unsafeFlags(["-O3"])]),

        // The shared library: stream format, tree walk, stages, pipeline.
        .target(
            name: "SyCore",
            dependencies: [
                "CZstd", "CSyLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // The five programs.
        .executableTarget(name: "sy-scan", dependencies: ["SyCore"], swiftSettings: swiftSettings),
        .executableTarget(name: "sy-sum", dependencies: ["SyCore"], swiftSettings: swiftSettings),
        .executableTarget(name: "sy-delta", dependencies: ["SyCore"], swiftSettings: swiftSettings),
        .executableTarget(name: "sy-apply", dependencies: ["SyCore"], swiftSettings: swiftSettings),
        .executableTarget(name: "sy", dependencies: ["SyCore"], swiftSettings: swiftSettings),

        // Tests.
        .target(name: "SyTestSupport", dependencies: ["SyCore"], swiftSettings: swiftSettings),
        .testTarget(name: "SyCoreTests", dependencies: ["SyCore", "SyTestSupport"]),
        .testTarget(name: "SyCLITests", dependencies: ["SyCore", "SyTestSupport"]),
    ]
)
