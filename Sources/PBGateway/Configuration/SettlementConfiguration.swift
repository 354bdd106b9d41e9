import PBCore
import PBCrypto
import PBSettlement
import PBStore
import Yams

/// The `settlement:` section of pb.yaml (see pb.example.yaml and docs/SETTLEMENT.md). Amounts are whole tokens as
/// decimal strings, converted exactly with each service's decimals.
public struct SettlementConfiguration: Sendable, Hashable {
    public enum Rail: String, Sendable, Hashable, CaseIterable {
        /// The embedded double-entry ledger in the gateway's store: the default.
        case ledger
        /// An EVM chain with the SessionKeyValidator contract; the gateway must be given the rail at start.
        case evm
        /// No settlement worker (charges accumulate; nothing settles).
        case none
    }

    public var rail = Rail.ledger
    /// Settle a channel once this much is unsettled.
    public var threshold = "10"
    /// Per service id: a threshold for the channels paying that service's payee.
    public var serviceThresholds: [String: String] = [:]
    public var maxAgeSeconds = 86_400
    public var grantExpiryMarginSeconds = 3_600
    public var intervalSeconds = 15
    public var batchSize = 128
    public var maxAttempts = 5
    /// The ledger rail's operator fee, in basis points of each settled amount.
    public var feeBasisPoints = 0
    /// Only from `PB_SETTLEMENT_CRASH_AT`, for crash tests (see `SettlementFaultInjection`).
    public var faultInjection = SettlementFaultInjection.none

    public init() {}

    mutating func read(_ fields: inout ConfigurationNode) throws(GatewayConfigurationError) {
        if let text = try fields.string("rail") {
            guard let rail = Rail(rawValue: text) else {
                throw GatewayConfigurationError(
                    field: fields.fieldPath("rail"), "'\(text)' is not one of ledger, evm, none")
            }
            self.rail = rail
        }
        threshold = try fields.string("threshold") ?? threshold
        if var thresholds = try fields.mapping("serviceThresholds") {
            for key in thresholds.keys { serviceThresholds[key] = try thresholds.requiredString(key) }
            try thresholds.rejectUnknownKeys()
        }
        maxAgeSeconds = try fields.integer("maxAgeSeconds", in: 1...31_536_000) ?? maxAgeSeconds
        grantExpiryMarginSeconds =
            try fields.integer("grantExpiryMarginSeconds", in: 0...31_536_000) ?? grantExpiryMarginSeconds
        intervalSeconds = try fields.integer("intervalSeconds", in: 1...86_400) ?? intervalSeconds
        batchSize = try fields.integer("batchSize", in: 1...1_000) ?? batchSize
        maxAttempts = try fields.integer("maxAttempts", in: 1...100) ?? maxAttempts
        feeBasisPoints = try fields.integer("feeBasisPoints", in: 0...10_000) ?? feeBasisPoints
        try fields.rejectUnknownKeys()
    }

    /// The worker's settings: thresholds in base units (per payee from `serviceThresholds`; the lowest when
    /// several services pay one payee), the retry policy and the round's bounds.
    public func settings(services: [ServiceRecord]) throws(GatewayConfigurationError) -> SettlementSettings {
        var settings = SettlementSettings()
        let decimals = services.first?.assetDecimals ?? ServiceConfigurationReader.defaultDecimals
        settings.policy.thresholdBaseUnits =
            try ServiceConfigurationReader.parseAmount(threshold, decimals: decimals, field: "settlement.threshold")
            .baseUnits
        for (serviceId, text) in serviceThresholds.sorted(by: { $0.key < $1.key }) {
            let field = "settlement.serviceThresholds.\(serviceId)"
            guard let service = services.first(where: { $0.id == serviceId }) else {
                throw GatewayConfigurationError(field: field, "no service '\(serviceId)' is configured")
            }
            let amount = try ServiceConfigurationReader.parseAmount(text, decimals: service.assetDecimals, field: field)
            let current = settings.policy.payeeThresholdsBaseUnits[service.payee]
            settings.policy.payeeThresholdsBaseUnits[service.payee] = min(current ?? amount.baseUnits, amount.baseUnits)
        }
        settings.policy.maxAgeSeconds = Int64(maxAgeSeconds)
        settings.policy.grantExpiryMarginSeconds = Int64(grantExpiryMarginSeconds)
        settings.intervalSeconds = Int64(intervalSeconds)
        settings.batchSize = batchSize
        settings.retry.maxAttempts = maxAttempts
        settings.faultInjection = faultInjection
        return settings
    }
}
