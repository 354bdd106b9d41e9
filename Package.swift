// swift-tools-version:6.1
// PB-Stream: programmable payments for the AI era.
// Dependencies point one way: PBCore -> PBCrypto -> PBProtocol -> (PBGuard, PBStream, Sentinel, PBRail,
// PBProof) -> PBStore -> (PBStoreSQLite, PBAlerts) -> PBGateway -> pb; PBPricing (pure pricing) needs only PBCore,
// PBMetering (sessions and balances) PBCore and PBPricing. See docs/ARCHITECTURE.md.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

// The gateway and its tests both speak to upstreams with AsyncHTTPClient and convert NIO headers to HTTP types.
let httpClientDependencies: [Target.Dependency] = [
    .product(name: "AsyncHTTPClient", package: "async-http-client"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "HTTPTypes", package: "swift-http-types"),
]

let package = Package(
    name: "protocol-banks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pb", targets: ["PBCLI"]),
        .library(name: "PBCore", targets: ["PBCore"]),
        .library(name: "PBCrypto", targets: ["PBCrypto"]),
        .library(name: "PBProtocol", targets: ["PBProtocol"]),
        .library(name: "PBPricing", targets: ["PBPricing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        // SHA-256, HMAC and HKDF for credit-window MACs (docs/PROTOCOL.md section 8).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // The gateway's HTTP server, upstream and agent client, configuration file and logging.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Imported directly for header and status types; already resolved through Hummingbird.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // The gateway's background services (hold sweep, metering ticker, webhook dispatcher) run beside the
        // server in its ServiceGroup; resolved through Hummingbird already.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // STARTTLS for the alert e-mail channel; already resolved through AsyncHTTPClient.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Money, identifiers, clocks, hex and JSON values: no dependencies at all.
        .target(name: "PBCore", swiftSettings: strictSettings),
        // Debian's libsecp256k1-dev (0.2.0, with the recovery module).
        .systemLibrary(
            name: "CSecp256k1",
            pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]
        ),
        // Keccak-256, secp256k1, Ethereum addresses, EIP-191, EIP-712.
        .target(
            name: "PBCrypto",
            dependencies: ["PBCore", "CSecp256k1", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // x402 v1/v2 wire types, header codec, the pb-session scheme (grant, voucher, receipt) and its verifier.
        .target(name: "PBProtocol", dependencies: ["PBCore", "PBCrypto"], swiftSettings: strictSettings),
        // The pricing engine: units, charge models (standard, graduated, volume, package), peak windows, oracle
        // overrides and quotes, with exact breakdowns. Pure domain code: no HTTP, no SQL (docs/PRICING.md).
        .target(name: "PBPricing", dependencies: ["PBCore"], swiftSettings: strictSettings),
        // Stream sessions and prepaid balances: accounts, the session state machine, solvency, low-balance events,
        // depletion forecasts and statements, priced with PBPricing. Pure domain code (docs/METERING.md).
        .target(name: "PBMetering", dependencies: ["PBCore", "PBPricing"], swiftSettings: strictSettings),
        // Sentinel, the risk engine: declarative rules, per-key statistics, circuit breakers, bounded state with
        // snapshots. Pure domain code: no HTTP, no SQL (docs/SENTINEL.md).
        .target(name: "PBSentinel", dependencies: ["PBCore", "PBCrypto"], swiftSettings: strictSettings),
        // Sentinel's evaluation: a seeded generator of labelled traffic and the scorer behind `pb sentinel eval`.
        .target(name: "PBSentinelEvaluation", dependencies: ["PBSentinel"], swiftSettings: strictSettings),
        // The gateway's storage vocabulary (grants, channels, payments, services, API keys) and the GatewayStore
        // protocol that every adapter implements. No SQL here. Route plans and holds are stored in PBPricing's
        // config form; accounts and sessions in PBMetering's.
        // Settlements and the embedded ledger are stored in PBSettlement's and PBLedger's vocabulary.
        .target(
            name: "PBStore", dependencies: ["PBProtocol", "PBPricing", "PBMetering", "PBSettlement", "PBLedger", "PBSentinel"],
            swiftSettings: strictSettings),
        // Debian's libsqlite3-dev (3.40): the embedded database of the default gateway store.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // GatewayStore over one SQLite file (WAL), the embedded default.
        .target(name: "PBStoreSQLite", dependencies: ["PBStore", "CSQLite"], swiftSettings: strictSettings),
        // Session-key rules: the stateful checks of docs/PROTOCOL.md section 10 and the payment processor.
        .target(name: "PBGuard", dependencies: ["PBStore", "PBPricing", "PBSentinel"], swiftSettings: strictSettings),
        // Alerts: a bounded dispatcher Service with retries, a dead-letter list and a delivery log in the store, and
        // its channels (signed webhooks, SMTP e-mail on SwiftNIO, Telegram). An adapter module (docs/SENTINEL.md).
        .target(
            name: "PBAlerts",
            dependencies: [
                "PBCore", "PBCrypto", "PBSentinel", "PBStore",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + httpClientDependencies,
            swiftSettings: strictSettings
        ),
        // The only module that knows HTTP: PBStreamMiddleware, the reverse proxy, configuration, the management and
        // facilitator APIs, metrics and the server.
        .target(
            name: "PBGateway",
            dependencies: [
                "PBGuard", "PBPricing", "PBSentinel", "PBAlerts", "PBSettlement", "PBLedger", "PBEVMRail",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + httpClientDependencies,
            swiftSettings: strictSettings
        ),
        // Settlement's domain: claims, batches and the rail protocol the settlement worker drives. No SQL, no HTTP.
        .target(
            name: "PBSettlement", dependencies: ["PBCore", "PBCrypto", "PBProtocol", "PBLedger"],
            swiftSettings: strictSettings),
        // The double-entry ledger of the embedded rail: accounts, immutable transfers, two-phase holds, balance
        // constraints and the balancing check. Pure domain code: no SQL.
        .target(name: "PBLedger", swiftSettings: strictSettings),
        // The EVM rail's parts: RLP, signed EIP-1559 transactions, a JSON-RPC client with timeouts and retries.
        .target(
            name: "PBEVM",
            dependencies: ["PBCore", "PBCrypto"] + httpClientDependencies,
            swiftSettings: strictSettings
        ),
        // The EVM settlement rail: SettlementRail over the SessionKeyValidator contract, with nonces kept in the store
        // (EVMTransactionStore) and the `evm:` configuration. No HTTP server, no SQL.
        .target(
            name: "PBEVMRail", dependencies: ["PBSettlement", "PBEVM", "PBStore", "PBProtocol"],
            swiftSettings: strictSettings
        ),
        // The agent side: answers 402s with pb-session payments, tracks spend, checks receipts.
        .target(
            name: "PBClient",
            dependencies: ["PBProtocol"] + httpClientDependencies,
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "PBCLI",
            dependencies: [
                "PBProtocol", "PBGateway", "PBEVMRail", "PBClient", "PBStoreSQLite", "PBMetering", "PBSentinel", "PBSentinelEvaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Release-mode benchmark executable: `swift run -c release pb-benchmarks`.
        .executableTarget(
            name: "pb-benchmarks",
            dependencies: ["PBCrypto", "PBProtocol", "PBPricing", "PBMetering", "PBSentinel", "PBStoreSQLite", "CSecp256k1"],
            path: "Benchmarks/PBBenchmarks",
            swiftSettings: strictSettings
        ),
        // Paid vs unpaid throughput through the gateway with wrk: `swift run -c release pb-gateway-benchmark`.
        .executableTarget(
            name: "pb-gateway-benchmark",
            dependencies: ["PBGateway", "PBStoreSQLite"] + httpClientDependencies,
            path: "Benchmarks/PBGatewayBenchmark",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PBCoreTests",
            dependencies: ["PBCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PBPricingTests",
            dependencies: ["PBPricing", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictSettings
        ),
        // Where the repository's files are (spec/vectors, examples), for every test target.
        .target(name: "PBTestSupport", dependencies: ["PBCore"], path: "Tests/PBTestSupport", swiftSettings: strictSettings),
        .testTarget(
            name: "PBLedgerTests",
            dependencies: ["PBLedger", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PBSettlementTests", dependencies: ["PBSettlement", "PBLedger", "PBProtocol", "PBCrypto", "PBCore"],
            swiftSettings: strictSettings),
        .testTarget(name: "PBMeteringTests", dependencies: ["PBMetering"], swiftSettings: strictSettings),
        .testTarget(
            name: "PBSentinelTests", dependencies: ["PBSentinel", "PBSentinelEvaluation"], swiftSettings: strictSettings),
        // Alert channels against real servers on loopback: aiosmtpd for e-mail, HTTP receivers for webhooks and
        // a stand-in for Telegram's Bot API.
        .testTarget(
            name: "PBAlertsTests",
            dependencies: [
                "PBAlerts", "PBStoreSQLite", "PBTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + httpClientDependencies,
            swiftSettings: strictSettings),
        .testTarget(name: "PBCryptoTests", dependencies: ["PBCrypto", "PBTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "PBProtocolTests", dependencies: ["PBProtocol", "PBTestSupport"], swiftSettings: strictSettings),
        // Vectors from eth-account, and a live chain: chain/pb_devchain.py started by the tests on loopback.
        .testTarget(
            name: "PBEVMTests",
            dependencies: ["PBEVM", "PBEVMRail", "PBSettlement", "PBStoreSQLite", "PBProtocol", "PBTestSupport"]
                + httpClientDependencies,
            swiftSettings: strictSettings),
        // The checks every GatewayStore adapter must pass, as plain functions each adapter's tests call.
        .target(
            name: "PBStoreTestSuite",
            dependencies: ["PBStore", "PBProtocol", "PBCrypto", "PBMetering", "PBPricing", "PBSettlement", "PBLedger", "PBSentinel"],
            path: "Tests/PBStoreTestSuite",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PBStoreSQLiteTests", dependencies: ["PBStoreSQLite", "PBStoreTestSuite"], swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PBGatewayTests",
            dependencies: [
                "PBGateway", "PBGuard", "PBPricing", "PBClient", "PBStoreSQLite", "PBTestSupport", "PBSentinel", "PBAlerts",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ] + httpClientDependencies,
            swiftSettings: strictSettings
        ),
        // Runs the built `pb` binary as a user would; depends on PBCLI so that it is built first. The HTTP client
        // is the merchant's side of `pb agent call` tests: registering a grant, reading the gateway's ledger.
        .testTarget(
            name: "PBCLITests",
            dependencies: ["PBCLI", "PBProtocol", "PBClient", "PBTestSupport", "PBEVM", "PBEVMRail"] + httpClientDependencies,
            swiftSettings: strictSettings
        ),
    ]
)
