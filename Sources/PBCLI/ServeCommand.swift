import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import PBCore
import PBEVMRail
import PBGateway
import PBStoreSQLite

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the PB-Stream gateway (HTTP 402 in front of the configured services).",
        discussion: """
            Reads pb.yaml (or --config / PB_CONFIG; see pb.example.yaml) and PB_LISTEN, PB_DATA_DIR, PB_ADMIN_KEY, \
            and the alert channels' secrets (PB_ALERT_WEBHOOK_SECRET, PB_ALERT_SMTP_PASSWORD, PB_ALERT_TELEGRAM_TOKEN). \
            The data directory holds the SQLite database and the gateway key, created on first start.
            """)

    @Option(name: .long, help: "Configuration file (default: PB_CONFIG or ./pb.yaml).")
    var config: String?

    func run() async throws {
        let (configuration, environment) = try GatewayLauncher.loadConfiguration(config: config)
        var logger = Logger(label: "pb.gateway")
        logger.logLevel = .info
        var running = try await GatewayLauncher.prepare(configuration: configuration, logger: logger)
        do { running.application.meteringWebhook = try GatewayApplication.webhookEndpoint(environment: environment) } catch {
            throw CommandFailure("configuration: \(error)")
        }
        try await running.application.makeApplication(logger: logger).runService()
        try await running.shutdown()
    }
}

/// Everything `pb serve` and `pb demo chatbot` set up before the server runs.
struct GatewayLauncher {
    /// The gateway's database under its data directory (`pb ledger check` reads it too).
    static let storeFileName = "gateway.sqlite"

    var application: GatewayApplication
    let httpClient: HTTPClient

    static func prepare(
        configuration: GatewayConfiguration, logger: Logger, clock: any WallClock = SystemWallClock(),
        sentinelAlertSink: any SentinelAlertSink = LoggingSentinelAlertSink()
    ) async throws -> GatewayLauncher {
        try GatewayKeys.ensureDirectory(configuration.dataDirectory)
        let store = try SQLiteGatewayStore(path: configuration.dataDirectory + "/" + storeFileName)
        let gatewayKey = try GatewayKeys.loadOrCreateGatewayKey(dataDirectory: configuration.dataDirectory, logger: logger)
        if let secret = try await GatewayKeys.bootstrapAdminKey(
            store: store, configuredSecret: configuration.adminKey, at: SystemWallClock().now)
        {
            // Printed once, to the operator's terminal only: the store keeps its hash.
            print("admin API key (shown once, keep it): \(secret)")
            // Flushed now: the server runs until stopped, and a buffered line would lose the only copy of the key.
            fflush(nil)
        }
        let httpClient = UpstreamProxy.makeHTTPClient(
            timeoutSeconds: configuration.upstreamTimeoutSeconds, maxConnectionsPerHost: configuration.upstreamMaxConnections)
        let application = try GatewayApplication(
            configuration: configuration, store: store, gatewayKey: gatewayKey, clock: clock, httpClient: httpClient,
            sentinelAlertSink: sentinelAlertSink,
            settlementRail: try await evmRail(configuration: configuration, store: store, clock: clock), logger: logger)
        try await application.applyConfiguredServices()
        logger.info(
            "gateway ready",
            metadata: [
                "listen": .string(configuration.listen.description), "services": .stringConvertible(configuration.services.count),
                "gateway.address": .string(gatewayKey.address.checksummed),
                "alerts.channels": .string(application.alerts.channels.map(\.name).joined(separator: ",")),
                "settlement.rail": .string(configuration.settlement.rail.rawValue),
            ])
        return GatewayLauncher(application: application, httpClient: httpClient)
    }

    func shutdown() async throws { try await httpClient.shutdown() }

    /// The EVM rail for `settlement.rail: evm`, from the `evm:` section: its signer read from a key file only its
    /// owner can read, and signed-but-unsent settlements resent before the worker starts (nonces stay gap-free).
    static func evmRail(configuration: GatewayConfiguration, store: SQLiteGatewayStore, clock: any WallClock)
        async throws -> EVMSettlementRail?
    {
        guard configuration.settlement.rail == .evm else { return nil }
        guard let evm = configuration.evm else {
            throw ValidationError("settlement.rail is evm but the configuration has no evm: section")
        }
        let rail = EVMSettlementRail(configuration: evm, signer: try evm.loadSigner(), store: store, clock: clock)
        try await rail.start()
        return rail
    }

    /// The configuration of `--config` (else PB_CONFIG, else ./pb.yaml) with the environment's overrides, and
    /// that environment.
    static func loadConfiguration(config: String?) throws -> (GatewayConfiguration, [String: String]) {
        var environment = ProcessInfo.processInfo.environment
        if let config { environment["PB_CONFIG"] = config }
        do { return (try GatewayConfiguration.load(environment: environment), environment) } catch {
            throw CommandFailure("configuration: \(error)")
        }
    }
}
