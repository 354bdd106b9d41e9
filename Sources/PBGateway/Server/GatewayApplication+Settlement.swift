import Logging
import PBCore
import PBSettlement
import PBStore

/// The settlement worker of the gateway's service group and its rail.
extension GatewayApplication {
    static func makeSettlementWorker(
        configuration: GatewayConfiguration, store: any GatewayStore, rail: (any SettlementRail)?,
        clock: any WallClock, logger: Logger
    ) throws -> SettlementWorker? {
        let settlement = configuration.settlement
        let settings = try settlement.settings(services: configuration.services)
        let chosen: any SettlementRail
        switch settlement.rail {
        case .none:
            return nil
        case .ledger:
            chosen = rail ?? LedgerSettlementRail(
                store: store,
                book: SettlementLedgerBook(chainId: configuration.chainId, feeBasisPoints: UInt64(settlement.feeBasisPoints)),
                clock: clock)
        case .evm:
            guard let rail, rail.name == "evm" else {
                throw GatewayConfigurationError(
                    field: "settlement.rail", "evm needs the EVM rail, which this build of the gateway was not given")
            }
            chosen = rail
        }
        return SettlementWorker(store: store, rail: chosen, settings: settings, clock: clock, logger: logger)
    }
}
